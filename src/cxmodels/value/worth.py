"""What CX is worth in money: a point of satisfaction, the follow-up programme, the club.

The value of satisfaction rests on a *value model*: BG/NBD with time-invariant covariates
(satisfaction, club membership, the onboarding follow-up, segment and optional controls entering
both the purchase and the dropout process) and Gamma-Gamma spend. A what-if changes a covariate
for every customer and recomputes each customer's CLV from her own history (conditional
expectations), so the difference is the model's estimate of the value the change creates; its
intervals are parametric bootstrap draws of the estimates from their asymptotic normal
distribution (``_draws``); discounting is quarterly.

The follow-up programme and the club are valued by :mod:`cxmodels.value.programme`: the
programme's causal effect on purchasing and dropout (adjusted for the confounders of
``cx.follow_up_effect``), turned into CLV, with intervals from customer-bootstrap refits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._format import fmt_count, fmt_est, fmt_num, fmt_pct, label
from .._results import Findings, Result, result_dataclass
from .._threads import one_thread
from .._validation import as_list, check_number, check_option, fail
from ..effects import follow_up_effect
from ..i18n import t, unit_word
from .bgnbd import BGNBDResult, fit_bgnbd
from .covariates import add_covariates, segment_mask
from .gammagamma import GammaGammaResult, fit_gamma_gamma
from .programme import EFFECT_CONTROLS, control_columns, programme_effect
from .rfm import UNITS, rfm_summary


@dataclass(frozen=True, eq=False)
class ValueModel:
    """A fitted value model: purchases (BG/NBD with covariates), spend (Gamma-Gamma), customers."""

    purchases: BGNBDResult
    spend: GammaGammaResult
    rfm: pd.DataFrame
    covariates: tuple
    satisfaction_max: float  # highest centred satisfaction the scale allows

    @property
    def unit(self) -> str:
        return self.purchases.unit


def fit_value_model(
    data,
    *,
    unit: str = "weeks",
    controls=("segment",),
    satisfaction: str = "overall_sat",
    rfm: pd.DataFrame | None = None,
) -> ValueModel:
    """Fit the value model on every customer of ``data`` with a purchase.

    Parameters
    ----------
    data : CXData
        With purchases (interactions of kind purchase with ``amount``).
    unit : str
        Time unit of the purchase model.
    controls : list of str
        Customer attributes one-hot encoded as further covariates ("segment" and any of the
        customers table's categorical columns, e.g. the follow-up effect's confounders
        region, age_band, income_band, acquisition_channel).
    satisfaction : str
        Rating column averaged per customer.
    rfm : DataFrame, optional
        A ready RFM table (default ``rfm_summary(data, unit=unit)``).

    Returns
    -------
    ValueModel
    """
    controls = as_list(controls)
    rfm = rfm_summary(data, unit=unit) if rfm is None else rfm
    rfm = add_covariates(rfm, data, satisfaction=satisfaction, segments="segment" in controls)
    extra = [c for c in controls if c != "segment"]
    rfm, _ = control_columns(rfm, data, extra)
    cov = ["satisfaction"] + [
        c for c in rfm.columns if c in ("loyalty_member", "followed_up", "has_survey")
        or c.startswith(tuple(f"{k}_" for k in ["segment", *extra]))
    ]  # fmt: skip
    cov = [c for c in cov if rfm[c].std() > 0]
    pm = fit_bgnbd(rfm, purchase_covariates=cov, dropout_covariates=cov, unit=unit)
    gg = fit_gamma_gamma(rfm)
    scale = (data.codebook or {}).get(satisfaction, {"max": 10})
    return ValueModel(pm, gg, rfm, tuple(cov), float(scale.get("max", 10)) - 7.0)


def _draws(fit, n: int, rng) -> np.ndarray:
    """``n`` parameter vectors drawn from the estimate's asymptotic normal distribution."""
    if n == 0 or not np.all(np.isfinite(fit.cov)):
        return np.empty((0, fit.theta.size))
    return rng.multivariate_normal(fit.theta, fit.cov, size=n, method="eigh")


