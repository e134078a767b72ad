"""Multilevel models and the service-profit chain (issue 29): lme4 parity on sleepstudy,
recovery of the synthetic world's employee_sat_effect, tables, findings and errors."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import InputError
from tests.reference import multilevel_r as R

# The (RE)ML deviance is flat to round-off (~1e-11) within ~1e-7 of theta at the optimum:
# R's own optimisers (bobyqa, nloptwrap) differ by 2e-7 relative in the variance components
# there. Fixed effects, standard errors and the log-likelihood agree to 1e-6 absolute.
ABS, VC_REL = 1e-6, 1e-6


@pytest.fixture(scope="module")
def sleepstudy(tmp_path_factory):
    if not shutil.which("Rscript"):
        pytest.skip("R is not installed")
    out = tmp_path_factory.mktemp("lme4") / "sleepstudy.csv"
    code = f"write.csv(lme4::sleepstudy, '{out}', row.names = FALSE)"
    if subprocess.run(["Rscript", "-e", code], capture_output=True).returncode:
        pytest.skip("R lme4 is not installed")
    return pd.read_csv(out)


@pytest.mark.parametrize("model", ["slopes", "intercept"])
@pytest.mark.parametrize("method", ["reml", "ml"])
def test_lme4_parity_on_sleepstudy(sleepstudy, model, method):
    ref = R.LME4[(model, method)]
    slopes = ["Days"] if model == "slopes" else None
    r = cx.fit_multilevel(sleepstudy, "Reaction", ["Days"], group="Subject",
                          random_slopes=slopes, method=method)  # fmt: skip
    np.testing.assert_allclose(r.table["estimate"], ref["fixef"], rtol=0, atol=ABS)
    np.testing.assert_allclose(r.table["se"], ref["se"], rtol=0, atol=ABS)
    assert r.loglik == pytest.approx(ref["loglik"], abs=ABS)
    vint, vslope, cov, resid = ref["vcov"]
    assert r.tau("intercept") == pytest.approx(vint, rel=VC_REL)
    assert r.sigma2 == pytest.approx(resid, rel=VC_REL)
    if model == "slopes":
        assert r.tau("Days") == pytest.approx(vslope, rel=VC_REL)
        v = r.variance
        got_cov = v.loc[v["with"].notna(), "variance"].iloc[0]
        assert got_cov == pytest.approx(cov, abs=VC_REL * vint)
    be = r.branch_effects
    for j, term in enumerate(["intercept", "Days"][: len(ref["ranef"][0])]):
        got = be.loc[be["term"] == term, "effect"].to_numpy()[:3]
        np.testing.assert_allclose(got, [x[j] for x in ref["ranef"]], rtol=0, atol=1e-4)
    sd = be.loc[be["term"] == "intercept", "se"].to_numpy()[:3]
    np.testing.assert_allclose(sd, ref["ranef_sd"], rtol=1e-6)
    # nlme's containment degrees of freedom: 180 rows, 18 subjects, one customer-level term
    assert list(r.table["df"]) == [161, 161]


@pytest.fixture(scope="module")
def world():
    return cx.generate(seed=7)


def test_service_profit_chain_recovers_the_employee_effect(world):
    chain = cx.service_profit_chain(world, predictors=["segment"])
    e = chain.effect
    truth = world.truth["employee_sat_effect"]
    assert e["ci_low"] < truth < e["ci_high"]
    assert e["ci_low"] > 0  # the synthetic chain is clear with 20 branches
    assert chain.full.fixed("employee_sat")["level"] == "branch"
    assert chain.full.fixed("employee_sat")["df"] == 20 - 1 - 1
    assert chain.full.fixed("segment: premium")["level"] == "customer"
    # the branches differ only through staff satisfaction: it explains (nearly) all of it
    assert e["explained"] > 0.5
    assert -1 < e["r_low"] < e["r"] < e["r_high"] < 1
    text = "\n".join(chain.findings())
    assert "Harter" in text and "7,939" in text
    with cx.i18n.language("fa"):
        fa = "\n".join(chain.findings())
    assert "هارتر" in fa and "Harter" not in fa


def test_result_surface_and_caterpillar(world):
    r = cx.fit_multilevel(world, "overall_sat", ["employee_sat"])
    assert {"term", "estimate", "se", "ci_low", "ci_high", "df", "t", "p"} <= set(r.table)
    assert 0 <= r.icc < 1 and r.n_groups == 20
    be = r.branch_effects
    assert len(be) == 20 and set(be.columns) >= {
        "branch_id",
        "effect",
        "ci_low",
        "ci_high",
        "clear",
    }
    assert "Multilevel" in r._repr_html_() and r.to_dict()["findings"]
    ax = r.plot()
    assert len(ax.get_yticks()) == 20
    import matplotlib.pyplot as plt

    plt.close("all")


def test_bad_input_is_refused(world):
    with pytest.raises(InputError, match="no_such"):
        cx.fit_multilevel(world, "overall_sat", ["no_such"])
    with pytest.raises(InputError, match="random slope"):
        cx.fit_multilevel(world, "overall_sat", ["employee_sat"], random_slopes=["segment"])
    with pytest.raises(InputError, match="method"):
        cx.fit_multilevel(world, "overall_sat", [], method="bayes")
    no_branches = cx.CXData(customers=world.customers, responses=world.responses)
    with pytest.raises(InputError, match="employee_sat"):
        cx.service_profit_chain(no_branches)


def test_likelihood_ratio_test_matches_lme4_anova(sleepstudy):
    fits = {m: cx.fit_multilevel(sleepstudy, "Reaction", ["Days"], group="Subject",
                                 random_slopes=s, method="ml")
            for m, s in (("intercept", None), ("slopes", ["Days"]))}  # fmt: skip
    lr = cx.multilevel.lr_test(fits["intercept"], fits["slopes"])
    expected = 2 * (R.LME4[("slopes", "ml")]["loglik"] - R.LME4[("intercept", "ml")]["loglik"])
    assert lr["df"] == 2 and lr["statistic"] == pytest.approx(expected, abs=1e-6)
    assert lr["p"] < 1e-8
    reml = cx.fit_multilevel(sleepstudy, "Reaction", [], group="Subject")
    with pytest.raises(InputError, match="ML"):
        cx.multilevel.lr_test(
            reml, cx.fit_multilevel(sleepstudy, "Reaction", ["Days"], group="Subject")
        )


def test_branch_sentence_follows_the_interval_it_prints(world):
    r = cx.fit_multilevel(world, "overall_sat", level=0.9)
    be = r.branch_effects.set_index("branch_id")
    above = be[be["ci_low"] > 0].index[0]
    below = be[be["ci_high"] < 0].index[0]
    unclear = be[~be["clear"]].index[0]
    assert "clearly above the average" in r.branch_sentence(above)
    assert "clearly below the average" in r.branch_sentence(below)
    text = r.branch_sentence(unclear)
    assert "not clear" in text and "90% interval" in text
    low, high = be.loc[unclear, ["ci_low", "ci_high"]]
    assert f"{low:+.2f} to {high:+.2f}" in text and f"({be.loc[unclear, 'n']:,} answers)" in text
    with cx.i18n.language("fa"):
        fa = r.branch_sentence(unclear)
    assert "روشن نیست" in fa and "not" not in fa
    with pytest.raises(InputError, match="no group"):
        r.branch_sentence("B99")


def test_caterpillar_highlights_one_branch_in_the_reports_language(world):
    import matplotlib.pyplot as plt

    from cxmodels.multilevel.plot import HIGHLIGHT

    r = cx.fit_multilevel(world, "overall_sat")
    with cx.i18n.language("fa"):
        ax = r.plot(highlight="B03")
    ticks = {t.get_text(): t for t in ax.get_yticklabels()}
    assert ticks["B03"].get_color() == HIGHLIGHT and ticks["B04"].get_color() != HIGHLIGHT
    assert ax.get_title() == "اثرهای انقباضی شعبه‌ها" and "۹۵" in ax.get_xlabel()
    assert "B03" in ticks and len(ticks) == 20
    plt.close("all")


@pytest.fixture(scope="module")
def cbpp(tmp_path_factory):
    """lme4's cbpp, one 0/1 row per animal (``sick``), ``late`` for periods 2-4."""
    if not shutil.which("Rscript"):
        pytest.skip("R is not installed")
    out = tmp_path_factory.mktemp("glmer") / "cbpp.csv"
    code = f"write.csv(lme4::cbpp, '{out}', row.names = FALSE)"
    if subprocess.run(["Rscript", "-e", code], capture_output=True).returncode:
        pytest.skip("R lme4 is not installed")
    herds = pd.read_csv(out)
    rows = herds.loc[herds.index.repeat(herds["size"])].copy()
    rank = rows.groupby(level=0).cumcount()
    rows["sick"] = (rank < rows["incidence"]).astype(float)
    rows["late"] = (rows["period"] != 1).astype(float)
    return rows.reset_index(drop=True)


