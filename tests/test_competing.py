"""Competing risks (issue 31): cumulative incidence against R survival's multi-state survfit
(estimates, infinitesimal-jackknife standard errors, log bands, by group, computed by R at test
time with tests/reference/competing_r.R on mgus2), an independent check without censoring,
cause-specific Cox against R coxph, and recovery of the synthetic world's exit causes."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels.churn import cumulative_incidence, fit_cause_specific, fit_fine_gray

R_SCRIPT = Path(__file__).parent / "reference" / "competing_r.R"
needs_r = pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with survival")
CAUSES = {1: "pcm", 2: "death"}


def _tied(n: int = 600, seed: int = 8) -> pd.DataFrame:
    """Monthly exits with many ties between causes and censoring."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": rng.integers(1, 16, n),
            "code": rng.choice([0, 1, 2], n, p=[0.4, 0.35, 0.25]),
            "x1": rng.normal(size=n).round(3),
            "x2": rng.integers(0, 2, n),
        }
    )


@pytest.fixture(scope="module")
def r_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("competing_r")
    _tied().to_csv(out / "tied.csv", index=False)
    subprocess.run(["Rscript", str(R_SCRIPT), str(out)], check=True, capture_output=True)
    return out


@needs_r
def test_aalen_johansen_matches_r_multistate_survfit(r_out):
    d = pd.read_csv(r_out / "mgus2.csv")
    ref = pd.read_csv(r_out / "aj.csv")
    overall = cumulative_incidence(d, duration_col="etime", event_col="code", causes=CAUSES)
    by_sex = cumulative_incidence(d, "sex", duration_col="etime", event_col="code", causes=CAUSES)
    for res, groups in ((overall, ["all"]), (by_sex, ["F", "M"])):
        for g in groups:
            r = ref[ref["group"] == g].reset_index(drop=True)
            free = res.event_free[res.event_free["group"] == g].reset_index(drop=True)
            np.testing.assert_allclose(free["time"], r["time"])
            np.testing.assert_allclose(free["event_free"], r["p0"], atol=1e-12)
            for k, cause in CAUSES.items():
                ours = res.table[(res.table["group"] == g) & (res.table["cause"] == cause)]
                ours = ours.reset_index(drop=True)
                np.testing.assert_allclose(ours["at_risk"], r["n.risk"])
                np.testing.assert_allclose(ours["incidence"], r[f"p{k}"], atol=1e-12)
                np.testing.assert_allclose(ours["se"], r[f"se{k}"], atol=1e-12)
                np.testing.assert_allclose(ours["ci_low"], r[f"lo{k}"], atol=1e-12)
                np.testing.assert_allclose(ours["ci_high"], r[f"hi{k}"], atol=1e-12)


@needs_r
def test_cause_specific_cox_matches_r_coxph(r_out):
    d = pd.read_csv(r_out / "mgus2.csv")
    ref = pd.read_csv(r_out / "cs_cox.csv").set_index("term")
    fit = fit_cause_specific(
        d,
        ["sex", "age"],
        cause="pcm",
        causes=CAUSES,
        duration_col="etime",
        event_col="code",
        reference={"sex": "F"},
    )
    t = fit.table.set_index("covariate")
    assert t.loc["sex: M", "coef"] == pytest.approx(ref.loc["sexM", "coef"], abs=1e-7)
    assert t.loc["age", "coef"] == pytest.approx(ref.loc["age", "coef"], abs=1e-7)
    assert t.loc["age", "se"] == pytest.approx(ref.loc["age", "se"], abs=1e-7)


@needs_r
def test_fine_gray_matches_cmprsk_crr(r_out):
    if not (r_out / "crr.csv").exists():
        pytest.skip("R package cmprsk is not installed")
    ref = pd.read_csv(r_out / "crr.csv")
    d = pd.read_csv(r_out / "mgus2.csv")
    fits = {
        cause: fit_fine_gray(
            d,
            ["sex", "age"],
            cause=cause,
            causes=CAUSES,
            duration_col="etime",
            event_col="code",
            reference={"sex": "F"},
        )
        for cause in ("pcm", "death")
    }
    fits["tied"] = fit_fine_gray(
        _tied(), ["x1", "x2"], cause=1, duration_col="time", event_col="code"
    )
    names = {"sexM": "sex: M", "age": "age", "x1": "x1", "x2": "x2"}
    for _, r in ref.iterrows():
        row = fits[r["fit"]].table.set_index("covariate").loc[names[r["term"]]]
        assert row["coef"] == pytest.approx(r["coef"], abs=1e-6), (r["fit"], r["term"])
        assert row["se"] == pytest.approx(r["se"], rel=1e-5), (r["fit"], r["term"])
        assert fits[r["fit"]].loglik == pytest.approx(r["loglik"], rel=1e-8)


