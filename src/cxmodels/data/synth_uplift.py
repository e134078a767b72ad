r"""A follow-up effect that varies between customers and decays with the delay (opt-in world).

``generate(uplift=True)`` replaces the homogeneous follow-up effect of the default world by one
with known heterogeneity and timing, from its own random stream (``default_rng([seed, 37])``),
so the default world does not move:

* **Level.** Each customer's satisfaction level is the latent satisfaction her traits predict
  without follow-up or event noise:
  :math:`L_i = 6.6 + \sum_a w_a (\mu_{ia} - 6) + \text{basic, excitement terms} + s_{seg} +
  0.25 (e_{branch} - 7)` (the driver weights and attribute means of the default world).
* **Need.** :math:`q = \mathrm{clip}((8 - S)/2.5, 0, 1)` of the customer's last answered overall
  satisfaction :math:`S` before the event (the mean level of her segment before her first
  answer): 1 for dissatisfied customers (5 or below), 0 for those who answered 8 or more. What
  a CX team sees drives the effect, so the heterogeneity is learnable from the earlier answers.
* **Delay.** Days from the event to the follow-up: :math:`D = 1 + \min(\lfloor E \rfloor, 12)`
  with :math:`E` exponential of mean 2.5 days after a complaint, 4.5 after a purchase (so the
  delay is confounded with the kind of event). The delay is drawn for every event, so it is the
  *potential* delay of an event that was not followed up.
* **Decay.** :math:`g(D) = \exp(-(D-1)/5)`: full effect on day 1, about a third on day 6.
* **Effect on satisfaction** (latent points) of the follow-up of event :math:`j` of customer
  :math:`i`: :math:`\tau_{ij} = 1.6\, q_{ij}\, (1 + 0.6 \min(\text{tenure years}_{ij}, 3)/3)\,
  g(D_{ij})`; it replaces the channel effect of the default world.
* **Effect on retention**: the onboarding follow-up multiplies the churn hazard by
  :math:`\exp(-0.9\, q_{i1}\, g(D_{i1}))` (instead of the constant hazard ratio), besides its effect
  through the onboarding satisfaction.

``truth["uplift"]`` holds these parameters, each eligible event's true effect on its rating
(``events``: customer, event date, kind, delay, prior answer, need, ``effect`` = the rating with
follow-up minus the rating without at its delay; ``effect_latent`` = :math:`\tau_{ij}` before
rounding; ``effect_expected`` = :math:`\tau_{ij}` averaged over the delay distribution of its
kind, the conditional average effect a learner targets; ``effect_day1``), ``effect_by_delay`` (events x delays 1..13: the rating effect at each delay,
rounded and clipped as answers are), each customer's true effect on churn within 180 days
(``customers``) and the true delay curve (``delay_curve``: the mean rating effect of an
eligible event at each delay).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

UPLIFT = {
    "level_full_need": 5.5,
    "level_no_need": 8.0,
    "max_effect_points": 1.6,
    "tenure_boost": 0.6,
    "tenure_cap_years": 3.0,
    "decay_days": 5.0,
    "max_delay_days": 13,
    "delay_mean_days": {"complaint": 2.5, "purchase": 4.5},
    "churn_log_hr_at_full_need": -0.9,
    "horizon_days": 180,
}
STREAM = 37


def decay(delay) -> np.ndarray:
    """Share of the day-1 effect left after ``delay`` days: :math:`\\exp(-(D-1)/5)`."""
    return np.exp(-(np.asarray(delay, float) - 1) / UPLIFT["decay_days"])


def delay_pmf(kind: str) -> np.ndarray:
    """P(D = d) for d = 1..13 after an event of ``kind`` ("complaint" or "purchase")."""
    m = UPLIFT["delay_mean_days"][kind]
    k = np.arange(UPLIFT["max_delay_days"])
    edges = np.exp(-k / m) - np.exp(-(k + 1) / m)
    edges[-1] = np.exp(-k[-1] / m)  # the cap collects the tail
    return edges


def level(w, driver_weights, basic, excitement, segment_sat, employee_effect, attributes):
    """Each customer's satisfaction level :math:`L_i` (latent, no event noise, no follow-up)."""
    mu = w.attr_mu
    col = {a: i for i, a in enumerate(attributes)}
    lin = sum(wt * (mu[:, col[a]] - 6.0) for a, wt in driver_weights.items())
    lin = lin + basic["penalty_slope"] * np.minimum(
        mu[:, col[basic["attribute"]]] - basic["threshold"], 0
    )
    lin = lin + excitement["reward_slope"] * np.maximum(
        mu[:, col[excitement["attribute"]]] - excitement["threshold"], 0
    )
    seg = np.array(list(segment_sat.values()))[w.seg_i]
    return 6.6 + lin + seg + employee_effect * (w.emp_sat[w.branch_i] - 7.0)


