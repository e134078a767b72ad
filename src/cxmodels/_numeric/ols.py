r"""The one least-squares fit: OLS or WLS with HC0-HC3 standard errors, from centred columns.

With the regressors centred at their (weighted) means the cross-product matrix of
:math:`[1, X_c]` is block diagonal, :math:`A = \mathrm{diag}(\sum w, X_c^\top W X_c)`, so

.. math:: \hat\beta = (X_c^\top W X_c)^{-1} X_c^\top W y_c,\qquad
          V = A^{-1}\Big[\sum_i \omega_i\, \tilde x_i \tilde x_i^\top\Big] A^{-1},\qquad
          \tilde x_i = (1, x_{ci}),\quad h_i = w_i\,\tilde x_i^\top A^{-1}\tilde x_i

with :math:`\omega_i = (w_ie_i)^2` (HC0), :math:`\tfrac{n}{n-k}(w_ie_i)^2` (HC1),
:math:`(w_ie_i)^2/(1-h_i)` (HC2) and :math:`(w_ie_i)^2/(1-h_i)^2` (HC3; MacKinnon & White 1985),
:math:`k` the number of coefficients with the intercept, or :math:`\omega_i = s^2 w_i` with
:math:`s^2 = \sum w_i e_i^2/(n-k)` (``"nonrobust"``). The intercept of the original columns is
:math:`\bar y - \bar x^\top\hat\beta` and its variance follows from :math:`V` by the same linear
map. Centring by subtraction keeps every digit for columns with large means (epoch seconds).
These are statsmodels' ``OLS``/``WLS`` ``fit(cov_type=...)`` and R ``sandwich::vcovHC(type=)``.

**p-values and intervals**: ``use_t=False`` (:data:`USE_T`, statsmodels' default for robust
covariances) refers the :math:`z = \hat\beta/\mathrm{se}` to the normal; ``use_t=True`` to
Student's t on :math:`n - k` degrees of freedom (R ``lmtest::coeftest``).

A rank-deficient design (aliased columns) takes the minimum-norm solution in the centred
columns (the pseudo-inverse, as statsmodels' ``pinv``); ``OLSFit.aliased`` names the columns.

MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
estimators with improved finite sample properties. *Journal of Econometrics* 29(3), 305-325.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from .._linalg import collinear_columns
from .newton import pd_inverse

#: Covariance types of :func:`ols`.
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
#: Default reference distribution of every HC p-value and interval in cxmodels: the normal.
USE_T = False


@dataclass(frozen=True, eq=False)
class OLSFit:
    """Coefficients (``const`` first), standard errors, p-values (Series by column name)."""

    params: pd.Series
    bse: pd.Series
    pvalues: pd.Series
    cov: pd.DataFrame
    r2: float
    df_resid: int
    n: int
    cov_type: str = "HC3"
    use_t: bool = USE_T
    aliased: tuple[str, ...] = ()

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """``ci_low``, ``ci_high`` per coefficient (t on ``df_resid`` when ``use_t``)."""
        q = 0.5 + level / 2
        c = stats.t.ppf(q, self.df_resid) if self.use_t else special.ndtri(q)
        return pd.DataFrame(
            {"ci_low": self.params - c * self.bse, "ci_high": self.params + c * self.bse}
        )


def centred(Z: np.ndarray, w: np.ndarray | None):
    """(Weighted) means, the centred copy and the centred cross-product of the columns of ``Z``."""
    mean = Z.mean(axis=0) if w is None else (w @ Z) / w.sum()
    Zc = Z - mean
    gram = Zc.T @ Zc if w is None else Zc.T @ (Zc * w[:, None])
    return mean, Zc, gram


def ols(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    *,
    names: list[str] | None = None,
    cov_type: str | None = "HC3",
    use_t: bool = USE_T,
) -> OLSFit:
    """OLS (WLS with ``w``) of ``y`` on ``X`` with an intercept (``X`` without one).

    Parameters
    ----------
    X : ndarray (n, k)
        Regressors, without the intercept column.
    y : ndarray (n,)
    w : ndarray (n,), optional
        Weights (frequency or precision weights, as statsmodels' ``WLS``).
    names : list of str, optional
        Regressor names (default ``x1``, ``x2``, ...).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"} or None
        Covariance of the coefficients; None skips it (coefficients only: standard errors
        NaN), for refits that need only the estimates.
    use_t : bool
        Student's t on the residual df instead of the normal (default :data:`USE_T`).

    Returns
    -------
    OLSFit
    """
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    names = [f"x{j + 1}" for j in range(X.shape[1])] if names is None else list(names)
    mean, Zc, gram = centred(np.column_stack([X, np.asarray(y, dtype=float)]), w)
    return ols_centred(Zc, gram, w, mean, names, cov_type=cov_type, use_t=use_t)


def ols_centred(
    Zc: np.ndarray,
    gram: np.ndarray,
    w: np.ndarray | None,
    mean: np.ndarray,
    names: list[str],
    *,
    cov_type: str | None = "HC3",
    use_t: bool = USE_T,
) -> OLSFit:
    """:func:`ols` from centred columns ``[x..., y]`` and their cross-product (from :func:`centred`).

    For callers that already hold the cross-product (the drivers' dominance analysis reuses it).
    """
    if cov_type is not None and cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {COV_TYPES}, not {cov_type!r}")
    X, y = Zc[:, :-1], Zc[:, -1]
    n, k = X.shape
    Ainv, aliased = _bread(gram[:-1, :-1], names)
    beta = Ainv @ gram[:-1, -1]
    e = y - X @ beta
    sw = float(n if w is None else w.sum())
    const = mean[-1] - mean[:-1] @ beta
    idx = ["const", *names]
    ssr = e @ e if w is None else e @ (w * e)
    df = n - k - 1
    if cov_type is None:
        V = np.full((k + 1, k + 1), np.nan)
    else:
        V = _sandwich(X, e, w, Ainv, sw, df, cov_type, ssr)
        M = np.eye(k + 1)
        M[0, 1:] = -mean[:-1]  # (alpha, beta) -> (const = alpha - xbar'beta, beta)
        V = M @ V @ M.T
    se = np.sqrt(np.diag(V))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.r_[const, beta] / se
    p = 2 * stats.t.sf(np.abs(z), df) if use_t else 2 * special.ndtr(-np.abs(z))
    return OLSFit(
        params=pd.Series(np.r_[const, beta], index=idx),
        bse=pd.Series(se, index=idx),
        pvalues=pd.Series(p, index=idx),
        cov=pd.DataFrame(V, index=idx, columns=idx),
        r2=float(1.0 - ssr / gram[-1, -1]),
        df_resid=int(df),
        n=int(n),
        cov_type=str(cov_type),
        use_t=bool(use_t),
        aliased=aliased,
    )


def _bread(A: np.ndarray, names: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """:math:`A^{-1}`, or the pseudo-inverse and the aliased columns when ``A`` is singular."""
    if A.shape[0] == 0:
        return A.copy(), ()
    inv, ok = pd_inverse(A)
    if ok:
        return inv, ()
    return np.linalg.pinv(A, hermitian=True), tuple(collinear_columns(None, names=names, gram=A))


def _sandwich(X, e, w, Ainv, sw, df, cov_type, ssr) -> np.ndarray:
    """Covariance of (alpha, beta) in the centred parameterisation (block-diagonal bread)."""
    n, k = X.shape
    Xt = np.column_stack([np.ones(n), X])
    Binv = np.zeros((k + 1, k + 1))
    Binv[0, 0], Binv[1:, 1:] = 1.0 / sw, Ainv
    if cov_type == "nonrobust":
        return (ssr / df) * Binv
    we = e if w is None else w * e
    s = we**2
    if cov_type in ("HC2", "HC3"):
        h = np.einsum("ij,ij->i", X @ Ainv, X) + 1.0 / sw
        if w is not None:
            h = h * w
        s = s / (1.0 - h) if cov_type == "HC2" else s / (1.0 - h) ** 2
    elif cov_type == "HC1":
        s = s * n / df
    return Binv @ (Xt.T @ (Xt * s[:, None])) @ Binv
