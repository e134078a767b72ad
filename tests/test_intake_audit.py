"""Issue 26, audited: the separator and vocabulary cases of the issue, each on both engines.

Every file is written as users' tools write them: pandas ``to_csv`` with the export's separator
and encoding (``;`` and Windows-1256 from an Iranian CRM, ``utf-8-sig`` from Excel's "CSV UTF-8"),
the amounts as the export formats them. Each case is read right by both engines, with the same
values, or refused by both naming the table, the column, an example and the ``meta.json`` key
that settles it.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ENGINES = ["pandas", "duckdb"]


@pytest.fixture(scope="module")
def shop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(60, seed=3, purchases=True))


def _load(folder: Path, engine: str):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(folder, engine=engine)


def _refused(folder: Path, engine: str) -> list:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    with pytest.raises(cx.DataValidationError) as exc, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cx.load(folder, engine=engine)
    return exc.value.report.errors


def _meta(folder: Path, extra: dict) -> None:
    p = folder / "meta.json"
    p.write_text(json.dumps({**json.loads(p.read_text()), **extra}))


def _export(tmp: Path, shop, amount, *, others=".", scale=100, **to_csv) -> tuple[Path, np.ndarray]:
    """The world as CSVs; interactions written with ``to_csv`` (``;`` unless told), its amounts
    times ``scale`` as ``amount`` formats them, its other numbers with the decimal mark
    ``others`` (None: whole numbers). The first three amounts are 325, 1,000 and 1,250 (times
    ``scale / 100``), the Toman amounts of the issue. Returns the folder and the true amounts."""
    folder = cx.save(shop, tmp / "data", fmt="csv")
    inter = pd.read_csv(folder / "interactions.csv", dtype=str, keep_default_na=False)
    truth = shop.interactions["amount"].round(2).to_numpy(copy=True)
    has = np.flatnonzero(~np.isnan(truth))
    truth[has[:3]] = [3.25, 10.0, 12.5]
    truth = np.round(truth * scale, 2)
    inter["amount"] = ["" if np.isnan(v) else amount(v) for v in truth]
    for c in ("sentiment", "response_minutes"):
        if others is None:
            inter[c] = (
                pd.to_numeric(inter[c]).round().astype("Int64").astype(str).replace("<NA>", "")
            )
        else:
            inter[c] = inter[c].str.replace(".", others, regex=False)
    inter.to_csv(folder / "interactions.csv", index=False, **{"sep": ";", **to_csv})
    return folder, truth


def _grouped(v: float, decimals: int = 0, group: str = ",", point: str = ".") -> str:
    text = f"{v:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", group)


#: case -> (amount as the export writes it, scale, decimal mark of the other numbers, to_csv)
CASES = {
    "toman 325 1,000 1,250": (_grouped, 1, ".", {"encoding": "utf-8-sig"}),
    "1,234.56": (lambda v: _grouped(v, 2), 1, ".", {}),
    "1.234,56": (lambda v: _grouped(v, 2, ".", ","), 1, ",", {}),
    "3,250,000 beside decimals": (_grouped, 10_000, ".", {}),
    "persian ۱٬۲۵۰": (lambda v: _grouped(v, 0, "٬").translate(FA), 1, ".", {}),
    "persian ۱,۲۵۰": (lambda v: _grouped(v).translate(FA), 1, ".", {}),
    "french 1\u202f250,00": (lambda v: _grouped(v, 2, "\u202f", ","), 1, ",", {}),
    "1\u00a0250.00": (lambda v: _grouped(v, 2, "\u00a0"), 1, ".", {}),
    "arabic ۱۲٫۵ beside decimal commas": (
        lambda v: f"{v:.2f}".replace(".", "٫").translate(FA),
        0.01,
        ",",
        {},
    ),
    "persian ۱۲,۵ decimal comma": (
        lambda v: f"{v:.2f}".replace(".", ",").translate(FA),
        0.01,
        ",",
        {},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_amounts_as_written_are_read_right_by_both_engines(tmp_path, shop, case):
    amount, scale, others, to_csv = CASES[case]
    folder, truth = _export(tmp_path, shop, amount, others=others, scale=scale * 100, **to_csv)
    got = {e: _load(folder, e).interactions["amount"] for e in ENGINES}
    has = ~np.isnan(truth)
    for engine, amounts in got.items():
        assert (amounts.notna().to_numpy() == has).all(), engine
        np.testing.assert_allclose(amounts.to_numpy(float)[has], truth[has], rtol=1e-12)
    if case.startswith("toman"):  # the total: 1,525,650 read as 367,884 before
        assert got["pandas"].iloc[np.flatnonzero(has)[:3]].tolist() == [325, 1000, 1250]
    pd.testing.assert_series_equal(got["duckdb"], got["pandas"])


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_euros_with_a_point_are_refused_with_the_fix_that_reads_them(tmp_path, shop, engine):
    """'2.432' alone is 2.432 or 2432: refused naming table, column, an example and the
    table's own key; with that key, both engines read whole euros."""
    folder, truth = _export(tmp_path, shop, lambda v: _grouped(v, 0, "."), others=None)
    (e,) = _refused(folder, engine)
    assert e.table == "interactions" and "amount: 1.000" in e.message, e
    assert '{"tables": {"interactions": {"decimal": ","}}}' in e.fix, e
    _meta(folder, {"tables": {"interactions": {"decimal": ","}}})
    got = _load(folder, engine).interactions["amount"]
    np.testing.assert_allclose(got.dropna().to_numpy(), truth[~np.isnan(truth)])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_global_decimal_comma_misreading_a_comma_separated_table_is_refused(
    tmp_path, shop, engine
):
    """The issue's follow-on fault: ``"decimal": ","`` for every table, and a comma-separated
    file writing ``115.8`` was read as 1158 (mean response time ten times too long) and valid.
    Now each table it would misread is refused, naming its example and its own key."""
    folder, _ = _export(tmp_path, shop, lambda v: f"{v:.0f}", others=".", sep=",")
    _meta(folder, {"decimal": ","})
    errors = {e.table: e for e in _refused(folder, engine)}
    e = errors["interactions"]
    assert "response_minutes: " in e.message and "','" in e.message, e
    assert '{"tables": {"interactions": {"decimal": "."}}}' in e.fix, e
    assert '{"tables": {"branches": {"decimal": "."}}}' in errors["branches"].fix
    _meta(folder, {"tables": {t: {"decimal": "."} for t in ("interactions", "branches")}})
    got = _load(folder, engine).interactions["response_minutes"]
    assert got.mean() == pytest.approx(shop.interactions["response_minutes"].mean(), rel=1e-3)


