"""The language layer: catalogues, Persian digits, Jalali dates, the embedded font, shaping."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cxmodels import i18n
from cxmodels.i18n.figures import register_fonts

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

    family = register_fonts()
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


# ------------------------------------------------------------------ the catalogue is complete
KEY = re.compile(
    r"^(?:drivers|kano|churn|metrics|effects|summary|fig|report|snapshot|index|word|label|col)"
    r"\.[\w.]+$"
)


def _used_keys() -> tuple[set[str], set[str]]:
    """Message keys the package names literally, and the constant prefixes of f-string keys."""
    import ast

    keys, prefixes = set(), set()
    for f in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                file_name = re.search(r"\.(html|json|png|css|py|ipynb|xlsx|csv)$", node.value)
                if KEY.match(node.value) and not file_name:
                    keys.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and re.match(r"^[a-z_]+\.[\w.]*\.$", head.value):
                    prefixes.add(head.value)
    return keys, prefixes


def test_every_message_key_has_english_and_persian_entries():
    """Every key the source names (as a literal, wherever it is passed to ``t``) is in both
    catalogues with the same placeholders; every f-string key prefix has entries."""
    en, fa = i18n.catalogue("en"), i18n.catalogue("fa")
    keys, prefixes = _used_keys()
    keys = {k for k in keys if not k.endswith(".")}
    # ``reports.widgets.say("x")`` names the notebook sentence ``nb.x``
    missing = sorted(
        k
        for k in keys
        if (k not in en or k not in fa) and not (f"nb.{k}" in en and f"nb.{k}" in fa)
    )
    keys = {k if k in en else f"nb.{k}" for k in keys if k not in missing}
    assert not missing, f"keys used in src/ without a catalogue entry: {missing}"
    for p in prefixes:
        assert any(k.startswith(p) for k in en), f"no catalogue entry starts with {p!r}"
    assert len(keys) > 100  # the findings of every part go through the catalogue
    for key in keys:
        assert set(re.findall(r"{(\w+)", fa[key])) == set(re.findall(r"{(\w+)", en[key])), key


def test_one_catalogue_file_per_part():
    parts = {p.stem for p in (i18n.HERE / "en").glob("*.json")}
    assert {
        "drivers",
        "kano",
        "churn",
        "metrics",
        "effects",
        "figures",
        "headings",
        "intake",
    } <= parts
    assert parts == {p.stem for p in (i18n.HERE / "fa").glob("*.json")}


def test_kano_category_and_verb_messages():
    i18n.set_language("fa")
    assert [i18n.t(f"kano.{c}") for c in "MOAIRQ"][:3] == ["اساسی", "عملکردی", "انگیزشی (جذاب)"]
    for c in "MOAIR":
        assert "{names}" in i18n.catalogue("fa")[f"kano.verb.{c}"]


def test_environment_sets_the_initial_language(monkeypatch):
    monkeypatch.setenv(i18n.ENV_LANGUAGE, "fa")
    i18n._from_environment()
    assert i18n.get_language() == "fa" and i18n.digits() == "persian"
    monkeypatch.setenv(i18n.ENV_LANGUAGE, "klingon")  # unknown: left as it is
    i18n.set_language("en")
    i18n._from_environment()
    assert i18n.get_language() == "en"


# ------------------------------------------------------------------ findings in Persian
@pytest.fixture(scope="module")
def world():
    import cxmodels as cx

    return cx.generate(1500, seed=5)


def _persian_only(sentences) -> None:
    text = "\n".join(sentences)
    assert text.strip()
    assert not i18n.english_runs(text), i18n.english_runs(text)
    assert not re.search(r"\d", re.sub(r"attr_\w+|\w*\d\w*_\w*|\d{4}Q\d|[a-z]+\d+", "", text)) or (
        re.search("[۰-۹]", text)
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_findings_in_persian_have_no_english_and_persian_digits(world):
    import cxmodels as cx

    i18n.set_language("fa")
    drivers = cx.fit_drivers(world, "overall_sat", bootstrap=20, seed=1)
    kano = cx.analyze_kano(world.kano_answers, bootstrap=20, seed=1, segment="segment")
    pr = cx.penalty_reward(world, "overall_sat")
    kpis = cx.metrics.kpi_findings(cx.metrics.kpis(world), cx.metrics.by(world, "nps", "segment"))
    nps = cx.metrics.nps(world.responses["nps"])
    for res in (drivers.findings(), kano.findings(), pr.findings(), kpis, nps.findings()):
        _persian_only([*res.findings, *res.caveats])
    first = drivers.findings().findings[0]
    assert "کیفیت محصول" in first and "٪" in first
    i18n.set_language("en")
    assert drivers.findings().findings[0].startswith("**product quality** leads")


def test_churn_findings_in_persian(world):
    import cxmodels as cx

    covs = ["overall_sat", "segment", "loyalty_member"]
    table = cx.survival_table(world, covariates=covs)
    i18n.set_language("fa")
    cox = cx.fit_churn(table, covs)
    km = cx.kaplan_meier(table, by="loyalty_member")
    _persian_only([*cox.findings().findings, *km.findings().findings])
    assert "ریزش" in " ".join(cox.findings())


def test_tables_and_summaries_in_persian(world):
    import cxmodels as cx

    res = cx.fit_drivers(world, "overall_sat", bootstrap=10, seed=1)
    i18n.set_language("fa")
    shown = cx.display_table(res.table)
    assert "محرک" in shown.frame.columns and "کیفیت محصول" in set(shown.frame.iloc[:, 0])
    assert not re.search(r"[0-9]", "".join(shown.frame.iloc[:, 1:].to_numpy().ravel()))
    summary = res.summary().as_text()
    assert summary.startswith("محرک‌های رضایتِ رضایت کلی") and "تعداد" in summary
    # method names given as parameters read in Persian too (not 'ols', 'shapley')
    assert "رگرسیون خطی (OLS)" in summary and "شاپلی (LMG)" in summary
    assert not re.search(r"\b(ols|shapley|overall_sat)\b", summary)
    i18n.set_language("en")
    assert "ols" in res.summary().as_text()  # English keeps the value as given


def test_figures_in_persian_use_the_font_and_persian_ticks(world):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import cxmodels as cx

    kano = cx.analyze_kano(world.kano_answers)
    i18n.set_language("fa")
    ax = kano.plot_better_worse()
    ax.figure.canvas.draw()
    assert ax.get_title() == "نقشهٔ رضایت‌افزا-نارضایتی‌زا"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "اساسی" in legend and "Must-be" not in legend
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"[۰-۹٫−\-]+", t) for t in ticks), ticks
    assert "Vazirmatn" in ax.title.get_fontfamily()
    plt.close("all")


def test_persian_workbook_is_right_to_left(world, tmp_path):
    import openpyxl

    import cxmodels as cx

    res = cx.fit_drivers(world, "overall_sat")
    i18n.set_language("fa")
    path = cx.export_tables({"محرک‌ها": res.table}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[-1]
    assert ws.sheet_view.rightToLeft
    assert "محرک" in [c.value for c in ws[1]] or "محرک" in [c.value for c in ws[2]]


# ------------------------------------------------------------------ notebook headings
NOTEBOOKS = sorted((SRC.parents[1] / "notebooks").glob("*.ipynb")) + [
    SRC / "templates" / "branch_scorecard.ipynb"
]


def _notebook_texts():
    import json

    from cxmodels.reports.localize import markdown_texts

    heads, paras, notes = [], [], []
    for nb in NOTEBOOKS:
        d = json.loads(nb.read_text("utf-8"))
        for c in d["cells"]:
            if c["cell_type"] == "markdown":
                h, p = markdown_texts("".join(c["source"]))
                heads += [(nb.name, x) for x in h]
                paras += [(nb.name, x) for x in p]
        notes += [(nb.name, n) for n in d["metadata"].get("cxmodels", {}).get("method_notes", [])]
    return heads, paras, notes


def test_every_notebook_heading_has_a_persian_entry():
    """Headings are translated at render time from ``fa/headings.json`` (key: the exact English
    heading). The failure lists every missing heading, to add to both headings.json files."""
    from cxmodels.reports.localize import heading_key, paragraph_key

    heads, paras, notes = _notebook_texts()
    assert len(heads) > 30
    fa = i18n.catalogue("fa")
    missing = [f"{nb}: {h!r}" for nb, h in heads if heading_key(h) not in fa]
    missing += [f"{nb} (paragraph): {p!r}" for nb, p in paras if paragraph_key(p) not in fa]
    missing += [f"{nb} (method note): {n!r}" for nb, n in notes if f"method.{n}" not in fa]
    assert not missing, "add to i18n/en/headings.json and fa/headings.json:\n" + "\n".join(missing)


def test_markdown_translation_keeps_structure():
    from cxmodels.reports.localize import translate_markdown

    src = "## Findings\nShare of the explained variance per driver; the shares add up to 100%.\n\nUnknown text."
    i18n.set_language("fa")
    out = translate_markdown(src).splitlines()
    assert (
        out[0] == "## یافته‌ها" and out[1].startswith("سهم هر محرک") and out[-1] == "Unknown text."
    )
    i18n.set_language("en")
    assert translate_markdown(src) == src


# ------------------------------------------------------------------ rendered Persian reports
ROOT = SRC.parents[1]
FA_REPORTS = {
    "kano_fa": ("03_kano_analysis.ipynb", {"bootstrap": 30}),
    "drivers_fa": ("01_satisfaction_drivers.ipynb", {"bootstrap": 30}),
}


@pytest.fixture(scope="module")
def fa_reports(tmp_path_factory, saved_1500):
    """The Kano and drivers reports in Persian (``language: fa``), rendered on small data."""
    import yaml

    from cxmodels import reports

    tmp = tmp_path_factory.mktemp("fa")
    data = saved_1500  # cx.generate(1500, seed=5), saved once per session (conftest)
    entries = [
        {"name": n, "notebook": str(ROOT / "notebooks" / nb), "parameters": p, "language": "fa"}
        for n, (nb, p) in FA_REPORTS.items()
    ]
    cfg = tmp / "reports.yaml"
    cfg.write_text(yaml.safe_dump({"defaults": {"timeout": 300}, "reports": entries}))
    out = tmp / "reports"
    outcome = reports.run(cfg, data=str(data), out_dir=out, jobs=2, progress=False, quiet=True)
    return outcome, out


def _page_text(page: str) -> str:
    body = page[page.find("<body") :]
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S | re.I)
    import html

    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def _notebook_code(nb: str) -> str:
    import json

    cells = json.loads((ROOT / "notebooks" / nb).read_text("utf-8"))["cells"]
    return " ".join(
        " ".join("".join(c["source"]).split()) for c in cells if c["cell_type"] == "code"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FA_REPORTS))
def test_persian_report_reads_right_to_left_without_english(fa_reports, name):
    """``<html lang="fa" dir="rtl">``, the embedded font, Jalali dates, Persian headings; no run
    of English words written by the package. English the notebook's own code writes (text in
    its f-strings, until the notebooks take the ``language`` parameter) is listed apart."""
    outcome, out = fa_reports
    assert outcome.ok, outcome.failures.to_string()
    page = (out / f"{name}.html").read_text("utf-8")
    assert '<html lang="fa" dir="rtl">' in page
    assert "@font-face{font-family:'Vazirmatn'" in page and "<bdi>" in page
    assert re.search(r"۱۴۰\d/\d\d/\d\d|۱۴۰[۰-۹]/[۰-۹]{2}/[۰-۹]{2}", page)  # a Jalali date
    assert "فهرست" in page and "یادداشت‌های روش" in page
    heads = re.findall(r"<h2[^>]*>(.*?)</h2>", page, flags=re.S)
    assert heads and all(re.search("[\u0600-\u06ff]", re.sub("<[^>]+>", "", h)) for h in heads)
    code = _notebook_code(FA_REPORTS[name][0])
    runs = i18n.english_runs(_page_text(page))
    from_package = [r for r in runs if " ".join(r.split()) not in code]
    assert not from_package, sorted(set(from_package))
    findings = re.findall(r"<div class=.cx-(?:finding|caveat).[^>]*>(.*?)</div>", page, flags=re.S)
    assert findings
    if name == "drivers_fa":  # shares, R² and counts in Persian digits
        assert re.search("[۰-۹]٫[۰-۹]", "".join(findings)) and "٪" in "".join(findings)
    assert not re.search(r"(?<![\w.])[0-9]+(?:\.[0-9]+)?%", _page_text("".join(findings)))


CHECK = """<script>window.addEventListener('load', function () {
  document.fonts.ready.then(function () {
    var imgs = Array.prototype.slice.call(document.images);
    var over = Array.prototype.filter.call(document.querySelectorAll('table'), function (t) {
      var r = t.getBoundingClientRect();
      return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1);
    }).length;
    var faces = Array.from(document.fonts).filter(function (f) {
      return f.family.indexOf('Vazirmatn') >= 0 && f.status === 'loaded'; }).length;
    document.body.setAttribute('data-check', JSON.stringify({
      dir: document.documentElement.getAttribute('dir'),
      lang: document.documentElement.getAttribute('lang'),
      font: document.fonts.check('12px Vazirmatn'), faces: faces,
      bodyFont: getComputedStyle(document.body).fontFamily,
      images: imgs.length,
      decoded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
      overflow: over}));
  });
});</script>"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Debian's chromium is not installed (.ci/run installs it)",
)
@pytest.mark.parametrize("name", list(FA_REPORTS))
def test_persian_report_in_headless_chromium(fa_reports, tmp_path, name):
    """Chromium: dir=rtl, Vazirmatn loaded from the page itself, no table wider than the page,
    every image decoded; the screenshot is kept in reports/_screenshots/ (CI artefact)."""
    import json
    import subprocess

    _, out = fa_reports
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    page = out / f"{name}.html"
    shots = ROOT / "reports" / "_screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / f"{name}.png"
    r = subprocess.run(
        [*flags, "--window-size=1280,2000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 20_000, r.stderr[-2000:]
    probe = out / f".probe-{name}.html"
    probe.write_text(page.read_text("utf-8").replace("</body>", CHECK + "</body>"), "utf-8")
    r = subprocess.run(
        [*flags, "--window-size=1280,2000", "--virtual-time-budget=8000", "--dump-dom",
         probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    probe.unlink()
    m = re.search(r'data-check="([^"]+)"', r.stdout)
    assert m, r.stderr[-2000:]
    check = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert check["dir"] == "rtl" and check["lang"] == "fa", check
    assert check["font"] and check["faces"] >= 1 and "Vazirmatn" in check["bodyFont"], check
    assert check["overflow"] == 0, check
    assert check["images"] >= 3 and check["decoded"] == check["images"], check


def test_persian_tables_name_segments_and_methods_in_persian():
    """Text cells the catalogue names (segments, estimators) and their headers read in Persian;
    captions and headers start at the reading side."""
    import pandas as pd

    import cxmodels as cx

    df = pd.DataFrame(
        {"method": ["naive", "aipw"], "segment": ["consumer", "premium"], "n_treated": [10, 20]}
    )
    with i18n.language("fa"):
        page = cx.display_table(df)._repr_html_()
    assert "consumer" not in page and "naive" not in page and "n treated" not in page
    assert "مصرف‌کننده" in page and "AIPW" in page and "text-align: start" in page
    with i18n.language("en"):
        assert "consumer" in cx.display_table(df)._repr_html_()


# ------------------------------------------------------------------ data validation in Persian
@pytest.fixture(scope="module")
def faulty_folder(tmp_path_factory):
    """A CSV folder with a blank customer id and a rating that is not a number."""
    import pandas as pd

    import cxmodels as cx

    out = cx.save(cx.generate(200, seed=1), tmp_path_factory.mktemp("faulty") / "w", fmt="csv")
    customers = pd.read_csv(out / "customers.csv", dtype=str)
    customers.loc[3, "customer_id"] = None
    customers.to_csv(out / "customers.csv", index=False)
    responses = pd.read_csv(out / "responses.csv", dtype=str)
    responses.loc[[2, 5], "overall_sat"] = "good"
    responses.to_csv(out / "responses.csv", index=False)
    return out


def _load_error(folder, engine: str = "pandas") -> str:
    import cxmodels as cx

    with pytest.raises(cx.DataValidationError) as info:
        cx.load(folder, engine=engine)
    return str(info.value)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_data_validation_errors_in_persian(faulty_folder, engine):
    """With ``fa`` the problems, their fixes and the frame read in Persian; names, file names and
    values stay as they are; English is today's text, word for word."""
    import cxmodels as cx

    cx.set_language("fa")
    text = _load_error(faulty_folder, engine)
    assert "با قرارداد دادهٔ cxmodels سازگار نیستند" in text
    assert "[خطا] customers.customer_id: کلیدهای خالی (۱ ردیف؛ مثلاً ردیف 3). راه‌حل: " in text
    assert "[خطا] responses.overall_sat: مقادیری که عدد نیستند (۲ ردیف؛ مثلاً " in text
    assert "از کدهای عددی استفاده کنید" in text and "R00000003، R00000006" in text
    for english in ("Fix", "rows", "e.g.", "empty keys", "not numbers", "error(s)", "breaks"):
        assert english not in text, english
    assert not i18n.english_runs(text), i18n.english_runs(text)

    cx.set_language("en")
    text = _load_error(faulty_folder, engine)
    assert text.startswith(f"The data in {faulty_folder} breaks the cxmodels data contract.\n")
    assert "error(s), 0 warning(s)\n" in text
    assert (
        "  [error] customers.customer_id: empty keys (1 row; e.g. row 3). "
        "Fix: give every row its id (blank ids match nobody)\n" in text
    )
    assert (
        "  [error] responses.overall_sat: values that are not numbers "
        "(2 rows; e.g. R00000003, R00000006). "
        "Fix: use numeric codes (put labels in the codebook)" in text
    )
    assert not re.search("[\u0600-\u06ff]", text)


def test_every_intake_message_is_in_the_catalogue():
    """The data layer names its messages by key (``message("x")``, ``say("x")``): each one has
    an English and a Persian entry with the same placeholders, and the English registry text
    is what the checks always said."""
    from cxmodels.data.messages import MESSAGES, message

    en, fa = i18n.catalogue("en"), i18n.catalogue("fa")
    used = set()
    for f in [*(SRC / "data").glob("*.py"), SRC / "_validation.py"]:
        text = f.read_text("utf-8")
        used |= {f"intake.{k}" for k in re.findall(r"""\bsay\(\s*["'](\w[\w.]*)["']""", text)}
        used |= {f"intake.{k}" for k in re.findall(r"""\bmessage\(\s*["'](\w+)["']""", text)}
    used |= {f"intake.{k}{end}" for k in MESSAGES for end in ("", ".fix")}
    missing = sorted(k for k in used if k not in en or k not in fa)
    assert not missing, missing
    for key in used:
        assert set(re.findall(r"{(\w+)", fa[key])) == set(re.findall(r"{(\w+)", en[key])), key
    assert message("outside_scale", lo=1, hi=5, column="attr_x") == (
        "values outside the scale 1-5",
        "correct the values, or declare the scale of 'attr_x' in codebook.json",
    )
    i18n.set_language("fa")
    assert message("empty_ids")[0] == "شناسه‌های خالی"


def test_cxmodels_validate_reports_in_persian(faulty_folder, capsys):
    """``cxmodels validate`` prints the report's headings, counts and problems in Persian."""
    import cxmodels as cx
    from cxmodels import cli

    cx.set_language("fa")
    assert cli.main(["validate", str(faulty_folder)]) == 1
    err = capsys.readouterr().err
    assert "خطاها (" in err and "مشکل" in err and "راه‌حل" in err
    assert "[خطا] customers.customer_id: کلیدهای خالی. راه‌حل: " in err and "نامعتبر: " in err
    cx.set_language("en")
    assert cli.main(["validate", str(faulty_folder)]) == 1
    err = capsys.readouterr().err
    assert "[error] customers.customer_id: empty keys. Fix: give every row its id" in err
    assert "\nInvalid: " in err and "error(s), 0 warning(s)." in err


def test_input_errors_keep_one_language():
    """Model functions' errors are English sentences: with ``fa`` their frame stays English too."""
    from cxmodels._validation import InputError, check_option

    i18n.set_language("fa")
    with pytest.raises(InputError) as info:
        check_option("rule", "x", ["standard"])
    assert str(info.value) == "[error] argument.rule: unknown value 'x'. Fix: use one of 'standard'"
    assert i18n.get_language() == "fa"
