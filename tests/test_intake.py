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


def restamp(folder: Path, fmt: str, table: str = "responses", col: str = "survey_date"):
    """Rewrite a date column of a CSV table in another date format."""
    return rewrite(
        folder, table, lambda d: d.assign(**{col: pd.to_datetime(d[col]).dt.strftime(fmt)})
    )


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
        (
            ["1403/01/01", "۱۴۰۴/۰۱/۰۱", "1403-12-30 10:30"],
            {},
            ["2024-03-20", "2025-03-21", "2025-03-20 10:30"],
        ),
        (["30/07/2025", "01/02/2025"], {}, ["2025-07-30", "2025-02-01"]),
        (["07/30/2025", "02/01/2025"], {}, ["2025-07-30", "2025-02-01"]),
        (["01/02/2025"], {"fmt": "%d/%m/%Y"}, ["2025-02-01"]),
        ([20250730, 20240101], {}, ["2025-07-30", "2024-01-01"]),
        ([45868, 45658], {"fmt": "excel"}, ["2025-07-30", "2025-01-01"]),
        ([45868.5], {"excel_cells": True}, ["2025-07-30 12:00"]),
        (
            ["2025-07-30T10:00:00+03:30", "2025-07-30T10:00:00Z"],
            {},
            ["2025-07-30 06:30", "2025-07-30 10:00"],
        ),
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
        (
            ["01/02/2025", "03/04/2025"],
            "cannot be told apart",
            "declare `date_format: '%d/%m/%Y'` for t.c in meta.json",
        ),
        (["13/02/2025", "03/14/2025"], "both day-first and month-first", "YYYY-MM-DD"),
        (
            [45868, 45869],
            "Excel serial numbers (45868 would be 2025-07-30)",
            "declare `date_format: 'excel'` for t.c",
        ),
        (["01/02/25"], "two-digit years", "four-digit years"),
    ],
)
def test_date_forms_refused_with_the_fix(values, phrase, fix):
    p = parse_dates(pd.Series(values), DateSpec("t.c"))
    assert p.values.isna().all()
    ((msg, how, rows),) = p.problems
    assert phrase in msg and fix in how and rows.all()


def test_time_zone_aware_column_made_naive():
    s = pd.Series(pd.to_datetime(["2025-07-30 10:00"]).tz_localize("Asia/Tehran"))
    p = parse_dates(s, DateSpec("t.c"))
    assert p.values.dtype == "datetime64[ns]"
    assert p.values.iloc[0] == pd.Timestamp("2025-07-30 06:30")


# ------------------------------------------------------------------ dates in files
def test_integer_dates_yyyymmdd_read_right(folder, world):
    restamp(folder, "%Y%m%d")
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
    restamp(folder, "%d/%m/%Y")
    data = load(folder)
    assert data.responses["survey_date"].equals(world.responses["survey_date"])
    one(data.inferred, "responses", "DD/MM/YYYY", "survey_date")


def test_ambiguous_day_month_refused_with_exact_fix(folder, world):
    early = world.responses["survey_date"].dt.day <= 12
    rewrite(
        folder,
        "responses",
        lambda d: d[early.to_numpy()].assign(
            survey_date=lambda x: pd.to_datetime(x["survey_date"]).dt.strftime("%d/%m/%Y")
        ),
    )
    p = one(errors(folder), "responses", "cannot be told apart", "survey_date")
    assert "declare `date_format: '%d/%m/%Y'` for responses.survey_date in meta.json" in p.fix
    write_meta(folder, date_format={"responses.survey_date": "%d/%m/%Y"})
    got = load(folder).responses["survey_date"]
    assert list(got) == list(world.responses.loc[early, "survey_date"])


def test_mixed_utc_offsets_converted_to_one_zone(folder, world):
    ts = world.interactions["timestamp"]
    offs = np.where(np.arange(len(ts)) % 2 == 0, "+03:30", "+00:00")
    rewrite(
        folder,
        "interactions",
        lambda d: d.assign(timestamp=ts.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy() + offs),
    )
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
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(survey_date=d["survey_date"].where(d.index != 3, "2052-03-01")),
    )
    p = one(errors(folder), "responses", "far beyond all others", "survey_date")
    assert p.examples == (world.responses["response_id"][3],) and "2052-03-01" in p.message
    assert "observation_end" in p.fix