def _with_theta(res, theta):
    names = list(res.params)
    k = 4 if isinstance(res, BGNBDResult) else 3
    vals = np.where(np.arange(theta.size) < k, np.exp(theta), theta)
    return replace(res, params=dict(zip(names, vals, strict=True)))


def _clv(vm, pm, gg, rfm, horizon, discount_rate, margin):
    z = gg.expected_spend(rfm).to_numpy()
    steps = int(np.ceil(horizon / (13 * UNITS["weeks"] / UNITS[vm.unit])))  # quarterly
    return margin * z * pm.discounted_purchases(horizon, discount_rate, rfm, steps=steps)


def _what_if(vm, change, horizon, discount_rate, margin, bootstrap, seed):
    """CLV now and after ``change(rfm)`` per customer, and bootstrap draws of the difference."""
    base, alt = vm.rfm, change(vm.rfm.copy())
    now = _clv(vm, vm.purchases, vm.spend, base, horizon, discount_rate, margin)
    delta = _clv(vm, vm.purchases, vm.spend, alt, horizon, discount_rate, margin) - now
    rng = np.random.default_rng(seed)
    tp, ts = _draws(vm.purchases.fit, bootstrap, rng), _draws(vm.spend.fit, bootstrap, rng)
    reps = []
    for a, b in zip(tp, ts, strict=True):  # loop over bootstrap draws, not customers
        pm, gg = _with_theta(vm.purchases, a), _with_theta(vm.spend, b)
        reps.append(
            _clv(vm, pm, gg, alt, horizon, discount_rate, margin)
            - _clv(vm, pm, gg, base, horizon, discount_rate, margin)
        )
    return now, delta, (np.array(reps) if reps else np.empty((0, len(base))))


def _by_group(groups, now, delta, reps, level=0.95):
    q = [(1 - level) / 2, (1 + level) / 2]
    rows = []
    for g in ["all", *sorted(set(groups))]:
        m = np.ones(len(groups), bool) if g == "all" else groups == g
        if not m.any():
            continue
        d = reps[:, m].mean(axis=1) if len(reps) else np.array([np.nan])
        lo, hi = np.quantile(d, q) if len(reps) else (np.nan, np.nan)
        rows.append(
            {
                "segment": g,
                "n_customers": int(m.sum()),
                "clv": float(now[m].mean()),
                "delta_clv": float(delta[m].mean()),
                "ci_low": float(lo),
                "ci_high": float(hi),
                "delta_clv_total": float(delta[m].sum()),
                "total_ci_low": float(lo * m.sum()),
                "total_ci_high": float(hi * m.sum()),
            }
        )
    return pd.DataFrame(rows)


