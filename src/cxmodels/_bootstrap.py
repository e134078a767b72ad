"""One bootstrap engine for cxmodels: respondent, customer-cluster and multinomial resampling.

Every module that resamples calls these functions, so a seed means the same thing everywhere
and replicates always sit on the first (batch) axis:

* :func:`multinomial_weights` -- ``(reps, n)`` resampling counts (how often each unit is drawn
  in each replicate); with ``clusters`` the clusters (customers) are drawn and every row of a
  cluster gets its cluster's count. A statistic that is a weighted sum is then one matrix
  product, ``weights @ values``, for all replicates at once.
* :func:`bootstrap_indices` -- ``(reps, n)`` row indices (the classical form) for statistics that
  need the resampled rows themselves; with ``clusters`` the drawn cluster codes.
* :func:`index_counts` -- the counts of :func:`bootstrap_indices` as ``(reps, n)`` weights
  (the stream the PLS bootstrap was pinned with).
* :func:`poisson_weights` -- ``(reps, n)`` Poisson(1) counts (Hanley & MacGibbon 2006), for
  streams of data where the total need not stay fixed.
* :func:`percentile_ci`, :func:`bootstrap_se`, :func:`bootstrap_p` -- summaries of the draws.
* :func:`effective_n` -- Kish's effective sample size of a weight vector.

``seed`` is anything :func:`numpy.random.default_rng` accepts, including a ``Generator``
(pass one Generator to several calls to continue one stream). Multinomial counts come from
``Generator.multinomial(n, [1/n]*n, size=reps)``, so a replicate drawn alone and the same
replicate drawn in a batch are identical.

Examples
--------
>>> w = multinomial_weights(5, 1000, seed=1)          # respondents resampled
>>> draws = w @ scores / w.sum(axis=1)                   # doctest: +SKIP
>>> low, high = percentile_ci(draws, 0.95)               # doctest: +SKIP
>>> wc = multinomial_weights(len(df), 200, seed=1, clusters=df["customer_id"])  # doctest: +SKIP

References
----------
Efron, B., & Tibshirani, R. (1993). *An Introduction to the Bootstrap*. Chapman & Hall
(percentile interval, ch. 13; bootstrap tests, ch. 16). Davison, A. C., & Hinkley, D. V.
(1997). *Bootstrap Methods and their Application*, section 3.8 (cluster resampling).
Hanley, J. A., & MacGibbon, B. (2006). Creating non-parametric bootstrap samples using Poisson
frequencies. *Computer Methods and Programs in Biomedicine* 83(1), 57-62. Kish, L. (1965).
*Survey Sampling*. Wiley (effective sample size).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import check_level, check_number, fail

__all__ = [
    "bootstrap_indices",
    "bootstrap_p",
    "bootstrap_se",
    "cluster_codes",
    "effective_n",
    "index_counts",
    "make_rng",
    "multinomial_weights",
    "percentile_ci",
    "poisson_weights",
]


def make_rng(seed=None) -> np.random.Generator:
    """A numpy Generator from a seed, or the Generator itself (to continue its stream)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def cluster_codes(clusters) -> tuple[np.ndarray, int]:
    """Integer codes ``0..k-1`` of cluster labels (order of first appearance) and ``k``."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(clusters)), sort=False)
    if (codes < 0).any():
        fail("bootstrap", "clusters", "missing cluster labels", "give every row a cluster id")
    return codes, len(uniques)


def _check_reps(reps) -> int:
    return int(check_number("bootstrap", reps, low=0, integer=True))


def multinomial_weights(n: int, reps: int, seed=None, clusters=None) -> np.ndarray:
    """Resampling counts of ``n`` units in ``reps`` replicates, shape ``(reps, n)``, float.

    Parameters
    ----------
    n : int
        Number of rows.
    reps : int
        Number of bootstrap replicates (0 gives an empty ``(0, n)`` array).
    seed : int, Generator or None
        Randomness; a Generator continues its stream.
    clusters : array-like of length ``n``, optional
        Cluster label of each row (e.g. ``customer_id``): clusters are resampled with
        replacement and each row gets the count of its cluster.

    Returns
    -------
    ndarray
        ``W[b, i]`` is how often row ``i`` (or its cluster) is drawn in replicate ``b``; each row
        of ``W`` sums to ``n`` (to the number of clusters' rows drawn, with ``clusters``).

    Notes
    -----
    ``W ~ Multinomial(k, (1/k, ..., 1/k))`` with ``k`` units (rows or clusters): the
    nonparametric bootstrap written as weights, so a replicate of any weighted sum
    :math:`\\sum_i w_i x_i` is the matrix product ``W @ x``.
    """
    reps = _check_reps(reps)
    rng = make_rng(seed)
    if clusters is None:
        if n == 0:
            return np.zeros((reps, 0))
        return rng.multinomial(n, np.full(n, 1 / n), size=reps).astype(float)
    codes, k = cluster_codes(clusters)
    if len(codes) != n:
        fail("bootstrap", "clusters", f"has length {len(codes)}, not {n}", "one label a row")
    counts = rng.multinomial(k, np.full(k, 1 / k), size=reps).astype(float)
    return counts[:, codes]


def poisson_weights(n: int, reps: int, seed=None) -> np.ndarray:
    """Poisson(1) resampling counts, shape ``(reps, n)`` (Hanley & MacGibbon 2006)."""
    reps = _check_reps(reps)
    return make_rng(seed).poisson(1.0, size=(reps, n)).astype(float)


def bootstrap_indices(n: int, reps: int, seed=None, clusters=None) -> np.ndarray:
    """Row indices of ``reps`` bootstrap samples, shape ``(reps, n)``.

    With ``clusters`` the result is the drawn cluster codes, shape ``(reps, k)`` for ``k``
    clusters (codes as in :func:`cluster_codes`); expand them to rows with the cluster index.
    """
    reps = _check_reps(reps)
    rng = make_rng(seed)
    if clusters is None:
        return rng.integers(0, n, size=(reps, n))
    _, k = cluster_codes(clusters)
    return rng.integers(0, k, size=(reps, k))


def index_counts(n: int, reps: int, seed=None) -> np.ndarray:
    """Resampling counts ``(reps, n)`` drawn as row indices (the classical form), float.

    The counts of :func:`bootstrap_indices` with the same seed: ``W[b, i]`` is how often row
    ``i`` is among the ``n`` indices drawn for replicate ``b``. Same distribution as
    :func:`multinomial_weights`, a different random stream (the PLS bootstrap is pinned to it).
    """
    draws = bootstrap_indices(n, reps, seed)
    reps = draws.shape[0]
    flat = (draws + (np.arange(reps) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=reps * n).reshape(reps, n).astype(float)


def percentile_ci(draws, level: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap draws along ``axis`` (replicates), NaN draws ignored.

    Returns ``(low, high)``: the ``(1-level)/2`` and ``(1+level)/2`` quantiles (numpy's linear
    interpolation, as R's ``quantile(type = 7)``); all-NaN positions give NaN.
    """
    level = check_level(level)
    d = np.asarray(draws, dtype=float)
    q = [50 * (1 - level), 50 * (1 + level)]
    if d.shape[axis] == 0:
        shape = np.delete(np.array(d.shape), axis)
        return np.full(shape, np.nan), np.full(shape, np.nan)
    with np.errstate(all="ignore"):
        all_nan = np.isnan(d).all(axis=axis)
        safe = np.where(np.isnan(d).all(axis=axis, keepdims=True), 0.0, d)
        low, high = np.nanpercentile(safe, q, axis=axis)
    return np.where(all_nan, np.nan, low), np.where(all_nan, np.nan, high)


def bootstrap_se(draws, axis: int = 0) -> np.ndarray:
    """Standard deviation of the draws (ddof 1), NaN draws ignored; NaN with fewer than 2."""
    d = np.asarray(draws, dtype=float)
    ok = (~np.isnan(d)).sum(axis=axis)
    with np.errstate(all="ignore"):  # all-NaN positions: NaN, without numpy's empty-slice warning
        mean = np.nansum(d, axis=axis, keepdims=True) / np.expand_dims(ok, axis)
        sd = np.sqrt(np.nansum((d - mean) ** 2, axis=axis))
        return np.where(ok > 1, sd / np.sqrt(np.maximum(ok - 1, 1)), np.nan)


def bootstrap_p(draws, null: float = 0.0, axis: int = 0) -> np.ndarray:
    """Two-sided bootstrap p-value of ``estimate = null`` from the draws' position of ``null``.

    Notes
    -----
    :math:`p = \\min(1, 2\\min\\{(1 + \\#[d_b \\le \\theta_0]), (1 + \\#[d_b \\ge \\theta_0])\\}/(B + 1))`,
    the percentile test (Davison & Hinkley 1997, eq. 4.11 with the +1 correction), so that
    ``p > 0`` with finitely many replicates.
    """
    d = np.asarray(draws, dtype=float)
    B = (~np.isnan(d)).sum(axis=axis)
    lo = (d <= null).sum(axis=axis)
    hi = (d >= null).sum(axis=axis)
    with np.errstate(all="ignore"):
        p = 2 * np.minimum(1 + lo, 1 + hi) / (B + 1)
    return np.where(B > 0, np.minimum(1.0, p), np.nan)


def effective_n(w) -> float:
    """Kish's effective sample size :math:`(\\sum w)^2 / \\sum w^2` (0 for no weights)."""
    w = np.asarray(w, dtype=float)
    s2 = (w**2).sum()
    return float(w.sum() ** 2 / s2) if len(w) and s2 > 0 else 0.0