def test_survey_before_signup(folder, world):
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(survey_date=d["survey_date"].where(d.index != 2, "2020-01-01")),
    )
    p = one(errors(folder), "responses", "before the customer's signup", "survey_date")
    assert p.examples == (world.responses["response_id"][2],)


# ------------------------------------------------------------------ Jalali files, digits
def _to_jalali(s: pd.Series, digits: bool = False) -> pd.Series:
    from persiantools.jdatetime import JalaliDate

    out = s.map(lambda t: None if pd.isna(t) else JalaliDate(t.date()).strftime("%Y/%m/%d"))
    if digits:
        out = out.map(
            lambda t: t if t is None else t.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        )
    return out


def test_iranian_crm_export(folder, world):
    """Jalali dates, Persian digits in ratings, cp1256 text, Arabic letters in labels."""
    rewrite(
        folder,
        "customers",
        lambda d: d.assign(
            signup_date=_to_jalali(world.customers["signup_date"]).to_numpy(),
            churn_date=_to_jalali(world.customers["churn_date"]).fillna("").to_numpy(),
            region=d["region"].replace({"north": "شمال", "east": "شرق"}),
            segment=d["segment"].replace({"premium": "ويژه"}),  # Arabic ye
        ),
        encoding="cp1256",
    )
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(
            survey_date=_to_jalali(world.responses["survey_date"], digits=True).to_numpy(),
            nps=d["nps"].str.translate(fa),
            attr_product_quality=d["attr_product_quality"].map(
                lambda v: v.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
            ),
        ),
    )
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


def test_jalali_observation_end_in_meta(folder, world):
    write_meta(folder, observation_end="1404/10/10")  # 10 Dey 1404
    assert load(folder).observation_end == pd.Timestamp("2025-12-31")


def test_declared_jalali_calendar(folder, world):
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(
            survey_date=_to_jalali(world.responses["survey_date"]).str.replace("/", "-").to_numpy()
        ),
    )
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
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(customer_id=d["customer_id"].where(d.index != 4, "")),
    )
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
    _xlsx(
        folder / "responses.xlsx",
        {"a": r, "b": r[["response_id", "customer_id", "survey_date", "nps"]]},
    )
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
    b = world.branches.assign(
        branch_id=world.branches["branch_id"]
        + {"latin-1": "é", "cp1256": " شعبه"}.get(kw.get("encoding"), "")
    )
    b.to_csv(folder / "branches.csv", index=False, **kw)
    r = world.responses
    r.to_csv(
        folder / "responses.csv", index=False, **{k: v for k, v in kw.items() if k != "encoding"}
    )
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


# ------------------------------------------------------------------ vocabulary and labels
def test_interaction_kind_and_channel_spellings(folder, world):
    spell = {"follow_up": "Follow-up", "complaint": "Complaint ", "survey_invite": "Survey Invite"}
    rewrite(
        folder,
        "interactions",
        lambda d: d.assign(
            kind=d["kind"].replace(spell), channel=d["channel"].replace({"email": "E-mail"})
        ),
    )
    data = load(folder)
    pd.testing.assert_series_equal(
        data.interactions["kind"].astype(str), world.interactions["kind"].astype(str)
    )
    assert (
        data.interactions["channel"].astype(str) == world.interactions["channel"].astype(str)
    ).all()
    one(data.inferred, "interactions", "spelling(s) normalised", "kind")


def test_follow_up_effect_unchanged_by_spelling(folder, world):
    rewrite(
        folder,
        "interactions",
        lambda d: d.assign(kind=d["kind"].replace({"follow_up": "Follow-up"})),
    )
    clean = cx.follow_up_effect(world).table
    spelled = cx.follow_up_effect(load(folder)).table
    pd.testing.assert_frame_equal(clean, spelled)


def test_unknown_kind_refused_listing_the_known(folder):
    rewrite(
        folder, "interactions", lambda d: d.assign(kind=d["kind"].where(d.index != 6, "refund"))
    )
    p = one(errors(folder), "interactions", "unknown values 'refund'", "kind")
    assert "purchase, support, complaint, follow_up, survey_invite" in p.fix and p.count == 1


def test_labels_trimmed_and_near_duplicates_reported(folder, world):
    seg = world.customers["segment"]
    rewrite(
        folder,
        "customers",
        lambda d: d.assign(
            segment=np.where(np.arange(len(d)) % 3 == 0, seg.replace({"premium": "Premium "}), seg)
        ),
    )
    data = load(folder)
    assert "Premium" in set(data.customers["segment"])  # trimmed
    w = one(data.problems, "customers", "differ only in case or spacing", "segment")
    assert "'Premium' vs 'premium'" in w.message and w.severity == "warning"


