"""Every table of tests/test_kme_pinned.py against a source that is not cxmodels (issue 27).

test_kme_pinned.py compares Kano, metrics and effects outputs on the small synthetic world
(``cx.generate(3000, seed=3)``, built by ``outputs`` of tests/reference/make_kme_pinned.py) with
their earlier values. Here each table's numbers are recomputed from the raw answers:

* Kano: the answer pairs classified with Berger et al.'s (1993) evaluation table (and
  Pouliot's) written out below; counts, shares, Better / Worse (Berger et al. 1993), the mode,
  M > O > A > I (Lee & Huang 2009) and A/O/M rules, category strength, Fong's (1996) test,
  scipy's exact binomial test, DuMouchel's scores (Berger et al. 1993), scipy's chi-square test
  across segments; the bootstrap columns from the documented draw (respondents resampled within
  each segment, ``Generator.multinomial(n, [1/n]*n, size=B)`` from ``default_rng(seed)``,
  segments in sorted order on one stream, respondents in order of first appearance) and numpy's
  type-7 percentiles;
* metrics: NPS (% promoters 9-10 minus % detractors 0-6) with the multinomial variance (Rocks
  2016), its percentile bootstrap from the documented draw, statsmodels' weighted moments
  (``DescrStatsW``) and Wilson interval (``proportion_confint``), t intervals; the change columns
  that issue 13 changed are checked in test_kme_pinned.py (``test_changed_change_columns_...``)
  and not again here;
* effects: the analysis units rebuilt from the raw interactions, responses and customers;
  regression adjustment, IPW and AIPW from statsmodels' ``TreatmentEffect`` (``Logit``
  propensity, ``OLS`` or ``Logit`` outcome models); the customer-cluster bootstrap from the
  documented draw with statsmodels' weighted fits (``GLM`` binomial with ``freq_weights``,
  ``WLS``); response-time bands with statsmodels' ``OLS`` (HC3); counts by pandas. The
  weighted SMDs of the balance tables are checked in test_kme_pinned.py, not again here.

Effects are compared with the unpenalised maximum-likelihood fits of statsmodels at rtol 1e-6
and atol 1e-8 (see ``FIT``; the ridge-free maximum-likelihood fit agrees to 1e-12).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW
from statsmodels.treatment.treatment_effects import TreatmentEffect
from threadpoolctl import threadpool_limits

from cxmodels import effects
from tests.reference.make_kme_pinned import outputs
from tests.test_kme_pinned import PINNED, _design_by_hand

RTOL = 1e-9  # arithmetic on the same numbers in another order
#: iterative fits, statsmodels' unpenalised MLE against ours (plain maximum likelihood since the
#: logistic ridge applies only when a fit fails): they meet 1e-12.
FIT = {"rtol": 1e-10, "atol": 1e-12}
Z = stats.norm.ppf(0.975)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """statsmodels' fits on thin matrices are ten times slower with BLAS threads on busy cores."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def current(world):
    return outputs(world)


def _close(got, want, rtol=RTOL, atol=1e-12, what=""):
    np.testing.assert_allclose(
        np.asarray(got, float), np.asarray(want, float), rtol=rtol, atol=atol, err_msg=what
    )


def _percentiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5% and 97.5% quantiles of draws over replicates (numpy's default, R's type 7)."""
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return low, high


# ================================================================================ Kano
CATS = list("AOMIRQ")
#: Berger et al. (1993), Kano evaluation table: rows the functional answer, columns the
#: dysfunctional one, both in the order like, must-be, neutral, live-with, dislike
BERGER = {1: "QAAAO", 2: "RIIIM", 3: "RIIIM", 4: "RIIIM", 5: "RRRRQ"}
#: Pouliot's table: contradictory must-be/must-be and live-with/live-with pairs are Q too
POULIOT = {1: "QAAAO", 2: "RQIIM", 3: "RIIIM", 4: "RIIQM", 5: "RRRRQ"}
#: ties between counts go to the first in M > O > A > I (> R > Q) (Lee & Huang 2009)
PRIORITY = "MOAIRQ"
#: DuMouchel's scores of the answers like, must-be, neutral, live-with, dislike
FUN_POINTS = {1: 4, 2: 2, 3: 0, 4: -1, 5: -2}
DYS_POINTS = {1: -2, 2: -1, 3: 0, 4: 2, 5: 4}


def _category(ka: pd.DataFrame, table: dict) -> pd.Series:
    return pd.Series(
        [table[f][d - 1] for f, d in zip(ka["functional"], ka["dysfunctional"], strict=True)],
        index=ka.index,
    )


def _ranked(counts: dict, among: str = PRIORITY) -> list[str]:
    """Categories by count, ties in the M > O > A > I > R > Q order."""
    return sorted(among, key=lambda c: (-counts[c], PRIORITY.index(c)))


def _rules(c: dict, threshold: float = 6.0) -> dict:
    """Category by the mode, M > O > A > I and A/O/M rules, the strength and Fong's test."""
    n = sum(c.values())
    top, second = _ranked(c)[:2]
    a, b = c[top], c[second]
    strength = 100 * (a - b) / n
    moai = second if strength < threshold and PRIORITY.index(second) < PRIORITY.index(top) else top
    aom = _ranked(c, "MOA")[0] if c["A"] + c["O"] + c["M"] > c["I"] + c["R"] + c["Q"] else None
    return {
        "category_mode": top,
        "category_moai": moai,
        "category_aom": aom or _ranked(c, "IRQ")[0],
        "strength": strength,
        "fong_significant": abs(a - b) >= 1.65 * np.sqrt((a + b) * (2 * n - a - b) / (2 * n)),
        "binom_p": stats.binomtest(int(a), int(a + b), 0.5).pvalue,
    }


