"""Churn results keep their specification (refits lose no option), and Kaplan-Meier medians
follow R survival's ``quantile.survfit`` (issue 27).

References: R survival 3.5.3, ``tests/reference/km_median_r.R`` and its printed output
``km_median_r.out``; lifelines ``CoxPHFitter`` for the penalized, stratified refit.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_lung

from cxmodels.churn import fit_churn, kaplan_meier

INF = float("inf")
#: (times, events) -> (median, lower, upper) printed by R quantile(survfit(..., conf.type="log"))
#: in tests/reference/km_median_r.out (NA printed as "not reached": inf).
R_MEDIANS = [
    (([1, 2, 3, 4], [1, 1, 1, 1]), (2.5, 1.0, INF)),  # flat at exactly 0.5: midpoint
    (([1, 2, 3, 4], [1, 1, 0, 0]), (3.0, 1.0, INF)),  # ends on the flat: midpoint to last time
    (([1, 1, 2, 2, 3, 5, 6, 7], [1, 1, 1, 0, 1, 1, 0, 1]), (3.0, 2.0, INF)),
    (([2, 2, 4, 4, 6, 8], [1, 1, 1, 0, 1, 0]), (5.0, 2.0, INF)),
]


@pytest.mark.parametrize(("data", "expected"), R_MEDIANS)
def test_km_median_follows_r_quantile_survfit(data, expected):
    T, E = data
    res = kaplan_meier(pd.DataFrame({"duration": T, "event": E}), conf_type="log")
    got = res.medians.iloc[0][["median", "ci_low", "ci_high"]].to_numpy(dtype=float)
    np.testing.assert_allclose(got, expected)


def test_km_median_lung_by_sex_matches_r():
    # R: quantile(survfit(Surv(time, status) ~ sex, data = lung, conf.type = "log"), 0.5)
    lung = load_lung()
    med = kaplan_meier(
        lung, "sex", duration_col="time", event_col="status", conf_type="log"
    ).medians.set_index("group")
    np.testing.assert_allclose(
        med.loc[1, ["median", "ci_low", "ci_high"]].astype(float), [270, 212, 310]
    )
    np.testing.assert_allclose(
        med.loc[2, ["median", "ci_low", "ci_high"]].astype(float), [426, 348, 550]
    )
    one = kaplan_meier(lung, duration_col="time", event_col="status", conf_type="log")
    np.testing.assert_allclose(
        one.medians.iloc[0][["median", "ci_low", "ci_high"]].astype(float), [310, 285, 363]
    )


def test_km_missing_groups_are_counted_and_said():
    lung = load_lung()
    lung.loc[:5, "sex"] = np.nan
    res = kaplan_meier(lung, "sex", duration_col="time", event_col="status")
    assert res.dropped == 6
    assert res.medians["n"].sum() == len(lung) - 6
    assert any("6" in c and "sex" in c.lower() for c in res.findings().caveats)


def _crossing(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    """Group 'b' has a Weibull shape of 3, 'a' of 0.7: hazards cross, PH fails for g."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    shape = np.where(g == 1, 3.0, 0.7)
    T = 10 * (rng.exponential(size=n) / np.exp(0.5 * x)) ** (1 / shape)
    C = rng.uniform(0, 20, n)
    x = np.where(rng.random(n) < 0.02, np.nan, x)  # a few missing covariates: rows dropped
    return pd.DataFrame(
        {
            "duration": np.minimum(T, C),
            "event": (T <= C).astype(int),
            "x": x,
            "g": np.where(g, "b", "a"),
        }
    )


def test_stratify_violations_keeps_level_penalizer_and_missing_rule():
    df = _crossing()
    fit = fit_churn(df, ["x", "g"], alpha=0.10, penalizer=0.05, unit="weeks")
    assert fit.spec["alpha"] == 0.10 and fit.spec["penalizer"] == 0.05
    new, _ = fit.stratify_violations()
    assert new.strata == ("g",) and list(new.table["covariate"]) == ["x"]
    assert new.alpha == 0.10 and new.unit == "weeks" and new.spec["penalizer"] == 0.05
    # the refit is lifelines' penalized, stratified Cox at 90% on the same complete rows
    rows = df.dropna(subset=["x"])
    ref = CoxPHFitter(penalizer=0.05, alpha=0.10).fit(
        rows[["duration", "event", "x", "g"]], "duration", "event", strata=["g"]
    )
    row = new.table.iloc[0]
    assert row["coef"] == pytest.approx(ref.params_["x"], abs=1e-6)
    lo, hi = ref.confidence_intervals_.loc["x"]
    assert (row["coef_low"], row["coef_high"]) == pytest.approx((lo, hi), abs=1e-6)


def test_refit_keeps_every_option_unless_changed():
    df = _crossing(800, seed=4)
    fit = fit_churn(df, ["x", "g"], alpha=0.2, missing="drop", reference={"g": "b"})
    again = fit.refit()
    pd.testing.assert_frame_equal(again.table, fit.table)
    wider = fit.refit(alpha=0.01)
    assert wider.alpha == 0.01 and wider.table["covariate"].tolist() == ["x", "g: a"]
    with pytest.raises(Exception, match="missing"):
        fit.refit(missing="error")


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with survival")
def test_km_medians_match_live_r_on_tied_data(tmp_path):
    # monthly durations with heavy ties (flats at 0.5 are common): R computes, we compare
    rng = np.random.default_rng(7)
    frames = []
    for g in range(40):
        n = int(rng.integers(2, 12))
        frames.append(
            pd.DataFrame(
                {"duration": rng.integers(1, 7, n), "event": rng.integers(0, 2, n), "g": g}
            )
        )
    df = pd.concat(frames, ignore_index=True)
    path, out = tmp_path / "km.csv", tmp_path / "r.csv"
    df.to_csv(path, index=False)
    script = (
        f"library(survival); d <- read.csv('{path}'); "
        "f <- survfit(Surv(duration, event) ~ g, data = d, conf.type = 'log'); "
        "q <- quantile(f, 0.5); "
        "r <- data.frame(g = sub('g=', '', rownames(q$quantile)), median = q$quantile[, 1], "
        "low = q$lower[, 1], high = q$upper[, 1]); "
        f"write.csv(r, '{out}', row.names = FALSE)"
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    r = pd.read_csv(out).set_index("g").fillna(INF)
    ours = kaplan_meier(df, "g", conf_type="log").medians.set_index("group")
    got = ours.loc[r.index, ["median", "ci_low", "ci_high"]].to_numpy(dtype=float)
    np.testing.assert_allclose(got, r[["median", "low", "high"]].to_numpy(dtype=float))


def test_a_covariate_that_separates_churners_is_flagged_as_r_does():
    # R coxph warns "Loglik converged before variable 2; coefficient may be infinite" here
    rng = np.random.default_rng(1)
    n = 300
    x, g = rng.normal(size=n), rng.integers(0, 2, n)
    T, E = rng.exponential(10, n), (g == 1).astype(int)
    df = pd.DataFrame({"duration": T, "event": E, "x": x, "g": g})
    fit = fit_churn(df, ["x", "g"])
    assert fit.converged and any("g" in n and "infinite" in n for n in fit.notes)
    assert not any("x" in n.split(":")[0] for n in fit.notes if "infinite" in n)
    ok = fit_churn(df.assign(g=rng.integers(0, 2, n)), ["x", "g"])
    assert not any("infinite" in n for n in ok.notes)
