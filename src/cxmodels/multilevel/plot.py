"""The caterpillar plot of shrunken group effects."""

from __future__ import annotations

import numpy as np

from .. import plots
from .._format import fmt_num, label
from ..i18n import t

CLEAR, UNCLEAR, HIGHLIGHT = "#1f4e79", "#9bb7d4", "#c0392b"


@plots._styled
def caterpillar(result, term: str = "intercept", ax=None, highlight=None):
    """Each group's effect (BLUP) with its interval, sorted; clear ones drawn darker.

    Parameters
    ----------
    result : MultilevelResult
    term : str
        ``intercept`` or a random slope.
    ax : matplotlib Axes, optional
    highlight : str, optional
        A group (e.g. a ``branch_id``) drawn in an accent colour with a larger marker.

    Returns
    -------
    matplotlib Axes
    """
    be = result.branch_effects
    be = be[be["term"] == term].sort_values("effect")
    ax = plots._ax(ax, figsize=(6.5, max(2.5, 0.18 * len(be) + 1)))
    y = np.arange(len(be))
    mine = (be[result.group].astype(str) == str(highlight)).to_numpy()
    colour = np.where(mine, HIGHLIGHT, np.where(be["clear"], CLEAR, UNCLEAR))
    ax.hlines(y, be["ci_low"], be["ci_high"], colors=colour, linewidth=np.where(mine, 3, 1.5))
    ax.scatter(be["effect"], y, c=colour, s=np.where(mine, 60, 14), zorder=3)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(y, [str(g) for g in be[result.group]], fontsize=7 if len(be) > 40 else 9)
    for tick, own in zip(ax.get_yticklabels(), mine, strict=True):
        if own:
            tick.set_color(HIGHLIGHT)
            tick.set_fontweight("bold")
    level = fmt_num(100 * result.level, 0)
    ax.set_xlabel(t("fig.caterpillar.xlabel", outcome=label(result.outcome), level=level))
    ax.set_title(t("fig.caterpillar.title"))
    alt = t(
        "fig.caterpillar.alt", n=len(be), outcome=label(result.outcome), k=int(be["clear"].sum())
    )
    return plots._set_alt(ax, alt)
