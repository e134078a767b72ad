"""The :class:`CXData` container, contract validation, and the loaders.

Every load validates against :mod:`cxmodels.data.contract` and reports all problems at once in
one :class:`~cxmodels._validation.DataValidationError`. Loaders only read: source files are
opened read-only and never written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import Report
from .contract import CONTRACT, REQUIRED_TABLES, TABLES, default_codebook

FORMATS = {".parquet": "parquet", ".csv": "csv", ".xlsx": "excel", ".xls": "excel", ".sav": "spss"}
DUCKDB_SUFFIXES = {".duckdb", ".db", ".ddb"}
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


@dataclass
class CXData:
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

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {t: getattr(self, t) for t in TABLES if getattr(self, t) is not None}

    @property
    def attributes(self) -> list[str]:
        """The driver-rating columns (``attr_*``) of the responses table."""
        return [c for c in self.responses.columns if str(c).startswith("attr_")]

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
                from .._validation import fail

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
def _keys(df: pd.DataFrame, table: str, mask) -> pd.Index:
    key = CONTRACT[table].key or ("respondent_id" if table == "kano_answers" else None)
    mask = np.asarray(mask, dtype=bool)
    if key and key in df.columns:
        return pd.Index(df.loc[mask, key].astype(str))
    return pd.Index([f"row {i}" for i in np.flatnonzero(mask)])


def _coerce(df: pd.DataFrame, table: str, report: Report) -> pd.DataFrame:
    """Return a typed copy of ``df``; unparseable values are reported and set missing."""
    spec = CONTRACT[table]
    out = df.copy()
    for col in df.columns:
        c = spec.column(col)
        kind = c.kind if c else None
        if kind is None and spec.prefix_kind:
            kind = next((k for p, k in spec.prefix_kind.items() if str(col).startswith(p)), None)
        if kind is None:
            continue
        s = df[col]
        if kind == "str":
            if not pd.api.types.is_string_dtype(s):
                out[col] = s.astype("string").astype(object).where(s.notna(), None)
            continue
        if kind == "cat":
            continue
        blank = s.isna() | (s.astype(str).str.strip() == "") if s.dtype == object else s.isna()
        if kind in ("date", "datetime"):
            new = (
                pd.to_datetime(s.where(~blank), errors="coerce", format="mixed")
                if s.dtype == object
                else pd.to_datetime(s, errors="coerce")
            )
            what, fix = "dates", "write dates as YYYY-MM-DD"
        elif kind == "num":
            new = pd.to_numeric(s.where(~blank), errors="coerce")
            what, fix = "numbers", "use numeric codes (put labels in the codebook)"
        else:  # bool
            if pd.api.types.is_bool_dtype(s):
                continue
            low = s.astype(str).str.strip().str.lower()
            new = pd.Series(
                np.where(low.isin(_TRUE), True, np.where(low.isin(_FALSE), False, None)),
                index=s.index,
                dtype=object,
            )
            new[blank] = None
            what, fix = "true/false values", "use true/false, yes/no or 1/0"
        bad = new.isna() & ~blank
        if bad.any():
            report.add(table, col, f"values that are not {what}", fix, _keys(df, table, bad))
        if kind == "bool" and not new.isna().any():
            new = new.astype(bool)
        out[col] = new
    return out


def _validate(data: CXData, report: Report) -> CXData:
    """Type, check and derive; all problems go into ``report``."""
    typed: dict[str, pd.DataFrame | None] = {}
    for name in TABLES:
        df = getattr(data, name)
        if df is None:
            if name in REQUIRED_TABLES:
                report.add(
                    name,
                    "",
                    "required table is missing",
                    f"add a file named {name}.csv/.parquet/.xlsx/.sav to the folder",
                )
            typed[name] = None
            continue
        spec = CONTRACT[name]
        missing = [c.name for c in spec.columns if c.required and c.name not in df.columns]
        for m in missing:
            report.add(
                name,
                m,
                "required column is missing",
                f"add a column named {m!r} (or rename yours to it)",
            )
        df = _coerce(df, name, report)
        if spec.key and spec.key in df.columns:
            nul = df[spec.key].isna()
            if nul.any():
                report.add(
                    name,
                    spec.key,
                    "empty keys",
                    "give every row a key",
                    [f"row {i}" for i in np.flatnonzero(nul)],
                )
            dup = df[spec.key].duplicated(keep=False) & ~nul
            if dup.any():
                report.add(
                    name,
                    spec.key,
                    "duplicate keys",
                    "make the key unique (drop or renumber duplicates)",
                    df.loc[dup, spec.key].astype(str).unique(),
                )
        typed[name] = df

    cb = data.codebook
    # ratings on their scales
    for name, df in typed.items():
        if df is None:
            continue
        for col in df.columns:
            if col in cb and pd.api.types.is_numeric_dtype(df[col]):
                lo, hi = cb[col]["min"], cb[col]["max"]
                bad = df[col].notna() & ((df[col] < lo) | (df[col] > hi))
                if bad.any():
                    report.add(
                        name,
                        col,
                        f"values outside the scale {lo}-{hi}",
                        f"correct the values, or declare the scale of {col!r} in codebook.json",
                        _keys(df, name, bad),
                    )
    cust = typed["customers"]
    known = (
        pd.Index(cust["customer_id"].dropna())
        if cust is not None and "customer_id" in cust
        else None
    )
    for name in ("responses", "interactions"):
        df = typed[name]
        if df is None or known is None or "customer_id" not in df:
            continue
        unknown = ~df["customer_id"].isin(known)
        if unknown.any():
            report.add(
                name,
                "customer_id",
                "customer ids not in the customers table",
                "add the customers or drop these rows",
                _keys(df, name, unknown),
            )

    date_cols = {
        "customers": ["signup_date", "churn_date"],
        "responses": ["survey_date"],
        "interactions": ["timestamp"],
    }
    end = data.observation_end
    if end is None:
        maxes = [
            typed[t][c].max()
            for t, cols in date_cols.items()
            if typed[t] is not None
            for c in cols
            if c in typed[t] and pd.api.types.is_datetime64_any_dtype(typed[t][c])
        ]
        maxes = [m for m in maxes if pd.notna(m)]
        end = max(maxes).normalize() if maxes else pd.Timestamp.today().normalize()
    end = pd.Timestamp(end)
    for t, cols in date_cols.items():
        df = typed[t]
        if df is None:
            continue
        for c in cols:
            if c in df and pd.api.types.is_datetime64_any_dtype(df[c]):
                late = df[c] > end + pd.Timedelta(days=1)
                if late.any():
                    report.add(
                        t,
                        c,
                        f"dates after the observation end {end.date()}",
                        "correct the dates or pass a later observation end (as_of=...)",
                        _keys(df, t, late),
                    )
    if (
        cust is not None
        and {"signup_date", "churn_date"} <= set(cust.columns)
        and pd.api.types.is_datetime64_any_dtype(cust["churn_date"])
    ):
        early = cust["churn_date"] < cust["signup_date"]
        if early.any():
            report.add(
                "customers",
                "churn_date",
                "churn before signup",
                "correct churn_date or signup_date",
                _keys(cust, "customers", early),
            )
    inter = typed["interactions"]
    if (
        inter is not None
        and "response_minutes" in inter
        and pd.api.types.is_numeric_dtype(inter["response_minutes"])
    ):
        neg = inter["response_minutes"] < 0
        if neg.any():
            report.add(
                "interactions",
                "response_minutes",
                "negative response times",
                "response time is minutes from contact to first response; fix the timestamps",
                _keys(inter, "interactions", neg),
            )
    kano = typed["kano_answers"]
    if kano is not None:
        for col in ("functional", "dysfunctional"):
            if col in kano and pd.api.types.is_numeric_dtype(kano[col]):
                frac = kano[col].notna() & (kano[col] % 1 != 0)
                if frac.any():
                    report.add(
                        "kano_answers",
                        col,
                        "answer positions must be whole numbers 1-5",
                        "code answers 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike",
                        _keys(kano, "kano_answers", frac),
                    )

    # soft problems
    resp = typed["responses"]
    if resp is not None:
        attrs = [c for c in resp.columns if str(c).startswith("attr_")]
        if len(attrs) >= 4:
            A = resp[attrs]
            straight = A.notna().all(axis=1) & A.nunique(axis=1).eq(1)
            if straight.mean() > 0.0 and straight.sum() >= 1:
                report.add(
                    "responses",
                    ",".join(attrs[:2]) + ",...",
                    "straight-lining: every attribute rated the same",
                    "check these respondents; drop them if their answers are careless",
                    _keys(resp, "responses", straight),
                    severity="warning",
                )
    for name, df in typed.items():
        if df is None or len(df) == 0:
            continue
        spec = CONTRACT[name]
        for col in df.columns:
            c = spec.column(col)
            if c is not None and c.sparse:
                continue
            if df[col].isna().mean() > 0.5:
                report.add(
                    name,
                    col,
                    f"more than half empty ({df[col].isna().mean():.0%})",
                    "check the export; models will drop rows missing this column",
                    severity="warning",
                )

    if (
        cust is not None
        and "signup_date" in cust
        and pd.api.types.is_datetime64_any_dtype(cust["signup_date"])
    ):
        churn = cust["churn_date"] if "churn_date" in cust else pd.Series(pd.NaT, index=cust.index)
        if not pd.api.types.is_datetime64_any_dtype(churn):
            churn = pd.to_datetime(churn, errors="coerce")
        churned = churn.notna() & (churn <= end)
        stop = churn.where(churned, end)
        cust = cust.assign(
            churned=churned.to_numpy(), tenure_days=(stop - cust["signup_date"]).dt.days.to_numpy()
        )
        typed["customers"] = cust
    return replace(data, observation_end=end, report=report, **typed)


def validate(data: CXData, *, raise_errors: bool = True) -> CXData:
    """Validate ``data`` against the contract and return a typed copy.

    Parameters
    ----------
    data : CXData
    raise_errors : bool
        If True (default) raise :class:`DataValidationError` listing every error and emit the
        soft problems as :class:`DataQualityWarning`. If False, return with ``.report`` set.
    """
    report = Report()
    out = _validate(data, report)
    if raise_errors:
        report.raise_or_warn(data.source)
    return out


# --------------------------------------------------------------------------- loaders
def _read_table(path: Path) -> tuple[pd.DataFrame, dict]:
    fmt = FORMATS[path.suffix.lower()]
    labels: dict = {}
    if fmt == "parquet":
        df = pd.read_parquet(path)
    elif fmt == "csv":
        df = pd.read_csv(path, low_memory=False)
    elif fmt == "excel":
        df = pd.read_excel(path)
    else:
        import pyreadstat

        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
        labels = {
            k: {int(a) if float(a).is_integer() else a: b for a, b in v.items()}
            for k, v in meta.variable_value_labels.items()
        }
    return df, labels


def _find(folder: Path, name: str) -> Path | None:
    for suffix in FORMATS:
        p = folder / f"{name}{suffix}"
        if p.exists():
            return p
    return None


def _read_codebook(folder: Path) -> dict | None:
    for name in ("codebook.json", "codebook.yaml", "codebook.yml"):
        p = folder / name
        if p.exists():
            text = p.read_text(encoding="utf-8")
            if name.endswith("json"):
                return json.loads(text)
            import yaml

            return yaml.safe_load(text)
    return None


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
        if nums and "min" not in entry:
            entry["min"], entry["max"] = min(nums), max(nums)
    return cb


def load(
    path: str | Path, *, as_of: str | pd.Timestamp | None = None, validate_data: bool = True
) -> CXData:
    """Load a CX data set from a folder of table files or a DuckDB database.

    Parameters
    ----------
    path : str or Path
        A folder with files named after the tables (``customers.parquet``, ``responses.csv``,
        ``kano_answers.xlsx``, ``branches.sav``, ...; CSV, Parquet, Excel and SPSS are read,
        SPSS value labels go into the codebook), optionally ``codebook.json``/``.yaml``,
        ``meta.json`` (``{"observation_end": "YYYY-MM-DD"}``) and ``truth.json``; or a DuckDB
        database file (``.duckdb``, ``.db``) holding tables of those names.
    as_of : date, optional
        Observation end; default ``meta.json``'s, else the latest date in the data.
    validate_data : bool
        Validate against the contract (default). Errors raise one
        :class:`~cxmodels._validation.DataValidationError` listing every problem.

    Returns
    -------
    CXData
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No data at {path}: give a folder of table files or a DuckDB file."
        )
    frames: dict[str, pd.DataFrame | None] = {}
    labels: dict = {}
    extra_cb = None
    meta: dict = {}
    truth = None
    if path.is_file():
        if path.suffix.lower() not in DUCKDB_SUFFIXES:
            raise ValueError(
                f"{path}: a single file must be a DuckDB database (.duckdb/.db); "
                "otherwise pass the folder holding the table files."
            )
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
        try:
            present = {
                r[0]
                for r in con.execute("select table_name from information_schema.tables").fetchall()
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
                meta = {
                    "observation_end": str(
                        con.execute("select observation_end from meta").fetchone()[0]
                    )
                }
        finally:
            con.close()
    else:
        for t in TABLES:
            p = _find(path, t)
            if p is None:
                frames[t] = None
                continue
            frames[t], lab = _read_table(p)
            labels.update(lab)
        extra_cb = _read_codebook(path)
        if (path / "meta.json").exists():
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if (path / "truth.json").exists():
            truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    end = as_of or meta.get("observation_end")
    data = CXData(
        customers=frames["customers"],
        responses=frames["responses"],
        interactions=frames["interactions"],
        kano_answers=frames["kano_answers"],
        branches=frames["branches"],
        codebook=_merge_codebook(default_codebook(()), extra_cb, labels),
        observation_end=pd.Timestamp(end) if end else None,
        source=str(path),
        truth=truth,
    )
    if not validate_data:
        return data
    return validate(data)


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
