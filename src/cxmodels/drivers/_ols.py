"""OLS with HC3 standard errors for the drivers models: the numeric core's OLS.

The drivers models and the penalty-reward contrasts hold the centred cross-product already
(dominance analysis reuses it), so they call :func:`cxmodels._numeric.ols_centred` through
:func:`ols_hc3`; the formulas, covariance types and ``use_t`` are documented in
:mod:`cxmodels._numeric.ols`.
"""

from __future__ import annotations

from .._numeric import USE_T, OLSFit, ols_centred

__all__ = ["OLSFit", "ols_hc3"]


def ols_hc3(Zc, gram, w, mean, names, *, use_t: bool = USE_T) -> OLSFit:
    """OLS (WLS when ``w``) of the last column of ``Zc`` on the others, with HC3 errors.

    See :func:`cxmodels._numeric.ols_centred`; ``params`` and ``bse`` include ``const``.
    """
    return ols_centred(Zc, gram, w, mean, names, cov_type="HC3", use_t=use_t)
