"""One design-matrix builder for every model: encoding, naming, missing values, rank checks.

:func:`build_design` turns the covariate columns of a DataFrame into one float matrix:

* numbers stay as they are; booleans become 0/1;
* categorical columns (strings, ``category``, objects) become one indicator column per level
  except the **reference level** (the first level in sorted order, or the one named in
  ``reference``), named ``"<covariate>: <level>"`` (for example ``"segment: premium"``), the one
  naming convention of cxmodels' tables;
* missing values follow one policy: ``missing="drop"`` drops the rows listwise and counts them
  per covariate (:attr:`Design.missing`, :meth:`Design.missing_note`), ``missing="error"``
  refuses them naming the rows;
* infinite values, all-missing columns, constant columns and perfectly collinear columns are
  refused with one :class:`~cxmodels.InputError` naming the covariate and the fix; the constant
  and collinear checks are independent of the columns' scales (see :mod:`cxmodels._linalg`).

The result is a small :class:`Design` dataclass that can encode new data the same way
(:meth:`Design.transform`), so predictions use the fit's levels and reference.

Example
-------
>>> d = build_design(df, ["overall_sat", "segment"], reference={"segment": "consumer"})
>>> d.columns
('overall_sat', 'segment: business', 'segment: premium')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._format import label as _label
from ._linalg import collinear_columns, constant_mask
from ._validation import as_list, check_option, fail, require_columns

MISSING = ("drop", "error")
SEPARATOR = ": "


def column_name(covariate: str, level) -> str:
    """The design-column name of one level of a categorical covariate: ``"segment: premium"``."""
    return f"{covariate}{SEPARATOR}{level}"


def _is_plain_number(s: pd.Series) -> bool:
    return isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf"


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)


@dataclass(frozen=True, eq=False, repr=False)
class Design:
    """An encoded design matrix with the encoding needed to repeat it on new data.

    Attributes
    ----------
    X : ndarray (n_used x p), float
        The design of the rows kept (no intercept).
    columns : tuple of str
        Design-column names: the covariate for numbers, ``"covariate: level"`` for levels.
    terms : dict
        Covariate -> its design columns (one for a number, one per non-reference level).
    levels : dict
        Categorical covariate -> its levels, the reference first.
    keep : ndarray of bool or None
        Rows of the input that were used (``None``: all of them).
    missing : dict
        Covariate -> number of input rows with a missing value in it.
    n_input : int
        Rows of the input table.
    table : str
        The table name used in messages.
    """

    X: np.ndarray
    columns: tuple[str, ...]
    terms: dict[str, tuple[str, ...]]
    levels: dict[str, tuple[str, ...]]
    keep: np.ndarray | None
    missing: dict[str, int] = field(default_factory=dict)
    n_input: int = 0
    table: str = "data"

    @property
    def n(self) -> int:
        """Rows used."""
        return len(self.X)

    @property
    def n_dropped(self) -> int:
        """Rows dropped for a missing value."""
        return self.n_input - self.n

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(self.terms)

    @property
    def reference(self) -> dict[str, str]:
        """Categorical covariate -> its reference level."""
        return {c: lv[0] for c, lv in self.levels.items()}

    def term_of(self, column: str) -> str:
        """The covariate a design column belongs to."""
        for t, cols in self.terms.items():
            if column in cols:
                return t
        raise KeyError(column)

    def level_of(self, column: str) -> str | None:
        """The level a design column stands for (``None`` for a numeric covariate)."""
        t = self.term_of(column)
        return column[len(t) + len(SEPARATOR) :] if t in self.levels else None

    def label(self, column: str, labels: dict[str, str] | None = None) -> str:
        """A design column as a reader would say it: ``"segment premium"``, ``"overall satisfaction"``."""
        t = self.term_of(column)
        lv = self.level_of(column)
        return _label(t, labels) if lv is None else f"{_label(t, labels)} {_label(lv, labels)}"

    def frame(self, index=None) -> pd.DataFrame:
        """The design as a DataFrame (no copy of the float block)."""
        return pd.DataFrame(self.X, columns=list(self.columns), index=index, copy=False)

    def missing_note(self) -> str | None:
        """``"12 rows with a missing covariate dropped (overall_sat 10, segment 2)."`` or None."""
        if not self.n_dropped:
            return None
        per = ", ".join(f"{_label(c)} {k:,}" for c, k in self.missing.items() if k)
        return f"{self.n_dropped:,} rows with a missing covariate dropped ({per})."

    def transform(self, df: pd.DataFrame, table: str | None = None) -> np.ndarray:
        """Encode ``df`` with this design's levels and reference; missing values stay NaN.

        A level the fit never saw is refused (it has no coefficient).
        """
        table = table or self.table
        require_columns(df, list(self.terms), table)
        arrays = []
        for c in self.terms:
            s = df[c]
            if c not in self.levels:
                arrays.append(_numeric(s, table, c)[:, None])
                continue
            arrays.append(_indicators(s, self.levels[c], table, c, strict=True))
        return np.hstack(arrays) if arrays else np.empty((len(df), 0))

    def __repr__(self) -> str:
        return (
            f"<Design: {self.n:,} rows x {len(self.columns)} columns ({self.n_dropped:,} dropped)>"
        )


def _numeric(s: pd.Series, table: str, c: str) -> np.ndarray:
    a = s.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(a)
    if inf.any():
        fail(table, c, "holds infinite values", "replace them or drop those rows", s.index[inf])
    return a


def _indicators(s: pd.Series, levels, table: str, c: str, strict: bool = False) -> np.ndarray:
    """One 0/1 column per non-reference level (NaN where ``s`` is missing)."""
    miss = s.isna().to_numpy()
    ss = s.astype(str).to_numpy()
    if strict:
        unseen = ~miss & ~np.isin(ss, list(levels))
        if unseen.any():
            fail(
                table,
                c,
                f"level(s) {sorted(set(ss[unseen]))} not seen in the fit (levels: {list(levels)})",
                "map them to a fitted level or drop those rows",
                s.index[unseen],
            )
    out = (ss[:, None] == np.asarray(levels[1:], dtype=object)[None, :]).astype(float)
    out[miss] = np.nan
    return out


def _levels_of(s: pd.Series, c: str, reference, table: str) -> tuple[str, ...]:
    lv = sorted(s.dropna().astype(str).unique())
    ref = str(reference) if reference is not None else (lv[0] if lv else None)
    if ref not in lv:
        fail(table, c, f"reference level {ref!r} not found", f"use one of {lv}")
    return (ref, *[v for v in lv if v != ref])


def _encode(df, covariates, reference, table):
    """Float block, column names, terms and levels (no row filtering yet)."""
    if all(_is_plain_number(df[c]) for c in covariates):  # one conversion, no per-column copies
        A = df[covariates].to_numpy(dtype=float)
        if not np.isfinite(A).all():
            for c in covariates:
                _numeric(df[c], table, c)  # names the column with infinite values
        return A, list(covariates), {c: (c,) for c in covariates}, {}
    arrays, names, terms, levels = [], [], {}, {}
    for c in covariates:  # loop over covariates, not rows
        s = df[c]
        if _is_numeric(s):
            arrays.append(_numeric(s, table, c)[:, None])
            terms[c] = (c,)
            names.append(c)
            continue
        levels[c] = _levels_of(s, c, reference.get(c), table)
        arrays.append(_indicators(s, levels[c], table, c))
        terms[c] = tuple(column_name(c, v) for v in levels[c][1:])
        names += terms[c]
    A = np.hstack(arrays) if arrays else np.empty((len(df), 0))
    return A, names, terms, levels


def build_design(
    df: pd.DataFrame,
    columns,
    *,
    reference: dict | None = None,
    missing: str = "drop",
    table: str = "data",
    check: bool = True,
) -> Design:
    """Encode ``columns`` of ``df`` into one float design matrix.

    Parameters
    ----------
    df : DataFrame
        The data.
    columns : str or list of str
        Covariates: numeric, boolean or categorical.
    reference : dict, optional
        Categorical covariate -> its reference level (default: the first level in sorted order).
    missing : {"drop", "error"}
        ``"drop"`` removes rows with a missing covariate (listwise) and counts them;
        ``"error"`` refuses them naming the rows.
    table : str
        Name of the table in error messages.
    check : bool
        Refuse constant and perfectly collinear design columns (default True).

    Returns
    -------
    Design
        ``X``, ``columns``, ``terms``, ``levels``, ``keep`` and the missing-value counts.

    Notes
    -----
    A categorical covariate with levels :math:`\\ell_0` (reference), :math:`\\ell_1, \\dots` gives
    the columns :math:`1[x = \\ell_k]`, :math:`k \\ge 1`, named ``"covariate: level"``; each
    coefficient compares its level with the reference. Collinearity is judged on the
    correlation scale: a column is refused when :math:`1 - R^2_j < 10^{-9}` given the columns
    before it.
    """
    covariates = as_list(columns)
    check_option("missing", missing, MISSING)
    require_columns(df, covariates, table)
    dup = sorted({c for c in covariates if covariates.count(c) > 1})
    if dup:
        fail(table, ", ".join(dup), "covariate(s) listed twice", "list each covariate once")
    reference = dict(reference or {})
    A, names, terms, levels = _encode(df, covariates, reference, table)
    unknown = sorted(set(reference) - set(levels))
    if unknown:
        fail(
            table,
            ", ".join(map(str, unknown)),
            "reference level given for a covariate that is not categorical (or not in the model)",
            f"give reference levels only for {sorted(levels) or 'categorical covariates'}",
        )
    nan = np.isnan(A)
    keep = None
    counts: dict[str, int] = {}
    if nan.any():
        pos = {n: i for i, n in enumerate(names)}
        for c, cols in terms.items():
            counts[c] = int(nan[:, pos[cols[0]]].sum()) if cols else 0
        allnan = [c for c, k in counts.items() if k == len(df)]
        if allnan:
            fail(table, ", ".join(allnan), "covariate(s) with no values", "drop the covariate")
        rows = nan.any(axis=1)
        if missing == "error":
            fail(
                table,
                join_missing(counts),
                "missing covariate values",
                "fill or drop those rows",
                df.index[rows],
            )
        keep = ~rows
        A = A[keep]
    d = Design(A, tuple(names), terms, levels, keep, counts, len(df), table)
    if check:
        check_rank(d)
    return d


def join_missing(counts: dict[str, int]) -> str:
    return ", ".join(c for c, k in counts.items() if k)


def check_rank(d: Design) -> None:
    """Refuse constant and perfectly collinear design columns, naming them and the fix."""
    if d.n == 0:
        fail(d.table, ", ".join(d.covariates), "no row without a missing covariate", "fill gaps")
    const = [n for n, c in zip(d.columns, constant_mask(d.X)) if c]
    if const:
        fail(
            d.table,
            ", ".join(const),
            "constant covariate column(s) (a level nobody or everybody has)",
            "drop the covariate or merge rare levels",
        )
    coll = collinear_columns(d.X, names=list(d.columns), gram=None) if d.X.shape[1] > 1 else []
    if coll:
        fail(
            d.table,
            ", ".join(coll),
            "covariates are perfectly collinear with others",
            "drop one of each collinear set or merge levels",
        )


__all__ = ["MISSING", "Design", "build_design", "check_rank", "column_name"]
