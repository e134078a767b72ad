"""Text normalisation for intake: digits, separators, letters and column names.

Exports from Iranian and Arabic systems write Persian (U+06F0-U+06F9) or Arabic-Indic
(U+0660-U+0669) digits, the Arabic decimal separator (U+066B) and thousands separator (U+066C),
and Arabic ``ي``/``ك`` where Persian text uses ``ی``/``ک``. Everything here works on the unique
values of a column and maps back, so a 12-million-row column costs one pass over its distinct
values.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_DIGITS = str.maketrans(
    {
        **{c: str(i) for i, c in enumerate(PERSIAN_DIGITS)},
        **{c: str(i) for i, c in enumerate(ARABIC_DIGITS)},
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": "",  # Arabic thousands separator
        "\u2212": "-",  # minus sign
    }
)
_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "\u0640": ""})  # Arabic ye/kaf, tatweel
_NON_ASCII_DIGIT = re.compile(f"[{PERSIAN_DIGITS}{ARABIC_DIGITS}\u066b\u066c]")
_SPACES = re.compile(r"\s+")


def map_unique(s: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """Apply ``fn`` to each distinct non-missing value of ``s`` once and map the results back."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return s
    mapped = np.array([fn(u) for u in uniques], dtype=object)
    out = np.where(codes >= 0, mapped[np.maximum(codes, 0)], None)
    return pd.Series(out, index=s.index, dtype=object)


def has_eastern_digits(values) -> bool:
    """True when any value holds Persian or Arabic-Indic digits or Arabic separators."""
    return any(isinstance(v, str) and _NON_ASCII_DIGIT.search(v) for v in values)


def to_ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits to ASCII; U+066B to ``.``; U+066C dropped."""
    return text.translate(_DIGITS) if isinstance(text, str) else text


def normalize_label(text):
    """Trim, collapse inner spaces, Arabic ``ي``/``ك`` to Persian ``ی``/``ک``, ASCII digits."""
    if not isinstance(text, str):
        return text
    return _SPACES.sub(" ", text.translate(_LETTERS).translate(_DIGITS)).strip()


def canonical_name(name) -> str:
    """A column name as the contract spells it: ``'Overall Sat'`` -> ``'overall_sat'``."""
    text = normalize_label(str(name)).lower()
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


def numeric_text(s: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers written as text (any digits, decimal comma when ``decimal == ','``) as floats.

    Values that are not numbers become NaN; the caller reports them.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s

    def one(v):
        t = to_ascii_digits(str(v)).strip().replace("\u00a0", "").replace(" ", "")
        if decimal == ",":
            t = t.replace(".", "").replace(",", ".")
        return t

    return pd.to_numeric(map_unique(s, one), errors="coerce")
