"""The linear mixed model engine: lme4's profiled (RE)ML deviance for one grouping factor.

The model is :math:`y = X\\beta + Z b + \\varepsilon`, :math:`b_g \\sim N(0, \\sigma^2\\Lambda
\\Lambda')` for each group :math:`g`, :math:`\\varepsilon \\sim N(0, \\sigma^2 I)`, with
:math:`\\Lambda` the lower-triangular relative covariance factor with parameters :math:`\\theta`
(lme4's parametrisation, Bates et al. 2015, section 3). With one grouping factor
:math:`Z'Z` is block diagonal, so every quantity of the penalised least-squares problem is a sum
over groups of :math:`q\\times q` blocks: the data enter only through the per-group cross
products :math:`Z_g'Z_g`, :math:`Z_g'X_g`, :math:`Z_g'y_g` computed once. Each deviance
evaluation costs :math:`O(G q^3 + G q p^2)`, independent of the number of rows.

For a given :math:`\\theta`, with :math:`L_g L_g' = \\Lambda' Z_g'Z_g \\Lambda + I`,
:math:`c_{u,g} = L_g^{-1}\\Lambda' Z_g'y`, :math:`C_{X,g} = L_g^{-1}\\Lambda' Z_g'X`,
:math:`R_X'R_X = X'X - \\sum_g C_{X,g}'C_{X,g}`, :math:`c_\\beta = R_X^{-T}(X'y - \\sum_g
C_{X,g}'c_{u,g})` and the penalised residual sum of squares :math:`r^2 = y'y - \\sum_g
\\lVert c_{u,g}\\rVert^2 - \\lVert c_\\beta\\rVert^2`, the profiled deviances are

.. math::
   d_{ML} = \\log|L|^2 + n\\,[1 + \\log(2\\pi r^2/n)], \\qquad
   d_{REML} = \\log|L|^2 + \\log|R_X|^2 + (n-p)\\,[1 + \\log(2\\pi r^2/(n-p))].

References
----------
Bates, D., Maechler, M., Bolker, B. and Walker, S. (2015). Fitting linear mixed-effects models
using lme4. *Journal of Statistical Software* 67(1), 1-48.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

LOG2PI = np.log(2 * np.pi)


@dataclass(frozen=True)
class Crossprods:
    """The sufficient statistics of the model: per-group and global cross products."""

    ZtZ: np.ndarray  # G x q x q
    ZtX: np.ndarray  # G x q x p
    Zty: np.ndarray  # G x q
    XtX: np.ndarray  # p x p
    Xty: np.ndarray  # p
    yty: float
    n: int

    @property
    def q(self) -> int:
        return self.ZtZ.shape[1]

    @property
    def p(self) -> int:
        return self.XtX.shape[0]


def _by_group(g: np.ndarray, A: np.ndarray, B: np.ndarray, n_groups: int) -> np.ndarray:
    r""":math:`\sum_{i \in g} A_{ia} B_{ib}` for every group, as a G x a x b array (one
    ``bincount`` per column pair; a column of ones is not multiplied)."""
    out = np.empty((n_groups, A.shape[1], B.shape[1]))
    ones_a = [bool(np.all(A[:, i] == 1)) for i in range(A.shape[1])]
    for i in range(A.shape[1]):
        for j in range(B.shape[1]):
            w = B[:, j] if ones_a[i] else A[:, i] * B[:, j]
            out[:, i, j] = np.bincount(g, w, n_groups)
    return out


def crossprods(y: np.ndarray, X: np.ndarray, Z: np.ndarray, g: np.ndarray, n_groups: int):
    """Cross products of ``y`` (n), ``X`` (n x p), ``Z`` (n x q) by group codes ``g`` (0..G-1).

    Every group code must occur at least once.
    """
    return Crossprods(
        _by_group(g, Z, Z, n_groups), _by_group(g, Z, X, n_groups),
        _by_group(g, Z, y[:, None], n_groups)[:, :, 0], X.T @ X, X.T @ y, float(y @ y), len(y),
    )  # fmt: skip


def lambda_of(theta: np.ndarray, q: int) -> np.ndarray:
    """The lower-triangular factor from ``theta`` (lme4's order: column by column)."""
    lam = np.zeros((q, q))
    lam[np.triu_indices(q)[::-1]] = theta  # (row, col) of the lower triangle, column-wise
    return lam


def theta_lower(q: int) -> np.ndarray:
    """Lower bounds of ``theta``: 0 for the diagonal, none below it."""
    rows, cols = np.triu_indices(q)[::-1]
    return np.where(rows == cols, 0.0, -np.inf)


@dataclass(frozen=True)
class Solution:
    """Everything the deviance at one ``theta`` gives: estimates, factors and the deviance."""

    theta: np.ndarray
    beta: np.ndarray
    sigma2: float
    deviance: float
    lam: np.ndarray
    L: np.ndarray  # G x q x q
    RXtRX: np.ndarray
    u: np.ndarray  # G x q spherical random effects


def _lsolve(L: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``L^{-1} B`` for a stack of small matrices (a division when they are 1 x 1)."""
    return B / L if L.shape[1] == 1 else np.linalg.solve(L, B)


def solve(cp: Crossprods, theta: np.ndarray, reml: bool, full: bool = False):
    """The profiled deviance at ``theta`` (and, with ``full``, the :class:`Solution`)."""
    lam = lambda_of(np.asarray(theta, float), cp.q)
    M = np.einsum("ji,gjk,kl->gil", lam, cp.ZtZ, lam) + np.eye(cp.q)
    L = np.linalg.cholesky(M)
    cu = _lsolve(L, (lam.T @ cp.Zty[:, :, None]))[:, :, 0]
    CX = _lsolve(L, lam.T @ cp.ZtX)
    RXtRX = cp.XtX - np.einsum("gqi,gqj->ij", CX, CX)
    rhs = cp.Xty - np.einsum("gqi,gq->i", CX, cu)
    RX = np.linalg.cholesky(RXtRX)
    cb = np.linalg.solve(RX, rhs)
    r2 = cp.yty - float(np.sum(cu**2)) - float(cb @ cb)
    n, p = cp.n, cp.p
    ldL2 = 2 * float(np.sum(np.log(np.diagonal(L, axis1=1, axis2=2))))
    if reml:
        df = n - p
        dev = ldL2 + 2 * float(np.sum(np.log(np.diag(RX)))) + df * (1 + LOG2PI + np.log(r2 / df))
    else:
        df = n
        dev = ldL2 + n * (1 + LOG2PI + np.log(r2 / n))
    if not full:
        return dev
    beta = np.linalg.solve(RX.T, cb)
    u = _lsolve(np.swapaxes(L, 1, 2), (cu - CX @ beta)[:, :, None])[:, :, 0]
    return Solution(np.asarray(theta, float), beta, r2 / df, dev, lam, L, RXtRX, u)


def optimise(cp: Crossprods, reml: bool, start: np.ndarray | None = None) -> Solution:
    """Minimise the profiled deviance over ``theta`` (bounded quasi-Newton, then polished).

    L-BFGS-B finds the basin; a bounded Nelder-Mead with tight tolerances polishes it, so the
    optimum is converged far below the 1e-6 of the lme4 comparison (lme4 itself uses the
    derivative-free BOBYQA).
    """
    q = cp.q
    lower = theta_lower(q)
    x0 = np.where(lower == 0, 1.0, 0.0) if start is None else np.asarray(start, float)
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]

    def f(th):
        return solve(cp, th, reml)

    r = optimize.minimize(
        f, x0, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10}
    )
    nm_bounds = [(lo if np.isfinite(lo) else -np.inf, np.inf) for lo in lower]
    r = optimize.minimize(
        f, r.x, method="Nelder-Mead", bounds=nm_bounds,
        options={"xatol": 1e-11, "fatol": 1e-15 * max(abs(r.fun), 100.0), "maxiter": 5_000,
                 "initial_simplex": _simplex(r.x, lower)},
    )  # fmt: skip
    return solve(cp, _newton_polish(f, r.x, lower), reml, full=True)


def _newton_polish(f, x: np.ndarray, lower: np.ndarray, steps: int = 4) -> np.ndarray:
    """Newton steps on the free coordinates with central-difference derivatives.

    Nelder-Mead stops where the deviance is flat to its ``fatol``, with a gradient of ~1e-5
    left; the variance components then still move in the 6th digit. The gradient by central
    differences with a small step (1e-5; round-off ~1e-6) and the Hessian with a larger one
    (1e-3) take the gradient to the round-off level. Parameters on a bound stay there.
    """
    hg, hh = 1e-5, 1e-3
    for _ in range(steps):
        free = np.flatnonzero(x - lower > 10 * hh)
        if free.size == 0:
            break
        f0 = f(x)
        grad = np.array([(f(x + e) - f(x - e)) / (2 * hg) for e in np.eye(x.size)[free] * hg])
        H = central_hessian(f, x, free, hh)
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 1e-2:
            break
        x_new = x.copy()
        x_new[free] -= step
        if f(x_new) > f0 + 1e-9:  # no real increase (the deviance is flat to ~1e-11 here)
            break
        x = x_new
    return x


def central_hessian(f, x: np.ndarray, free: np.ndarray, h: float) -> np.ndarray:
    """Hessian of ``f`` at ``x`` over the coordinates ``free``, by central differences."""
    E = np.eye(x.size)[free] * h
    k = len(E)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            a, b = E[i], E[j]
            H[i, j] = H[j, i] = (f(x + a + b) - f(x + a - b) - f(x - a + b) + f(x - a - b)) / (
                4 * h * h
            )
    return H


def _simplex(x: np.ndarray, lower: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """A small simplex around ``x`` inside the bounds."""
    pts = [x]
    for i in range(x.size):
        e = x.copy()
        e[i] = e[i] + step if e[i] - step < lower[i] else e[i] - step
        pts.append(e)
    return np.array(pts)


def fixed_vcov(sol: Solution) -> np.ndarray:
    """Covariance of the fixed effects given ``theta``: :math:`\\sigma^2 (R_X'R_X)^{-1}`."""
    return sol.sigma2 * np.linalg.inv(sol.RXtRX)


def random_cov(sol: Solution) -> np.ndarray:
    """Covariance of the random effects: :math:`\\sigma^2 \\Lambda\\Lambda'`."""
    return sol.sigma2 * sol.lam @ sol.lam.T


def conditional_modes(sol: Solution) -> tuple[np.ndarray, np.ndarray]:
    """Branch effects (BLUPs, G x q) and their conditional covariances (G x q x q).

    :math:`b_g = \\Lambda u_g`, :math:`\\mathrm{Var}(b_g\\mid y) = \\sigma^2 \\Lambda (L_g L_g')^{-1}
    \\Lambda'` (lme4's ``ranef(condVar = TRUE)``).
    """
    b = sol.u @ sol.lam.T
    Linv = np.linalg.inv(sol.L)
    cov = sol.sigma2 * np.einsum("ij,gkj,gkl,ml->gim", sol.lam, Linv, Linv, sol.lam)
    return b, cov


def loglik(sol: Solution) -> float:
    """The (restricted) log-likelihood at the optimum, ``-deviance / 2``."""
    return -sol.deviance / 2