@result_dataclass
class ValueOfChangeResult(Result):
    """CLV gained per customer and in total from a change (a point of satisfaction, the club).

    Attributes
    ----------
    table : DataFrame
        One row for all customers, then one per segment: ``segment``, ``n_customers``, ``clv``
        (mean CLV now), ``delta_clv`` (mean CLV gained per customer), ``ci_low``, ``ci_high``
        (95% bootstrap interval of the mean gain), ``delta_clv_total``, ``total_ci_low``,
        ``total_ci_high``.
    change : str
        What changed, in words.
    customers : DataFrame
        ``customer_id``, ``segment``, ``clv``, ``delta_clv`` per customer.
    horizon, discount_rate, margin : float
    unit : str
    bootstrap : int
    model : ValueModel
    """

    table: pd.DataFrame
    change: str
    customers: pd.DataFrame
    horizon: float
    discount_rate: float
    margin: float
    unit: str
    bootstrap: int
    model: ValueModel

    def _summary_parts(self):
        facts = {
            "change": self.change,
            "horizon": f"{fmt_num(self.horizon, 0)} {self.unit}",
            "discount rate (annual)": fmt_pct(self.discount_rate, 1),
            "margin": fmt_pct(self.margin, 0),
            "bootstrap draws": self.bootstrap,
        }
        notes = [
            "CLV from BG/NBD with covariates and Gamma-Gamma spend; the gain is the difference "
            "of each customer's conditional CLV with and without the change."
        ]
        return f"CLV gained: {self.change}", facts, {"by segment": self.table}, notes

    def findings(self) -> Findings:
        a = self.table.iloc[0]
        f = [
            t(
                "value.clv_gain",
                change=self.change[0].upper() + self.change[1:],
                gain=fmt_est(a["delta_clv"], a["ci_low"], a["ci_high"], 2),
                horizon=fmt_num(self.horizon, 0),
                unit=unit_word(self.unit),
                margin=fmt_pct(self.margin),
                rate=fmt_pct(self.discount_rate, 1),
                total=fmt_est(a["delta_clv_total"], a["total_ci_low"], a["total_ci_high"], 0),
                n=fmt_count(a["n_customers"]),
            ),
        ]
        seg = self.table.iloc[1:]
        if len(seg) > 1:
            top = seg.loc[seg["delta_clv"].idxmax()]
            gain = fmt_est(top["delta_clv"], top["ci_low"], top["ci_high"], 2)
            f.append(t("value.clv_gain_segment", segment=label(top["segment"]), gain=gain))
        cav = []
        if not self.model.purchases.converged:
            cav.append(t("value.purchase_not_converged"))
        if self.bootstrap == 0:
            cav.append(t("value.no_bootstrap"))
        return Findings(tuple(f), tuple(cav))


def _check_money(horizon, discount_rate, margin, bootstrap):
    check_number("horizon", horizon, low=0, low_open=True)
    check_number("discount_rate", discount_rate, low=0, high=10)
    check_number("margin", margin, low=0, high=1, low_open=True)
    check_number("bootstrap", bootstrap, low=0, integer=True)


@one_thread
def value_of_satisfaction(
    data,
    *,
    points: float = 1.0,
    horizon: float = 156,
    discount_rate: float = 0.1,
    margin: float = 0.3,
    unit: str = "weeks",
    segment: str | None = None,
    bootstrap: int = 100,
    seed: int = 0,
    model: ValueModel | None = None,
) -> ValueOfChangeResult:
    """The CLV gained per customer, and in total, when satisfaction rises by ``points``.

    Parameters
    ----------
    data : CXData
        With purchases and survey answers.
    points : float
        Rise in each customer's mean satisfaction (capped at the top of the scale).
    horizon : float
        CLV horizon in ``unit``.
    discount_rate : float
        Annual discount rate.
    margin : float
        Profit share of spend.
    unit : str
        Time unit of the purchase model.
    segment : str, optional
        Report only this segment's customers (the model is fitted on all).
    bootstrap : int
        Parametric bootstrap draws for the intervals.
    seed : int
    model : ValueModel, optional
        A fitted :func:`fit_value_model` (fitted here when missing).

    Returns
    -------
    ValueOfChangeResult
        ``.table``: ``segment``, ``n_customers``, ``clv``, ``delta_clv``, ``ci_low``, ``ci_high``,
        ``delta_clv_total``, ``total_ci_low``, ``total_ci_high``.

    Notes
    -----
    :math:`\\Delta CLV_i = CLV_i(s_i + \\delta) - CLV_i(s_i)` with :math:`CLV_i` the margin times
    the Gamma-Gamma expected spend times the discounted expected purchases of BG/NBD with the
    customer's covariates (satisfaction enters alpha and b).

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
    Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
    """
    _check_money(horizon, discount_rate, margin, bootstrap)
    check_number("points", points, low=0, low_open=True, high=9)
    vm = model or fit_value_model(data, unit=unit)
    top = vm.satisfaction_max

    def change(r):
        r["satisfaction"] = np.minimum(
            r["satisfaction"] + points, np.maximum(top, r["satisfaction"])
        )
        return r

    what = (
        "one more point of satisfaction"
        if points == 1
        else f"{fmt_num(points, 1)} more points of satisfaction"
    )
    return _change_result(
        data, vm, change, what, segment, horizon, discount_rate, margin, bootstrap, seed
    )


