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


# 40 seeds of 2,000 customers (the issue asks for 100; 100 seeds of 4,000 customers were run
# once for the closing note: see the report of issue 29). Each seed's world is ~0.3 s.
SEEDS = range(40)


def test_weighting_recovers_the_base_nps_where_unweighted_misses():
    cover, miss = 0, 0
    for seed in SEEDS:
        d = cx.generate(n_customers=2000, seed=seed, nonresponse=True)
        truth = d.truth["nonresponse"]["base_nps"]
        w = cx.survey_weights(d, [("segment", "tenure_band")]).weights
        a, u = cx.nps(d.responses["nps"], w), cx.nps(d.responses["nps"])
        cover += a.ci_low <= truth <= a.ci_high
        miss += not (u.ci_low <= truth <= u.ci_high)
    assert cover >= 0.9 * len(SEEDS)
    assert miss >= 0.9 * len(SEEDS)


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
