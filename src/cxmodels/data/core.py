"""The pandas engine: :func:`validate` and the loaders :func:`load` / :func:`save` (the
:class:`CXData` container is in :mod:`.dataset`).

Every load validates against :mod:`cxmodels.data.contract` and reports all problems at once in
one :class:`~cxmodels._validation.DataValidationError`; what the loader inferred (encodings,
separators, date formats, Jalali dates, stacked sheets) travels with the data as notes
(``data.inferred``), soft problems as warnings (``data.problems``). Loaders only read: source
files are opened read-only and never written. Reading is in :mod:`.readers`, typing and checks
in :mod:`.checks` and :mod:`.consistency`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyreadstat

from .._validation import DataValidationError, Report, check_option, fail
from . import checks, consistency, duck
from .contract import DERIVED, TABLES
from .dataset import CXData, Reported, is_dataset  # noqa: F401  (their home before 0.3)
from .messages import message
from .readers import (
    DUCKDB_SUFFIXES,
    Options,
    _json_or_yaml,
    find_sources,
    read_codebook,
    read_meta,
    read_source,
)
from .text import canonical_name


# --------------------------------------------------------------------------- validation
def _validate(
    data: CXData, report: Report, failed: frozenset = frozenset(), raw: dict | None = None
) -> CXData:
    """Type, check and derive; every problem and inference goes into ``report``.

    ``raw`` holds the tables to type when the caller owns them (:func:`load`): each is taken out
    of it as it is typed, so an untyped table is freed before the next is read into types.
    """
    opts = data.options or Options()
    owned = raw is not None  # typed tables share the raw tables' columns: copy the caller's
    raw = {name: getattr(data, name) for name in TABLES} if raw is None else raw
    typed = {}
    for name in TABLES:
        excel = data.sources.get(name, ("", ""))[1] in ("excel", "xls")
        df = checks.type_table(name, raw.pop(name, None), opts, excel, failed, report)
        typed[name] = df if owned or df is None else df.copy()
        release_memory()  # the raw table's own columns
    cb = data.codebook
    end = consistency.observation_end(typed, data.observation_end, report)
    consistency.run_rules(typed, consistency.context(typed, cb, end, report), report)
    release_memory()  # what the checks freed
    consistency.check_labels(typed, report)
    waves = consistency.wave_order(typed["responses"], cb, report)
    consistency.soft_checks(typed, report)
    release_memory()  # what the checks freed, before the customers table is derived
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
            data,
            codebook=checks.complete_codebook(data.codebook, data.responses.columns, False, report),
        )
    out = _validate(data, report)
    if raise_errors:
        report.raise_or_warn(data.source)
    return out


# --------------------------------------------------------------------------- loaders
def _read_duckdb(path: Path, report: Report) -> tuple[dict, dict | None, dict]:
    """The tables, codebook and meta of a DuckDB file, attached as the DuckDB engine does."""
    con = duckdb.connect()
    try:
        sources, extra_cb, meta = duck._database_sources(con, path, report)
        frames = {
            t: con.execute(f"SELECT * FROM {sources[t]}").df() if t in sources else None
            for t in TABLES
        }
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
    parts = {}
    for t, (p, fmt) in sorted(sources.items(), key=lambda kv: -kv[1][0].stat().st_size):
        # the biggest file first, while nothing else is held: the peak of reading it (its
        # compressed pages beside its columns) does not come on top of the other tables
        parts[t] = Report()
        frames[t], lab = read_source(p, fmt, t, opts, extra_cb, parts[t])
        labels.update(lab)
        if frames[t] is None:
            failed.add(t)
        release_memory()
    for t in sources:  # the report in the files' order
        report.problems.extend(parts[t].problems)
    truth = None
    if (path / "truth.json").exists():
        truth = _json_or_yaml(path / "truth.json", report, "truth")
    srcs = {t: (p.name, fmt) for t, (p, fmt) in sources.items()}
    return frames, extra_cb, labels, opts, srcs, truth, failed


def release_memory() -> None:
    """Give back to the system the freed memory that Arrow's allocator and the C library's
    keep for reuse (:func:`load` calls it after each read and each table typed, so the next
    step's peak does not come on top of it; ``bench/bench_intake.py`` between its steps)."""
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:  # glibc: freed heap pages between live blocks
        trim(0)


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
    check_option("engine", engine, ["pandas", "duckdb"], "load")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No data at {path}: give a folder of table files or a DuckDB file."
        )
    if path.is_file() and path.suffix.lower() not in DUCKDB_SUFFIXES:  # both engines
        report = Report()
        report.add("database", "", *message("single_file", file=path.name))
        raise DataValidationError(report, str(path))
    if engine == "duckdb":
        if not validate_data:
            fail(
                "load",
                "validate_data",
                "the DuckDB engine always validates",
                "drop validate_data=False",
            )
        return duck.load(path, as_of=as_of)
    report = Report()
    if path.is_file():
        frames, extra_cb, meta = _read_duckdb(path, report)
        labels, opts, srcs, truth = {}, Options(**meta), {}, None
        failed = set() if frames["customers"] is not None or not report.errors else set(TABLES)
    else:
        frames, extra_cb, labels, opts, srcs, truth, failed = _read_folder(path, report)
    end = as_of or opts.observation_end
    resp = frames.get("responses")
    names = None if resp is None else [canonical_name(c) for c in resp.columns]
    data = CXData(
        **(frames if not validate_data else dict.fromkeys(("customers", "responses"))),
        codebook=checks.file_codebook(extra_cb, labels, names, report),
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
    if fmt == "duckdb":
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        try:
            for t, df in data.tables.items():
                con.register("_frame", df.drop(columns=[c for c in DERIVED.get(t, ()) if c in df]))
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
        df = df.drop(columns=[c for c in DERIVED.get(t, ()) if c in df])
        target = path / f"{t}{suffix}"
        if fmt == "parquet":
            df.to_parquet(target, index=False)
        elif fmt == "csv":
            df.to_csv(target, index=False)
        elif fmt == "excel":
            df.to_excel(target, index=False)
        else:
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
