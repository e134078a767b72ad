"""The :class:`CXData` container, :func:`validate` and the loaders :func:`load` / :func:`save`.

Every load validates against :mod:`cxmodels.data.contract` and reports all problems at once in
one :class:`~cxmodels._validation.DataValidationError`; what the loader inferred (encodings,
separators, date formats, Jalali dates, stacked sheets) travels with the data as notes
(``data.inferred``), soft problems as warnings (``data.problems``). Loaders only read: source
files are opened read-only and never written. Reading is in :mod:`.readers`, typing and checks
in :mod:`.checks` and :mod:`.consistency`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._validation import DataValidationError, Problem, Report, fail
from . import checks, consistency
from .contract import TABLES, default_codebook
from .messages import say
from .readers import (
    DUCKDB_SUFFIXES,
    FORMATS,
    Options,
    _json_or_yaml,
    find_sources,
    read_codebook,
    read_meta,
    read_source,
)
from .text import canonical_name


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

    @property
    def attributes(self) -> list[str]:
        """The driver ratings: ``attr_*`` columns of the responses table with a codebook scale."""
        return [
            c
            for c in self.responses.columns
            if str(c).startswith("attr_")
            and self.codebook.get(c, {}).get("driver", True) is not False
            and c in self.codebook
        ]

    def snapshot(self) -> dict[str, Any]:
        """Facts about the data for report headers (no identifiers)."""
        return {
            "source": self.source,
            "customers": len(self.customers),
            "responses": len(self.responses),
            "interactions": 0 if self.interactions is None else len(self.interactions),
            "observation_end": str(self.observation_end.date())
            if self.observation_end is not None
            else "",
        }

    def subset(self, segment: str | None = None, waves: list[str] | None = None) -> CXData:
        """Restrict to one customer segment and/or some survey waves (returns a new object)."""
        out = self
        if segment not in (None, "", "all"):
            cust = self.customers[self.customers["segment"] == segment]
            if cust.empty:
                fail(
                    "customers",
                    "segment",
                    f"no customers in segment {segment!r}",
                    f"choose one of {sorted(self.customers['segment'].dropna().unique())}",
                )
            ids = cust["customer_id"]
            out = replace(
                out,
                customers=cust,
                responses=self.responses[self.responses["customer_id"].isin(ids)],
                interactions=None
                if self.interactions is None
                else self.interactions[self.interactions["customer_id"].isin(ids)],
                kano_answers=None
                if self.kano_answers is None or "segment" not in self.kano_answers
                else self.kano_answers[self.kano_answers["segment"] == segment],
            )
        if waves:
            out = replace(out, responses=out.responses[out.responses["wave"].isin(list(waves))])
        return out

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


# --------------------------------------------------------------------------- validation
def _validate(
    data: CXData, report: Report, failed: frozenset = frozenset(), raw: dict | None = None
) -> CXData:
    """Type, check and derive; every problem and inference goes into ``report``.

    ``raw`` holds the tables to type when the caller owns them (:func:`load`): each is taken out
    of it as it is typed, so an untyped table is freed before the next is read into types.
    """
    opts = data.options or Options()
    raw = {name: getattr(data, name) for name in TABLES} if raw is None else raw
    typed = {}
    for name in TABLES:
        excel = data.sources.get(name, ("", ""))[1] in ("excel", "xls")
        typed[name] = checks.type_table(name, raw.pop(name, None), opts, excel, failed, report)
    cb = data.codebook
    checks.check_scales(typed, cb, report)
    positions = checks.check_references(typed, report)
    end = consistency.observation_end(typed, data.observation_end, report)
    consistency.check_dates(typed, end, report, positions)
    consistency.check_interactions(typed, report)
    consistency.check_kano(typed, report)
    consistency.check_labels(typed, report)
    waves = consistency.wave_order(typed["responses"], cb, report)
    consistency.soft_checks(typed, report)
    typed["customers"] = consistency.derive_customers(typed["customers"], end)
    return replace(data, observation_end=end, report=report, wave_order=waves, **typed)


def validate(data: CXData, *, raise_errors: bool = True) -> CXData:
    """Validate ``data`` against the contract and return a typed copy.

    Parameters
    ----------
    data : CXData
    raise_errors : bool
        If True (default) raise :class:`DataValidationError` listing every error and emit the
        soft problems as :class:`DataQualityWarning`. If False, return with ``.report`` set.

    Returns
    -------
    CXData
        Typed tables (ids as strings, dates as naive datetimes, ratings as numbers, labels
        trimmed), ``observation_end``, ``wave_order`` and ``report`` (errors, warnings, notes).
    """
    kept = [p for p in (data.report.problems if data.report else []) if p.severity == "note"]
    report = Report(list(kept))
    if data.codebook is not None and data.responses is not None:
        data = replace(
            data, codebook=checks.complete_codebook(data.codebook, data.responses, False, report)
        )
    out = _validate(data, report)
    if raise_errors:
        report.raise_or_warn(data.source)
    return out


# --------------------------------------------------------------------------- loaders
def _read_table(path: Path) -> tuple[pd.DataFrame, dict]:
    """One table file as read by :func:`load` (frame, SPSS value labels); errors raise."""
    report = Report()
    table = next((t for t in TABLES if path.stem.lower().startswith(t)), "customers")
    df, labels = read_source(path, FORMATS[path.suffix.lower()], table, Options(), None, report)
    if df is None:
        raise DataValidationError(report, str(path))
    return df, labels


def _merge_codebook(base: dict, extra: dict | None, labels: dict) -> dict:
    cb = {k: dict(v) for k, v in base.items()}
    for k, v in (extra or {}).items():
        cb[k] = {**cb.get(k, {"labels": {}}), **v}
        cb[k]["labels"] = {
            int(a) if str(a).lstrip("-").isdigit() else a: b
            for a, b in (cb[k].get("labels") or {}).items()
        }
    for col, lab in labels.items():
        entry = cb.setdefault(col, {})
        entry["labels"] = lab
        nums = [a for a in lab if isinstance(a, int | float)]
        if len(nums) >= 2 and "min" not in entry:  # labels give the scale only when none is set
            entry["min"], entry["max"] = min(nums), max(nums)
    return cb


def _read_duckdb(path: Path, report: Report) -> tuple[dict, dict | None, dict]:
    import duckdb

    frames: dict = {t: None for t in TABLES}
    extra_cb, meta = None, {}
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:
        first = str(exc).splitlines()[0][:160]
        report.add(
            "database",
            "",
            say("not_duckdb", file=path.name, why=first),
            say("not_duckdb.fix"),
        )
        return frames, None, {}
    try:
        present = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        for t in TABLES:
            frames[t] = con.execute(f'select * from "{t}"').df() if t in present else None
        if "codebook" in present:
            cbdf = con.execute("select * from codebook").df()
            extra_cb = {
                c: {"min": lo, "max": hi}
                for c, lo, hi in zip(cbdf["column"], cbdf["min"], cbdf["max"])
            }
        if "meta" in present:
            end = con.execute("select observation_end from meta").fetchone()[0]
            meta = {"observation_end": str(end)}
    finally:
        con.close()
    return frames, extra_cb, meta


def _read_folder(path: Path, report: Report):
    opts = read_meta(path, report)
    extra_cb = read_codebook(path, report)
    sources = find_sources(path, report)
    frames: dict = {t: None for t in TABLES}
    labels: dict = {}
    failed = {p.table for p in report.errors if p.table in TABLES}
    for t, (p, fmt) in sources.items():
        frames[t], lab = read_source(p, fmt, t, opts, extra_cb, report)
        labels.update(lab)
        if frames[t] is None:
            failed.add(t)
    truth = None
    if (path / "truth.json").exists():
        truth = _json_or_yaml(path / "truth.json", report, "truth")
    srcs = {t: (p.name, fmt) for t, (p, fmt) in sources.items()}
    return frames, extra_cb, labels, opts, srcs, truth, failed


def _codebook_for(frames: dict, extra_cb: dict | None, labels: dict, report: Report) -> dict:
    """Defaults for every rating column found, the file's codebook and SPSS labels over them."""
    resp = frames.get("responses")
    user_drivers = any(str(k).startswith("attr_") for k in (extra_cb or {}))
    cb = _merge_codebook(default_codebook(()), extra_cb, labels)
    if resp is None:
        return cb
    renamed = pd.DataFrame(columns=[canonical_name(c) for c in resp.columns])  # names only
    return checks.complete_codebook(cb, renamed, user_drivers, report)