def need(lvl: np.ndarray) -> np.ndarray:
    """:math:`q = \\mathrm{clip}((8 - L)/2.5, 0, 1)`."""
    lo, hi = UPLIFT["level_full_need"], UPLIFT["level_no_need"]
    return np.clip((hi - lvl) / (hi - lo), 0, 1)


def apply(w, fu_gain: np.ndarray, lvl: np.ndarray, rating) -> None:
    """Redraw the delays and replace the follow-up effect on satisfaction (before churn).

    ``fu_gain`` is the default world's channel effect of every event (taken back out of the
    latent satisfaction of followed-up events); sets ``w.fu_lhr`` (per customer), which the
    churn step uses as the follow-up's log hazard ratio.
    """
    rng = np.random.default_rng([w.seed, STREAM])
    complaint = w.is_complaint
    mean = np.where(complaint, *[UPLIFT["delay_mean_days"][k] for k in ("complaint", "purchase")])
    w.fu_delay = 1 + np.minimum(np.floor(rng.exponential(mean)), UPLIFT["max_delay_days"] - 1)
    w.fu_delay = w.fu_delay.astype(np.int64)
    tenure_years = np.maximum(w.ev_off - w.signup_off[w.cust_of_ev], 0) / 365.25
    boost = 1 + UPLIFT["tenure_boost"] * np.minimum(tenure_years, UPLIFT["tenure_cap_years"]) / 3
    lat0 = w.latent - np.where(w.treated, fu_gain, 0.0)
    q_ev, prior = _need_by_event(w, lvl, lat0, rating, boost)
    base = UPLIFT["max_effect_points"] * q_ev * boost
    tau = base * decay(w.fu_delay)
    w.latent = np.where(w.treated, lat0 + tau, lat0)
    w.sat = np.where(w.treated, w.sat1, w.sat0)
    first = np.flatnonzero(w.slot == 0)
    q = q_ev[first]
    w.fu_lhr = UPLIFT["churn_log_hr_at_full_need"] * q * decay(w.fu_delay[first])
    by_delay = _effect_by_delay(w, lat0, base, rating)
    pmf = np.where(complaint[:, None], delay_pmf("complaint"), delay_pmf("purchase"))
    w.uplift_arrays = {
        "tau": (w.sat1 - w.sat0).astype(float), "base": base, "by_delay": by_delay,
        "expected": base * (pmf @ decay(np.arange(1, UPLIFT["max_delay_days"] + 1))),
        "latent": tau, "q": q, "level": lvl,
        "q_event": q_ev, "prior": prior,
        "ev_off": w.ev_off, "treated": w.treated, "delay": w.fu_delay, "cust": w.cust_of_ev,
        "eligible": w.eligible, "to_origin": w.s_delay[first],
    }  # fmt: skip


def _need_by_event(w, lvl, lat0, rating, boost):
    """Need of each event from the customer's last answered satisfaction before it (the mean
    level of her segment when she has not answered yet), slot by slot, since an answer follows
    its own follow-up.

    Sets ``w.sat1`` (potential satisfaction with follow-up) and returns the need and the prior
    answer (NaN when none) of every event.
    """
    seg_level = np.bincount(w.seg_i, weights=lvl, minlength=3) / np.bincount(w.seg_i, minlength=3)
    first_need = need(seg_level[w.seg_i])
    last = np.full(w.n, np.nan)
    q_ev, prior = np.empty(w.ne), np.full(w.ne, np.nan)
    w.sat1 = np.empty(w.ne, np.int8)
    for s in range(int(w.slot.max()) + 1):  # loop over slots (~12), vectorized over customers
        ev = np.flatnonzero(w.slot == s)
        c = w.cust_of_ev[ev]
        prior[ev] = last[c]
        q_ev[ev] = np.where(np.isnan(last[c]), first_need[c], need(last[c]))
        tau = UPLIFT["max_effect_points"] * q_ev[ev] * boost[ev] * decay(w.fu_delay[ev])
        w.sat1[ev] = rating(lat0[ev] + tau, 1, 10)
        sat = np.where(w.treated[ev], w.sat1[ev], w.sat0[ev])
        ans = w.answered[ev]
        last[c[ans]] = sat[ans]
    return q_ev, prior


def _effect_by_delay(w, lat0, base, rating) -> np.ndarray:
    """Each event's true effect on the rating at delays 1..13 (rounded and clipped as the
    answers are), shape ``(events, 13)``: the potential outcomes at every delay."""
    sat0 = w.sat0.astype(float)
    d = np.arange(1, UPLIFT["max_delay_days"] + 1)
    return np.column_stack([rating(lat0 + base * decay(k), 1, 10) - sat0 for k in d])


def churn_effect(lp0, lp1, days_to_origin, shape, scale):
    """True effect on churn within the horizon: :math:`P(T_1 \\le h - s) - P(T_0 \\le h - s)`
    for Weibull proportional hazards with linear predictors ``lp0``, ``lp1``."""
    left = np.maximum(UPLIFT["horizon_days"] - days_to_origin, 0)

    def cdf(lp):
        return 1 - np.exp(-((left / scale) ** shape) * np.exp(lp))

    return cdf(lp1) - cdf(lp0)


