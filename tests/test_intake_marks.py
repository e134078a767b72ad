"""Numbers as written: decimal and thousands marks inferred from all the values of a CSV's number
columns together, or refused naming the columns, examples and the per-table meta.json key
(issue 26). Files are written the way spreadsheet exports write them (pandas ``to_csv`` with the
export's separator and encoding; the formatted amounts as the export's text)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx


@pytest.fixture(scope="module")
def shop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(300, seed=3, purchases=True))


def _export(tmp: Path, shop, fmt, sep=";", meta=None, decimal=".") -> tuple[Path, pd.Series]:
    """The world as CSVs; interactions.amount written by ``fmt`` (a function of the value), its
    other numbers with ``decimal``."""
    folder = cx.save(shop, tmp / "data", fmt="csv")
    inter = pd.read_csv(folder / "interactions.csv", dtype=str, keep_default_na=False)
    amounts = shop.interactions["amount"].round(2)
    has = amounts.notna()
    inter["amount"] = np.where(has, [fmt(v) if v == v else "" for v in amounts], "")
    for c in ("sentiment", "response_minutes"):
        if decimal is None:  # whole numbers only: nothing in the file proves a decimal mark
            inter[c] = pd.to_numeric(inter[c]).round().astype("Int64").astype(str)
            inter[c] = inter[c].replace("<NA>", "")
        else:
            inter[c] = inter[c].str.replace(".", decimal, regex=False)
    inter.to_csv(folder / "interactions.csv", sep=sep, index=False)
    if meta:
        m = json.loads((folder / "meta.json").read_text())
        m.update(meta)
        (folder / "meta.json").write_text(json.dumps(m))
    return folder, amounts


def _loaded_amounts(folder: Path) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(folder).interactions["amount"]


def _refused(folder: Path) -> str:
    with pytest.raises(cx.DataValidationError) as exc, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cx.load(folder)
    return str(exc.value)


def _toman(v: float) -> str:
    return f"{round(v * 100):,}"  # whole tomans: 325, 1,000, 1,250


CASES = {
    "toman, comma grouping": (_toman, lambda a: (a * 100).round()),
    "english 1,234.56": (lambda v: f"{v * 100:,.2f}", lambda a: (a * 100).round(2)),
    "millions 3,250,000": (lambda v: f"{round(v * 10000):,}", lambda a: (a * 10000).round()),
    "persian ۱٬۲۵۰": (
        lambda v: f"{round(v * 100):,}".replace(",", "٬").translate(
            str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
        ),
        lambda a: (a * 100).round(),
    ),
}


def test_european_amounts_with_point_grouping(tmp_path, shop):
    def eu(v):
        return f"{v * 100:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")

    folder, amounts = _export(tmp_path, shop, eu, decimal=",")
    got = _loaded_amounts(folder)
    np.testing.assert_allclose(got.dropna(), (amounts.dropna() * 100).round(2), rtol=1e-9)


@pytest.mark.parametrize("case", list(CASES))
def test_amounts_keep_their_magnitude(tmp_path, shop, case):
    fmt, truth = CASES[case]
    folder, amounts = _export(tmp_path, shop, fmt)
    got = _loaded_amounts(folder)
    has = amounts.notna().to_numpy()
    assert (got.notna().to_numpy() == has).all()
    np.testing.assert_allclose(got.to_numpy()[has], truth(amounts).to_numpy()[has], rtol=1e-9)
    assert got.sum() == pytest.approx(truth(amounts).sum(), rel=1e-9)  # not 367,884 for 1,525,650


def test_toman_grouping_is_said_in_what_was_inferred(tmp_path, shop):
    folder, _ = _export(tmp_path, shop, _toman)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = cx.load(folder)
    said = " ".join(map(str, data.inferred))
    assert "thousands ," in said, said


def test_whole_euros_with_a_point_are_refused_with_the_table_key(tmp_path, shop):
    # '2.432' alone could be 2.432 or 2432: refused, and the fix names interactions' own key
    def euros(v):
        return f"{round(v * 100):,}".replace(",", ".")

    folder, amounts = _export(tmp_path, shop, euros, decimal=None)
    assert (amounts.dropna() * 100 >= 1000).any()
    msg = _refused(folder)
    assert "interactions" in msg and '"decimal"' in msg and "amount: " in msg, msg
    # declared for that table: points are thousands, amounts keep their magnitude
    whole = (amounts.dropna() * 100).round().to_numpy()
    meta = {"tables": {"interactions": {"decimal": ","}}}
    folder2, _ = _export(tmp_path / "b", shop, euros, decimal=None, meta=meta)
    np.testing.assert_allclose(_loaded_amounts(folder2).dropna().to_numpy(), whole)
    # decimal commas elsewhere in the file prove the mark: points are thousands, no question
    folder3, _ = _export(tmp_path / "c", shop, euros, decimal=",")
    np.testing.assert_allclose(_loaded_amounts(folder3).dropna().to_numpy(), whole)


def test_a_decimal_comma_beside_a_decimal_point_is_refused(tmp_path, shop):
    folder, _ = _export(tmp_path, shop, lambda v: f"{v:.2f}".replace(".", ","))
    inter = pd.read_csv(folder / "interactions.csv", sep=";", dtype=str, keep_default_na=False)
    inter["response_minutes"] = inter["response_minutes"].where(
        inter["response_minutes"] == "", "12.5"
    )
    inter.to_csv(folder / "interactions.csv", sep=";", index=False)
    msg = _refused(folder)
    assert "amount" in msg and "response_minutes" in msg and "interactions" in msg, msg


def test_duckdb_engine_reads_comma_grouping_as_pandas_does(tmp_path, shop):
    pytest.importorskip("duckdb")
    folder, amounts = _export(tmp_path, shop, _toman)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cx.load(folder, engine="duckdb").interactions["amount"]
    pd.testing.assert_series_equal(got, _loaded_amounts(folder))


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_windows_1256_no_with_arabic_yeh_is_false(tmp_path, shop, engine):
    # cp1256 cannot store Persian yeh (U+06CC): an Iranian CRM writes «خير» with Arabic yeh
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    folder = cx.save(shop, tmp_path / "data", fmt="csv")
    inter = pd.read_csv(folder / "interactions.csv", dtype=str, keep_default_na=False)
    yes = inter["resolved"].str.lower().isin(["true", "1"])
    inter["resolved"] = np.where(inter["resolved"] == "", "", np.where(yes, "بله", "خير"))
    enc = "utf-8" if engine == "duckdb" else "cp1256"  # DuckDB reads UTF-8 CSV only
    inter.to_csv(folder / "interactions.csv", index=False, encoding=enc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cx.load(folder, engine=engine).interactions["resolved"]
    assert (got.astype("boolean").fillna(False).to_numpy() == yes.to_numpy()).all()
