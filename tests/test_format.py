"""The display layer (issue 14): every result table reads as people read it, from one place."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels._format import (
    KANO_CATEGORIES,
    column_kind,
    column_label,
    display_table,
    format_frame,
    format_value,
    interval_pairs,
    labels_from,
)
from cxmodels._results import Summary, _fmt_value

SNAKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")


@pytest.fixture(scope="module")
def drivers(world):
    return cx.fit_drivers(world, "overall_sat", bootstrap=30, seed=1)


@pytest.fixture(scope="module")
def kano(world):
    return cx.analyze_kano(world.kano_answers, bootstrap=20, seed=1)


@pytest.fixture(scope="module")
def churn(world):
    return cx.fit_churn(cx.survival_table(world), ["overall_sat", "loyalty_member", "segment"])


def _number(cell: str) -> float:
    """The leading number of a display cell ("1,500", "27.0%", "0.54 (0.47 to 0.61)")."""
    return float(cell.split(" ")[0].replace(",", "").rstrip("%"))


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("p_value", [0.2, 1e-200], "p"),
        ("binom_p", [0.5, 0.0], "p"),
        ("n_treated", [4000, 47740], "count"),
        ("n", [1.0, 2.0], "count"),
        ("share", [0.2, 0.8], "share"),
        ("share", [20.0, 80.0], "pct"),
        ("hr", [0.6, 1.3], "ratio"),
        ("time_ratio", [0.6, 1.3], "ratio"),
        ("median_survival", [13.045, 26.089], "time"),
        ("rank", [1, 2], "int"),
        ("coef", [0.57, 0.717], "num"),
        ("significant", [True, False], "bool"),
        ("driver", ["attr_a", "attr_b"], "text"),
        ("p_value", [3.0, 4.0], "num"),  # not a probability: not shown as one
    ],
)
def test_kind_from_conventional_names(name, values, kind):
    assert column_kind(name, pd.Series(values)) == kind


def test_cells_read_as_people_write_them():
    assert format_value(7.278e-200, "p") == "< 0.001"
    assert format_value(0.0, "p") == "< 0.001"
    assert format_value(0.04321, "p") == "0.043"
    assert format_value(47740, "count") == "47,740"
    assert format_value(0.271, "share", 1) == "27.1%"
    assert format_value(-0.0001, "num", 2) == "0.00"  # never "-0.00"
    assert format_value(True, "bool") == "yes" and format_value(np.False_, "bool") == "no"
    assert format_value(np.nan, "num") == "\u2013"
    # one number of decimals per column: 0.57 is not shown next to 0.717
    frame, _ = format_frame(pd.DataFrame({"coef": [0.57, 0.717, 0.0123]}))
    assert frame.iloc[:, 0].tolist() == ["0.570", "0.717", "0.012"]
    frame, _ = format_frame(pd.DataFrame({"aic": [17620.4, 17700.9]}))
    assert frame["AIC"].tolist() == ["17,620", "17,701"]


def test_headers_are_labels(drivers):
    frame, specs = format_frame(drivers.table)
    assert not [h for h in frame.columns if SNAKE.match(h)], list(frame.columns)
    assert "p" in frame.columns and "standard error" in frame.columns
    assert column_label("impact_asymmetry") == "impact asymmetry"
    assert column_label("category_moai") == "category (M>O>A>I rule)"
    assert column_label("share_M") == "Must-be" and column_label("n_treated") == "n treated"
    assert column_label("hr_low") == "hazard ratio low"
    assert frame["driver"].iloc[0] == cx._format.label(drivers.table["driver"].iloc[0])
    assert not frame["driver"].str.startswith("attr_").any()


def test_driver_interval_belongs_to_importance(drivers):
    """ci_low/ci_high of the drivers table are the importance's bootstrap interval."""
    t = drivers.table
    assert (None, "ci_low", "ci_high") not in interval_pairs(t)
    assert ("importance", "ci_low", "ci_high") in interval_pairs(t)
    frame, specs = format_frame(t)
    col = frame["importance (95% CI)"]
    spec = next(s for s in specs if s.name == "importance")
    d = spec.decimals
    for cell, (_, r) in zip(col, t.iterrows()):
        assert cell == f"{r.importance:.{d}f} ({r.ci_low:.{d}f} to {r.ci_high:.{d}f})"
    assert "95% CI low" not in frame.columns
    # shares of explained variance (already 0-100) in %, equal to the table's numbers
    assert frame["share"].str.endswith("%").all()
    np.testing.assert_allclose(frame["share"].map(_number), t["share"].round(1))