def test_logistic_multilevel_matches_glmer_laplace(cbpp):
    ref = R.GLMER
    r = cx.fit_multilevel(cbpp, "sick", ["late"], group="herd", family="binomial")
    assert r.n == ref["n"] and r.method == "ml"
    # the Laplace deviance is flat near its optimum: estimates agree to ~5e-7, the
    # log-likelihood to 1e-8; lme4's standard errors come from a finite-difference Hessian
    np.testing.assert_allclose(r.table["estimate"], ref["fixef"], rtol=0, atol=2e-6)
    assert r.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    assert r.theta[0] == pytest.approx(ref["theta"], abs=2e-6)
    assert r.tau() == pytest.approx(ref["theta"] ** 2, abs=3e-6)
    np.testing.assert_allclose(r.table["se"], ref["se"], rtol=1e-4)
    be = r.branch_effects
    np.testing.assert_allclose(be["effect"][:3], ref["ranef"], rtol=0, atol=2e-6)
    np.testing.assert_allclose(be["se"][:3], ref["ranef_sd"], rtol=1e-5)
    lr = 2 * (ref["loglik"] - ref["glm_loglik"])
    assert r.lr_test["statistic"] == pytest.approx(lr, abs=1e-5)
    assert list(r.table["df"]) == [np.inf, np.inf]
    assert r.icc == pytest.approx(ref["theta"] ** 2 / (ref["theta"] ** 2 + np.pi**2 / 3), abs=1e-5)
    text = r.fixed_sentence("late")
    assert "odds of sick are multiplied by 0.31" in text and "excludes 1" in text
    assert "log-odds scale" in r.branch_sentence(1)


