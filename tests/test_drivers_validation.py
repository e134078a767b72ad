"""Every option and input of the drivers functions checked before any work (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import _importance as imp
from cxmodels.drivers import compare_segments, fit_drivers, penalty_reward

from .reference.datasets import attitude
from .reference.make_drivers_pinned import INPUT

ATT = ["complaints", "privileges", "learning", "raises", "critical", "advance"]


@pytest.fixture(scope="module")
def answers():
    return pd.read_csv(INPUT).head(600)


@pytest.mark.parametrize(
    "kwargs,phrase",
    [
        (
            dict(target="promotr"),
            "argument.target: unknown value 'promotr' (did you mean 'promoter'?)",
        ),
        (dict(model="ols2"), "argument.model: unknown value"),
        (dict(importance="shap"), "argument.importance: unknown value"),
        (dict(level=1.5), "argument.level: got 1.5"),
        (dict(bootstrap=-5), "argument.bootstrap: got -5"),
        (dict(bootstrap=2.5), "argument.bootstrap: got 2.5"),
        (dict(seed=-1), "argument.seed"),
        (dict(drivers=["complaints", "rating"]), "rating: is the outcome and also a driver"),
        (dict(drivers=["complaints", "complaints"]), "named more than once"),
        (dict(controls=["complaints"]), "complaints: named more than once"),
        (dict(weights=np.ones(5)), "weights: has length 5, the data has 30 rows"),
        (dict(weights=-np.ones(30)), "weights must be finite and >= 0"),
        (dict(weights=np.zeros(30)), "all weights are zero"),
        (dict(importance="pratt", controls=["advance"], drivers=ATT[:5]), "needs an OLS model"),
        (dict(model="ordinal", weights=np.ones(30)), "weights are not supported"),
        (dict(model="logit"), "model='logit' needs a 0/1 outcome or a 0-10 NPS answer"),
        (dict(segment="premium"), "has no segment column"),
    ],
)
def test_options_refused_with_the_fix(kwargs, phrase):
    args = dict(outcome="rating", drivers=ATT) | kwargs
    with pytest.raises(cx.InputError, match="Fix:") as e:
        fit_drivers(attitude(), **args)
    assert phrase in str(e.value)


def test_inputs_checked_before_any_library():
    df = attitude().astype(float)
    df.loc[3, "learning"] = np.inf
    with pytest.raises(cx.InputError, match=r"learning: holds infinite values \(1 row; e.g. 3\)"):
        fit_drivers(df, "rating", ATT)
    with pytest.raises(cx.InputError, match="advance: column.s. hold no values at all"):
        fit_drivers(attitude().assign(advance=np.nan), "rating", ATT)
    w = attitude().assign(w=1.0)
    w.loc[2, "w"] = -1
    with pytest.raises(cx.InputError, match="w: weights must be finite and >= 0"):
        fit_drivers(w, "rating", ATT, weights="w")


def test_string_driver_is_one_driver_and_booleans_count_as_0_1():
    df = attitude()
    one = fit_drivers(df, "rating", "complaints")
    assert list(one.table["driver"]) == ["complaints"]
    flag = df.assign(high=df["complaints"] > 65)
    a = fit_drivers(flag, "rating", ["high", "learning"]).table
    b = fit_drivers(flag.assign(high=flag["high"].astype(float)), "rating", ["high", "learning"])
    pd.testing.assert_frame_equal(a, b.table)


def test_logit_outcome_never_cut_silently(answers):
    with pytest.raises(cx.InputError, match="overall_sat: model='logit' needs a 0/1 outcome"):
        fit_drivers(answers, "overall_sat", ["attr_product_quality"], model="logit")
    coded = answers.assign(prom=(answers["nps"] >= 9).astype(int))
    a = fit_drivers(coded, "prom", ["attr_product_quality", "attr_value_for_money"], model="logit")
    b = fit_drivers(answers, "nps", ["attr_product_quality", "attr_value_for_money"], model="logit")
    assert a.r2 == pytest.approx(b.r2, rel=1e-10)
    assert any("promoters: answers 9-10" in w for w in b.warnings)


def test_segment_honoured_for_a_dataframe(answers):
    seg = fit_drivers(answers, "overall_sat", ["attr_product_quality"], segment="premium")
    assert seg.n == int((answers["segment"] == "premium").sum())
    with pytest.raises(cx.InputError, match="no rows in segment 'premiun'"):
        fit_drivers(answers, "overall_sat", ["attr_product_quality"], segment="premiun")


def test_exact_shapley_refused_beyond_the_limit_with_cost_and_alternatives():
    rng = np.random.default_rng(0)
    p = imp.MAX_EXACT_PLAYERS + 1
    df = pd.DataFrame(rng.normal(size=(60, p + 1)), columns=[f"x{i}" for i in range(p)] + ["y"])
    with pytest.raises(cx.InputError) as e:
        fit_drivers(df, "y", [f"x{i}" for i in range(p)])
    msg = str(e.value)
    assert f"{2**p:,} subset regressions" in msg and "relative_weights" in msg and " s and " in msg
    rw = fit_drivers(df, "y", [f"x{i}" for i in range(p)], importance="relative_weights")
    assert rw.table["importance"].sum() == pytest.approx(rw.r2)
    assert rw.table["shapley"].isna().all()  # not computed, not invented


def test_penalty_reward_options_and_warnings(answers):
    with pytest.raises(cx.InputError, match="low=8 is not below high=4"):
        penalty_reward(answers, "overall_sat", low=8, high=4)
    with pytest.raises(cx.InputError, match="threshold: got 1.5"):
        penalty_reward(answers, "overall_sat", threshold=1.5)
    small = answers.head(120)
    with pytest.warns(UserWarning, match="a rating band holds fewer than 30 answers"):
        pr = penalty_reward(
            small, "overall_sat", ["attr_product_quality", "attr_delivery_reliability"]
        )
    assert "unclear" in set(pr.table["classification"])
    assert pr.findings().caveats


def test_penalty_reward_passes_its_outcome_through(answers):
    pr = penalty_reward(answers, "nps", ["attr_product_quality", "attr_value_for_money"])
    assert pr.outcome == "nps" and "of nps" in pr.summary().title


def test_compare_segments_options(answers):
    with pytest.raises(cx.InputError, match="reference segment 'vip' not found"):
        compare_segments(answers, "overall_sat", ["attr_product_quality"], reference="vip")
    with pytest.raises(cx.InputError, match="bootstrap: got -5"):
        compare_segments(answers, "overall_sat", ["attr_product_quality"], bootstrap=-5)
    with pytest.raises(cx.InputError, match="region: column"):
        compare_segments(answers, "overall_sat", ["attr_product_quality"], segment="region")


def test_result_reports_time_and_memory():
    res = fit_drivers(attitude(), "rating", ATT)
    assert res.seconds > 0 and res.lattice_seconds > 0 and res.lattice_mb > 0
    assert res.seconds >= res.lattice_seconds
