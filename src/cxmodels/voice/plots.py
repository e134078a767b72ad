"""Figures of comment themes: the impact bubble chart and the theme bars."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plots import PALETTE, _ax, _pad_limits, _set_alt, _styled, place_labels


@_styled
def impact_bubbles(table: pd.DataFrame, outcome: str, ax=None):
    """Sentiment (x) against impact on the outcome (y); bubble area proportional to volume."""
    ax = _ax(ax, (7.5, 5.5))
    t = table[table["theme"] != "other"]
    x, y = t["sentiment"].to_numpy(float), t["impact"].to_numpy(float)
    size = 2000 * t["comments"].to_numpy(float) / max(float(t["comments"].max()), 1.0)
    colors = np.where(y < 0, PALETTE[3], PALETTE[2])
    ax.scatter(x, y, s=size, color=colors, alpha=0.55, edgecolor="black", lw=0.5, zorder=3)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.axvline(0, color="grey", lw=1, ls="--")
    _pad_limits(ax, x, y, 0.2)
    ax.set_xlabel("mean sentiment of the theme's comments (-1 to 1)")
    ax.set_ylabel("impact: outcome of all minus outcome without the theme")
    ax.set_title("What each theme costs")
    place_labels(ax, x, y, list(t["theme"]), sizes=size)
    return _set_alt(
        ax,
        f"Bubble chart of {len(t)} comment themes: sentiment against impact on {outcome}, "
        "bubble area by number of comments",
    )


@_styled
def theme_bars(table: pd.DataFrame, ax=None):
    """Each theme's share of comments, the bar coloured by its mean sentiment."""
    import matplotlib.pyplot as plt

    t = table.sort_values("share")
    ax = _ax(ax, (7.5, 0.45 * len(t) + 1.2))
    cmap = plt.get_cmap("RdYlGn")
    ax.barh(list(t["theme"]), t["share"], color=cmap((t["sentiment"].to_numpy() + 1) / 2))
    ax.set_xlabel("share of comments (%)")
    ax.set_title("Comment themes")
    ax.grid(axis="y", visible=False)
    return _set_alt(
        ax,
        f"Bar chart of the share of comments of {len(t)} themes, coloured from red (negative) "
        "to green (positive) by mean sentiment",
    )
