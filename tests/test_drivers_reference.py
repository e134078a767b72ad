"""Drivers against references computed independently: R by hand, brute-force subset fits."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel

from cxmodels import _importance as imp
from cxmodels.drivers import fit_drivers, penalty_reward

from .reference.datasets import attitude, mtcars
from .reference.make_drivers_pinned import INPUT

PR_DRIVERS = ["complaints", "privileges", "learning", "raises"]


def test_penalty_reward_hc3_matches_r_by_hand():
    # R 4.x base stats, tests/reference/hc3_penalty_reward.R (HC3 as sandwich::vcovHC(type =
    # "HC3"), p from t on the residual df as lmtest::coeftest); printed to 10 digits in
    # tests/reference/hc3_penalty_reward.out
    ref = {
        "complaints": (
            -8.211235117,
            5.663926117,
            1.619016064e-01,
            13.662424350,
            6.057831425,
            3.490831304e-02,
        ),
        "privileges": (
            -3.679697153,
            5.532833923,
            5.132469928e-01,
            -6.505955009,
            6.875269451,
            3.547660991e-01,
        ),
        "learning": (
            -1.237201316,
            4.337772791,
            7.782728653e-01,
            5.640074395,
            4.469171164,
            2.207872581e-01,
        ),
        "raises": (
            -6.552002495,
            5.358810360,
            2.350033353e-01,
            -5.794780163,
            5.498266195,
            3.038914604e-01,
        ),
    }
    with pytest.warns(UserWarning, match="not classified"):
        pr = penalty_reward(attitude(), "rating", PR_DRIVERS, low=55, high=68, min_n=1, use_t=True)
    t = pr.table.set_index("driver")
    cols = ["penalty", "penalty_se", "penalty_p", "reward", "reward_se", "reward_p"]
    for d, values in ref.items():
        np.testing.assert_allclose(t.loc[d, cols].to_numpy(float), values, rtol=2e-9, err_msg=d)
    assert pr.r2 == pytest.approx(0.7204555081, abs=1e-10)
    # wrong signs (a high rating lowers the outcome) are not classified
    assert t.loc["privileges", "classification"] == "unclear"
    assert t.loc["raises", "classification"] == "unclear"
    assert t.loc["complaints", "classification"] != "unclear"


def test_ols_hc3_standard_errors_match_r_by_hand():
    # same script: lm(mpg ~ am + vs + cyl, mtcars), HC3 by hand
    res = fit_drivers(mtcars(), "mpg", ["am", "vs", "cyl"])
    se = res.table.set_index("driver")["se"]
    expected = {"am": 1.5059554631, "vs": 1.5363048220, "cyl": 0.4530910827}
    for k, v in expected.items():
        assert se[k] == pytest.approx(v, rel=1e-9), k
    # and statsmodels' own HC3 agrees with the lazily built fit
    np.testing.assert_allclose(
        res.fit.bse[1:], [expected[k] for k in ["am", "vs", "cyl"]], rtol=1e-9
    )


def permutation_shapley(value: dict, players: list) -> np.ndarray:
    """Shapley values by the permutation formula: mean marginal contribution over all orders."""
    p = len(players)
    phi = np.zeros(p)
    for order in itertools.permutations(range(p)):
        seen = frozenset()
        for j in order:
            phi[j] += value[seen | {j}] - value[seen]
            seen = seen | {j}
    return phi / math.factorial(p)


def subsets(p):
    return [frozenset(s) for k in range(p + 1) for s in itertools.combinations(range(p), k)]


@pytest.fixture(scope="module")
def answers():
    return pd.read_csv(INPUT).head(400)


ATTRS4 = [
    "attr_product_quality",
    "attr_value_for_money",
    "attr_staff_competence",
    "attr_delivery_reliability",
]


def test_ols_shapley_matches_brute_force_permutations():
    df = attitude()
    cols = PR_DRIVERS
    r2 = {
        s: (
            sm.OLS(df["rating"], sm.add_constant(df[[cols[j] for j in sorted(s)]])).fit().rsquared
            if s
            else 0.0
        )
        for s in subsets(len(cols))
    }
    res = fit_drivers(df, "rating", cols)
    got = res.table.set_index("driver").loc[cols, "importance"].to_numpy()
    np.testing.assert_allclose(got, permutation_shapley(r2, cols), rtol=1e-10)


def test_ordinal_importance_matches_brute_force_statsmodels(answers):
    # every subset fitted by statsmodels OrderedModel (logit, Newton); null model: the
    # category frequencies; McFadden R² = 1 - llf(S) / llf(null); Shapley by permutations
    y = answers["overall_sat"].astype(int)
    freq = y.value_counts(normalize=True)
    null = float(np.log(y.map(freq)).sum())
    llf = {frozenset(): null}
    for s in subsets(4)[1:]:
        X = answers[[ATTRS4[j] for j in sorted(s)]].astype(float)
        llf[s] = OrderedModel(y, X, distr="logit").fit(method="newton", disp=False, maxiter=200).llf
    value = {s: 1 - v / null for s, v in llf.items()}
    res = fit_drivers(answers, "overall_sat", ATTRS4, model="ordinal")
    got = res.table.set_index("driver").loc[ATTRS4, "importance"].to_numpy()
    np.testing.assert_allclose(got, permutation_shapley(value, ATTRS4), rtol=1e-5, atol=1e-7)
    assert not [w for w in res.warnings if "converge" in w]


def test_logit_importance_matches_brute_force_statsmodels(answers):
    y = (answers["nps"] >= 9).astype(float)  # promoters: NPS 9-10
    llf = {}
    for s in subsets(4):
        X = sm.add_constant(
            answers[[ATTRS4[j] for j in sorted(s)]].astype(float), has_constant="add"
        )
        llf[s] = sm.Logit(y, X).fit(disp=False).llf
    value = {s: 1 - v / llf[frozenset()] for s, v in llf.items()}
    res = fit_drivers(answers, "nps", ATTRS4, model="logit", target="promoter")
    got = res.table.set_index("driver").loc[ATTRS4, "importance"].to_numpy()
    np.testing.assert_allclose(got, permutation_shapley(value, ATTRS4), rtol=1e-8)
    det = fit_drivers(answers, "nps", ATTRS4, model="logit", target="detractor")
    assert det.r2 != pytest.approx(res.r2)  # the target is honoured, not ignored


def test_chunked_lattice_equals_one_pass(monkeypatch):
    rng = np.random.default_rng(5)
    A = rng.normal(size=(400, 9))
    A[:, -1] += A[:, :-1] @ rng.uniform(0.2, 1, 8)
    C = np.cov(A, rowvar=False)
    sizes = [1, 2, 1, 1, 1]  # 2 controls, then 5 players (one a pair of columns)
    whole = imp.lattice(C, sizes, n_controls=2)
    monkeypatch.setattr(imp, "LOW_PLAYERS", 2)
    monkeypatch.setattr(
        imp, "plan", lambda p, b=1, m=None: {**_plan(p, b, m), "items_per_block": 3}
    )
    chunked = imp.lattice(np.stack([C, 2 * C]), sizes, n_controls=2)
    assert chunked.blocks > 1
    np.testing.assert_allclose(chunked.shapley[0], whole.shapley, rtol=1e-12)
    np.testing.assert_allclose(chunked.shapley[1], whole.shapley, rtol=1e-12)
    np.testing.assert_allclose(chunked.conditional[0], whole.conditional, rtol=1e-12)
    np.testing.assert_allclose(chunked.r2[0], whole.r2, rtol=1e-12)
    # against the independent subset-by-subset solve
    for mask in (0, 5, 17, 31):
        cols = [0, 1] + [
            c for j, c in enumerate([[2], [3, 4], [5], [6], [7]]) if mask >> j & 1 for c in c
        ]
        S = C[np.ix_(cols, cols)]
        r2 = C[cols, -1] @ np.linalg.solve(S, C[cols, -1]) / C[-1, -1]
        assert whole.r2[mask] == pytest.approx(r2, rel=1e-12)


_plan = imp.plan
