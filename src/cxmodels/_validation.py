"""One validation layer for cxmodels: every input error has the same form.

Each problem names *what* is wrong, *where* (table, column, rows) and *how to fix it*.
Data loaders collect all problems of a load and raise them at once in a
:class:`DataValidationError`; model functions raise :class:`InputError` (a ``ValueError``)
through the helpers below, so a user never sees a deep pandas or numpy traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np
import pandas as pd

from ._catalogue import has, kept, localize_digits, switch, t

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
            ex = _frame("separator").join(map(str, self.examples[:MAX_EXAMPLES]))
            rows = _frame(
                "rows_one" if self.count == 1 else "rows_many",
                count=_count(self.count),
                examples=ex,
            )
        return _frame(
            "frame",
            severity=severity_word(self.severity),
            where=where,
            message=self.message,
            rows=rows,
            fix=self.fix,
        )


def _frame(key: str, /, **values) -> str:
    """The frame's words (``intake.<key>``) in the current language; values are left as they are."""
    return t(f"intake.{key}").format(**values)


def _count(n: int) -> str:
    """A count in the current digit shapes (the only number of the frame that is ours)."""
    return localize_digits(str(n))


def severity_word(severity: str) -> str:
    """``error``, ``warning`` or ``note`` in the current language."""
    key = f"intake.severity.{severity}"
    return _frame(f"severity.{severity}") if has(key) else severity


def problem_line(severity: str, where: str, message: str, fix: str) -> str:
    """The one-line form of a problem without its rows: ``[error] where: message. Fix: fix``."""
    return _frame(
        "frame", severity=severity_word(severity), where=where, message=message, rows="", fix=fix
    )


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
            return _frame("no_problems")
        head = _frame(
            "counts", errors=_count(len(self.errors)), warnings=_count(len(self.warnings))
        )
        return head + "\n" + "\n".join(f"  {p}" for p in self.problems)

    def raise_or_warn(self, source: str = "") -> None:
        """Raise :class:`DataValidationError` on errors, emit warnings for the rest."""
        if self.errors:
            raise DataValidationError(self, source)
        for p in self.warnings:
            warnings.warn(str(p), DataQualityWarning, stacklevel=3)


class DataQualityWarning(UserWarning):
    """A soft data problem: the data loads, but a researcher should know."""


@contextlib.contextmanager
def data_warnings_collected(
    *categories: type[Warning],
) -> Iterator[list[warnings.WarningMessage]]:
    """Collect the warnings of ``categories`` raised inside (default
    :class:`DataQualityWarning`); any other warning passes on.

    For callers that show those warnings their own way (``cxmodels validate`` prints them as a
    table, the report runner counts them in one line, a bootstrap counts its replicates that
    did not converge): the list holds them.
    """
    kinds = categories or (DataQualityWarning,)
    data: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            for kind in kinds:
                warnings.simplefilter("always", kind)
            yield data
    finally:  # also when the call fails: its other warnings still reach the user
        for w in caught:
            if issubclass(w.category, kinds):
                data.append(w)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


class CXError:
    """Mixin for cxmodels' own errors: IPython shows the message alone, no traceback.

    IPython calls ``_render_traceback_`` and prints only the lines it returns; ``%tb`` still
    prints the full traceback for whoever needs it.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}", "(full traceback: %tb)"]


class DataValidationError(CXError, ValueError):
    """Raised when data breaks the contract; lists every problem at once."""

    def __init__(self, report: Report, source: str = ""):
        self.report = report
        head = _frame("breaks_in", source=source) if source else _frame("breaks")
        super().__init__(f"{head}\n{report}")


class InputError(CXError, ValueError):
    """Bad input to a model function: says what, where and how to fix it."""


def fail(table: str, column: str, message: str, fix: str, keys=None) -> NoReturn:
    """Raise an :class:`InputError` in the shared one-line format.

    The frame is English, as the messages of model functions are (only data validation's
    messages come from the catalogue), so an error never mixes two languages.
    """
    r = Report()
    r.add(table, column, message, fix, keys)
    with kept():
        switch("en")
        text = str(r.problems[0])
    raise InputError(text)


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest option, or ``""`` when none is close."""
    opts = [str(o) for o in options]
    lower = {o.lower().replace(" ", "_"): o for o in opts}
    key = str(name).lower().strip().replace(" ", "_")
    if key in lower:
        return f" (did you mean {lower[key]!r}?)"
    close = difflib.get_close_matches(key, list(lower), n=1, cutoff=0.6)
    return f" (did you mean {lower[close[0]]!r}?)" if close else ""


