"""Bootstrap refits of a value model, every replicate at once: Newton steps on weighted likelihoods.

A customer-bootstrap replicate is the full data with resampling counts :math:`w_{bi}` (how
often customer *i* is drawn in replicate *b*): its log-likelihood
:math:`\\ell_b(\\theta) = \\sum_i w_{bi}\\,\\ell_i(\\theta)` is the likelihood of the resampled
customers, so maximising it is refitting the model on them. Every replicate starts at the
full-data estimate :math:`\\hat\\theta` and takes Newton steps

.. math:: \\theta_b \\leftarrow \\theta_b - H_b^{-1}\\, g_b(\\theta_b),

where :math:`g_b` is the replicate's weighted score (all replicates in one pass over arrays of
replicates x customers) and :math:`H_b` starts as the replicate's weighted Hessian at
:math:`\\hat\\theta` (central differences of the customers' scores summed with the replicate's
counts, as the standard errors of :mod:`cxmodels.value._mle`) and is corrected by a BFGS update
after every step. The start is :math:`O(n^{-1/2})` from the replicate's maximum and its
Hessian nearly exact, so a handful of steps reach it (each step shrinks the error 10-20 times).
A step that lowers a replicate's likelihood is halved; iteration stops when every step is below
``tol``; a replicate that has not converged after ``max_iter`` steps is reported as such, and
the caller refits it with the model's own optimiser from where it stands. The draws are the
refits to convergence (the same estimator as a loop of refits), the k-step bootstrap of
Andrews (2002) iterated to the end.

A model gives :func:`newton_refits` a function ``terms(theta)`` of a ``(m, k)`` array of
parameter vectors that returns the per-customer log-likelihood ``(m, n)`` and the score as
*parts*: a list of ``(values, design)`` with ``values`` of shape ``(m, n)`` and ``design`` an
``(n, d)`` matrix (the part's score is ``values[..., None] * design``) or ``None`` (one
parameter, score ``values``), in the order of the parameters.

References
----------
Andrews, D. W. K. (2002). Higher-order improvements of a computationally attractive k-step
bootstrap for extremum estimators. *Econometrica* 70(1), 119-162.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: at most this many replicate x customer cells in one pass (memory: a few arrays of them)
CELLS = 4_000_000


def weighted_scores(parts, W: np.ndarray) -> np.ndarray:
    """Score of every replicate, ``(m, k)``: the parts summed over customers with weights ``W``."""
    cols = [(W * v).sum(axis=1, keepdims=True) if D is None else (W * v) @ D for v, D in parts]
    return np.concatenate(cols, axis=1)


def customer_scores(parts) -> np.ndarray:
    """Each customer's score at one parameter vector, ``(n, k)``, from parts of ``m = 1``."""
    return np.column_stack([v[0] if D is None else v[0][:, None] * D for v, D in parts])


def replicate_hessians(terms: Callable, theta: np.ndarray, W: np.ndarray, rel_step=1e-5):
    """Each replicate's Hessian of its weighted log-likelihood at ``theta``, ``(m, k, k)``:
    central differences of the customers' scores, summed with each replicate's counts."""
    k = theta.size
    h = rel_step * np.maximum(1.0, np.abs(theta))
    H = np.empty((W.shape[0], k, k))
    for j in range(k):  # loop over parameters, not customers or replicates
        e = np.zeros(k)
        e[j] = h[j]
        up = customer_scores(terms((theta + e)[None])[1])
        down = customer_scores(terms((theta - e)[None])[1])
        H[:, :, j] = W @ ((up - down) / (2 * h[j]))
    return (H + H.transpose(0, 2, 1)) / 2


