"""Kano analysis (issue 5): evaluation tables, published examples, synthetic truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels.kano import analyze_kano, classify, from_counts, to_positions

STANDARD = {  # rows functional, columns dysfunctional: like, must-be, neutral, live-with, dislike
    1: "QAAAO",
    2: "RIIIM",
    3: "RIIIM",
    4: "RIIIM",
    5: "RRRRQ",
}


@pytest.mark.reference("Kano evaluation table as published in Berger et al. (1993)")
@pytest.mark.parametrize("f", range(1, 6))
@pytest.mark.parametrize("d", range(1, 6))
def test_all_25_standard_cells(f, d):
    assert classify([f], [d])[0] == STANDARD[f][d - 1]


@pytest.mark.reference("Pouliot's evaluation table (1993), in Berger et al. (1993)")
@pytest.mark.parametrize("f", range(1, 6))
@pytest.mark.parametrize("d", range(1, 6))
def test_pouliot_cells(f, d):
    expected = "Q" if (f, d) in {(2, 2), (4, 4), (5, 5)} else STANDARD[f][d - 1]
    assert classify([f], [d], table="pouliot")[0] == expected


def test_custom_table_and_labels():
    custom = ["QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRR"]
    assert classify([5], [5], table=custom)[0] == "R"
    assert list(
        to_positions(["I like it", "must-be", "Neutral", "I can live with it", "dislike"])
    ) == [1, 2, 3, 4, 5]
    assert list(to_positions([1, 5], reversed_scale=True)) == [5, 1]
    with pytest.raises(cx.InputError, match="row 1"):
        to_positions([1, 7])
    with pytest.raises(cx.InputError, match="'maybe'"):
        to_positions(["like", "maybe"])


# Published example (R package stp25kano, n = 296), counts in the order M O A I R Q
STP25 = {
    "Service app": ([95, 123, 45, 33, 0, 0], "O", "O", 0.568, -0.736, True),
    "Excellent service": ([101, 54, 54, 81, 3, 3], "M", "M", 0.372, -0.534, True),
    "Hotline": ([15, 24, 121, 124, 6, 6], "I", "A", 0.511, -0.137, False),
    "Loan machine": ([65, 87, 93, 51, 0, 0], "A", "O", 0.608, -0.514, False),
    "Ready-to-use return": ([9, 18, 83, 177, 6, 3], "I", "I", 0.352, -0.094, True),
}


def _counts_frame(d):
    return pd.DataFrame({k: dict(zip("MOAIRQ", v[0])) for k, v in d.items()}).T[list("AOMIRQ")]


def test_stp25kano_published_example():
    c = _counts_frame(STP25)
    mode, moai = from_counts(c), from_counts(c, rule="moai")
    for name, (_, m, rule_cat, better, worse, fong) in STP25.items():
        assert mode.loc[name, "category"] == m, name
        assert moai.loc[name, "category"] == rule_cat, name
        assert mode.loc[name, "better"] == pytest.approx(better, abs=5e-4)
        assert mode.loc[name, "worse"] == pytest.approx(worse, abs=5e-4)
        assert bool(mode.loc[name, "fong_significant"]) is fong, name


@pytest.mark.reference("Kano counts published for the BRAND RESE bonus programme")
def test_brand_rese_bonus_programme():
    c = pd.DataFrame([{"A": 216, "O": 56, "M": 13, "I": 275, "R": 23, "Q": 24}])
    s = from_counts(c).iloc[0]
    assert s["better"] == pytest.approx(0.486, abs=5e-4)
    assert s["worse"] == pytest.approx(-0.123, abs=5e-4)


def _expand(counts_by_feature):
    """Answer pairs reproducing given category counts (one canonical cell per category)."""
    cell = {"A": (1, 3), "O": (1, 5), "M": (3, 5), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}
    rows = []
    for feat, counts in counts_by_feature.items():
        i = 0
        for cat, k in counts.items():
            for _ in range(k):
                rows.append((f"r{i}", feat, *cell[cat]))
                i += 1
    return pd.DataFrame(rows, columns=["respondent_id", "feature", "functional", "dysfunctional"])


def test_analyze_kano_reproduces_published_counts():
    counts = {k: dict(zip("MOAIRQ", v[0])) for k, v in STP25.items()}
    res = analyze_kano(_expand(counts), rule="moai", min_n=0)
    t = res.table.set_index("feature")
    for name, (_, m, rule_cat, better, worse, fong) in STP25.items():
        assert t.loc[name, "n"] == 296
        assert t.loc[name, "worse"] == pytest.approx(worse, abs=5e-4)
        assert t.loc[name, "category"] == rule_cat and t.loc[name, "category_mode"] == m
        assert t.loc[name, "better"] == pytest.approx(better, abs=5e-4)
        assert bool(t.loc[name, "fong_significant"]) is fong
    # exact binomial alternative: Hotline's I 124 vs A 121 is nowhere near significant
    assert t.loc["Hotline", "binom_p"] > 0.5 and t.loc["Ready-to-use return", "binom_p"] < 1e-6


def test_aom_rule_and_dumouchel():
    df = _expand({"x": {"A": 30, "O": 10, "M": 5, "I": 40, "R": 0, "Q": 0}})
    t = analyze_kano(df, rule="aom", min_n=0).table.iloc[0]
    assert t["category"] == "A"  # O+A+M = 45 > I+R+Q = 40, largest of O, A, M
    assert t["category_mode"] == "I"
    # DuMouchel functional scores: A (1,3) -> 4, O (1,5) -> 4, M (3,5) -> 0, I (3,3) -> 0
    assert t["fun_mean"] == pytest.approx((30 * 4 + 10 * 4) / 85)
    assert t["dys_mean"] == pytest.approx((10 * 4 + 5 * 4) / 85)


def test_synthetic_truth_recovered_with_stability(world):
    res = analyze_kano(world.kano_answers, bootstrap=200, seed=1)
    t = res.table.set_index("feature")
    for feat, cat in world.truth["kano_categories"].items():
        if isinstance(cat, str):
            assert t.loc[feat, "category"] == cat, feat
            assert t.loc[feat, "stability"] > 0.9
        assert t.loc[feat, "better_low"] <= t.loc[feat, "better"] <= t.loc[feat, "better_high"]


def test_segment_specific_category_recovered(big_world):
    res = analyze_kano(big_world.kano_answers, segment="segment", bootstrap=100, seed=2)
    t = res.table.set_index(["feature", "segment"])
    for feat, cat in big_world.truth["kano_categories"].items():
        for seg in ("consumer", "small_business", "premium"):
            want = cat[seg] if isinstance(cat, dict) else cat
            assert t.loc[(feat, seg), "category"] == want, (feat, seg)
    tests = res.segment_tests.set_index("feature")
    assert tests.loc["same_day_delivery", "p_value"] < 1e-6
    assert tests.loc["eco_packaging", "p_value"] > 0.001


def test_bootstrap_seeded_and_quality_filter(world):
    a = analyze_kano(world.kano_answers, bootstrap=50, seed=3).table
    b = analyze_kano(world.kano_answers, bootstrap=50, seed=3).table
    pd.testing.assert_frame_equal(a, b)
    res = analyze_kano(world.kano_answers, max_questionable=0)
    assert res.n_dropped_respondents > 0
    assert (res.table["Q"] == 0).all()
    q = res.respondent_quality
    assert {"n_Q", "q_rate"} <= set(q.columns)


def test_small_n_warns():
    df = _expand({"x": {"A": 30, "O": 10, "M": 5, "I": 40, "R": 0, "Q": 0}})
    with pytest.warns(UserWarning, match="fewer than 200 valid answers"):
        res = analyze_kano(df)
    assert res.table["low_n"].all()


def test_bad_input():
    df = _expand({"x": {"A": 3, "O": 1, "M": 0, "I": 0, "R": 0, "Q": 0}})
    with pytest.raises(cx.InputError, match=r"kano_answers\.functional.*row 2"):
        analyze_kano(df.assign(functional=[1, 1, 9, 1]), min_n=0)
    with pytest.raises(cx.InputError, match="respondent_id"):
        analyze_kano(df.drop(columns="respondent_id"))
    allq = _expand({"y": {"A": 0, "O": 0, "M": 0, "I": 0, "R": 0, "Q": 4}})
    with pytest.raises(cx.InputError, match="no valid answers: y"):
        analyze_kano(pd.concat([df, allq]), min_n=0)


def test_weighted_counts():
    df = _expand({"x": {"A": 2, "O": 1, "M": 0, "I": 1, "R": 0, "Q": 0}})
    t = analyze_kano(df.assign(w=[3.0, 1.0, 1.0, 1.0]), weights="w", min_n=0).table.iloc[0]
    assert t["A"] == 4 and t["better"] == pytest.approx(5 / 6)
    assert np.isnan(
        from_counts(pd.DataFrame([{"A": 0, "O": 0, "M": 0, "I": 0, "R": 2, "Q": 1}]))["better"][0]
    )


def test_better_worse_by_wave_tracks_drift():
    """Yesterday's delighter becomes today's must-be: Better falls and |Worse| rises across waves."""
    w1 = _expand({"x": {"A": 60, "O": 20, "M": 10, "I": 10, "R": 0, "Q": 0}}).assign(wave="2024Q1")
    w2 = _expand({"x": {"A": 10, "O": 20, "M": 60, "I": 10, "R": 0, "Q": 0}}).assign(wave="2025Q1")
    t = analyze_kano(pd.concat([w1, w2]), wave="wave", min_n=0).table.set_index("wave")
    assert t.loc["2024Q1", "category"] == "A" and t.loc["2025Q1", "category"] == "M"
    assert t.loc["2024Q1", "better"] == pytest.approx(0.8) and t.loc[
        "2025Q1", "worse"
    ] == pytest.approx(-0.8)


def test_priorities_order_must_be_first(world):
    res = analyze_kano(world.kano_answers)
    order = res.priorities()["category"].tolist()
    rank = {"M": 0, "O": 1, "A": 2, "I": 3, "R": 4, "Q": 5}
    assert [rank[c] for c in order] == sorted(rank[c] for c in order)
    assert order[0] == "M"


def test_bootstrap_with_a_cell_of_only_missing_answers():
    """A feature nobody in one segment answered: the cell is left out of the table and the
    bootstrap lines up with the remaining cells."""
    a = _expand(
        {
            "x": {"A": 20, "O": 5, "M": 5, "I": 10, "R": 0, "Q": 0},
            "y": {"A": 5, "O": 5, "M": 20, "I": 10, "R": 0, "Q": 0},
        }
    ).assign(segment="s1")
    b = a.assign(segment="s2", respondent_id=lambda d: "b" + d["respondent_id"])
    b.loc[b["feature"] == "y", ["functional", "dysfunctional"]] = np.nan
    res = analyze_kano(
        pd.concat([a, b], ignore_index=True), segment="segment", bootstrap=50, seed=1, min_n=0
    )
    t = res.table.set_index(["feature", "segment"])
    assert ("y", "s2") not in t.index and len(t) == 3
    assert t["stability"].notna().all()
    assert (t["better_low"] <= t["better"]).all() and (t["better"] <= t["better_high"]).all()
