"""CX metrics and follow-up effects (issue 7)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import metrics
from cxmodels.effects import effect_by_channel, follow_up_effect, response_time_effect


# ------------------------------------------------------------------ metrics
def test_nps_hand_computed():
    s = [10, 9, 9, 8, 7, 6, 0, 10, 3, 9]  # 5 promoters, 2 passives, 3 detractors
    r = metrics.nps(s)
    assert r.value == pytest.approx(20.0)
    se = 100 * np.sqrt((0.5 + 0.3 - 0.2**2) / 10)
    assert r.table["se"][0] == pytest.approx(se)
    assert r.ci_low == pytest.approx(20 - 1.959964 * se, abs=1e-4)


def test_nps_interval_agrees_with_bootstrap(world):
    s = world.responses["nps"]
    a, b = metrics.nps(s), metrics.nps(s, method="bootstrap", n_boot=4000, seed=1)
    assert a.value == b.value
    assert abs(a.ci_low - b.ci_low) < 0.3 and abs(a.ci_high - b.ci_high) < 0.3


def test_weighted_nps_and_csat():
    r = metrics.nps([10, 0], weights=[3, 1])
    assert r.value == pytest.approx(50.0)
    c = metrics.csat([5, 4, 3, 1])
    # Wilson 95% for 2 of 4 (hand: centre 0.5, half-width 1.96 sqrt(1/16 + 1.96^2/64) / (1 + 1.96^2/4))
    z = 1.959963984540054
    half = z * np.sqrt(0.25 / 4 + z**2 / 64) / (1 + z**2 / 4)
    assert c.value == pytest.approx(50.0) and c.ci_low == pytest.approx(100 * (0.5 - half))
    m = metrics.ces([1, 2, 3])
    assert m.value == pytest.approx(2.0)
    with pytest.raises(cx.InputError, match="outside 0-10"):
        metrics.nps([11, 5])


def test_by_flags_small_cells_and_change(world):
    t = metrics.by(world, "nps", ["segment", "wave"], min_n=30)
    assert {"segment", "wave", "value", "ci_low", "ci_high", "n", "small"} <= set(t.columns)
    assert (t["small"] == (t["n"] < 30)).all()
    ch = metrics.change(world, "overall_sat")
    r = ch.iloc[0]
    w = metrics.by(world, "overall_sat", "wave").set_index("wave")["value"]
    assert r["diff"] == pytest.approx(w[r["to"]] - w[r["from"]])
    assert r["ci_high"] - r["diff"] == pytest.approx(1.959963984540054 * r["se"])
    assert r["n_paired"] > 0


def test_churn_rate_hand_computed():
    c = pd.DataFrame(
        {
            "signup_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01", "2024-04-02"]),
            "churn_date": pd.to_datetime(["2024-05-01", None, "2024-04-10", None]),
        }
    )
    t = metrics.churn_rate(c, period="Q", observation_end="2024-06-30").set_index("period")
    # 2024Q2: active at 1 April = 3 (first three); churned in Q2 among them = 2
    assert t.loc["2024Q2", "active_start"] == 3 and t.loc["2024Q2", "churned"] == 2
    assert t.loc["2024Q2", "retention"] == pytest.approx(1 / 3)


def test_kpis_and_repeat_ratio(world):
    k = metrics.kpis(world)
    assert set(k["metric"]) == {"nps", "csat", "ces", "overall_sat"} and "change" in k
    inter = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "b"],
            "timestamp": pd.to_datetime(
                ["2024-01-05", "2024-02-01", "2024-02-10", "2024-04-01", "2024-05-01", "2024-05-02"]
            ),
            "kind": ["purchase"] * 5 + ["support"],
        }
    )
    rr = metrics.repeat_ratio(inter).set_index("period")
    # Q1: a and b buy for the first time, a again; Q2: c buys twice (first, then repeat)
    assert rr.loc["2024Q1"].tolist() == [2, 1, 0.5] and rr.loc["2024Q2"].tolist() == [1, 1, 1.0]


# ------------------------------------------------------------------ effects: synthetic truth
@pytest.fixture(scope="module")
def sat_effect(big_world):
    return follow_up_effect(big_world, outcome="overall_sat", bootstrap=200, seed=1)


def test_aipw_covers_true_effect_and_naive_is_biased(sat_effect, big_world):
    truth = big_world.truth["follow_up_ate_overall_sat"]
    a, n = sat_effect.estimate("aipw"), sat_effect.estimate("naive")
    assert a.ci_low <= truth <= a.ci_high
    assert not (n.ci_low <= truth <= n.ci_high)  # confounded on purpose
    assert abs(n.estimate - truth) > abs(a.estimate - truth)
    assert list(sat_effect.table["method"]) == ["naive", "regression", "ipw", "aipw"]
    assert sat_effect.balance["smd_unweighted"].abs().max() > 0.1
    assert (sat_effect.balance["smd_weighted"].abs() <= 0.1).all()
    assert "AIPW" in sat_effect.conclusion()


def test_churn_effect_covers_truth(big_world):
    res = follow_up_effect(
        big_world, outcome="churn_within", horizon_days=180, bootstrap=100, seed=2
    )
    a = res.estimate("aipw")
    truth = big_world.truth["follow_up_ate_churn_within_180d"]
    # The 95% interval (-0.039 to -0.027) misses the realised truth (-0.0245) by 0.7 SE here;
    # kept at the old tolerance and reported as an open finding (see the coverage test).
    assert abs(a.estimate - truth) < 3 * a.se and a.ci_high < 0


def test_effect_by_channel_orders_like_truth(big_world):
    t = effect_by_channel(big_world, bootstrap=30).set_index("channel")
    truth = big_world.truth["follow_up_effect_by_channel"]
    assert list(t["estimate"].sort_values().index) == sorted(truth, key=truth.get)


def test_response_time_penalty(big_world):
    t = response_time_effect(big_world).table.set_index("band")
    slow = t.loc["over 24h"]
    truth = big_world.truth["slow_complaint_response_effect_on_satisfaction"]
    assert slow["ci_low"] <= truth <= slow["ci_high"] and slow["p_value"] < 0.01


# ------------------------------------------------------------------ effects: bad input
def test_no_treated_units(world):
    inter = world.interactions[world.interactions["kind"] != "follow_up"]
    with pytest.raises(cx.InputError, match="no treated units"):
        follow_up_effect(replace(world, interactions=inter), bootstrap=0)


def test_window_without_eligible_events(world):
    with pytest.raises(cx.InputError, match="no events of kind"):
        follow_up_effect(world, events=("refund",), bootstrap=0)


def test_outcome_missing_for_a_group(world):
    r = world.responses.assign(csat=np.nan)
    with pytest.raises(cx.InputError, match="no eligible events with an observed csat"):
        follow_up_effect(replace(world, responses=r), outcome="csat", bootstrap=0)
    with pytest.raises(cx.InputError, match="unknown value 'loyalty'"):
        follow_up_effect(world, outcome="loyalty", bootstrap=0)


def test_change_does_not_floor_a_negative_variance_in_silence():
    """Everyone answers both waves and one customer moves from 7 to 10: the NPS SE (ddof 0)
    and the paired covariance (ddof 1) give a negative variance. The old code floored it to 0
    (SE 0, p 0, "a clear change"); now the SE treats the waves as independent, by the hand
    formula SE = 100 sqrt((p_P + p_D - (p_P - p_D)^2) / n) in each wave, flagged and warned."""
    rng = np.random.default_rng(0)
    a = rng.integers(0, 11, 200)
    a[0] = 7
    b = a.copy()
    b[0] = 10
    ids = [f"c{i}" for i in range(200)]
    df = pd.DataFrame({"customer_id": ids * 2, "wave": ["2025Q1"] * 200 + ["2025Q2"] * 200,
                       "nps": np.r_[a, b]})  # fmt: skip

    def se(x):
        pp, pd_ = (x >= 9).mean(), (x <= 6).mean()
        return 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / len(x))

    with pytest.warns(cx.DataQualityWarning, match="variance of the change not positive"):
        r = metrics.change(df, "nps").iloc[0]
    assert r["se_independent"] and r["se"] == pytest.approx(np.hypot(se(a), se(b)), rel=1e-12)
    assert r["p_value"] > 0.5 and r["ci_low"] < 0 < r["ci_high"]
