"""The respondent bootstrap's replicates and their intervals, shared by the fit, the result and
the indices recomputed from it (so none of them imports another for it)."""

from __future__ import annotations

import numpy as np

from .._bootstrap import bootstrap_p, bootstrap_se, index_counts, make_rng, percentile_ci

CHUNK = 100  # bootstrap replicates estimated together


def replicate_chunks(n: int, B: int, seed, w: np.ndarray):
    """The bootstrap replicates as weighted resampling counts, ``CHUNK`` replicates at a time.

    The one source of replicates for the fit and for anything recomputed later from them
    (index by group): the same seed gives the same replicates in the same chunks.
    """
    rng = make_rng(seed)
    for start in range(0, B, CHUNK):
        yield index_counts(n, min(CHUNK, B - start), rng) * w


def interval(est: np.ndarray, boot: np.ndarray | None, level: float):
    """Bootstrap std_error, percentile ci_low/ci_high and two-sided p-value per column.

    The p-value is twice the smaller share of replicates on either side of zero, with the
    usual +1 correction so it is never 0: ``2 (min(#<=0, #>=0) + 1) / (B + 1)``, capped at 1.
    """
    if boot is None:
        nan = np.full(np.shape(est), np.nan)
        return nan, nan, nan, nan
    boot = np.where(np.isfinite(boot), boot, np.nan)  # failed replicates, never a warning
    lo, hi = percentile_ci(boot, level)
    return bootstrap_se(boot), lo, hi, bootstrap_p(boot)