def _change_result(data, vm, change, what, segment, horizon, discount_rate, margin, bootstrap, seed,
                   rows=None):  # fmt: skip
    now, delta, reps = _what_if(vm, change, horizon, discount_rate, margin, bootstrap, seed)
    m = segment_mask(vm.rfm, data, segment)
    if rows is not None:
        m &= rows
    seg = vm.rfm["customer_id"].map(data.customers.set_index("customer_id")["segment"].astype(str))
    groups = seg.fillna("unknown").to_numpy()[m]
    table = _by_group(groups, now[m], delta[m], reps[:, m] if len(reps) else reps)
    if segment not in (None, "", "all"):
        table = table.iloc[:1].assign(segment=segment)
    customers = pd.DataFrame(
        {"customer_id": vm.rfm["customer_id"].to_numpy()[m], "segment": groups,
         "clv": now[m], "delta_clv": delta[m]}
    )  # fmt: skip
    return ValueOfChangeResult(
        table, what, customers, horizon, discount_rate, margin, vm.unit, int(len(reps)), vm
    )


@result_dataclass
class ProgrammeValueResult(Result):
    """Return on a CX programme (follow-up contacts, the customer club) in CLV.

    Attributes
    ----------
    table : DataFrame
        ``metric``, ``estimate``, ``ci_low``, ``ci_high`` (95% bootstrap), ``unit``: the effect
        (follow-up only), CLV gained per contact or member, the cost, the net value, the ROI
        (net value / cost), the break-even cost and the programme totals.
    programme : str
        ``"follow-up"`` or ``"club"``.
    per : str
        ``"contact"`` or ``"member"``.
    horizon, discount_rate, margin : float
    unit : str
    bootstrap : int
    by_segment : DataFrame or None
        The club's gain per member by segment (columns as :class:`ValueOfChangeResult`).
    method : str
        ``"purchases"`` (causal effect on purchasing and dropout, bootstrap refits),
        ``"satisfaction"`` (through satisfaction only) or ``"value_model"``.
    """

    table: pd.DataFrame
    programme: str
    per: str
    horizon: float
    discount_rate: float
    margin: float
    unit: str
    bootstrap: int
    by_segment: pd.DataFrame | None = None
    method: str = "purchases"

    def row(self, metric: str) -> pd.Series:
        return self.table.set_index("metric").loc[metric]

    def _summary_parts(self):
        facts = {
            "programme": self.programme,
            "valued through": {
                "purchases": "its effect on purchasing and dropout (refits)",
                "satisfaction": "its effect on satisfaction",
                "value_model": "the value model's what-if",
            }[self.method],
            "horizon": f"{fmt_num(self.horizon, 0)} {self.unit}",
            "discount rate (annual)": fmt_pct(self.discount_rate, 1),
            "margin": fmt_pct(self.margin, 0),
            "bootstrap draws": self.bootstrap,
        }
        notes = ["Gain = CLV with the programme minus CLV without it, from the value model."]
        tables = {"ROI": self.table}
        if self.by_segment is not None:
            tables["gain per member by segment"] = self.by_segment
        return f"Return on the {self.programme} programme", facts, tables, notes

    def findings(self) -> Findings:
        g, roi, be = self.row("clv_gain"), self.row("roi"), self.row("break_even_cost")
        f = [
            t(
                "value.programme_gain",
                per=label(self.per),
                programme=label(self.programme),
                gain=fmt_est(g["estimate"], g["ci_low"], g["ci_high"], 2),
                horizon=fmt_num(self.horizon, 0),
                unit=unit_word(self.unit),
                break_even=fmt_est(be["estimate"], be["ci_low"], be["ci_high"], 2),
            ),
        ]
        cav = []
        if np.isfinite(roi["estimate"]):
            est = fmt_est(roi["estimate"], roi["ci_low"], roi["ci_high"], 0, pct=True)
            f.append(t("value.roi", roi=est))
            if roi["ci_low"] < 0 < roi["ci_high"]:
                cav.append(t("value.roi_includes_zero"))
        else:
            cav.append(t("value.no_cost"))
        if self.method == "purchases":
            cav.append(
                t("value.purchases_assumption", programme=t(f"value.programme.{self.programme}"))
            )
        elif self.programme == "follow-up":
            cav.append(t("value.follow_up_assumption"))
        else:
            cav.append(t("value.club_assumption"))
        return Findings(tuple(f), tuple(cav))


