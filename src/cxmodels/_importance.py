"""Relative importance from a covariance matrix: every subset's R² in one batched pass.

For players :math:`P = \\{1..p\\}` (single columns or groups of columns) and an outcome ``y``
stored last in a covariance matrix :math:`M`, the share of variance of ``y`` left unexplained by
the players in :math:`S` is the Schur complement of :math:`M_{SS}` in :math:`M_{S\\cup y}`:

.. math:: 1 - R^2(S) = (M_{yy} - M_{yS} M_{SS}^{-1} M_{Sy}) / M_{yy}.

Deciding players one at a time (exclude: drop the block; include: Schur-complement it out)
turns a batch of :math:`2^l` matrices into :math:`2^{l+1}` smaller ones, so all :math:`2^p`
subset R² come out of :math:`p` vectorized steps of total cost :math:`O(2^p)`, the principal
-minor recursion of Griffin & Tsatsomeros (2006, *Linear Algebra Appl.* 419, 107-124). Subset
``S`` sits at index ``sum(2**j for j in S)``. A leading batch axis carries bootstrap replicates.
"""

from __future__ import annotations

from math import comb

import numpy as np


def subset_r2(cov: np.ndarray, sizes: list[int], n_controls: int = 0) -> np.ndarray:
    """R² of the outcome on every subset of players (controls always included).

    Parameters
    ----------
    cov : array (..., m, m)
        Covariance matrices ordered ``[controls, player columns..., y]``.
    sizes : list of int
        Number of columns of each player, in order.
    n_controls : int
        Leading columns that are always in the model.

    Returns
    -------
    array (..., 2**p)
    """
    M = np.asarray(cov, dtype=float)
    batch = M.shape[:-2]
    M = M.reshape((-1,) + M.shape[-2:])
    vy = M[:, -1, -1].copy()
    if n_controls:
        M = _schur(M, n_controls)
    for b in sizes:
        excl = M[:, b:, b:]
        incl = _schur(M, b)
        M = np.concatenate([excl[None], incl[None]], axis=0)  # (2, B*2^l, ...)
        M = M.reshape((-1,) + excl.shape[1:])
    # M rows are ordered (bit_{p-1}, ..., bit_0, batch): reorder to (batch, mask)
    p = len(sizes)
    out = 1.0 - M[:, 0, 0].reshape((2,) * p + (-1,)) / _bcast(vy, p)
    out = np.moveaxis(out, -1, 0).reshape(len(vy), -1)
    # the mask index currently has bit_{p-1} most significant in C order: mask = sum bit_j 2^j
    return out.reshape(batch + (2**p,))


def _bcast(vy, p):
    return vy.reshape((1,) * p + (-1,))


def _schur(M: np.ndarray, b: int) -> np.ndarray:
    A, B, C = M[:, :b, :b], M[:, :b, b:], M[:, b:, b:]
    if b == 1:
        return C - M[:, b:, :1] * (B / A)
    return C - np.swapaxes(B, 1, 2) @ np.linalg.solve(A, B)


def _popcount(p: int) -> np.ndarray:
    """Number of players in each subset mask ``0 .. 2**p - 1``."""
    masks = np.arange(2**p, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(p)) & 1
    return bits.sum(axis=1).astype(np.int64)


def conditional_contributions(r2: np.ndarray) -> np.ndarray:
    """Mean increment of R² from adding each player to subsets of each size.

    Returns array (..., p, p): ``[..., j, k]`` is the mean of R²(S+j) - R²(S) over subsets S of
    the other players with ``|S| = k`` (Azen & Budescu 2003, conditional dominance).
    """
    n = r2.shape[-1]
    p = n.bit_length() - 1
    size = _popcount(p)
    lead = r2.shape[:-1]
    flat = r2.reshape(-1, n)
    B = flat.shape[0]
    norm = np.array([comb(p - 1, k) for k in range(p)], dtype=float)
    out = np.zeros((B, p, p))
    masks = np.arange(n)
    for j in range(p):  # loop over players; subsets summed by size with one bincount
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        inc = flat[:, without | bit] - flat[:, without]  # (B, 2^(p-1))
        k = size[without]
        idx = (np.arange(B)[:, None] * p + k[None, :]).ravel()
        out[:, j, :] = np.bincount(idx, weights=inc.ravel(), minlength=B * p).reshape(B, p) / norm
    return out.reshape(lead + (p, p))


def shapley(r2: np.ndarray) -> np.ndarray:
    """Exact Shapley value = LMG = general dominance: mean of the conditional contributions."""
    return conditional_contributions(r2).mean(axis=-1)


def complete_dominance(r2: np.ndarray) -> np.ndarray:
    """``D[j, k]`` is True when j adds more R² than k to every subset of the other players."""
    n = r2.shape[-1]
    p = n.bit_length() - 1
    masks = np.arange(n)
    D = np.zeros((p, p), dtype=bool)
    for j in range(p):
        for k in range(p):
            if j == k:
                continue
            s = masks[(masks & ((1 << j) | (1 << k))) == 0]
            D[j, k] = bool(np.all(r2[s | (1 << j)] > r2[s | (1 << k)]))
    return D


def relative_weights(R: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from a correlation matrix ``[x..., y]``.

    :math:`\\Lambda^* = R_{xx}^{1/2}`, :math:`\\beta^* = R_{xx}^{-1/2} r_{xy}`,
    :math:`\\epsilon_j = \\sum_k (\\Lambda^*_{jk})^2 \\beta^{*2}_k`; the weights sum to R².
    Johnson, J. W. (2000). *Multivariate Behavioral Research* 35(1), 1-19.
    """
    Rxx, rxy = R[:-1, :-1], R[:-1, -1]
    w, Q = np.linalg.eigh(Rxx)
    w = np.clip(w, 1e-12, None)
    lam = Q @ np.diag(np.sqrt(w)) @ Q.T
    beta = Q @ np.diag(1 / np.sqrt(w)) @ Q.T @ rxy
    return (lam**2) @ (beta**2)