def _kano_by_hand(ka: pd.DataFrame, table: dict, keys: list[str], rule: str) -> pd.DataFrame:
    """One row per cell of ``keys``: every numeric column of ``analyze_kano``'s table."""
    cat = _category(ka, table)
    counts = pd.crosstab([ka[k] for k in keys], cat).reindex(columns=CATS, fill_value=0)
    out = pd.DataFrame(index=counts.index)
    out["n"] = n = counts.sum(axis=1)
    for c in CATS:
        out[c] = counts[c]
        out[f"share_{c}"] = counts[c] / n
    aomi = counts[["A", "O", "M", "I"]].sum(axis=1)
    out["better"] = (counts["A"] + counts["O"]) / aomi
    out["worse"] = -(counts["O"] + counts["M"]) / aomi
    rules = pd.DataFrame([_rules(dict(r)) for _, r in counts.iterrows()], index=counts.index)
    out = out.join(rules)
    out["category"] = out[f"category_{rule}"]
    out["total_strength"] = 100 * (counts["A"] + counts["O"] + counts["M"]) / n
    g = ka.assign(fun=ka["functional"].map(FUN_POINTS), dys=ka["dysfunctional"].map(DYS_POINTS))
    g = g.groupby(keys)
    for name in ("fun", "dys"):
        out[f"{name}_mean"] = g[name].mean()
        out[f"{name}_sd"] = g[name].std(ddof=1)
        out[f"{name}_se"] = g[name].std(ddof=1) / np.sqrt(g[name].count())
    out["importance"] = g["importance"].mean()
    out["q_rate"], out["r_rate"] = out["share_Q"], out["share_R"]
    out["low_n"] = False  # min_n=0
    return out.reset_index()


def _kano_draws(ka: pd.DataFrame, seed: int, B: int, segment: str | None) -> dict:
    """Category counts ``(B, features, 6)`` of each segment's bootstrap replicates.

    Respondents are resampled within each segment (sorted, one stream), in order of first
    appearance: ``default_rng(seed).multinomial(n, [1/n]*n, size=B)``.
    """
    rng = np.random.default_rng(seed)
    cat = _category(ka, BERGER)
    feats = sorted(ka["feature"].unique())
    cols = pd.MultiIndex.from_product([feats, CATS])
    draws = {}
    for s in sorted(ka[segment].unique()) if segment else [None]:
        d = ka if s is None else ka[ka[segment] == s]
        resp, _ = pd.factorize(d["respondent_id"])
        per = pd.crosstab(resp, [d["feature"], cat[d.index]]).reindex(columns=cols, fill_value=0)
        k = rng.multinomial(len(per), np.full(len(per), 1 / len(per)), size=B)
        draws[s] = (k @ per.to_numpy()).reshape(B, len(feats), 6).astype(float)
    return draws


def _draw_summaries(c: np.ndarray) -> dict:
    """Better, Worse, shares and the winning category (mode) of every replicate."""
    aomi = c[..., :4].sum(-1)
    tie = np.array([(6 - PRIORITY.index(k)) / 10 for k in CATS])  # below one answer
    return {
        "better": (c[..., 0] + c[..., 1]) / aomi,
        "worse": -(c[..., 1] + c[..., 2]) / aomi,
        "shares": c / c.sum(-1, keepdims=True),
        "winner": np.argmax(c + tie, axis=-1),
    }


def _bootstrap_columns(draws: dict, chosen: pd.DataFrame, segment: str | None) -> pd.DataFrame:
    """Interval and stability columns per (segment,) feature from the replicate counts."""
    feats = sorted(chosen["feature"].unique())
    rows = []
    for s, c in draws.items():
        sm_ = _draw_summaries(c)
        for j, f in enumerate(feats):
            row = {"feature": f} | ({segment: s} if segment else {})
            for name in ("better", "worse"):
                row[f"{name}_low"], row[f"{name}_high"] = _percentiles(sm_[name][:, j])
            for k, cat in enumerate(CATS):
                lo, hi = _percentiles(sm_["shares"][:, j, k])
                row[f"share_{cat}_low"], row[f"share_{cat}_high"] = lo, hi
                row[f"stability_{cat}"] = (sm_["winner"][:, j] == k).mean()
            rows.append(row)
    keys = ["feature"] + ([segment] if segment else [])
    out = pd.DataFrame(rows).merge(chosen[[*keys, "category"]], on=keys)
    out["stability"] = [r[f"stability_{r['category']}"] for _, r in out.iterrows()]
    return out