def truth(w, kinds, log_hr: dict, weibull: dict) -> dict:
    """``truth["uplift"]``: parameters, per-event and per-customer effects, the delay curve.

    A customer's true effect on churn within 180 days is :func:`churn_effect` with the linear
    predictors of the churn step at her onboarding satisfaction without and with follow-up
    (the voluntary cause only when ``exit_causes=True``).
    """
    a, cust_ids = w.uplift_arrays, w.cust_ids
    ev = np.flatnonzero(a["eligible"])
    day = w.t0 + pd.to_timedelta(a["ev_off"][ev], unit="D")
    seg_lhr = np.array([0.0, log_hr["segment[small_business]"], log_hr["segment[premium]"]])
    common = log_hr["loyalty_member"] * w.loyal + seg_lhr[w.seg_i]
    sat = log_hr["overall_sat"]
    lp0 = common + sat * (w.sat0[w.fidx] - weibull["sat_centre"])
    lp1 = common + sat * (w.sat1[w.fidx] - weibull["sat_centre"]) + w.fu_lhr
    churn = churn_effect(lp0, lp1, a["to_origin"], weibull["shape"], weibull["scale_days"])
    events = pd.DataFrame(
        {
            "customer_id": cust_ids[a["cust"][ev]],
            "event_date": day,
            "kind": np.asarray(kinds, dtype=object)[w.kind[ev]],
            "treated": a["treated"][ev],
            "prior_overall_sat": a["prior"][ev],
            "need": a["q_event"][ev],
            "delay_days": a["delay"][ev],
            "effect": a["tau"][ev],
            "effect_latent": a["latent"][ev],
            "effect_expected": a["expected"][ev],
            "effect_day1": a["base"][ev],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "level": a["level"],
            "need": a["q"],
            "effect_churn_within_180d": churn,
        }
    )
    d = np.arange(1, UPLIFT["max_delay_days"] + 1)
    curve = pd.DataFrame({"delay_days": d, "decay": decay(d)})
    curve["mean_effect_overall_sat"] = a["by_delay"][ev].mean(axis=0)
    return {
        "parameters": UPLIFT,
        "events": events,
        "effect_by_delay": a["by_delay"][ev],
        "customers": customers,
        "delay_curve": curve,
        "ate_overall_sat": float(a["tau"][ev].mean()),
        "ate_churn_within_180d": float(churn.mean()),
    }


def uplift_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A plain follow-up table of ``n`` customers with the same mechanism, fast at any size.

    Columns: ``segment``, ``loyalty_member``, ``region``, ``tenure_days``,
    ``prior_overall_sat`` (missing for a fifth: no earlier answer), ``followed_up`` (0/1,
    confounded by segment, club and a low last answer), ``overall_sat`` (the outcome) and
    ``true_effect`` (:math:`\\tau` at the delay distribution's mean decay). For benchmarks and
    for tests of a plain table; the full world is :func:`cxmodels.generate` (``uplift=True``).
    """
    rng = np.random.default_rng([seed, STREAM, 1])
    seg = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    loyal = rng.random(n) < 0.4
    region = rng.choice(4, n)
    tenure = rng.integers(0, 1400, n).astype(float)
    level = 6.7 + 0.3 * seg + rng.normal(0, 1.0, n)
    prior = np.clip(np.rint(level + rng.normal(0, 0.8, n)), 1, 10)
    prior = np.where(rng.random(n) < 0.2, np.nan, prior)
    q = need(np.where(np.isnan(prior), 6.9, prior))
    boost = 1 + UPLIFT["tenure_boost"] * np.minimum(tenure / 365.25, UPLIFT["tenure_cap_years"]) / 3
    tau = UPLIFT["max_effect_points"] * q * boost * _mean_decay("purchase")
    logit = (
        -1.3
        + 0.7 * (seg == 1)
        + 1.5 * (seg == 2)
        + 0.6 * loyal
        + 0.3 * (np.nan_to_num(prior, nan=7) < 6)
    )
    t = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    y = np.clip(np.rint(level + 0.2 * seg + t * tau + rng.normal(0, 0.7, n)), 1, 10)
    return pd.DataFrame(
        {
            "segment": pd.Categorical.from_codes(seg, ["consumer", "small_business", "premium"]),
            "loyalty_member": loyal,
            "region": pd.Categorical.from_codes(region, ["north", "south", "east", "west"]),
            "tenure_days": tenure,
            "prior_overall_sat": prior,
            "followed_up": t,
            "overall_sat": y,
            "true_effect": tau,
        }
    )


def _mean_decay(kind: str) -> float:
    """:math:`E[g(D)]` over the delay distribution of ``kind``."""
    return float(delay_pmf(kind) @ decay(np.arange(1, UPLIFT["max_delay_days"] + 1)))