def load(
    path: str | Path,
    *,
    as_of: str | pd.Timestamp | None = None,
    validate_data: bool = True,
    engine: str = "pandas",
) -> CXData:
    """Load a CX data set from a folder of table files or a DuckDB database.

    Parameters
    ----------
    path : str or Path
        A folder with one file per table, named after it (``customers.parquet``,
        ``responses.csv``, ``kano_answers.xlsx``, ``branches.sav``, ...: CSV in any common
        dialect and encoding, Parquet, Excel ``.xlsx``/``.xls`` with every sheet considered,
        SPSS with value labels), optionally ``codebook.json``/``.yaml``, ``meta.json`` (observation
        end, time zone, encoding, separator, decimal mark, date formats, calendar: see
        ``docs/data-contract.md``) and ``truth.json``; or a DuckDB database file (``.duckdb``,
        ``.db``) holding tables of those names.
    as_of : date, optional
        Observation end; default ``meta.json``'s, else the latest date in the data.
    validate_data : bool
        Validate against the contract (default). Errors raise one
        :class:`~cxmodels._validation.DataValidationError` listing every problem.
    engine : {"pandas", "duckdb"}
        ``"duckdb"`` validates inside DuckDB with SQL (data bigger than memory: Parquet or UTF-8
        CSV files, or a DuckDB file) and returns a :class:`~cxmodels.data.duck.DuckData` that
        reads tables only when asked, with ``subset``/``select`` pushed into SQL; same checks
        and messages (see :mod:`cxmodels.data.duck` for what it reads differently).

    Returns
    -------
    CXData
        With ``inferred`` (notes on what was inferred) and ``problems`` (warnings).
    """
    from .._validation import check_option

    check_option("engine", engine, ["pandas", "duckdb"], "load")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No data at {path}: give a folder of table files or a DuckDB file."
        )
    if path.is_file() and path.suffix.lower() not in DUCKDB_SUFFIXES:  # both engines
        report = Report()
        report.add(
            "database",
            "",
            say("single_file", file=path.name),
            say("single_file.fix"),
        )
        raise DataValidationError(report, str(path))
    if engine == "duckdb":
        if not validate_data:
            fail(
                "load",
                "validate_data",
                "the DuckDB engine always validates",
                "drop validate_data=False",
            )
        from . import duck

        return duck.load(path, as_of=as_of)
    report = Report()
    if path.is_file():
        frames, extra_cb, meta = _read_duckdb(path, report)
        labels, opts, srcs, truth = {}, Options(**meta), {}, None
        failed = set() if frames["customers"] is not None or not report.errors else set(TABLES)
    else:
        frames, extra_cb, labels, opts, srcs, truth, failed = _read_folder(path, report)
    end = as_of or opts.observation_end
    data = CXData(
        **(frames if not validate_data else dict.fromkeys(("customers", "responses"))),
        codebook=_codebook_for(frames, extra_cb, labels, report),
        observation_end=pd.Timestamp(end) if end else None,
        source=str(path),
        truth=truth,
        options=opts,
        sources=srcs,
    )
    if not validate_data:
        return replace(data, report=report)
    out = _validate(data, report, frozenset(failed), raw=frames)  # frees frames as it types
    report.raise_or_warn(str(path))
    return out