KANO_WORDS = {  # a Persian questionnaire typed with Arabic yeh and kaf (Windows-1256 keyboards)
    1: "خوشم مي‌آيد",
    2: "بايد اين طور باشد",
    3: "برايم فرقي نمي‌كند",
    4: "مي‌توانم تحمل كنم",
    5: "خوشم نمي‌آيد",
}


@pytest.mark.parametrize("engine", ENGINES)
def test_kano_wording_with_arabic_yeh_and_kaf_and_unknown_words_shown(tmp_path, shop, engine):
    folder = cx.save(shop, tmp_path / "data", fmt="csv")
    p = folder / "kano_answers.csv"
    kano = pd.read_csv(p, dtype=str, keep_default_na=False)
    for c in ("functional", "dysfunctional"):
        kano[c] = kano[c].map(lambda v: KANO_WORDS[int(v)] if v else "")
    enc = "cp1256" if engine == "pandas" else "utf-8"  # the DuckDB engine reads UTF-8 only
    kano.to_csv(p, index=False, sep=";", encoding=enc)
    got = _load(folder, engine).kano_answers
    for c in ("functional", "dysfunctional"):
        np.testing.assert_array_equal(got[c].to_numpy(float), shop.kano_answers[c].to_numpy(float))
    kano.loc[3, "functional"] = "شايد"
    kano.to_csv(p, index=False, sep=";", encoding=enc)
    (e,) = _refused(folder, engine)
    assert (e.table, e.column, e.count) == ("kano_answers", "functional", 1), e
    assert "'شايد'" in e.message and "1 like" in e.fix, e


def test_amounts_as_text_cells_of_a_workbook_keep_their_magnitude(tmp_path, shop):
    """A CRM's Excel export writes formatted numbers as text cells: '1,250' was refused with the
    advice to declare a decimal comma (which would read 1.25). Grouped amounts are read; decimal
    commas are refused with the table's key; with that key, a cell still written '0.59' is not
    read as 59 but refused, and a workbook written with commas throughout is read right."""
    folder, truth = _export(tmp_path, shop, _grouped, sep=",")
    inter = pd.read_csv(folder / "interactions.csv", dtype=str, keep_default_na=False)
    (folder / "interactions.csv").unlink()

    def workbook(**columns):
        inter.assign(**columns).replace("", None).to_excel(
            folder / "interactions.xlsx", index=False
        )

    workbook()
    got = _load(folder, "pandas").interactions["amount"]
    has = ~np.isnan(truth)
    np.testing.assert_allclose(got.to_numpy(float)[has], truth[has])
    workbook(amount=["" if np.isnan(v) else f"{v / 100:.2f}".replace(".", ",") for v in truth])
    (e,) = _refused(folder, "pandas")
    assert (e.table, e.column) == ("interactions", "amount"), e
    assert '{"tables": {"interactions": {"decimal": ","}}}' in e.fix, e
    _meta(folder, {"tables": {"interactions": {"decimal": ","}}})
    cols = ("sentiment", "response_minutes")
    points = {c: int(inter[c].str.contains(".", regex=False).sum()) for c in cols}
    assert {e.column: e.count for e in _refused(folder, "pandas")} == points
    inter = inter.assign(
        amount=["" if np.isnan(v) else f"{v / 100:.2f}".replace(".", ",") for v in truth],
        **{c: inter[c].str.replace(".", ",") for c in cols},
    )
    workbook()
    got = _load(folder, "pandas").interactions
    np.testing.assert_allclose(got["amount"].to_numpy(float)[has], truth[has] / 100)
    np.testing.assert_allclose(got["sentiment"], shop.interactions["sentiment"], rtol=1e-2)


