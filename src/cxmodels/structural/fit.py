"""``fit_pls``: input checks, the estimate on the sample, and the respondent bootstrap."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from .._numeric import ConvergenceWarning
from .._validation import (
    check_frame,
    check_level,
    check_number,
    check_option,
    check_weights,
    fail,
    require_columns,
    require_numeric,
)
from .algorithm import SCHEMES, Layout, correlation_stack, estimate, total_effects
from .replicates import replicate_chunks
from .result import build_result
from .spec import PLSModel, as_model

MISSING = ("listwise", "mean")
SIGN_CHANGES = ("none", "construct")


def layout(model: PLSModel) -> Layout:
    modes = np.array([model.mode(c) == "B" for c in model.constructs])
    return Layout(model.block_matrix(), model.path_matrix(), modes)


def _frame_and_ranges(data, items):
    """The responses frame and each item's scale ``(min, max)`` from the codebook, if any."""
    codebook = {}
    if hasattr(data, "responses") and hasattr(data, "codebook"):
        codebook, data = dict(data.codebook or {}), data.responses
    check_frame(data, "responses")
    ranges = {}
    for it in items:
        spec = codebook.get(it) or {}
        if "min" in spec and "max" in spec:
            ranges[it] = (float(spec["min"]), float(spec["max"]))
    return data, ranges


def prepare(df, model: PLSModel, missing: str, weights, table: str = "responses"):
    """Checked item matrix ``X`` (n, p), the kept row labels, weights and the number dropped."""
    items = list(model.items)
    require_columns(df, items, table)
    require_numeric(df, items, table)
    w_all = check_weights(weights, len(df), table)
    # column-major: column means, centring and X'X are several times faster at 1M rows
    X = np.asfortranarray(df[items].to_numpy(dtype=float, na_value=np.nan))
    inf = np.isinf(X)
    for k in np.flatnonzero(inf.any(axis=0)):
        fail(
            table,
            items[k],
            "holds infinite values",
            "replace them or drop those rows",
            df.index[inf[:, k]],
        )
    na = np.isnan(X)
    for k in np.flatnonzero(na.all(axis=0)):
        fail(table, items[k], "item has no answers", "drop the item from the model or fix the data")
    if missing == "listwise":
        keep = ~na.any(axis=1)
    else:
        keep = np.ones(len(X), dtype=bool)
        X = np.where(na, np.nanmean(X, axis=0), X)
    if not keep.all():
        X = np.asfortranarray(X[keep])
    w = w_all[keep]
    if len(X) < max(3, len(model.constructs) + 1):
        fail(
            table,
            ", ".join(items[:5]),
            f"only {len(X)} complete rows",
            "use missing='mean' or more data",
            df.index[~keep],
        )
    return X, df.index[keep], w, int((~keep).sum())


def _moments(X, counts):
    tot = counts.sum(axis=1, keepdims=True)
    mu = counts @ X / tot
    var = (counts @ (X * X) / tot - mu**2) * tot / (tot - 1)
    return mu, np.sqrt(var)


