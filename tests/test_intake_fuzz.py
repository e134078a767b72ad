"""Read wrong without a word (issue 26): files built the way users' tools write them, loaded by
both engines, each read right or refused naming table, column and fix.

Right-to-left exports put direction marks and zero-width characters into headers, labels and
ids, write Persian words with Arabic yeh and kaf (Windows-1256 has no Persian yeh), and ids with
Persian digits; the loaders normalise these in one place (:mod:`cxmodels.data.text`) for both
engines and never touch the source files.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pandas as pd
import pytest

import cxmodels as cx


@pytest.fixture(scope="module")
def world():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(200, seed=4))


@pytest.fixture
def folder(tmp_path, world):
    return cx.save(world, tmp_path / "data", fmt="csv")


def _hashes(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def rewrite(folder: Path, table: str, fn, **to_csv) -> None:
    p = folder / f"{table}.csv"
    fn(pd.read_csv(p, dtype=str, keep_default_na=False)).to_csv(p, index=False, **to_csv)


def load(folder: Path, engine: str):
    """Load with ``engine``; the sources are unchanged afterwards."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    before = _hashes(folder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cx.load(folder, engine=engine)
    finally:
        assert _hashes(folder) == before, "a loader modified its sources"


def refused(folder: Path, engine: str) -> list:
    with pytest.raises(cx.DataValidationError) as exc:
        load(folder, engine)
    assert "Traceback" not in str(exc.value)
    return exc.value.report.errors


def _every_other(values: pd.Series, fn) -> pd.Series:
    return values.where(values.index % 2 == 0, values.map(fn))


# ------------------------------------------------------------------ invisible marks, letters, digits
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_direction_marks_in_headers(folder, world, engine):
    rewrite(
        folder,
        "responses",
        lambda d: d.rename(columns={"nps": "\u200fnps", "overall_sat": "overall_sat\u200e"}),
    )
    got = load(folder, engine).responses
    assert list(got["nps"]) == list(world.responses["nps"])
    assert list(got["overall_sat"]) == list(world.responses["overall_sat"])


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_direction_marks_in_labels_make_no_second_segment(folder, world, engine):
    rewrite(
        folder,
        "customers",
        lambda d: d.assign(segment=_every_other(d["segment"], lambda v: v + "\u200f")),
    )
    got = load(folder, engine).customers["segment"]
    assert sorted(got.unique()) == sorted(world.customers["segment"].unique())
    assert list(got) == list(world.customers["segment"])


PERSIAN_FEATURES = {
    "contactless_payment": "پرداخت بی‌تماس",
    "self_service_portal": "پرتال سلف سرویس",
    "order_tracking": "پیگیری سفارش",
    "free_delivery": "پیک رایگان",
}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_kano_feature_with_arabic_yeh_and_kaf_is_one_feature(folder, world, engine):
    names = {
        k: PERSIAN_FEATURES.get(k, f"ویژگی {i}")
        for i, k in enumerate(world.kano_answers["feature"].unique())
    }
    arabic = str.maketrans({"ی": "ي", "ک": "ك"})

    def persian(d):
        f = d["feature"].map(names)
        return d.assign(feature=_every_other(f, lambda v: v.translate(arabic)))

    rewrite(folder, "kano_answers", persian)
    got = load(folder, engine).kano_answers["feature"]
    assert sorted(got.unique()) == sorted(names.values())
    assert list(got) == list(world.kano_answers["feature"].map(names))


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_ids_with_persian_digits_or_zero_width_marks_match(folder, world, engine):
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(customer_id=_every_other(d["customer_id"], lambda v: v.translate(fa))),
    )
    rewrite(
        folder,
        "interactions",
        lambda d: d.assign(
            customer_id=_every_other(d["customer_id"], lambda v: "\u200b" + v + "\u200c")
        ),
    )
    data = load(folder, engine)
    assert list(data.responses["customer_id"]) == list(world.responses["customer_id"])
    assert list(data.interactions["customer_id"]) == list(world.interactions["customer_id"])


# ------------------------------------------------------------------ the engines give the same tables
def test_duckdb_table_without_the_optional_channel_column(folder, world):
    rewrite(folder, "interactions", lambda d: d.drop(columns="channel"))
    data = load(folder, "duckdb")
    assert "channel" not in data.interactions and len(data.interactions) == len(world.interactions)
    got = data.select(interactions=["customer_id", "timestamp", "kind"]).interactions
    assert list(got.columns) == ["customer_id", "timestamp", "kind"]
    assert str(got["timestamp"].dtype) == "datetime64[ns]"