def save(data: CXData, path: str | Path, fmt: str = "parquet") -> Path:
    """Write ``data`` as a folder of ``fmt`` files (parquet, csv, excel, spss) or a DuckDB file.

    Writes ``codebook.json`` and ``meta.json`` beside the tables (and ``truth.json`` if known).
    """
    path = Path(path)
    derived = {"customers": ["tenure_days", "churned"]}
    if fmt == "duckdb":
        import duckdb

        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        try:
            for t, df in data.tables.items():
                con.register("_frame", df.drop(columns=[c for c in derived.get(t, []) if c in df]))
                con.execute(f'create or replace table "{t}" as select * from _frame')
                con.unregister("_frame")
            cb = pd.DataFrame(
                [{"column": k, "min": v["min"], "max": v["max"]} for k, v in data.codebook.items()]
            )
            con.register("_codebook", cb)
            con.execute("create or replace table codebook as select * from _codebook")
            if data.observation_end is not None:
                con.execute(
                    "create or replace table meta as select ?::date as observation_end",
                    [data.observation_end.date()],
                )
        finally:
            con.close()
        return path
    path.mkdir(parents=True, exist_ok=True)
    suffix = {"parquet": ".parquet", "csv": ".csv", "excel": ".xlsx", "spss": ".sav"}[fmt]
    for t, df in data.tables.items():
        df = df.drop(columns=[c for c in derived.get(t, []) if c in df])
        target = path / f"{t}{suffix}"
        if fmt == "parquet":
            df.to_parquet(target, index=False)
        elif fmt == "csv":
            df.to_csv(target, index=False)
        elif fmt == "excel":
            df.to_excel(target, index=False)
        else:
            import pyreadstat

            out = df.copy()
            for c in out.columns:
                if pd.api.types.is_bool_dtype(out[c]):
                    out[c] = out[c].astype(float)
                elif out[c].dtype == object:
                    out[c] = out[c].astype("string").fillna("").astype(str)
            lab = {
                c: {float(k): str(v) for k, v in data.codebook[c]["labels"].items()}
                for c in out.columns
                if c in data.codebook and data.codebook[c].get("labels")
            }
            pyreadstat.write_sav(out, str(target), variable_value_labels=lab)
    (path / "codebook.json").write_text(
        json.dumps(data.codebook, indent=1, default=str), encoding="utf-8"
    )
    if data.observation_end is not None:
        (path / "meta.json").write_text(
            json.dumps({"observation_end": str(data.observation_end.date())}), encoding="utf-8"
        )
    if data.truth is not None:
        (path / "truth.json").write_text(json.dumps(data.truth, indent=1), encoding="utf-8")
    return path
