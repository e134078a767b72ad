"""Driver shares per segment and their differences against a reference segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _importance as imp
from .._bootstrap import make_rng, multinomial_weights, percentile_ci
from .._format import fmt_num, interval_digits, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_level, check_number, check_weights, fail, require_columns
from ..data.core import is_dataset
from ..i18n import t
from ._prepare import prepare, responses
from .models import _weighted_corr


@result_dataclass
class SegmentComparison(Result):
    """Driver shares per segment and differences against a reference segment.

    Attributes
    ----------
    table : DataFrame
        One row per driver and segment: ``driver``, ``segment``, ``share`` (percent of the
        segment's explained variance, exact Shapley), ``diff`` (percentage points against
        ``reference``), ``diff_low``, ``diff_high`` (bootstrap percentile interval of ``diff``
        at ``level``; NaN for the reference).
    reference : str
    bootstrap : int
    level : float
    weights : str or None
        The weight column (a generated name for weights passed as an array), None unweighted.
    """

    table: pd.DataFrame
    reference: str
    bootstrap: int
    level: float = 0.95
    weights: str | None = None

    def _summary_parts(self):
        wide = self.table.pivot(index="driver", columns="segment", values="share")
        diffs = self.table[self.table.segment != self.reference].set_index(["driver", "segment"])
        return (
            "Driver shares by segment (percent of explained variance)",
            {
                "reference segment": self.reference,
                "bootstrap replicates": self.bootstrap,
                **({"weights": self.weights} if self.weights else {}),
            },
            {"Shares": wide, "Differences": diffs[["diff", "diff_low", "diff_high"]]},
            [],
        )

    def findings(self) -> Findings:
        """Up to three differences whose interval excludes zero, largest first."""
        d = self.table.dropna(subset=["diff_low"])
        sig = d[(d["diff_low"] > 0) | (d["diff_high"] < 0)]
        f = []
        for r in sig.sort_values("diff", key=np.abs, ascending=False).head(3).itertuples():
            d = interval_digits(r.diff_low, r.diff_high, 0.0, 0)  # "+0 to +4" never
            f.append(
                t(
                    "drivers.segment_more" if r.diff > 0 else "drivers.segment_less",
                    segment=label(r.segment),
                    driver=label(r.driver),
                    points=fmt_num(abs(r.diff), d),
                    reference=label(self.reference),
                    low=fmt_num(r.diff_low, d, signed=True),
                    high=fmt_num(r.diff_high, d, signed=True),
                )
            )
        c = () if self.bootstrap else (t("drivers.segment_no_bootstrap"),)
        return Findings(tuple(f), c)


def _frame(data, segment: str) -> pd.DataFrame:
    if is_dataset(data):
        require_columns(data.customers, ["customer_id", segment], "customers")
        return data.responses.merge(
            data.customers[["customer_id", segment]], on="customer_id", how="left"
        )
    df, _ = responses(data)
    require_columns(df, [segment], "responses")
    return df


def _segment_shares(part, outcome, drivers, bootstrap, rng, table, weights=None):
    """Players, Shapley shares (percent) and their bootstrap replicates for one segment.

    With ``weights`` (a column of ``part``) the shares are those of the weighted (WLS) model
    and each replicate multiplies its resampling counts by the weights, as
    :func:`cxmodels.drivers.fit_drivers` does.
    """
    dd = prepare(part, outcome, drivers, weights=weights, table=table)
    shap = imp.lattice(dd.corr, dd.sizes, keep=False).shapley
    draws = None
    if bootstrap:
        counts = multinomial_weights(dd.n, int(bootstrap), rng)
        if dd.w is not None:
            counts = counts * dd.w
        sh = imp.lattice(_weighted_corr(dd.Z, counts), dd.sizes, keep=False)
        draws = 100 * sh.shapley / sh.shapley.sum(axis=1, keepdims=True)
    return dd.players, 100 * shap / shap.sum(), draws


def compare_segments(
    data,
    outcome: str = "overall_sat",
    drivers: list[str] | str | None = None,
    *,
    segment: str = "segment",
    reference: str | None = None,
    bootstrap: int = 200,
    seed: int | None = 0,
    level: float = 0.95,
    weights: str | np.ndarray | None = None,
) -> SegmentComparison:
    """Shapley shares per segment and their differences with bootstrap intervals.

    Parameters
    ----------
    data : DataFrame or CXData
        A CXData (segment from the customers table) or a DataFrame with a ``segment`` column.
    outcome : str
    drivers : str or list of str, optional
        Default every ``attr_*`` column.
    segment : str
        The segment column.
    reference : str, optional
        The segment the others are compared with; default the first in sorted order.
    bootstrap : int
        Replicates; each resamples rows within each segment independently.
    seed : int, optional
    level : float
        Level of the intervals.
    weights : str or array, optional
        Survey weights: a column of the answers (or of the merged answers and customers), or
        one weight per answer row; each segment's model is then weighted (WLS) as in
        :func:`fit_drivers`, and so are its bootstrap replicates.

    Returns
    -------
    SegmentComparison
        ``.table``: ``driver``, ``segment``, ``share``, ``diff``, ``diff_low``, ``diff_high``.

    Notes
    -----
    ``share`` is :math:`100\\,\\phi_j / \\sum_k \\phi_k` with :math:`\\phi` the exact Shapley
    values of the segment's OLS model; ``diff`` the share minus the reference's share.
    """
    check_number("bootstrap", bootstrap, low=0, integer=True)
    check_level(level)
    if seed is not None:
        check_number("seed", seed, low=0, integer=True)
    df = _frame(data, segment)
    wcol = _weight_column(df, weights)
    if wcol is not None and not isinstance(weights, str):
        df = df.assign(**{wcol: check_weights(weights, len(df), "responses")})
    segs = sorted(df[segment].dropna().unique())
    if reference is None:
        reference = segs[0]
    elif reference not in segs:
        fail(
            "responses",
            segment,
            f"reference segment {reference!r} not found",
            f"choose one of {[str(s) for s in segs]}",
        )
    rng = make_rng(seed)
    shares, draws, players = {}, {}, ()
    for s in segs:  # loop over a few segments
        part = df[df[segment] == s]
        players, shares[s], draws[s] = _segment_shares(
            part, outcome, drivers, bootstrap, rng, f"responses ({segment} {s})", wcol
        )
    parts = []
    for s in segs:
        lo = hi = np.full(len(players), np.nan)
        if bootstrap and s != reference:
            lo, hi = percentile_ci(draws[s] - draws[reference], level)
        parts.append(
            pd.DataFrame(
                {
                    "driver": list(players),
                    "segment": s,
                    "share": shares[s],
                    "diff": shares[s] - shares[reference],
                    "diff_low": lo,
                    "diff_high": hi,
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    return SegmentComparison(
        table=table,
        reference=reference,
        bootstrap=int(bootstrap),
        level=float(level),
        weights=wcol,
    )


def _weight_column(df: pd.DataFrame, weights) -> str | None:
    """The column that holds the weights: their name, a new column for an array, or None."""
    if weights is None or isinstance(weights, str):
        return weights
    name = "__weight__"
    while name in df.columns:  # never overwrite a column of the data
        name += "_"
    return name
