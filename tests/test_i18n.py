"""The language layer: catalogues, Persian digits, Jalali dates, the embedded font, shaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxmodels import i18n

SRC = Path(__file__).resolve().parents[1] / "src" / "cxmodels"


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.set_language("en")


def test_catalogues_have_the_same_keys():
    en, fa = i18n.catalogue("en"), i18n.catalogue("fa")
    assert set(en) == set(fa), sorted(set(en) ^ set(fa))
    for key, text in fa.items():
        assert text.strip(), key
        # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)", text)) == set(re.findall(r"{(\w+)", en[key])), key


def test_every_key_used_in_the_package_is_in_the_catalogue():
    used = set()
    for f in SRC.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[\w.]+)["']""", f.read_text("utf-8")))
    missing = sorted(k for k in used if not i18n.has(k))
    assert not missing, missing


@pytest.mark.parametrize(
    "gregorian, jalali",
    [
        # 1403 is a leap year in the 33-year cycle: Esfand has 30 days.
        ("2024-03-20", "۱۴۰۳/۰۱/۰۱"),
        ("2025-03-21", "۱۴۰۴/۰۱/۰۱"),
        ("2025-03-20", "۱۴۰۳/۱۲/۳۰"),
        ("2026-12-01", "۱۴۰۵/۰۹/۱۰"),
    ],
)
def test_jalali_dates(gregorian, jalali):
    i18n.set_language("fa")
    assert i18n.format_date(gregorian) == jalali
    assert i18n.format_date(gregorian, with_gregorian=True) == f"{jalali} ({gregorian})"
    i18n.set_language("en")
    assert i18n.format_date(gregorian) == gregorian


@pytest.mark.parametrize(
    "text, expected",
    [
        ("NPS -27.6 (1,234.5)", "NPS -۲۷٫۶ (۱٬۲۳۴٫۵)"),
        ("37% of 12", "۳۷٪ of ۱۲"),
        ("version 0.2.0", "version 0.2.0"),
        ("attr_2 and 2025Q3", "attr_2 and 2025Q3"),
    ],
)
def test_persian_digits(text, expected):
    i18n.set_language("fa")
    assert i18n.localize_digits(text) == expected
    assert i18n.localize_digits(text, digits="latin") == text


def test_latin_digits_option_and_unknown_language():
    i18n.set_language("fa", digits="latin")
    assert i18n.t("snapshot.customers", n="1,200") == "1,200 مشتری"
    with pytest.raises(ValueError, match="did you mean 'fa'"):
        i18n.set_language("fas")


def test_labels_and_fallback():
    i18n.set_language("fa")
    assert i18n.label("attr_product_quality") == "کیفیت محصول"
    assert i18n.label("kano_x", fallback="x") == "x"
    with i18n.language("en"):
        assert i18n.label("attr_product_quality") == "product quality"
    assert i18n.get_language() == "fa"


def test_font_is_embedded_with_its_licence():
    css = i18n.font_face_css()
    assert css.count("@font-face") == 2 and "data:font/woff2;base64," in css
    assert (i18n.FONTS / "OFL.txt").read_text().startswith("Copyright")


def test_persian_text_is_shaped_in_figures():
    """Joined (shaped) Arabic-script letters are narrower than the same letters drawn alone.

    matplotlib >= 3.11 shapes text itself (libraqm); without shaping each letter would be drawn
    in its isolated form and the word would be as wide as its letters side by side.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = i18n.register_fonts()
    fig = plt.figure(dpi=100)
    renderer = fig.canvas.get_renderer()

    def width(s: str) -> float:
        t = fig.text(0, 0, s, family=family, size=20)
        w = t.get_window_extent(renderer).width
        t.remove()
        return w

    word = "مشتری"
    assert width(word) < 0.9 * sum(width(c) for c in word)
    plt.close(fig)
