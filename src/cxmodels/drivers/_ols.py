"""OLS with HC3 standard errors from one centred cross-product (no QR of the n x k design).

With the design centred at its (weighted) means the information matrix is block diagonal,
:math:`A = \\mathrm{diag}(\\sum w, X_c^\\top W X_c)`, so the slopes and their HC3 covariance

.. math:: \\hat\\beta = (X_c^\\top W X_c)^{-1} X_c^\\top W y_c,\\qquad
          V = A_{xx}^{-1} \\Big[\\sum_i \\frac{w_i^2 e_i^2}{(1-h_i)^2} x_{ci} x_{ci}^\\top\\Big]
          A_{xx}^{-1},\\qquad h_i = w_i\\big(1/\\textstyle\\sum w + x_{ci}^\\top A_{xx}^{-1}
          x_{ci}\\big)

need two passes over the rows. This is MacKinnon & White's (1985) HC3, as statsmodels'
``cov_type="HC3"`` and R's ``sandwich::vcovHC(type="HC3")`` compute it.

MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
estimators with improved finite sample properties. *Journal of Econometrics* 29(3), 305-325.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats


@dataclass(frozen=True, eq=False)
class OLSFit:
    """Slopes, HC3 standard errors and p-values (pandas Series by column name), R² and df."""

    params: pd.Series
    bse: pd.Series
    pvalues: pd.Series
    r2: float
    df_resid: int
    n: int


def ols_hc3(Zc, gram, w, mean, names, *, use_t: bool = False) -> OLSFit:
    """OLS (WLS when ``w``) of the last column of ``Zc`` on the others, with HC3 errors.

    Parameters
    ----------
    Zc : array (n, k + 1)
        Centred columns ``[x..., y]``.
    gram : array (k + 1, k + 1)
        :math:`Z_c^\\top W Z_c`.
    w : array (n,) or None
    mean : array (k + 1,)
        Column means (for the intercept).
    names : list of str
        Names of the ``k`` regressors.
    use_t : bool
        p-values from Student's t on ``n - k - 1`` df (R's ``coeftest``) instead of the normal.

    Returns
    -------
    OLSFit
        ``params`` and ``bse`` include ``const`` (its standard error is not computed: NaN).
    """
    X, y = Zc[:, :-1], Zc[:, -1]
    A = gram[:-1, :-1]
    Ainv = np.linalg.inv(A)
    beta = Ainv @ gram[:-1, -1]
    e = y - X @ beta
    sw = len(y) if w is None else w.sum()
    h = np.einsum("ij,ij->i", X @ Ainv, X) + 1.0 / sw
    if w is not None:
        h *= w
    s = (e / (1.0 - h)) ** 2 if w is None else (w * e / (1.0 - h)) ** 2
    V = Ainv @ (X.T @ (X * s[:, None])) @ Ainv
    se = np.sqrt(np.diag(V))
    z = beta / se
    n, k = X.shape
    df = n - k - 1
    p = 2 * stats.t.sf(np.abs(z), df) if use_t else 2 * special.ndtr(-np.abs(z))
    ssr = e @ e if w is None else e @ (w * e)
    const = mean[-1] - mean[:-1] @ beta
    idx = ["const", *names]
    return OLSFit(
        params=pd.Series(np.r_[const, beta], index=idx),
        bse=pd.Series(np.r_[np.nan, se], index=idx),
        pvalues=pd.Series(np.r_[np.nan, p], index=idx),
        r2=float(1.0 - ssr / gram[-1, -1]),
        df_resid=int(df),
        n=int(n),
    )
