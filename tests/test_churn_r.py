"""Churn against R survival 3.5-3 (issue 13): coxph, cox.zph, survfit.coxph, survfit bands,
survreg, zero durations, time-varying coxph on tmerge data. Reference values and their source:
tests/reference/churn_r.py (printed by tests/reference/churn_survival_r.R)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_lung, load_rossi

import cxmodels as cx
from cxmodels.churn import fit_churn, kaplan_meier
from tests.reference import churn_r as R

HERE = Path(__file__).parent / "reference"
# R's coxph stops when the log-likelihood changes by less than 1e-9 (relative), so its printed
# coefficients sit within ~1e-8 of the optimum that cxmodels iterates to; statistics that
# depend on them agree to ~1e-7 relative.
COEF_ABS, STAT_REL = 1e-7, 1e-6
LUNG = ["age", "sex", "ph.ecog"]
ROSSI = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def lung():
    return load_lung()


@pytest.fixture(scope="module")
def lung_fit(lung):
    return fit_churn(lung, LUNG, duration_col="time", event_col="status", unit="days")


def _zph(fit, transform):
    return fit.check_assumptions(transform=transform).set_index("covariate")["test_statistic"]


def test_cox_coefficients_match_coxph(lung_fit):
    t = lung_fit.table.set_index("covariate")
    assert lung_fit.n == 227  # one row without ph.ecog dropped and counted, as na.omit
    assert any("1 rows with a missing covariate" in n for n in lung_fit.notes)
    for k, v in R.LUNG_COEF.items():
        assert t.loc[k, "coef"] == pytest.approx(v, abs=1e-9), k
        assert t.loc[k, "se"] == pytest.approx(R.LUNG_SE[k], abs=1e-9), k


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_cox_zph_matches_r_lung_and_rossi(lung_fit, transform):
    got = _zph(lung_fit, transform)
    for k, v in R.LUNG_ZPH[transform].items():
        assert got[k] == pytest.approx(v, rel=STAT_REL), (k, transform)
    rossi = fit_churn(load_rossi(), ROSSI, duration_col="week", event_col="arrest")
    for k, v in R.ROSSI_COEF.items():
        assert rossi.table.set_index("covariate").loc[k, "coef"] == pytest.approx(v, abs=COEF_ABS)
    got = _zph(rossi, transform)
    for k, v in R.ROSSI_ZPH[transform].items():
        assert got[k] == pytest.approx(v, rel=STAT_REL), (k, transform)


def test_cox_zph_default_is_km_with_advice(lung_fit):
    ph = lung_fit.ph_test()
    assert ph.transform == "km" and list(ph.table["covariate"]) == [*LUNG, "GLOBAL"]
    assert not ph.table["violated"].any()
    assert "No covariate breaks proportional hazards" in ph.findings().findings[0]
    rossi = fit_churn(load_rossi(), ROSSI, duration_col="week", event_col="arrest")
    t = rossi.check_assumptions().set_index("covariate")
    assert t.loc["age", "violated"] and t.loc["wexp", "violated"] and not t.loc["fin", "violated"]
    assert "time interaction" in t.loc["age", "advice"]
    f = rossi.ph_test().findings()
    assert any("age changes over follow-up" in s for s in f.findings)
    with pytest.raises(cx.InputError, match="transform: unknown value 'kms'.*did you mean 'km'"):
        rossi.ph_test("kms")


def test_stratified_cox_zph_concordance_and_survfit(lung):
    fit = fit_churn(lung, ["age", "ph.ecog"], strata="sex", duration_col="time", event_col="status")
    t = fit.table.set_index("covariate")
    for k, v in R.LUNG_STRATA_COEF.items():
        assert t.loc[k, "coef"] == pytest.approx(v, abs=COEF_ABS)
    got = _zph(fit, "km")
    for k, v in R.LUNG_STRATA_ZPH_KM.items():
        assert got[k] == pytest.approx(v, rel=STAT_REL), k
    # pairs within strata (R concordance); pooling pairs across strata gives another number
    assert fit.concordance == pytest.approx(R.LUNG_STRATA_CONCORDANCE, abs=1e-9)
    prof = pd.DataFrame({"age": [60], "ph.ecog": [1], "sex": [2]})
    s = fit.predict_survival(prof, R.LUNG_TIMES).to_numpy()[:, 0]
    np.testing.assert_allclose(s, R.LUNG_STRATA_SURVFIT_SEX2, rtol=STAT_REL)


def test_predictions_are_survfit_step_functions(lung_fit):
    prof = pd.DataFrame({"age": [50, 70], "sex": [1, 2], "ph.ecog": [0, 2]})
    s = lung_fit.predict_survival(prof, R.LUNG_TIMES).to_numpy()
    np.testing.assert_allclose(s, R.LUNG_SURVFIT, rtol=1e-8)
    # no churn between 200 and 200.5 in lung: risk equal, as R's step function
    r = [lung_fit.predict_risk(h, prof).to_numpy() for h in (200, 200.5)]
    np.testing.assert_array_equal(r[0], r[1])
    for tau, v in R.LUNG_RMST.items():
        np.testing.assert_allclose(lung_fit.expected_remaining_tenure(tau, prof), v, rtol=1e-8)


def test_risk_steps_between_event_times(world):
    st = cx.survival_table(world)
    fit = fit_churn(st, ["overall_sat", "loyalty_member"])
    ev = np.sort(st.loc[st["event"] == 1, "duration"].unique())
    j = np.flatnonzero(np.diff(ev) > 0.6)[0]
    a, b = ev[j] + 0.1, ev[j + 1] - 0.1  # no churn in between
    np.testing.assert_array_equal(fit.predict_risk(a), fit.predict_risk(b))
    assert (fit.predict_risk(ev[j + 1]) > fit.predict_risk(b)).all()


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_bands_match_survfit(lung, conf_type):
    km = kaplan_meier(lung, duration_col="time", event_col="status", conf_type=conf_type)
    at = km.survival_at(R.LUNG_KM_TIMES)
    got = at[["survival", "ci_low", "ci_high"]].to_numpy()
    np.testing.assert_allclose(got, R.LUNG_KM[conf_type], rtol=1e-9)
    m = km.medians.iloc[0]
    assert (m["median"], m["ci_low"], m["ci_high"]) == R.LUNG_KM_MEDIAN[conf_type]


def test_km_conf_type_default_and_validation(lung):
    km = kaplan_meier(lung, duration_col="time", event_col="status")
    assert km.conf_type == "log-log"
    with pytest.raises(cx.InputError, match="conf_type: unknown value 'loglog'.*'log-log'"):
        kaplan_meier(lung, duration_col="time", event_col="status", conf_type="loglog")


@pytest.mark.parametrize("dist", ["loglogistic", "weibull", "lognormal"])
def test_aft_matches_survreg(lung, dist):
    fit = fit_churn(lung, LUNG, model=dist, duration_col="time", event_col="status")
    ref = R.LUNG_SURVREG[dist]
    t = fit.table.set_index("covariate")
    # issue 13 asks for 1e-5; the survreg optimum is reached to ~1e-9 (lifelines' own
    # log-logistic fit stops 7e-5 away in the age coefficient)
    for k in LUNG:
        assert t.loc[k, "coef"] == pytest.approx(ref[k], abs=1e-8), (dist, k)
    assert fit.intercept == pytest.approx(ref["Intercept"], abs=1e-8)
    assert fit.log_scale == pytest.approx(ref["log_scale"], abs=1e-8)
    assert fit.converged


def test_zero_durations_accepted_by_km_and_cox_refused_by_aft():
    z = pd.DataFrame(R.ZERO_DATA).rename(columns={"time": "duration", "status": "event"})
    km = kaplan_meier(z)
    s = km.survival_at(R.ZERO_KM_TIMES)["survival"].to_numpy()
    np.testing.assert_allclose(s, R.ZERO_KM_SURV, rtol=1e-10)
    t = fit_churn(z, ["x"]).table.iloc[0]
    assert (t["coef"], t["se"]) == pytest.approx(R.ZERO_COX, abs=1e-8)
    with pytest.raises(cx.InputError, match=r"zero durations.*Fix: drop these rows.*shift"):
        fit_churn(z, ["x"], model="weibull")


def test_time_varying_cox_matches_coxph_on_tmerge_data():
    cp = pd.read_csv(HERE / "tmerge_cp.csv")
    assert len(cp) == R.TMERGE_ROWS
    fit = fit_churn(
        cp,
        ["x", "member", "sat"],
        time_varying=True,
        id_col="id",
        start_col="tstart",
        stop_col="tstop",
        event_col="death",
    )
    t = fit.table.set_index("covariate")
    for k, v in R.TMERGE_COEF.items():
        assert t.loc[k, "coef"] == pytest.approx(v, abs=1e-8), k
        assert t.loc[k, "se"] == pytest.approx(R.TMERGE_SE[k], abs=1e-8), k
    assert type(fit).__name__ == "TimeVaryingCoxResult"
    with pytest.raises(cx.InputError, match="time-varying"):
        fit.predict_risk(5, cp)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with survival")
@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_cox_zph_matches_r_veteran(tmp_path, transform):
    # veteran ships with R survival (LGPL data): exported at test time, not committed
    path = tmp_path / "veteran.csv"
    subprocess.run(
        ["Rscript", "-e", f"write.csv(survival::veteran, '{path}', row.names = FALSE)"],
        check=True,
        capture_output=True,
    )
    vet = pd.read_csv(path)
    fit = fit_churn(
        vet,
        ["trt", "celltype", "karno", "diagtime", "age", "prior"],
        duration_col="time",
        event_col="status",
        reference={"celltype": "squamous"},
    )
    ph = fit.check_assumptions(transform=transform).set_index("covariate")
    for k, v in R.VETERAN_ZPH[transform].items():
        assert ph.loc[k, "test_statistic"] == pytest.approx(v, rel=STAT_REL), (k, transform)
        assert ph.loc[k, "df"] == R.VETERAN_ZPH_DF.get(k, 1)
    if transform == "km":  # R does not flag age here (lifelines' rank test did)
        assert not ph.loc["age", "violated"] and ph.loc["karno", "violated"]


# ---------------------------------------------------------------- Efron and Breslow baselines
BASELINE_R = HERE / "cox_breslow_r.csv"  # written by tests/reference/cox_breslow_r.R
BASELINE_FITS = {  # data set of the R script -> (covariates, strata, profiles)
    "rossi": (
        ROSSI,
        None,
        {"fin": [0, 1], "age": [20, 35], "race": [1, 0], "wexp": [0, 1], "mar": [0, 1]}
        | {"paro": [1, 0], "prio": [3, 0]},
    ),
    "lung": (LUNG, None, {"age": [50, 70], "sex": [1, 2], "ph.ecog": [0, 2]}),
    "lung_strata": (["age", "ph.ecog"], "sex", {"age": [60, 45], "ph.ecog": [1, 0], "sex": [2, 1]}),
}


def _rossi_path() -> Path:
    import lifelines

    return Path(lifelines.__file__).parent / "datasets" / "rossi.csv"


def _baseline_predictions(lung, baseline: str, ref: pd.DataFrame) -> pd.DataFrame:
    """cxmodels' survival at the R script's profiles and times, in the rows of ``ref``."""
    got = ref.copy()
    for name, (covs, strata, prof) in BASELINE_FITS.items():  # three fits
        data = load_rossi() if name == "rossi" else lung
        cols = ("week", "arrest") if name == "rossi" else ("time", "status")
        fit = fit_churn(
            data, covs, strata=strata, duration_col=cols[0], event_col=cols[1], baseline=baseline
        )
        assert fit.baseline_method == baseline
        sel = got["data"] == name
        times = np.unique(got.loc[sel, "time"])
        S = fit.predict_survival(pd.DataFrame(prof), times)
        look = got.loc[sel]
        pos = np.searchsorted(times, look["time"])
        got.loc[sel, "surv"] = S.to_numpy()[pos, look["profile"].to_numpy() - 1]
    return got


@pytest.mark.reference("R survival: survfit.coxph(ctype = 1) and (ctype = 2)")
@pytest.mark.parametrize(("baseline", "ctype"), [("efron", 2), ("breslow", 1)])
def test_survfit_ctype_efron_and_breslow_baselines(lung, baseline, ctype):
    ref = pd.read_csv(BASELINE_R)
    ref = ref[ref["ctype"] == ctype].reset_index(drop=True)
    got = _baseline_predictions(lung, baseline, ref)
    np.testing.assert_allclose(got["surv"], ref["surv"], rtol=STAT_REL)
    # the two baselines differ where churners tie (Rossi's weekly arrests): the option matters
    other = pd.read_csv(BASELINE_R).query("ctype != @ctype")["surv"].to_numpy()
    assert np.abs(got["surv"].to_numpy() - other).max() > 1e-4


def test_breslow_baseline_is_lifelines_baseline_survival():
    from lifelines import CoxPHFitter

    rossi = load_rossi()
    times = np.array([5, 10, 20, 30.5, 40, 52])
    lf = CoxPHFitter().fit(rossi, "week", "arrest").baseline_survival_["baseline survival"]
    want = lf.reindex(np.union1d(lf.index, times)).ffill().loc[times].to_numpy()
    mean = rossi[ROSSI].mean().to_frame().T  # lifelines' baseline is at the covariate means
    got = {
        b: fit_churn(rossi, ROSSI, duration_col="week", event_col="arrest", baseline=b)
        .predict_survival(mean, times)
        .to_numpy()[:, 0]
        for b in ("breslow", "efron")
    }
    np.testing.assert_allclose(got["breslow"], want, rtol=1e-7)  # lifelines' Newton stop
    assert np.abs(got["efron"] - want).max() > 1e-4


def test_baseline_option_is_stated_kept_and_checked(lung_fit, lung):
    assert lung_fit.baseline_method == "efron" and lung_fit.spec["baseline"] == "efron"
    assert "Efron (R survfit.coxph ctype = 2" in lung_fit.summary().as_text()
    b = lung_fit.refit(baseline="breslow")
    assert b.baseline_method == "breslow" and "ctype = 1" in b.summary().as_text()
    assert b.refit(alpha=0.1).baseline_method == "breslow"  # kept by a refit
    with pytest.raises(cx.InputError, match="baseline: unknown value 'nelson'"):
        fit_churn(lung, LUNG, duration_col="time", event_col="status", baseline="nelson")
    with pytest.raises(cx.InputError, match="baseline"):
        fit_churn(
            lung, LUNG, model="weibull", duration_col="time", event_col="status", baseline="breslow"
        )


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with survival")
def test_baseline_reference_values_are_r_survfit_live(tmp_path):
    out = tmp_path / "cox_breslow_r.csv"
    subprocess.run(
        ["Rscript", str(HERE / "cox_breslow_r.R"), str(_rossi_path()), str(out)],
        check=True,
        capture_output=True,
    )
    live, committed = pd.read_csv(out), pd.read_csv(BASELINE_R)
    pd.testing.assert_frame_equal(live, committed, check_exact=False, rtol=1e-12)
