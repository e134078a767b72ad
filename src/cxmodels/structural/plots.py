"""Figures of a PLS path model: the path diagram and the IPMA map (matplotlib only)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from .. import i18n
from .._format import fmt_num, label
from ..plots import PALETTE, _styled


def stars(p) -> str:
    """``***`` p < 0.001, ``**`` < 0.01, ``*`` < 0.05, ``""`` otherwise or when unknown."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def layers(P: np.ndarray) -> np.ndarray:
    """Depth of each construct: the longest chain of paths leading to it."""
    q = P.shape[0]
    depth = np.zeros(q, dtype=int)
    for _ in range(q):  # relax q times: enough for an acyclic graph
        src, tgt = np.nonzero(P)
        np.maximum.at(depth, tgt, depth[src] + 1)
    return depth


def _positions(P: np.ndarray) -> np.ndarray:
    depth = layers(P)
    pos = np.zeros((P.shape[0], 2))
    for d in np.unique(depth):
        idx = np.flatnonzero(depth == d)
        pos[idx, 0] = d
        pos[idx, 1] = np.linspace(0, 1, idx.size + 2)[1:-1] if idx.size > 1 else 0.5
    return pos


@_styled
def path_diagram(res, ax=None):
    """Constructs as boxes (with R²), paths as arrows labelled with coefficient and stars."""
    m = res.model
    P = m.path_matrix()
    pos = _positions(P)
    width = max(pos[:, 0].max(), 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.4 * (width + 1) + 1, 4.8))
    r2 = dict(zip(res.r2["construct"], res.r2["r2"]))
    bw, bh = 0.34, 0.09
    for (a, b), r in zip(zip(res.paths["source"], res.paths["target"]), res.paths.itertuples()):
        i, j = m.constructs.index(a), m.constructs.index(b)
        ax.annotate(
            "",
            xy=pos[j],
            xytext=pos[i],
            arrowprops=dict(
                arrowstyle="-|>",
                lw=0.8 + 3 * min(abs(r.coef), 1),
                color=PALETTE[0] if r.coef >= 0 else PALETTE[3],
                shrinkA=28,
                shrinkB=28,
                alpha=0.8,
            ),
        )
        mid = 0.5 * (pos[i] + pos[j])
        ax.text(
            *mid,
            f"{fmt_num(r.coef)}{stars(r.p_value)}",
            ha="center",
            va="center",
            fontsize=8,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"),
        )
    for k, c in enumerate(m.constructs):
        x, y = pos[k]
        ax.add_patch(
            FancyBboxPatch(
                (x - bw / 2, y - bh / 2),
                bw,
                bh,
                zorder=3,
                boxstyle="round,pad=0.02",
                fc="#eef3f8",
                ec=PALETTE[0],
            )
        )
        text = label(c) + (f"\nR² {fmt_num(r2[c])}" if c in r2 else "")
        ax.text(x, y, text, ha="center", va="center", fontsize=8.5, zorder=4)
    ax.set_xlim(-0.4, width + 0.4)
    ax.set_ylim(-0.05, 1.05)
    ax.set_axis_off()
    ax.set_title(i18n.t("fig.path_title"), fontsize=10)
    return ax


@_styled
def ipma_map(ipma, ax=None):
    """Importance (x) against performance (y), crossed at the means."""
    t = ipma.table
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.scatter(t["importance"], t["performance"], s=60, color=PALETTE[0], zorder=3)
    for r in t.itertuples():
        ax.annotate(
            label(r.construct),
            (r.importance, r.performance),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=9,
        )
    ax.axvline(t["importance"].mean(), color="grey", lw=0.8, ls="--")
    ax.axhline(t["performance"].mean(), color="grey", lw=0.8, ls="--")
    ax.set_xlabel(i18n.t("fig.ipma_x", target=label(ipma.target).lower()))
    ax.set_ylabel(i18n.t("fig.ipma_y"))
    ax.set_title(i18n.t("fig.ipma_title", target=label(ipma.target)))
    return ax
