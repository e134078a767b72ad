"""Kano: exact ties, questionnaire wording, honest edges (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels.kano import analyze_kano, from_counts, normalize_answers


def _pairs(cat_counts, feature="x", weight=None):
    """Answer rows reproducing category counts (one canonical cell per category)."""
    cell = {"A": (1, 3), "O": (1, 5), "M": (3, 5), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}
    rows = [cell[c] for c, k in cat_counts.items() for _ in range(k)]
    df = pd.DataFrame(rows, columns=["functional", "dysfunctional"])
    df.insert(0, "feature", feature)
    df.insert(0, "respondent_id", [f"r{i}" for i in range(len(df))])
    if weight is not None:
        df["w"] = weight
    return df


def test_mode_decided_by_weighted_counts_not_rank_arithmetic():
    # 10.1 indifferent answers beat 10.0 must-be answers: the old key c * 8 + rank gave M
    c = pd.DataFrame([{"A": 0, "O": 0, "M": 10.0, "I": 10.1, "R": 0, "Q": 0}])
    assert from_counts(c)["category"][0] == "I"
    # an exact tie goes to M (M > O > A > I)
    c = pd.DataFrame([{"A": 0, "O": 0, "M": 10.0, "I": 10.0, "R": 0, "Q": 0}])
    assert from_counts(c)["category"][0] == "M"


def test_weights_of_one_over_n_do_not_flip_a_tie():
    # ten must-be answers of weight 1/10 sum to 0.9999999999999999, one indifferent answer of
    # weight 1.0: a tie in exact arithmetic, so M (M > O > A > I) wins
    m = _pairs({"M": 10}, weight=0.1)
    i = _pairs({"I": 1}, weight=1.0).assign(respondent_id="q0")
    assert sum(m["w"].tolist()) != 1.0  # added one by one (as bincount does) it is below 1
    t = analyze_kano(pd.concat([m, i], ignore_index=True), weights="w", min_n=0).table.iloc[0]
    assert t["category"] == "M"
    # aom: O+A+M (1.0) is not greater than I+R+Q (1.0), so the largest of I, R, Q
    assert t["category_aom"] == "I"
    c = pd.DataFrame([{"A": 0, "O": 0, "M": 1 + 1e-15, "I": 1.0, "R": 0, "Q": 0}])
    assert from_counts(c, rule="aom")["category"][0] == "I"


@pytest.mark.parametrize(
    "text,pos",
    [
        ("I like it", 1),
        ("  i LIKE it. ", 1),
        ("It must be", 2),
        ("I expect it", 2),
        ("I am neutral", 3),
        ("I can live with it", 4),
        ("I can tolerate it", 4),
        ("Tolerate", 4),
        ("Accept", 4),
        ("I dislike it", 5),
        ("خوشم می‌آید", 1),
        ("باید این‌طور باشد", 2),
        ("برایم فرقی نمی‌کند", 3),
        ("می‌توانم تحمل کنم", 4),
        ("خوشم نمی‌آید", 5),
        ("خوشم مي‌آيد", 1),  # Arabic yeh, as many keyboards type it
        ("3", 3),
    ],
)
def test_normalize_answers_wordings(text, pos):
    assert normalize_answers(pd.Series([text]))[0] == pos


def test_normalize_answers_keeps_index_missing_and_refuses_unknown():
    s = pd.Series(["I like it", None, "dislike"], index=[10, 11, 12], name="functional")
    out = normalize_answers(s)
    assert list(out.index) == [10, 11, 12] and np.isnan(out[11]) and out[12] == 5
    with pytest.raises(cx.InputError, match=r"row 12.*|'maybe'"):
        normalize_answers(pd.Series(["like", "like", "maybe"], index=[10, 11, 12]))
    assert list(normalize_answers([1, 5], reversed_scale=True)) == [5, 1]


def test_analyze_kano_reads_wording_like_positions():
    df = _pairs({"A": 30, "O": 10, "M": 5, "I": 40})
    words = {
        1: "I like it",
        2: "It must be",
        3: "I am neutral",
        4: "I can live with it",
        5: "I dislike it",
    }
    worded = df.assign(
        functional=df["functional"].map(words), dysfunctional=df["dysfunctional"].map(words)
    )
    a = analyze_kano(df, min_n=0).table
    b = analyze_kano(worded, min_n=0).table
    pd.testing.assert_frame_equal(a, b)


def test_single_respondent_segment_is_a_note_not_a_scipy_error():
    big = _pairs({"A": 30, "O": 10, "M": 5, "I": 40}).assign(segment="big")
    one = _pairs({"M": 1}).assign(segment="solo", respondent_id="solo1")
    other = _pairs({"A": 5, "O": 20, "M": 30, "I": 10}).assign(
        segment="mid", respondent_id=lambda d: "m" + d["respondent_id"]
    )
    res = analyze_kano(pd.concat([big, one, other]), segment="segment", min_n=0)
    assert any("solo" in n and "single respondent" in n for n in res.notes)
    assert "solo" not in res.segment_tests["categories"][0]
    assert np.isfinite(res.segment_tests["p_value"][0])


def test_bad_weights_empty_table_and_options_are_errors():
    df = _pairs({"A": 3, "O": 1})
    with pytest.raises(cx.InputError, match=r"w.*>= 0"):
        analyze_kano(df.assign(w=[1.0, -1.0, 1.0, 1.0]), weights="w", min_n=0)
    with pytest.raises(cx.InputError, match="all weights are zero"):
        analyze_kano(df.assign(w=0.0), weights="w", min_n=0)
    with pytest.raises(cx.InputError, match="0 rows"):
        analyze_kano(df.iloc[:0])
    with pytest.raises(cx.InputError, match="did you mean 'moai'"):
        analyze_kano(df, rule="moia")
    with pytest.raises(cx.InputError, match="bootstrap"):
        analyze_kano(df, bootstrap=-5)
    with pytest.raises(cx.InputError, match="5x5"):
        analyze_kano(df, table="pouilot")
    with pytest.raises(cx.InputError, match=r"feature.*missing values"):
        analyze_kano(df.assign(feature=[None, "x", "x", "x"]), min_n=0)


def test_integer_ids_and_categorical_features_give_the_same_table():
    df = _pairs({"A": 30, "O": 10, "M": 5, "I": 40})
    df2 = pd.concat([df, df.assign(feature="y")], ignore_index=True)
    ints = df2.assign(
        respondent_id=df2["respondent_id"].str[1:].astype(int) + 1000,
        feature=pd.Categorical(df2["feature"]),
    )
    a = analyze_kano(df2, min_n=0, max_questionable=0)
    b = analyze_kano(ints, min_n=0, max_questionable=0)
    pd.testing.assert_frame_equal(a.table, b.table, check_dtype=False, check_categorical=False)
    assert b.respondent_quality["respondent_id"].min() == 1000
    assert len(b.respondent_quality) == len(a.respondent_quality) == df["respondent_id"].nunique()


def test_bootstrap_draws_live_in_the_result_not_in_attrs(world):
    res = analyze_kano(world.kano_answers, segment="segment", bootstrap=20, seed=1)
    assert res.table.attrs == {}
    assert res.draws["better"].shape == (20, len(res.table))
    repr(res.table)  # displays after a bootstrap
    # the stored draws give the table's interval
    lo = np.nanpercentile(res.draws["better"], 2.5, axis=0)
    np.testing.assert_allclose(lo, res.table["better_low"])


def test_findings_name_the_categories(world):
    res = analyze_kano(world.kano_answers, bootstrap=20, seed=1)
    f = res.findings()
    text = " ".join(f)
    truth = world.truth["kano_categories"]
    must = [k for k, v in truth.items() if v == "M"]
    assert must and all(m.replace("_", " ") in text for m in must)
    assert "must-be" in text
    assert cx.narrative.kano(res)[0]  # the old prose module still works


def test_bootstrap_interval_covers_true_share_over_seeds():
    """Coverage of the percentile interval of the A share: 95% nominal, >= 17 of 20 seeds."""
    rng = np.random.default_rng(5)
    p = np.array([0.35, 0.25, 0.2, 0.2])  # A O M I
    cover = 0
    for s in range(20):  # 20 independent surveys
        cats = rng.choice(4, size=300, p=p)
        counts = dict(zip("AOMI", np.bincount(cats, minlength=4)))
        res = analyze_kano(_pairs(counts), bootstrap=200, seed=s, min_n=0)
        t = res.table.iloc[0]
        cover += t["share_A_low"] <= p[0] <= t["share_A_high"]
    assert cover >= 17
