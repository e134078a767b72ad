"""Relative importance from a covariance matrix: every subset's R², walked in blocks.

For players :math:`P = \\{1..p\\}` (single columns or groups of columns) and an outcome ``y``
stored last in a covariance matrix :math:`M`, the share of variance of ``y`` left unexplained by
the players in :math:`S` is the Schur complement of :math:`M_{SS}` in :math:`M_{S\\cup y}`:

.. math:: 1 - R^2(S) = (M_{yy} - M_{yS} M_{SS}^{-1} M_{Sy}) / M_{yy}.

Deciding players one at a time (exclude: drop the block; include: Schur-complement it out)
turns a batch of :math:`2^l` matrices into :math:`2^{l+1}` smaller ones, so all :math:`2^p`
subset R² come out of :math:`p` vectorized steps of total cost :math:`O(2^p)`, the principal
-minor recursion of Griffin & Tsatsomeros (2006, *Linear Algebra Appl.* 419, 107-124). Subset
``S`` sits at index ``sum(2**j for j in S)``. A leading batch axis carries bootstrap replicates.

:func:`lattice` walks the subsets in blocks of bounded memory (the players beyond
:data:`LOW_PLAYERS` index the blocks) on packed symmetric matrices, batch last, and accumulates
Shapley values and conditional dominance as it goes; :func:`conditional_contributions` and
:func:`complete_dominance` work on a full array of subset R² (logit models, up to 20 drivers).
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from math import comb

import numpy as np
from threadpoolctl import threadpool_limits


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


# --------------------------------------------------------------------------- the chunked lattice
#: Players decided inside one block (2**LOW_PLAYERS subsets a block row); the rest index blocks.
LOW_PLAYERS = 18
#: Largest number of players an exact decomposition is attempted for (2**30 subsets).
MAX_EXACT_PLAYERS = 30
#: Measured throughput on the 2-core reference machine, used for the refusal message.
SECONDS_PER_SUBSET = 6e-8
#: Every subset's R² is kept (for complete dominance) up to this many players.
KEEP_MAX_PLAYERS = 20
#: Blocks walked at once (each thread holds one block).
THREADS = 2


@dataclass(frozen=True, eq=False, repr=False)
class Lattice:
    """Everything one walk over the subset lattice yields.

    Attributes
    ----------
    conditional : array (..., p, p)
        ``[..., j, k]``: mean R² increment of player j over subsets of the others of size k.
    shapley : array (..., p)
        Exact Shapley value (LMG, general dominance): the mean over k of ``conditional``.
    r2 : array (..., 2**p) or None
        Every subset's R² when it fits in memory (needed for complete dominance), else None.
    seconds : float
        Wall time of the walk.
    peak_bytes : int
        Largest working set of one block (bytes), the memory the walk needed beyond its inputs.
    blocks : int
        Blocks the lattice was walked in.
    """

    conditional: np.ndarray
    shapley: np.ndarray
    r2: np.ndarray | None
    seconds: float
    peak_bytes: int
    blocks: int


def _pack(M: np.ndarray) -> np.ndarray:
    """Upper triangles of a batch (N, m, m), row-major, batch last: (m(m+1)/2, N)."""
    i, j = np.triu_indices(M.shape[-1])
    return np.ascontiguousarray(M[:, i, j].T)


def _unpack(P: np.ndarray, m: int) -> np.ndarray:
    """Inverse of :func:`_pack`: (N, m, m)."""
    i, j = np.triu_indices(m)
    M = np.empty((P.shape[-1], m, m))
    M[:, i, j] = P.T
    M[:, j, i] = P.T
    return M


def _decide(P: np.ndarray, m: int, sizes: Sequence[int]) -> tuple[np.ndarray, int]:
    """Decide players in order on packed matrices ``P`` (m(m+1)/2, N).

    Returns the packed matrices of the remaining columns, (m'(m'+1)/2, 2**len(sizes) * N),
    and m'. Column ``mask * N + i`` holds item ``i`` with the players of ``mask`` (bit j =
    player j) Schur-complemented out and the others dropped. Dropping the leading row and
    column of a row-major packed triangle is a slice, so excluding a player costs one copy.
    """
    for b in sizes:
        P = _step(P, m) if b == 1 else _step_block(P, m, b)
        m -= b
    return P, m


def _step(P: np.ndarray, m: int) -> np.ndarray:
    """Exclude (drop) and include (Schur-complement out) the leading column: batch doubles."""
    n = P.shape[-1]
    out = np.empty(((m - 1) * m // 2, 2, n))
    out[:, 0] = P[m:]
    f = P[1:m] / P[0]  # T[0, j] / T[0, 0], j = 1..m-1
    start = 0
    for i in range(1, m):  # loop over the rows of one matrix (m), not over the batch
        width = m - i
        seg = out[start : start + width, 1]
        np.multiply(f[i - 1 :], P[i], out=seg)
        np.subtract(out[start : start + width, 0], seg, out=seg)
        start += width
    return out.reshape(-1, 2 * n)


def _step_block(P: np.ndarray, m: int, b: int) -> np.ndarray:
    """:func:`_step` for a player of ``b`` columns (a group), through full matrices."""
    M = _unpack(P, m)
    return np.concatenate([_pack(M[:, b:, b:]), _pack(_schur(M, b))], axis=1)


def _block_bytes(sizes: Sequence[int], m: int) -> int:
    """Peak bytes of one item of size ``m`` walked over players ``sizes`` (decide + sums)."""
    peak, left = m * m, m
    for level, b in enumerate(sizes):
        peak = max(peak, 2**level * left * left + 2 ** (level + 1) * (left - b) ** 2)
        left -= b
    return 8 * (peak + 4 * 2 ** len(sizes))


def available_bytes() -> int:
    """Memory the operating system reports as available (1 GiB when it cannot tell)."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 1 << 30