def test_logistic_multilevel_refuses_what_it_cannot_fit(world):
    with pytest.raises(InputError, match="other than 0 and 1"):
        cx.fit_multilevel(world, "overall_sat", family="binomial")
    with pytest.raises(InputError, match="random intercepts only"):
        cx.fit_multilevel(world, "nps", ["employee_sat"], random_slopes=["employee_sat"],
                          family="binomial")  # fmt: skip
    with pytest.raises(InputError, match="method"):
        cx.fit_multilevel(world, "nps", family="binomial", method="reml")
    with pytest.raises(InputError, match="family"):
        cx.fit_multilevel(world, "nps", family="poisson")


def test_logistic_multilevel_recovers_a_known_world():
    """0/1 answers from a known random-intercept logistic model: every true coefficient and
    the branch variance inside the fit's intervals (a staff effect at the branch level)."""
    rng = np.random.default_rng(3)
    n, G, beta, tau = 6000, 120, np.array([-0.5, 0.4, 0.3]), 0.25
    g, x, staff = rng.integers(0, G, n), rng.normal(size=n), rng.normal(size=G)
    eta = beta[0] + beta[1] * x + beta[2] * staff[g] + rng.normal(0, np.sqrt(tau), G)[g]
    df = pd.DataFrame({"branch_id": g, "x": x, "staff": staff[g],
                       "y": rng.random(n) < 1 / (1 + np.exp(-eta))})  # fmt: skip
    r = cx.fit_multilevel(df, "y", ["x", "staff"], family="binomial")
    assert ((r.table["ci_low"] < beta) & (beta < r.table["ci_high"])).all(), r.table
    assert list(r.table["level"]) == ["customer", "customer", "branch"]
    assert 0.5 * tau < r.tau() < 2 * tau and r.lr_test["p"] < 1e-6


def test_service_profit_chain_of_promoters_is_logistic(world):
    """Promoters (NPS 9-10, derived from nps) by staff satisfaction: a level-7 branch score
    beside the intercept is a narrow valley the engine must still cross (finite intervals)."""
    chain = cx.service_profit_chain(world, "promoter", predictors=["segment"], family="binomial")
    e = chain.effect
    assert chain.full.family == "binomial" and np.isfinite(chain.full.table["se"]).all()
    # the synthetic branches differ through staff satisfaction only: it explains (nearly) all
    assert 0 < e["ci_low"] < e["effect"] < e["ci_high"] and 0.5 < e["explained"] <= 1
    assert chain.null.n == world.responses["nps"].notna().sum() and chain.null.tau() > 0
    assert "the odds of promoters are multiplied by" in "\n".join(chain.findings())


def test_share_explained_by_a_boundary_fit_is_called_an_upper_end(world):
    # review (07): "staff satisfaction accounts for 100% of the variance between branches"
    # beside "the branch variance is estimated at zero (a boundary fit)"
    import dataclasses

    chain = cx.service_profit_chain(world, predictors=["segment"])
    assert not any("boundary" in f for f in chain.findings())
    table = chain.table.assign(explained=1.0)
    full = dataclasses.replace(chain.full, singular=True)
    at_zero = dataclasses.replace(chain, table=table, full=full)
    said = [f for f in at_zero.findings() if "variance between branches" in f]
    assert len(said) == 1 and "upper end" in said[0] and "100%" in said[0]


def test_logistic_table_shows_odds_ratios_and_a_z_statistic(world):
    # review (07): the promoter table showed log-odds headed "t" while the sentence and the
    # method note spoke of odds ratios
    r = cx.fit_multilevel(world, "promoter", ["employee_sat"], family="binomial")
    tab = r.table
    assert "z" in tab and "t" not in tab
    np.testing.assert_allclose(tab["odds_ratio"], np.exp(tab["estimate"]))
    np.testing.assert_allclose(tab["odds_ratio_low"], np.exp(tab["ci_low"]))
    assert list(tab.columns).index("odds_ratio") == list(tab.columns).index("ci_high") + 1
    frame, _ = cx._format.format_frame(tab)
    assert "odds ratio (95% CI)" in frame.columns and "z" in frame.columns
