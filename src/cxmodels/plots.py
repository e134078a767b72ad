"""One visual style for every cxmodels figure.

Each function takes a tidy table from a result object and an optional matplotlib ``ax`` and
returns the ``Axes``; nothing here computes statistics.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

PALETTE = ["#1f5a96", "#e07b39", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#d4a017", "#5f6b73"]
CATEGORY_COLORS = {
    "M": "#c0392b",
    "O": "#1f5a96",
    "A": "#3a9d5d",
    "I": "#9aa5ad",
    "R": "#7d5ba6",
    "Q": "#d4a017",
}


def style() -> None:
    """Apply the cxmodels style (called on import)."""
    plt.rcParams.update(
        {
            "figure.figsize": (7.5, 4.5),
            "figure.dpi": 100,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "axes.prop_cycle": plt.cycler(color=PALETTE),
            "legend.frameon": False,
            "savefig.bbox": "tight",
        }
    )


style()


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _label(name: str) -> str:
    return str(name).removeprefix("attr_").replace("_", " ")


def importance_bars(table: pd.DataFrame, ax=None, title: str = "", value: str = "share"):
    """Horizontal bars of driver shares with bootstrap intervals when present."""
    t = table.sort_values("importance")
    ax = _ax(ax, (7.5, 0.45 * len(t) + 1.2))
    scale = t[value] / t["importance"] if value == "share" else 1.0
    ax.barh([_label(d) for d in t["driver"]], t[value], color=PALETTE[0])
    if t["ci_low"].notna().any():
        lo = (t["importance"] - t["ci_low"]) * scale
        hi = (t["ci_high"] - t["importance"]) * scale
        ax.errorbar(
            t[value], np.arange(len(t)), xerr=[lo, hi], fmt="none", ecolor="black", capsize=3
        )
    ax.set_xlabel("share of explained variance (%)" if value == "share" else value)
    ax.set_title(title or "Driver importance")
    return ax


def quadrant_map(table: pd.DataFrame, ax=None, x_cross=None, y_cross=None):
    """Importance-performance map: importance share (x) against performance 0-100 (y)."""
    ax = _ax(ax, (7.5, 5.5))
    x, y = table["share"], table["performance"]
    ax.scatter(x, y, s=60, color=PALETTE[0], zorder=3)
    for _, r in table.iterrows():
        ax.annotate(
            _label(r["driver"]),
            (r["share"], r["performance"]),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=9,
        )
    xc = x.mean() if x_cross is None else x_cross
    yc = y.mean() if y_cross is None else y_cross
    ax.axvline(xc, color="grey", ls="--", lw=1)
    ax.axhline(yc, color="grey", ls="--", lw=1)
    kw = dict(transform=ax.transAxes, fontsize=9, color="grey")
    ax.text(0.98, 0.02, "fix first: important, weak", ha="right", **kw)
    ax.text(0.98, 0.97, "keep up: important, strong", ha="right", va="top", **kw)
    ax.text(0.02, 0.02, "low priority", **kw)
    ax.text(0.02, 0.97, "possible overkill", va="top", **kw)
    ax.set_xlabel("importance (share of explained variance, %)")
    ax.set_ylabel("performance (mean rating, 0-100)")
    ax.set_title("Importance-performance map")
    return ax


def penalty_reward_bars(table: pd.DataFrame, ax=None):
    t = table.iloc[::-1]
    ax = _ax(ax, (7.5, 0.45 * len(t) + 1.2))
    ylab = [_label(d) for d in t["driver"]]
    ax.barh(ylab, t["penalty"], color=CATEGORY_COLORS["M"], label="penalty (low rating)")
    ax.barh(ylab, t["reward"], color=CATEGORY_COLORS["A"], label="reward (high rating)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("effect on the outcome vs a middle rating (points)")
    ax.set_title("Penalty-reward contrast")
    ax.legend(loc="lower right")
    return ax


def forest(
    table: pd.DataFrame,
    est: str,
    lo: str,
    hi: str,
    label: str,
    ax=None,
    ref: float = 1.0,
    log: bool = True,
    title: str = "",
    xlabel: str = "",
):
    """Forest plot of estimates with intervals (hazard ratios, effects)."""
    t = table.iloc[::-1]
    ax = _ax(ax, (7.5, 0.4 * len(t) + 1.2))
    ypos = np.arange(len(t))
    ax.errorbar(
        t[est],
        ypos,
        xerr=[t[est] - t[lo], t[hi] - t[est]],
        fmt="o",
        color=PALETTE[0],
        ecolor=PALETTE[0],
        capsize=3,
    )
    ax.axvline(ref, color="grey", ls="--", lw=1)
    ax.set_yticks(ypos, [_label(v) for v in t[label]])
    if log:
        ax.set_xscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    return ax


def kano_stacked(table: pd.DataFrame, ax=None):
    """Stacked bars of the full A/O/M/I/R/Q distribution per feature."""
    t = table.copy()
    label = t["feature"].astype(str)
    extra = [c for c in t.columns if c in ("segment", "wave")]
    for c in extra:
        label = label + " | " + t[c].astype(str)
    ax = _ax(ax, (8, 0.4 * len(t) + 1.5))
    left = np.zeros(len(t))
    for cat in ["M", "O", "A", "I", "R", "Q"]:
        v = 100 * t[f"share_{cat}"].to_numpy()
        ax.barh(label, v, left=left, color=CATEGORY_COLORS[cat], label=cat)
        left += v
    ax.set_xlabel("share of answers (%)")
    ax.set_title("Kano categories per feature")
    ax.legend(ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    return ax


def kano_better_worse(table: pd.DataFrame, ax=None):
    """Better-Worse map with bootstrap interval crosses and importance as bubble size."""
    ax = _ax(ax, (7, 6))
    x, y = -table["worse"], table["better"]
    size = 40 + 25 * (table["importance"] - 1) if "importance" in table else 60
    colors = [CATEGORY_COLORS.get(c, "grey") for c in table["category"]]
    if "better_low" in table:
        ax.errorbar(
            x,
            y,
            xerr=[x - (-table["worse_high"]), (-table["worse_low"]) - x],
            yerr=[y - table["better_low"], table["better_high"] - y],
            fmt="none",
            ecolor="grey",
            alpha=0.6,
        )
    ax.scatter(x, y, s=size, c=colors, zorder=3, edgecolor="white")
    for xi, yi, f in zip(x, y, table["feature"]):
        ax.annotate(_label(f), (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=9)
    ax.axvline(0.5, color="grey", ls="--", lw=1)
    ax.axhline(0.5, color="grey", ls="--", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    kw = dict(fontsize=9, color="grey")
    ax.text(0.02, 0.97, "attractive", va="top", **kw)
    ax.text(0.98, 0.97, "one-dimensional", va="top", ha="right", **kw)
    ax.text(0.98, 0.02, "must-be", ha="right", **kw)
    ax.text(0.02, 0.02, "indifferent", **kw)
    ax.set_xlabel("|Worse|: dissatisfaction when absent")
    ax.set_ylabel("Better: satisfaction when present")
    ax.set_title("Better-Worse map")
    return ax


def kano_dumouchel(table: pd.DataFrame, ax=None):
    """DuMouchel's continuous view: mean dysfunctional (x) against functional (y) with SD bars."""
    ax = _ax(ax, (7, 6))
    ax.errorbar(
        table["dys_mean"],
        table["fun_mean"],
        xerr=table["dys_sd"],
        yerr=table["fun_sd"],
        fmt="o",
        color=PALETTE[0],
        ecolor="lightgrey",
        capsize=2,
    )
    for xi, yi, f in zip(table["dys_mean"], table["fun_mean"], table["feature"]):
        ax.annotate(_label(f), (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=9)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlim(-2, 4)
    ax.set_ylim(-2, 4)
    ax.set_xlabel("dysfunctional score (absence hurts ->)")
    ax.set_ylabel("functional score (presence pleases ->)")
    ax.set_title("Continuous Kano scores (DuMouchel)")
    return ax


def overlap_hist(propensity: np.ndarray, treated: np.ndarray, ax=None):
    """Propensity score histograms by group (overlap check)."""
    ax = _ax(ax)
    bins = np.linspace(0, 1, 41)
    for group, label, color in ((0, "not followed up", PALETTE[1]), (1, "followed up", PALETTE[0])):
        ax.hist(
            propensity[treated == group],
            bins=bins,
            alpha=0.6,
            density=True,
            label=label,
            color=color,
        )
    ax.set_xlabel("propensity of follow-up")
    ax.set_ylabel("density")
    ax.set_title("Overlap of propensity scores")
    ax.legend()
    return ax


def balance_plot(balance: pd.DataFrame, ax=None):
    """Standardised mean differences before and after weighting (love plot)."""
    t = balance.iloc[::-1]
    ax = _ax(ax, (7.5, 0.3 * len(t) + 1.5))
    y = np.arange(len(t))
    ax.scatter(t["smd_unweighted"].abs(), y, label="before weighting", color=PALETTE[1])
    ax.scatter(t["smd_weighted"].abs(), y, label="after weighting", color=PALETTE[0])
    ax.axvline(0.1, color="grey", ls="--", lw=1)
    ax.set_yticks(y, t["covariate"])
    ax.set_xlabel("|standardised mean difference|")
    ax.set_title("Covariate balance")
    ax.legend()
    return ax


def km_curves(table: pd.DataFrame, ax=None, unit: str = "months", title: str = "Retention"):
    """Kaplan-Meier step curves with confidence bands, one per group."""
    ax = _ax(ax)
    for i, (g, d) in enumerate(table.groupby("group", sort=False)):
        c = PALETTE[i % len(PALETTE)]
        ax.step(d["time"], d["survival"], where="post", color=c, label=str(g))
        ax.fill_between(d["time"], d["ci_low"], d["ci_high"], step="post", color=c, alpha=0.15)
    ax.set_xlabel(f"time since baseline survey ({unit})")
    ax.set_ylabel("share still active")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    return ax


def survival_profiles(t, S, labels, ax=None):
    ax = _ax(ax)
    for i, lab in enumerate(labels):
        ax.plot(t, S[:, i], label=lab, color=PALETTE[i % len(PALETTE)])
    ax.set_xlabel("time")
    ax.set_ylabel("predicted share still active")
    ax.set_ylim(0, 1.02)
    ax.set_title("Predicted retention for chosen profiles")
    ax.legend()
    return ax


def calibration_plot(table: pd.DataFrame, ax=None):
    ax = _ax(ax, (5.5, 5))
    m = max(table["predicted"].max(), table["observed"].max()) * 1.1
    ax.plot([0, m], [0, m], color="grey", ls="--", lw=1)
    ax.plot(table["predicted"], table["observed"], "o-", color=PALETTE[0])
    ax.set_xlabel("predicted churn by the horizon")
    ax.set_ylabel("observed churn (Kaplan-Meier)")
    ax.set_title("Calibration by risk decile")
    return ax


def risk_hist(risk: np.ndarray, ax=None, horizon_label: str = ""):
    ax = _ax(ax)
    ax.hist(risk, bins=40, color=PALETTE[0])
    ax.set_xlabel(f"predicted churn probability{' by ' + horizon_label if horizon_label else ''}")
    ax.set_ylabel("customers")
    ax.set_title("Distribution of churn risk")
    return ax


def trend(table: pd.DataFrame, x: str = "wave", ax=None, title: str = "", ylabel: str = ""):
    """A metric over waves with its interval band (small cells drawn hollow)."""
    ax = _ax(ax)
    t = table.sort_values(x)
    ax.plot(t[x], t["value"], "o-", color=PALETTE[0])
    ax.fill_between(t[x], t["ci_low"], t["ci_high"], color=PALETTE[0], alpha=0.15)
    if "small" in t and t["small"].any():
        s = t[t["small"]]
        ax.plot(s[x], s["value"], "o", mfc="white", color=PALETTE[0])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=45)
    return ax


