"""Small linear-algebra helpers shared by the model modules (rank and variance checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def centred_gram(A: np.ndarray) -> np.ndarray:
    """:math:`(A - \bar A)^\top (A - \bar A)` in one pass, without a centred copy of ``A``."""
    mu = A.mean(axis=0)
    return A.T @ A - len(A) * np.outer(mu, mu)


def constant_columns(G: np.ndarray, names: list[str], tol: float = 1e-9) -> list[str]:
    """Columns with no variance, from a centred Gram matrix."""
    d = np.diag(G)
    return [n for n, v in zip(names, d) if v <= tol * max(1.0, np.abs(d).max())]


def collinear_columns(
    X: pd.DataFrame | np.ndarray,
    tol: float = 1e-9,
    names: list[str] | None = None,
    gram: np.ndarray | None = None,
) -> list[str]:
    """Names of columns that are constant or (near) linear combinations of earlier columns.

    Works on the p x p centred Gram matrix (one pass over the rows): an elimination in column
    order flags each column whose residual variance, given the columns kept before it, is below
    ``tol`` of its own variance.
    """
    if names is None:
        names = list(X.columns)
    G = centred_gram(np.asarray(X, dtype=float)) if gram is None else gram
    out = constant_columns(G, names, tol)
    keep: list[int] = []
    for j in range(len(names)):  # loop over columns (p), not rows
        if names[j] in out:
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