def test_hazard_ratios_in_one_column(churn):
    frame, _ = format_frame(churn.table)
    hr = frame["hazard ratio (95% CI)"]
    t = churn.table
    assert hr.iloc[0] == f"{t.hr[0]:.2f} ({t.hr_low[0]:.2f} to {t.hr_high[0]:.2f})"
    assert frame["p"].iloc[0] == "< 0.001"  # p = 1e-17 or so: never an exponent
    assert "club membership" in set(frame["covariate"]) and "segment: premium" in set(
        frame["covariate"]
    )


def test_kano_table_counts_categories_and_booleans(kano):
    frame, specs = format_frame(kano.table)
    assert "Must-be (n)" in frame.columns and "M" not in frame.columns
    assert set(frame["category"]) <= set(KANO_CATEGORIES.values())
    assert set(frame["fong significant"]) <= {"yes", "no"}
    t = kano.table
    np.testing.assert_array_equal(frame["Questionable (n)"].map(_number), t["Q"].round())
    assert frame["n"].iloc[0] == f"{int(t['n'].iloc[0]):,}"


def test_empty_interval_columns_are_left_out(world):
    res = cx.fit_drivers(world, "overall_sat")  # no bootstrap: ci columns are empty
    frame, _ = format_frame(res.table)
    assert "importance" in frame.columns
    assert not [c for c in frame.columns if "CI" in c]


def test_html_is_light_offline_and_clean(drivers, kano, churn):
    for res in (drivers, kano, churn):
        html = display_table(res).to_html()
        assert "<script" not in html and "http" not in html
        cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
        heads = re.findall(r"<th[^>]*>(.*?)</th>", html)
        assert cells and not [c for c in cells if re.search(r"\de[-+]\d", c)]
        assert not {"True", "False", "nan", "None"} & set(cells)
        assert not [h for h in heads if SNAKE.match(h)]
        # one header row per block: no index-name row
        for block in re.findall(r"<thead>(.*?)</thead>", html, flags=re.S):
            assert block.count("<tr>") == 1
    assert display_table(drivers).to_html() == display_table(drivers).to_html()


def test_index_becomes_a_column_not_a_header_row():
    t = pd.DataFrame({"value": [1.5, 2.5]}, index=pd.Index(["a", "b"], name="group"))
    frame = display_table(t).frame
    assert list(frame.columns) == ["group", "value"]
    assert frame["group"].tolist() == ["a", "b"]


def test_wide_tables_are_wrapped_or_transposed_not_cut():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(6, 20)), columns=[f"metric_{i}" for i in range(20)])
    wide.insert(0, "segment", list("abcdef"))
    shown = display_table(wide, max_chars=80)
    assert len(shown.blocks) > 1
    cols = [c for b in shown.blocks for c in b.columns if c != "segment"]
    assert cols == [f"metric {i}" for i in range(20)]  # every column, once, in order
    assert all(b.columns[0] == "segment" for b in shown.blocks)
    assert all(cx._format._width(b).sum() <= 80 for b in shown.blocks)
    one = display_table(wide.iloc[:1], max_chars=80)
    assert len(one.blocks) == 1 and one.blocks[0].shape == (20, 2)  # one row: transposed
    with pytest.raises(cx.InputError, match="max_chars"):
        display_table(wide, max_chars=0)


def test_labels_from_a_codebook_and_a_catalogue(drivers):
    persian = {"attr_product_quality": "کیفیت محصول", "p_value": "مقدار p"}
    frame = display_table(drivers, labels=persian).frame
    assert frame["driver"].iloc[0] == "کیفیت محصول" and "مقدار p" in frame.columns
    cb = {"attr_product_quality": {"min": 1, "max": 10, "label": "quality of the product"}}
    assert labels_from(cb) == {"attr_product_quality": "quality of the product"}
    with pytest.raises(cx.InputError, match="did you mean 'share'"):
        display_table(drivers, kinds={"coef": "shares"})


def test_summary_renders_through_the_display_layer(drivers, churn):
    s = Summary(
        "t",
        {"AIC": 17620.4, "p": 7.278e-200, "drivers": ["a", "b", "c"], "n": 47740, "ok": True},
        {"Hazard ratios": churn.table},
    )
    text = s.as_text()
    assert "17,620" in text and "< 0.001" in text and "a, b and c" in text and "47,740" in text
    assert "e-" not in text and "e+" not in text and "yes" in text
    html = s.as_html()
    assert "hazard ratio (95% CI)" in html and "<script" not in html
    assert s._repr_html_() == html
    assert _fmt_value(float("nan")) == "\u2013" and _fmt_value(-0.0) == "0"
    assert "p_value" not in drivers.summary().as_html()


