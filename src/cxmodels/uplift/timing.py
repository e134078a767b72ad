r"""The right time to follow up: the effect by delay band, with the best window.

Each followed-up unit's **delay** is the days from the event to the follow-up (rounded up);
the treatment becomes multi-valued, :math:`A = 0` (no follow-up within the last band's end) or
the delay band :math:`b = 1..B`. Cross-fitted (by customer) multinomial propensities
:math:`\hat e_a(x) = P(A=a \mid x)` and outcome models :math:`\hat\mu_a(x)` give the AIPW
scores of the generalised propensity score (Imbens 2000; Cattaneo 2010)

.. math:: \hat\psi_{a,i} = \hat\mu_a(x_i) + 1[A_i=a]\,(Y_i - \hat\mu_a(x_i))/\hat e_a(x_i),

and the effect of a follow-up in band :math:`b` against none is
:math:`\hat\theta_b = n^{-1}\sum_i (\hat\psi_{b,i} - \hat\psi_{0,i})`, with a customer-clustered
standard error. The **best window** is the band with the largest improvement; its interval is
that band's, and ``p_best`` is the share of customer-bootstrap replicates in which each band is
best (how sure the choice is); the choice is clear only when the next band's difference from it,
:math:`\hat\theta_b - \hat\theta_{best}` with its clustered interval, excludes zero (the
best band's own interval, chosen as the largest, is optimistic).

References
----------
Imbens, G. W. (2000). The role of the propensity score in estimating dose-response functions.
*Biometrika* 87(3), 706-710. Cattaneo, M. D. (2010). Efficient semiparametric estimation of
multi-valued treatment effects under ignorability. *Journal of Econometrics* 155(2), 138-154.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from .._format import fmt_ci, fmt_count, fmt_level, fmt_num, fmt_pct, interval_digits, label
from .._results import Findings, Result, result_dataclass
from .._validation import InputError, check_level, check_number, check_option, fail
from ..effects import OUTCOMES, SAT_OUTCOMES, better_direction, effect_digits
from ..i18n import localize_digits, t
from ._learners import default_models, fold_of
from ._units import units_from_data
from .curves import clustered_mean
from .plots import timing_plot


@result_dataclass
class TimingResult(Result):
    """Effect of a follow-up by delay band against none, and the best window.

    Attributes
    ----------
    table : DataFrame
        One row per ``band`` (``from_day``, ``to_day``): ``n`` followed up in the band,
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (effect against no follow-up),
        ``p_best`` (share of bootstrap replicates in which the band is best), ``best``,
        ``vs_best`` (the band's effect minus the best band's) with ``vs_best_low``,
        ``vs_best_high``.
    """

    table: pd.DataFrame
    outcome: str
    n_units: int
    n_control: int
    bootstrap: int
    level: float
    covariates: tuple[str, ...] = ()

    @property
    def best(self) -> pd.Series:
        """The row of the best window."""
        return self.table.loc[self.table["best"]].iloc[0]

    def _summary_parts(self):
        facts = {"outcome": self.outcome, "units": self.n_units,
                 "not followed up": self.n_control,
                 "adjusted for": ", ".join(self.covariates) or "nothing"}  # fmt: skip
        return t("summary.uplift.timing_title"), facts, {"By delay": self.table}, []

    def findings(self) -> Findings:
        """The best window with its effect and interval, how often it is best, and the effect
        of the latest band for comparison."""
        b, last = self.best, self.table.iloc[-1]
        d = interval_digits(b.ci_low, b.ci_high, 0.0, effect_digits(self.outcome))
        unit = t("effects.unit.points" if self.outcome in SAT_OUTCOMES else "effects.unit.share")
        f = [
            t("uplift.timing.best", lo=int(b.from_day), hi=int(b.to_day),
              outcome=label(self.outcome), estimate=fmt_num(b.estimate, d, signed=True),
              unit=unit, ci=fmt_ci(b.ci_low, b.ci_high, d, signed=True),
              level=fmt_level(self.level), p=fmt_pct(b.p_best)),
        ]  # fmt: skip
        runner = self._runner_up()
        if runner is not None:
            clear = runner.vs_best_low > 0 or runner.vs_best_high < 0
            f.append(t("uplift.timing.vs_next" if clear else "uplift.timing.not_clearly_best",
                       lo=int(runner.from_day), hi=int(runner.to_day),
                       diff=fmt_num(-runner.vs_best, d, signed=True),
                       ci=fmt_ci(-runner.vs_best_high, -runner.vs_best_low, d, signed=True),
                       level=fmt_level(self.level)))  # fmt: skip
        if last.band != b.band:
            f.append(t("uplift.timing.latest", lo=int(last.from_day), hi=int(last.to_day),
                       estimate=fmt_num(last.estimate, d, signed=True),
                       ci=fmt_ci(last.ci_low, last.ci_high, d, signed=True)))  # fmt: skip
        return Findings(tuple(f), (t("uplift.timing.assumption"),))

    def _runner_up(self) -> pd.Series | None:
        """The band closest to the best one (``None`` with one band)."""
        rest = self.table.loc[~self.table["best"]]
        if rest.empty:
            return None
        sign = -1.0 if better_direction(self.outcome) == "lower" else 1.0
        return rest.loc[(sign * rest["estimate"]).idxmax()]

    def plot(self, ax=None):
        return timing_plot(self.table, self.outcome, ax=ax)


#: Fewest units in an arm (no follow-up, or a delay band) in every cross-fitting fold's
#: training part: below it an arm's outcome model rests on too few units to fit.
MIN_PER_ARM = 20


class ThinBandsError(InputError):
    """The data has too few units in a delay band (or without follow-up) for the timing
    analysis; ``band`` names it (``"none"`` for no follow-up), ``n`` its units in the thinnest
    training fold, ``minimum`` the floor (:data:`MIN_PER_ARM`)."""

    def __init__(self, message: str, band: str, n: int, minimum: int):
        super().__init__(message)
        self.band, self.n, self.minimum = band, n, minimum

    def skip_values(self) -> dict:
        """The values of the report's skip sentence (``nb.need.timing.thin``), in the current
        language."""
        band = localize_digits(self.band)
        return {"band": band, "n": fmt_count(self.n), "minimum": fmt_count(self.minimum)}

    @property
    def reason(self) -> str:
        """The skip sentence's key after ``nb.need.``: the thin arm is a delay band, or the
        units without follow-up."""
        return "timing.thin_none" if self.band == "none" else "timing.thin"


def _check_arms(arm: np.ndarray, edges: np.ndarray, fold: np.ndarray, folds: int) -> None:
    """Refuse (:class:`ThinBandsError`) when an arm has fewer than :data:`MIN_PER_ARM` units
    in the training part of any fold."""
    n_arms = len(edges)
    least = np.min([np.bincount(arm[fold != k], minlength=n_arms) for k in range(folds)], axis=0)
    thin = np.flatnonzero(least < MIN_PER_ARM)
    if thin.size:
        b = int(thin[0])
        band = "none" if b == 0 else f"{int(edges[b - 1]) + 1}-{edges[b]:g}"
        try:
            fail("interactions", "kind=follow_up",
                 f"{int(least[b])} unit(s) in the delay band {band} (days; 'none': no follow-up) "
                 f"in a cross-fitting fold, fewer than {MIN_PER_ARM}",
                 "widen or merge the bands, or lower folds")  # fmt: skip
        except InputError as exc:
            raise ThinBandsError(str(exc), band, int(least[b]), MIN_PER_ARM) from None


def follow_up_timing(
    data,
    *,
    outcome: str = "overall_sat",
    bands=(0, 2, 4, 7, 14),
    covariates=None,
    horizon_days: int = 180,
    events=("purchase", "complaint"),
    folds: int = 5,
    trim: float = 0.01,
    bootstrap: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> TimingResult:
    """Effect of a follow-up by the days from the event to the contact (AIPW by delay band).

    Parameters
    ----------
    data : CXData
    outcome : see :func:`cxmodels.follow_up_effect`
    bands : increasing edges in days
        Band :math:`b` holds delays in ``(edges[b-1], edges[b]]``; the last edge is the
        follow-up window (later follow-ups count as none, as in ``cx.follow_up_effect``).
    covariates, horizon_days, events : see :func:`cxmodels.fit_uplift`
    folds, trim, seed, level : see :func:`cxmodels.fit_uplift`
    bootstrap : int
        Customer-cluster replicates for ``p_best``.

    Returns
    -------
    TimingResult
    """
    check_option("outcome", outcome, OUTCOMES, "uplift")
    check_number("folds", folds, low=2, integer=True)
    check_number("bootstrap", bootstrap, low=0, integer=True)
    level = check_level(level)
    edges = np.asarray(bands, float)
    if len(edges) < 3 or not (np.diff(edges) > 0).all() or edges[0] < 0:
        fail("uplift", "bands", f"{list(bands)} are not increasing edges from 0 or more",
             "pass at least three increasing edges in days, e.g. (0, 2, 4, 7, 14)")  # fmt: skip
    u = units_from_data(data, outcome, covariates, int(edges[-1]), horizon_days, events)
    delay = np.ceil((u.frame["fu_time"] - u.frame["event_time"]).dt.total_seconds() / 86400)
    arm = np.where(u.T == 1, np.searchsorted(edges, delay.to_numpy(), side="left"), 0)
    arm = np.where((u.T == 1) & (arm == 0), 1, arm).astype(int)
    counts = np.bincount(arm, minlength=len(edges))
    if (counts == 0).any():
        empty = [f"{edges[b - 1]:g}-{edges[b]:g}" for b in range(1, len(edges)) if counts[b] == 0]
        fail("interactions", "kind=follow_up",
             f"no follow-ups in the delay band(s) {empty}" if counts[0] else "no unit without follow-up",
             "widen or merge the bands")  # fmt: skip
    _check_arms(arm, edges, fold_of(u.groups, folds, seed), folds)
    psi = _aipw_scores(u, arm, len(edges), folds, trim, seed, outcome == "churn_within")
    table = _band_table(
        psi, arm, u.groups, edges, better_direction(outcome), bootstrap, seed, level
    )
    return TimingResult(table, outcome, len(arm), int(counts[0]), bootstrap, level, u.covariates)


def _aipw_scores(u, arm, n_arms, folds, trim, seed, binary) -> np.ndarray:
    """Cross-fitted AIPW scores :math:`\\hat\\psi_{a,i}` of every arm, shape ``(n, arms)``."""
    reg, clf = default_models(seed, u.categorical)
    fold = fold_of(u.groups, folds, seed)
    n = len(arm)
    e, mu = np.empty((n, n_arms)), np.empty((n, n_arms))
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in range(folds):  # a few folds x a few arms; fits vectorized inside
            test, train = fold == k, fold != k
            pm = clone(clf).fit(u.X[train], arm[train])
            e[np.ix_(test, pm.classes_)] = pm.predict_proba(u.X[test])
            for a in range(n_arms):
                sel = train & (arm == a)
                mu[test, a] = clone(reg).fit(u.X[sel], u.Y[sel]).predict(u.X[test])
    e = np.clip(e, trim, 1 - trim)
    if binary:
        mu = np.clip(mu, 0, 1)
    onehot = np.eye(n_arms)[arm]
    return mu + onehot * (u.Y[:, None] - mu) / e


def _band_table(psi, arm, groups, edges, better, B, seed, level) -> pd.DataFrame:
    z = norm.ppf((1 + level) / 2)
    diff = psi[:, 1:] - psi[:, :1]
    rows = []
    for b in range(diff.shape[1]):  # a few bands
        est, se = clustered_mean(diff[:, b], groups)
        rows.append({"band": f"{int(edges[b]) + 1}-{edges[b + 1]:g}", "from_day": int(edges[b]) + 1,
                     "to_day": int(edges[b + 1]), "n": int((arm == b + 1).sum()), "estimate": est,
                     "se": se, "ci_low": est - z * se, "ci_high": est + z * se})  # fmt: skip
    table = pd.DataFrame(rows)
    sign = -1.0 if better == "lower" else 1.0
    table["p_best"] = _p_best(sign * diff, groups, B, seed)
    best = int(np.argmax(sign * table["estimate"].to_numpy()))
    table["best"] = np.arange(len(table)) == best
    return table.join(_against_best(diff, best, groups, z))


def _against_best(diff, best, groups, z) -> pd.DataFrame:
    """Each band's effect minus the best band's (``vs_best`` with ``vs_best_low``,
    ``vs_best_high``; missing on the best band), customer-clustered as the effects."""
    rows = []
    for b in range(diff.shape[1]):  # a few bands
        est, se = clustered_mean(diff[:, b] - diff[:, best], groups) if b != best else (np.nan,) * 2
        rows.append({"vs_best": est, "vs_best_low": est - z * se, "vs_best_high": est + z * se})
    return pd.DataFrame(rows)


def _p_best(gain, groups, B, seed) -> np.ndarray:
    codes = pd.factorize(pd.Series(groups), sort=False)[0]
    nc = codes.max() + 1
    sums = np.column_stack([np.bincount(codes, weights=g, minlength=nc) for g in gain.T])
    if B == 0:
        return np.full(gain.shape[1], np.nan)
    rng = np.random.default_rng([0 if seed is None else seed, 47])
    W = rng.multinomial(nc, np.full(nc, 1 / nc), size=B).astype(float)
    best = np.argmax(W @ sums, axis=1)
    return np.bincount(best, minlength=gain.shape[1]) / B