def _steps(B: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Quasi-Newton ascent steps ``B^-1 g`` per replicate (``B``: minus the Hessian); a
    parameter no customer of a replicate informs (all-zero row, e.g. a level the replicate
    did not draw) keeps its value."""
    B = B.copy()
    diag = np.einsum("mkk->mk", B)
    dead = np.abs(diag) < 1e-12 * np.maximum(1.0, np.abs(diag).max(axis=1, keepdims=True))
    m, j = np.nonzero(dead)
    B[m, j, j] = 1.0
    g = np.where(dead, 0.0, g)
    try:
        return np.linalg.solve(B, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("mjk,mk->mj", np.linalg.pinv(B), g)


def _bfgs(B: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BFGS update of each replicate's ``B`` (minus the Hessian) by its step ``s`` and the
    fall of its score ``y`` (skipped where the curvature ``y's`` is not positive)."""
    Bs = np.einsum("mjk,mk->mj", B, s)
    sBs, ys = np.einsum("mj,mj->m", s, Bs), np.einsum("mj,mj->m", y, s)
    good = (sBs > 0) & (ys > 1e-12 * np.linalg.norm(s, axis=1) * np.linalg.norm(y, axis=1))
    Bs, sBs, y, ys = Bs[good], sBs[good, None, None], y[good], ys[good, None, None]
    B[good] += y[:, :, None] * y[:, None, :] / ys - Bs[:, :, None] * Bs[:, None, :] / sBs
    return B


def _loglik(terms, theta, W):
    ll, parts = terms(theta)
    with np.errstate(invalid="ignore"):
        total = np.sum(W * ll, axis=1)
    return np.where(np.isfinite(total), total, -np.inf), parts


def _solve(terms, theta, W, tol, max_iter):
    m = W.shape[0]
    B = -replicate_hessians(terms, theta, W)
    th = np.repeat(theta[None], m, axis=0)
    ll, parts = _loglik(terms, th, W)
    g = weighted_scores(parts, W)
    scale = np.ones(m)
    done = np.zeros(m, bool)
    for _ in range(max_iter):  # each pass: one step or one halving per active replicate
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        step = _steps(B[act], g[act]) * scale[act, None]
        trial = th[act] + step
        ll_t, parts_t = _loglik(terms, trial, W[act])
        up = ll_t >= ll[act] - 1e-12 * np.abs(ll[act])
        ok, ko = act[up], act[~up]
        g_new = weighted_scores([(v[up], D) for v, D in parts_t], W[ok])
        B[ok] = _bfgs(B[ok], step[up], g[ok] - g_new)
        th[ok], ll[ok], g[ok] = trial[up], ll_t[up], g_new
        done[ok] = np.abs(step[up]).max(axis=1) < tol
        scale[ok] = 1.0
        scale[ko] /= 2
        done[ko] = scale[ko] < 2.0**-30  # no ascent left along the step: give up, caller refits
    return th, done & (scale == 1.0)


def newton_refits(terms: Callable, theta: np.ndarray, W: np.ndarray, *, tol: float = 1e-6,
                  max_iter: int = 60) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Maximise each replicate's weighted log-likelihood from ``theta``, all at once.

    Parameters
    ----------
    terms : callable
        ``terms(thetas)`` -> per-customer log-likelihood ``(m, n)`` and score parts (module
        docstring).
    theta : ndarray
        The full-data estimate, ``(k,)``.
    W : ndarray
        Resampling counts, ``(reps, n)``.
    tol : float
        Largest Newton step (unconstrained scale) at convergence.
    max_iter : int
        Passes (a Newton step or a halving of it) before a replicate is given up.

    Returns
    -------
    thetas : ndarray
        ``(reps, k)`` estimates.
    converged : ndarray of bool
        ``(reps,)``; where False the estimate is where the iteration stopped.
    """
    theta = np.asarray(theta, dtype=float)
    n = W.shape[1]
    size = max(1, CELLS // max(n, 1))
    out, ok = np.empty((W.shape[0], theta.size)), np.zeros(W.shape[0], bool)
    for s in range(0, W.shape[0], size):  # blocks of replicates bound the memory
        out[s : s + size], ok[s : s + size] = _solve(terms, theta, W[s : s + size], tol, max_iter)
    return out, ok
