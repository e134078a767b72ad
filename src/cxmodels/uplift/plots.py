"""Figures of the uplift results, in the one cxmodels style (:mod:`cxmodels.plots`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..plots import PALETTE, _ax, _label, _legend_outside, _set_alt, _styled


@_styled
def effect_hist(effects: np.ndarray, average: float, outcome: str, ax=None):
    """Histogram of per-customer effects with the average effect as a line."""
    ax = _ax(ax, (7, 3.6))
    ax.hist(effects, bins=40, color=PALETTE[0], alpha=0.8)
    ax.axvline(average, color=PALETTE[1], lw=2, label="average effect (AIPW)")
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_xlabel(i18n.t("uplift.fig.effect_of_follow_up", outcome=_label(outcome)))
    ax.set_ylabel("units")
    ax.set_title("Per-customer effects of a follow-up")
    _legend_outside(ax)
    return _set_alt(ax, i18n.t("fig.alt.uplift_hist", n=len(effects)))


@_styled
def qini_plot(table: pd.DataFrame, kind: str, ax=None):
    """The curve with its band against random targeting."""
    ax = _ax(ax, (7, 4))
    x = 100 * table["share"]
    ax.fill_between(x, table["ci_low"], table["ci_high"], color=PALETTE[0], alpha=0.2)
    ax.plot(x, table["value"], color=PALETTE[0], lw=2, label="ranking by predicted effect")
    ax.plot(x, table["random"], color="grey", ls="--", label="random targeting")
    ax.set_xlabel("share of units contacted (%)")
    ax.set_ylabel({"dr": "total effect (DR)", "qini": "Qini", "uplift": "uplift"}[kind])
    ax.set_title({"dr": "Gain curve (doubly robust)", "qini": "Qini curve",
                  "uplift": "Uplift curve"}[kind])  # fmt: skip
    _legend_outside(ax)
    return _set_alt(ax, i18n.t("fig.alt.qini"))


@_styled
def calibration_plot(table: pd.DataFrame, outcome: str, ax=None):
    """Predicted against DR-estimated effect by decile, with the identity line."""
    ax = _ax(ax, (6, 4.5))
    err = [
        table["estimated_effect"] - table["estimated_effect_low"],
        table["estimated_effect_high"] - table["estimated_effect"],
    ]
    ax.errorbar(table["predicted_effect"], table["estimated_effect"], yerr=err, fmt="o", color=PALETTE[0],
                capsize=3, label="decile")  # fmt: skip
    lo = float(np.nanmin([table["predicted_effect"].min(), table["estimated_effect_low"].min()]))
    hi = float(np.nanmax([table["predicted_effect"].max(), table["estimated_effect_high"].max()]))
    ax.plot([lo, hi], [lo, hi], color="grey", ls="--", label="perfect calibration")
    ax.set_xlabel("predicted effect")
    ax.set_ylabel("estimated effect (AIPW)")
    ax.set_title("Calibration of the predicted effects by decile")
    _legend_outside(ax)
    return _set_alt(ax, i18n.t("fig.alt.uplift_calibration", n=len(table)))


@_styled
def trait_plot(by_trait: pd.DataFrame, outcome: str, top: int = 12, ax=None):
    """The trait levels with the largest DR-estimated effects, with intervals."""
    t = by_trait.nlargest(top, "predicted_effect").iloc[::-1]
    ax = _ax(ax, (7.5, 0.35 * len(t) + 1.5))
    y = np.arange(len(t))
    err = [
        t["estimated_effect"] - t["estimated_effect_low"],
        t["estimated_effect_high"] - t["estimated_effect"],
    ]
    ax.errorbar(t["estimated_effect"], y, xerr=err, fmt="o", color=PALETTE[0], capsize=3,
                label="estimated (AIPW)")  # fmt: skip
    ax.scatter(t["predicted_effect"], y, marker="x", color=PALETTE[1], label="predicted", zorder=3)
    names = [f"{_label(c)}: {_label(str(v))}" for c, v in zip(t["covariate"], t["level"])]
    ax.set_yticks(y, names)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_xlabel(i18n.t("uplift.fig.effect_of_follow_up", outcome=_label(outcome)))
    ax.set_title("Who gains most from a follow-up")
    _legend_outside(ax)
    return _set_alt(ax, i18n.t("fig.alt.uplift_traits", n=len(t)))


@_styled
def policy_plot(table: pd.DataFrame, ax=None):
    """Net money value (or the gain) of each policy with its interval."""
    ax = _ax(ax, (7, 3.2))
    money = "net_value" in table
    est = table["net_value" if money else "gain"]
    lo = table["net_value_low" if money else "gain_low"]
    hi = table["net_value_high" if money else "gain_high"]
    y = np.arange(len(table))[::-1]
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color=PALETTE[0], capsize=3)
    ax.set_yticks(y, [_label(str(p)) for p in table["policy"]])
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_xlabel("net value (money)" if money else "total effect")
    ax.set_title("Value of the follow-up policies")
    return _set_alt(ax, i18n.t("fig.alt.uplift_policy", n=len(table)))


@_styled
def timing_plot(table: pd.DataFrame, outcome: str, ax=None):
    """Effect of a follow-up by delay band with intervals; the best band highlighted."""
    ax = _ax(ax, (7, 3.8))
    x = np.arange(len(table))
    err = [
        table["estimate"] - table["ci_low"],
        table["ci_high"] - table["estimate"],
    ]
    colors = [PALETTE[1] if b else PALETTE[0] for b in table["best"]]
    ax.bar(x, table["estimate"], color=colors, alpha=0.85)
    ax.errorbar(x, table["estimate"], yerr=err, fmt="none", color="black", capsize=3)
    names = [f"{int(a)}-{int(b)}" for a, b in zip(table["from_day"], table["to_day"])]
    ax.set_xticks(x, names)
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlabel("days from the event to the follow-up")
    ax.set_ylabel(i18n.t("uplift.fig.effect_on", outcome=_label(outcome)))
    ax.set_title("Effect of a follow-up by its delay")
    return _set_alt(ax, i18n.t("fig.alt.uplift_timing", n=len(table)))
