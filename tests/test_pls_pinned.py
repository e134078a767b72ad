"""The PLS bootstrap outputs on the synthetic chain, against seminr on the same resamples.

Issue 11 pinned these numbers (``fit_pls(world, chain, bootstrap=60, seed=5)``: paths, R²,
loadings, effects with bootstrap intervals and p-values, and the last construct's index by
segment) to cxmodels' own earlier output. Issue 27 re-pins them to seminr-py 0.2.1 (GPL-3, test
extra; a port of R seminr with numerical parity to its fixtures): ``estimate_pls`` on the
sample and on each of the 60 resamples, drawn here as documented
(``default_rng(seed).integers(0, n, size=(B, n))``, :func:`cxmodels._bootstrap.index_counts`),
then the summaries by their formulas: standard deviation (ddof 1), type-7 percentiles,
``p = 2 (min(#<=0, #>=0) + 1) / (B + 1)``, and the ACSI index ``100 sum_k w~_k (xbar_k - min_k)
/ (max_k - min_k)`` with ``w~`` seminr's outer weights divided by the items' SDs and rescaled to
sum to one (Fornell et al. 1996).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx

B, SEED = 60, 5
SOURCE = "seminr-py 0.2.1 estimate_pls on the same resamples"


@pytest.fixture(scope="module")
def fit(world):
    return cx.fit_pls(world, world.truth["chain"]["syntax"], bootstrap=B, seed=SEED)


def _seminr_model(sm, syntax: str):
    """seminr's measurement (composites, mode A) and structural model, read from the syntax."""
    blocks, paths = {}, {}
    for line in filter(None, map(str.strip, syntax.splitlines())):
        op = "=~" if "=~" in line else "~"
        lhs, rhs = (part.strip() for part in line.split(op))
        for name in map(str.strip, rhs.split("+")):
            if op == "=~":
                blocks.setdefault(lhs, []).append(name)
            else:
                paths.setdefault(name, []).append(lhs)
    mm = sm.constructs(*(sm.composite(c, items) for c, items in blocks.items()))
    return mm, sm.relationships(*(sm.paths(from_=s, to=t) for s, t in paths.items()))


def _matrix(nm) -> pd.DataFrame:
    return pd.DataFrame(nm.values, index=list(nm.rows), columns=list(nm.cols))


def _estimates(sm, X: pd.DataFrame, mm, smod) -> dict:
    m = sm.estimate_pls(X, mm, smod)
    beta = _matrix(m.path_coef)
    return {
        "beta": beta,
        "total": _matrix(sm.total_effects(m.path_coef)),
        "loadings": _matrix(m.outer_loadings),
        "weights": _matrix(m.outer_weights),
        "r2": _matrix(m.r_squared),
        "sd": X.std(),
    }


@pytest.fixture(scope="module")
def oracle(world, fit):
    """seminr on the sample and on the B resamples, and the items (rows as in the data)."""
    sm = pytest.importorskip("seminr")
    syntax = world.truth["chain"]["syntax"]
    items = [i.strip() for line in syntax.splitlines() if "=~" in line
             for i in line.split("=~")[1].split("+")]  # fmt: skip
    X = world.responses[items].dropna().astype(float).reset_index(drop=True)
    mm, smod = _seminr_model(sm, syntax)
    idx = np.random.default_rng(SEED).integers(0, len(X), size=(B, len(X)))
    boot = [_estimates(sm, X.iloc[i].reset_index(drop=True), mm, smod) for i in idx]
    return {"X": X, "idx": idx, "est": _estimates(sm, X, mm, smod), "boot": boot}


def _summary(draws: np.ndarray) -> dict:
    """std_error, percentile interval and bootstrap p-value of the draws (B, k)."""
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    below, above = (draws <= 0).sum(axis=0), (draws >= 0).sum(axis=0)
    p = np.minimum(1.0, 2 * (np.minimum(below, above) + 1) / (len(draws) + 1))
    return {"std_error": draws.std(axis=0, ddof=1), "ci_low": low, "ci_high": high, "p": p}


def _pick(frames: list[pd.DataFrame], rows, cols) -> np.ndarray:
    return np.array([[f.loc[r, c] for r, c in zip(rows, cols)] for f in frames])


@pytest.mark.reference(SOURCE)
def test_paths_and_their_bootstrap_match_seminr(fit, oracle):
    t = fit.paths
    est = oracle["est"]["beta"]
    np.testing.assert_allclose(t["coef"], _pick([est], t["source"], t["target"])[0], atol=1e-9)
    s = _summary(_pick([b["beta"] for b in oracle["boot"]], t["source"], t["target"]))
    for col in ("std_error", "ci_low", "ci_high"):
        np.testing.assert_allclose(t[col], s[col], atol=1e-8, err_msg=col)
    np.testing.assert_array_equal(t["p_value"], s["p"])


