"""The data containers' common part: :class:`CXData` (tables in memory) and what validation
found (:class:`Reported`, shared with :class:`~cxmodels.data.duck.DuckData`).

Neither engine's module imports the other: the pandas engine (:mod:`.core`) and the DuckDB
engine (:mod:`.duck`) both build on this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pandas as pd

from .._validation import Problem, Report, did_you_mean, fail
from .contract import TABLES, default_codebook
from .readers import Options


class Dataset(Protocol):
    """What both engines' data objects offer the models (:class:`CXData` in memory,
    :class:`~cxmodels.data.duck.DuckData` in DuckDB): the same tables with the same dtypes."""

    codebook: dict
    observation_end: pd.Timestamp | None
    wave_order: list | None

    @property
    def tables(self) -> dict[str, pd.DataFrame]: ...

    def subset(self, segment=None, waves=None, branch=None) -> Dataset: ...

    def select(self, **columns: list[str]) -> Dataset: ...

    def snapshot(self) -> dict[str, Any]: ...


class Reported:
    """What validation found, for a data object with a ``report`` (CXData, DuckData)."""

    report: Report | None

    @property
    def problems(self) -> list[Problem]:
        """Errors and warnings found by validation (warnings only, once the data loaded)."""
        return [p for p in (self.report.problems if self.report else []) if p.severity != "note"]

    @property
    def inferred(self) -> list[Problem]:
        """What the loader inferred (encodings, separators, date formats, sheets, calendars)."""
        return [p for p in (self.report.problems if self.report else []) if p.severity == "note"]

    def caveats(self) -> list[str]:
        """One sentence per warning and inference, for a report's caveat box."""
        return [str(p) for p in self.problems + self.inferred]

    @property
    def attributes(self) -> list[str]:
        """The driver ratings: ``attr_*`` columns of the responses table with a codebook scale."""
        cb = self.codebook
        return [
            c
            for c in self.columns_of("responses")
            if str(c).startswith("attr_") and c in cb and cb[c].get("driver", True) is not False
        ]

    def snapshot(self) -> dict[str, Any]:
        """Facts about the data for report headers (no identifiers)."""
        end = self.observation_end
        return {
            "source": self.source,
            **{t: self.count(t) for t in ("customers", "responses", "interactions")},
            "observation_end": str(end.date()) if end is not None else "",
        }


def check_selected(table: str, available: list, names: list) -> None:
    """Fail naming the asked columns that ``table`` lacks (``select``, both engines)."""
    missing = [c for c in names if c not in available]
    if missing:
        hints = "".join(did_you_mean(c, map(str, available)) for c in missing)
        fail(
            table,
            ", ".join(map(str, missing)),
            f"column(s) missing{hints} (available: {', '.join(map(str, available[:20]))})",
            "select columns the table has",
        )


def is_dataset(obj) -> bool:
    """True for a loaded data set: a :class:`CXData`, or a :class:`~cxmodels.data.duck.DuckData`
    (whose tables are read from DuckDB when a model asks for them)."""
    return isinstance(obj, Reported)


@dataclass
class CXData(Reported):
    """A customer-experience data set: the contract's tables plus codebook and observation end.

    Attributes
    ----------
    customers, responses : DataFrame
        Required tables (see :mod:`cxmodels.data.contract`).
    interactions, kano_answers, branches : DataFrame or None
        Optional tables.
    codebook : dict
        ``{column: {"min", "max", "labels"}}`` for rating columns.
    observation_end : Timestamp
        End of the observation window: activity after it is an error, churn after it is censored.
    source : str
        Where the data came from.
    truth : dict or None
        The known true parameters of a synthetic world (``truth.json``), else ``None``.
    report : Report or None
        Everything validation found: errors, warnings and notes (see ``problems``,
        ``inferred``).
    options : Options or None
        What ``meta.json`` declared (date formats, calendar, time zone, encoding, separator).
    sources : dict
        ``{table: (file, format)}`` for loaded tables.
    wave_order : list or None
        The survey waves in the order of their meaning (never as strings).
    """

    customers: pd.DataFrame
    responses: pd.DataFrame
    interactions: pd.DataFrame | None = None
    kano_answers: pd.DataFrame | None = None
    branches: pd.DataFrame | None = None
    codebook: dict[str, dict] = field(default_factory=default_codebook)
    observation_end: pd.Timestamp | None = None
    source: str = "memory"
    truth: dict | None = None
    report: Report | None = field(default=None, repr=False)
    options: Options | None = field(default=None, repr=False)
    sources: dict = field(default_factory=dict, repr=False)
    wave_order: list | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {t: getattr(self, t) for t in TABLES if getattr(self, t) is not None}

    def count(self, t: str) -> int:
        """Rows of table ``t`` (0 when the data has none)."""
        df = getattr(self, t)
        return 0 if df is None else len(df)

    def columns_of(self, t: str) -> list:
        """The columns of table ``t`` (none when the data has no such table)."""
        df = getattr(self, t)
        return [] if df is None else list(df.columns)

    def subset(
        self, segment: str | None = None, waves: list[str] | None = None, branch: str | None = None
    ) -> CXData:
        """Restrict to one customer segment, one branch and/or some survey waves (a new
        object; :meth:`~cxmodels.data.duck.DuckData.subset` filters the same rows in SQL)."""
        out = self
        for key, value, col in (("segment", segment, "segment"), ("branch", branch, "branch_id")):
            if value not in (None, "", "all"):
                out = out._only(key, value, col)
        if waves:
            out = replace(out, responses=out.responses[out.responses["wave"].isin(list(waves))])
        return out

    def _only(self, key: str, value: str, col: str) -> CXData:
        cust = self.customers[self.customers[col] == value]
        if cust.empty:
            known = sorted(self.customers[col].dropna().unique())
            fail("customers", col, f"no customers in {key} {value!r}", f"choose one of {known}")
        ids = cust["customer_id"]

        def rows(df, column, keep):
            return df if df is None or column not in df else df[df[column].isin(keep)]

        return replace(
            self,
            customers=cust,
            responses=rows(self.responses, "customer_id", ids),
            interactions=rows(self.interactions, "customer_id", ids),
            kano_answers=self.kano_answers if key != "segment" else _segment_kano(self, value),
            branches=rows(self.branches, "branch_id", [value]) if key == "branch" else
            self.branches,
        )  # fmt: skip

    def select(self, **columns: list[str]) -> CXData:
        """Only these columns of these tables (``select(responses=["nps", "wave"])``), as
        :meth:`~cxmodels.data.duck.DuckData.select` reads them."""
        tables = self.tables
        picked = {}
        for t, names in columns.items():
            if t not in tables:
                fail(t, "", "the data has no such table", f"choose one of {list(tables)}")
            check_selected(t, list(tables[t].columns), names)
            picked[t] = tables[t][list(dict.fromkeys(names))]
        return replace(self, **picked)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{k}</td><td>{len(v):,}</td><td>{v.shape[1]}</td></tr>"
            for k, v in self.tables.items()
        )
        end = self.observation_end.date() if self.observation_end is not None else "-"
        return (
            f"<b>CXData</b> from <code>{self.source}</code>, observation end {end}"
            f"<table><tr><th>table</th><th>rows</th><th>columns</th></tr>{rows}</table>"
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        return f"CXData({sizes}; source={self.source!r})"


def _segment_kano(data: CXData, segment: str) -> pd.DataFrame | None:
    """The Kano answers of one segment; none when the answers do not say their segment."""
    kano = data.kano_answers
    if kano is None or "segment" not in kano:
        return None
    return kano[kano["segment"] == segment]
