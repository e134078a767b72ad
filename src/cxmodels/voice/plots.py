"""Figures of comment themes: the impact bubble chart, the theme bars and the trend by wave."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..i18n import localize_digits
from ..i18n import t as message
from ..plots import PALETTE, _ax, _pad_limits, _set_alt, _styled, place_labels


@_styled
def impact_bubbles(table: pd.DataFrame, outcome: str, ax=None):
    """Sentiment (x) against impact on the outcome (y); bubble area proportional to volume,
    red or green where the impact's interval excludes 0, grey where it does not."""
    ax = _ax(ax, (7.5, 5.5))
    t = table[table["theme"] != "other"]
    x, y = t["sentiment"].to_numpy(float), t["impact"].to_numpy(float)
    size = 2000 * t["comments"].to_numpy(float) / max(float(t["comments"].max()), 1.0)
    colors = np.where(y < 0, PALETTE[3], PALETTE[2])
    if "impact_low" in t and t["impact_low"].notna().any():  # an interval across 0: grey
        clear = (t["impact_low"] > 0) | (t["impact_high"] < 0)
        colors = np.where(clear.to_numpy(), colors, PALETTE[7])
    ax.scatter(x, y, s=size, color=colors, alpha=0.55, edgecolor="black", lw=0.5, zorder=3)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.axvline(0, color="grey", lw=1, ls="--")
    _pad_limits(ax, x, y, 0.2)
    ax.set_xlabel("mean sentiment of the theme's comments (-1 to 1)")
    ax.set_ylabel("impact: outcome of all minus outcome without the theme")
    ax.set_title("What each theme costs")
    place_labels(ax, x, y, list(t["theme"]), sizes=size)
    return _set_alt(ax, message("fig.alt.voice_bubbles", n=len(t), outcome=outcome))


@_styled
def theme_bars(table: pd.DataFrame, ax=None):
    """Each theme's share of comments, the bar coloured by its mean sentiment."""
    t = table.sort_values("share")
    ax = _ax(ax, (7.5, 0.45 * len(t) + 1.2))
    cmap = plt.get_cmap("RdYlGn")
    ax.barh(list(t["theme"]), t["share"], color=cmap((t["sentiment"].to_numpy() + 1) / 2))
    ax.set_xlabel("share of comments (%)")
    ax.set_title("Comment themes")
    ax.grid(axis="y", visible=False)
    return _set_alt(ax, message("fig.alt.voice_bars", n=len(t)))


@_styled
def theme_trend(trend: pd.DataFrame, ax=None):
    """Each theme's share of comments by wave: a grid of themes (rows) by waves (columns),
    darker where a theme takes a larger share of that wave's comments, the share written in."""
    tr = trend.drop(index="other", errors="ignore")
    ax = _ax(ax, (max(7.0, 0.55 * tr.shape[1] + 4), 0.45 * len(tr) + 1.8))
    values = tr.to_numpy(float)
    ax.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=max(float(np.nanmax(values)), 1))
    top = np.nanmax(values) if values.size else 0
    for (i, j), v in np.ndenumerate(values):
        color = "white" if v > 0.6 * top else "#222222"
        ax.text(j, i, localize_digits(f"{v:.0f}"), ha="center", va="center", fontsize=7,
                color=color)  # fmt: skip
    ax.set_xticks(np.arange(tr.shape[1]), [str(c) for c in tr.columns], rotation=45, ha="right")
    ax.set_yticks(np.arange(len(tr)), [str(x) for x in tr.index])
    ax.grid(False)
    ax.set_title("Themes by wave (% of each wave's comments)")
    return _set_alt(ax, message("fig.alt.voice_trend", n=len(tr), waves=tr.shape[1]))