@pytest.mark.reference(SOURCE)
def test_r2_and_loadings_match_seminr(fit, oracle):
    r2 = fit.r2
    got = oracle["est"]["r2"]
    np.testing.assert_allclose(r2["r2"], got.loc["Rsq", r2["construct"]], atol=1e-9)
    np.testing.assert_allclose(r2["r2_adj"], got.loc["AdjRsq", r2["construct"]], atol=1e-9)
    boot = np.array([b["r2"].loc["Rsq", r2["construct"]].to_numpy() for b in oracle["boot"]])
    s = _summary(boot)
    np.testing.assert_allclose(r2["ci_low"], s["ci_low"], atol=1e-8)
    np.testing.assert_allclose(r2["ci_high"], s["ci_high"], atol=1e-8)
    lo = fit.loadings
    est = _pick([oracle["est"]["loadings"]], lo["item"], lo["construct"])[0]
    np.testing.assert_allclose(lo["loading"], est, atol=1e-9)
    s = _summary(_pick([b["loadings"] for b in oracle["boot"]], lo["item"], lo["construct"]))
    for col in ("std_error", "ci_low", "ci_high"):
        np.testing.assert_allclose(lo[col], s[col], atol=1e-8, err_msg=col)
    np.testing.assert_array_equal(lo["p_value"], s["p"])


@pytest.mark.reference(SOURCE)
def test_total_and_indirect_effects_match_seminr(fit, oracle):
    e = fit.effects
    src, tgt = e["source"], e["target"]
    total = _pick([oracle["est"]["total"]], src, tgt)[0]
    direct = _pick([oracle["est"]["beta"]], src, tgt)[0]
    np.testing.assert_allclose(e["total"], total, atol=1e-9)
    np.testing.assert_allclose(e["direct"], direct, atol=1e-9)
    np.testing.assert_allclose(e["indirect"], total - direct, atol=1e-9)
    bt = _pick([b["total"] for b in oracle["boot"]], src, tgt)
    bi = bt - _pick([b["beta"] for b in oracle["boot"]], src, tgt)
    for name, draws in (("total", bt), ("indirect", bi)):
        s = _summary(draws)
        for col in ("ci_low", "ci_high"):
            np.testing.assert_allclose(e[f"{name}_{col}"], s[col], atol=1e-8, err_msg=name)
        np.testing.assert_array_equal(e[f"{name}_p_value"], s["p"])


def _acsi(weights: pd.DataFrame, sd: pd.Series, means: pd.Series, construct, scale) -> float:
    items = list(weights.index[weights[construct] != 0])
    raw = weights.loc[items, construct] / sd[items]
    lo, hi = scale.loc[items, "min"], scale.loc[items, "max"]
    u = (means[items] - lo) / (hi - lo)
    return float(100 * (u * raw / raw.sum()).sum())


@pytest.mark.reference("ACSI index (Fornell et al. 1996) on seminr-py outer weights")
def test_index_by_segment_is_the_acsi_formula_on_seminr_weights(world, fit, oracle):
    construct = fit.model.constructs[-1]
    got = fit.index(construct, by="segment").table.set_index("group")
    X, idx = oracle["X"], oracle["idx"]
    seg = world.responses[["customer_id"]].merge(
        world.customers[["customer_id", "segment"]], how="left"
    )["segment"]
    scale = pd.DataFrame({i: world.codebook[i] for i in X.columns}).T[["min", "max"]]
    scale = scale.astype(float)
    est = oracle["est"]
    for name in got.index:
        mask = np.ones(len(X), bool) if name == "all" else (seg == name).to_numpy()
        assert got.loc[name, "n"] == mask.sum()
        want = _acsi(est["weights"], est["sd"], X[mask].mean(), construct, scale)
        assert got.loc[name, "index"] == pytest.approx(want, abs=1e-9), name
        draws = np.array(
            [
                _acsi(b["weights"], b["sd"], X.iloc[i][mask[i]].mean(), construct, scale)
                for b, i in zip(oracle["boot"], idx)
            ]
        )
        low, high = np.percentile(draws, [2.5, 97.5])
        assert got.loc[name, "ci_low"] == pytest.approx(low, abs=1e-8), name
        assert got.loc[name, "ci_high"] == pytest.approx(high, abs=1e-8), name
