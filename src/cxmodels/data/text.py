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

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
"""The dtype of loaded text columns: Arrow-backed strings, NaN where missing.

This is pandas 3's default ``str`` dtype: a 12-million-row id column takes its bytes rather
than a Python object per row, and checks on it (blanks, uniqueness, lookups) run in Arrow.
"""


def is_text(s) -> bool:
    """True for a column of the :data:`TEXT` dtype."""
    return s.dtype == TEXT


def arrow_text(s: pd.Series):
    """``s`` as one Arrow string array (no copy for a :data:`TEXT` column)."""
    import pyarrow as pa

    if is_text(s):
        return pa.array(s.array)
    return pa.array(s.astype(TEXT).array)


def text_from_codes(codes: np.ndarray, values, index) -> pd.Series:
    """``values[codes]`` as a :data:`TEXT` column (code -1 or a missing value: NaN).

    Built by Arrow's ``take`` from the distinct values, never one Python object per row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    vals = pa.array([v if isinstance(v, str) else None for v in values], type=pa.large_string())
    idx = pa.array(np.asarray(codes, dtype=np.int64), mask=np.asarray(codes) < 0)
    return pd.Series(pc.take(vals, idx), index=index, dtype=TEXT)


def map_unique(s: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """Apply ``fn`` to each distinct non-missing value of ``s`` once and map the results back."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return s
    mapped = np.array([fn(u) for u in uniques], dtype=object)
    if all(isinstance(v, str) or v is None for v in mapped):
        return text_from_codes(codes, mapped, s.index)
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
