"""Every result class shares one surface: .table, .summary(), _repr_html_, to_dict() (as lifelines'
test_estimation loops over its fitters)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import churn, drivers, effects, kano, metrics


@pytest.fixture(scope="module")
def results(world):
    st = churn.survival_table(world)
    fit = churn.fit_churn(st, ["overall_sat", "loyalty_member", "segment"])
    train, test = churn.split(st, seed=1)
    return {
        "DriversResult": drivers.fit_drivers(
            world, "overall_sat", world.attributes[:4], bootstrap=20, seed=1
        ),
        "PenaltyRewardResult": drivers.penalty_reward(world),
        "SegmentComparison": drivers.compare_segments(
            world, "overall_sat", world.attributes[:3], bootstrap=10
        ),
        "KanoResult": kano.analyze_kano(world.kano_answers, bootstrap=20, seed=1),
        "MetricResult": metrics.nps(world.responses["nps"]),
        "EffectResult": effects.follow_up_effect(world, bootstrap=10),
        "ResponseTimeResult": effects.response_time_effect(world),
        "KMResult": churn.kaplan_meier(st, by="segment"),
        "IncidenceResult": churn.cumulative_incidence(
            st.assign(event=st["event"] * (1 + (st["segment"] == "premium"))), by="loyalty_member"
        ),
        "ExitCauses": churn.exit_causes(
            st.assign(event=st["event"] * (1 + (st["segment"] == "premium"))),
            ["overall_sat", "loyalty_member"],
            cause_col=None,
            causes={1: "cancelled", 2: "non-payment"},
        ),
        "RecurrentResult": churn.fit_recurrent(
            churn.recurrent_table(world, "purchase"), ["overall_sat"], model="pwp_gap"
        ),
        "CoxResult": fit,
        "AFTResult": churn.fit_churn(st, ["overall_sat", "loyalty_member"], model="weibull"),
        "TimeVaryingCoxResult": churn.fit_churn(
            churn.survival_table(world, time_varying=True), ["overall_sat"], time_varying=True
        ),
        "PHTest": fit.ph_test(),
        "Evaluation": churn.evaluate(
            churn.fit_churn(train, ["overall_sat", "loyalty_member"]), test, 12
        ),
        **_structural_results(world),
    }


def _structural_results(world):
    pls = cx.fit_pls(world, world.truth["chain"]["syntax"], bootstrap=20, seed=1)
    return {
        "PLSResult": pls,
        "IndexResult": pls.index("Satisfaction", by="segment"),
        "IPMAResult": pls.ipma("Loyalty"),
        "PredictResult": pls.predict(folds=3),
        "MultigroupResult": cx.compare_pls(
            world,
            "Satisfaction =~ sat_1 + sat_2\nLoyalty =~ loy_1 + loy_2\nLoyalty ~ Satisfaction",
            by="loyalty_member",
            permutations=20,
            seed=1,
        ),
    }


NAMES = [
    "DriversResult",
    "PenaltyRewardResult",
    "SegmentComparison",
    "KanoResult",
    "MetricResult",
    "EffectResult",
    "ResponseTimeResult",
    "KMResult",
    "IncidenceResult",
    "ExitCauses",
    "RecurrentResult",
    "CoxResult",
    "AFTResult",
    "TimeVaryingCoxResult",
    "PHTest",
    "Evaluation",
    "PLSResult",
    "IndexResult",
    "IPMAResult",
    "PredictResult",
    "MultigroupResult",
]


@pytest.mark.parametrize("name", NAMES)
def test_shared_result_surface(results, name):
    r = results[name]
    assert type(r).__name__ == name
    assert isinstance(r.table, pd.DataFrame) and len(r.table) > 0
    # column names work as attributes (pingouin's lesson): no spaces, dashes or dots
    for c in r.table.columns:
        assert str(c).replace("_", "").replace("[", "").replace("]", "").isalnum() or "[" in str(
            c
        ), c
    s = r.summary()
    assert s.as_text() and "<" in s.as_html() and s._repr_html_() == s.as_html()
    assert r._repr_html_() == s.as_html()
    d = r.to_dict()
    json.dumps(d, default=str)
    assert d["title"] == s.title and len(d["table"]) == len(r.table)


def test_top_level_namespace():
    for name in [
        "load",
        "load_sample",
        "fit_drivers",
        "fit_churn",
        "kaplan_meier",
        "survival_table",
        "analyze_kano",
        "classify",
        "nps",
        "csat",
        "ces",
        "follow_up_effect",
        "CXData",
        "InputError",
    ]:
        assert callable(getattr(cx, name)), name
    with pytest.raises(AttributeError):
        cx.no_such_thing  # noqa: B018


PLOTS = [
    ("DriversResult", "plot_importance"),
    ("DriversResult", "plot_quadrants"),
    ("PenaltyRewardResult", "plot"),
    ("KanoResult", "plot_distribution"),
    ("KanoResult", "plot_better_worse"),
    ("KanoResult", "plot_continuous"),
    ("EffectResult", "plot_estimates"),
    ("EffectResult", "plot_overlap"),
    ("EffectResult", "plot_balance"),
    ("ResponseTimeResult", "plot"),
    ("KMResult", "plot"),
    ("IncidenceResult", "plot"),
    ("CoxResult", "plot_forest"),
    ("AFTResult", "plot_forest"),
    ("TimeVaryingCoxResult", "plot_forest"),
    ("Evaluation", "plot_calibration"),
    ("PLSResult", "plot"),
    ("IPMAResult", "plot"),
]


@pytest.mark.parametrize("name,method", PLOTS)
def test_every_plot_draws(results, name, method):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = getattr(results[name], method)()
    assert ax.has_data() or ax.get_title()
    plt.close("all")


def test_profiles_plot(results, world):
    import matplotlib.pyplot as plt

    fit = results["CoxResult"]
    profiles = pd.DataFrame(
        {
            "overall_sat": [3, 9],
            "loyalty_member": [False, True],
            "segment": ["consumer", "premium"],
        },
        index=["unhappy", "happy"],
    )
    S = fit.predict_survival(profiles, [12]).to_numpy()[0]
    assert S[1] > S[0]
    ax = fit.plot_profiles(profiles, horizon=24)
    assert len(ax.lines) == 2
    plt.close("all")


@pytest.mark.parametrize("name", NAMES)
def test_findings_identity_and_short_repr(results, name):
    """findings() returns Findings; == is identity (eq=False); repr is one short line."""
    import copy

    from cxmodels._results import Findings

    r = results[name]
    f = r.findings()
    assert isinstance(f, Findings) and all(isinstance(s, str) and s for s in f.findings)
    assert all(isinstance(s, str) for s in f.caveats)
    twin = copy.copy(r)
    assert r == r and not (r == twin) and r != twin
    assert hash(r) != hash(twin) or r is twin
    text = repr(r)
    assert "\n" not in text and len(text) <= 200 and text.startswith("<"), text


@pytest.fixture(scope="module")
def value_results():
    """The CLV result classes on the published CDNOW summary and Fader & Hardie's sBG counts."""
    from tests.reference import cdnow

    summary = cdnow.summary()
    return {
        "BGNBDResult": cx.fit_bgnbd(summary),
        "GammaGammaResult": cx.fit_gamma_gamma(cdnow.summary_with_value()),
        "SBGResult": cx.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241]),
    }


@pytest.mark.parametrize("name", ["BGNBDResult", "GammaGammaResult", "SBGResult"])
def test_value_results_share_the_surface(value_results, name):
    test_shared_result_surface(value_results, name)
    test_findings_identity_and_short_repr(value_results, name)


def test_a_caveat_two_findings_share_is_said_once():
    # review (07 service-profit chain): "Only 20 branches: ..." twice in the page's findings,
    # once from the chain and once from the promoter model
    from cxmodels._results import Findings

    both = Findings(("a",), ("few branches", "x")) + Findings(("b",), ("few branches", "y"))
    assert both.findings == ("a", "b") and both.caveats == ("few branches", "x", "y")