def heatmap(table: pd.DataFrame, row: str, col: str, ax=None, title: str = "", fmt: str = ".0f"):
    """Segment-by-wave heatmap; cells flagged small are left blank."""
    import seaborn as sns

    wide = table.assign(value=table["value"].where(~table["small"])).pivot(
        index=row, columns=col, values="value"
    )
    ax = _ax(ax, (max(7, 0.6 * wide.shape[1] + 2), 0.6 * wide.shape[0] + 1.5))
    sns.heatmap(
        wide, annot=True, fmt=fmt, cmap="RdYlGn", center=0, ax=ax, cbar_kws={"label": "NPS"}
    )
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return ax


def channel_mix_plot(mix: pd.DataFrame, ax=None):
    """Interactions per quarter by channel (stacked areas)."""
    wide = mix.groupby(["period", "channel"], observed=True)["n"].sum().unstack(fill_value=0)
    ax = _ax(ax)
    ax.stackplot(
        range(len(wide)), wide.T.to_numpy(), labels=wide.columns, colors=PALETTE[: wide.shape[1]]
    )
    ax.set_xticks(range(len(wide)), wide.index, rotation=45)
    ax.set_ylabel("interactions")
    ax.set_title("Interaction mix by channel")
    ax.legend(loc="upper left", ncol=4, fontsize=8)
    return ax
