"""The Kano respondent bootstrap: replicates from :mod:`cxmodels._bootstrap`, summarised in one
batch (intervals for Better, Worse and shares; classification stability)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._bootstrap import make_rng, multinomial_weights, percentile_ci
from .tables import CATS
from .tests import summarise_counts


def _bootstrap(out, cells, boot_in, B, seed, rule, thr):
    """Resample respondents within each group; summaries of every replicate in one batch.

    ``cells`` marks the (group, feature) cells kept in ``out``, in the same (group, feature)
    order. Returns the table with interval and stability columns and the draws of Better and
    Worse (``(B, len(out))``).
    """
    resp_codes, grp_codes, feat_codes, codes, w, (G, F) = boot_in
    rng = make_rng(seed)
    valid = codes >= 0
    w = np.ones(len(codes)) if w is None else w
    draws = np.zeros((B, G, F, 6))
    for g in range(G):  # loop over groups (segments, waves), not respondents
        sel = valid & (grp_codes == g) if G > 1 else valid
        r_local, r_index = pd.factorize(resp_codes[sel])
        nr = len(r_index)
        if nr == 0:
            continue
        col = feat_codes[sel].astype(np.intp) * 6 + codes[sel]
        M = np.bincount(r_local * (F * 6) + col, weights=w[sel], minlength=nr * F * 6)
        counts = multinomial_weights(nr, B, rng)
        draws[:, g] = (counts @ M.reshape(nr, F * 6)).reshape(B, F, 6)
    s = summarise_counts(draws, rule, thr)
    gi = np.repeat(np.arange(G), F)[cells]
    fi = np.tile(np.arange(F), G)[cells]
    out = out.copy()
    for name in ("better", "worse"):
        out[f"{name}_low"], out[f"{name}_high"] = percentile_ci(s[name][:, gi, fi])
    for k, cat in enumerate(CATS):
        out[f"share_{cat}_low"], out[f"share_{cat}_high"] = percentile_ci(
            s["shares"][..., k][:, gi, fi]
        )
    win = s["category"][:, gi, fi]
    for k, cat in enumerate(CATS):
        out[f"stability_{cat}"] = (win == k).mean(axis=0)
    chosen = out["category"].map({c: i for i, c in enumerate(CATS)}).to_numpy()
    out["stability"] = out[[f"stability_{c}" for c in CATS]].to_numpy()[np.arange(len(out)), chosen]
    return out, {"better": s["better"][:, gi, fi], "worse": s["worse"][:, gi, fi]}