def as_list(value, name: str = "argument") -> list:
    """A list from one name or several: a string is one item, never its letters."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def check_option(name: str, value, allowed: Iterable, table: str = "argument"):
    """Return ``value`` when it is one of ``allowed``; otherwise fail listing the allowed values."""
    allowed = list(allowed)
    if value in allowed:
        return value
    fail(
        table,
        name,
        f"unknown value {value!r}{did_you_mean(str(value), map(str, allowed))}",
        f"use one of {', '.join(map(repr, allowed))}",
    )


def require_columns(df: pd.DataFrame, columns: Iterable[str], table: str = "data") -> None:
    """Fail naming every requested column that ``df`` lacks, with "did you mean"."""
    check_frame(df, table)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        hints = "".join(did_you_mean(c, map(str, df.columns)) for c in missing)
        fail(
            table,
            ", ".join(map(str, missing)),
            f"column(s) missing{hints} (available: {', '.join(map(str, df.columns[:20]))})",
            "rename the columns or pass the right names as arguments",
        )


check_columns = require_columns


def check_frame(df, table: str = "data", min_rows: int = 1) -> pd.DataFrame:
    """Fail unless ``df`` is a DataFrame with at least ``min_rows`` rows."""
    if not isinstance(df, pd.DataFrame):
        whole = hasattr(df, "tables") and hasattr(df, "codebook")  # CXData or DuckData
        fix = (
            f"this function takes the {table} table, not the whole data set: pass that table"
            + (" (cx.churn.survival_table(data))" if table == "survival table" else "")
            if whole
            else "pass a DataFrame (or a CXData from cx.load)"
        )
        raise InputError(
            f"[error] {table}: expected a pandas DataFrame, got {type(df).__name__}. Fix: {fix}."
        )
    if len(df) < min_rows:
        fail(table, "", f"has {len(df)} rows, at least {min_rows} needed", "check the filter")
    return df


def check_number(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    low_open: bool = False,
    high_open: bool = False,
    table: str = "argument",
):
    """Fail unless ``value`` is a finite number in the stated range (bounds closed unless open)."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (not integer or float(value).is_integer())
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}"
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        rng = f"in {lo or '(-inf'}, {hi or 'inf)'}" if (low is not None or high is not None) else ""
        kind = "an integer" if integer else "a number"
        fail(table, name, f"got {value!r}", f"pass {kind} {rng}".strip())
    return value


def check_level(level: float, name: str = "level") -> float:
    """A confidence level strictly between 0 and 1."""
    return float(check_number(name, level, low=0, high=1, low_open=True, high_open=True))


def check_weights(weights, n: int, table: str = "data", name: str = "weights") -> np.ndarray:
    """Survey weights as a float array: length ``n``, finite, non-negative, not all zero."""
    if weights is None:
        return np.ones(n)
    w = (
        np.asarray(weights, dtype=float)
        if not isinstance(weights, pd.Series)
        else (pd.to_numeric(weights, errors="coerce").to_numpy(dtype=float))
    )
    if w.ndim != 1 or len(w) != n:
        fail(table, name, f"has length {len(w)}, the data has {n} rows", "pass one weight a row")
    bad = ~np.isfinite(w) | (w < 0)
    fail_rows(bad, table, name, "weights must be finite and >= 0", "fix or drop those rows")
    if not w.sum() > 0:
        fail(table, name, "all weights are zero", "pass positive weights")
    return w


def check_finite(df: pd.DataFrame, columns: Iterable[str], table: str = "data") -> None:
    """Fail naming columns with infinite values (NaN is left to the missing-value policy)."""
    for c in columns:
        v = df[c]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            inf = np.isinf(v.to_numpy(dtype=float, na_value=np.nan))
            fail_rows(
                inf, table, c, "holds infinite values", "replace them or drop those rows", v.index
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


def fail_rows(bad, table: str, column: str, message: str, fix: str, keys=None) -> None:
    """Fail when any entry of the boolean row mask ``bad`` is set, naming those rows.

    ``keys``: the row keys aligned with the mask (an index, ids), or a function of the mask
    returning the keys to name; default the row positions.
    """
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return
    if keys is None:
        named = np.flatnonzero(bad)
    else:
        named = keys(bad) if callable(keys) else np.asarray(keys)[bad]
    fail(table, column, message, fix, named)
