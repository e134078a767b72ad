"""Penalty-reward contrast analysis (Brandt 1987; Matzler & Sauerwein 2002)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._format import fmt_count, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_number, fail
from ..i18n import is_english, t
from ..plots import penalty_reward_bars
from ._ols import ols_hc3
from ._prepare import centred, prepare, responses

CLASSES = ("basic", "performance", "excitement", "unclear")


@result_dataclass
class PenaltyRewardResult(Result):
    """Penalty-reward contrast analysis of one outcome.

    Attributes
    ----------
    table : DataFrame
        One row per attribute: ``driver``; ``penalty`` (points of the outcome for a low rating
        against the middle band) with ``penalty_se`` and ``penalty_p``; ``reward`` (for a high
        rating) with ``reward_se`` and ``reward_p`` (HC3 standard errors, t on the residual
        df); ``impact_asymmetry``; ``classification`` (basic / performance / excitement, or
        ``unclear`` when a band is too small or a sign is wrong); ``share_low``,
        ``share_high`` (shares of answers in the bands); ``n_low``, ``n_mid``, ``n_high``.
    outcome : str
    low, high : float
        Band limits: ratings <= ``low`` are low, >= ``high`` high, the rest the reference.
    n : int
    r2 : float
    warnings : tuple of str
        Bands with one answer or fewer than ``min_n``, and attributes with wrong-signed
        effects.
    use_t : bool
        p-values from Student's t (True) or the normal (False).

    Notes
    -----
    Impact asymmetry :math:`IA = (r - |p|)/(r + |p|)` (Mittal, Ross & Baldasare 1998).
    """

    table: pd.DataFrame
    outcome: str
    low: float
    high: float
    n: int
    r2: float
    warnings: tuple[str, ...] = ()
    min_n: int = 30
    use_t: bool = False

    def _summary_parts(self):
        facts = {
            "n": self.n,
            "R²": self.r2,
            "low ratings": f"<= {self.low:g}",
            "high ratings": f">= {self.high:g}",
        }
        notes = [
            *self.warnings,
            t("summary.penalty_reward.note"),
        ]
        outcome = self.outcome if is_english() else label(self.outcome)
        return (
            t("summary.penalty_reward.title", outcome=outcome),
            facts,
            {"Attributes": self.table.set_index("driver")},
            notes,
        )

    def findings(self) -> Findings:
        """Which attributes behave as basic and which as excitement factors."""
        cls = self.table.set_index("driver")["classification"]
        f = []
        basic = [label(d) for d in cls.index[cls == "basic"]]
        exc = [label(d) for d in cls.index[cls == "excitement"]]
        out = label(self.outcome)
        if basic:
            key = "drivers.basic_one" if len(basic) == 1 else "drivers.basic_many"
            f.append(t(key, names=join_words(basic), outcome=out))
        if exc:
            key = "drivers.excitement_one" if len(exc) == 1 else "drivers.excitement_many"
            f.append(t(key, names=join_words(exc), outcome=out))
        return Findings(tuple(s[:1].upper() + s[1:] for s in f), tuple(self.warnings))

    def plot(self, ax=None):
        return penalty_reward_bars(self.table, ax=ax)


def _bands(X, codebook, columns, low, high):
    scale = codebook.get(columns[0]) or {"min": X.min(), "max": X.max()}
    span = scale["max"] - scale["min"]
    lo = low if low is not None else np.floor(scale["min"] + 0.4 * span)
    hi = high if high is not None else np.ceil(scale["min"] + 0.7 * span)
    if not lo < hi:
        fail(
            "argument",
            "low",
            f"low={lo:g} is not below high={hi:g}",
            "pass low < high (ratings <= low are low, >= high are high)",
        )
    return float(lo), float(hi)


def _checks(table: pd.DataFrame, min_n: int) -> tuple[np.ndarray, list[str]]:
    """Rows to leave unclassified, and the caveats that say why.

    A band with one answer makes that answer's leverage 1: its dummy fits it exactly, so the
    penalty or reward rests on one person and HC3 (which divides by :math:`1 - h_i`) has no
    standard error for it. A wrong sign is stated even when a band is also small.
    """
    notes = []
    bands = table[["n_low", "n_mid", "n_high"]]
    one = (bands == 1).any(axis=1).to_numpy()
    small = (bands < min_n).any(axis=1).to_numpy()
    for r in table[one].itertuples():
        names = [t(f"drivers.band_name.{b}") for b in ("low", "mid", "high")
                 if getattr(r, f"n_{b}") == 1]  # fmt: skip
        notes.append(t("drivers.band_one", driver=label(r.driver), bands=join_words(names)))
    for r in table[small & ~one].itertuples():
        notes.append(
            t(
                "drivers.band_small",
                driver=label(r.driver),
                min_n=fmt_count(min_n),
                n_low=r.n_low,
                n_mid=r.n_mid,
                n_high=r.n_high,
            )
        )
    pen_wrong = (table["penalty"] > 0).to_numpy()
    rew_wrong = (table["reward"] < 0).to_numpy()
    for r in table[pen_wrong | rew_wrong].itertuples():
        key = "drivers.band_signs"
        if not (r.penalty > 0 and r.reward < 0):
            key = "drivers.band_penalty_sign" if r.penalty > 0 else "drivers.band_reward_sign"
        notes.append(t(key, driver=label(r.driver)))
    return one | small | pen_wrong | rew_wrong, notes


def _contrast_table(dd, lo: float, hi: float, threshold: float, use_t: bool = False):
    """Penalties and rewards of every attribute from one OLS on the band dummies (HC3)."""
    cols = list(dd.columns)
    L, H = dd.X <= lo, dd.X >= hi
    D = np.stack([L, H], axis=2).reshape(dd.n, -1).astype(float)  # d1 low, d1 high, d2 low, ...
    names = [f"{d}__{b}" for d in cols for b in ("low", "high")]
    empty = [c for c, s in zip(names, D.sum(axis=0)) if s in (0, dd.n)]
    if empty:
        fail(
            "responses",
            ", ".join(empty),
            "no (or only) ratings in this band",
            "choose other low/high cut-offs",
        )
    mean, Zc, gram = centred(np.column_stack([D, dd.y]), None)
    with np.errstate(divide="ignore", invalid="ignore"):  # leverage 1: NaN, and stated
        fit = ols_hc3(Zc, gram, None, mean, names, use_t=use_t)
    lows, highs = names[0::2], names[1::2]
    pen, rew = fit.params[lows].to_numpy(), fit.params[highs].to_numpy()
    ia = (rew - np.abs(pen)) / (rew + np.abs(pen))
    table = pd.DataFrame(
        {
            "driver": cols,
            "penalty": pen,
            "penalty_se": fit.bse[lows].to_numpy(),
            "penalty_p": fit.pvalues[lows].to_numpy(),
            "reward": rew,
            "reward_se": fit.bse[highs].to_numpy(),
            "reward_p": fit.pvalues[highs].to_numpy(),
            "impact_asymmetry": ia,
            "classification": np.where(
                ia < -threshold, "basic", np.where(ia > threshold, "excitement", "performance")
            ),
            "share_low": L.mean(axis=0),
            "share_high": H.mean(axis=0),
            "n_low": L.sum(axis=0),
            "n_mid": dd.n - L.sum(axis=0) - H.sum(axis=0),
            "n_high": H.sum(axis=0),
        }
    )
    return table, fit.r2


def penalty_reward(
    data,
    outcome: str = "overall_sat",
    drivers: list[str] | str | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
    threshold: float = 0.3,
    min_n: int = 30,
    use_t: bool = False,
) -> PenaltyRewardResult:
    """Penalty-reward contrast analysis (Brandt 1987; Matzler & Sauerwein 2002).

    Each attribute becomes two dummies, low (rating <= ``low``) and high (rating >= ``high``),
    against the middle band as reference; the outcome is regressed (OLS) on all dummies.

    Parameters
    ----------
    data : DataFrame or CXData
        Survey answers.
    outcome : str
        The outcome regressed on the dummies.
    drivers : str or list of str, optional
        Attribute ratings; default every ``attr_*`` column.
    low, high : float, optional
        Band limits; default 40% and 70% of the codebook scale of the first attribute (a 1-10
        scale: <= 4 and >= 8).
    threshold : float
        ``t`` in (0, 1): basic when :math:`IA < -t`, excitement when :math:`IA > t`.
    min_n : int
        Fewest answers a band (low, middle or high) needs for an attribute to be classified.
    use_t : bool
        p-values from Student's t on the residual df (R's ``lmtest::coeftest``) instead of the
        normal (default, as statsmodels' ``OLS(...).fit(cov_type="HC3")``); the same option
        and default as :func:`fit_drivers`.

    Returns
    -------
    PenaltyRewardResult
        ``.table``: ``driver``, ``penalty``, ``penalty_se``, ``penalty_p``, ``reward``,
        ``reward_se``, ``reward_p``, ``impact_asymmetry``, ``classification``, ``share_low``,
        ``share_high``, ``n_low``, ``n_mid``, ``n_high``.

    Notes
    -----
    The low coefficient is the **penalty** :math:`p`, the high one the **reward** :math:`r`;
    :math:`IA = (r - |p|)/(r + |p|)`. Standard errors are HC3 (MacKinnon & White 1985); the
    p-values are normal (statsmodels' ``cov_type="HC3"``) or, with ``use_t=True``, Student's t
    on :math:`n - 2k - 1` df, as ``lmtest::coeftest(m, vcov = sandwich::vcovHC(m, type =
    "HC3"))``. An attribute whose band holds one answer or fewer than ``min_n``, or whose
    penalty is positive or reward negative, is ``unclear`` (with a warning naming the reason).

    References
    ----------
    Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using
    customer satisfaction survey data. Matzler, K., & Sauerwein, E. (2002). *International
    Journal of Service Industry Management* 13(4), 314-332. Mittal, V., Ross, W. T., &
    Baldasare, P. M. (1998). *Journal of Marketing* 62(1), 33-47.
    """
    check_number("threshold", threshold, low=0, high=1, low_open=True, high_open=True)
    check_number("min_n", min_n, low=1, integer=True)
    for name, v in (("low", low), ("high", high)):
        if v is not None:
            check_number(name, v)
    df, codebook = responses(data)
    dd = prepare(df, outcome, drivers, codebook=codebook)
    cols = list(dd.columns)
    lo, hi = _bands(dd.X, codebook, cols, low, high)
    table, r2 = _contrast_table(dd, lo, hi, threshold, bool(use_t))
    unclear, notes = _checks(table, int(min_n))
    table.loc[unclear, "classification"] = "unclear"
    for n in notes:
        warnings.warn(n, UserWarning, stacklevel=2)
    return PenaltyRewardResult(
        table=table,
        outcome=outcome,
        low=lo,
        high=hi,
        n=dd.n,
        r2=r2,
        warnings=tuple(notes),
        min_n=int(min_n),
        use_t=bool(use_t),
    )