def test_duckdb_data_runs_the_effects_of_interactions(tmp_path, world):
    folder = cx.save(world, tmp_path / "data", fmt="csv")
    duck, pandas_ = load(folder, "duckdb"), load(folder, "pandas")
    from cxmodels import effects

    for fn in (effects.follow_up_effect, effects.response_time_effect, effects.effect_by_channel):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, b = fn(duck), fn(pandas_)
        assert type(a) is type(b) and repr(a) == repr(b)


def test_unreadable_true_false_values_are_shown_in_the_same_words_by_both_engines(folder):
    rewrite(
        folder,
        "interactions",
        lambda d: d.assign(resolved=d["resolved"].where(d.index % 50 != 3, "maybe")),
    )

    def key(p):
        return (p.table, p.column, p.message, p.fix, p.count, set(p.examples))

    pandas_ = [e for e in refused(folder, "pandas") if e.column == "resolved"]
    assert len(pandas_) == 1 and "'maybe'" in pandas_[0].message, pandas_
    assert list(map(key, refused(folder, "duckdb"))) == list(map(key, pandas_))


# ------------------------------------------------------------------ big values, damaged files
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize("size", [140_000, 5_000_000])
def test_a_very_long_comment_is_a_value(folder, engine, size):
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(comment_liked=d["comment_liked"].where(d.index != 3, "x" * size)),
    )
    assert len(load(folder, engine).responses["comment_liked"].iloc[3]) == size


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_truncated_parquet_file_is_named(tmp_path, world, engine):
    folder = cx.save(world, tmp_path / "data", fmt="parquet")
    p = folder / "interactions.parquet"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    (e,) = refused(folder, engine)
    assert e.table == "interactions" and "interactions.parquet" in e.message, e


def test_a_duplicated_header_is_refused_by_both_engines(folder):
    p = folder / "responses.csv"
    lines = p.read_text().splitlines()
    lines[0] = lines[0].replace(",ces,", ",nps,")
    p.write_text("\n".join(lines) + "\n")

    def key(p):
        return (p.table, p.column, p.message, p.fix)

    pandas_ = refused(folder, "pandas")
    assert any(e.column == "nps" and "'nps'" in e.message for e in pandas_), pandas_
    assert list(map(key, refused(folder, "duckdb"))) == list(map(key, pandas_))


