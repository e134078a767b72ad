"""Figures of the value models, in the cxmodels style (:mod:`cxmodels.plots`).

Each function takes a tidy table from a value result and an optional ``ax``; nothing here
computes statistics.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._format import label
from ..plots import PALETTE, _ax, _styled


@_styled
def calibration_holdout_plot(table: pd.DataFrame, ax=None, unit: str = "weeks"):
    """Mean holdout purchases, actual and predicted, by calibration frequency (Fader-Hardie)."""
    ax = _ax(ax)
    x = np.arange(len(table))
    ax.plot(x, table["actual"], "o-", color=PALETTE[0], label="actual")
    ax.plot(x, table["predicted"], "s--", color=PALETTE[1], label="model")
    ax.set_xticks(x, table["frequency"].astype(str))
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Calibration vs holdout")
    ax.legend()
    return ax


@_styled
def tracking_plot(table: pd.DataFrame, cumulative: bool = True, ax=None):
    """Repeat purchases per period (or cumulative), actual and expected; holdout shaded."""
    ax = _ax(ax)
    a, e = ("cumulative_actual", "cumulative_expected") if cumulative else ("actual", "expected")
    ax.plot(table["period_end"], table[a], color=PALETTE[0], label="actual")
    ax.plot(table["period_end"], table[e], "--", color=PALETTE[1], label="model")
    hold = table.loc[table["holdout"], "period_end"]
    if len(hold):
        ax.axvspan(hold.iloc[0], hold.iloc[-1], color="grey", alpha=0.12, label="holdout")
    ax.set_ylabel(("cumulative " if cumulative else "") + "repeat purchases")
    ax.set_title("Tracking: " + ("cumulative" if cumulative else "per period"))
    ax.legend()
    return ax


@_styled
def clv_histogram(clv: pd.Series | np.ndarray, ax=None, bins: int = 40):
    """Distribution of CLV per customer (log-spaced bins when it is skewed)."""
    ax = _ax(ax)
    v = np.asarray(clv, dtype=float)
    v = v[np.isfinite(v)]
    pos = v[v > 0]
    if pos.size and np.quantile(pos, 0.99) > 20 * np.median(pos):
        floor = _log_floor(pos)
        ax.hist(np.clip(pos, floor, None), bins=np.geomspace(floor, pos.max(), bins),
                color=PALETTE[0])  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlim(floor, pos.max())
    else:
        ax.hist(v, bins=bins, color=PALETTE[0])
    ax.set_xlabel("CLV per customer")
    ax.set_ylabel("customers")
    ax.set_title("Customer lifetime value")
    return ax


def _log_floor(pos: np.ndarray) -> float:
    """The left end of a log axis over positive values: their 1st percentile, and at most four
    decades below the largest (a customer almost surely gone has a CLV of 1e-24, which would
    stretch the axis over 28 decades); values below it are counted in the first bin."""
    return float(min(max(np.quantile(pos, 0.01), pos.max() * 1e-4), pos.max()))


@_styled
def rfm_histograms(rfm: pd.DataFrame, axes=None):
    """Frequency, recency and mean repeat value side by side."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    cols = [("frequency", "repeat purchases"), ("recency", "recency"),
            ("monetary_value", "mean repeat value")]  # fmt: skip
    for ax, (c, lab) in zip(axes, cols, strict=True):
        v = rfm[c].dropna().to_numpy(dtype=float) if c in rfm else np.array([])
        ax.hist(v, bins=30, color=PALETTE[0])
        ax.set_xlabel(lab)
    axes[0].set_ylabel("customers")
    return axes


@_styled
def gain_bars(table: pd.DataFrame, ax=None, title: str = "CLV gained per customer"):
    """CLV gained per customer by segment with its interval (a ValueOfChangeResult table)."""
    ax = _ax(ax)
    t = table.reset_index(drop=True)
    y = np.arange(len(t))
    err = np.vstack([t["delta_clv"] - t["ci_low"], t["ci_high"] - t["delta_clv"]])
    ax.barh(
        y, t["delta_clv"], xerr=np.clip(np.nan_to_num(err), 0, None), color=PALETTE[2], capsize=3
    )
    ax.set_yticks(y, [label(s) for s in t["segment"].astype(str)])
    ax.invert_yaxis()
    ax.set_xlabel("CLV gained per customer")
    ax.set_title(title)
    return ax


@_styled
def retention_plot(table: pd.DataFrame, ax=None, period: str = "period"):
    """sBG projected survivors with the observed ones (an SBGResult.retention table)."""
    ax = _ax(ax)
    ax.plot(table["period"], table["survivors"], "--", color=PALETTE[1], label="sBG")
    ax.plot(table["period"], table["observed"], "o", color=PALETTE[0], label="observed")
    ax.set_xlabel(period)
    ax.set_ylabel("survivors")
    ax.set_title("Retention")
    ax.legend()
    return ax
