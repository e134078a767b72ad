"""The bootstrap engine, the rating scales, and the honest edges of the metrics (issues 11, 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cxmodels as cx
from cxmodels import _bootstrap as bs
from cxmodels import metrics
from cxmodels.data import contract, scales


# ------------------------------------------------------------------ bootstrap engine
def test_multinomial_weights_batch_equals_one_at_a_time():
    a = bs.multinomial_weights(7, 5, seed=3)
    rng = np.random.default_rng(3)
    b = np.array([bs.multinomial_weights(7, 1, rng)[0] for _ in range(5)])
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 7) and (a.sum(axis=1) == 7).all()
    np.testing.assert_array_equal(a, bs.multinomial_weights(7, 5, seed=3))


def test_cluster_weights_share_one_count_per_cluster():
    cl = np.array(["c", "a", "c", "b", "a", "c"])
    W = bs.multinomial_weights(6, 50, seed=1, clusters=cl)
    assert (W[:, 0] == W[:, 2]).all() and (W[:, 0] == W[:, 5]).all() and (W[:, 1] == W[:, 4]).all()
    # three clusters drawn three times: the per-cluster counts sum to 3 in every replicate
    per_cluster = W[:, [0, 1, 3]]
    assert (per_cluster.sum(axis=1) == 3).all()
    assert bs.bootstrap_indices(6, 4, seed=1, clusters=cl).shape == (4, 3)


@pytest.mark.reference("R quantile(type = 7): quantile(1:10, c(0.05, 0.95))")
def test_percentile_ci_matches_r_quantile_type_7():
    # R 4.x: quantile(1:10, c(0.05, 0.95)) gives 1.45 and 9.55 (type 7, the default)
    lo, hi = bs.percentile_ci(np.arange(1, 11, dtype=float), 0.90)
    assert lo == pytest.approx(1.45, abs=1e-12) and hi == pytest.approx(9.55, abs=1e-12)
    lo, hi = bs.percentile_ci(np.full((10, 2), np.nan))
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_bootstrap_se_of_a_mean_matches_the_plug_in_formula():
    x = np.random.default_rng(0).normal(size=400)
    W = bs.multinomial_weights(len(x), 4000, seed=2)
    draws = W @ x / len(x)
    plug_in = x.std(ddof=0) / np.sqrt(len(x))  # the bootstrap's own target (Efron 1993, 6.2)
    assert bs.bootstrap_se(draws) == pytest.approx(plug_in, rel=0.05)


def test_bootstrap_p_and_effective_n():
    assert bs.bootstrap_p(np.arange(1.0, 100.0)) == pytest.approx(2 / 100)
    assert bs.bootstrap_p(np.linspace(-1, 1, 101)) == pytest.approx(1.0)
    assert bs.effective_n([1, 1, 2]) == pytest.approx(16 / 6)
    assert bs.poisson_weights(1000, 20, seed=1).mean() == pytest.approx(1, abs=0.02)
    with pytest.raises(cx.InputError, match="bootstrap"):
        bs.multinomial_weights(5, -1)


# ------------------------------------------------------------------ scales
def test_nps_groups_at_the_cut_offs():
    g = scales.nps_group(pd.Series([0, 6, 7, 8, 9, 10, np.nan]))
    assert g.tolist()[:6] == ["detractor"] * 2 + ["passive"] * 2 + ["promoter"] * 2
    assert pd.isna(g.iloc[6])


def test_default_scales_agree_with_the_contract_codebook():
    for col, entry in contract.default_codebook().items():
        sc = scales.scale_for(col)
        assert (sc.low, sc.high) == (entry["min"], entry["max"]), col
    assert scales.scale_for("attr_anything") == scales.Scale(1, 10)
    assert scales.scale_for("nps", {"nps": {"min": 1, "max": 10}}) == scales.Scale(1, 10)


def test_top_box_follows_the_scale():
    assert scales.top_box([5, 4, 3], scales.Scale(1, 5)).tolist() == [1, 1, 0]
    assert scales.top_box([1, 2, 3], scales.DEFAULT_SCALES["ces"]).tolist() == [1, 1, 0]
    assert scales.top_box([10, 9, 8], scales.Scale(1, 10)).tolist() == [1, 1, 0]


# ------------------------------------------------------------------ metrics: scales and inputs
def test_nps_refuses_other_scales(world):
    with pytest.raises(cx.InputError, match=r"csat.*1-5 scale"):
        cx.nps(world.responses["csat"])
    with pytest.raises(cx.InputError, match=r"1-10 scale.*Fix: pass the 0-10 nps column"):
        cx.nps([3, 7, 10, 1], scale=(1, 10))
    with pytest.raises(cx.InputError, match="looks like a 1-5 rating"):
        cx.nps(np.tile([1, 2, 3, 4, 5], 10))
    assert cx.nps(np.tile([1, 2, 3, 4, 5], 10), scale=(0, 10)).value == -100


def test_csat_top_box_from_the_column_scale():
    assert cx.csat([5, 4, 3, 1]).value == pytest.approx(50)
    # overall_sat is 1-10: the top-2-box is 9-10
    assert cx.csat(pd.Series([10, 9, 8, 1], name="overall_sat")).value == pytest.approx(50)
    assert cx.csat([7, 6, 5], scale=(1, 7)).value == pytest.approx(200 / 3)
    with pytest.raises(cx.InputError, match="outside 1-5"):
        cx.csat([5, 7, 1])


def test_wilson_interval_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    x = [5] * 13 + [1] * 27
    r = cx.csat(x)
    # statsmodels 0.14, proportion_confint(13, 40, method="wilson")
    lo, hi = proportion_confint(13, 40, alpha=0.05, method="wilson")
    assert r.ci_low == pytest.approx(100 * lo, rel=1e-9)
    assert r.ci_high == pytest.approx(100 * hi, rel=1e-9)


def test_text_scores_and_bad_weights_refused():
    with pytest.raises(cx.InputError, match="text"):
        cx.nps(pd.Series(["9", "10", "promoter"]))
    with pytest.raises(cx.InputError, match=">= 0"):
        cx.nps([9, 10, 3], weights=[1, -1, 1])
    with pytest.raises(cx.InputError, match="length"):
        cx.nps([9, 10, 3], weights=[1, 1])
    with pytest.raises(cx.InputError, match="did you mean 'bootstrap'"):
        cx.nps([9, 10], method="bootstrp")
    with pytest.raises(cx.InputError, match="level"):
        cx.csat([5, 4], level=1.5)


def test_degenerate_intervals_are_flagged_not_zero_width():
    one = cx.nps([9])
    assert np.isnan(one.ci_low) and bool(one.table["small"][0])
    assert "not available" in one.findings().caveats[0]
    same = cx.nps([10] * 50)
    assert np.isnan(same.ci_low) and same.value == 100
    assert np.isnan(metrics.mean_score([4.0]).ci_low)
    c = cx.csat([5])
    assert c.ci_high - c.ci_low > 50 and bool(c.table["small"][0])
    assert "n/a" not in str(one.findings()) and "nan" not in str(one.findings())


# ------------------------------------------------------------------ change between waves
def _panel(n, overlap, seed=0):
    """Two waves; ``overlap`` of the customers answer both (correlated answers)."""
    rng = np.random.default_rng(seed)
    k = int(n * overlap)
    base = rng.normal(6, 1.5, n)
    a = np.clip(np.round(base + rng.normal(0, 0.7, n)), 1, 10)
    b = np.clip(np.round(base + 0.3 + rng.normal(0, 0.7, n)), 1, 10)
    ids_a = [f"c{i}" for i in range(n)]
    ids_b = ids_a[:k] + [f"d{i}" for i in range(n - k)]
    b[k:] = np.clip(np.round(rng.normal(6.3, 1.5, n - k) + rng.normal(0, 0.7, n - k)), 1, 10)
    return pd.DataFrame(
        {
            "customer_id": ids_a + ids_b,
            "wave": ["2025Q1"] * n + ["2025Q2"] * n,
            "overall_sat": np.concatenate([a, b]),
        }
    )


def test_change_is_the_paired_t_test_when_everyone_answers_both_waves():
    df = _panel(300, 1.0)
    r = metrics.change(df, "overall_sat").iloc[0]
    a = df.loc[df["wave"] == "2025Q1", "overall_sat"].to_numpy()
    b = df.loc[df["wave"] == "2025Q2", "overall_sat"].to_numpy()
    t = stats.ttest_rel(b, a)  # scipy: the paired t statistic
    assert r["diff"] / r["se"] == pytest.approx(t.statistic, rel=1e-9)
    assert r["n_paired"] == 300


def test_change_is_independent_when_no_customer_answers_twice():
    df = _panel(300, 0.0)
    r = metrics.change(df, "overall_sat").iloc[0]
    t = metrics.by(df, "overall_sat", "wave").set_index("wave")["se"]
    assert r["se"] == pytest.approx(np.hypot(t["2025Q1"], t["2025Q2"]), rel=1e-12)
    assert r["n_paired"] == 0


def test_change_with_partial_overlap_lies_between():
    full, half, none = (metrics.change(_panel(400, o), "overall_sat")["se"][0] for o in (1, 0.5, 0))
    assert full < half < none


def test_kpi_findings_and_by_small_cells(world):
    k = metrics.kpis(world)
    seg = metrics.by(world, "nps", "segment", min_n=10_000)
    f = metrics.kpi_findings(k, seg)
    assert len(f.findings) == len(k) and "not interpreted" in f.caveats[0]
    assert "nan" not in str(f)


def test_waves_ordered_by_meaning_not_as_strings():
    """'Q4 2024' comes before 'Q1 2025': change() compares a wave with the one before it."""
    import pandas as pd

    import cxmodels as cx

    df = pd.DataFrame(
        {
            "customer_id": [str(i) for i in range(400)],
            "wave": ["Q4 2024"] * 100 + ["Q1 2025"] * 100 + ["Q3 2025"] * 100 + ["Q4 2025"] * 100,
            "nps": [9] * 100 + [0] * 100 + [9] * 100 + [0] * 100,
        }
    )
    row = cx.metrics.change(df, "nps").iloc[0]
    assert (row["from"], row["to"]) == ("Q3 2025", "Q4 2025")