@pytest.mark.parametrize(
    "labels,expected",
    [
        (
            ["Q4 2024", "Q3 2025", "Q4 2025", "Q1 2025"],
            ["Q4 2024", "Q1 2025", "Q3 2025", "Q4 2025"],
        ),
        (["2025Q3", "2024-Q4", "2025 Q1"], ["2024-Q4", "2025 Q1", "2025Q3"]),
        (["1403-Q2", "1402-Q4", "1403-Q1"], ["1402-Q4", "1403-Q1", "1403-Q2"]),
        (["Wave 10", "Wave 9", "Wave 2"], ["Wave 2", "Wave 9", "Wave 10"]),
    ],
)
def test_waves_ordered_by_meaning(folder, world, labels, expected):
    r = world.responses
    wave = np.array(labels)[np.arange(len(r)) % len(labels)]
    rewrite(folder, "responses", lambda d: d.assign(wave=wave))
    assert load(folder).wave_order == expected


def test_wave_order_from_codebook_or_dates(folder, world):
    r = world.responses
    names = np.where(r["survey_date"] < r["survey_date"].median(), "spring", "autumn")
    rewrite(folder, "responses", lambda d: d.assign(wave=names))
    data = load(folder)
    assert data.wave_order == ["spring", "autumn"]
    one(data.inferred, "responses", "median survey date", "wave")
    cb = json.loads((folder / "codebook.json").read_text())
    cb["wave"] = {"order": ["autumn", "spring"]}
    (folder / "codebook.json").write_text(json.dumps(cb))
    assert load(folder).wave_order == ["autumn", "spring"]


# ------------------------------------------------------------------ columns and scales
def test_column_names_matched_to_the_contract(folder, world):
    rewrite(
        folder,
        "responses",
        lambda d: d.rename(
            columns={"overall_sat": "Overall Sat", "nps": "NPS", "survey_date": "Survey-Date"}
        ),
    )
    data = load(folder)
    assert {"overall_sat", "nps", "survey_date"} <= set(data.responses.columns)
    assert (data.responses["nps"] == world.responses["nps"]).all()
    one(data.inferred, "responses", "'Overall Sat' -> overall_sat")


def test_near_miss_column_names_did_you_mean(folder):
    rewrite(folder, "responses", lambda d: d.rename(columns={"survey_date": "survey_dat"}))
    p = one(errors(folder), "responses", "required column is missing", "survey_date")
    assert "did you mean 'survey_dat'?" in p.message


def test_duplicated_header_refused(folder):
    p = folder / "responses.csv"
    lines = p.read_text().splitlines()
    lines = [ln + ("," + ln.split(",")[5]) for ln in lines]  # the 'nps' column again
    p.write_text("\n".join(lines) + "\n")
    e = one(errors(folder), "responses", "duplicated column", "nps")
    assert "'nps' and 'nps'" in e.message


@pytest.mark.parametrize("bad", [99, 1e6])
def test_attr_ratings_have_a_default_scale_without_codebook(folder, bad):
    (folder / "codebook.json").unlink()
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(
            attr_value_for_money=d["attr_value_for_money"].where(d.index != 1, str(bad))
        ),
    )
    p = one(errors(folder), "responses", "outside the scale 1-10", "attr_value_for_money")
    assert p.count == 1


def test_helper_column_with_rating_prefix_is_not_a_driver(folder):
    rewrite(folder, "responses", lambda d: d.assign(attr_row_number=np.arange(1, len(d) + 1)))
    data = load(folder)  # the codebook lists the drivers: the helper is not one of them
    assert "attr_row_number" not in data.attributes and len(data.attributes) == 8
    one(data.inferred, "responses", "not a driver", "attr_row_number")
    (folder / "codebook.json").unlink()  # without a codebook: refused, and told why
    p = one(errors(folder), "responses", "outside the scale 1-10", "attr_row_number")
    assert "looks like a row number" in p.fix


