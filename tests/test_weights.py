"""Survey weights (issue 29): parity with R survey's rake and calibrate on the api data,
the customer-base margins of a data set, and recovery of the base's true NPS under
non-response that depends on segment and tenure."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import InputError
from tests.reference import weights_r as R

TOL = 1e-8


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    if not shutil.which("Rscript"):
        pytest.skip("R is not installed")
    out = tmp_path_factory.mktemp("api")
    code = (
        "suppressPackageStartupMessages(library(survey)); data(api);"
        f"write.csv(apiclus1, '{out}/apiclus1.csv', row.names = FALSE);"
        f"write.csv(apipop, '{out}/apipop.csv', row.names = FALSE)"
    )
    if subprocess.run(["Rscript", "-e", code], capture_output=True).returncode:
        pytest.skip("R survey is not installed")
    return pd.read_csv(out / "apiclus1.csv"), pd.read_csv(out / "apipop.csv")


def _cell_weights(sample, w):
    key = sample["stype"] + " " + sample["sch.wide"]
    by = pd.Series(w.to_numpy(), index=key.to_numpy()).groupby(level=0)
    assert (by.max() - by.min()).max() < 1e-9  # one weight per cell
    return by.first()


@pytest.mark.reference("R survey: rake, calibrate (tests/reference/survey_rake_r.R)")
@pytest.mark.parametrize(
    "method, ref", [("rake", R.RAKE), ("linear", R.LINEAR), ("logit", R.LOGIT)]
)
def test_weights_match_r_survey(api, method, ref):
    sample, pop = api
    kw = {"bounds": (0.5, 2)} if method == "logit" else {}
    r = cx.survey_weights(sample, ["stype", "sch.wide"], method, population=pop,
                          base_weights="pw", **kw)  # fmt: skip
    got = _cell_weights(sample, r.weights)
    for cell, v in ref.items():
        assert got[cell] == pytest.approx(v, rel=TOL, abs=TOL), cell
    assert r.converged and r.weights.sum() == pytest.approx(6194, rel=1e-12)
    if method == "rake":
        assert r.deff == pytest.approx(R.RAKE_KISH_DEFF, rel=TOL)
        mean = np.average(sample["api00"], weights=r.weights)
        assert mean == pytest.approx(R.RAKE_MEAN_API00, rel=TOL)


def test_margins_of_the_customer_base_and_diagnostics():
    data = cx.generate(n_customers=1500, seed=3)
    r = cx.survey_weights(data, ["segment", ("region", "tenure_band")])
    assert r.weights.index.equals(data.responses.index)
    assert r.weights.sum() == pytest.approx(len(data.customers))
    t = r.table
    assert np.allclose(t["weighted"], t["population"], atol=1e-9)
    assert (
        t["unweighted"] - t["population"]
    ).abs().max() > 0.02  # long-tenure customers answer more
    assert r.deff == pytest.approx(r.n * (r.weights**2).sum() / r.weights.sum() ** 2)
    assert r.n_eff == pytest.approx(r.n / r.deff)
    trimmed = cx.survey_weights(data, ["segment", "tenure_band"], trim=1.5)
    assert trimmed.weights.max() <= 1.5 * trimmed.weights.mean() * (1 + 1e-9)
    assert trimmed.deff < r.deff
    assert len(r.findings()) == 2 and "design effect" in r.findings().findings[1]
    with cx.i18n.language("fa"):
        assert "اثر طرح" in str(r.findings())


def test_bad_margins_refused():
    data = cx.generate(n_customers=500, seed=3)
    with pytest.raises(InputError, match="no_such"):
        cx.survey_weights(data, ["no_such"])
    with pytest.raises(InputError, match="bounds"):
        cx.survey_weights(data, ["segment"], "rake", bounds=(0.5, 2))
    pop = data.customers.assign(segment="consumer")
    with pytest.raises(InputError, match="not in the population"):
        cx.survey_weights(data, ["segment"], population=pop)


def test_nonresponse_is_opt_in_and_leaves_the_default_world():
    base = cx.generate(n_customers=800, seed=5)
    opt = cx.generate(n_customers=800, seed=5, nonresponse=True)
    assert "nonresponse" not in base.truth
    kept = opt.truth["nonresponse"]["responses_kept"]
    assert kept < opt.truth["nonresponse"]["responses_before"] == len(base.responses)
    assert len(opt.responses) == kept
    assert set(opt.responses["response_id"]) <= set(base.responses["response_id"])
    pd.testing.assert_frame_equal(opt.customers, base.customers)


# 100 draws of the non-response on one world of 2,000 customers: each seed redraws who answers
# by the generator's own step, so the test pays for the weighting only.
SEEDS = range(100)


def _nonresponse_draws(world):
    """Per seed, the world with the answers kept and the base's true NPS."""
    import dataclasses
    import types

    from cxmodels.data.synth import _step_nonresponse

    for seed in SEEDS:
        w = types.SimpleNamespace(
            nonresponse=True, seed=seed, customers=world.customers, truth={},
            t_end=world.observation_end, responses=world.responses,
        )  # fmt: skip
        _step_nonresponse(w)
        yield dataclasses.replace(world, responses=w.responses), w.truth["nonresponse"]["base_nps"]


