"""The logistic mixed model engine: lme4's Laplace approximation, random intercepts.

For 0/1 answers :math:`y_i` in groups :math:`g(i)`, :math:`\\eta_i = x_i'\\beta + \\theta u_g`,
:math:`u_g \\sim N(0, 1)` (spherical effects; the branch effect is :math:`b_g = \\theta u_g`).
At the conditional modes :math:`\\tilde u` (penalised IRLS; with one grouping factor and a
random intercept each group is one Newton equation, solved for all groups at once) the
Laplace approximation of :math:`-2\\log L` is lme4's ``nAGQ = 1`` deviance

.. math::
   d(\\theta, \\beta) = \\sum_i d_i(y_i, \\mu_i) + \\sum_g \\tilde u_g^2 + \\sum_g \\log L_g^2,
   \\qquad L_g^2 = 1 + \\theta^2 \\sum_{i \\in g} \\mu_i (1 - \\mu_i),

with :math:`d_i = -2[y_i\\log\\mu_i + (1 - y_i)\\log(1-\\mu_i)]`. It is minimised over
:math:`(\\theta, \\beta)` jointly by L-BFGS-B (lme4's second stage); the covariance of
:math:`\\hat\\beta` is the :math:`\\beta` block of :math:`2 H^{-1}`, :math:`H` the Hessian of
:math:`d` by finite differences (lme4's ``vcov`` with ``use.hessian = TRUE``).

References
----------
Bates, D., Maechler, M., Bolker, B. and Walker, S. (2015). Fitting linear mixed-effects models
using lme4. *Journal of Statistical Software* 67(1), section 5 (``glmer``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from ._lmm import central_hessian


@dataclass(frozen=True)
class Data:
    y: np.ndarray
    X: np.ndarray
    g: np.ndarray
    G: int


@dataclass(frozen=True)
class Fit:
    theta: float
    beta: np.ndarray
    deviance: float
    vcov: np.ndarray  # of beta
    b: np.ndarray  # branch effects (conditional modes)
    b_var: np.ndarray  # their conditional variances


def _modes(d: Data, theta: float, beta: np.ndarray, u: np.ndarray | None = None):
    """Conditional modes ``u`` and the weights sum per group, by Newton steps for all groups."""
    off = d.X @ beta
    u = np.zeros(d.G) if u is None else u.copy()
    for _ in range(100):
        mu = special.expit(off + theta * u[d.g])
        grad = theta * np.bincount(d.g, d.y - mu, d.G) - u
        hess = theta**2 * np.bincount(d.g, mu * (1 - mu), d.G) + 1
        step = grad / hess
        u += step
        if np.max(np.abs(step)) < 1e-13:
            break
    mu = special.expit(off + theta * u[d.g])
    return u, mu, 1 + theta**2 * np.bincount(d.g, mu * (1 - mu), d.G)


def deviance(d: Data, par: np.ndarray, warm: dict | None = None) -> float:
    """Laplace deviance at ``par = (theta, beta...)``; ``warm`` keeps the last modes, the
    start of the next evaluation's Newton steps (the optimum does not depend on it)."""
    theta, beta = abs(float(par[0])), np.asarray(par[1:], float)
    u, mu, L2 = _modes(d, theta, beta, None if warm is None else warm.get("u"))
    if warm is not None:
        warm["u"] = u
    eta = d.X @ beta + theta * u[d.g]
    ll = d.y * eta - np.logaddexp(0, eta)  # log p(y | mu), stable for large |eta|
    return float(-2 * ll.sum() + u @ u + np.log(L2).sum())


def _glm_start(d: Data) -> np.ndarray:
    """Ordinary logistic regression by IRLS: the start of ``beta``."""
    beta = np.zeros(d.X.shape[1])
    for _ in range(50):
        mu = special.expit(d.X @ beta)
        w = np.maximum(mu * (1 - mu), 1e-10)
        step = np.linalg.solve((d.X * w[:, None]).T @ d.X, d.X.T @ (d.y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    return beta


def _standardising(X: np.ndarray) -> np.ndarray:
    """The matrix ``A`` with ``X A`` = the intercept and the other columns centred and scaled.

    The optimiser works on ``beta_s`` of ``X A`` (a level-7 staff score beside the intercept
    makes the deviance a long narrow valley otherwise); ``beta = A beta_s``.
    """
    m, s = X[:, 1:].mean(axis=0), X[:, 1:].std(axis=0)
    s = np.where(s > 0, s, 1.0)
    A = np.eye(X.shape[1])
    A[1:, 1:] = np.diag(1 / s)
    A[0, 1:] = -m / s
    return A


def fit(y: np.ndarray, X: np.ndarray, g: np.ndarray, G: int, theta0: bool = False) -> Fit:
    """The Laplace fit (``theta0``: the model without branch variance, an ordinary GLM)."""
    A = _standardising(X)
    f = _fit(Data(np.asarray(y, float), X @ A, g, G), theta0)
    return Fit(f.theta, A @ f.beta, f.deviance, A @ f.vcov @ A.T if f.vcov.size else f.vcov,
               f.b, f.b_var)  # fmt: skip


def _fit(d: Data, theta0: bool) -> Fit:
    beta0 = _glm_start(d)
    if theta0:
        return Fit(0.0, beta0, deviance(d, np.r_[0.0, beta0]), np.empty((0, 0)), np.zeros(d.G),
                   np.zeros(d.G))  # fmt: skip

    warm: dict = {}

    def f(par):
        return deviance(d, par, warm)

    bounds = [(0, None)] + [(None, None)] * len(beta0)
    r = optimize.minimize(f, np.r_[1.0, beta0], method="L-BFGS-B", bounds=bounds,
                          options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 500})  # fmt: skip
    par = r.x  # the deviance is flat here: a Newton polish moves beta by 3e-7, d by 1e-12
    H = central_hessian(f, par, np.arange(par.size), 1e-4)
    free = slice(1, None) if par[0] < 1e-4 else slice(0, None)  # theta on its bound: fixed
    cov = 2 * np.linalg.inv(H[free, free])
    vcov = cov[-len(beta0) :, -len(beta0) :]
    theta, beta = float(par[0]), par[1:]
    u, _, L2 = _modes(d, theta, beta)
    return Fit(theta, beta, f(par), vcov, theta * u, theta**2 / L2)