def test_spss_missing_labels_become_missing(tmp_path, world):
    import pyreadstat

    folder = cx.save(world, tmp_path / "s", fmt="spss")
    (folder / "codebook.json").unlink()  # the scales come from the SPSS labels
    df, meta = pyreadstat.read_sav(str(folder / "responses.sav"))
    df.loc[[0, 5], "attr_product_quality"] = 99
    df.loc[[1], "attr_product_quality"] = 98
    labels = {
        "attr_product_quality": {
            1.0: "very poor",
            10.0: "excellent",
            99.0: "Refused",
            98.0: "Don't know",
        },
        "overall_sat": {1.0: "very dissatisfied", 10.0: "very satisfied", 97.0: "بدون پاسخ"},
    }
    pyreadstat.write_sav(df, str(folder / "responses.sav"), variable_value_labels=labels)
    data = load(folder)
    got = data.responses["attr_product_quality"]
    assert got.isna().sum() == 3 and got[[0, 1, 5]].isna().all()
    scale = data.codebook["attr_product_quality"]
    assert (scale["min"], scale["max"]) == (1, 10)  # not widened to 1-99
    assert "attr_product_quality" in data.attributes
    w = one(data.problems, "responses", "mean no answer", "attr_product_quality")
    assert "99 = 'Refused'" in w.message and "3 value(s)" in w.message
    one(data.problems, "responses", "97 = 'بدون پاسخ'", "overall_sat")


def test_duplicate_kano_pairs_refused(folder):
    rewrite(folder, "kano_answers", lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True))
    p = one(errors(folder), "kano_answers", "answered the same feature twice")
    assert p.count == 2


# ------------------------------------------------------------------ file-level faults
def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])


@pytest.mark.parametrize(
    "fmt,table,fault,phrase",
    [
        ("csv", "branches", lambda p: p.write_bytes(b""), "the file is empty"),
        ("csv", "branches", lambda p: p.write_text("branch_id,employee_sat\n"), "has no rows"),
        ("csv", "branches", lambda p: p.write_bytes(bytes(range(256)) * 40), "binary content"),
        ("parquet", "branches", _truncate, "not a complete Parquet file"),
        ("excel", "branches", _truncate, "not a complete Excel workbook"),
        ("spss", "branches", _truncate, "not a complete SPSS .sav file"),
    ],
)
def test_damaged_files_named(tmp_path, world, fmt, table, fault, phrase):
    folder = cx.save(world, tmp_path / "f", fmt=fmt)
    suffix = {"csv": ".csv", "parquet": ".parquet", "excel": ".xlsx", "spss": ".sav"}[fmt]
    fault(folder / f"{table}{suffix}")
    p = one(errors(folder), table, phrase)
    assert p.fix


@pytest.mark.parametrize(
    "name,text,phrase",
    [
        (
            "codebook.json",
            '{"nps": {"min": 0, "max": 10},}',
            "codebook.json is malformed at line 1",
        ),
        ("codebook.json", '{"nps": {"min": 0}}', "codebook.json: entry has no max"),
        ("meta.json", '{"observation_end": "2025-12-31"', "meta.json is malformed"),
        ("meta.json", '{"observaton_end": "2025-12-31"}', "did you mean 'observation_end'?"),
        ("meta.json", '{"timezone": "Mars/Olympus"}', "unknown time zone"),
    ],
)
def test_malformed_codebook_and_meta(folder, name, text, phrase):
    (folder / name).write_text(text)
    p = [e for e in errors(folder) if phrase in e.message]
    assert p, phrase


def test_malformed_yaml_codebook(folder):
    (folder / "codebook.json").unlink()
    (folder / "codebook.yaml").write_text("nps: {min: 0, max: 10\nces: [")
    p = one(errors(folder), "codebook", "codebook.yaml is malformed")
    assert "line" in p.message


def test_db_file_that_is_not_duckdb(tmp_path):
    p = tmp_path / "crm.db"
    p.write_bytes(b"SQLite format 3\x00" + bytes(4000))
    with pytest.raises(cx.DataValidationError) as e:
        cx.load(p)
    assert "crm.db is not a DuckDB database" in str(e.value)


def test_single_file_that_is_not_a_database(tmp_path):
    p = tmp_path / "customers.csv"
    p.write_text("customer_id\n1\n")
    with pytest.raises(cx.DataValidationError) as e:
        cx.load(p)
    assert "must be a DuckDB database" in str(e.value)


