r"""Accelerated failure time likelihoods, fitted to R ``survreg``'s optimum.

:math:`\log T = x^\top\beta + \sigma\varepsilon` with :math:`\varepsilon` extreme-value (Weibull),
logistic (log-logistic) or normal (log-normal). With :math:`z = (\log t - x^\top\beta)/\sigma`,
:math:`a = \log f_\varepsilon` and :math:`b = \log S_\varepsilon`,

.. math::

    \ell(\beta, \log\sigma) = \sum_i \delta_i \bigl(a(z_i) - \log\sigma - \log t_i\bigr)
    + (1 - \delta_i)\, b(z_i)

(R ``survreg``'s log-likelihood, on the time scale). It is maximised by BFGS with the analytic
gradient and polished by Newton steps on the Hessian of that gradient (central differences),
each step halved until the log-likelihood does not fall (:func:`newton_polish`; a step that
cannot improve it ends the polish at the last accepted point, whose log-likelihood and gradient
are the ones reported), so the coefficients agree with ``survreg`` to 1e-8 where lifelines' optimiser stops early (its
log-logistic fit of R's ``lung`` data stops 1e-4 short in log-likelihood).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import expit
from scipy.stats import norm

from .._numeric import newton, numerical_hessian


def _terms(dist: str, z: np.ndarray):
    """a(z), a'(z), b(z), b'(z)."""
    if dist == "weibull":
        ez = np.exp(z)
        return z - ez, 1 - ez, -ez, -ez
    if dist == "loglogistic":
        sp = np.logaddexp(0, z)
        p = expit(z)
        return z - 2 * sp, 1 - 2 * p, -sp, -p
    lsf = norm.logsf(z)
    return norm.logpdf(z), -z, lsf, -np.exp(norm.logpdf(z) - lsf)


def _negll(theta, X1, y, E, dist):
    b, s = theta[:-1], theta[-1]
    sigma = np.exp(s)
    z = (y - X1 @ b) / sigma
    a, da, bb, db = _terms(dist, z)
    ll = np.sum(E * (a - s - y) + (1 - E) * bb)
    w = E * da + (1 - E) * db
    g_b = -(X1.T @ w) / sigma
    g_s = -(w @ z) - E.sum()
    return -ll, -np.r_[g_b, g_s]


def _hessian(theta, args):
    """The Hessian of the negative log-likelihood (central differences of its gradient)."""
    return numerical_hessian(lambda th: _negll(th, *args), theta)


@dataclass(frozen=True, eq=False)
class AFTFit:
    """``coef`` (intercept first), ``cov`` (of coef and log sigma), ``loglik``, ``converged``."""

    coef: np.ndarray
    log_scale: float
    cov: np.ndarray
    loglik: float
    converged: bool
    iterations: int


def fit_aft(X: np.ndarray, T: np.ndarray, E: np.ndarray, dist: str) -> AFTFit:
    """Maximum likelihood for the AFT model ``dist`` (design ``X`` without intercept)."""
    X1 = np.column_stack([np.ones(len(T)), X])
    y = np.log(T)
    E = E.astype(float)
    b0, *_ = np.linalg.lstsq(X1, y, rcond=None)
    s0 = np.log(max(np.std(y - X1 @ b0), 1e-3))
    args = (X1, y, E, dist)
    res = optimize.minimize(
        _negll,
        np.r_[b0, s0],
        args=args,
        jac=True,
        method="BFGS",
        options={"gtol": 1e-6, "maxiter": 2000},
    )
    theta, f, g = newton_polish(res.x, args)
    H = _hessian(theta, args)
    ok = bool(np.all(np.isfinite(theta)) and np.max(np.abs(g)) < 1e-6 * max(1.0, abs(f)))
    return AFTFit(theta[:-1], float(theta[-1]), np.linalg.inv(H), -float(f), ok, int(res.nit))


def newton_polish(theta, args, max_iter: int = 8, max_halvings: int = 30):
    """Newton steps on the negative log-likelihood with step halving (:func:`newton`).

    Each step :math:`-H^{-1}g` is halved until the negative log-likelihood is finite and not
    above the current value (within rounding); when no halving achieves that (or ``H`` is
    singular) the polish stops at the last accepted point.

    Returns
    -------
    theta, f, g
        The accepted point, its negative log-likelihood and gradient (always evaluated at
        ``theta``, never carried over from a rejected step).
    """
    res = newton(lambda th: _negll(th, *args), theta, lambda th: _hessian(th, args),
                 max_iter=max_iter, tol=1e-12, max_halvings=max_halvings)  # fmt: skip
    return res.x, res.fun, res.grad


def survival(dist: str, z: np.ndarray) -> np.ndarray:
    """:math:`S_\\varepsilon(z)`."""
    return np.exp(_terms(dist, z)[2])


#: :math:`\varepsilon`'s median: the median time is :math:`\exp(x^\top\beta + \sigma q)`.
MEDIAN_Z = {"weibull": float(np.log(np.log(2))), "loglogistic": 0.0, "lognormal": 0.0}
