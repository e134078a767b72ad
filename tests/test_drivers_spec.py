"""Drivers that state their conventions (issue 27): one HC3 p-value rule with ``use_t``,
penalty-reward warnings, weighted moments and weighted segment comparisons.

References are independent computations: statsmodels 0.15 ``OLS``/``WLS`` with
``cov_type="HC3"`` (``use_t`` False: normal, True: t), ``DescrStatsW`` for weighted moments, and
the Shapley permutation formula over statsmodels WLS R² for the segment shares.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.weightstats import DescrStatsW

from cxmodels.drivers import compare_segments, fit_drivers, penalty_reward

from .reference.datasets import attitude, mtcars

PR = ["complaints", "privileges", "learning", "raises"]


def _pr_reference(df, lo, hi, use_t):
    """statsmodels OLS on the low/high dummies of each attribute, HC3."""
    cols = {}
    for d in PR:
        cols[f"{d}_low"] = (df[d] <= lo).astype(float)
        cols[f"{d}_high"] = (df[d] >= hi).astype(float)
    X = sm.add_constant(pd.DataFrame(cols))
    return sm.OLS(df["rating"].astype(float), X).fit(cov_type="HC3", use_t=use_t)


@pytest.mark.parametrize("use_t", [False, True])
def test_penalty_reward_p_values_match_statsmodels_hc3(use_t):
    df = attitude()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pr = penalty_reward(df, "rating", PR, low=55, high=68, min_n=1, use_t=use_t)
    ref = _pr_reference(df, 55, 68, use_t)
    t = pr.table.set_index("driver")
    for d in PR:
        got = t.loc[d, ["penalty", "penalty_se", "penalty_p", "reward", "reward_se", "reward_p"]]
        want = [ref.params[f"{d}_low"], ref.bse[f"{d}_low"], ref.pvalues[f"{d}_low"],
                ref.params[f"{d}_high"], ref.bse[f"{d}_high"], ref.pvalues[f"{d}_high"]]  # fmt: skip
        np.testing.assert_allclose(got.to_numpy(float), want, rtol=1e-9, err_msg=d)
    assert pr.use_t is use_t


@pytest.mark.parametrize("use_t", [False, True])
def test_fit_drivers_p_values_follow_use_t_like_statsmodels(use_t):
    res = fit_drivers(mtcars(), "mpg", ["am", "vs", "cyl"], use_t=use_t)
    X = sm.add_constant(mtcars()[["am", "vs", "cyl"]].astype(float))
    ref = sm.OLS(mtcars()["mpg"].astype(float), X).fit(cov_type="HC3", use_t=use_t)
    p = res.table.set_index("driver")["p_value"]
    np.testing.assert_allclose(p[["am", "vs", "cyl"]], ref.pvalues[1:], rtol=1e-8)
    assert res.fit.use_t is use_t and res.use_t is use_t


def test_response_time_effect_takes_use_t(world):
    from cxmodels.effects import response_time_effect

    z = response_time_effect(world).table.iloc[1:]
    t = response_time_effect(world, use_t=True).table.iloc[1:]
    np.testing.assert_allclose(t["adjusted_diff"], z["adjusted_diff"])
    assert (t["p_value"] > z["p_value"]).all() and (t["ci_low"] < z["ci_low"]).all()


def _banded(n_mid_first: int, seed: int = 1) -> pd.DataFrame:
    """Two attributes on 1-10; ``a`` has ``n_mid_first`` answers in the middle band."""
    rng = np.random.default_rng(seed)
    n = 200
    a = rng.choice([2, 3, 9, 10], size=n)
    a[:n_mid_first] = 6
    b = rng.integers(1, 11, size=n)
    y = 5 + 0.3 * (a >= 8) - 0.5 * (a <= 4) + 0.2 * b + rng.normal(0, 1, n)
    return pd.DataFrame({"a": a, "b": b, "y": y})


def test_a_band_with_one_answer_is_warned_and_not_classified():
    df = _banded(1)
    with pytest.warns(UserWarning, match=r"a: the middle \(reference\) band holds one answer"):
        pr = penalty_reward(df, "y", ["a", "b"], low=4, high=8, min_n=1)
    row = pr.table.set_index("driver").loc["a"]
    assert row["n_mid"] == 1 and row["classification"] == "unclear"
    assert pr.findings().caveats and "leverage 1" in pr.findings().caveats[0]


def test_a_wrong_signed_penalty_is_named_even_in_a_small_band():
    df = _banded(20)
    df["y"] = df["y"] + 1.5 * (df["a"] <= 4)  # a low rating now raises the outcome
    with pytest.warns(UserWarning) as rec:
        pr = penalty_reward(df, "y", ["a", "b"], low=4, high=8, min_n=30)
    text = " ".join(str(w.message) for w in rec)
    assert pr.table.set_index("driver").loc["a", "penalty"] > 0
    assert "fewer than 30 answers" in text and "a: the penalty is positive" in text


# ------------------------------------------------------------------ weighted moments
@pytest.fixture(scope="module")
def weighted():
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(rng.integers(1, 11, size=(n, 3)).astype(float), columns=["x1", "x2", "x3"])
    df["y"] = 2 + 0.5 * df["x1"] + 0.3 * df["x2"] + 0.1 * df["x3"] + rng.normal(0, 1.5, n)
    df["w"] = np.where(df["x1"] > 6, 4.0, 0.5) * rng.uniform(0.5, 1.5, n)
    df["segment"] = np.where(rng.random(n) < 0.5, "a", "b")
    return df


def test_weighted_std_coef_and_performance_use_the_weights(weighted):
    df = weighted
    res = fit_drivers(df, "y", ["x1", "x2", "x3"], weights="w")
    tab = res.table.set_index("driver")
    X = sm.add_constant(df[["x1", "x2", "x3"]])
    beta = sm.WLS(df["y"], X, weights=df["w"]).fit().params
    ds = DescrStatsW(df[["x1", "x2", "x3", "y"]].to_numpy(), weights=df["w"].to_numpy())
    for j, d in enumerate(["x1", "x2", "x3"]):
        assert tab.loc[d, "std_coef"] == pytest.approx(beta[d] * ds.std[j] / ds.std[3], rel=1e-9)
        # no codebook entry: the scale is the observed 1..10
        assert tab.loc[d, "performance"] == pytest.approx(100 * (ds.mean[j] - 1) / 9, rel=1e-9)


def _shapley_wls_shares(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Shapley shares (percent) of the WLS R² by the permutation formula."""

    def r2(s):
        if not s:
            return 0.0
        X = sm.add_constant(df[[cols[j] for j in sorted(s)]])
        return sm.WLS(df["y"], X, weights=df["w"]).fit().rsquared

    phi = np.zeros(len(cols))
    for order in itertools.permutations(range(len(cols))):
        seen: frozenset = frozenset()
        for j in order:
            phi[j] += r2(seen | {j}) - r2(seen)
            seen = seen | {j}
    phi /= math.factorial(len(cols))
    return 100 * phi / phi.sum()


def test_compare_segments_takes_weights(weighted):
    cols = ["x1", "x2", "x3"]
    res = compare_segments(weighted, "y", cols, weights="w", bootstrap=20, seed=1)
    arr = compare_segments(weighted, "y", cols, weights=weighted["w"].to_numpy(), bootstrap=0)
    for s in ("a", "b"):
        part = weighted[weighted["segment"] == s]
        got = res.table[res.table.segment == s].set_index("driver").loc[cols, "share"]
        np.testing.assert_allclose(got, _shapley_wls_shares(part, cols), rtol=1e-9)
        got_arr = arr.table[arr.table.segment == s].set_index("driver").loc[cols, "share"]
        np.testing.assert_allclose(got_arr, got, rtol=1e-12)
    assert res.weights == "w" and res.table["diff_low"].notna().sum() == len(cols)


def test_drivers_result_pickles():
    """The lazily built statsmodels fit used to be a local closure, which pickle refuses."""
    import pickle

    res = fit_drivers(mtcars(), "mpg", ["am", "vs", "cyl"], use_t=True)
    back = pickle.loads(pickle.dumps(res))
    np.testing.assert_allclose(back.fit.pvalues, res.fit.pvalues, rtol=1e-12)
    assert back.table.equals(res.table)
