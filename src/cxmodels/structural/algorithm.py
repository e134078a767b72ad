"""Wold's PLS path algorithm on indicator correlation matrices, batched over replicates.

Everything PLS-PM estimates is a function of the indicators' correlation (or covariance)
matrix ``S``: construct scores are ``Y = Z W``, so ``cov(Y) = W'SW`` and ``cov(X, Y) = SW``.
The algorithm therefore runs on a stack ``S`` of shape ``(B, p, p)``: one matrix for the sample,
or one per bootstrap replicate / permutation, estimated together with batched linear algebra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCHEMES = ("path", "centroid", "factorial")


@dataclass(frozen=True)
class Layout:
    """The model as arrays: block matrix ``M`` (items x constructs), path matrix ``P``
    (``P[j, k] = 1`` when j -> k) and the mode-B flags."""

    M: np.ndarray
    P: np.ndarray
    mode_b: np.ndarray

    @property
    def blocks(self) -> list[np.ndarray]:
        return [np.flatnonzero(self.M[:, j]) for j in range(self.M.shape[1])]

    @property
    def endogenous(self) -> np.ndarray:
        return np.flatnonzero(self.P.sum(axis=0) > 0)


@dataclass(frozen=True)
class Estimate:
    """Batched estimates (leading axis: replicate)."""

    W: np.ndarray  # (B, p, q) outer weights, scores with unit variance
    R: np.ndarray  # (B, q, q) construct correlations (PLSc: disattenuated)
    L: np.ndarray  # (B, p, q) loadings (PLSc: consistent loadings)
    beta: np.ndarray  # (B, q, q) path coefficients, beta[:, j, k] for j -> k
    r2: np.ndarray  # (B, q) R-squared (NaN for exogenous constructs)
    rho_a: np.ndarray  # (B, q) Dijkstra-Henseler rho_A (1 for mode B and single items)
    n_iter: int
    converged: np.ndarray  # (B,) bool


def _quad(W, S):
    """``W'SW`` for stacks."""
    return np.einsum("bpq,bpr,brs->bqs", W, S, W, optimize=True)


def _normalise(W, S):
    var = np.einsum("bpq,bpr,brq->bq", W, S, W, optimize=True)
    return W / np.sqrt(np.where(var > 0, var, np.nan))[:, None, :]


def _regress(R, pred: np.ndarray, j: int) -> np.ndarray:
    """OLS coefficients of construct j on ``pred`` from correlation stacks: (B, len(pred))."""
    A = R[:, pred[:, None], pred[None, :]]
    b = R[:, pred, j]
    return np.linalg.solve(A, b[..., None])[..., 0]


def _inner(R, lay: Layout, scheme: str) -> np.ndarray:
    """Inner weights ``E`` (B, q, q): the inner proxy of construct j is ``sum_k E[k, j] Y_k``."""
    A = ((lay.P + lay.P.T) > 0).astype(float)
    if scheme == "centroid":
        return np.sign(R) * A
    if scheme == "factorial":
        return R * A
    E = R * lay.P  # successors k of j: E[k, j] = cor(Y_j, Y_k) where P[j, k] = 1
    E = np.swapaxes(E, 1, 2).copy()
    for j in lay.endogenous:  # loop over constructs (a handful), not respondents
        pred = np.flatnonzero(lay.P[:, j])
        E[:, pred, j] = _regress(R, pred, j)
    return E


def outer_weights(S, lay: Layout, scheme="path", tol=1e-7, max_iter=300):
    """Iterate Wold's algorithm from unit weights: ``(W, n_iter, converged)``.

    Mode A: ``w_j = cov(x_j, z_j)``; mode B: ``w_j = S_jj^{-1} cov(x_j, z_j)``; then
    ``var(Y_j) = 1``. Stops when every weight moves less than ``tol`` (all replicates).
    """
    B = S.shape[0]
    M = lay.M
    W = _normalise(np.broadcast_to(M, (B, *M.shape)).copy(), S)
    inv_b = {
        j: np.linalg.inv(S[:, blk[:, None], blk[None, :]])
        for j, blk in enumerate(lay.blocks)
        if lay.mode_b[j] and blk.size > 1
    }
    converged = np.zeros(B, dtype=bool)
    for it in range(1, max_iter + 1):
        R = _quad(W, S)
        E = _inner(R, lay, scheme)
        C = np.einsum("bpr,brq,bqs->bps", S, W, E, optimize=True) * M
        for j, inv in inv_b.items():
            blk = lay.blocks[j]
            C[:, blk, j] = np.einsum("bij,bj->bi", inv, C[:, blk, j])
        W_new = _normalise(C, S)
        bad = np.isnan(W_new).any(axis=(1, 2))  # a degenerate replicate: nothing to iterate
        delta = np.where(bad, 0.0, np.abs(np.nan_to_num(W_new - W)).max(axis=(1, 2)))
        W = W_new
        converged = (delta < tol) & ~bad
        if (converged | bad).all():
            return W, it, converged
    return W, max_iter, converged


