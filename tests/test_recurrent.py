"""Repeat events (issue 31): Andersen-Gill and PWP (total and gap time) with robust standard
errors clustered by customer, against R ``coxph(... + cluster(id))`` on survival's ``bladder2``
and ``cgd`` (tests/reference/recurrent_r.R; the values as run are committed beside it, the data
are exported by R at test time), and the episode table built from a world's complaints."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels.churn import fit_recurrent, recurrent_table
from cxmodels.churn.recurrent import score_residuals

REF = Path(__file__).parent / "reference"
needs_r = pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with survival")


@pytest.fixture(scope="module")
def r_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("recurrent_r")
    subprocess.run(
        ["Rscript", str(REF / "recurrent_r.R"), str(out)], check=True, capture_output=True
    )
    return out


def _fits(r_out) -> dict:
    b = pd.read_csv(r_out / "bladder2.csv")
    kw = {"id_col": "id", "number_col": "enum", "max_stratum": 4}
    fits = {
        m: fit_recurrent(b, ["rx", "size", "number"], model=m, **kw)
        for m in ("ag", "pwp_total", "pwp_gap")
    }
    g = pd.read_csv(r_out / "cgd.csv")
    fits["cgd_ag"] = fit_recurrent(
        g,
        ["treat", "sex", "age", "inherit", "steroids"],
        id_col="id",
        start_col="tstart",
        stop_col="tstop",
        event_col="status",
        reference={"sex": "male", "inherit": "X-linked"},
    )
    return fits


@needs_r
def test_andersen_gill_and_pwp_match_r_coxph_with_cluster(r_out):
    ref = pd.read_csv(REF / "recurrent_r.csv", comment="#")
    live = pd.read_csv(r_out / "recurrent.csv")
    np.testing.assert_allclose(live["robust_se"], ref["robust_se"], rtol=1e-9)
    fits = _fits(r_out)
    for name, part in ref.groupby("fit", sort=False):
        tab = fits[name].table
        np.testing.assert_allclose(tab["coef"], part["coef"], atol=1e-6, err_msg=name)
        np.testing.assert_allclose(tab["se"], part["robust_se"], atol=1e-6, err_msg=name)
        np.testing.assert_allclose(tab["se_naive"], part["se"], atol=1e-6, err_msg=name)
        assert fits[name].loglik == pytest.approx(part["loglik"].iloc[0], abs=1e-6)
    assert fits["pwp_total"].strata == 4 and fits["ag"].strata == 1
    assert fits["cgd_ag"].customers == 128 and fits["cgd_ag"].events == 76


def test_score_residuals_sum_to_the_score_and_clustering_widens_the_interval():
    # independent of R: at the estimate the residuals of every row sum to the score, 0; with
    # customers who differ in their own rate (a frailty) the clustered se exceeds the naive one
    rng = np.random.default_rng(5)
    rows = []
    for cid in range(400):
        x = rng.normal()
        frail = rng.gamma(1.0, 1.0)
        t, k = 0.0, 1
        while True:
            gap = rng.exponential(1 / (0.3 * frail * np.exp(0.5 * x)))
            stop = min(round(t + gap, 1), 12.0)
            if stop <= t:
                break
            ev = int(t + gap <= 12.0)
            rows.append((cid, t, stop, ev, k, x))
            if not ev:
                break
            t, k = stop, k + 1
    d = pd.DataFrame(rows, columns=["customer_id", "start", "stop", "event", "event_number", "x"])
    d = d[d["stop"] > d["start"]]
    fit = fit_recurrent(d, ["x"])
    U = score_residuals(
        d["start"].to_numpy(),
        d["stop"].to_numpy(),
        d["event"].to_numpy(),
        d[["x"]].to_numpy(),
        fit.table["coef"].to_numpy(),
    )
    assert abs(U.sum()) < 1e-6
    row = fit.table.iloc[0]
    assert row["se"] > 1.2 * row["se_naive"]


@pytest.fixture(scope="module")
def world():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.generate(1500, seed=3)


def test_recurrent_table_counts_each_customers_complaints_in_follow_up(world):
    rt = recurrent_table(world, "complaint")
    st = cx.survival_table(world)
    inter = world.interactions
    comp = inter[inter["kind"] == "complaint"].merge(st[["customer_id", "origin_date", "duration"]])
    t = (comp["timestamp"] - comp["origin_date"]).dt.total_seconds() / 86400 / 30.4375
    inside = comp[(t > 0) & (t <= comp["duration"])]
    expected = inside.groupby("customer_id")["timestamp"].nunique()
    got = rt.groupby("customer_id")["event"].sum()
    pd.testing.assert_series_equal(
        got[got > 0].sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )
    # contiguous episodes from 0 to the end of follow-up, numbered 1, 2, ...
    g = rt.groupby("customer_id")
    assert (g["start"].min() == 0).all()
    assert (rt["stop"] > rt["start"]).all()
    assert (g["event_number"].max() == g.size()).all()
    ends = g["stop"].max()
    np.testing.assert_allclose(ends, st.set_index("customer_id").loc[ends.index, "duration"])
    fit = fit_recurrent(
        rt, ["overall_sat", "segment"], model="pwp_gap", max_stratum=3, event_word="complaint"
    )
    assert fit.strata == 3 and fit.events == int(rt["event"].sum())
    assert "complaint" in " ".join(fit.findings())


def test_bad_options_are_refused(world):
    d = pd.DataFrame(
        {"customer_id": [1, 1], "start": [0, 2], "stop": [2, 5], "event": [1, 0], "x": [0.1, 0.1]}
    )
    with pytest.raises(cx.InputError, match="model"):
        fit_recurrent(d, ["x"], model="frailty")
    with pytest.raises(cx.InputError, match="event_number"):
        fit_recurrent(d, ["x"], model="pwp_total")
    with pytest.raises(cx.InputError, match="kind"):
        recurrent_table(world, "complaints")