GRAY_REF = Path(__file__).parent / "reference" / "competing_gray_r.csv"


@needs_r
def test_gray_test_matches_cmprsk_cuminc(r_out):
    # committed cmprsk values (tests/reference/competing_gray_r.csv); recomputed live by the R
    # script when cmprsk is installed, and then the live values must equal the committed ones
    ref = pd.read_csv(GRAY_REF, comment="#")
    if (r_out / "gray.csv").exists():
        live = pd.read_csv(r_out / "gray.csv")
        np.testing.assert_allclose(live["stat"], ref["stat"], rtol=1e-10)
    d = pd.read_csv(r_out / "mgus2.csv")
    d["ageband"] = pd.cut(
        d["age"], [0, 60, 70, 80, np.inf], labels=["<60", "60-70", "70-80", "80+"]
    )
    kw = {"duration_col": "etime", "event_col": "code", "causes": CAUSES}
    tied = {"duration_col": "time", "event_col": "code", "causes": CAUSES}
    cases = {
        "sex": cumulative_incidence(d, "sex", **kw),
        "ageband_rho1": cumulative_incidence(d, "ageband", rho=1, **kw),
        "ageband_by_sex": cumulative_incidence(d, "ageband", strata="sex", **kw),
        "tied": cumulative_incidence(_tied(), "x2", **tied),
    }
    for _, r in ref.iterrows():
        ours = cases[r["case"]].tests.set_index("cause").loc[CAUSES[int(r["cause"])]]
        assert ours["statistic"] == pytest.approx(r["stat"], rel=1e-8, abs=1e-10), tuple(r)
        assert ours["p_value"] == pytest.approx(r["pv"], rel=1e-6, abs=1e-12), tuple(r)
        assert ours["df"] == r["df"]
    assert "Gray" in cases["sex"].summary().as_text()
    words = list(cases["sex"].findings())
    assert any("death differs across sex" in w for w in words), words
    assert any("pcm does not clearly differ" in w for w in words), words


def test_gray_test_sees_a_difference_it_was_given_and_none_without_one():
    # independent of cmprsk: a group whose cause-1 hazard is three times the other's is
    # detected; two halves of one population are not (size of the test near alpha)
    rng = np.random.default_rng(3)
    n = 4000
    g = rng.integers(0, 2, n)
    t1 = rng.exponential(1 / np.where(g == 1, 0.3, 0.1))
    t2 = rng.exponential(10, n)
    c = rng.uniform(0, 8, n)
    df = pd.DataFrame(
        {
            "duration": np.minimum.reduce([t1, t2, c]).round(1),
            "event": np.select([t1 <= np.minimum(t2, c), t2 <= c], [1, 2], 0),
            "g": g,
            "null": rng.integers(0, 2, n),
        }
    )
    big = cumulative_incidence(df, "g").tests.set_index("cause")
    assert big.loc["1", "p_value"] < 1e-10
    null = cumulative_incidence(df, "null").tests
    assert (null["p_value"] > 0.001).all()
    assert cumulative_incidence(df).tests is None


def test_fine_gray_without_competing_exits_is_the_breslow_cox():
    # independent: with no other cause every weight is 1, so Fine-Gray is Cox with Breslow ties;
    # lifelines uses Efron ties, so the comparison is on untied times
    from lifelines import CoxPHFitter

    d = _tied().assign(code=lambda x: np.where(x["code"] == 2, 0, x["code"]))
    fg = fit_fine_gray(d, ["x1", "x2"], cause=1, duration_col="time", event_col="code")
    untied = d.assign(time=d["time"] + np.random.default_rng(0).uniform(0, 0.5, len(d)))
    fg_u = fit_fine_gray(untied, ["x1", "x2"], cause=1, duration_col="time", event_col="code")
    ref = CoxPHFitter().fit(untied, "time", "code")
    np.testing.assert_allclose(fg_u.table["coef"], ref.params_[["x1", "x2"]], atol=1e-6)
    assert fg.converged and fg.competing == 0


def test_without_censoring_incidence_is_the_share_with_its_binomial_se():
    # independent: with no censoring, F_k(t) is the share who left for k by t, and the
    # infinitesimal jackknife variance is p (1 - p) / n
    rng = np.random.default_rng(2)
    n = 500
    df = pd.DataFrame({"duration": rng.integers(1, 30, n), "event": rng.integers(1, 4, n)})
    res = cumulative_incidence(df)
    for t_ in (5, 12, 29):
        at = res.at([t_]).set_index("cause")
        for k in (1, 2, 3):
            p = np.mean((df["duration"] <= t_) & (df["event"] == k))
            assert at.loc[str(k), "incidence"] == pytest.approx(p, abs=1e-12)
            assert at.loc[str(k), "se"] == pytest.approx(np.sqrt(p * (1 - p) / n), abs=1e-12)