@pytest.mark.parametrize("kind", ["p", "count", "int", "share", "pct", "ratio", "time", "num"])
def test_vectorised_cells_equal_the_cell_formatter(kind):
    from cxmodels._format import ColumnSpec

    rng = np.random.default_rng(5)
    x = np.r_[rng.normal(0, 3, 200), rng.uniform(0, 1, 200) ** 6, 0.0, -0.0, -0.0004, 2.5, np.nan]
    x = np.r_[x, np.inf, 1234567.891, 0.0005, 0.00049]
    if kind == "p":
        x = np.abs(x) / (1 + np.abs(np.nan_to_num(x, posinf=1)))
    s = pd.Series(x)
    spec = ColumnSpec("x", "x", kind, 2, "")
    assert spec.format(s).tolist() == [format_value(v, kind, 2) for v in x]


def test_styler_view_of_the_same_table(drivers):
    shown = display_table(drivers, caption="Drivers of overall satisfaction")
    st = shown.to_styler()
    html = st.to_html()
    assert "Drivers of overall satisfaction" in html
    assert "product quality" in html and "< 0.001" in html.replace("&lt;", "<")
    assert list(st.data.columns) == list(shown.blocks[0].columns)
    assert repr(shown).startswith("<DisplayTable: 8 rows")
    assert shown._repr_html_() == shown.to_html()


def test_a_non_zero_value_never_reads_as_zero_and_t_is_a_statistic():
    # review (07 service-profit chain): a branch variance of 0.0022 beside 2.23 read "0.00"
    # while its sd read 0.047; and the multilevel table's t column was headed "T-learner"
    frame, _ = format_frame(pd.DataFrame({"variance": [0.0022, 2.23], "sd": [0.047, 1.492]}))
    assert frame["variance"].tolist() == ["0.002", "2.230"]
    frame, _ = format_frame(pd.DataFrame({"variance": [0.0, 2.23]}))
    assert frame["variance"].tolist() == ["0.00", "2.23"]  # a true zero keeps 2 decimals
    assert column_label("t") == "t"


def test_split_table_repeats_the_columns_that_tell_its_rows_apart():
    # review (08 targeting): the effect-by-trait table was cut in two and its second block
    # showed "segment" twice, without the level that told the two rows apart
    from cxmodels._format import _blocks

    frame = pd.DataFrame({
        "covariate": ["segment", "segment", "region"], "level": ["premium", "small", "east"],
        "n": ["1,488", "1,827", "1,926"], "predicted effect": ["0.606", "0.589", "0.570"],
        "estimated effect (95% CI)": ["0.648 (0.524 to 0.772)"] * 3,
    })  # fmt: skip
    blocks = _blocks(frame, 60)
    assert len(blocks) > 1
    assert all(list(b.columns[:2]) == ["covariate", "level"] for b in blocks)
    unique = pd.DataFrame(
        {"metric": ["a", "b", "c"], **{f"c{i}": ["1.234567"] * 3 for i in range(6)}}
    )
    later = _blocks(unique, 40)[1:]  # a first column that names every row: it alone repeats
    assert later and all(b.columns[0] == "metric" and b.columns[1] != "c0" for b in later)


def test_an_estimate_never_reads_like_a_bound_it_differs_from():
    # review (00/07 weighting): CES 4.2507 (4.2234 to 4.2780) beside NPS -27.6 read
    # "4.3 (4.2 to 4.3)"
    df = pd.DataFrame({"metric": ["NPS", "CES"], "value": [-27.607, 4.2507],
                       "ci_low": [-29.19, 4.2234], "ci_high": [-26.03, 4.2780]})  # fmt: skip
    frame, _ = format_frame(df)
    assert frame.iloc[1, 1] == "4.25 (4.22 to 4.28)" and frame.iloc[0, 1].startswith("-27.61")
    apart = pd.DataFrame({"value": [12.5, 30.2], "ci_low": [10.1, 27.9], "ci_high": [14.9, 32.6]})
    assert format_frame(apart)[0].iloc[0, 0] == "12.5 (10.1 to 14.9)"  # nothing to tell apart
