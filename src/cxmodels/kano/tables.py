"""Kano answers and evaluation tables: answer wording, positions 1-5, categories A O M I R Q.

Answers are positions 1-5 (1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike) to the
functional and dysfunctional question; an evaluation table (standard, Pouliot's or a custom
5 x 5) maps each pair to a category (Kano et al. 1984). See :mod:`cxmodels.kano`.
"""

from __future__ import annotations

import numpy as np

from .._validation import InputError
from ..data.kano_words import (  # noqa: F401  (the answer wording lives with the data contract)
    LABELS,
    _positions_u8,
    normalize_answers,
    to_positions,
)

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

FUN_SCORE = np.array([4, 2, 0, -1, -2], dtype=float)
DYS_SCORE = np.array([-2, -1, 0, 2, 4], dtype=float)
# rank of each category in the M > O > A > I (> R > Q) order: lower wins
MOAI_RANK = np.array([2, 1, 0, 3, 4, 5])
# rows per block when counting (temporaries of a block stay in the CPU cache)
_CHUNK = 1 << 18
# counts closer than this share of the cell total are a tie (sums of weights such as 1/n)
_TIE_RTOL = 1e-9


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
