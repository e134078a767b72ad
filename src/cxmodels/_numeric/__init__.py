"""The numeric core: every model of cxmodels fits through these few routines.

* :func:`newton` (:mod:`.newton`): Newton's method with step halving, returning the accepted
  point's own value and gradient; :func:`numerical_hessian`, the one central-difference Hessian;
  :func:`pd_inverse`, an inverse that says when a matrix is not positive definite.
* :func:`logit` (:mod:`.logit`): the one logistic regression (Newton), unpenalised unless it
  fails, then with a small ridge that the result states.
* :func:`ols` and :func:`ols_centred` (:mod:`.ols`): OLS/WLS with ``nonrobust`` and HC0-HC3
  covariances and statsmodels' ``use_t`` (default :data:`USE_T`: the normal).
* :class:`ConvergenceWarning` (:mod:`.convergence`): the one warning of an iterative fit that
  stopped early.
* :data:`UNITS` (:mod:`.units`): days per time unit.

The one NPS definition (cut-offs 0-6 and 9-10) is :mod:`cxmodels.data.scales`.
"""

from __future__ import annotations

from .convergence import ConvergenceWarning
from .logit import RIDGE_WHEN_NEEDED, LogitFit, logit
from .newton import NewtonResult, newton, numerical_hessian, pd_inverse
from .ols import COV_TYPES, USE_T, OLSFit, centred, ols, ols_centred
from .units import UNITS

__all__ = [
    "COV_TYPES",
    "RIDGE_WHEN_NEEDED",
    "UNITS",
    "USE_T",
    "ConvergenceWarning",
    "LogitFit",
    "NewtonResult",
    "OLSFit",
    "centred",
    "logit",
    "newton",
    "numerical_hessian",
    "ols",
    "ols_centred",
    "pd_inverse",
]
