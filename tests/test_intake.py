"""Data intake (issue 12): real exports read right, or refused naming file, problem and fix.

Every test builds the faulty file the way users' tools write it, from the synthetic sample, in a
temporary folder; it asserts the exact outcome (values after loading, or the named error) and
that the sources are unchanged (hashes before and after).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels.data.dates import DateSpec, jalali_to_gregorian, parse_dates

N = 200
SEED = 4


@pytest.fixture(scope="module")
def world():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(N, seed=SEED))


@pytest.fixture
def folder(tmp_path, world):
    """The sample as CSV files (what most exports look like)."""
    return cx.save(world, tmp_path / "data", fmt="csv")


def _hashes(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def load(folder: Path, **kw) -> cx.CXData:
    """Load; assert the sources were not modified; return the data (warnings silenced)."""
    before = _hashes(folder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cx.load(folder, **kw)
    finally:
        assert _hashes(folder) == before, "a loader modified its sources"


def errors(folder: Path) -> list:
    """The errors of a load that must fail (sources checked unchanged)."""
    with pytest.raises(cx.DataValidationError) as exc:
        load(folder)
    assert "Traceback" not in str(exc.value)
    return exc.value.report.errors


def one(problems, table: str, phrase: str, column: str | None = None):
    hit = [
        p
        for p in problems
        if p.table == table and phrase in p.message and (column is None or p.column == column)
    ]
    assert hit, "\n".join(map(str, problems))
    return hit[0]


def write_meta(folder: Path, **keys) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    meta.update(keys)
    (folder / "meta.json").write_text(json.dumps(meta))


def rewrite(folder: Path, table: str, fn, **to_csv) -> pd.DataFrame:
    p = folder / f"{table}.csv"
    df = fn(pd.read_csv(p, dtype=str, keep_default_na=False))
    df.to_csv(p, index=False, **to_csv)
    return df


# ------------------------------------------------------------------ Jalali, known dates
@pytest.mark.parametrize(
    "jalali,gregorian",
    [
        ((1403, 1, 1), "2024-03-20"),  # Nowruz 1403
        ((1404, 1, 1), "2025-03-21"),  # Nowruz 1404
        ((1403, 12, 30), "2025-03-20"),  # 1403 is a leap year: Esfand has 30 days
        ((1403, 5, 12), "2024-08-02"),
    ],
)
def test_jalali_known_dates(jalali, gregorian):
    y, m, d = ([v] for v in jalali)
    assert jalali_to_gregorian(y, m, d).iloc[0] == pd.Timestamp(gregorian)


def test_jalali_invalid_date_is_missing():
    # 1402 is not a leap year: 1402/12/30 does not exist
    assert jalali_to_gregorian([1402], [12], [30]).isna().all()


@pytest.mark.parametrize(
    "values,spec,expected",
    [
        (["1403/01/01", "۱۴۰۴/۰۱/۰۱", "1403-12-30 10:30"], {}, ["2024-03-20", "2025-03-21",
                                                               "2025-03-20 10:30"]),
        (["30/07/2025", "01/02/2025"], {}, ["2025-07-30", "2025-02-01"]),
        (["07/30/2025", "02/01/2025"], {}, ["2025-07-30", "2025-02-01"]),
        (["01/02/2025"], {"fmt": "%d/%m/%Y"}, ["2025-02-01"]),
        ([20250730, 20240101], {}, ["2025-07-30", "2024-01-01"]),
        ([45868, 45658], {"fmt": "excel"}, ["2025-07-30", "2025-01-01"]),
        ([45868.5], {"excel_cells": True}, ["2025-07-30 12:00"]),
        (["2025-07-30T10:00:00+03:30", "2025-07-30T10:00:00Z"], {}, ["2025-07-30 06:30",
                                                                    "2025-07-30 10:00"]),
        (["2025-07-30T10:00:00+03:30"], {"timezone": "Asia/Tehran"}, ["2025-07-30 10:00"]),
        (["30 Jul 2025", "2025/07/30"], {}, ["2025-07-30", "2025-07-30"]),
    ],
)
def test_date_forms_read_right(values, spec, expected):
    p = parse_dates(pd.Series(values), DateSpec("t.c", **spec))
    assert list(p.values) == [pd.Timestamp(e) for e in expected]
    assert not p.problems


@pytest.mark.parametrize(
    "values,phrase,fix",
    [
        (["01/02/2025", "03/04/2025"], "cannot be told apart",
         "declare `date_format: '%d/%m/%Y'` for t.c in meta.json"),
        (["13/02/2025", "03/14/2025"], "both day-first and month-first", "YYYY-MM-DD"),
        ([45868, 45869], "Excel serial numbers (45868 would be 2025-07-30)",
         "declare `date_format: 'excel'` for t.c"),
        (["01/02/25"], "two-digit years", "four-digit years"),
    ],
)
def test_date_forms_refused_with_the_fix(values, phrase, fix):
    p = parse_dates(pd.Series(values), DateSpec("t.c"))
    assert p.values.isna().all()
    (msg, how, rows), = p.problems
    assert phrase in msg and fix in how and rows.all()


def test_time_zone_aware_column_made_naive():
    s = pd.Series(pd.to_datetime(["2025-07-30 10:00"]).tz_localize("Asia/Tehran"))
    p = parse_dates(s, DateSpec("t.c"))
    assert p.values.dtype == "datetime64[ns]"
    assert p.values.iloc[0] == pd.Timestamp("2025-07-30 06:30")


# ------------------------------------------------------------------ dates in files
def test_integer_dates_yyyymmdd_read_right(folder, world):
    rewrite(folder, "responses", lambda d: d.assign(
        survey_date=pd.to_datetime(d["survey_date"]).dt.strftime("%Y%m%d")))
    data = load(folder)
    assert data.responses["survey_date"].equals(world.responses["survey_date"])
    one(data.inferred, "responses", "YYYYMMDD", "survey_date")


def test_excel_serials_in_csv_refused_unless_declared(folder, world):
    serial = (world.responses["survey_date"] - pd.Timestamp("1899-12-30")).dt.days
    rewrite(folder, "responses", lambda d: d.assign(survey_date=serial.astype(str)))
    p = one(errors(folder), "responses", "Excel serial numbers", "survey_date")
    assert p.count == len(world.responses)
    assert "declare `date_format: 'excel'` for responses.survey_date in meta.json" in p.fix
    write_meta(folder, date_format={"responses.survey_date": "excel"})
    assert load(folder).responses["survey_date"].equals(world.responses["survey_date"])


def test_day_first_dates_decided_by_the_data(folder, world):
    rewrite(folder, "responses", lambda d: d.assign(
        survey_date=pd.to_datetime(d["survey_date"]).dt.strftime("%d/%m/%Y")))
    data = load(folder)
    assert data.responses["survey_date"].equals(world.responses["survey_date"])
    one(data.inferred, "responses", "DD/MM/YYYY", "survey_date")


def test_ambiguous_day_month_refused_with_exact_fix(folder, world):
    early = world.responses["survey_date"].dt.day <= 12
    rewrite(folder, "responses", lambda d: d[early.to_numpy()].assign(
        survey_date=lambda x: pd.to_datetime(x["survey_date"]).dt.strftime("%d/%m/%Y")))
    p = one(errors(folder), "responses", "cannot be told apart", "survey_date")
    assert "declare `date_format: '%d/%m/%Y'` for responses.survey_date in meta.json" in p.fix
    write_meta(folder, date_format={"responses.survey_date": "%d/%m/%Y"})
    got = load(folder).responses["survey_date"]
    assert list(got) == list(world.responses.loc[early, "survey_date"])


def test_mixed_utc_offsets_converted_to_one_zone(folder, world):
    ts = world.interactions["timestamp"]
    offs = np.where(np.arange(len(ts)) % 2 == 0, "+03:30", "+00:00")
    rewrite(folder, "interactions", lambda d: d.assign(
        timestamp=ts.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy() + offs))
    got = load(folder).interactions["timestamp"]
    shift = np.where(np.arange(len(ts)) % 2 == 0, 210, 0)
    assert got.dtype == "datetime64[ns]"
    assert (got == ts - pd.to_timedelta(shift, unit="min")).all()


def test_time_zone_aware_parquet(tmp_path, world):
    folder = cx.save(world, tmp_path / "pq", fmt="parquet")
    p = folder / "interactions.parquet"
    df = pd.read_parquet(p)
    df["timestamp"] = df["timestamp"].dt.tz_localize("UTC")
    df.to_parquet(p)
    data = load(folder)
    assert data.interactions["timestamp"].equals(world.interactions["timestamp"])
    one(data.inferred, "interactions", "time-zone-aware", "timestamp")


def test_outlying_year_without_meta_names_the_gap(folder, world):
    (folder / "meta.json").unlink()
    rewrite(folder, "responses", lambda d: d.assign(
        survey_date=d["survey_date"].where(d.index != 3, "2052-03-01")))
    p = one(errors(folder), "responses", "far beyond all others", "survey_date")
    assert p.examples == (world.responses["response_id"][3],) and "2052-03-01" in p.message
    assert "observation_end" in p.fix


def test_survey_before_signup(folder, world):
    rewrite(folder, "responses", lambda d: d.assign(
        survey_date=d["survey_date"].where(d.index != 2, "2020-01-01")))
    p = one(errors(folder), "responses", "before the customer's signup", "survey_date")
    assert p.examples == (world.responses["response_id"][2],)


# ------------------------------------------------------------------ Jalali files, digits
def _to_jalali(s: pd.Series, digits: bool = False) -> pd.Series:
    from persiantools.jdatetime import JalaliDate

    out = s.map(lambda t: None if pd.isna(t) else JalaliDate(t.date()).strftime("%Y/%m/%d"))
    if digits:
        out = out.map(lambda t: t if t is None else t.translate(str.maketrans(
            "0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    return out


def test_iranian_crm_export(folder, world):
    """Jalali dates, Persian digits in ratings, cp1256 text, Arabic letters in labels."""
    rewrite(folder, "customers", lambda d: d.assign(
        signup_date=_to_jalali(world.customers["signup_date"]).to_numpy(),
        churn_date=_to_jalali(world.customers["churn_date"]).fillna("").to_numpy(),
        region=d["region"].replace({"north": "شمال", "east": "شرق"}),
        segment=d["segment"].replace({"premium": "ويژه"}),  # Arabic ye
    ), encoding="cp1256")
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    rewrite(folder, "responses", lambda d: d.assign(
        survey_date=_to_jalali(world.responses["survey_date"], digits=True).to_numpy(),
        nps=d["nps"].str.translate(fa),
        attr_product_quality=d["attr_product_quality"].map(lambda v: v.translate(
            str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))),
    ))
    data = load(folder)
    c, r = data.customers, data.responses
    assert c["signup_date"].equals(world.customers["signup_date"])
    assert c["churn_date"].equals(world.customers["churn_date"])
    assert r["survey_date"].equals(world.responses["survey_date"])
    assert (r["nps"] == world.responses["nps"]).all()
    assert (r["attr_product_quality"] == world.responses["attr_product_quality"]).all()
    assert set(c["region"]) >= {"شمال", "شرق"} and "ویژه" in set(c["segment"])
    one(data.inferred, "customers", "cp1256")
    one(data.inferred, "customers", "Jalali", "signup_date")
    one(data.inferred, "responses", "Persian/Arabic-Indic digits", "nps")


def test_declared_jalali_calendar(folder, world):
    rewrite(folder, "responses", lambda d: d.assign(
        survey_date=_to_jalali(world.responses["survey_date"]).str.replace("/", "-").to_numpy()))
    write_meta(folder, calendar={"responses.survey_date": "jalali"})
    assert load(folder).responses["survey_date"].equals(world.responses["survey_date"])


# ------------------------------------------------------------------ identifiers
def test_leading_zeros_kept_and_no_float_ids(folder, world):
    ids = {c: f"{i:07d}" for i, c in enumerate(world.customers["customer_id"], 1)}
    rewrite(folder, "customers", lambda d: d.assign(customer_id=d["customer_id"].map(ids)))
    for t in ("responses", "interactions"):
        rewrite(folder, t, lambda d: d.assign(customer_id=d["customer_id"].map(ids)))
    data = load(folder)
    assert data.customers["customer_id"].iloc[0] == "0000001"
    assert set(data.responses["customer_id"]) <= set(data.customers["customer_id"])


def test_blank_id_is_an_error_naming_rows(folder):
    rewrite(folder, "responses", lambda d: d.assign(
        customer_id=d["customer_id"].where(d.index != 4, "")))
    p = one(errors(folder), "responses", "empty ids", "customer_id")
    assert p.examples == ("row 4",) and p.count == 1


def test_int_and_float_ids_across_parquet_tables_match(tmp_path, world):
    folder = cx.save(world, tmp_path / "pq", fmt="parquet")
    num = {c: i for i, c in enumerate(world.customers["customer_id"], 1)}
    for t, dtype in (("customers", "int64"), ("responses", "float64"), ("interactions", "Int64")):
        p = folder / f"{t}.parquet"
        df = pd.read_parquet(p)
        df["customer_id"] = df["customer_id"].map(num).astype(dtype)
        df.to_parquet(p)
    data = load(folder)
    assert data.responses["customer_id"].iloc[0] == str(num[world.responses["customer_id"][0]])
    assert set(data.responses["customer_id"]) <= set(data.customers["customer_id"])


# ------------------------------------------------------------------ Excel
def _xlsx(path: Path, sheets: dict, title_rows: dict | None = None) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as w:
        for name, df in sheets.items():
            start = (title_rows or {}).get(name, 0)
            df.to_excel(w, sheet_name=name, index=False, startrow=start)
            if start:
                w.sheets[name].cell(row=1, column=1, value="Survey export, confidential")


def test_workbook_one_sheet_per_wave_stacked(tmp_path, world):
    folder = cx.save(world, tmp_path / "x", fmt="excel")
    r = world.responses
    waves = sorted(r["wave"].unique())[:3]
    cover = pd.DataFrame({"About": ["Exported from the CRM", "Do not edit"]})
    sheets = {"Cover": cover} | {w: r[r["wave"] == w] for w in waves}
    _xlsx(folder / "responses.xlsx", sheets, title_rows={waves[1]: 2})
    data = load(folder)
    got = data.responses
    assert len(got) == int(r["wave"].isin(waves).sum())
    assert list(got["sheet"].unique()) == waves
    assert set(got["response_id"]) == set(r.loc[r["wave"].isin(waves), "response_id"])
    one(data.inferred, "responses", "3 sheets with the same header stacked")
    one(data.inferred, "responses", "'Cover'")
    one(data.inferred, "responses", "2 title row(s)")


def test_sheet_with_other_columns_refused(tmp_path, world):
    folder = cx.save(world, tmp_path / "x", fmt="excel")
    r = world.responses
    _xlsx(folder / "responses.xlsx", {"a": r, "b": r[["response_id", "customer_id",
                                                      "survey_date", "nps"]]})
    one(errors(folder), "responses", "sheet 'b' has other columns")


def test_no_header_sheet_reported_as_such(tmp_path, world):
    folder = cx.save(world, tmp_path / "x", fmt="excel")
    _xlsx(folder / "branches.xlsx", {"Notes": pd.DataFrame({"x": [1, 2]})})
    p = one(errors(folder), "branches", "no sheet has the required columns branch_id")
    assert "header row" in p.fix


def test_numeric_date_cells_in_xlsx(tmp_path, world):
    folder = cx.save(world, tmp_path / "x", fmt="excel")
    c = world.customers.drop(columns=["tenure_days", "churned"])
    serial = (c["signup_date"] - pd.Timestamp("1899-12-30")).dt.days
    _xlsx(folder / "customers.xlsx", {"customers": c.assign(signup_date=serial)})
    data = load(folder)
    assert data.customers["signup_date"].equals(world.customers["signup_date"])
    one(data.inferred, "customers", "Excel serial numbers", "signup_date")


def test_legacy_xls_is_read(tmp_path, world):
    xlwt = pytest.importorskip("xlwt")  # BSD, test extra: writes the legacy format
    folder = cx.save(world, tmp_path / "x", fmt="csv")
    b = world.branches
    book = xlwt.Workbook()
    sh = book.add_sheet("branches")
    for j, col in enumerate(b.columns):
        sh.write(0, j, col)
        for i, v in enumerate(b[col]):
            sh.write(i + 1, j, v)
    (folder / "branches.csv").unlink()
    book.save(str(folder / "branches.xls"))
    data = load(folder)
    assert list(data.branches["branch_id"]) == list(b["branch_id"])
    np.testing.assert_allclose(data.branches["employee_sat"], b["employee_sat"])


# ------------------------------------------------------------------ one source, dialects
def test_two_files_for_one_table(folder, world):
    world.customers.to_parquet(folder / "customers.parquet")
    p = one(errors(folder), "customers", "two files for one table")
    assert "customers.csv" in p.message and "customers.parquet" in p.message


@pytest.mark.parametrize(
    "kw,note",
    [
        ({"sep": ";", "decimal": ","}, "semicolon-separated, decimal comma"),
        ({"sep": ";"}, "semicolon-separated, decimal point"),
        ({"sep": "\t"}, "tab-separated"),
        ({"encoding": "utf-8-sig"}, "utf-8-sig"),
        ({"encoding": "latin-1"}, "latin-1"),
        ({"encoding": "cp1256"}, "cp1256"),
    ],
)
def test_csv_dialects_and_encodings(folder, world, kw, note):
    b = world.branches.assign(branch_id=world.branches["branch_id"] + {
        "latin-1": "é", "cp1256": " شعبه"}.get(kw.get("encoding"), ""))
    b.to_csv(folder / "branches.csv", index=False, **kw)
    r = world.responses
    r.to_csv(folder / "responses.csv", index=False, **{k: v for k, v in kw.items()
                                                        if k != "encoding"})
    data = load(folder, as_of=None)
    assert list(data.branches["branch_id"]) == list(b["branch_id"])
    np.testing.assert_allclose(data.branches["employee_sat"], b["employee_sat"])
    if "sep" in kw:
        np.testing.assert_allclose(data.responses["nps"], r["nps"])
    one(data.inferred, "branches", note)


def test_declared_dialect(folder, world):
    world.branches.to_csv(folder / "branches.csv", index=False, sep="|", encoding="cp1256")
    write_meta(folder, tables={"branches": {"separator": "|", "encoding": "cp1256"}})
    data = load(folder)
    assert list(data.branches["branch_id"]) == list(world.branches["branch_id"])
    one(data.inferred, "branches", "(declared)")


def test_unparseable_csv_names_file_and_line(folder):
    p = folder / "branches.csv"
    lines = p.read_text().splitlines()
    lines[3] += ",extra,fields"
    p.write_text("\n".join(lines) + "\n")
    e = one(errors(folder), "branches", "branches.csv: cannot be split into columns")
    assert "line 4" in e.message
