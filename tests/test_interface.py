"""Every result class shares one surface: .table, .summary(), _repr_html_, to_dict() (as lifelines'
test_estimation loops over its fitters)."""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import churn, drivers, effects, kano, metrics


def _core(world):
    st = churn.survival_table(world)
    fit = churn.fit_churn(st, ["overall_sat", "loyalty_member", "segment"])
    train, test = churn.split(st, seed=1)
    two = st.assign(event=st["event"] * (1 + (st["segment"] == "premium")))
    return {
        "DriversResult": lambda: drivers.fit_drivers(
            world, "overall_sat", world.attributes[:4], bootstrap=20, seed=1
        ),
        "PenaltyRewardResult": lambda: drivers.penalty_reward(world),
        "SegmentComparison": lambda: drivers.compare_segments(
            world, "overall_sat", world.attributes[:3], bootstrap=10
        ),
        "KanoResult": lambda: kano.analyze_kano(world.kano_answers, bootstrap=20, seed=1),
        "MetricResult": lambda: metrics.nps(world.responses["nps"]),
        "EffectResult": lambda: effects.follow_up_effect(world, bootstrap=10),
        "ResponseTimeResult": lambda: effects.response_time_effect(world),
        "KMResult": lambda: churn.kaplan_meier(st, by="segment"),
        "IncidenceResult": lambda: churn.cumulative_incidence(two, by="loyalty_member"),
        "ExitCauses": lambda: churn.exit_causes(
            two,
            ["overall_sat", "loyalty_member"],
            cause_col=None,
            causes={1: "cancelled", 2: "non-payment"},
        ),
        "FineGrayResult": lambda: churn.fit_fine_gray(
            two, ["overall_sat"], cause=1, causes={1: "cancelled", 2: "non-payment"}
        ),
        "RecurrentResult": lambda: churn.fit_recurrent(
            churn.recurrent_table(world, "purchase"), ["overall_sat"], model="pwp_gap"
        ),
        "CoxResult": lambda: fit,
        "AFTResult": lambda: churn.fit_churn(
            st, ["overall_sat", "loyalty_member"], model="weibull"
        ),
        "TimeVaryingCoxResult": lambda: churn.fit_churn(
            churn.survival_table(world, time_varying=True), ["overall_sat"], time_varying=True
        ),
        "PHTest": lambda: fit.ph_test(),
        "Evaluation": lambda: churn.evaluate(
            churn.fit_churn(train, ["overall_sat", "loyalty_member"]), test, 12
        ),
        "WeightsResult": lambda: cx.survey_weights(world, ["segment"]),
        "BaseComparison": lambda: cx.weights.weighted_against_unweighted(world),
        "ChainResult": lambda: cx.service_profit_chain(world),
        "MultilevelResult": lambda: cx.fit_multilevel(world, "overall_sat", ["employee_sat"]),
        "CommentsResult": lambda: cx.analyze_comments(
            pd.Series(["price too high", "late delivery", "price again", "nice", "delivery ok"]),
            themes={"price": ["price"], "delivery": ["delivery"]},
        ),
    }


def _structural(world):
    @functools.cache
    def pls():
        return cx.fit_pls(world, world.truth["chain"]["syntax"], bootstrap=20, seed=1)

    return {
        "PLSResult": pls,
        "IndexResult": lambda: pls().index("Satisfaction", by="segment"),
        "IPMAResult": lambda: pls().ipma("Loyalty"),
        "PredictResult": lambda: pls().predict(folds=3),
        "MultigroupResult": lambda: cx.compare_pls(
            world,
            "Satisfaction =~ sat_1 + sat_2\nLoyalty =~ loy_1 + loy_2\nLoyalty ~ Satisfaction",
            by="loyalty_member",
            permutations=20,
            seed=1,
        ),
    }