def fit_pls(
    df,
    model,
    *,
    scheme: str = "path",
    consistent: bool = False,
    bootstrap: int = 0,
    seed: int | None = None,
    weights=None,
    missing: str = "listwise",
    standardise: bool = True,
    sign_change: str = "none",
    level: float = 0.95,
    tol: float = 1e-7,
    max_iter: int = 300,
):
    """Fit a PLS path model (Wold's algorithm; PLSc with ``consistent=True``).

    Parameters
    ----------
    df : DataFrame or CXData
        One row per respondent with the model's items (a CXData uses ``responses`` and takes
        the items' scales from its codebook).
    model : PLSModel or str
        The model, or its lavaan-like syntax (see :func:`cxmodels.structural.parse`).
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme; ``"path"`` as seminr and SmartPLS.
    consistent : bool
        PLSc (Dijkstra and Henseler 2015): construct correlations of reflective constructs
        divided by ``sqrt(rho_A_i rho_A_j)``, consistent loadings ``c_j w_j``.
    bootstrap : int
        Respondent-bootstrap replicates (0: none) for percentile intervals and p-values.
    seed : int, optional
        Seed of the bootstrap.
    weights : array-like, optional
        Survey (frequency) weights, one per row.
    missing : {"listwise", "mean"}
        Listwise deletion (default; the number dropped is reported) or item-mean replacement.
        seminr's ``estimate_pls`` defaults to mean replacement (``missing =
        mean_replacement``), so with missing items pass ``missing="mean"`` to reproduce it;
        the summary states the rule used.
    standardise : bool
        Standardise the items with the sample SD (ddof=1, default) or only centre them
        (plspm's ``scaled=FALSE``): weights then apply to the items' own scale.
    sign_change : {"none", "construct"}
        Bootstrap sign handling: none (seminr, SmartPLS default), or construct-level
        correction (a replicate's construct whose loadings point against the sample's has its
        weights flipped; Tenenhaus et al. 2005).
    level : float
        Interval level.
    tol, max_iter : float, int
        Convergence on the outer weights (largest change below ``tol``) and iteration limit.

    Returns
    -------
    PLSResult
        ``.paths`` (source, target, coef, std_error, ci_low, ci_high, p_value) is ``.table``;
        see :class:`PLSResult` for the other tables.

    Notes
    -----
    Outer weights start at 1 and iterate: construct scores ``Y = ZW`` with unit variance;
    inner weights ``e_jk`` (path scheme: regression of ``Y_j`` on its predecessors, correlation
    with its successors); inner proxies ``z_j = sum_k e_jk Y_k``; outer weights
    ``w_j = cov(X_j, z_j)`` (mode A) or ``S_jj^{-1} cov(X_j, z_j)`` (mode B). Paths are OLS of
    each endogenous score on its predecessors. The whole algorithm runs on the item
    correlation matrix, so bootstrap replicates are estimated in batches.

    References
    ----------
    Wold (1982), Lohmöller (1989), Tenenhaus et al. (2005) Computational Statistics & Data
    Analysis 48; Dijkstra and Henseler (2015) MIS Quarterly 39(2); Hair et al. (2022) A Primer
    on PLS-SEM, 3rd ed.
    """
    model = as_model(model)
    _check_options(
        scheme, missing, sign_change, bootstrap, tol, max_iter, level, consistent, standardise
    )
    opts = dict(scheme=scheme, consistent=consistent, tol=tol, max_iter=max_iter)
    return _fit(
        df,
        model,
        opts,
        int(bootstrap),
        seed,
        weights,
        missing,
        standardise,
        sign_change,
        float(level),
    )


def _check_options(
    scheme, missing, sign_change, bootstrap, tol, max_iter, level, consistent, standardise
) -> None:
    """Every option checked before any work (one clear error each)."""
    check_option("scheme", scheme, SCHEMES)
    check_option("missing", missing, MISSING)
    check_option("sign_change", sign_change, SIGN_CHANGES)
    check_number("bootstrap", bootstrap, low=0, integer=True)
    check_number("tol", tol, low=0, low_open=True)
    check_number("max_iter", max_iter, low=1, integer=True)
    check_level(level)
    if consistent and not standardise:
        fail(
            "argument",
            "consistent",
            "PLSc needs standardised items",
            "use standardise=True with consistent=True",
        )