def test_weighting_recovers_the_base_nps_where_unweighted_misses():
    cover, miss = 0, 0
    for d, truth in _nonresponse_draws(cx.generate(n_customers=2000, seed=1)):
        w = cx.survey_weights(d, [("segment", "tenure_band")]).weights
        a, u = cx.nps(d.responses["nps"], w), cx.nps(d.responses["nps"])
        cover += a.ci_low <= truth <= a.ci_high
        miss += not (u.ci_low <= truth <= u.ci_high)
    assert cover >= 90, cover
    assert miss >= 90, miss


def test_weighted_metrics_side_by_side_and_result_surface():
    import json

    d = cx.generate(n_customers=1500, seed=11, nonresponse=True)
    sw = cx.survey_weights(d, ["segment", "tenure_band"])
    t = cx.weights.compare_weighted(d, sw)
    assert list(t["metric"].unique()) == ["NPS", "CSAT (top-2-box %)", "CES (mean effort)"]
    nps = t[t["metric"] == "NPS"].set_index("weighting")
    assert nps.loc["weighted", "value"] == pytest.approx(
        cx.nps(d.responses["nps"], sw.weights).value
    )
    assert nps.loc["unweighted", "value"] == pytest.approx(cx.nps(d.responses["nps"]).value)
    assert nps.loc["weighted", "n_eff"] < nps.loc["unweighted", "n_eff"]
    json.dumps(sw.to_dict(), default=str)
    with cx.i18n.language("fa"):
        assert "وزن‌های پیمایش" in sw.summary().as_text()
    other = cx.survey_weights(cx.generate(n_customers=300, seed=1), ["segment"])
    with pytest.raises(InputError, match="one weight per response"):
        cx.weights.compare_weighted(d, other)


@pytest.fixture(scope="module")
def skewed():
    return cx.generate(n_customers=1500, seed=11, nonresponse=True)


def test_weighted_against_unweighted_when_the_answers_differ(skewed):
    import json

    base = cx.weights.weighted_against_unweighted(skewed)
    assert base.differs and list(base.tests["margin"]) == ["segment", "region", "tenure_band"]
    seg = base.tests.set_index("margin").loc["segment"]
    assert seg["p"] < 1e-6 and seg["df"] == 2 and seg["largest_gap"] > 0.05
    same = cx.weights.compare_weighted(skewed, base.weights)
    pd.testing.assert_frame_equal(base.table, same)
    text = "\n".join(base.findings())
    w = cx.nps(skewed.responses["nps"], base.weights.weights)
    assert f"is {w.value:.1f} (95% interval {w.ci_low:.1f} to {w.ci_high:.1f})" in text
    assert f"design effect of {base.weights.deff:.2f}" in text
    with cx.i18n.language("fa"):
        fa = "\n".join(base.findings())
    assert "وزن‌دهی‌شده" in fa and "weighted" not in fa
    assert "Answers and the customer base" in base._repr_html_()
    json.dumps(base.to_dict(), default=str)


