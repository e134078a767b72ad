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
import pyarrow as pa
import pyarrow.compute as pc

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
#: Invisible marks that right-to-left exports write into headers, labels and ids: the
#: left-to-right and right-to-left marks (U+200E, U+200F), the Arabic letter mark (U+061C),
#: embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), zero-width space and
#: joiner (U+200B, U+200D), the word joiner (U+2060) and a byte-order mark inside text (U+FEFF).
MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200d\u2060\ufeff"
ZWNJ = "\u200c"  # part of Persian spelling in labels (نمی‌دانم); noise in an id
DIGIT_MAP = {
    **{c: str(i) for i, c in enumerate(PERSIAN_DIGITS)},
    **{c: str(i) for i, c in enumerate(ARABIC_DIGITS)},
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": "",  # Arabic thousands separator
    "\u2212": "-",  # minus sign
    **dict.fromkeys(MARKS, ""),
}
#: Numbers also drop the spaces that group digits (French and Swiss exports write 1 250,00 with
#: a space, a no-break space or a narrow no-break space).
GROUP_SPACES = " \u00a0\u202f"
NUMBER_MAP = {**DIGIT_MAP, **dict.fromkeys(GROUP_SPACES, "")}
LABEL_MAP = {**DIGIT_MAP, "ي": "ی", "ك": "ک", "\u0640": ""}  # Arabic yeh/kaf, tatweel
ID_MAP = {**LABEL_MAP, ZWNJ: ""}
"""The one definition of intake's character normalisation: numbers and dates read through
:data:`DIGIT_MAP`, labels and header names through :data:`LABEL_MAP`, identifiers through
:data:`ID_MAP`. The pandas engine applies them with :meth:`str.translate`, the DuckDB engine with
SQL ``translate`` built from the same maps (:func:`sql_translate`)."""
_DIGITS = str.maketrans(DIGIT_MAP)
_LETTERS = str.maketrans(LABEL_MAP)
_IDS = str.maketrans(ID_MAP)
#: A number whose other mark groups its digits in threes, by decimal mark: ``1,250`` and
#: ``3,250,000.5`` with a decimal point, ``1.250`` and ``1.234,56`` with a decimal comma. Any
#: other use of the other mark (``0.59`` where the mark is a comma) is not a number (both
#: engines; :func:`numeric_text`).
GROUPED = {
    ".": r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?",
    ",": r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?",
}
_GROUPED = {mark: re.compile(rx, re.ASCII) for mark, rx in GROUPED.items()}
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
    """``s`` as an Arrow chunked string array (the column's own chunks for a :data:`TEXT`
    column: no copy, however many row groups it was read from)."""
    if not is_text(s):
        s = s.astype(TEXT)
    return s.array.__arrow_array__()


def distinct(s: pd.Series) -> list:
    """The distinct values of ``s``, missing ones aside, in order of appearance (a :data:`TEXT`
    column's by Arrow's hash, without a copy of the column)."""
    if is_text(s):
        return pc.unique(arrow_text(s)).drop_null().to_pylist()
    return list(pd.unique(s.dropna()))


def empty_share(s: pd.Series) -> float:
    """The share of missing values of ``s`` (a :data:`TEXT` column's from Arrow's null count)."""
    if not len(s):
        return 0.0
    if is_text(s):
        return arrow_text(s).null_count / len(s)
    return float(s.isna().mean())