def test_incidences_and_event_free_sum_to_one_and_names_match_codes():
    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame(
        {
            "duration": rng.exponential(10, n).round(1),
            "event": rng.integers(0, 3, n),
            "g": rng.choice(["a", "b"], n),
        }
    )
    coded = cumulative_incidence(df, "g", causes={1: "moved", 2: "price"})
    wide = coded.table.pivot_table(index=["group", "time"], columns="cause", values="incidence")
    free = coded.event_free.set_index(["group", "time"])["event_free"]
    np.testing.assert_allclose(wide.sum(axis=1) + free.loc[wide.index], 1.0, atol=1e-12)
    named = df.assign(
        exit=df["event"].map({1: "moved", 2: "price"}), left=(df["event"] > 0).astype(int)
    )
    by_name = cumulative_incidence(named, "g", event_col="left", cause_col="exit")
    pd.testing.assert_frame_equal(by_name.table, coded.table)


def test_bad_causes_are_refused_with_the_fix():
    df = pd.DataFrame({"duration": [1, 2, 3], "event": [1, 0, 1], "cause": ["a", None, None]})
    with pytest.raises(cx.InputError, match="exits without a cause"):
        cumulative_incidence(df, cause_col="cause")
    with pytest.raises(cx.InputError, match="no name"):
        cumulative_incidence(pd.DataFrame({"duration": [1, 2], "event": [1, 2]}), causes={1: "a"})
    with pytest.raises(cx.InputError, match="cause code"):
        cumulative_incidence(pd.DataFrame({"duration": [1, 2], "event": [1, -1]}))


@pytest.fixture(scope="module")
def exits():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(20000, seed=11, exit_causes=True))


def test_synthetic_exit_causes_recover_their_true_hazard_ratios(exits):
    st = cx.survival_table(exits)
    truth = exits.truth["exit_causes"]
    covs = ["overall_sat", "loyalty_member", "followed_up", "segment", "income_band"]
    checks = {
        "cancelled": {
            "overall_sat": truth["cancelled"]["log_hazard_ratios"]["overall_sat"],
            "followed_up": truth["cancelled"]["log_hazard_ratios"]["followed_up"],
            "loyalty_member": truth["cancelled"]["log_hazard_ratios"]["loyalty_member"],
        },
        "non-payment": {
            "overall_sat": 0.0,
            "followed_up": 0.0,
            "income_band: low": truth["non-payment"]["log_hazard_ratios"]["income_band[low]"],
            "segment: small_business": truth["non-payment"]["log_hazard_ratios"][
                "segment[small_business]"
            ],
        },
    }
    for cause, true in checks.items():
        fit = fit_cause_specific(st, covs, cause=cause, cause_col="exit_cause")
        t = fit.table.set_index("covariate")
        for name, beta in true.items():
            assert t.loc[name, "coef_low"] <= beta <= t.loc[name, "coef_high"], (cause, name)


def test_exit_causes_are_opt_in_and_leave_the_default_world_alone():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain, both = cx.generate(800, seed=5), cx.generate(800, seed=5, exit_causes=True)
    assert "exit_cause" not in plain.customers and "exit_causes" not in plain.truth
    keep = ["customer_id", "signup_date", "segment", "region", "income_band", "loyalty_member"]
    pd.testing.assert_frame_equal(plain.customers[keep], both.customers[keep])
    churned = both.customers["churn_date"].notna()
    assert both.customers["exit_cause"].notna().eq(churned).all()
    # involuntary exits only bring churn forward: every plain churner churns no later
    was = plain.customers["churn_date"].notna()
    assert (both.customers.loc[was, "churn_date"] <= plain.customers.loc[was, "churn_date"]).all()