# ------------------------------------------------------------------ waves, amounts
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_one_wave_written_two_ways_is_refused(folder, world, engine):
    last = world.wave_order[-1]  # 2025Q4
    other = f"Q{last[-1]} {last[:4]}"
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(wave=d["wave"].where((d["wave"] != last) | (d.index % 2 == 0), other)),
    )
    (e,) = [e for e in refused(folder, engine) if e.column == "wave"]
    assert repr(last) in e.message and repr(other) in e.message, e


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_declared_wave_without_answers_and_a_tiny_wave_are_said(folder, world, engine):
    import json

    order = list(world.wave_order)
    cb = json.loads((folder / "codebook.json").read_text())
    cb["wave"] = {"order": [*order, "2026Q1"]}
    (folder / "codebook.json").write_text(json.dumps(cb))
    keep = set(world.responses.loc[world.responses["wave"] == order[-1], "response_id"][:3])
    rewrite(
        folder, "responses", lambda d: d[(d["wave"] != order[-1]) | d["response_id"].isin(keep)]
    )
    said = [p for p in load(folder, engine).problems if p.column == "wave"]
    assert any("'2026Q1'" in p.message for p in said), said
    assert any(f"'{order[-1]}' 3" in p.message for p in said), said


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_negative_amounts_are_refused(tmp_path, engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shop = cx.validate(cx.generate(150, seed=3, purchases=True))
    folder = cx.save(shop, tmp_path / "data", fmt="csv")
    first = shop.interactions["amount"].first_valid_index()
    rewrite(
        folder,
        "interactions",
        lambda d: d.assign(amount=d["amount"].where(d.index != first, "-" + d["amount"][first])),
    )
    (e,) = [e for e in refused(folder, engine) if e.column == "amount"]
    assert e.count == 1 and shop.interactions["interaction_id"][first] in e.examples, e


# ------------------------------------------------------------------ scales and names the models use
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_nps_asked_on_one_to_ten_is_refused(folder, world, engine):
    def one_to_ten(d):
        nps = pd.to_numeric(d["nps"]).clip(lower=1)
        return d.assign(nps=nps.where(d.index >= 12, 1).astype(str))

    rewrite(folder, "responses", one_to_ten)
    (e,) = [e for e in refused(folder, engine) if e.column == "nps"]
    assert "1-10" in e.message and '"checked": true' in e.fix, e
    import json

    cb = json.loads((folder / "codebook.json").read_text())
    cb["nps"] = {"min": 0, "max": 10, "checked": True}
    (folder / "codebook.json").write_text(json.dumps(cb))
    assert (load(folder, engine).responses["nps"] >= 1).all()


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_new_attr_question_missing_from_the_codebook_is_no_raw_error(folder, world, engine):
    import numpy as np

    rng = np.random.default_rng(1)
    rewrite(
        folder,
        "responses",
        lambda d: d.assign(attr_new_app=rng.integers(1, 11, len(d)).astype(str)),
    )
    data = load(folder, engine)
    assert any(p.column == "attr_new_app" for p in data.inferred)
    assert "attr_new_app" not in data.attributes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cx.fit_drivers(data, drivers=[*data.attributes, "attr_new_app"])
    row = fit.table.set_index("driver").loc["attr_new_app"]  # on the default 1-10 scale
    assert np.isfinite(row["performance"]) and np.isfinite(row["importance"])


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_misspelled_kano_feature_is_refused_not_dropped(folder, world, engine):
    feats = list(world.kano_answers["feature"].unique())
    with pytest.raises(cx.InputError, match="order_trackng") as exc:
        cx.analyze_kano(load(folder, engine).kano_answers, features=[feats[0], "order_trackng"])
    assert "order_tracking" in str(exc.value)
    # spelled with Arabic yeh and kaf, a Persian feature is the same feature
    fa = world.kano_answers.assign(
        feature=world.kano_answers["feature"].replace(feats[0], "پیک رایگان")
    )
    got = cx.analyze_kano(fa, features=["پيك رايگان"])
    assert got.table["feature"].tolist() == ["پیک رایگان"]


# ------------------------------------------------------------------ Excel workbooks
def _workbook(folder: Path, world, extra=None) -> Path:
    """responses.csv replaced by responses.xlsx: the answers, and ``extra(workbook)``."""
    import openpyxl

    (folder / "responses.csv").unlink()
    p = folder / "responses.xlsx"
    with pd.ExcelWriter(p) as xw:
        world.responses.to_excel(xw, sheet_name="answers", index=False)
        world.responses.head(20).assign(nps=0).to_excel(xw, sheet_name="test", index=False)
    wb = openpyxl.load_workbook(p)
    wb["test"].sheet_state = "hidden"
    if extra:
        extra(wb)
    wb.save(p)
    return p


def test_a_hidden_sheet_of_test_answers_is_left_out(folder, world):
    _workbook(folder, world)
    data = load(folder, "pandas")
    assert len(data.responses) == len(world.responses)
    assert list(data.responses["nps"]) == list(world.responses["nps"])
    assert any("'test'" in p.message for p in data.inferred)


def test_formulas_without_saved_values_are_refused(folder, world):
    def formula(wb):
        ws = wb["answers"]
        col = [c.value for c in ws[1]].index("nps") + 1
        ws.cell(row=5, column=col).value = "=4+5"  # openpyxl saves no calculated value

    _workbook(folder, world, formula)
    (e,) = refused(folder, "pandas")
    assert "responses.xlsx" in e.message and "answers!F5" in e.message, e


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_swapped_kano_columns_are_said(folder, engine):
    def said(data):
        return [p for p in data.problems if p.table == "kano_answers" and "swapped" in p.message]

    assert said(load(folder, engine)) == []
    rewrite(
        folder,
        "kano_answers",
        lambda d: d.rename(columns={"functional": "dysfunctional", "dysfunctional": "functional"}),
    )
    (p,) = said(load(folder, engine))
    assert p.severity == "warning" and "Reverse" in p.message, p


def test_numbered_kano_features_in_parquet_are_text_in_both_engines(tmp_path, world):
    codes = {f: i + 1 for i, f in enumerate(world.kano_answers["feature"].unique())}
    kano = world.kano_answers.assign(feature=world.kano_answers["feature"].map(codes))
    folder = cx.save(cx.CXData(**{**world.tables, "kano_answers": kano}), tmp_path / "d")
    pandas_, duck = load(folder, "pandas"), load(folder, "duckdb")
    assert list(pandas_.kano_answers["feature"].unique()) == [str(i) for i in codes.values()]
    pd.testing.assert_frame_equal(duck.kano_answers, pandas_.kano_answers)