def rho_a(W, S, lay: Layout) -> np.ndarray:
    """Dijkstra-Henseler rho_A per construct (1 for mode B and single-item constructs).

    ``rho_A = (w'w)^2 * w'(S - diag S)w / w'(ww' - diag ww')w`` with ``w`` scaled so that
    ``w'Sw = 1`` (Dijkstra and Henseler 2015, eq. 13).
    """
    B, _, q = W.shape
    out = np.ones((B, q))
    for j, blk in enumerate(lay.blocks):
        if lay.mode_b[j] or blk.size < 2:
            continue
        w = W[:, blk, j]
        Sj = S[:, blk[:, None], blk[None, :]]
        off = Sj * (1 - np.eye(blk.size))
        num = np.einsum("bi,bij,bj->b", w, off, w)
        ww = w[:, :, None] * w[:, None, :] * (1 - np.eye(blk.size))
        den = np.einsum("bi,bij,bj->b", w, ww, w)
        out[:, j] = (w * w).sum(axis=1) ** 2 * num / den
    return out


def structural(R, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients (B, q, q) and R-squared (B, q) by OLS on the construct correlations."""
    B, q, _ = R.shape
    beta = np.zeros((B, q, q))
    r2 = np.full((B, q), np.nan)
    for j in lay.endogenous:
        pred = np.flatnonzero(lay.P[:, j])
        b = _regress(R, pred, j)
        beta[:, pred, j] = b
        r2[:, j] = (b * R[:, pred, j]).sum(axis=1)
    return beta, r2


def estimate(
    S: np.ndarray,
    lay: Layout,
    *,
    scheme: str = "path",
    consistent: bool = False,
    tol: float = 1e-7,
    max_iter: int = 300,
    ref_loadings: np.ndarray | None = None,
) -> Estimate:
    """The whole PLS estimate for a stack of indicator correlation matrices.

    ``ref_loadings`` (p, q), when given, turns on construct-level sign correction: a
    replicate's construct whose loadings point the other way than the reference (negative
    inner product) has its weights flipped before anything else is computed.
    """
    W, n_iter, conv = outer_weights(S, lay, scheme, tol, max_iter)
    if ref_loadings is not None:
        flip = np.sign(
            np.einsum("bpq,pq->bq", np.einsum("bpr,brq->bpq", S, W) * lay.M, ref_loadings)
        )
        W = W * np.where(flip == 0, 1.0, flip)[:, None, :]
    R = _quad(W, S)
    L = np.einsum("bpr,brq->bpq", S, W) * lay.M
    ra = rho_a(W, S, lay)
    if consistent:
        reflective = ~lay.mode_b & (lay.M.sum(axis=0) > 1)
        rel = np.where(reflective, ra, 1.0)
        R = R / np.sqrt(rel[:, :, None] * rel[:, None, :])
        idx = np.arange(R.shape[1])
        R[:, idx, idx] = 1.0
        c = np.sqrt(ra) / (W * W).sum(
            axis=1
        )  # consistent loadings: c_j * w_j (rho_A = (w'w)^2 c^2)
        L = np.where(reflective[None, None, :], W * c[:, None, :], L)
    beta, r2 = structural(R, lay)
    return Estimate(W, R, L, beta, r2, ra, n_iter, conv)


def total_effects(beta: np.ndarray) -> np.ndarray:
    """Total effects ``T = B + B^2 + ...`` of a recursive path matrix stack (B, q, q)."""
    q = beta.shape[-1]
    T = np.zeros_like(beta)
    Bk = beta.copy()
    for _ in range(q):  # a recursive model has paths of at most q - 1 steps
        T += Bk
        if not np.any(Bk):
            break
        Bk = Bk @ beta
    return T


def correlation_stack(X: np.ndarray, counts: np.ndarray, standardise: bool = True) -> np.ndarray:
    """Weighted correlation (or covariance) matrices of ``X`` (n, p), one per row of ``counts``
    (B, n) of resampling counts or frequency weights, by two matrix products (no row loop)."""
    if counts.shape[0] == 1:  # the sample itself: one weighted cross product
        c = counts[0]
        Xc = X - c @ X / c.sum()
        if np.all(c == c[0]):
            cov = (Xc.T @ Xc * (c[0] / (c.sum() - 1)))[None]
        else:
            cov = ((Xc * c[:, None]).T @ Xc / (c.sum() - 1))[None]
    else:
        cov = _cov_stack(X - X.mean(axis=0), counts)
    if not standardise:
        return cov
    d = np.sqrt(np.einsum("bii->bi", cov))
    return cov / (d[:, :, None] * d[:, None, :])


def _cov_stack(X: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Weighted covariances for each row of ``counts`` from the items' cross products."""
    p = X.shape[1]
    iu = np.triu_indices(p)
    XX = X[:, iu[0]] * X[:, iu[1]]
    tot = counts.sum(axis=1)
    mu = counts @ X / tot[:, None]
    m2 = counts @ XX / tot[:, None]
    cov = np.empty((counts.shape[0], p, p))
    cov[:, iu[0], iu[1]] = m2 - mu[:, iu[0]] * mu[:, iu[1]]
    cov[:, iu[1], iu[0]] = cov[:, iu[0], iu[1]]
    cov *= (tot / (tot - 1))[:, None, None]
    return cov