def _roi_table(gain, gain_draws, cost, n_units, effect_rows=()):
    q = [0.025, 0.975]

    def ci(d):
        return tuple(np.quantile(d, q)) if len(d) else (np.nan, np.nan)

    net, net_d = gain - cost, gain_draws - cost
    roi = net / cost if cost > 0 else np.nan
    roi_d = net_d / cost if cost > 0 else np.array([])
    rows = [
        *effect_rows,
        ("clv_gain", gain, *ci(gain_draws), "money"),
        ("cost", cost, cost, cost, "money"),
        ("net_value", net, *ci(net_d), "money"),
        ("roi", roi, *ci(roi_d), "share"),
        ("break_even_cost", gain, *ci(gain_draws), "money"),
        ("n_units", float(n_units), float(n_units), float(n_units), "count"),
        ("net_value_total", net * n_units, *(np.array(ci(net_d)) * n_units), "money"),
    ]
    return pd.DataFrame(rows, columns=["metric", "estimate", "ci_low", "ci_high", "unit"])


def _effect_estimate(effect) -> tuple[float, float, float, float]:
    """(estimate, se, ci_low, ci_high) of the AIPW row of a ``cx.follow_up_effect`` result."""
    row = effect.estimate("aipw") if callable(getattr(effect, "estimate", None)) else effect
    est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    se = float(row["se"]) if "se" in row and np.isfinite(row["se"]) else (hi - lo) / 3.92
    return est, se, lo, hi


