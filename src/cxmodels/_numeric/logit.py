r"""The one logistic regression: Newton with step halving, a ridge only when it is needed.

Maximises the (weighted) log-likelihood :math:`\ell(\beta) = \sum_i w_i[y_i\eta_i -
\log(1 + e^{\eta_i})]`, :math:`\eta = X\beta`, by :func:`cxmodels._numeric.newton.newton` with the
analytic gradient :math:`X^\top W(y - p)` and Hessian :math:`X^\top \mathrm{diag}(w p(1-p)) X`
(IRLS). The unpenalised fit is tried first; only when it fails (the Hessian is singular, because
columns are aliased, or the fit does not converge, as under separation) is it refitted with the
ridge :math:`\tfrac{\lambda}{2}\lVert\beta\rVert^2`, :math:`\lambda` = :data:`RIDGE_WHEN_NEEDED`
(intercept included), and the result says so (``ridge``, ``reason``, ``aliased``). With
``ridge=`` given, that ridge is applied from the start.

External reference: statsmodels ``Logit(...).fit(method="newton")`` (tests/test_numeric.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .._linalg import collinear_columns, constant_mask
from .newton import newton, pd_inverse

#: The ridge a failed unpenalised fit is refitted with: large enough to make the Hessian
#: invertible, small enough to leave identified coefficients unchanged to about 1e-6.
RIDGE_WHEN_NEEDED = 1e-6

#: Why a fit needed the ridge.
REASONS = ("singular", "separation", "not_converged")


@dataclass(frozen=True, eq=False)
class LogitFit:
    """A logistic fit.

    Attributes
    ----------
    params : ndarray
        Coefficients (in the columns of ``X``).
    cov : ndarray
        Inverse of the (penalised) Hessian at ``params``; NaN where it is singular.
    llf : float
        The unpenalised log-likelihood at ``params``.
    converged : bool
        The last Newton step was below ``tol``.
    iterations : int
    ridge : float
        The ridge applied: 0.0 for a plain maximum-likelihood fit.
    reason : str or None
        Why the ridge was needed (``"singular"``, ``"separation"`` or ``"not_converged"``);
        None when it was not (or was asked for).
    aliased : tuple of int
        Positions of columns that are linear combinations of earlier ones (among rows with
        positive weight); empty when ``X`` has full rank.
    """

    params: np.ndarray
    cov: np.ndarray
    llf: float
    converged: bool
    iterations: int
    ridge: float = 0.0
    reason: str | None = None
    aliased: tuple[int, ...] = ()

    @property
    def regularised(self) -> bool:
        """A ridge was applied."""
        return self.ridge > 0


def _objective(X, y, w, ridge):
    def f(beta):
        eta = X @ beta
        p = expit(eta)
        nll = w @ (np.logaddexp(0.0, eta) - y * eta) + 0.5 * ridge * (beta @ beta)
        return float(nll), X.T @ (w * (p - y)) + ridge * beta

    return f


def _hessian(X, w, ridge):
    eye = ridge * np.eye(X.shape[1])

    def h(beta):
        p = expit(X @ beta)
        return (X * (w * p * (1 - p))[:, None]).T @ X + eye

    return h


def _fit(X, y, w, ridge, max_iter, tol):
    start = np.zeros(X.shape[1])
    return newton(_objective(X, y, w, ridge), start, _hessian(X, w, ridge), max_iter=max_iter,
                  tol=tol)  # fmt: skip


def _aliased(X: np.ndarray, w: np.ndarray) -> tuple[int, ...]:
    """Columns aliased with earlier ones among rows of positive weight (the first constant
    column is the intercept, not aliased)."""
    A = X[w > 0]
    const = np.flatnonzero(constant_mask(A))
    keep = [j for j in range(X.shape[1]) if not (len(const) and j == const[0])]
    names = [str(j) for j in keep]
    return tuple(int(j) for j in collinear_columns(A[:, keep], names=names))


def logit(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    *,
    ridge: float | None = None,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> LogitFit:
    """Weighted logistic regression of ``y`` (0/1) on ``X`` (include the intercept column).

    Parameters
    ----------
    X : ndarray (n, k)
    y : ndarray (n,)
    w : ndarray (n,), optional
        Case weights (frequency weights: a bootstrap's counts).
    ridge : float, optional
        Apply this ridge from the start. Default: none, unless the unpenalised fit fails, when
        :data:`RIDGE_WHEN_NEEDED` is applied and the result says why.
    max_iter, tol : int, float
        Newton iterations; converged when the largest step is below ``tol``.

    Returns
    -------
    LogitFit
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    lam = 0.0 if ridge is None else float(ridge)
    hess = _hessian(X, w, lam)
    reason = None
    if ridge is None and not pd_inverse(hess(np.zeros(X.shape[1])))[1]:
        reason = "singular"  # X'WX itself is singular: aliased columns, no unique optimum
    else:
        res = _fit(X, y, w, lam, max_iter, tol)
        cov, ok = pd_inverse(hess(res.x))
        if ridge is None and not (ok and res.converged):
            reason = _reason(res, ok, X @ res.x)
    if reason is not None:
        lam = RIDGE_WHEN_NEEDED
        res = _fit(X, y, w, lam, max_iter, tol)
        cov, ok = pd_inverse(_hessian(X, w, lam)(res.x))
    llf = -_objective(X, y, w, 0.0)(res.x)[0]
    aliased = _aliased(X, w) if reason == "singular" else ()
    return LogitFit(res.x, cov, llf, res.converged, res.iterations, lam, reason, aliased)


def _reason(res, ok: bool, eta: np.ndarray) -> str:
    """Why the unpenalised fit failed: separation, a singular Hessian or non-convergence."""
    if np.max(np.abs(eta), initial=0.0) > 15:  # X'WX was regular at the start: the weights
        return "separation"  # p(1 - p) vanished, fitted probabilities within 3e-7 of 0 or 1
    if not ok or res.stopped == "singular":
        return "singular"
    return "not_converged"