def test_exit_causes_finds_satisfaction_drives_cancelling_not_non_payment(exits):
    # the synthetic truth: satisfaction lowers the cancellation hazard (log HR -0.2) and leaves
    # non-payment alone (0); the result's verdicts and intervals must say so
    st = cx.survival_table(exits)
    truth = exits.truth["exit_causes"]
    res = cx.churn.exit_causes(
        st, ["overall_sat", "loyalty_member", "followed_up", "segment"], by="segment"
    )
    assert res.focus == "overall_sat"
    sat = res.table[res.table["covariate"] == "overall_sat"].set_index("cause")
    true_hr = np.exp(truth["cancelled"]["log_hazard_ratios"]["overall_sat"])
    assert sat.loc["cancelled", "hr_low"] <= true_hr <= sat.loc["cancelled", "hr_high"]
    assert sat.loc["non-payment", "hr_low"] <= 1 <= sat.loc["non-payment", "hr_high"]
    assert sat.loc["cancelled", "shr_high"] < 1  # and fewer end up cancelling
    words = list(res.findings())
    assert any(w.startswith("overall satisfaction lowers leaving for cancelled") for w in words)
    assert any("no clear effect on leaving for non-payment" in w for w in words), words
    assert any("differs across segment" in w for w in words), words  # Gray's test
    assert set(res.summary().tables) >= {"Gray's test: do the groups' incidences differ?"}
    fig = res.plot()
    assert len(fig.axes) == 1 + st["segment"].nunique()


def test_churn_report_section_says_why_it_is_left_out(monkeypatch):
    import IPython.display

    from cxmodels import reports as rp
    from cxmodels.i18n import set_language

    shown: list[str] = []
    monkeypatch.setattr(IPython.display, "display", lambda *o, **_: shown.extend(x.data for x in o))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = cx.generate(300, seed=2)
    try:
        for lang in ("en", "fa"):
            set_language(lang)
            assert not rp.needs(plain, "customers.exit_cause", section="Why customers leave")
    finally:
        set_language("en")
    assert "<b>Why customers leave</b> is left out: the data records no exit causes" in shown[0]
    assert "چرا مشتریان می‌روند" in shown[1] and "علت ترک" in shown[1]


def test_exit_cause_verdict_follows_both_intervals_it_prints():
    # review: the sentence said "no clear effect" while the subdistribution interval beside it
    # (1.01 to 1.19) excluded 1; each ratio's verdict must follow its own interval
    from cxmodels.churn.exits import ExitCauses

    table = pd.DataFrame({
        "cause": ["cancelled", "non-payment", "other"], "covariate": ["overall_sat"] * 3,
        "hr": [0.85, 1.05, 1.30], "hr_low": [0.81, 0.97, 1.10], "hr_high": [0.90, 1.15, 1.61],
        "hr_p": [0.001, 0.22, 0.003], "shr": [0.85, 1.09, 1.21], "shr_low": [0.80, 1.01, 0.99],
        "shr_high": [0.90, 1.19, 1.46], "shr_p": [0.001, 0.03, 0.06],
    })  # fmt: skip
    res = ExitCauses(table, None, None, "overall_sat", 12.0, 0.05)
    said = res._verdicts()
    assert said[0].startswith("overall satisfaction lowers leaving for cancelled")
    assert "though" not in said[0]  # both intervals below 1: one sentence
    assert said[1].startswith("overall satisfaction has no clear effect on leaving for non-payment")
    assert "The share who end up leaving for non-payment is higher" in said[1]
    assert said[2].startswith("overall satisfaction raises leaving for other")
    assert "share who end up leaving for other is not clear" in said[2]


def test_incidence_legend_covers_only_the_still_customer_share():
    # review (02): the legend sat at the lower left, over the first months' exits
    import matplotlib.pyplot as plt

    st = pd.DataFrame({"duration": np.r_[np.arange(1, 41), np.arange(1, 41)],
                       "event": np.r_[np.ones(40, int), np.full(40, 2)]})  # fmt: skip
    st.loc[::3, "event"] = 0
    res = cumulative_incidence(st)
    ax = res.plot()
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent().transformed(ax.transData.inverted())
    free = res.event_free
    under = free[(free["time"] >= box.x0) & (free["time"] <= box.x1)]
    assert len(under) and (1 - under["event_free"]).max() < box.y0  # exits stay below it
    plt.close("all")


def test_incidence_curves_stop_where_few_customers_are_at_risk():
    # review (02): the stacked curves ran to 47 months, where a handful of customers remained
    import matplotlib.pyplot as plt

    from cxmodels.churn.competing import MIN_AT_RISK, MIN_AT_RISK_SHARE

    t_ = np.arange(1, 401)
    st = pd.DataFrame({"duration": t_, "event": np.where(t_ % 3 == 0, 0, 1 + t_ % 2)})
    res = cumulative_incidence(st)
    at_risk = res.table.loc[res.table["cause"] == res.table["cause"].iloc[0], ["time", "at_risk"]]
    floor = max(MIN_AT_RISK, MIN_AT_RISK_SHARE * at_risk["at_risk"].iloc[0])
    last = at_risk.loc[at_risk["at_risk"] >= floor, "time"].max()
    ax = res.plot()
    assert ax.get_xlim()[1] == last < st["duration"].max()
    assert last == 381  # 20 customers (5% of 400) at risk at t = 381, 19 after
    plt.close("all")
