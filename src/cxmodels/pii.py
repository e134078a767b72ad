"""Personal data in free text: masking comments before any of them is shown, and finding
contact details on a page (the privacy gate of the reports, :mod:`cxmodels.reports.privacy`).

Masked, in this order (each placeholder is language-neutral and never read as a word by the
models): e-mail addresses ``[email]``; 16-digit card numbers ``[card]`` (in groups of four or
run together); phone numbers ``[phone]`` (Iranian mobiles 09xx / +98 9xx / 0098, Iranian
landlines 0xx-xxxxxxxx, international numbers with a ``+`` or ``00`` prefix); Iranian 10-digit
national ids ``[id]`` (also written 3-6-1 with dashes); any other run of 8 or more digits
``[number]``; and a name after a greeting or a title (English *Hi John*, *Dear Ms Smith*,
*thanks to Sarah*; Persian *آقای رضایی*, *خانم احمدی*, *علی جان*) ``[name]``. Digits may be
ASCII, Persian or Arabic-Indic.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_D = "[0-9\u06f0-\u06f9\u0660-\u0669]"  # a digit of any of the three shapes
_SEP = r"[\s\-.]?"
_0, _9, _8 = "[0\u06f0\u0660]", "[9\u06f9\u0669]", "[8\u06f8\u0668]"
_PLUS = rf"(?:\+|{_0}{_0})"
_PATTERNS = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[card]", re.compile(rf"(?<!{_D})(?:{_D}{{4}}[\s\-]?){{3}}{_D}{{4}}(?!{_D})")),
    (
        "[phone]",
        re.compile(
            rf"(?<![\w+])(?:{_PLUS}{_SEP}{_9}{_8}{_SEP}\(?{_0}?\)?{_SEP}|{_0}){_9}{_D}{{2}}{_SEP}{_D}{{3}}"
            rf"{_SEP}{_D}{{2}}{_SEP}{_D}{{2}}(?!{_D})"
        ),
    ),
    (
        "[phone]",  # Iranian landline: 0 + 2-3 digit area code + 8 digits (021-88776655)
        re.compile(rf"(?<!{_D})\(?{_0}{_D}{{2,3}}\)?{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}(?!{_D})"),
    ),
    ("[id]", re.compile(rf"(?<!{_D}){_D}{{3}}-?{_D}{{6}}-?{_D}(?!{_D})")),
    (
        "[phone]",  # international: + or 00, country code, then groups, 8-15 digits in all
        re.compile(rf"(?<![\w+]){_PLUS}{_D}{{1,3}}(?:[\s\-.]?\(?{_D}{{1,4}}\)?){{2,5}}(?!{_D})"),
    ),
    ("[number]", re.compile(rf"(?<!{_D}){_D}(?:[\s\-]?{_D}){{7,}}(?!{_D})")),
)
_EN_NAME = r"[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?"
_EN_GREETING = re.compile(
    rf"\b((?:[Hh]i|[Hh]ello|[Hh]ey|[Dd]ear|[Tt]hanks(?: to)?|[Tt]hank you|[Mm]r\.?|[Mm]rs\.?"
    rf"|[Mm]s\.?|[Mm]iss|[Dd]r\.?)\s+)(?!I\b|The\b|Team\b|All\b|Everyone\b){_EN_NAME}"
)
_FA_WORD = "[\u0622-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]+"
_FA_TITLE = re.compile(
    rf"((?:آقای|اقای|آقا|خانم|جناب|سرکار|دکتر|مهندس|همکارتان|همکارتون)[\s\u200c]+){_FA_WORD}"
)
_FA_DEAR = re.compile(rf"(?<![\w\u0600-\u06ff]){_FA_WORD}(?=[\s\u200c]+جان\b)")


#: The contact details a page must never show: e-mails, card numbers, phones, national ids
#: (the privacy gate of the reports looks for these; ``[number]`` and names are masked in
#: comments but would match ordinary numbers and words in a report's tables).
CONTACT_TOKENS = ("[email]", "[card]", "[phone]", "[id]")
#: A phone number, card or id has at least 8 digits (``#006064`` in a style sheet has 6).
MIN_CONTACT_DIGITS = 8
_DIGIT = re.compile(_D)
_DECIMAL_MARKS = {".", ",", "/", "\u066b", "\u066c"}  # digits after these are a number's tail


def contact_details(text: str) -> list[str]:
    """The e-mails, card numbers, phone numbers (Iranian and international, any digits) and
    Iranian national ids in ``text``, as written."""
    found: list[str] = []
    for token, pattern in _PATTERNS:
        if token == "[email]":
            found += pattern.findall(text)
            text = pattern.sub(token, text)
        elif token in CONTACT_TOKENS:
            found += [
                m.group(0).strip()
                for m in pattern.finditer(text)
                if len(_DIGIT.findall(m.group(0))) >= MIN_CONTACT_DIGITS
                and text[max(m.start() - 1, 0) : m.start()] not in _DECIMAL_MARKS
            ]
            text = pattern.sub(token, text)
    return found


def mask_text(text) -> str:
    """One comment with phone numbers, e-mails, ids, card numbers and names masked.

    Examples
    --------
    >>> mask_text("call 0912 345 6789 or a.b@example.com, thanks Sara")
    'call [phone] or [email], thanks [name]'
    """
    if not isinstance(text, str):
        return text
    for token, pattern in _PATTERNS:
        text = pattern.sub(token, text)
    text = _EN_GREETING.sub(r"\1[name]", text)
    text = _FA_TITLE.sub(r"\1[name]", text)
    return _FA_DEAR.sub("[name]", text)


def mask(texts: pd.Series) -> pd.Series:
    """:func:`mask_text` of every comment, computed once per distinct text."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    done = np.array([mask_text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(done[codes], index=texts.index)
