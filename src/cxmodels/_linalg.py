"""Small linear-algebra helpers shared by the model modules (rank and variance checks).

Every check here is independent of the columns' scales: columns are centred by subtraction
(never through ``A'A - n mu mu'``, which loses every digit for epoch timestamps) and compared on
the correlation scale, so a column measured in nanoseconds and one measured in points are judged
alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def centred_gram(A: np.ndarray) -> np.ndarray:
    r""":math:`(A - \bar A)^\top (A - \bar A)`, centred by subtraction (exact for large means)."""
    A = np.asarray(A, dtype=float)
    C = A - A.mean(axis=0)
    return C.T @ C


def constant_columns(G: np.ndarray, names: list[str], tol: float = 1e-9) -> list[str]:
    """Columns with no variance, from a centred Gram matrix (relative to the largest variance).

    Prefer :func:`constant_mask` on the data, which needs no tolerance; this form is kept for
    callers that only hold a Gram matrix.
    """
    d = np.diag(G)
    return [n for n, v in zip(names, d) if v <= tol * max(1.0, np.abs(d).max())]


def constant_mask(A: np.ndarray) -> np.ndarray:
    """True for each column whose values are all equal (ignoring NaN); exact, scale-free."""
    A = np.asarray(A, dtype=float)
    if len(A) == 0:
        return np.ones(A.shape[1], dtype=bool)
    if np.isnan(A).any():
        return np.nanmax(A, axis=0) == np.nanmin(A, axis=0)
    return A.max(axis=0) == A.min(axis=0)


def correlation_gram(A: np.ndarray) -> np.ndarray:
    """The correlation matrix of the columns of ``A`` (constant columns get a zero row)."""
    A = np.asarray(A, dtype=float)
    C = A - A.mean(axis=0)
    G = C.T @ C
    sd = np.sqrt(np.diag(G))
    sd[sd == 0] = np.inf
    return G / np.outer(sd, sd)


def collinear_columns(
    X: pd.DataFrame | np.ndarray,
    tol: float = 1e-9,
    names: list[str] | None = None,
    gram: np.ndarray | None = None,
) -> list[str]:
    r"""Names of columns that are constant or (near) linear combinations of earlier columns.

    Parameters
    ----------
    X : DataFrame or array (n x p)
        The design (without intercept). Ignored when ``gram`` is given.
    tol : float
        A column is collinear when the share of its variance not explained by the columns kept
        before it, :math:`1 - R^2_j`, is below ``tol``.
    names : list of str, optional
        Column names (default: ``X.columns``).
    gram : array (p x p), optional
        A centred Gram or correlation matrix computed by the caller.

    Returns
    -------
    list of str
        Constant columns first, then each collinear column, in column order.

    Notes
    -----
    Works on the correlation matrix :math:`R` of the columns (one pass over the rows after
    centring by subtraction); an elimination in column order computes
    :math:`1 - R^2_j = 1 - r_{jK}^\top R_{KK}^{-1} r_{Kj}` for the kept set :math:`K`. Dividing by
    each column's own variance makes the check independent of the columns' scales.
    """
    if names is None:
        names = list(X.columns)
    if gram is None:
        A = np.asarray(X, dtype=float)
        const = constant_mask(A)
        G = correlation_gram(A)
    else:
        G = np.asarray(gram, dtype=float)
        const = np.isin(names, constant_columns(G, names, tol))
        d = np.sqrt(np.clip(np.diag(G), 0, None))
        s = np.where(d > 0, d, 1.0)
        G = G / np.outer(s, s)
    out = [n for n, c in zip(names, const) if c]
    keep: list[int] = []
    for j in range(len(names)):  # loop over columns (p), not rows
        if const[j]:
            continue
        if keep:
            g = G[keep, j]
            resid = G[j, j] - g @ np.linalg.solve(G[np.ix_(keep, keep)], g)
        else:
            resid = G[j, j]
        if resid <= tol * G[j, j]:
            out.append(names[j])
        else:
            keep.append(j)
    return out
