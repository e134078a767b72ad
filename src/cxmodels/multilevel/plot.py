"""The caterpillar plot of shrunken group effects."""

from __future__ import annotations

import numpy as np

from .. import plots
from .._format import fmt_num, label


@plots._styled
def caterpillar(result, term: str = "intercept", ax=None):
    """Each group's effect (BLUP) with its interval, sorted; clear ones drawn darker.

    Parameters
    ----------
    result : MultilevelResult
    term : str
        ``intercept`` or a random slope.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    be = result.branch_effects
    be = be[be["term"] == term].sort_values("effect")
    ax = plots._ax(ax, figsize=(6.5, max(2.5, 0.18 * len(be) + 1)))
    y = np.arange(len(be))
    colour = np.where(be["clear"], "#1f4e79", "#9bb7d4")
    ax.hlines(y, be["ci_low"], be["ci_high"], colors=colour, linewidth=1.5)
    ax.scatter(be["effect"], y, c=colour, s=14, zorder=3)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(y, [str(g) for g in be[result.group]], fontsize=7 if len(be) > 40 else 9)
    ax.set_xlabel(
        f"{label(result.outcome)}: group effect ({fmt_num(100 * result.level, 0)}% interval)"
    )
    ax.set_title("Shrunken group effects")
    k = int(be["clear"].sum())
    return plots._set_alt(
        ax, f"Caterpillar plot of {len(be)} group effects on {label(result.outcome)}; {k} clear."
    )