def follow_up_value(
    data,
    *,
    cost_per_contact: float,
    horizon: float = 156,
    discount_rate: float = 0.1,
    margin: float = 0.3,
    unit: str = "weeks",
    through: str = "purchases",
    controls=EFFECT_CONTROLS,
    effect=None,
    value: ValueOfChangeResult | None = None,
    bootstrap: int = 100,
    seed: int = 0,
) -> ProgrammeValueResult:
    r"""Return on the follow-up programme: CLV gained per contact, minus its cost.

    Parameters
    ----------
    data : CXData
        With purchases (amounts), follow-up interactions and the customers' attributes.
    cost_per_contact : float
        Cost of one follow-up contact (same money unit as the amounts).
    horizon, discount_rate, margin, unit : see :func:`value_of_satisfaction`.
    through : {"purchases", "satisfaction"}
        ``"purchases"`` (default): the causal effect of a follow-up (within 14 days of the
        first purchase) on the purchase rate and on dropout, from BG/NBD with the follow-up and
        ``controls`` as covariates, turned into CLV (:mod:`cxmodels.value.programme`); the
        effect is the total one (directly and through satisfaction). ``"satisfaction"``: the
        effect on satisfaction (``effect``) times the CLV of a point of satisfaction
        (``value``), i.e. only the path through satisfaction.
    controls : list of str
        Confounders (customer attributes; default those of ``cx.follow_up_effect``).
    effect : EffectResult, optional
        ``cx.follow_up_effect(data)``: its AIPW estimate on ``overall_sat`` (computed when
        missing with ``through="satisfaction"``; shown as a row with ``"purchases"``).
    value : ValueOfChangeResult, optional
        ``value_of_satisfaction(data)`` (computed when missing with ``through="satisfaction"``;
        shown as a row with ``"purchases"``).
    bootstrap, seed : int
        Bootstrap replicates (refits on customers resampled with replacement) and their seed.

    Returns
    -------
    ProgrammeValueResult
        ``.table`` rows (``metric``): with ``"purchases"``, ``purchase_rate_ratio`` and
        ``dropout_b_ratio`` (the follow-up's multipliers of the purchase rate ``1/alpha`` and of
        ``b``: above 1 means more purchases and less dropout); with ``"satisfaction"``,
        ``effect_on_satisfaction`` and ``clv_per_point``; then ``clv_gain`` (per contact),
        ``cost``, ``net_value``, ``roi``, ``break_even_cost``, ``n_units`` (follow-up contacts
        in the data), ``net_value_total``; columns ``estimate``, ``ci_low``, ``ci_high``,
        ``unit``.

    Notes
    -----
    With ``"purchases"``: gain per contact = mean over followed-up customers of
    :math:`m\,E[z]\,\sum_k d_k\,[\Delta E X_i(t_k \mid f=1) - \Delta E X_i(t_k \mid f=0)]`
    (new-customer BG/NBD expectations, FHL 2005 eq. 7, per customer's covariates; quarterly
    discount factors :math:`d_k`; Gamma-Gamma mean spend :math:`E[z] = p\gamma/(q-1)`). The
    95% interval is the percentile interval of ``bootstrap`` refits of BG/NBD and Gamma-Gamma on
    customers resampled with replacement (all replicates at once, Newton steps from the full
    fit to convergence); it covers sampling error, not confounders left out: in 40 synthetic
    worlds (``bench/bench_value.py --part coverage --seeds 40``) it covered the true gain in 39.
    The effect is identified on the onboarding follow-up and applied to every contact.
    With ``"satisfaction"``: gain = ATE on satisfaction x CLV per point, with independent
    draws of both (normal with the ATE's standard error; the value's parametric draws).

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
    Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
    """
    check_number("cost_per_contact", cost_per_contact, low=0)
    _check_money(horizon, discount_rate, margin, bootstrap)
    check_option("through", through, ("purchases", "satisfaction"))
    inter = data.interactions
    n_contacts = int((inter["kind"] == "follow_up").sum()) if inter is not None else 0
    rows = []
    if effect is not None or through == "satisfaction":
        if effect is None:
            effect = follow_up_effect(data, outcome="overall_sat", bootstrap=bootstrap, seed=seed)
        est, se, lo, hi = _effect_estimate(effect)
        rows.append(("effect_on_satisfaction", est, lo, hi, "points"))
    if through == "satisfaction" and value is None:
        value = value_of_satisfaction(data, horizon=horizon, discount_rate=discount_rate,
                                      margin=margin, unit=unit, bootstrap=bootstrap, seed=seed)  # fmt: skip
    if value is not None:
        v = value.table.iloc[0]
        rows.append(("clv_per_point", v["delta_clv"], v["ci_low"], v["ci_high"], "money"))
    if through == "satisfaction":
        rng = np.random.default_rng([seed, 1])
        per_point_d = _summary_draws(v, value.bootstrap, rng)
        gain, gain_d = est * v["delta_clv"], rng.normal(est, se, per_point_d.size) * per_point_d
    else:
        res = programme_effect(data, treatment="followed_up", controls=controls, horizon=horizon,
                               discount_rate=discount_rate, margin=margin, unit=unit,
                               bootstrap=bootstrap, seed=seed)  # fmt: skip
        gain, gain_d = res["gain"], res["gain_draws"]
        rows = res["rows"] + rows
    table = _roi_table(gain, gain_d, float(cost_per_contact), n_contacts, rows)
    return ProgrammeValueResult(table, "follow-up", "contact", horizon, discount_rate, margin,
                                unit, int(gain_d.size), method=through)  # fmt: skip


def _summary_draws(row, n, rng) -> np.ndarray:
    """Draws of a mean gain matching its estimate and 95% interval (normal approximation)."""
    if n == 0 or not np.isfinite(row["ci_low"]):
        return np.array([])
    se = (row["ci_high"] - row["ci_low"]) / 3.92
    return rng.normal(row["delta_clv"], se, max(n, 1000))


