"""Kano summaries and tests from category counts: categories by rule, Better/Worse, Fong's and
the binomial test, and the chi-square test across segments. See :mod:`cxmodels.kano`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._bootstrap import percentile_ci
from .._validation import check_option, require_columns
from .tables import _A, _I, _M, _O, _Q, _R, _TIE_RTOL, CATS, MOAI_RANK, RULES


def _ranked(c: np.ndarray, cats) -> np.ndarray:
    """Positions (into ``cats``) sorted by count, ties broken exactly in the M > O > A > I order.

    Counts within ``_TIE_RTOL`` of the cell total of each other tie (so that weights such as
    1/n, whose sums differ in the last bit, do not decide a category); otherwise the larger
    count wins however small the difference (10.1 beats 10.0).
    """
    total = np.abs(c).sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(total > 0, np.rint(c / np.where(total > 0, total, 1) / _TIE_RTOL), 0)
    rank = np.broadcast_to(MOAI_RANK[list(cats)], c.shape)
    return np.lexsort((rank, -q), axis=-1)


def summarise_counts(
    counts: np.ndarray, rule: str = "mode", strength_threshold: float = 6.0
) -> dict:
    """Every per-feature statistic from category counts ``(..., 6)`` in the order A O M I R Q.

    Notes
    -----
    The mode is the largest count; equal counts are decided by M > O > A > I > R > Q (exactly,
    without mixing counts and ranks into one number). ``strength`` is
    :math:`100(a-b)/n` for the top two counts :math:`a \\ge b`.
    """
    check_option("rule", rule, RULES)
    c = np.asarray(counts, dtype=float)
    n = c.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = c / n[..., None]
        aomi = c[..., :4].sum(axis=-1)
        better = (c[..., _A] + c[..., _O]) / aomi
        worse = -(c[..., _O] + c[..., _M]) / aomi
    order = _ranked(c, range(6))
    top, second = order[..., 0], order[..., 1]
    a = np.take_along_axis(c, top[..., None], -1)[..., 0]
    b = np.take_along_axis(c, second[..., None], -1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        strength = 100 * (a - b) / n
        fong_crit = 1.65 * np.sqrt((a + b) * (2 * n - a - b) / (2 * n))
    moai = np.where(
        (strength < strength_threshold) & (MOAI_RANK[second] < MOAI_RANK[top]), second, top
    )
    oam_cats, irq_cats = [_A, _O, _M], [_I, _R, _Q]
    oam, irq = c[..., oam_cats], c[..., irq_cats]
    aom_pick = np.array(oam_cats)[_ranked(oam, oam_cats)[..., 0]]
    irq_pick = np.array(irq_cats)[_ranked(irq, irq_cats)[..., 0]]
    # O+A+M > I+R+Q, where a difference within the tie tolerance is no difference
    aom = np.where(oam.sum(-1) - irq.sum(-1) > _TIE_RTOL * n, aom_pick, irq_pick)
    rules = {"mode": top, "moai": moai, "aom": aom}
    return {
        "n": n,
        "shares": shares,
        "better": better,
        "worse": worse,
        "strength": strength,
        "total_strength": 100 * (shares[..., _A] + shares[..., _O] + shares[..., _M]),
        "category": rules[rule],
        "mode": top,
        "moai": moai,
        "aom": aom,
        "top_count": a,
        "second_count": b,
        "fong_significant": np.abs(a - b) >= fong_crit,
    }


def _segment_tests(out, segment, feat_index, draws, exclude=()) -> pd.DataFrame:
    """Per feature: chi-square test of A/O/M/I across segments, Better/Worse differences."""
    rows = []
    segs = [s_ for s_ in sorted(out[segment].unique()) if s_ not in set(exclude)]
    ref = segs[0] if segs else None
    for feat in feat_index:  # loop over features
        t = out[(out["feature"] == feat) & out[segment].isin(segs)].set_index(segment)
        if t.empty:
            continue
        ct = t[["A", "O", "M", "I"]].to_numpy()
        ct = ct[ct.sum(axis=1) > 0][:, ct.sum(axis=0) > 0]
        chi2, p, dof = (np.nan, np.nan, 0)
        if ct.shape[0] > 1 and ct.shape[1] > 1:
            chi2, p, dof, _ = stats.chi2_contingency(ct)
        row = {
            "feature": feat,
            "chi2": chi2,
            "dof": dof,
            "p_value": p,
            "categories": ", ".join(f"{s_}:{t.loc[s_, 'category']}" for s_ in t.index),
        }
        for s_ in segs:
            if s_ == ref or s_ not in t.index or ref not in t.index:
                continue
            row[f"better_diff[{s_}]"] = t.loc[s_, "better"] - t.loc[ref, "better"]
            row[f"worse_diff[{s_}]"] = t.loc[s_, "worse"] - t.loc[ref, "worse"]
            if draws:
                i_s = out.index[(out["feature"] == feat) & (out[segment] == s_)][0]
                i_r = out.index[(out["feature"] == feat) & (out[segment] == ref)][0]
                for name in ("better", "worse"):
                    d = draws[name][:, i_s] - draws[name][:, i_r]
                    lo, hi = percentile_ci(d)
                    row[f"{name}_diff_low[{s_}]"] = float(lo)
                    row[f"{name}_diff_high[{s_}]"] = float(hi)
        rows.append(row)
    return pd.DataFrame(rows)


def from_counts(
    counts: pd.DataFrame, *, rule: str = "mode", strength_threshold: float = 6.0
) -> pd.DataFrame:
    """Summaries from published category counts (columns A O M I R Q, one row per feature).

    Returns
    -------
    DataFrame
        Same index as ``counts``: ``category``, ``category_mode``, ``category_moai``,
        ``category_aom``, ``better``, ``worse``, ``strength``, ``fong_significant``.
    """
    require_columns(counts, list(CATS), "counts")
    s = summarise_counts(counts[list(CATS)].to_numpy(float), rule, strength_threshold)
    cats = np.array(CATS)
    return pd.DataFrame(
        {
            "category": cats[s["category"]],
            "category_mode": cats[s["mode"]],
            "category_moai": cats[s["moai"]],
            "category_aom": cats[s["aom"]],
            "better": s["better"],
            "worse": s["worse"],
            "strength": s["strength"],
            "fong_significant": s["fong_significant"],
        },
        index=counts.index,
    )