def test_problems_and_inferences_travel_with_the_data(folder):
    restamp(folder, "%d/%m/%Y")
    data = load(folder)
    assert any("DD/MM/YYYY" in c for c in data.caveats())
    assert all(p.severity == "note" for p in data.inferred)
    # re-validating keeps what the loader inferred
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = cx.validate(data)
    assert [str(p) for p in again.inferred][:1] == [str(p) for p in data.inferred][:1]


# ------------------------------------------------------------------ cxmodels validate
def test_cli_validate_prints_a_table_and_exits_1(folder, capsys):
    from cxmodels.cli import main

    rewrite(
        folder, "interactions", lambda d: d.assign(kind=d["kind"].where(d.index != 6, "refund"))
    )
    restamp(folder, "%d/%m/%Y")
    assert main(["validate", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "Inferred (check these):" in out and "DD/MM/YYYY" in out
    header = next(ln for ln in err.splitlines() if ln.startswith("table"))
    assert header.split() == ["table", "column", "problem", "rows", "examples", "fix"]
    assert "interactions  kind" in err and "Invalid: 1 error(s)" in err
    assert "Traceback" not in out + err


def test_cli_validate_json_for_a_scheduler(folder, capsys, tmp_path):
    from cxmodels.cli import main

    restamp(folder, "%d/%m/%Y")
    assert main(["validate", str(folder), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is True and doc["errors"] == 0
    assert doc["tables"]["customers"] == N
    assert any("DD/MM/YYYY" in r["problem"] for r in doc["inferred"])
    (folder / "customers.csv").write_bytes(b"")
    out = tmp_path / "report.json"
    assert main(["validate", str(folder), "--json", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["valid"] is False
    assert doc["problems"][0]["problem"] == "customers.csv: the file is empty"
    assert set(doc["problems"][0]) == {
        "severity",
        "table",
        "column",
        "problem",
        "rows",
        "examples",
        "fix",
    }


def test_cli_validate_warnings_only_exit_0(folder, capsys):
    from cxmodels.cli import main

    rewrite(folder, "responses", lambda d: d.assign(ces=np.where(d.index > 10, "", d["ces"])))
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Warnings (" in out and "more than half empty" in out and "Valid" in out


def test_cli_validate_missing_path(tmp_path, capsys):
    from cxmodels.cli import main

    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "No data at" in capsys.readouterr().err


# ------------------------------------------------------------------ digits and letters
@pytest.mark.parametrize(
    "values,decimal,expected",
    [
        (["۷", "۱۰", "٣"], ".", [7, 10, 3]),
        (["٧٫٥", "١٬٢٣٤"], ".", [7.5, 1234]),  # U+066B decimal, U+066C thousands
        (["7,5", "1.234,5"], ",", [7.5, 1234.5]),
        (["seven", ""], ".", [np.nan, np.nan]),
    ],
)
def test_numbers_in_any_digits(values, decimal, expected):
    from cxmodels.data.text import numeric_text

    got = numeric_text(pd.Series(values, dtype=object), decimal)
    np.testing.assert_array_equal(got.to_numpy(float), np.array(expected, float))


def test_arabic_letters_normalised_to_persian():
    from cxmodels.data.text import canonical_name, normalize_label

    assert normalize_label("  مشتري  ويژه ") == "مشتری ویژه"
    assert normalize_label("كارت ۱") == "کارت 1"
    assert canonical_name(" Overall  Sat ") == "overall_sat"


def test_survival_from_wave_orders_waves_by_meaning(folder, world):
    """``from_wave='Q4 2024'`` keeps Q1-Q3 2025 (as strings they sort before 'Q4 2024')."""
    r = world.responses
    q = r["survey_date"].dt.quarter.astype(str)
    labels = "Q" + q + " " + r["survey_date"].dt.year.astype(str)
    rewrite(folder, "responses", lambda d: d.assign(wave=labels.to_numpy()))
    data = load(folder)
    table = cx.churn.survival_table(data, from_wave="Q4 2024")
    later = r["survey_date"] >= "2024-10-01"
    assert set(table["customer_id"]) == set(r.loc[later, "customer_id"].astype(str))
    assert (table["origin_date"] >= pd.Timestamp("2024-10-01")).all()
    assert (table["origin_date"] < pd.Timestamp("2025-01-01")).any()  # Q4 2024 itself kept
    with pytest.raises(cx.InputError, match="did you mean 'Q4 2024'"):
        cx.churn.survival_table(data, from_wave="Q4 2O24")


@pytest.mark.parametrize("dialect", ["comma", "semicolon-decimal-comma", "cp1256"])
def test_fast_csv_parser_reads_as_the_c_parser(tmp_path, world, dialect):
    """pyarrow's parser (used for speed) gives the C parser's frame, value for value."""
    import csv

    from cxmodels.data import readers
    from cxmodels.data.text import is_text

    sep, dec, enc = {
        "comma": (",", ".", "utf-8"),
        "semicolon-decimal-comma": (";", ",", "utf-8"),
        "cp1256": (",", ".", "cp1256"),
    }[dialect]
    for t, df in world.tables.items():
        df = df.drop(columns=[c for c in ("tenure_days", "churned") if c in df])
        if t == "customers":
            df = df.assign(segment=df["segment"].astype(str).replace({"consumer": "مصرف کننده"}))
            df["customer_id"] = df["customer_id"].str.replace("C", "0")  # leading zeros
        path = tmp_path / f"{t}.csv"
        df.to_csv(path, sep=sep, decimal=dec, encoding=enc, index=False)
        with open(path, encoding=enc, newline="") as fh:
            header = next(csv.reader(fh, delimiter=sep))
        kw = {
            "sep": sep,
            "decimal": dec,
            "encoding": enc,
            "dtype": dict.fromkeys(readers._columns_of_kind(t, header, readers.TEXT_KINDS), "str"),
            "keep_default_na": False,
            "na_values": readers.NA_VALUES,
        }
        fast = readers._csv_fast(path, header, kw)
        assert fast is not None, t
        text = [c for c in fast if is_text(fast[c])]  # Arrow strings: the C parser's objects
        assert set(kw["dtype"]) <= set(text), t
        slow = pd.read_csv(path, low_memory=False, **kw)
        nullable = [c for c in fast if isinstance(fast[c].dtype, pd.BooleanDtype)]
        for c in text + nullable:  # as Python objects, missing as NaN, as the C parser gives them
            fast[c] = fast[c].astype(object).where(fast[c].notna(), np.nan)
        pd.testing.assert_frame_equal(fast, slow)
    assert fast is not None


def test_fast_csv_parser_leaves_ragged_files_to_the_c_parser(folder):
    """A ragged row: the fast parser steps aside and the C parser's message names the line."""
    p = folder / "branches.csv"
    p.write_text(p.read_text() + "B999,7.1,extra\n")
    one(errors(folder), "branches", "line")


# ------------------------------------------------------------------ the DuckDB engine
def _at(col, row, value):
    return lambda d: d.assign(**{col: d[col].where(d.index != row, value)})


DUCK_FAULTS = {
    "blank id": [("responses", _at("customer_id", 4, ""))],
    "unknown customer": [("responses", _at("customer_id", 5, "C9999999"))],
    "duplicate key": [("responses", lambda d: pd.concat([d, d.iloc[[7]]], ignore_index=True))],
    "survey before signup": [("responses", _at("survey_date", 2, "2020-01-01"))],
    "not a date": [("responses", _at("survey_date", 3, "someday"))],
    "not a number": [("responses", _at("nps", 6, "nine"))],
    "churn before signup": [("customers", _at("churn_date", 8, "2000-01-01"))],
    "signup in 1700": [("customers", _at("signup_date", 3, "1700-01-05"))],
    "unknown kind": [("interactions", _at("kind", 6, "refund"))],
    "kind spelling": [("interactions", _at("kind", 6, "Follow-up"))],
    "negative minutes": [("interactions", _at("response_minutes", 9, "-5"))],
    "kano twice": [("kano_answers", lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True))],
    "kano half answer": [("kano_answers", _at("functional", 2, "2.5"))],
    "near-miss column": [("responses", lambda d: d.rename(columns={"survey_date": "survey_dat"}))],
    "column spelling": [("responses", lambda d: d.rename(columns={"overall_sat": "Overall Sat"}))],
    "near-duplicate labels": [("customers", _at("segment", 0, "Premium "))],
    "rating outside scale": [("responses", _at("attr_value_for_money", 1, "99"))],
    "row number as rating": [("responses", lambda d: d.assign(attr_row=np.arange(len(d)) + 1))],
    "outlying year": [("responses", _at("survey_date", 3, "2052-03-01"))],
}


def _found(folder: Path, engine: str) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return cx.load(folder, engine=engine).report.problems
        except cx.DataValidationError as exc:
            return exc.report.problems


@pytest.mark.parametrize("fault", list(DUCK_FAULTS))
def test_duckdb_engine_reports_as_the_pandas_engine(folder, fault):
    """The same faults give the same problems (message, fix, count, example keys) in SQL."""
    for table, fn in DUCK_FAULTS[fault]:
        rewrite(folder, table, fn)
    if fault in ("rating outside scale", "row number as rating", "outlying year"):
        (folder / "codebook.json").unlink()
    if fault == "outlying year":
        (folder / "meta.json").unlink()
    before = _hashes(folder)
    pandas_, duck = _found(folder, "pandas"), _found(folder, "duckdb")
    assert _hashes(folder) == before
    assert any(p.severity != "note" or fault.endswith("spelling") for p in pandas_), fault

    def key(p):
        return (p.severity, p.table, p.column, p.message, p.fix, p.count)

    assert sorted(map(key, duck)) == sorted(map(key, pandas_))
    ex = {key(p): set(p.examples) for p in pandas_}
    assert {key(p): set(p.examples) for p in duck} == ex


def test_duckdb_engine_leaves_no_temp_folder_when_it_refuses(folder, monkeypatch, tmp_path):
    """A refused load closes its connection and removes its spill folder."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    rewrite(folder, "responses", _at("customer_id", 3, ""))
    with pytest.raises(cx.DataValidationError):
        cx.load(folder, engine="duckdb")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_arrow_date_path_reads_as_the_long_way():
    """ISO text parsed in one Arrow pass gives what the value-by-value path gives; a column
    Arrow cannot read exactly (an offset, a Jalali year, 2025-02-30) takes the long way."""
    from cxmodels.data.dates import DateSpec, parse_dates
    from cxmodels.data.text import TEXT

    iso = ["2025-07-30", "2025-07-30 10:11:12", "2025-07-30T23:59:59.5", None, "2024-02-29"]
    fast = parse_dates(pd.Series(iso, dtype=TEXT), DateSpec(where="t.d"))
    slow = parse_dates(pd.Series(iso, dtype=object), DateSpec(where="t.d"))
    pd.testing.assert_series_equal(fast.values, slow.values)
    assert fast.values.isna().tolist() == [False, False, False, True, False]
    for odd, want in [
        ("2025-07-30T10:00:00+03:30", pd.Timestamp("2025-07-30 06:30")),
        ("1403/05/12", pd.Timestamp("2024-08-02")),
    ]:
        got = parse_dates(pd.Series(["2025-07-30", odd], dtype=TEXT), DateSpec(where="t.d"))
        assert got.values.iloc[1] == want, odd
    bad = parse_dates(pd.Series(["2025-07-30", "2025-02-30"], dtype=TEXT), DateSpec(where="t.d"))
    assert bad.values.iloc[0] == pd.Timestamp("2025-07-30") and bad.bad(np.zeros(2, bool))[1]


def test_duckdb_engine_reads_only_what_is_asked(tmp_path, world):
    """Filters and columns go into SQL; the tables equal the pandas engine's subset."""
    folder = cx.save(world, tmp_path / "pq", fmt="parquet")
    full = load(folder)
    lazy = cx.load(folder, engine="duckdb")
    assert lazy.wave_order == full.wave_order and lazy.observation_end == full.observation_end
    seg = lazy.subset(segment="consumer").select(responses=["customer_id", "nps", "wave"])
    assert "WHERE" in seg.sql("responses") and seg.responses.shape[1] == 3
    want = full.subset(segment="consumer")
    assert len(seg.customers) == len(want.customers) and len(seg.responses) == len(want.responses)
    assert set(seg.responses["customer_id"]) == set(want.responses["customer_id"])
    got, ref = cx.metrics.nps(seg.responses["nps"]), cx.metrics.nps(want.responses["nps"])
    assert got.table.equals(ref.table)
    with pytest.raises(cx.InputError, match="no customers in segment"):
        lazy.subset(segment="nobody")
    db = cx.save(world, tmp_path / "w.duckdb", fmt="duckdb")
    assert len(cx.load(db, engine="duckdb").subset(segment="consumer").customers) == len(
        want.customers
    )


def test_duckdb_engine_refuses_what_it_does_not_read(tmp_path, world):
    """Excel files and non-UTF-8 CSVs: refused naming the file and the fix; no duckdb: told."""
    folder = cx.save(world, tmp_path / "x", fmt="csv")
    world.branches.to_excel(folder / "branches.xlsx", index=False)
    (folder / "branches.csv").unlink()
    p = folder / "kano_answers.csv"
    p.write_bytes(p.read_text().replace("consumer", "مصرف").encode("cp1256"))
    with pytest.raises(cx.DataValidationError) as exc:
        cx.load(folder, engine="duckdb")
    probs = exc.value.report.errors
    assert "engine='pandas'" in one(probs, "branches", "branches.xlsx").fix
    assert "UTF-8" in one(probs, "kano_answers", "kano_answers.csv").message
    (folder / "branches.xlsx").unlink()
    (folder / "kano_answers.csv").unlink()
    rewrite(folder, "responses", _at("survey_date", 2, "1403/05/12"))  # Jalali: not Gregorian 1403
    rewrite(folder, "interactions", _at("timestamp", 1, "2025-07-05T10:00:00+03:30"))
    with pytest.raises(cx.DataValidationError) as exc:
        cx.load(folder, engine="duckdb")
    assert one(exc.value.report.errors, "responses", "not dates", "survey_date").count == 1
    rewrite(folder, "responses", _at("survey_date", 2, "2025-07-05"))
    got = cx.load(folder, engine="duckdb").interactions["timestamp"].iloc[1]
    assert got == pd.Timestamp("2025-07-05 06:30")  # the offset converted to UTC, then naive
    with pytest.raises(cx.InputError, match="did you mean 'duckdb'"):
        cx.load(folder, engine="duck_db")


def test_cli_validate_with_the_duckdb_engine(tmp_path, world, capsys):
    """``cxmodels validate --engine duckdb``: the same verdict as pandas, rows counted in SQL."""
    from cxmodels.cli import main

    folder = cx.save(world, tmp_path / "w", fmt="parquet")
    assert main(["validate", str(folder), "--engine", "duckdb", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is True and doc["tables"]["customers"] == len(world.customers)
    assert doc["tables"]["interactions"] == len(world.interactions)
    bad = pd.read_parquet(folder / "customers.parquet")
    bad.loc[3, "customer_id"] = bad.loc[2, "customer_id"]
    bad.to_parquet(folder / "customers.parquet")
    assert main(["validate", str(folder), "--engine", "duckdb"]) == 1
    out, err = capsys.readouterr()
    assert "customers" in err and "customer_id" in err and "Traceback" not in out + err


def test_models_take_the_duckdb_engine_data_and_give_the_same_numbers(tmp_path, world):
    """DuckData is a data set for every model: drivers, segments and purchases read it."""
    folder = cx.save(world, tmp_path / "pq", fmt="parquet")
    lazy, full = cx.load(folder, engine="duckdb"), load(folder)
    a = cx.fit_drivers(lazy.subset(segment="consumer"), outcome="overall_sat")
    b = cx.fit_drivers(full.subset(segment="consumer"), outcome="overall_sat")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert cx.value.with_purchases(lazy).interactions["amount"].notna().any()


@pytest.mark.slow  # a notebook execution: the end-to-end step
def test_a_report_notebook_runs_on_the_duckdb_engine(tmp_path, world):
    """The engine parameter reaches cx.open_data; DuckDB inside a Jupyter kernel (where its
    progress-bar setting is refused) loads and the notebook runs through."""
    import papermill as pm

    folder = cx.save(world, tmp_path / "pq", fmt="parquet")
    nb = Path(__file__).resolve().parents[1] / "notebooks" / "03_kano_analysis.ipynb"
    params = {"data_path": str(folder), "engine": "duckdb", "bootstrap": 20}
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), parameters=params, progress_bar=False, cwd=tmp_path)
    import nbformat

    cells = nbformat.read(out, as_version=4).cells
    injected = [c.source for c in cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'engine = "duckdb"' in injected[0]


def test_blank_labels_are_missing_and_old_years_refused(folder):
    """A label of spaces is missing, not ''; a signup year of 1700 is refused naming the row
    (it used to overflow the tenure computation)."""
    rewrite(folder, "customers", _at("segment", 4, "   "))
    data = load(folder)
    assert pd.isna(data.customers.loc[4, "segment"])
    rewrite(folder, "customers", _at("signup_date", 3, "1700-01-05"))
    with pytest.raises(cx.DataValidationError, match=r"signup_date: dates before 1900"):
        load(folder)