def _fit(df, model, opts, bootstrap, seed, weights, missing, standardise, sign_change, level):
    """The sample estimate, the bootstrap and the result (options already checked)."""
    source = df if hasattr(df, "customers") else None
    df, ranges = _frame_and_ranges(df, model.items)
    X, rows, w, n_dropped = prepare(df, model, missing, weights)
    lay = layout(model)
    cov = correlation_stack(X, w[None, :], standardise=False)[0]
    sd = np.sqrt(np.diag(cov))
    for k in np.flatnonzero(~(sd > 0)):
        fail(
            "responses", model.items[k], "item is constant (no variance)", "drop it from the model"
        )
    S = (cov / np.outer(sd, sd) if standardise else cov)[None]
    mu = w @ X / w.sum()
    _check_blocks(S[0], model, lay)
    try:
        est = estimate(S, lay, **opts)
    except np.linalg.LinAlgError:
        fail(
            "responses",
            ", ".join(model.constructs),
            "construct scores are collinear",
            "merge constructs whose items are the same, or drop a path",
        )
    if not est.converged[0]:
        msg = f"PLS did not converge in {opts['max_iter']} iterations"
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    boot = None
    if bootstrap:
        ref = est.L[0] if sign_change == "construct" else None
        boot = run_bootstrap(X, w, lay, bootstrap, seed, standardise, ref, opts)
    for k, it in enumerate(model.items):
        ranges.setdefault(it, (float(X[:, k].min()), float(X[:, k].max())))

    return build_result(
        model=model,
        lay=lay,
        S=S[0],
        est=est,
        boot=boot,
        X=X,
        rows=rows,
        w=w,
        mu=mu,
        sd=sd,
        ranges=ranges,
        frame=df,
        n_dropped=n_dropped,
        level=level,
        options=dict(
            opts,
            standardise=standardise,
            missing=missing,
            bootstrap=bootstrap,
            seed=seed,
            sign_change=sign_change,
            source=source,
        ),
    )


def _check_blocks(S, model, lay) -> None:
    """Mode B needs each block's item correlation matrix to be invertible."""
    for j, blk in enumerate(lay.blocks):
        if lay.mode_b[j] and np.linalg.matrix_rank(S[np.ix_(blk, blk)]) < blk.size:
            items = np.array(model.items)[blk]
            fail(
                "responses",
                ", ".join(items),
                f"the mode B items of {model.constructs[j]} are collinear",
                "drop a redundant item or measure the construct in mode A",
            )


def run_bootstrap(X, w, lay, B, seed, standardise, ref, opts) -> dict:
    """Estimate ``B`` respondent-bootstrap replicates in chunks: stacked arrays by name."""
    keys = ("W", "L", "beta", "r2", "rho_a", "T", "mu", "sd")
    out = {k: [] for k in keys}
    n_bad = n_failed = 0
    for counts in replicate_chunks(len(X), B, seed, w):
        with np.errstate(invalid="ignore", divide="ignore"):
            S = correlation_stack(X, counts, standardise)
        e, failed = _estimate_chunk(S, lay, ref, opts)
        mu, sd = _moments(X, counts)
        failed |= np.isnan(e.W).any(axis=(1, 2))
        n_bad += int((~e.converged & ~failed).sum())
        n_failed += int(failed.sum())
        for k, v in zip(keys, (e.W, e.L, e.beta, e.r2, e.rho_a, total_effects(e.beta), mu, sd)):
            out[k].append(v)
    res = {k: np.concatenate(v) for k, v in out.items()}
    res["n_not_converged"] = n_bad
    res["n_failed"] = n_failed
    res["B"] = B
    return res


def _estimate_chunk(S, lay, ref, opts):
    """Estimate a chunk of replicates; a replicate whose matrices are singular (a resample
    with a constant item, say) is set to NaN instead of failing the chunk."""
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            return estimate(S, lay, ref_loadings=ref, **opts), np.zeros(len(S), dtype=bool)
        except np.linalg.LinAlgError:
            failed = np.zeros(len(S), dtype=bool)
            for b in range(len(S)):  # replicates of a failed chunk only
                try:
                    estimate(S[b : b + 1], lay, ref_loadings=ref, **opts)
                except np.linalg.LinAlgError:
                    failed[b] = True
            S = np.where(failed[:, None, None], np.eye(S.shape[1]), S)
            e = estimate(S, lay, ref_loadings=ref, **opts)
    nan = {
        k: np.where(failed.reshape((-1,) + (1,) * (v.ndim - 1)), np.nan, v)
        for k, v in vars(e).items()
        if isinstance(v, np.ndarray) and v.dtype.kind == "f"
    }
    return replace(e, **nan), failed


def frame_of(X: np.ndarray, rows, items) -> pd.DataFrame:
    return pd.DataFrame(X, index=rows, columns=list(items))