def test_answers_that_match_the_base_are_not_weighted(skewed):
    import dataclasses

    once = skewed.responses.drop_duplicates("customer_id")  # one answer from every customer
    matched = dataclasses.replace(
        skewed,
        responses=once,
        customers=skewed.customers[skewed.customers["customer_id"].isin(once["customer_id"])],
    )
    base = cx.weights.weighted_against_unweighted(matched)
    assert not base.differs and np.allclose(base.tests["chi2"], 0)
    assert "so NPS is shown unweighted" in "\n".join(base.findings())


def test_margins_the_data_cannot_support_are_named(skewed):
    import dataclasses

    cust = skewed.customers
    north = cust.loc[cust["region"] == "north", "customer_id"]
    lacking = dataclasses.replace(
        skewed, responses=skewed.responses[~skewed.responses["customer_id"].isin(north)]
    )
    base = cx.weights.weighted_against_unweighted(lacking, ["segment", "region", "channel"])
    assert list(base.tests["margin"]) == ["segment"]
    assert [m for m, *_ in base.left_out] == ["region", "channel"]
    caveats = base.findings().caveats
    assert "region is left out of the weighting: no answer comes from customers in north." in (
        caveats
    )
    one = cx.weights.weighted_against_unweighted(skewed.subset(segment="premium"), ["segment"])
    assert one.weights is None and one.left_out == () and not one.differs
    with pytest.raises(InputError, match="not a data set"):
        cx.weights.weighted_against_unweighted(skewed.responses)


def test_tenure_bands_are_listed_in_their_order():
    # review (07): the margins table listed 1-2y, 2-3y, 3y+ and then <1y
    data = cx.generate(n_customers=800, seed=3)
    r = cx.survey_weights(data, ["tenure_band", ("segment", "tenure_band")])
    tab = r.table
    assert list(tab.loc[tab["margin"] == "tenure_band", "level"]) == list(cx.weights.TENURE_LABELS)
    crossed = list(tab.loc[tab["margin"] == "segment x tenure_band", "level"])
    assert crossed[:4] == [f"consumer / {b}" for b in cx.weights.TENURE_LABELS]
    from cxmodels._format import format_frame

    shown = format_frame(tab)[0]
    assert not shown["margin"].str.contains("_").any() and "tenure band" in set(shown["margin"])


def test_crossed_margins_read_in_persian_with_no_english_left(skewed):
    # review (07, fa): crossed margins showed "segment x tenure band", "consumer / <1y", "rake"
    from cxmodels._format import format_frame
    from tests.test_persian import ACRONYMS, LATIN

    r = cx.survey_weights(skewed, ["tenure_band", "segment x tenure_band", ("region", "segment")],
                          "linear")  # fmt: skip
    assert r.margins == (("tenure_band",), ("segment", "tenure_band"), ("region", "segment"))
    shown = format_frame(r.table)[0]
    assert "segment \u00d7 tenure band" in set(shown["margin"])
    assert "premium / under 1 year" in set(shown["level"])
    with cx.i18n.language("fa"):  # as the report: the metric names are made in its language
        base = cx.weights.weighted_against_unweighted(skewed, ["segment x tenure_band", "region"])
        frames = [format_frame(t)[0] for t in (r.table, base.tests)]
        text = [r.summary().as_text(), base.summary().as_text(), *r.findings(), *base.findings()]
        text += [" ".join(map(str, f.columns)) + " " + f.to_string() for f in frames]
    latin = {w for s in text for w in LATIN.findall(s)} - ACRONYMS
    assert not latin, latin
    assert list(base.tests["margin"]) == ["segment x tenure_band", "region"] and base.differs
    assert "بخش بازار × دستهٔ سابقه" in frames[0].iloc[:, 0].tolist()
