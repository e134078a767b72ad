"""Measurement-model quality: reliability (alpha, rho_C, rho_A, AVE), HTMT, Fornell-Larcker,
effect sizes f² and the goodness of fit, all from the indicator correlation matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .algorithm import Layout, structural

#: Thresholds researchers check (Hair et al. 2019, "When to use and how to report PLS-SEM").
THRESHOLDS = {
    "loading": 0.708,
    "ave": 0.5,
    "rho_c_low": 0.7,
    "rho_c_high": 0.95,
    "alpha": 0.7,
    "htmt_strict": 0.85,
    "htmt": 0.90,
}


def reliability(S, L, rho_a, lay: Layout, constructs, modes) -> pd.DataFrame:
    """One row per construct: mode, n_items, alpha, rho_c, rho_a, ave.

    Cronbach's alpha on the standardised items, ``k / (k - 1) * (1 - k / sum(S_jj))``;
    composite reliability ``rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))``; ``AVE = mean l^2``.
    For mode B constructs only the number of items is reported (reliability does not apply).
    """
    rows = []
    for j, blk in enumerate(lay.blocks):
        k = blk.size
        lam = L[blk, j]
        row = {"construct": constructs[j], "mode": modes[j], "n_items": k}
        if modes[j] == "A" and k > 1:
            Sj = S[np.ix_(blk, blk)]
            d = np.sqrt(np.diag(Sj))
            Rj = Sj / np.outer(d, d)
            row["alpha"] = k / (k - 1) * (1 - k / Rj.sum())
            row["rho_c"] = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
            row["rho_a"] = float(rho_a[j])
            row["ave"] = float(np.mean(lam**2))
        else:
            row.update(alpha=np.nan, rho_c=np.nan, rho_a=np.nan, ave=np.nan)
        rows.append(row)
    return pd.DataFrame(
        rows, columns=["construct", "mode", "n_items", "alpha", "rho_c", "rho_a", "ave"]
    )


def htmt(S, lay: Layout, constructs) -> pd.DataFrame:
    """Heterotrait-monotrait ratio (Henseler, Ringle and Sarstedt 2015), square table.

    ``HTMT_ij = mean(r heterotrait) / sqrt(mean(r monotrait_i) * mean(r monotrait_j))`` over the
    items' correlations (absolute values); a single item's monotrait mean is taken as 1 (as
    seminr does).
    """
    d = np.sqrt(np.diag(S))
    C = np.abs(S / np.outer(d, d))
    blocks = lay.blocks
    mono = np.array(
        [C[np.ix_(b, b)][np.triu_indices(b.size, 1)].mean() if b.size > 1 else 1.0 for b in blocks]
    )
    q = len(blocks)
    out = np.full((q, q), np.nan)
    for i in range(q):
        for j in range(i + 1, q):
            out[i, j] = out[j, i] = C[np.ix_(blocks[i], blocks[j])].mean() / np.sqrt(
                mono[i] * mono[j]
            )
    return pd.DataFrame(out, index=list(constructs), columns=list(constructs))


def fornell_larcker(R, ave, constructs) -> pd.DataFrame:
    """Construct correlations with sqrt(AVE) on the diagonal (Fornell and Larcker 1981)."""
    F = np.array(R, dtype=float).copy()
    np.fill_diagonal(F, np.sqrt(np.asarray(ave, dtype=float)))
    return pd.DataFrame(F, index=list(constructs), columns=list(constructs))


def discriminant(htmt_t: pd.DataFrame, fl: pd.DataFrame) -> pd.DataFrame:
    """Tidy pairs: construct_a, construct_b, htmt, correlation, fornell_larcker_ok, htmt_ok."""
    names = list(htmt_t.index)
    iu = np.triu_indices(len(names), 1)
    H, F = htmt_t.to_numpy(), fl.to_numpy()
    diag = np.diag(F)
    corr = F[iu]
    ok = np.abs(corr) < np.fmin(diag[iu[0]], diag[iu[1]])
    ok = np.where(np.isnan(diag[iu[0]]) & np.isnan(diag[iu[1]]), np.nan, ok)
    return pd.DataFrame(
        {
            "construct_a": np.array(names)[iu[0]],
            "construct_b": np.array(names)[iu[1]],
            "htmt": H[iu],
            "correlation": corr,
            "htmt_ok": np.where(np.isnan(H[iu]), np.nan, H[iu] < THRESHOLDS["htmt"]),
            "fornell_larcker_ok": ok,
        }
    )


def f_squared(R, lay: Layout, constructs) -> pd.DataFrame:
    """Cohen's f² per path: ``(R²_incl - R²_excl) / (1 - R²_incl)``; source, target, f2, size."""
    _, r2_full = structural(R[None], lay)
    rows = []
    for a, b in zip(*np.nonzero(lay.P)):
        P = lay.P.copy()
        P[a, b] = 0
        _, r2_ex = structural(R[None], Layout(lay.M, P, lay.mode_b))
        full = r2_full[0, b]
        ex = 0.0 if np.isnan(r2_ex[0, b]) else r2_ex[0, b]
        f2 = (full - ex) / (1 - full)
        size = (
            "large" if f2 >= 0.35 else "medium" if f2 >= 0.15 else "small" if f2 >= 0.02 else "none"
        )
        rows.append({"source": constructs[a], "target": constructs[b], "f2": f2, "size": size})
    return pd.DataFrame(rows, columns=["source", "target", "f2", "size"])


def gof(reliab: pd.DataFrame, r2: np.ndarray, lay: Layout, L) -> float:
    """Tenenhaus et al. (2005) GoF: sqrt(mean communality of reflective items x mean R²)."""
    refl = [j for j, b in enumerate(lay.blocks) if reliab["mode"].iloc[j] == "A" and b.size > 1]
    if not refl:
        return float("nan")
    comm = np.concatenate([L[lay.blocks[j], j] ** 2 for j in refl])
    return float(np.sqrt(comm.mean() * np.nanmean(r2)))