def _value():
    """The CLV classes on the published CDNOW summary, Fader & Hardie's sBG counts and a small
    world with purchases; the uplift classes on a small world with an uplift truth."""
    from tests.reference import cdnow

    @functools.cache
    def shop():
        return cx.validate(cx.generate(1500, seed=5, purchases=True))

    @functools.cache
    def lift():
        return cx.generate(n_customers=1500, seed=2, uplift=True)

    @functools.cache
    def uplift():
        return cx.fit_uplift(lift(), learner="x", folds=3)

    return {
        "BGNBDResult": lambda: cx.fit_bgnbd(cdnow.summary()),
        "ParetoNBDResult": lambda: cx.fit_pareto_nbd(cdnow.summary()),
        "GammaGammaResult": lambda: cx.fit_gamma_gamma(cdnow.summary_with_value()),
        "SBGResult": lambda: cx.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241]),
        "ValueOfChangeResult": lambda: cx.value_of_satisfaction(shop(), bootstrap=10, seed=1),
        "ProgrammeValueResult": lambda: cx.club_value(shop(), bootstrap=10, seed=1),
        "UpliftResult": uplift,
        "QiniResult": lambda: uplift().qini(bootstrap=10),
        "PolicyResult": lambda: uplift().policy(100, value=10.0, bootstrap=10),
        "TimingResult": lambda: cx.follow_up_timing(lift(), folds=3, bootstrap=10),
    }


class _Results(dict):
    """One fitted instance per result class, made on first use by its factory (so ``-k`` runs
    only the fits it needs); a class with no factory fails naming itself."""

    def __init__(self, factories):
        super().__init__()
        self.factories = factories

    def __missing__(self, name):
        if name not in self.factories:
            pytest.fail(f"{name} has no fitted-instance factory in tests/test_interface.py")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self[name] = self.factories[name]()
        return self[name]


@pytest.fixture(scope="module")
def results(world):
    return _Results({**_core(world), **_structural(world), **_value()})


def _result_classes() -> dict[str, type]:
    """Every concrete subclass of :class:`cxmodels._results.Result` in the package.

    Each module of ``cxmodels`` is imported (``pkgutil.walk_packages``); a class that has
    subclasses of its own (``ChurnResult``, ``_HazardModel``, ``PurchaseModel``) is a base, tested
    through them.
    """
    import importlib
    import pkgutil

    from cxmodels._results import Result

    for mod in pkgutil.walk_packages(cx.__path__, "cxmodels."):
        importlib.import_module(mod.name)
    found, todo = {}, [Result]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if not sub.__subclasses__():
                found[sub.__name__] = sub
    return found


CLASSES = _result_classes()
NAMES = sorted(CLASSES)


@pytest.mark.parametrize("name", NAMES)
def test_shared_result_surface(results, name):
    r = results[name]
    assert type(r) is CLASSES[name]
    # column names work as attributes (pingouin's lesson): no spaces, dashes or dots
    for c in r.table.columns:
        assert str(c).replace("_", "").replace("[", "").replace("]", "").isalnum() or "[" in str(
            c
        ), c
    s = r.summary()
    assert s.as_text() and "<" in s.as_html() and s._repr_html_() == s.as_html()
    assert r._repr_html_() == s.as_html()
    d = json.loads(json.dumps(r.to_dict(), default=str))
    assert d["title"] == s.title
    # the exported table holds the table's values, not only its length
    back = pd.DataFrame(d["table"], columns=r.table.columns)
    for c in r.table.columns:
        col = r.table[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            got = pd.to_numeric(back[c]).to_numpy(float)
            np.testing.assert_allclose(got, col.to_numpy(float), rtol=1e-12, err_msg=str(c))
        else:
            assert back[c].astype(str).tolist() == col.astype(str).tolist(), c


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
    assert len({r, twin, r}) == 2  # hashing follows identity too: a set keeps both
    text = repr(r)
    assert "\n" not in text and len(text) <= 200 and text.startswith("<"), text


def test_a_caveat_two_findings_share_is_said_once():
    # review (07 service-profit chain): "Only 20 branches: ..." twice in the page's findings,
    # once from the chain and once from the promoter model
    from cxmodels._results import Findings

    both = Findings(("a",), ("few branches", "x")) + Findings(("b",), ("few branches", "y"))
    assert both.findings == ("a", "b") and both.caveats == ("few branches", "x", "y")
