"""Languages for reports and results: one message catalogue per language, digits and calendars.

``cx.set_language("fa")`` switches every sentence the package writes (findings, caveats, method
notes, report chrome, labels) to Persian, with Persian digits and Jalali dates. A catalogue is a
folder of JSON files beside this module (``en/``, ``fa/``; one file per part of the package, so
keys stay near their subject): adding a language is adding a folder.

Messages are ``str.format`` templates looked up by key; numbers are formatted first (by
:mod:`cxmodels._format`) and then passed in, so :func:`localize_digits` is applied once to the
finished sentence.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pandas as pd
from persiantools.jdatetime import JalaliDate

from .._catalogue import (
    _STATE,
    DIGITS,
    LANGUAGES,
    catalogue,
    default_digits,
    has,
    kept,
    localize_digits,
    switch,
    t,
)
from .._validation import check_option

HERE = Path(__file__).parent
FONTS = HERE.parent / "fonts"
RTL = {"fa"}
#: Environment variables a report kernel reads its initial language from (set by the runner).
ENV_LANGUAGE, ENV_DIGITS = "CXMODELS_LANGUAGE", "CXMODELS_DIGITS"


def set_language(language: str = "en", digits: str | None = None) -> None:
    """Set the language of results and reports.

    Parameters
    ----------
    language : {"en", "fa"}
        English (default) or Persian.
    digits : {"latin", "persian"}, optional
        Digit shapes in numbers; the default is Persian for ``fa``, Latin otherwise.
    """
    check_option("language", language, LANGUAGES)
    check_option("digits", digits or default_digits(language), DIGITS)
    switch(language, digits)


def _from_environment() -> None:
    """The initial language from ``CXMODELS_LANGUAGE`` (and ``CXMODELS_DIGITS``), if set."""
    lang = os.environ.get(ENV_LANGUAGE, "").strip()
    if lang in LANGUAGES:
        digits = os.environ.get(ENV_DIGITS, "").strip()
        set_language(lang, digits if digits in DIGITS else None)


def get_language() -> str:
    """The current language code."""
    return _STATE["language"]


@contextlib.contextmanager
def language(lang: str, digits: str | None = None) -> Iterator[None]:
    """Context manager: ``with cx.i18n.language("fa"): ...``."""
    with kept():
        set_language(lang, digits)
        yield


def is_rtl(lang: str | None = None) -> bool:
    """Whether ``lang`` (default: the current language) is written right to left."""
    return (lang or _STATE["language"]) in RTL


def digits() -> str:
    """The current digit shapes, ``"latin"`` or ``"persian"``."""
    return _STATE["digits"]


def is_english() -> bool:
    """Whether the current language is English (the package's own wording applies)."""
    return _STATE["language"] == "en"


def phrase(part: str, text: str) -> str:
    """A fixed English phrase in the current language: the catalogue's ``<part>.<text>``."""
    key = f"{part}.{text}"
    return t(key) if _STATE["language"] != "en" and has(key) else text


def summary_words(title: str, facts: dict, tables: dict, notes) -> tuple:
    """A result summary's title, fact names, table names and notes in the current language."""
    facts = {phrase("summary", str(k)): v for k, v in facts.items()}
    tables = {phrase("summary", str(k)): v for k, v in tables.items()}
    notes = [localize_digits(phrase("summary", str(n))) for n in notes]
    return localize_digits(phrase("summary", title)), facts, tables, notes


def unit_word(unit: str) -> str:
    """A time unit (``days``, ``weeks``, ``months``, ``years``) in the current language."""
    key = f"churn.unit.{unit}"
    return t(key) if has(key) else str(unit)


def label(name: str, fallback: str | None = None) -> str:
    """The label of a column, driver, segment or category in the current language."""
    key = f"label.{name}"
    cat = catalogue(_STATE["language"])
    if key in cat:
        return cat[key]
    if _STATE["language"] != "en" and key in catalogue("en"):
        return catalogue("en")[key]
    return fallback if fallback is not None else str(name).replace("_", " ")


def to_jalali(date) -> tuple[int, int, int]:
    """The Jalali (Solar Hijri) year, month and day of a Gregorian date."""
    d = pd.Timestamp(date).date()
    j = JalaliDate(d)
    return j.year, j.month, j.day


def format_date(date, calendar: str | None = None, with_gregorian: bool = False) -> str:
    """A date for readers: ``2026-12-01`` in English, ``۱۴۰۵/۰۹/۱۰`` in Persian (Jalali).

    Parameters
    ----------
    date : date-like
    calendar : {"gregorian", "jalali"}, optional
        Default: Jalali when the language is Persian.
    with_gregorian : bool
        Append the Gregorian date in brackets (Jalali only).
    """
    if date is None or (not isinstance(date, str) and pd.isna(date)):
        return ""
    cal = calendar or _STATE["calendar"]
    check_option("calendar", cal, ("gregorian", "jalali"))
    ts = pd.Timestamp(date)
    if cal == "gregorian":
        return localize_digits(ts.strftime("%Y-%m-%d"))
    y, m, d = to_jalali(ts)
    out = localize_digits(f"{y:04d}/{m:02d}/{d:02d}")
    if with_gregorian:
        out += f" ({ts.strftime('%Y-%m-%d')})"
    return out


def today() -> str:
    """Today's date in the current language and calendar."""
    return format_date(_dt.date.today())


@cache
def _font_b64(weight: str) -> str:
    return base64.b64encode((FONTS / f"Vazirmatn-{weight}.woff2").read_bytes()).decode("ascii")


def font_face_css() -> str:
    """``@font-face`` rules embedding Vazirmatn (OFL) as base64 WOFF2, for offline HTML."""
    rules = []
    for weight, css_weight in (("Regular", 400), ("Bold", 700)):
        rules.append(
            "@font-face{font-family:'Vazirmatn';font-style:normal;"
            f"font-weight:{css_weight};font-display:block;"
            f"src:url(data:font/woff2;base64,{_font_b64(weight)}) format('woff2');}}"
        )
    return "\n".join(rules)


RTL_CSS = """
html[dir=rtl] body{font-family:'Vazirmatn',Tahoma,sans-serif;direction:rtl;text-align:right}
html[dir=rtl] table{direction:rtl}
html[dir=rtl] .jp-OutputArea-output table{display:block;max-width:100%;overflow-x:auto}
html[dir=rtl] th,html[dir=rtl] td{text-align:right}
html[dir=rtl] td.num,html[dir=rtl] .cx-num{direction:rtl;unicode-bidi:isolate}
html[dir=rtl] ul,html[dir=rtl] ol{padding-right:1.5em;padding-left:0}
html[dir=rtl] .cx-toc,html[dir=rtl] nav{text-align:right}
bdi{unicode-bidi:isolate}
html[dir=rtl] .jp-RenderedHTMLCommon p,html[dir=rtl] .jp-RenderedHTMLCommon li,html[dir=rtl] p{text-align:right}
html[dir=rtl] table.cx-table caption,html[dir=rtl] table.cx-table th{text-align:right}
html[dir=rtl] .cx-header td,html[dir=rtl] .cx-header th{text-align:right;padding:2px 0 2px 10px}
html[dir=rtl] .cx-finding,html[dir=rtl] .cx-caveat{border-left:0;border-right-width:4px;border-right-style:solid}
html[dir=rtl] .cx-finding{border-right-color:#3a9d5d}
html[dir=rtl] .cx-caveat{border-right-color:#e07b39}
html[dir=rtl] .cx-facts th{text-align:right!important;padding:0 0 0 1em!important}
"""


def html_head(lang: str | None = None) -> str:
    """The ``<style>`` block a report in ``lang`` needs: embedded font and RTL layout."""
    lang = lang or _STATE["language"]
    if lang != "fa":
        return ""
    return f"<style>{font_face_css()}\n{RTL_CSS}</style>"


#: A number as one left-to-right unit: sign, Latin or Persian digits, separators, a per cent
#: sign; dates, clock times and ratios (``2025-12-31``, ``12:30``, ``1/2``) stay whole.
_NUMBER_RUN = (
    r"[-+\u2212]?[0-9\u06f0-\u06f9]+(?:[.,:/\-\u066b\u066c][0-9\u06f0-\u06f9]+)*[%\u066a]?"
)
#: A run of Latin words (code-like names, acronyms, ``top-2-box``), spaces between them.
_WORD_RUN = r"[A-Za-z][A-Za-z0-9_\u06f0-\u06f9]*(?:[.\-/+'][A-Za-z0-9_\u06f0-\u06f9]+)*"
_LTR = re.compile(rf"(?P<words>{_WORD_RUN}(?: +{_WORD_RUN})*)|{_NUMBER_RUN}")
#: A number standing alone (not the digits of an identifier such as ``C0000001``).
_ISOLATED_NUMBER = re.compile(rf"(?<![\w.,\u066b\u066c]){_NUMBER_RUN}(?![\w])")
#: Unicode isolates for plain text (figures, workbooks): LRI ... PDI.
LRI, PDI = "\u2066", "\u2069"


def _bdi(m: re.Match) -> str:
    """Latin words in ``<bdi>`` (their letters set the direction); a number in
    ``<bdi dir="ltr">``: digits and signs are weak, and an isolate without a strong letter
    would take the paragraph's right-to-left direction and put the minus after the number."""
    return f"<bdi>{m.group(0)}</bdi>" if m.group("words") else f'<bdi dir="ltr">{m.group(0)}</bdi>'


def isolate_ltr(text: str) -> str:
    """Wrap each number, and each run of Latin words, in its own ``<bdi>``.

    One isolate per number, so ``95%: -35.8`` reads "95%" first in right-to-left text and the
    minus stays on its number; the words around keep the paragraph's direction. ``text``
    must already be HTML-escaped; tags and character references are left alone.
    """
    parts = re.split(r"(<[^>]+>|&#?\w+;)", text)
    out = []
    for p in parts:
        if p.startswith("<") or (p.startswith("&") and p.endswith(";")):
            out.append(p)
        else:
            out.append(_LTR.sub(_bdi, p))
    return "".join(out)


def isolate_numbers(text: str) -> str:
    """Plain text with each number between LRI and PDI (U+2066, U+2069), in a right-to-left
    language only: figure text and workbook cells, where ``<bdi>`` cannot go."""
    if not is_rtl() or not text:
        return text
    plain = str(text).replace(LRI, "").replace(PDI, "")  # isolating twice changes nothing
    return _ISOLATED_NUMBER.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", plain)


_RANGE_END = r"(\d+(?:\.\d+)?)(h|min)?"
_RANGE = re.compile(rf"{_RANGE_END}\s*[-\u2013]\s*{_RANGE_END}")
_OVER = re.compile(rf"(?:over\s+{_RANGE_END}|{_RANGE_END}\+)")


def _range_end(number: str, unit: str | None) -> str:
    if not unit:
        return number
    return t("effects.band.hours" if unit == "h" else "effects.band.minutes", x=number)


def range_words(text) -> str:
    """A band or range label in words of the current language, ends in reading order.

    ``30-44`` becomes ``30\u201344`` (an en dash) in English and ``۳۰ تا ۴۴`` in Persian;
    ``1h-4h`` ``۱ ساعت تا ۴ ساعت``; ``over 24h`` and ``60+`` ``بیش از ۲۴ ساعت``,
    ``۶۰ و بیشتر``. Anything else is returned as it is.
    """
    if not isinstance(text, str):
        return text
    m = _RANGE.fullmatch(text.strip())
    if m:
        a, b = _range_end(m.group(1), m.group(2)), _range_end(m.group(3), m.group(4))
        return localize_digits(t("word.range", a=a, b=b))
    m = _OVER.fullmatch(text.strip())
    if m:
        if m.group(1):
            return localize_digits(t("effects.band.over", x=_range_end(m.group(1), m.group(2))))
        return localize_digits(t("word.and_over", x=_range_end(m.group(3), m.group(4))))
    return text


_ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;]+[A-Za-z]{2,}){2,}\b")


def english_runs(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Runs of three or more English words in ``text`` (for checking a Persian report).

    Code-like names (with ``_`` or digits), acronyms (NPS, CSAT, HTML) and ``allowed`` words do
    not count.
    """
    runs = []
    for m in _ENGLISH_WORDS.finditer(text):
        words = [w for w in re.split(r"[ ,;]+", m.group(0)) if w]
        real = [w for w in words if not w.isupper() and w not in allowed]
        if len(real) >= 3:
            runs.append(m.group(0))
    return runs


_from_environment()
