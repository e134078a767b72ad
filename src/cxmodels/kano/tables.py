"""Kano answers and evaluation tables: answer wording, positions 1-5, categories A O M I R Q.

Answers are positions 1-5 (1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike) to the
functional and dysfunctional question; an evaluation table (standard, Pouliot's or a custom
5 x 5) maps each pair to a category (Kano et al. 1984). See :mod:`cxmodels.kano`.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from .._validation import InputError, fail

CATS = ("A", "O", "M", "I", "R", "Q")
_A, _O, _M, _I, _R, _Q = range(6)
NAMES = {
    "A": "attractive",
    "O": "one-dimensional",
    "M": "must-be",
    "I": "indifferent",
    "R": "reverse",
    "Q": "questionable",
}
RULES = ("mode", "moai", "aom")

_STD = [
    "QAAAO",  # functional like
    "RIIIM",  # must-be
    "RIIIM",  # neutral
    "RIIIM",  # live-with
    "RRRRQ",  # dislike
]
_POULIOT = ["QAAAO", "RQIIM", "RIIIM", "RIIQM", "RRRRQ"]
TABLES = {"standard": _STD, "pouliot": _POULIOT}

#: Answer wordings of common questionnaires (compared after :func:`_normal_text`).
LABELS = {
    1: [
        "like",
        "i like it",
        "i like it that way",
        "i like it this way",
        "like it",
        "i like",
        "delighted",
        "satisfied",
        "i enjoy it",
        "خوشم می آید",
        "خوشم میاد",
        "دوست دارم",
    ],
    2: [
        "must-be",
        "must be",
        "it must be",
        "it must be that way",
        "it must be this way",
        "must be that way",
        "i expect it",
        "expect it",
        "expected",
        "i expect it that way",
        "it is a basic necessity",
        "باید این طور باشد",
        "باید اینطور باشد",
        "باید باشد",
        "انتظار دارم",
    ],
    3: [
        "neutral",
        "i am neutral",
        "i'm neutral",
        "i don't care",
        "i do not care",
        "indifferent",
        "no feeling",
        "i feel neutral",
        "برایم فرقی نمی کند",
        "برایم فرقی ندارد",
        "فرقی نمی کند",
        "بی تفاوتم",
    ],
    4: [
        "live-with",
        "live with",
        "i can live with it",
        "i can live with it that way",
        "can live with it",
        "tolerate",
        "i can tolerate it",
        "i can tolerate it that way",
        "tolerate it",
        "accept",
        "i can accept it",
        "i accept it",
        "می توانم تحمل کنم",
        "میتوانم تحمل کنم",
        "قابل تحمل است",
    ],
    5: [
        "dislike",
        "i dislike it",
        "i dislike it that way",
        "dislike it",
        "i don't like it",
        "i do not like it",
        "dissatisfied",
        "خوشم نمی آید",
        "خوشم نمیاد",
        "دوست ندارم",
    ],
}
FUN_SCORE = np.array([4, 2, 0, -1, -2], dtype=float)
DYS_SCORE = np.array([-2, -1, 0, 2, 4], dtype=float)
# rank of each category in the M > O > A > I (> R > Q) order: lower wins
MOAI_RANK = np.array([2, 1, 0, 3, 4, 5])
# rows per block when counting (temporaries of a block stay in the CPU cache)
_CHUNK = 1 << 18
# counts closer than this share of the cell total are a tie (sums of weights such as 1/n)
_TIE_RTOL = 1e-9


def _normal_text(s: str) -> str:
    """Case-, space-, punctuation- and script-variant-insensitive form of an answer label."""
    t = unicodedata.normalize("NFKC", str(s)).casefold()
    t = t.replace("\u200c", " ").replace("\u200f", "").replace("\u200e", "")
    t = t.translate(str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "’": "'", "‘": "'"}))
    t = re.sub(r"[.!،,;:«»\"()]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


_LABEL_TO_POS = {_normal_text(w): k for k, words in LABELS.items() for w in words}


def _table_array(table) -> np.ndarray:
    rows = TABLES.get(table, table) if isinstance(table, str) else table
    ok = not isinstance(rows, str) and len(rows) == 5
    ok = ok and all(isinstance(r, str) and len(r) == 5 and set(r) <= set(CATS) for r in rows)
    if not ok:
        raise InputError(
            f"[error] table: {table!r} is not 'standard', 'pouliot' or a 5x5 table. "
            "Fix: pass one of the names or five rows of five letters from AOMIRQ."
        )
    return np.array([[CATS.index(c) for c in row] for row in rows], dtype=np.int8).ravel()


def _bad_answers(s: pd.Series, bad: np.ndarray, column: str, table: str) -> None:
    rows = s.index[bad]
    fail(
        table,
        column,
        f"answers that are not positions 1-5 or known labels (e.g. {s[rows[0]]!r})",
        "code answers 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike "
        "(or use the questionnaire wording, see cx.kano.LABELS)",
        [f"row {r}" for r in rows],
    )


def _positions_u8(
    answers,
    *,
    reversed_scale: bool = False,
    column: str = "functional",
    table: str = "kano_answers",
) -> np.ndarray:
    """Answers as uint8 positions 1-5, 0 for missing; one error naming the rows otherwise.

    Numbers are checked with two comparisons; text is mapped once per distinct label.
    """
    s = answers if isinstance(answers, pd.Series) else pd.Series(answers)
    if pd.api.types.is_bool_dtype(s):
        _bad_answers(s, np.ones(len(s), bool), column, table)
    if pd.api.types.is_integer_dtype(s) and not isinstance(
        s.dtype, pd.api.extensions.ExtensionDtype
    ):
        x = s.to_numpy()
        if x.dtype.itemsize == 1:  # int8/uint8: one unsigned comparison, 1..5 -> 0..4
            u = x.view(np.uint8)
            bad = (u - np.uint8(1)) > 4
        else:
            u, bad = None, (x < 1) | (x > 5)
        if bad.any():
            _bad_answers(s, bad, column, table)
        pos = x.astype(np.uint8) if u is None else u  # read-only use: callers build new arrays
    elif pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(x)
        bad = ~miss & ((x < 1) | (x > 5) | (x % 1 != 0))
        if bad.any():
            _bad_answers(s, bad, column, table)
        pos = np.where(miss, 0, x).astype(np.uint8)
    else:
        codes, uniques = pd.factorize(s, sort=False)
        keys = [_normal_text(u) for u in uniques]
        num = pd.to_numeric(pd.Series(keys, dtype=object), errors="coerce").to_numpy(float)
        mapped = np.array([_LABEL_TO_POS.get(k, np.nan) for k in keys], dtype=float)
        mapped = np.where(np.isnan(mapped) & np.isin(num, [1, 2, 3, 4, 5]), num, mapped)
        if np.isnan(mapped).any():
            _bad_answers(s, np.isin(codes, np.flatnonzero(np.isnan(mapped))), column, table)
        lut = np.append(mapped, 0).astype(np.uint8)  # code -1 (missing) -> 0
        pos = lut[codes]
    if reversed_scale:
        pos = np.where(pos > 0, 6 - pos, 0).astype(np.uint8)
    return pos


def normalize_answers(
    answers, *, reversed_scale: bool = False, column: str | None = None, table: str = "kano_answers"
) -> pd.Series:
    """Kano answers as positions 1-5 (float, NaN where missing), from numbers or wording.

    Accepts positions 1-5 and the wording of common questionnaires, case-, space- and
    punctuation-insensitive: "I like it" (1), "It must be" / "I expect it" (2), "I am neutral" /
    "I don't care" (3), "I can live with it" / "I can tolerate it" / "Accept" (4), "I dislike it"
    (5), and the Persian wording «خوشم می‌آید», «باید این‌طور باشد», «برایم فرقی نمی‌کند»,
    «می‌توانم تحمل کنم», «خوشم نمی‌آید» (see :data:`LABELS`).

    Parameters
    ----------
    answers : Series or array-like
    reversed_scale : bool
        The questionnaire lists the options from dislike (1) to like (5).
    column, table : str
        Names used in the error message (default: the Series' name).

    Returns
    -------
    Series
        Positions 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike; same index and name.

    Raises
    ------
    InputError
        Naming the rows whose answers are neither positions 1-5 nor a known wording.
    """
    s = answers if isinstance(answers, pd.Series) else pd.Series(answers)
    col = column or (str(s.name) if s.name is not None else "functional")
    pos = _positions_u8(s, reversed_scale=reversed_scale, column=col, table=table)
    return pd.Series(np.where(pos == 0, np.nan, pos), index=s.index, name=s.name)


def to_positions(answers, **options) -> np.ndarray:
    """Map answers (positions 1-5 or common wordings) to a float array of positions 1-5.

    The array form of :func:`normalize_answers` (same options; kept for code written against
    0.1).
    """
    return normalize_answers(answers, **options).to_numpy(dtype=float)


def classify(functional, dysfunctional, table="standard") -> np.ndarray:
    """Kano category of each answer pair (vectorized).

    Parameters
    ----------
    functional, dysfunctional : array-like of positions 1-5 or answer wording
    table : "standard", "pouliot" or five strings of five letters (rows functional, columns
        dysfunctional, both in the order like, must-be, neutral, live-with, dislike).

    Returns
    -------
    ndarray of str: ``A``, ``O``, ``M``, ``I``, ``R``, ``Q`` (``""`` where an answer is missing).
    """
    f = _positions_u8(functional, column="functional")
    d = _positions_u8(dysfunctional, column="dysfunctional")
    codes = _lookup6(_table_array(table))[f * 6 + d]
    return np.array(CATS + ("",), dtype=object)[np.where(codes < 0, 6, codes)]


def _lookup6(tab: np.ndarray) -> np.ndarray:
    """36-entry lookup from ``f * 6 + d`` (positions, 0 = missing) to category codes (-1 missing)."""
    t6 = np.full((6, 6), -1, dtype=np.int8)
    t6[1:, 1:] = tab.reshape(5, 5)
    return t6.ravel()
