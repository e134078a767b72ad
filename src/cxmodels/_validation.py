"""One validation layer for cxmodels: every input error has the same form.

Each problem names *what* is wrong, *where* (table, column, rows) and *how to fix it*.
Data loaders collect all problems of a load and raise them at once in a
:class:`DataValidationError`; model functions raise :class:`InputError` (a ``ValueError``)
through the helpers below, so a user never sees a deep pandas or numpy traceback.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One validation finding.

    Attributes
    ----------
    table, column : where the problem is (column may be empty for table-level problems).
    message : what is wrong.
    fix : how to fix it.
    count : number of offending rows (0 when not row-based).
    examples : up to five example keys or row labels.
    severity : ``"error"`` or ``"warning"``.
    """

    table: str
    column: str
    message: str
    fix: str
    count: int = 0
    examples: tuple = ()
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        rows = ""
        if self.count:
            ex = ", ".join(map(str, self.examples[:MAX_EXAMPLES]))
            rows = f" ({self.count} row{'s' if self.count != 1 else ''}; e.g. {ex})"
        return f"[{self.severity}] {where}: {self.message}{rows}. Fix: {self.fix}"


def _examples(keys: Iterable) -> tuple:
    out = []
    for k in keys:
        out.append(k.item() if isinstance(k, np.generic) else k)
        if len(out) >= MAX_EXAMPLES:
            break
    return tuple(out)


@dataclass
class Report:
    """A collection of problems found while validating one data set."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        table: str,
        column: str,
        message: str,
        fix: str,
        keys: Sequence | pd.Index | None = None,
        severity: str = "error",
    ) -> None:
        keys = [] if keys is None else list(keys)
        self.problems.append(
            Problem(table, column, message, fix, len(keys), _examples(keys), severity)
        )

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        cols = ["severity", "table", "column", "message", "count", "examples", "fix"]
        return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.problems], columns=cols)

    def __str__(self) -> str:
        if not self.problems:
            return "No problems found."
        head = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        return head + "\n" + "\n".join(f"  {p}" for p in self.problems)

    def raise_or_warn(self, source: str = "") -> None:
        """Raise :class:`DataValidationError` on errors, emit warnings for the rest."""
        if self.errors:
            raise DataValidationError(self, source)
        for p in self.warnings:
            warnings.warn(str(p), DataQualityWarning, stacklevel=3)


class DataQualityWarning(UserWarning):
    """A soft data problem: the data loads, but a researcher should know."""


class DataValidationError(ValueError):
    """Raised when data breaks the contract; lists every problem at once."""

    def __init__(self, report: Report, source: str = ""):
        self.report = report
        src = f" in {source}" if source else ""
        super().__init__(f"The data{src} breaks the cxmodels data contract.\n{report}")


class InputError(ValueError):
    """Bad input to a model function: says what, where and how to fix it."""


def fail(table: str, column: str, message: str, fix: str, keys=None) -> None:
    """Raise an :class:`InputError` in the shared one-line format."""
    r = Report()
    r.add(table, column, message, fix, keys)
    raise InputError(str(r.problems[0]))


def require_columns(df: pd.DataFrame, columns: Iterable[str], table: str = "data") -> None:
    """Fail naming every requested column that ``df`` lacks."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"[error] {table}: expected a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        fail(
            table,
            ", ".join(missing),
            f"column(s) missing (available: {', '.join(map(str, df.columns[:20]))})",
            "rename the columns or pass the right names as arguments",
        )


def require_numeric(df: pd.DataFrame, columns: Iterable[str], table: str = "data") -> None:
    """Fail naming columns that are not numeric (bool counts as numeric)."""
    bad = [
        c
        for c in columns
        if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
    ]
    if bad:
        fail(
            table,
            ", ".join(bad),
            "column(s) are not numeric",
            "convert them to numbers, or one-hot encode categories (or pass them as groups)",
        )


def centred_gram(A: np.ndarray) -> np.ndarray:
    """:math:`(A - \bar A)^\top (A - \bar A)` in one pass, without a centred copy of ``A``."""
    mu = A.mean(axis=0)
    return A.T @ A - len(A) * np.outer(mu, mu)


def constant_columns(G: np.ndarray, names: list[str], tol: float = 1e-9) -> list[str]:
    """Columns with no variance, from a centred Gram matrix."""
    d = np.diag(G)
    return [n for n, v in zip(names, d) if v <= tol * max(1.0, np.abs(d).max())]


def collinear_columns(
    X: pd.DataFrame | np.ndarray,
    tol: float = 1e-9,
    names: list[str] | None = None,
    gram: np.ndarray | None = None,
) -> list[str]:
    """Names of columns that are constant or (near) linear combinations of earlier columns.

    Works on the p x p centred Gram matrix (one pass over the rows): an elimination in column
    order flags each column whose residual variance, given the columns kept before it, is below
    ``tol`` of its own variance.
    """
    if names is None:
        names = list(X.columns)
    G = centred_gram(np.asarray(X, dtype=float)) if gram is None else gram
    out = constant_columns(G, names, tol)
    keep: list[int] = []
    for j in range(len(names)):  # loop over columns (p), not rows
        if names[j] in out:
            continue
        if keep:
            g = G[keep, j]
            resid = G[j, j] - g @ np.linalg.solve(G[np.ix_(keep, keep)], g)
        else:
            resid = G[j, j]
        if resid <= tol * G[j, j]:
            out.append(names[j])
        else:
            keep.append(j)
    return out
