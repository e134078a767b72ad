"""Every public drivers output on the frozen answers, against R and an independent bootstrap.

The answers are a frozen copy of ``cx.generate(3000, seed=3)`` (5,750 rows,
``tests/reference/drivers_pinned_input.csv.gz``); the calls are those of
``tests/reference/make_drivers_pinned.py`` (issue 11 pinned them against cxmodels' own earlier
output; issue 27 re-pins them to sources that are not cxmodels):

* coefficients, HC3 standard errors and normal p-values, every subset R² and from it Shapley
  (LMG), first, last, squared beta, Pratt and Johnson's relative weights, weighted moments, the
  ordinal (``MASS::polr``) and logit (``glm``) McFadden decompositions, the penalty-reward
  dummies and the segment shares come from ``tests/reference/drivers_r.R`` (R with MASS and
  sandwich; values in ``drivers_r.json``, recomputed live where ``Rscript`` is installed);
* the bootstrap intervals (``ols_bootstrap``, ``compare_segments``) are recomputed here in numpy
  from the documented resampling (``Generator.multinomial(n, [1/n]*n, size=B)`` from
  ``default_rng(seed)``, segments in sorted order on one stream), the subset R² of each
  replicate's weighted covariance, the Shapley formula and R's type-7 percentiles.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from math import factorial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .reference.make_drivers_pinned import ATTRS, INPUT, cases, run, with_weights

R_SCRIPT = Path(__file__).parent / "reference" / "drivers_r.R"
R_JSON = R_SCRIPT.with_suffix(".json")
ALIAS = {"lmg": "shapley", "dominance": "shapley"}
# R's lm (QR) against cxmodels' Schur complements agree to 1e-9. polr (BFGS to reltol 1e-14)
# and glm (IRLS to 1e-14) reach the same maximum (5e-10, 1e-14 apart); their standard errors
# come from polr's numerical Hessian (2e-6 apart) and glm's IRLS weights (4e-8). The p-values
# (down to 1e-281) are compared on the log scale, which carries the standard errors' error.
RTOL = {"ordinal": 1e-8, "logit_promoter": 1e-10, "logit_detractor": 1e-10}
SE_RTOL = {"ordinal": 1e-5, "logit_promoter": 1e-7, "logit_detractor": 1e-7}
R_SOURCE = "R lm, glm, MASS::polr, sandwich HC3 (tests/reference/drivers_r.R)"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads(R_JSON.read_text())


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(INPUT)


@pytest.fixture(scope="module")
def current(data) -> dict:
    return run(data)


def _frame(entry: dict, index) -> pd.DataFrame:
    tab = {k: [np.nan if v is None else v for v in vals] for k, vals in entry["table"].items()}
    return pd.DataFrame(tab, index=list(index), dtype=float)


def _expected(name: str, ref: dict) -> tuple[dict, pd.DataFrame]:
    """The R entry of a call, with importance, share, rank and sign derived as documented."""
    r = ref[name if name in ref else "ols"]  # ols_shapley, ols_lmg, ...: the one OLS fit
    want = _frame(r, r["driver"])
    measure = name.removeprefix("ols_") if name.startswith("ols_") else "shapley"
    measure = ALIAS.get(measure, measure)
    if measure not in want:  # bootstrap, weights, controls, groups: the default measure
        measure = "shapley"
    want["importance"] = want[measure]
    want["share"] = 100 * want["importance"] / want["importance"].sum()
    want["rank"] = want["importance"].rank(ascending=False, method="min")
    want["sign"] = np.sign(want["coef"])
    return r, want


def _compare(got: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    for col in want:
        a, b = got.loc[want.index, col].to_numpy(float), want[col].to_numpy(float)
        rtol = RTOL.get(name, 1e-9)
        if col in ("se", "p_value", "penalty_se", "reward_se", "penalty_p", "reward_p"):
            rtol = SE_RTOL.get(name, 1e-9)
        if col.endswith("p_value") or col.endswith("_p"):
            a, b = np.log(a), np.log(b)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=f"{name}.{col}")


@pytest.mark.reference(R_SOURCE)
@pytest.mark.parametrize("name", [n for n in cases(pd.DataFrame()) if n != "compare_segments"])
def test_drivers_outputs_match_r(ref, current, name):
    new = current[name]
    got = _frame(new, new["driver"])
    if name == "penalty_reward":
        r = ref["penalty_reward"]
        want = _frame(r, r["driver"])
        assert new["classification"] == [
            dict(zip(r["driver"], r["classification"]))[d] for d in new["driver"]
        ]
        for key in ("low", "high"):
            assert new[key] == r[key]
    else:
        r, want = _expected(name, ref)
        assert sorted(new["driver"]) == sorted(r["driver"])
        assert got["ci_low"].isna().all() == (name != "ols_bootstrap")
        assert new["r2_controls"] == pytest.approx(r["r2_controls"], rel=1e-9, abs=1e-15)
    assert new["n"] == r["n"] and new.get("n_dropped", 0) == 0
    assert new["r2"] == pytest.approx(r["r2"], rel=RTOL.get(name, 1e-9))
    _compare(got, want, name)


@pytest.mark.reference(R_SOURCE)
def test_segment_shares_match_r(ref, current):
    new, r = current["compare_segments"], ref["compare_segments"]
    got = pd.DataFrame(
        {"segment": new["segment"], "driver": new["driver"], **new["table"]}
    ).set_index(["segment", "driver"])
    base = np.array(r["share"][r["segment"][0]])
    for s in r["segment"]:
        np.testing.assert_allclose(got.loc[s].loc[r["driver"], "share"], r["share"][s], rtol=1e-9)
        diff = np.array(r["share"][s]) - base
        np.testing.assert_allclose(got.loc[s].loc[r["driver"], "diff"], diff, atol=1e-9)


# -- the bootstrap, recomputed -----------------------------------------------------------------
def _shapley(C: np.ndarray) -> np.ndarray:
    """Shapley values of R² from a covariance matrix of ``[x..., y]``, by the formula."""
    p = C.shape[0] - 1
    v = np.zeros(2**p)
    for mask in range(1, 2**p):
        S = [j for j in range(p) if mask >> j & 1]
        b = C[S, -1]
        v[mask] = b @ np.linalg.solve(C[np.ix_(S, S)], b) / C[-1, -1]
    phi = np.zeros(p)
    for j in range(p):
        for mask in range(2**p):
            if not mask >> j & 1:
                k = bin(mask).count("1")
                phi[j] += (
                    factorial(k)
                    * factorial(p - k - 1)
                    / factorial(p)
                    * (v[mask | 1 << j] - v[mask])
                )
    return phi


def _replicates(Z: np.ndarray, B: int, rng: np.random.Generator) -> np.ndarray:
    """Shapley values of ``B`` resampled copies of the rows of ``Z`` (B, p)."""
    n = len(Z)
    counts = rng.multinomial(n, np.full(n, 1 / n), size=B)
    return np.array([_shapley(np.cov(Z.T, fweights=c)) for c in counts])


@pytest.mark.reference("independent bootstrap in numpy: multinomial counts, Shapley formula")
def test_bootstrap_interval_is_the_percentile_of_resampled_shapley(data, current):
    kw = cases(data)["ols_bootstrap"][1]
    Z = with_weights(data)[[*kw["drivers"], kw["outcome"]]].to_numpy(float)
    draws = _replicates(Z, kw["bootstrap"], np.random.default_rng(kw["seed"]))
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    new = current["ols_bootstrap"]
    got = _frame(new, new["driver"]).loc[kw["drivers"]]
    np.testing.assert_allclose(got["ci_low"], low, rtol=1e-9)
    np.testing.assert_allclose(got["ci_high"], high, rtol=1e-9)
    assert kw["drivers"] == ATTRS


@pytest.mark.reference("independent bootstrap in numpy: multinomial counts, Shapley formula")
def test_segment_difference_intervals_are_percentiles_of_resampled_shares(data, current):
    kw = cases(data)["compare_segments"][1]
    rng = np.random.default_rng(kw["seed"])
    draws = {}
    for s in sorted(data["segment"].unique()):  # one stream, segments in sorted order
        Z = data.loc[data["segment"] == s, [*kw["drivers"], kw["outcome"]]].to_numpy(float)
        phi = _replicates(Z, kw["bootstrap"], rng)
        draws[s] = 100 * phi / phi.sum(axis=1, keepdims=True)
    new = current["compare_segments"]
    got = pd.DataFrame({"segment": new["segment"], "driver": new["driver"], **new["table"]})
    got = got.set_index(["segment", "driver"])
    ref_seg = sorted(draws)[0]
    assert got.loc[ref_seg, "diff_low"].isna().all()
    for s in sorted(draws)[1:]:
        low, high = np.percentile(draws[s] - draws[ref_seg], [2.5, 97.5], axis=0)
        np.testing.assert_allclose(got.loc[s].loc[kw["drivers"], "diff_low"], low, atol=1e-9)
        np.testing.assert_allclose(got.loc[s].loc[kw["drivers"], "diff_high"], high, atol=1e-9)


def _r_has(*packages: str) -> bool:
    """Whether Rscript is installed with every one of ``packages``."""
    if shutil.which("Rscript") is None:
        return False
    check = f"for (p in c({', '.join(map(repr, packages))})) library(p, character.only = TRUE)"
    return subprocess.run(["Rscript", "-e", check], capture_output=True).returncode == 0


@pytest.mark.reference(R_SOURCE)
def test_r_script_still_writes_the_committed_numbers(tmp_path, ref):
    if not _r_has("MASS", "sandwich", "jsonlite"):
        pytest.skip("needs R with MASS, sandwich, jsonlite")
    out = tmp_path / "drivers_r.json"
    subprocess.run(["Rscript", str(R_SCRIPT), str(out)], check=True, capture_output=True)
    live = json.loads(out.read_text())
    for case in (k for k in ref if isinstance(ref[k], dict) and "table" in ref[k]):
        for col, values in ref[case]["table"].items():
            a = np.array(live[case]["table"][col], dtype=float)
            b = np.array(values, dtype=float)
            if col.endswith("p_value") or col.endswith("_p"):  # down to 1e-281: log scale
                a, b = np.log(a), np.log(b)
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=f"{case}.{col}")
    for s, values in ref["compare_segments"]["share"].items():
        np.testing.assert_allclose(live["compare_segments"]["share"][s], values, rtol=1e-9)