#: value -> (read with a decimal point, read with a decimal comma); None: not a number
NUMBERS = {
    "1,250": (1250, 1.25),
    "1.250": (1.25, 1250),
    "1.234,56": (None, 1234.56),
    "1,234.56": (1234.56, None),
    "-3,250,000": (-3250000, None),
    "0.59": (0.59, None),  # a point where the mark is a comma groups nothing: not 59
    "7,5": (None, 7.5),
    "۱٬۲۵۰": (1250, 1250),
    "۱۲٫۵": (12.5, 12.5),  # the Arabic decimal separator, whatever the file's mark
    "1\u202f250,00": (None, 1250),
    "1\u00a0250.5": (1250.5, None),
    "\u200f12": (12, 12),
    "abc": (None, None),
}


@pytest.mark.parametrize("decimal", [".", ","])
def test_both_engines_read_a_number_written_as_text_alike(decimal):
    """The pandas engine's :func:`numeric_text` and the DuckDB engine's SQL, value by value."""
    duckdb = pytest.importorskip("duckdb")
    from cxmodels.data.duck import _numeric_sql
    from cxmodels.data.text import numeric_text

    values = list(NUMBERS)
    want = [NUMBERS[v][decimal == ","] for v in values]
    want = np.array([np.nan if w is None else w for w in want], float)
    got = numeric_text(pd.Series(values, dtype=object), decimal).to_numpy(float)
    np.testing.assert_array_equal(got, want)
    rows = duckdb.sql(
        f"SELECT {_numeric_sql('v', decimal)} FROM (SELECT unnest(?::VARCHAR[]) AS v)",
        params=[values],
    ).fetchall()
    np.testing.assert_array_equal(np.array([np.nan if r is None else r for (r,) in rows]), want)


def test_a_number_beyond_the_sniffed_sample_is_read_by_the_same_rule(tmp_path, shop):
    """The marks are sniffed from a CSV's first megabyte; below it, '7,5' among comma-grouped
    amounts was read as 75 by the pandas engine (its parsers' thousands option) and refused by
    the DuckDB engine. Both now read grouping by one rule and refuse it."""
    folder, truth = _export(tmp_path, shop, _grouped)
    inter = pd.read_csv(folder / "interactions.csv", sep=";", dtype=str, keep_default_na=False)
    last = inter.index[inter["amount"] != ""][-1]
    inter["agent_note"] = "x" * ((1 << 20) // len(inter))  # the faulty row below the first MB
    inter.to_csv(folder / "interactions.csv", sep=";", index=False)
    for engine in ENGINES:
        got = _load(folder, engine).interactions["amount"]
        np.testing.assert_allclose(got.to_numpy(float), truth, equal_nan=True)
    inter.loc[last, "amount"] = "7,5"
    inter.to_csv(folder / "interactions.csv", sep=";", index=False)
    for engine in ENGINES:
        (e,) = _refused(folder, engine)
        assert (e.column, e.count) == ("amount", 1) and inter["interaction_id"][last] in e.examples


def test_decimal_commas_in_parquet_text_get_the_same_fix_from_both_engines(tmp_path, shop):
    """A Parquet file written by a European tool with amounts as text ('12,50'): both engines
    refuse them with the table's own key (the DuckDB engine said 'use numeric codes')."""
    folder = cx.save(shop, tmp_path / "data", fmt="parquet")
    inter = shop.interactions.assign(
        amount=[
            None if v != v else f"{v:.2f}".replace(".", ",") for v in shop.interactions["amount"]
        ]
    )
    inter.to_parquet(folder / "interactions.parquet", index=False)

    def key(p):
        return (p.table, p.column, p.message, p.fix, p.count, p.examples)

    pandas_ = _refused(folder, "pandas")
    assert '{"tables": {"interactions": {"decimal": ","}}}' in pandas_[0].fix, pandas_
    assert list(map(key, _refused(folder, "duckdb"))) == list(map(key, pandas_))
