"""Maximum likelihood on log-parameters: one optimiser and one Hessian for every value model.

Every model of :mod:`cxmodels.value` hands :func:`maximise` a function returning the negative
log-likelihood and its gradient in the unconstrained parameterisation (logs of the positive
parameters, raw covariate coefficients). The Hessian for standard errors is the numeric core's
central difference (:func:`cxmodels._numeric.numerical_hessian`) of the analytic gradient (or of
the likelihood, when a model has no gradient), in the unconstrained scale; standard errors on the
natural scale follow by the delta method. Non-convergence warns with the one
:class:`cxmodels._numeric.ConvergenceWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._format import fmt_num, join_words
from .._numeric import ConvergenceWarning, numerical_hessian

__all__ = ["ConvergenceWarning", "Fit", "maximise", "numerical_hessian", "param_table"]


@dataclass(frozen=True)
class Fit:
    """What an optimisation returns: estimates, covariance and the log-likelihood."""

    theta: np.ndarray  # unconstrained estimates
    cov: np.ndarray  # covariance of theta (inverse observed information)
    loglik: float
    converged: bool
    n_iter: int
    message: str


def maximise(
    negll: Callable,
    theta0: np.ndarray,
    names: list[str],
    model: str,
    has_grad: bool = True,
    max_iter: int = 500,
    hessian: bool = True,
    ftol: float = 1e-14,
) -> Fit:
    """Minimise ``negll`` from ``theta0`` by L-BFGS-B (central-difference gradient without one).

    Warns with :class:`ConvergenceWarning`, naming the parameters reached, when the optimiser
    does not converge or the Hessian is not positive definite. ``hessian=False`` skips the
    Hessian (covariance NaN; for bootstrap refits, which need only the estimates).
    """
    with np.errstate(all="ignore"):
        fg = negll if has_grad else _with_central_gradient(negll)
        res = optimize.minimize(
            fg, theta0, jac=True, method="L-BFGS-B",
            options={"maxiter": max_iter, "ftol": ftol, "gtol": 1e-7 if has_grad else 1e-4},
        )  # fmt: skip
        H = numerical_hessian(negll, res.x, has_grad) if hessian else None
    if H is None:
        ll = -float(res.fun if np.ndim(res.fun) == 0 else res.fun[0])
        nan = np.full((res.x.size, res.x.size), np.nan)
        return Fit(res.x, nan, ll, bool(res.success), int(res.get("nit", 0)), str(res.message))
    ok_h = bool(np.all(np.isfinite(H)))
    try:
        cov = np.linalg.inv(H) if ok_h else np.full_like(H, np.nan)
        ok_h = ok_h and bool(np.all(np.linalg.eigvalsh(H) > 0))
    except np.linalg.LinAlgError:
        cov, ok_h = np.full_like(H, np.nan), False
    ll = -float(res.fun if np.ndim(res.fun) == 0 else res.fun[0])
    converged = bool(res.success) or _small_gradient(negll, res.x, has_grad)
    if not (converged and ok_h and np.isfinite(ll)):
        reached = join_words(f"{n} = {fmt_num(v, 4)}" for n, v in zip(names, res.x, strict=True))
        warnings.warn(
            f"{model}: the optimiser did not converge cleanly ({res.message}); parameters "
            f"reached (log scale for positive ones): {reached}. Standard errors may be "
            "unreliable: check the data (enough repeat buyers?) or simplify the model.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return Fit(res.x, cov, ll, converged and ok_h, int(res.get("nit", 0)), str(res.message))


def _with_central_gradient(f, rel_step: float = 1e-6):
    """``f`` returning (value, central-difference gradient), for models without an analytic one."""

    def fg(theta):
        h = rel_step * np.maximum(1.0, np.abs(theta))
        g = np.array([(f(theta + e) - f(theta - e)) / (2 * e.max()) for e in np.diag(h)])
        return f(theta), g

    return fg


def _small_gradient(negll, theta, has_grad) -> bool:
    """True when the gradient (central differences without an analytic one) is near zero."""
    f0, g = (negll if has_grad else _with_central_gradient(negll, 1e-5))(theta)
    return bool(np.all(np.abs(g) < 1e-3 * max(1.0, abs(f0) / 1e4)))


def param_table(
    fit: Fit, names: list[str], positive: list[bool], level: float = 0.95
) -> pd.DataFrame:
    """Estimates on the natural scale with delta-method standard errors and Wald intervals.

    Positive parameters are estimated on the log scale: their interval is
    ``exp(log_est -/+ z se_log)`` (always positive) and ``se = est * se_log``.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    th = fit.theta
    se_u = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
    pos = np.asarray(positive)
    est = np.where(pos, np.exp(th), th)
    se = np.where(pos, est * se_u, se_u)
    lo = np.where(pos, np.exp(th - z * se_u), th - z * se_u)
    hi = np.where(pos, np.exp(th + z * se_u), th + z * se_u)
    return pd.DataFrame(
        {"parameter": names, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi}
    )
