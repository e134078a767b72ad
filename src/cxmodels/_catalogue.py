"""The message catalogues and the current language: the layer below the validation layer.

:mod:`cxmodels._validation` words its error frame from the catalogue, and :mod:`cxmodels.i18n`
checks a requested language with the validation layer; so the catalogue and the language state
live here, below both, and :mod:`cxmodels.i18n` (the public surface: ``cx.set_language``,
``i18n.t``, dates, fonts, bidirectional text) is built on them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

#: The folder of the catalogues: one sub-folder per language, one JSON file per part.
CATALOGUES = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "fa")
DIGITS = ("latin", "persian")
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_STATE = {"language": "en", "digits": "latin", "calendar": "gregorian"}


@cache
def catalogue(language: str) -> dict[str, str]:
    """The message catalogue of ``language`` (key -> template)."""
    if language not in LANGUAGES:  # cx.set_language says it in the validation layer's words
        raise KeyError(f"no message catalogue for language {language!r} (have {LANGUAGES})")
    out: dict[str, str] = {}
    for f in sorted((CATALOGUES / language).glob("*.json")):
        part = json.loads(f.read_text(encoding="utf-8"))
        clash = set(part) & set(out)
        if clash:
            raise KeyError(f"message keys defined twice in {language}/: {sorted(clash)}")
        out.update(part)
    return out


def default_digits(language: str) -> str:
    """The digit shapes of ``language`` unless asked otherwise: Persian for ``fa``."""
    return "persian" if language == "fa" else "latin"


def switch(language: str, digits: str | None = None) -> None:
    """Set the language state as given (unchecked: :func:`cxmodels.i18n.set_language` checks)."""
    _STATE.update(
        language=language,
        digits=digits or default_digits(language),
        calendar="jalali" if language == "fa" else "gregorian",
    )


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """The language state as it is now, restored when the block ends."""
    saved = dict(_STATE)
    try:
        yield
    finally:
        _STATE.update(saved)


def t(key: str, /, **values) -> str:
    """The message ``key`` in the current language, filled with ``values`` and localised digits.

    Falls back to English when the current catalogue lacks the key (a test checks that none
    does); raises ``KeyError`` for a key no catalogue has.
    """
    cat = catalogue(_STATE["language"])
    template = cat.get(key)
    if template is None:
        template = catalogue("en")[key]
    return localize_digits(template.format(**values)) if values else template


def has(key: str) -> bool:
    """Whether ``key`` is a message (in English, the reference catalogue)."""
    return key in catalogue("en")


_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?!\.\d)(?!\w)%?")


def localize_digits(text: str, digits: str | None = None) -> str:
    """Numbers in ``text`` with the current digit shapes.

    With Persian digits, ``1,234.5`` becomes ``۱٬۲۳۴٫۵`` (Arabic thousands separator U+066C and
    decimal separator U+066B); digits inside identifiers such as ``attr_2`` are left alone.
    """
    if (digits or _STATE["digits"]) != "persian" or not text:
        return text

    def conv(m: re.Match) -> str:
        s = m.group(0).replace(",", "\u066c").replace(".", "\u066b").replace("%", "\u066a")
        return s.translate(_PERSIAN)

    return _NUMBER.sub(conv, str(text))
