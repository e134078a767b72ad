"""Kano answer wording: questionnaire words and positions 1-5, read by the loader and by
:mod:`cxmodels.kano` alike.

Answers are positions 1-5 (1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike) to the
functional and dysfunctional question, written as numbers or as a questionnaire's words
(English or Persian, with Arabic or Persian yeh and kaf). This is vocabulary of the data
contract, so it lives in :mod:`cxmodels.data`: the loader types answers with it without
importing the model package.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from .._validation import fail

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


def _normal_text(s: str) -> str:
    """Case-, space-, punctuation- and script-variant-insensitive form of an answer label."""
    t = unicodedata.normalize("NFKC", str(s)).casefold()
    t = t.replace("\u200c", " ").replace("\u200f", "").replace("\u200e", "")
    t = t.translate(str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "’": "'", "‘": "'"}))
    t = re.sub(r"[.!،,;:«»\"()]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


_LABEL_TO_POS = {_normal_text(w): k for k, words in LABELS.items() for w in words}


def wording(values) -> dict:
    """``{value: position 1-5}`` for the values written as a questionnaire's wording
    (:data:`LABELS`, either yeh and kaf); numbers and unknown words are left out.

    Both engines read Kano answers through it: the pandas engine maps a column's distinct
    values, the DuckDB engine turns the mapping into SQL.
    """
    out = {}
    for v in values:
        pos = _LABEL_TO_POS.get(_normal_text(v)) if isinstance(v, str) else None
        if pos is not None:
            out[v] = pos
    return out


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