def _compare(got: pd.DataFrame, want: pd.DataFrame, keys: list[str], name: str) -> None:
    """Every column of ``want`` against the same column of ``got``, rows matched on ``keys``."""
    m = got.merge(want, on=keys, suffixes=("", "_ref"), validate="1:1")
    assert len(m) == len(got) == len(want), f"{name}: rows differ"
    for c in want.columns.drop(keys):
        if want[c].dtype == object or want[c].dtype == bool:
            assert (m[c] == m[f"{c}_ref"]).all(), f"{name}.{c}"
        else:
            _close(m[c], m[f"{c}_ref"], what=f"{name}.{c}")


@pytest.mark.reference("Berger et al. (1993) table, Better/Worse, DuMouchel; Fong (1996); scipy")
@pytest.mark.parametrize(
    ("name", "table", "rule"),
    [("kano", BERGER, "mode"), ("kano_moai_pouliot", POULIOT, "moai")],
)
def test_kano_table_from_the_evaluation_table(world, current, name, table, rule):
    want = _kano_by_hand(world.kano_answers, table, ["feature"], rule)
    _compare(current[name], want, ["feature"], name)
    if "stability_A" not in current[name]:  # no bootstrap: stability not estimated
        assert current[name]["stability"].isna().all()


@pytest.mark.reference("Berger et al. (1993) table, Better/Worse, DuMouchel; Fong (1996); scipy")
def test_kano_segment_table_from_the_evaluation_table(world, current):
    want = _kano_by_hand(world.kano_answers, BERGER, ["feature", "segment"], "mode")
    _compare(current["kano_segment"], want, ["feature", "segment"], "kano_segment")


@pytest.mark.reference("independent respondent bootstrap in numpy: multinomial counts, type-7")
@pytest.mark.parametrize(
    ("name", "seed", "B", "segment"), [("kano", 1, 40, None), ("kano_segment", 2, 30, "segment")]
)
def test_kano_bootstrap_columns_from_the_documented_draw(world, current, name, seed, B, segment):
    got = current[name]
    draws = _kano_draws(world.kano_answers, seed, B, segment)
    want = _bootstrap_columns(draws, got, segment).drop(columns="category")
    _compare(got, want, ["feature"] + ([segment] if segment else []), name)


@pytest.mark.reference("scipy chi2_contingency; Better/Worse differences, bootstrap in numpy")
def test_kano_segment_tests(world, current):
    got = current["kano_segment_tests"].set_index("feature")
    ka = world.kano_answers
    by_hand = _kano_by_hand(ka, BERGER, ["feature", "segment"], "mode")
    draws = _kano_draws(ka, 2, 30, "segment")
    segs = sorted(draws)
    feats = sorted(ka["feature"].unique())
    for j, f in enumerate(feats):
        t = by_hand[by_hand["feature"] == f].set_index("segment").loc[segs]
        ct = t[["A", "O", "M", "I"]].to_numpy()
        chi2, p, dof, _ = stats.chi2_contingency(ct[:, ct.sum(axis=0) > 0])
        _close(got.loc[f, ["chi2", "p_value", "dof"]], [chi2, p, dof], what=f"chi2 {f}")
        assert got.loc[f, "categories"] == ", ".join(f"{s}:{t.loc[s, 'category']}" for s in segs)
        ref = _draw_summaries(draws[segs[0]])
        for s in segs[1:]:
            d = _draw_summaries(draws[s])
            for name in ("better", "worse"):
                diff = t.loc[s, name] - t.loc[segs[0], name]
                low, high = _percentiles(d[name][:, j] - ref[name][:, j])
                _close(
                    got.loc[
                        f, [f"{name}_diff[{s}]", f"{name}_diff_low[{s}]", f"{name}_diff_high[{s}]"]
                    ],
                    [diff, low, high],
                    what=f"{name} diff {f} {s}",
                )


@pytest.mark.reference("Q and R answers per respondent by Berger et al.'s (1993) table")
def test_kano_respondent_quality(world, current):
    ka = world.kano_answers
    cat = _category(ka, BERGER)
    g = pd.DataFrame({"respondent_id": ka["respondent_id"], "Q": cat == "Q", "R": cat == "R"})
    g = g.groupby("respondent_id").agg(n_answers=("Q", "size"), n_Q=("Q", "sum"), n_R=("R", "sum"))
    g["q_rate"], g["r_rate"] = g["n_Q"] / g["n_answers"], g["n_R"] / g["n_answers"]
    _compare(current["kano_quality"], g.reset_index(), ["respondent_id"], "kano_quality")