def plan(p: int, batch: int = 1, m: int | None = None) -> dict:
    """Time and memory an exact walk over ``2**p`` subsets (``batch`` replicates) needs."""
    q = min(p, LOW_PLAYERS)
    per_item = _block_bytes([1] * q, (m or p + 1) - (p - q))
    budget = int(min(1 << 30, available_bytes() // 4))
    return {
        "subsets": 2**p * batch,
        "seconds": 2**p * batch * SECONDS_PER_SUBSET,
        "block_bytes": per_item,
        "budget_bytes": budget,
        "items_per_block": max(1, budget // THREADS // max(per_item, 1)),
    }


def lattice(cov: np.ndarray, sizes: Sequence[int], n_controls: int = 0, keep: bool = True):
    """Walk every subset of players once, in blocks of bounded memory.

    The last players (beyond :data:`LOW_PLAYERS`) are decided first, giving one small matrix
    per pattern of them; each block then decides the first players for a batch of patterns and
    replicates, and adds its subsets' R² to per-size sums. Shapley values and conditional
    dominance are linear in the subset R²,

    .. math:: C_{jk} = \\binom{p-1}{k}^{-1}\\Big[\\sum_{T \\ni j, |T|=k+1} R^2(T)
              - \\sum_{S \\not\\ni j, |S|=k} R^2(S)\\Big],

    so the sums need no subset to be kept. Memory stays below a quarter of what the operating
    system reports available (at most 1 GiB).

    Parameters
    ----------
    cov : array (..., m, m)
        Covariances ordered ``[controls, player columns..., y]``; a leading batch axis holds
        bootstrap replicates.
    sizes : sequence of int
        Columns of each player.
    n_controls : int
        Leading columns always in the model.
    keep : bool
        Keep every subset's R² (up to :data:`KEEP_MAX_PLAYERS` players and an eighth of the
        memory budget).

    Returns
    -------
    Lattice
    """
    t0 = time.perf_counter()
    M = np.asarray(cov, dtype=float)
    lead = M.shape[:-2]
    M = M.reshape((-1,) + M.shape[-2:])
    nb, p = M.shape[0], len(sizes)
    vy = M[:, -1, -1].copy()
    if n_controls:
        M = _schur(M, n_controls)
    q = min(p, LOW_PLAYERS)
    n_low = int(sum(sizes[:q]))
    order = np.r_[n_low : M.shape[-1] - 1, 0:n_low, M.shape[-1] - 1]
    m = M.shape[-1]
    H, m_low = _decide(_pack(M[:, order][:, :, order]), m, sizes[q:])  # column = h * nb + b
    info = plan(p, nb, m)
    per_block = int(min(H.shape[1], info["items_per_block"]))
    keep_r2 = keep and p <= KEEP_MAX_PLAYERS and 2**p * nb * 8 <= info["budget_bytes"] // 8
    acc = _Accumulator(p, q, nb, keep_r2)
    starts = range(0, H.shape[1], per_block)

    def walk(start):
        rows = np.arange(start, min(start + per_block, H.shape[1]))
        resid = _decide(H[:, rows], m_low, sizes[:q])[0].reshape(2**q, len(rows))
        return rows, 1.0 - resid / vy[rows % nb]

    blocks = 0
    # the blocks run on our own threads: BLAS threads inside them would oversubscribe the cores
    # (and, on a busy machine, slow the small matrix products tenfold)
    limit = threadpool_limits(1) if 2**p * nb >= 1 << 14 else contextlib.nullcontext()
    with limit, ThreadPoolExecutor(max_workers=THREADS) as pool:  # numpy releases the GIL
        for rows, r2 in pool.map(walk, starts) if len(starts) > 1 else map(walk, starts):
            acc.add(r2, rows // nb, rows % nb)
            blocks += 1
    cond = acc.conditional()
    r2 = acc.r2.reshape(lead + (2**p,)) if keep_r2 else None
    return Lattice(
        conditional=cond.reshape(lead + (p, p)),
        shapley=cond.mean(axis=-1).reshape(lead + (p,)),
        r2=r2,
        seconds=time.perf_counter() - t0,
        peak_bytes=int(per_block * info["block_bytes"]),
        blocks=blocks,
    )


class _Accumulator:
    """Per-size sums of subset R²: ``inside[b, j, s]`` over subsets of size s holding j.

    A block's low-player subsets are split into two halves of bits; the R² are first summed over
    one half grouped by that half's size (a matrix product with a one-hot size matrix), then
    spread over the other half's players and sizes, so no (subsets x players) array is formed.
    """

    def __init__(self, p: int, q: int, nb: int, keep: bool):
        self.p, self.q, self.nb = p, q, nb
        self.q1 = q // 2
        self.lo = _halves(self.q1)
        self.hi = _halves(q - self.q1)
        self.inside = np.zeros((nb, p, p + 1))
        self.total = np.zeros((nb, p + 1))
        self.r2 = np.empty((nb, 2**p)) if keep else None

    def _low_sums(self, r2: np.ndarray):
        """(items, q, q+1) sums over subsets holding each low player, and (items, q+1) totals."""
        q, q1 = self.q, self.q1
        (o_lo, e_lo), (o_hi, e_hi) = self.lo, self.hi
        items = r2.shape[-1]
        r = r2.reshape(2 ** (q - q1), 2**q1, items)
        g = np.tensordot(o_hi, r, axes=([0], [0]))  # (s2, lo, items): summed over hi by size
        g2 = np.matmul(o_lo.T, r)  # (hi, s1, items): summed over lo by size
        a = np.einsum("ljs,tli->ijst", e_lo, g, optimize=True)  # (items, j_lo, s1, s2)
        c = np.einsum("hjt,hsi->ijst", e_hi, g2, optimize=True)  # (items, j_hi, s1, s2)
        tot2 = np.einsum("ls,tli->ist", o_lo, g, optimize=True)  # (items, s1, s2)
        inside = np.zeros((items, q, q + 1))
        total = np.zeros((items, q + 1))
        for s1 in range(q1 + 1):  # fold the two halves' sizes: s = s1 + s2
            w = q - q1 + 1
            inside[:, :q1, s1 : s1 + w] += a[:, :, s1, :]
            total[:, s1 : s1 + w] += tot2[:, s1, :]
        for s2 in range(q - q1 + 1):
            inside[:, q1:, s2 : s2 + q1 + 1] += c[:, :, :, s2]
        return inside, total

    def add(self, r2: np.ndarray, h: np.ndarray, b: np.ndarray) -> None:
        """Add a block: ``r2`` (2**q, items) for high-player patterns ``h`` and replicates ``b``."""
        q, p = self.q, self.p
        inside, total = self._low_sums(r2)
        hbits = (h[:, None] >> np.arange(p - q)) & 1
        shift = hbits.sum(axis=1)
        for k in np.unique(shift):  # loop over sizes of the high pattern (at most p - q + 1)
            sel = shift == k
            bb = b[sel]
            np.add.at(self.total[:, k : k + q + 1], bb, total[sel])
            np.add.at(self.inside[:, :q, k : k + q + 1], bb, inside[sel])
            hi = hbits[sel][:, :, None] * total[sel][:, None, :]
            np.add.at(self.inside[:, q:, k : k + q + 1], bb, hi)
        if self.r2 is not None:
            self.r2.reshape(self.nb, -1, 2**q)[b, h, :] = r2.T

    def conditional(self) -> np.ndarray:
        p = self.p
        norm = np.array([comb(p - 1, k) for k in range(p)], dtype=float)
        outside = self.total[:, None, :p] - self.inside[:, :, :p]
        return (self.inside[:, :, 1:] - outside) / norm


@functools.lru_cache(maxsize=8)
def _halves(q: int) -> tuple[np.ndarray, np.ndarray]:
    """One-hot size matrix (2**q, q+1) and bit-by-size tensor (2**q, q, q+1) of q players."""
    masks = np.arange(2**q)
    bits = ((masks[:, None] >> np.arange(q)) & 1).astype(float)
    onehot = np.eye(q + 1)[bits.sum(axis=1).astype(int)]
    return onehot, bits[:, :, None] * onehot[:, None, :]