def string_parts(chunk) -> tuple[np.ndarray, np.ndarray]:
    """The offsets and the bytes of one Arrow string array as numpy views (no copy).

    Value ``i`` is ``data[offsets[i]:offsets[i + 1]]`` (UTF-8 bytes); a missing value's slot
    is empty.
    """
    wide = pa.types.is_large_string(chunk.type)
    bufs = chunk.buffers()
    n = len(chunk)
    if n == 0 or bufs[1] is None:
        return np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.uint8)
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[chunk.offset : chunk.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.empty(0, np.uint8)
    return offsets, data


def all_ascii(arr) -> bool:
    """True when every value of the Arrow string array ``arr`` is ASCII (a missing one too):
    no byte of its values has the high bit set, checked eight bytes at a time."""
    for chunk in getattr(arr, "chunks", [arr]):
        offsets, data = string_parts(chunk)
        text = data[offsets[0] : offsets[-1]]
        whole = len(text) // 8 * 8
        high = np.uint64(0x8080808080808080)
        if (text[:whole].view(np.uint64) & high).any() or (text[whole:] & 0x80).any():
            return False
    return True


def plainly_trimmed(arr) -> bool:
    """True when no value of the Arrow string array ``arr`` is blank or begins or ends with
    anything but a printable ASCII character (so no trimming can change one).

    One gather of each value's first and last byte: a 12-million-row id column is settled
    without building its trimmed copy. False only means "look closer".
    """
    for chunk in getattr(arr, "chunks", [arr]):
        offsets, data = string_parts(chunk)
        if len(chunk) == 0:
            continue
        starts, stops = offsets[:-1], offsets[1:]
        filled = stops > starts
        if chunk.null_count:
            valid = chunk.is_valid().to_numpy(zero_copy_only=False)
            if (valid & ~filled).any():
                return False
            starts, stops = starts[valid], stops[valid]
        elif not filled.all():
            return False
        for ends in (data[starts], data[stops - 1]):
            if ((ends - np.uint8(0x21)) > 0x7E - 0x21).any():  # below '!' wraps round
                return False
    return True


def plain_labels(arr) -> bool:
    """True when :func:`normalize_label` changes no value of the Arrow string array ``arr``:
    every value printable ASCII, trimmed, not blank, with no two spaces together.

    Byte passes over the column (no value is looked at in Python); False only means "look
    closer".
    """
    if not plainly_trimmed(arr):
        return False
    for chunk in getattr(arr, "chunks", [arr]):
        offsets, data = string_parts(chunk)
        text = data[offsets[0] : offsets[-1]]
        if ((text - np.uint8(0x20)) > 0x7E - 0x20).any():  # controls, DEL and non-ASCII
            return False
        space = text == 0x20  # no value ends in a space: two together are inside one value
        if (space[1:] & space[:-1]).any():
            return False
    return True


def text_from_codes(codes: np.ndarray, values, index) -> pd.Series:
    """``values[codes]`` as a :data:`TEXT` column (code -1 or a missing value: NaN).

    Built by Arrow's ``take`` from the distinct values, never one Python object per row.
    """
    vals = pa.array([v if isinstance(v, str) else None for v in values], type=pa.large_string())
    codes = np.asarray(codes)
    idx = pa.array(codes, mask=codes < 0)  # in the codes' own width (int8 for a few topics)
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
    """Trim, collapse inner spaces, Arabic ``ي``/``ك`` to Persian ``ی``/``ک``, ASCII digits,
    invisible direction and zero-width marks removed (:data:`LABEL_MAP`)."""
    if not isinstance(text, str):
        return text
    return _SPACES.sub(" ", text.translate(_LETTERS)).strip()


def normalize_id(text):
    """An identifier as keys compare: :data:`ID_MAP` (ASCII digits, Persian letters, no
    invisible marks), trimmed; blank is missing."""
    if not isinstance(text, str):
        return text
    return text.translate(_IDS).strip() or None


def clean_ids(s: pd.Series) -> pd.Series:
    """A :data:`TEXT` id column through :func:`normalize_id`; only the values that are not
    ASCII are looked at (one Arrow pass decides), so a clean 12-million-row column is
    returned as it is."""
    arr = arrow_text(s)
    if all_ascii(arr):
        return s
    odd = pc.invert(pc.string_is_ascii(arr)).fill_null(False).to_numpy(zero_copy_only=False)
    out = s.copy()
    out[odd] = map_unique(s[odd], normalize_id).astype(TEXT)
    return out


def sql_translate(expr: str, mapping: dict[str, str]) -> str:
    """DuckDB's ``translate`` of ``expr`` by ``mapping`` (one character to one or none)."""
    kept = [(a, b) for a, b in mapping.items() if b]
    src = "".join(a for a, _ in kept) + "".join(a for a, b in mapping.items() if not b)
    dst = "".join(b for _, b in kept)
    return f"translate({expr}, '{src}', '{dst}')"


def canonical_name(name) -> str:
    """A column name as the contract spells it: ``'Overall Sat'`` -> ``'overall_sat'``."""
    text = normalize_label(str(name)).lower()
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


def numeric_text(s: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers written as text (any digits, decimal comma when ``decimal == ','``) as floats.

    The other mark is read only as thousands grouping the digits in threes (:data:`GROUPED`).
    Values that are not numbers become NaN; the caller reports them.
    """
    chars, group = str.maketrans(number_map(decimal)), "," if decimal == "." else "."

    def one(v):
        t = str(v).translate(chars).strip()
        if group in t:
            if not _GROUPED[decimal].fullmatch(t):
                return None
            t = t.replace(group, "")
        return t.replace(",", ".")

    return pd.to_numeric(map_unique(s, one), errors="coerce")


def number_map(decimal: str) -> dict[str, str]:
    """:data:`NUMBER_MAP` for numbers whose decimal mark is ``decimal``: the Arabic decimal
    separator (U+066B) becomes that mark."""
    return {**NUMBER_MAP, "\u066b": decimal}


def whole_numbers(s: pd.Series) -> pd.Series:
    """Numbers read from text as a CSV reader types them: whole numbers with none missing as
    ``int64``, others as they are (the DuckDB engine's ``DOUBLE`` columns read from CSV)."""
    if s.dtype.kind != "f" or s.isna().any() or not (s % 1 == 0).all():
        return s
    return s.astype("int64")
