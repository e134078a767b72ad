r"""Newton's method with step halving, and the one numerical Hessian.

:func:`newton` minimises a smooth objective :math:`f` from its value and gradient and a
Hessian: each step :math:`-H^{-1}g` is halved until :math:`f` is finite and not above its current
value (within rounding, :math:`8\epsilon\max(1, |f|)`). A step that no halving makes acceptable, or
a Hessian that cannot be solved, ends the iteration at the last accepted point. The point
returned always comes with its own value and gradient, evaluated there and never carried over
from a rejected step (R ``survival``'s ``coxph.fit`` and statsmodels' ``newton`` follow the same
rule).

:func:`numerical_hessian` is the central difference of an analytic gradient, or the second
central difference of the function when there is no gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: ``(f, g) = objective(x)``: the value and the gradient at ``x``.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True, eq=False)
class NewtonResult:
    """The accepted point ``x`` with its value ``fun`` and gradient ``grad``.

    ``converged``: the last accepted step was below ``tol`` (or ``done`` held);
    ``iterations``: Newton iterations taken; ``halvings``: step halvings over all iterations;
    ``stopped``: ``None``, ``"singular"`` (the Hessian could not be solved) or
    ``"no_descent"`` (no halving of a step lowered the objective).
    """

    x: np.ndarray
    fun: float
    grad: np.ndarray
    converged: bool
    iterations: int
    halvings: int
    stopped: str | None = None


def newton(
    objective: Objective,
    x0: np.ndarray,
    hessian: Callable[[np.ndarray], np.ndarray],
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
    max_halvings: int = 30,
    solve: Callable[[np.ndarray, np.ndarray], np.ndarray] = np.linalg.solve,
    done: Callable[[np.ndarray, float, np.ndarray], bool] | None = None,
) -> NewtonResult:
    """Minimise ``objective`` by Newton steps with step halving.

    Parameters
    ----------
    objective : callable
        ``x -> (f, g)``, the objective and its gradient.
    x0 : ndarray
        Starting point.
    hessian : callable
        ``x -> H``, the Hessian of ``f`` at ``x``.
    max_iter : int
        Most Newton iterations.
    tol : float
        Converged when the largest component of an accepted step is below ``tol``.
    max_halvings : int
        Most halvings of one step.
    solve : callable
        ``(H, g) -> step``; ``numpy.linalg.solve`` by default (a least-squares solver gives the
        minimum-norm step when ``H`` is singular by construction).
    done : callable, optional
        ``(x, f, g) -> bool``, checked before each step: a stopping rule on the point itself
        (a residual, say) in place of the step size.

    Returns
    -------
    NewtonResult
    """
    x = np.asarray(x0, dtype=float).copy()
    f, g = objective(x)
    halvings = 0
    for it in range(1, max_iter + 1):  # Newton iterations (a few), vectorised inside
        if done is not None and done(x, f, g):
            return NewtonResult(x, float(f), g, True, it, halvings)
        try:
            step = solve(hessian(x), g)
        except np.linalg.LinAlgError:
            return NewtonResult(x, float(f), g, False, it, halvings, "singular")
        accepted = _halve(objective, x, step, f, max_halvings)
        if accepted is None:
            return NewtonResult(x, float(f), g, False, it, halvings, "no_descent")
        x, f, g, size, k = accepted
        halvings += k
        if done is None and size < tol:
            return NewtonResult(x, float(f), g, True, it, halvings)
    return NewtonResult(x, float(f), g, False, max_iter, halvings)


def _halve(objective: Objective, x, step, f, max_halvings: int):
    """The first of ``x - step / 2^k`` that does not raise the objective, or None."""
    if not np.all(np.isfinite(step)):
        return None
    slack = 8 * np.finfo(float).eps * max(1.0, abs(f))
    lam = 1.0
    for k in range(max_halvings):  # halvings of one step
        cand = x - lam * step
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fc, gc = objective(cand)
        if np.isfinite(fc) and fc <= f + slack:
            return cand, fc, gc, float(np.max(np.abs(lam * step), initial=0.0)), k
        lam /= 2
    return None


def numerical_hessian(
    f: Callable[[np.ndarray], tuple[float, np.ndarray] | float],
    theta: np.ndarray,
    has_grad: bool = True,
    rel_step: float = 1e-5,
) -> np.ndarray:
    r"""Central-difference Hessian of ``f`` at ``theta``.

    Parameters
    ----------
    f : callable
        ``theta -> (value, gradient)`` when ``has_grad``, else ``theta -> value``.
    theta : ndarray
    has_grad : bool
        Difference the analytic gradient (one pair of gradients per parameter) instead of the
        function (four values per pair of parameters).
    rel_step : float
        Step :math:`h_j = \text{rel\_step}\cdot\max(1, |\theta_j|)` (at least 1e-4 without a
        gradient, where rounding of the function dominates smaller steps).

    Returns
    -------
    ndarray
        The symmetric ``k x k`` Hessian.

    Notes
    -----
    With a gradient, column :math:`j` is :math:`(g(\theta + h_j e_j) - g(\theta - h_j e_j)) /
    2h_j`, symmetrised as :math:`(H + H^\top)/2`; without one, the diagonal is
    :math:`(f(\theta + h_i e_i) - 2f(\theta) + f(\theta - h_i e_i))/h_i^2` and the off-diagonal
    the four-point difference :math:`(f_{++} - f_{+-} - f_{-+} + f_{--}) / 4h_ih_j`.
    """
    theta = np.asarray(theta, dtype=float)
    k = theta.size
    h = rel_step * np.maximum(1.0, np.abs(theta))
    H = np.empty((k, k))
    if has_grad:
        for j in range(k):  # loop over parameters, not rows
            e = np.zeros(k)
            e[j] = h[j]
            H[:, j] = (f(theta + e)[1] - f(theta - e)[1]) / (2 * h[j])
        return (H + H.T) / 2
    h = np.maximum(h, 1e-4)
    f0 = f(theta)
    for i in range(k):  # pairs of parameters (a few)
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            if i == j:
                H[i, i] = (f(theta + ei) - 2 * f0 + f(theta - ei)) / h[i] ** 2
            else:
                H[i, j] = H[j, i] = (
                    f(theta + ei + ej)
                    - f(theta + ei - ej)
                    - f(theta - ei + ej)
                    + f(theta - ei - ej)
                ) / (4 * h[i] * h[j])
    return H


def pd_inverse(H: np.ndarray, rtol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """Inverse of a symmetric matrix and whether it is (numerically) positive definite.

    Judged on the correlation scale :math:`D^{-1/2} H D^{-1/2}` (independent of the columns'
    units): positive definite when its smallest eigenvalue exceeds ``rtol`` times its largest.
    A matrix that is not gets a NaN inverse.
    """
    H = np.asarray(H, dtype=float)
    d = np.sqrt(np.clip(np.diag(H), 0, None))
    if not np.all(np.isfinite(H)) or np.any(d == 0):
        return np.full_like(H, np.nan), False
    ev = np.linalg.eigvalsh(H / np.outer(d, d))
    if ev[0] <= rtol * ev[-1]:
        return np.full_like(H, np.nan), False
    return np.linalg.inv(H), True