@pytest.mark.reference("Berger et al. (1993) evaluation table")
def test_classify_by_the_evaluation_table(world, current):
    a = world.kano_answers.head(50)
    assert list(current["classify"]["category"]) == list(_category(a, BERGER))


# ================================================================================ metrics
def _nps_by_hand(x: pd.Series, w=None) -> dict:
    """NPS and its multinomial SE (Rocks 2016): the per-answer score 100(P - D), its weighted
    variance (ddof 0, statsmodels' DescrStatsW) over Kish's effective n."""
    x = x.astype(float)
    w = np.ones(len(x)) if w is None else np.asarray(w, float)
    u = 100.0 * ((x >= 9).astype(float) - (x <= 6))
    d = DescrStatsW(u.to_numpy(), weights=w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    se = np.sqrt(d.var / n_eff)
    share = {
        k: np.average(m, weights=w)
        for k, m in (
            ("promoters", x >= 9),
            ("passives", (x >= 7) & (x <= 8)),
            ("detractors", x <= 6),
        )
    }
    lo, hi = max(d.mean - Z * se, -100), min(d.mean + Z * se, 100)
    return {
        "value": d.mean,
        "ci_low": lo,
        "ci_high": hi,
        "se": se,
        "n": len(x),
        **share,
        "n_eff": n_eff,
        "small": len(x) < 30,
    }


def _csat_by_hand(x: pd.Series) -> dict:
    """Top-2-box share of the 1-5 scale (4 and 5) with statsmodels' Wilson interval."""
    hit, n = int((x >= 4).sum()), len(x)
    lo, hi = proportion_confint(hit, n, alpha=0.05, method="wilson")
    p = hit / n
    return {
        "value": 100 * p,
        "ci_low": 100 * lo,
        "ci_high": 100 * hi,
        "se": 100 * np.sqrt(p * (1 - p) / n),
        "n": n,
        "n_eff": n,
        "small": n < 30,
    }


def _mean_by_hand(x: pd.Series) -> dict:
    """Mean with statsmodels' t interval (ddof 1)."""
    d = DescrStatsW(x.to_numpy(float))
    lo, hi = d.tconfint_mean(0.05)
    return {
        "value": d.mean,
        "ci_low": lo,
        "ci_high": hi,
        "se": d.std_mean,
        "n": len(x),
        "n_eff": len(x),
        "small": len(x) < 30,
    }


BY_HAND = {
    "nps": _nps_by_hand,
    "csat": _csat_by_hand,
    "ces": _mean_by_hand,
    "overall_sat": _mean_by_hand,
}


def _row_close(got: pd.Series, want: dict, what: str) -> None:
    """The entries of ``want`` that ``got`` has (``by`` has no promoter shares)."""
    cols = [c for c in want if c in got.index]
    _close(got[cols].to_numpy(float), [want[c] for c in cols], what=f"{what} {cols}")


@pytest.mark.reference("NPS multinomial SE (Rocks 2016); statsmodels Wilson and t intervals")
@pytest.mark.parametrize("name", ["nps", "csat", "ces"])
def test_metric_from_the_raw_answers(world, current, name):
    r = world.responses[name].dropna()
    _row_close(current[name].iloc[0], BY_HAND[name](r), name)


@pytest.mark.reference("weighted NPS: statsmodels DescrStatsW, Kish effective n")
def test_weighted_nps(world, current):
    r = world.responses.dropna(subset=["nps"])
    _row_close(current["nps_weighted"].iloc[0], _nps_by_hand(r["nps"], r["overall_sat"]), "nps")


@pytest.mark.reference("independent NPS bootstrap in numpy: multinomial counts, type-7")
def test_nps_bootstrap_from_the_documented_draw(world, current):
    x = world.responses["nps"].dropna().astype(float).to_numpy()
    u = 100.0 * ((x >= 9).astype(float) - (x <= 6))
    n = len(u)
    k = np.random.default_rng(1).multinomial(n, np.full(n, 1 / n), size=300)
    boot = k @ u / n
    low, high = _percentiles(boot)
    want = _nps_by_hand(pd.Series(x)) | {"ci_low": low, "ci_high": high, "se": boot.std(ddof=1)}
    _row_close(current["nps_boot"].iloc[0], want, "nps_boot")


def _answers(world) -> pd.DataFrame:
    return world.responses.merge(world.customers[["customer_id", "segment"]], on="customer_id")


@pytest.mark.reference("NPS (Rocks 2016) and CSAT (statsmodels Wilson) per cell")
@pytest.mark.parametrize(
    ("name", "metric", "keys"), [("by", "nps", ["segment", "wave"]), ("by_csat", "csat", ["wave"])]
)
def test_metric_by_cell(world, current, name, metric, keys):
    got = current[name].set_index(keys)
    cells = _answers(world).dropna(subset=[metric]).groupby(keys)[metric]
    assert list(got.index) == list(cells.groups)
    for key, x in cells:
        want = BY_HAND[metric](x)
        _row_close(got.loc[key], want, f"{name} {key}")


def _wave_values(world, metric, waves, segment=None) -> list[dict]:
    a = _answers(world)
    a = a if segment is None else a[a["segment"] == segment]
    return [BY_HAND[metric](a.loc[a["wave"] == wv, metric].dropna()) for wv in waves]


def _n_paired(world, metric, waves, segment=None) -> int:
    a = _answers(world).dropna(subset=[metric])
    a = a if segment is None else a[a["segment"] == segment]
    per = a[a["wave"].isin(waves)].groupby("customer_id")["wave"].nunique()
    return int((per == 2).sum())


@pytest.mark.reference("the waves' metrics from the raw answers (NPS Rocks 2016, t means)")
@pytest.mark.parametrize(("name", "metric"), [("change", "overall_sat"), ("change_by", "nps")])
def test_change_levels(world, current, name, metric):
    """The values, counts and pairs of each wave; the change's interval and p-value are
    checked against the paired SE in test_kme_pinned.py."""
    got = current[name]
    for _, r in got.iterrows():
        seg = r.get("segment")
        a, b = _wave_values(world, metric, [r["from"], r["to"]], seg)
        want = {
            "value_from": a["value"],
            "value_to": b["value"],
            "diff": b["value"] - a["value"],
            "n_from": a["n"],
            "n_to": b["n"],
            "n_paired": _n_paired(world, metric, [r["from"], r["to"]], seg),
        }
        _row_close(r, want, f"{name} {seg}")
        # the SE the interval is built from
        _close(r["ci_high"] - r["ci_low"], 2 * Z * r["se"], what=f"{name} se")
        assert r["small"] == (min(a["n"], b["n"]) < 30)
    assert got["from"].iloc[0] == "2025Q3" and got["to"].iloc[0] == "2025Q4"


@pytest.mark.reference("NPS (Rocks 2016), CSAT (statsmodels Wilson), t means of the last wave")
def test_kpis_levels(world, current):
    """Each KPI of the last wave; its change against the previous one is checked against the
    paired SE in test_kme_pinned.py."""
    got = current["kpis"].set_index("metric")
    r = world.responses
    last = sorted(r["wave"].unique())[-1]
    assert (got["wave"] == last).all() and list(got.index) == list(BY_HAND)
    for m, fn in BY_HAND.items():
        want = fn(r.loc[r["wave"] == last, m].dropna())
        _row_close(got.loc[m], {k: want[k] for k in ("value", "ci_low", "ci_high", "n")}, m)
    assert (
        got["label"]
        == ["NPS", "CSAT (top-2-box %)", "CES (mean effort)", "overall satisfaction (mean)"]
    ).all() and (got["level"] == 0.95).all()


@pytest.mark.reference("interactions counted per quarter, channel and kind (pandas crosstab)")
def test_channel_mix(world, current):
    i = world.interactions
    q = i["timestamp"].dt.to_period("Q").astype(str)
    n = pd.crosstab([q, i["channel"].astype(str)], i["kind"].astype(str)).stack()
    n = n[n > 0].rename("n").reset_index()
    n.columns = ["period", "channel", "kind", "n"]
    n["share"] = n["n"] / n.groupby("period")["n"].transform("sum")
    got = current["channel_mix"].astype({"channel": str, "kind": str})
    _compare(got, n, ["period", "channel", "kind"], "channel_mix")


# ================================================================================ effects
EVENTS = ("purchase", "complaint")
COVARIATES = [
    "segment",
    "loyalty_member",
    "region",
    "age_band",
    "income_band",
    "acquisition_channel",
    "kind",
    "tenure_days_at_event",
]
CUSTOMER = [
    "segment",
    "loyalty_member",
    "region",
    "age_band",
    "income_band",
    "acquisition_channel",
    "signup_date",
    "churn_date",
]
DAY = pd.Timedelta(days=1)


def _events(world, kinds) -> pd.DataFrame:
    """Eligible events of each customer in time order, with the time of the next one."""
    i = world.interactions
    ev = i.loc[i["kind"].isin(kinds), ["customer_id", "timestamp", "kind", "response_minutes"]]
    ev = ev.rename(columns={"timestamp": "event_time"}).astype({"kind": str})
    ev = ev.sort_values(["customer_id", "event_time"]).reset_index(drop=True)
    ev["next_event_time"] = ev.groupby("customer_id")["event_time"].shift(-1)
    return ev


def _first_after(ev, other, time_col, start, low, high, inclusive_low) -> pd.DataFrame:
    """Per event (index), the first row of ``other`` of its customer with ``time_col`` in
    ``start + [low, high]`` (``(low, high]`` when not ``inclusive_low``)."""
    p = ev[["customer_id", start]].reset_index().merge(other, on="customer_id")
    gap = p[time_col] - p[start]
    keep = ((gap >= low) if inclusive_low else (gap > low)) & (gap <= high)
    return p[keep].sort_values(time_col).groupby("index").first()


def _units_by_hand(world, outcome: str, window=14, horizon=180, kinds=EVENTS) -> pd.DataFrame:
    """The analysis units of ``follow_up_effect`` from the raw tables (module docstring of
    cxmodels.effects): treated when a follow-up comes within ``(event, event + window]``;
    the first answer in ``[window end, window end + horizon]`` unless it comes at or after the
    customer's next event; or churn within the horizon of each customer's first event."""
    ev = _events(world, kinds)
    i = world.interactions
    fu = i.loc[i["kind"] == "follow_up", ["customer_id", "timestamp", "channel"]]
    fu = _first_after(ev, fu, "timestamp", "event_time", 0 * DAY, window * DAY, False)
    ev["treated"] = ev.index.isin(fu.index).astype(int)
    ev["fu_channel"] = fu["channel"].astype(str).reindex(ev.index)
    ev = ev.merge(world.customers[["customer_id", *CUSTOMER]], on="customer_id", how="left")
    if outcome == "churn_within":
        ev = ev.drop_duplicates("customer_id", keep="first")
        days = (ev["churn_date"] - ev["event_time"].dt.normalize()).dt.days
        seen = ev["event_time"] + horizon * DAY <= world.observation_end
        ev = ev.assign(outcome=(days <= horizon).astype(float))[seen & ~(days <= window)]
    else:
        ev["window_end"] = ev["event_time"] + window * DAY
        r = world.responses[["customer_id", "survey_date", outcome]].dropna()
        ans = _first_after(ev, r, "survey_date", "window_end", 0 * DAY, horizon * DAY, True)
        ev = ev.join(ans[["survey_date", outcome]].rename(columns={outcome: "outcome"}))
        ev = ev[ev["outcome"].notna() & ~(ev["survey_date"] >= ev["next_event_time"])]
    return ev.assign(tenure_days_at_event=(ev["event_time"] - ev["signup_date"]).dt.days * 1.0)


@pytest.fixture(scope="module")
def units(world):
    """Units by hand per outcome, in the row order of ``follow_up_units`` (the order in which
    the bootstrap numbers the customers); the two agree row for row."""
    out = {}
    for o in ("overall_sat", "churn_within"):
        mine = _units_by_hand(world, o)
        order = effects.follow_up_units(world, outcome=o)
        keys = ["customer_id", "event_time"]
        m = order[keys + ["treated", "outcome"]].merge(mine, on=keys, how="left", indicator=True)
        assert (m["_merge"] == "both").all() and len(m) == len(mine), f"{o}: the units differ"
        assert (m["treated_x"] == m["treated_y"]).all() and (m["outcome_x"] == m["outcome_y"]).all()
        out[o] = m.drop(columns=["treated_x", "outcome_x", "_merge"]).rename(
            columns={"treated_y": "treated", "outcome_y": "outcome"}
        )
    return out


def _covariates(outcome: str) -> list[str]:
    return [c for c in COVARIATES if not (outcome == "churn_within" and c == "kind")]


def _arrays(u: pd.DataFrame, outcome: str):
    X = sm.add_constant(_design_by_hand(u, _covariates(outcome)).to_numpy(float))
    return X, u["treated"].to_numpy(float), u["outcome"].to_numpy(float)


def _ate_statsmodels(X, T, Y, binary: bool) -> list[float]:
    """Naive, RA, IPW, AIPW: statsmodels' TreatmentEffect on a Logit propensity (AIPW of a
    binary outcome by its formula on statsmodels' Logit fits, as TreatmentEffect's needs OLS)."""
    ps = sm.Logit(T, X).fit(disp=0, tol=1e-12)
    assert ((ps.predict() > 0.01) & (ps.predict() < 0.99)).all()  # none clipped
    te = TreatmentEffect((sm.Logit if binary else sm.OLS)(Y, X), T.astype(int), results_select=ps)
    ra, ipw = te.ra(return_results=False)[0], te.ipw(return_results=False)[0]
    if binary:
        e = ps.predict()
        mu = [sm.Logit(Y[T == k], X[T == k]).fit(disp=0, tol=1e-12).predict(X) for k in (0, 1)]
        aipw = np.mean(mu[1] - mu[0] + T * (Y - mu[1]) / e - (1 - T) * (Y - mu[0]) / (1 - e))
    else:
        aipw = te.aipw(return_results=False)[0]
    return [Y[T == 1].mean() - Y[T == 0].mean(), ra, ipw, aipw]


def _weighted_ate(X, T, Y, w, binary: bool, trim=0.01) -> np.ndarray:
    """The four estimators of one bootstrap replicate (row weights ``w``): statsmodels' GLM
    binomial (freq_weights) propensity clipped to [trim, 1 - trim], WLS or GLM outcome models
    per arm, the formulas of the cxmodels.effects docstring."""
    binom = sm.families.Binomial()
    e = sm.GLM(T, X, family=binom, freq_weights=w).fit(tol=1e-13).predict(X)
    e = np.clip(e, trim, 1 - trim)
    mu = []
    for arm in (T == 0, T == 1):
        fit = (
            sm.GLM(Y[arm], X[arm], family=binom, freq_weights=w[arm]).fit(tol=1e-13)
            if binary
            else sm.WLS(Y[arm], X[arm], weights=w[arm]).fit()
        )
        mu.append(fit.predict(X))
    a1, a0 = w * T / e, w * (1 - T) / (1 - e)
    return np.array(
        [
            np.average(Y[T == 1], weights=w[T == 1]) - np.average(Y[T == 0], weights=w[T == 0]),
            np.average(mu[1] - mu[0], weights=w),
            (a1 @ Y) / a1.sum() - (a0 @ Y) / a0.sum(),
            np.average(
                mu[1] - mu[0] + T * (Y - mu[1]) / e - (1 - T) * (Y - mu[0]) / (1 - e), weights=w
            ),
        ]
    )


def _cluster_draws(u, X, T, Y, binary, B, seed) -> np.ndarray:
    """Replicates resampling customers (in order of first appearance in the units):
    ``default_rng(seed).multinomial(k, [1/k]*k, size=B)``, each unit weighted by its
    customer's count."""
    codes, labels = pd.factorize(u["customer_id"])
    k = len(labels)
    counts = np.random.default_rng(seed).multinomial(k, np.full(k, 1 / k), size=B)[:, codes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([_weighted_ate(X, T, Y, c.astype(float), binary) for c in counts])


@pytest.fixture(scope="module")
def effect_refs(units) -> dict:
    """Per outcome: estimates from statsmodels and the 30 replicates' draws (seed 1)."""
    out = {}
    for o, u in units.items():
        X, T, Y = _arrays(u, o)
        binary = o == "churn_within"
        out[o] = (_ate_statsmodels(X, T, Y, binary), _cluster_draws(u, X, T, Y, binary, 30, 1))
    return out


@pytest.mark.reference("statsmodels TreatmentEffect (RA, IPW, AIPW) with Logit propensity")
@pytest.mark.parametrize("outcome", ["overall_sat", "churn_within"])
def test_effects_against_statsmodels(current, units, effect_refs, outcome):
    got = (
        current[f"effect_{outcome}"].set_index("method").loc[["naive", "regression", "ipw", "aipw"]]
    )
    est, draws = effect_refs[outcome]
    u = units[outcome]
    _close(got["estimate"], est, **FIT, what=f"{outcome} estimate")
    assert (got["n_treated"] == u["treated"].sum()).all()
    assert (got["n_control"] == (1 - u["treated"]).sum()).all()
    low, high = _percentiles(draws)
    # the replicates are fits too: their percentiles move with them
    _close(got["ci_low"], low, **FIT, what=f"{outcome} ci_low")
    _close(got["ci_high"], high, **FIT, what=f"{outcome} ci_high")
    _close(got["se"], draws.std(axis=0, ddof=1), **FIT, what=f"{outcome} se")


@pytest.mark.reference("standardised mean differences (Austin 2011) of the units by hand")
@pytest.mark.parametrize("outcome", ["overall_sat", "churn_within"])
def test_unweighted_balance(current, units, outcome):
    """Unweighted SMDs over the pooled SD (ddof 0); the weighted ones are checked in
    test_kme_pinned.py against statsmodels' Logit weights."""
    u = units[outcome]
    X = _design_by_hand(u, _covariates(outcome))
    t1, t0 = u["treated"] == 1, u["treated"] == 0
    sd = np.sqrt((X[t1].var(ddof=0) + X[t0].var(ddof=0)) / 2)
    smd = (X[t1].mean() - X[t0].mean()) / sd
    got = current[f"effect_{outcome}_balance"]
    assert list(got["covariate"]) == list(X.columns)
    _close(got["smd_unweighted"], smd, what="smd_unweighted")


@pytest.mark.reference("statsmodels TreatmentEffect AIPW per follow-up channel")
def test_effect_by_channel(current, units):
    got = current["effect_by_channel"].set_index("channel")
    u = units["overall_sat"]
    for ch in ("phone", "email", "sms"):
        uc = u[(u["treated"] == 0) | (u["fu_channel"] == ch)]
        X, T, Y = _arrays(uc, "overall_sat")
        aipw = _ate_statsmodels(X, T, Y, False)[3]
        draws = _cluster_draws(uc, X, T, Y, False, 10, 0)[:, 3]
        want = [aipw, *_percentiles(draws), T.sum()]
        _close(got.loc[ch, ["estimate", "ci_low", "ci_high", "n_treated"]], want, **FIT, what=ch)
        assert got.loc[ch, "note"] in ("", None) or pd.isna(got.loc[ch, "note"])


@pytest.mark.reference("statsmodels OLS, HC3 covariance, normal intervals")
def test_response_time_bands(world, current):
    u = _units_by_hand(world, "overall_sat", window=0, kinds=("complaint",))
    u = u[u["response_minutes"].notna()]
    edges, labels = [0, 60, 240, 1440, np.inf], ["0min-1h", "1h-4h", "4h-24h", "over 24h"]
    band = pd.cut(u["response_minutes"], edges, right=False, labels=labels)
    D = pd.get_dummies(band, dtype=float)[labels[1:]]
    covs = _design_by_hand(u, ["segment", "loyalty_member", "region", "tenure_days_at_event"])
    X = sm.add_constant(pd.concat([D, covs], axis=1))
    fit = sm.OLS(u["outcome"].astype(float), X).fit(cov_type="HC3")
    ci = fit.conf_int()
    got = current["response_time"].set_index("band")
    assert list(got.index) == labels
    g = u.groupby(band, observed=False)["outcome"]
    _close(got["n"], g.size(), what="n")
    _close(got["mean_outcome"], g.mean(), what="mean_outcome")
    for col, want in (
        ("adjusted_diff", fit.params),
        ("ci_low", ci[0]),
        ("ci_high", ci[1]),
        ("p_value", fit.pvalues),
    ):
        _close(got.loc[labels[1:], col], want[labels[1:]], what=col)
    assert (got.loc[labels[0], ["adjusted_diff", "ci_low", "ci_high"]] == 0).all()


# ================================================================================ coverage
_KANO = [
    "n",
    *CATS,
    *(f"share_{c}" for c in CATS),
    "category",
    "category_mode",
    "category_moai",
    "category_aom",
    "better",
    "worse",
    "strength",
    "total_strength",
    "fong_significant",
    "binom_p",
    *(f"{a}_{b}" for a in ("fun", "dys") for b in ("mean", "sd", "se")),
    "importance",
    "q_rate",
    "r_rate",
    "low_n",
]
_KANO_BOOT = [
    *(
        f"{a}_{b}"
        for a in ("better", "worse", *(f"share_{c}" for c in CATS))
        for b in ("low", "high")
    ),
    *(f"stability_{c}" for c in CATS),
    "stability",
]
_METRIC = ["metric", "value", "ci_low", "ci_high", "se", "n", "n_eff", "small"]
_NPS = [*_METRIC, "promoters", "passives", "detractors"]
_CHANGE = (
    "from to value_from value_to diff n_from n_to se n_paired small ci_low ci_high p_value "
    "se_independent"
).split()
_EFFECT = ["method", "estimate", "se", "ci_low", "ci_high", "n_treated", "n_control"]
_BALANCE = ["covariate", "smd_unweighted", "smd_weighted", "imbalanced"]
#: the columns of every pinned table that a test compares with a reference (this file, or the
#: paired-change and weighted-balance tests of test_kme_pinned.py, ``CHANGED`` there)
CHECKED = {
    "kano": ["feature", *_KANO, *_KANO_BOOT],
    "kano_segment": ["feature", "segment", *_KANO, *_KANO_BOOT],
    "kano_moai_pouliot": ["feature", *_KANO, "stability"],
    "kano_quality": ["respondent_id", "n_answers", "n_Q", "n_R", "q_rate", "r_rate"],
    "kano_segment_tests": [
        "feature",
        "chi2",
        "dof",
        "p_value",
        "categories",
        *(
            f"{a}_diff{b}[{s}]"
            for s in ("premium", "small_business")
            for a in ("better", "worse")
            for b in ("", "_low", "_high")
        ),
    ],
    "classify": ["category"],
    "nps": _NPS,
    "nps_boot": _NPS,
    "nps_weighted": _NPS,
    "csat": _METRIC,
    "ces": _METRIC,
    "by": ["segment", "wave", *_METRIC[1:6], "small"],
    "by_csat": ["wave", *_METRIC[1:6], "small"],
    "change": _CHANGE,
    "change_by": ["segment", *_CHANGE],
    "kpis": "metric label wave value ci_low ci_high n level change change_low change_high change_p".split(),
    "effect_overall_sat": _EFFECT,
    "effect_churn_within": _EFFECT,
    "effect_overall_sat_balance": _BALANCE,
    "effect_churn_within_balance": _BALANCE,
    "effect_by_channel": ["channel", "estimate", "ci_low", "ci_high", "n_treated", "note"],
    "response_time": ["band", "n", "mean_outcome", "adjusted_diff", "ci_low", "ci_high", "p_value"],
    "channel_mix": ["period", "channel", "kind", "n", "share"],
}


def test_every_table_and_column_has_a_reference(current):
    """A new table or column of ``outputs`` fails here until a reference checks it."""
    pinned = {p.stem for p in PINNED.glob("*.csv")}
    assert pinned == set(current) == set(CHECKED)
    for name, t in current.items():
        extra = set(t.columns) - set(CHECKED[name])
        assert not extra, f"{name}: columns without a reference: {sorted(extra)}"