def club_value(
    data,
    *,
    cost_per_member: float = 0.0,
    horizon: float = 156,
    discount_rate: float = 0.1,
    margin: float = 0.3,
    unit: str = "weeks",
    controls=EFFECT_CONTROLS,
    bootstrap: int = 100,
    seed: int = 0,
    model: ValueModel | None = None,
) -> ProgrammeValueResult:
    """Return on the customer club: CLV of members with and without membership, minus its cost.

    Parameters
    ----------
    data : CXData
    cost_per_member : float
        Cost of one membership over the horizon (0: ROI not available).
    horizon, discount_rate, margin, unit, bootstrap, seed : see :func:`follow_up_value`.
    controls : list of str
        Confounders (default those of ``cx.follow_up_effect``; membership itself is the
        treatment and is dropped from them).
    model : ValueModel, optional
        Use this fitted :func:`fit_value_model` instead (what-if on each customer's
        conditional CLV, adjusted for its covariates, satisfaction included; parametric draws)
        and report the gain by segment.

    Returns
    -------
    ProgrammeValueResult
        ``.table`` rows as :func:`follow_up_value` (per member; ``purchase_rate_ratio`` and
        ``dropout_b_ratio`` of membership without ``model``); ``.by_segment`` the gain per
        member by segment (with ``model``).

    Notes
    -----
    Without ``model``: the engine of :func:`follow_up_value` with membership as the treatment
    (total effect on the treated, new-customer CLV, customer bootstrap refits). With
    ``model``: gain per member = mean over members of :math:`CLV_i(\text{member}) -
    CLV_i(\text{not})` of the value model.
    """
    check_number("cost_per_member", cost_per_member, low=0)
    _check_money(horizon, discount_rate, margin, bootstrap)
    if model is None:
        res = programme_effect(data, treatment="loyalty_member", controls=controls,
                               horizon=horizon, discount_rate=discount_rate, margin=margin,
                               unit=unit, bootstrap=bootstrap, seed=seed)  # fmt: skip
        table = _roi_table(res["gain"], res["gain_draws"], float(cost_per_member),
                           int(data.customers["loyalty_member"].sum()), res["rows"])  # fmt: skip
        return ProgrammeValueResult(table, "club", "member", horizon, discount_rate, margin,
                                    unit, int(res["gain_draws"].size), method="purchases")  # fmt: skip
    vm = model
    if "loyalty_member" not in vm.covariates:
        fail("customers", "loyalty_member", "club membership is missing or constant",
             "add loyalty_member to customers")  # fmt: skip
    members = vm.rfm["loyalty_member"].to_numpy() == 1

    def leave(r):
        r["loyalty_member"] = 0.0
        return r

    res = _change_result(data, vm, leave, "club membership", None, horizon, discount_rate,
                         margin, bootstrap, seed, rows=members)  # fmt: skip
    t = res.table.copy()
    t["delta_clv"], t["delta_clv_total"] = -t["delta_clv"], -t["delta_clv_total"]
    t[["ci_low", "ci_high"]] = -t[["ci_high", "ci_low"]].to_numpy()
    t[["total_ci_low", "total_ci_high"]] = -t[["total_ci_high", "total_ci_low"]].to_numpy()
    a = t.iloc[0]
    draws = _summary_draws(a, res.bootstrap, np.random.default_rng([seed, 2]))
    table = _roi_table(a["delta_clv"], draws, float(cost_per_member), int(members.sum()))
    return ProgrammeValueResult(table, "club", "member", horizon, discount_rate, margin, vm.unit,
                                int(draws.size), by_segment=t, method="value_model")  # fmt: skip


def top_share(values, top: float = 0.1) -> float:
    """Share of the total held by the highest ``top`` share of customers (e.g. the top decile).

    Parameters
    ----------
    values : array-like
        One value per customer (e.g. ``clv``).
    top : float
        Share of customers at the top, in (0, 1].

    Returns
    -------
    float
        :math:`\\sum_{i \\in \\text{top}} v_i / \\sum_i v_i` (NaN when the total is 0).
    """
    check_number("top", top, low=0, high=1, low_open=True)
    v = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])[::-1]
    k = max(int(np.ceil(top * v.size)), 1)
    total = v.sum()
    return float(v[:k].sum() / total) if total > 0 else float("nan")
