"""A synthetic customer-experience world with known ground truth.

The generator is deterministic for a seed and fully vectorized (no loop over customers). Its
mechanisms are the ones the models look for; every true parameter is written to ``truth``:

* **Customers** with segment, region, branch, demographics, customer-club membership and
  acquisition channel. **Branches** carry staff satisfaction, which lifts customer satisfaction
  (the service-profit chain; ``employee_sat_effect``).
* **Events** every ~4 months while a customer is active: purchases, support contacts and
  complaints (with response times). After purchases and complaints a **follow-up** contact
  (phone, email, sms) comes 1-13 days later with a probability that rises with segment value,
  club membership and complaints (confounded on purpose; ``follow_up_propensity``).
* **Transactional surveys** 20-45 days after purchases and complaints. Attribute ratings share a
  customer halo; overall satisfaction is a known function of the ratings (``driver_weights``)
  with a *basic* attribute that only penalises when poor and an *excitement* attribute that only
  rewards when excellent, plus segment, staff satisfaction, complaint, slow-response and
  follow-up effects. NPS, CSAT and CES follow from it.
* **Churn** from a proportional-hazards model with a Weibull baseline, measured from the
  customer's first (onboarding) survey, with known ``log_hazard_ratios`` for that survey's
  satisfaction, club membership, the onboarding follow-up and segment; administrative censoring
  at the observation end.
* **Kano answers** for eight features with known categories, one of which differs between
  segments, and a few contradictory (Q) answers.

Potential outcomes are drawn with common random numbers, so the realised causal effects of
follow-up (``follow_up_ate_overall_sat``, ``follow_up_ate_churn_within_180d``) are known exactly
for the sample.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._validation import check_option
from . import synth_uplift as su
from .chain import chain_codebook, chain_items
from .contract import ATTRIBUTES, CHANNELS, KINDS, default_codebook
from .core import CXData
from .joins import tenure_band
from .scales import nps_codes
from .synth_comments import comment_columns
from .synth_uplift import truth
from .synth_value import PURCHASE_TRUTH, purchase_arrays
from .text import TEXT

SEGMENTS = np.array(["consumer", "small_business", "premium"], dtype=object)
REGIONS = np.array(["north", "south", "east", "west"], dtype=object)
AGE_BANDS = np.array(["18-29", "30-44", "45-59", "60+"], dtype=object)
INCOME_BANDS = np.array(["low", "middle", "high"], dtype=object)
MARITAL = np.array(["single", "married", "other"], dtype=object)
ACQ = np.array(["web", "store", "referral", "partner"], dtype=object)
FU_CHANNELS = np.array(["phone", "email", "sms"], dtype=object)

# --- true parameters -------------------------------------------------------------------
DRIVER_WEIGHTS = {  # symmetric effects, points of overall satisfaction per rating point
    "attr_product_quality": 0.30,
    "attr_value_for_money": 0.22,
    "attr_responsiveness": 0.15,
    "attr_staff_competence": 0.10,
    "attr_follow_up_care": 0.06,
    "attr_complaint_handling": 0.03,
}
BASIC = {"attribute": "attr_delivery_reliability", "threshold": 6, "penalty_slope": 0.45}
EXCITEMENT = {"attribute": "attr_digital_experience", "threshold": 7, "reward_slope": 0.45}
SEGMENT_SAT = {"consumer": 0.0, "small_business": 0.2, "premium": 0.6}
EMPLOYEE_SAT_EFFECT = 0.25  # per point of branch staff satisfaction (centred at 7)
COMPLAINT_EFFECT = -1.0
SLOW_RESPONSE_EFFECT = -0.6  # complaint answered after more than 24 hours
FOLLOW_UP_EFFECT = {"phone": 0.8, "email": 0.5, "sms": 0.3}
FOLLOW_UP_CHANNEL_P = (0.4, 0.4, 0.2)
PROPENSITY = {  # logit of a follow-up after a purchase or complaint
    "intercept": -1.3,
    "segment[small_business]": 0.7,
    "segment[premium]": 1.5,
    "loyalty_member": 0.6,
    "complaint": 0.5,
}
LOG_HR = {
    "overall_sat": -0.20,
    "loyalty_member": -0.40,
    "followed_up": -0.30,
    "segment[small_business]": 0.20,
    "segment[premium]": -0.30,
}
WEIBULL = {"shape": 1.1, "scale_days": 1400.0, "sat_centre": 7.0}
#: Involuntary exits (``exit_causes=True``): exponential, from customer traits only (true log
#: hazard ratio of satisfaction and follow-up 0); the Weibull churn above is the voluntary cause.
INVOLUNTARY = {
    "cause": "non-payment",
    "voluntary_cause": "cancelled",
    "rate_per_year": 0.05,
    "log_hr": {"income_band[low]": 0.8, "segment[small_business]": 0.5},
}
ATTRIBUTE_MEANS = {  # true mean rating of each attribute (performance differs by attribute)
    "attr_product_quality": 7.0,
    "attr_value_for_money": 5.7,
    "attr_staff_competence": 6.9,
    "attr_responsiveness": 5.9,
    "attr_delivery_reliability": 6.6,
    "attr_follow_up_care": 5.4,
    "attr_digital_experience": 6.2,
    "attr_complaint_handling": 5.6,
}
KANO_FEATURES = {
    "contactless_payment": "M",
    "self_service_portal": "M",
    "order_tracking": "O",
    "loyalty_points": "O",
    "personal_advisor": "A",
    "eco_packaging": "I",
    "marketing_calls": "R",
    "same_day_delivery": {"consumer": "A", "small_business": "O", "premium": "O"},
}
KANO_TRUE_SHARE = 0.6
KANO_Q_RATE = 0.03
# cells of the standard Kano table per category: (functional, dysfunctional)
KANO_CELLS = {
    "A": [(1, 2), (1, 3), (1, 4)],
    "O": [(1, 5)],
    "M": [(2, 5), (3, 5), (4, 5)],
    "I": [(f, d) for f in (2, 3, 4) for d in (2, 3, 4)],
    "R": [(2, 1), (3, 1), (4, 1), (5, 1), (5, 2), (5, 3), (5, 4)],
}
KANO_IMPORTANCE = {"M": 8, "O": 7, "A": 6, "I": 3, "R": 2}
LIKED = {a: a.removeprefix("attr_").replace("_", " ") for a in ATTRIBUTES}
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
CHANNEL_CODE = {c: i for i, c in enumerate(CHANNELS)}
TOPICS = ["billing", "delivery", "product", "account"]


def _choice(rng, values, n, p=None):
    return values[rng.choice(len(values), size=n, p=p)]


def _zfill_ids(prefix: str, n: int, width: int) -> pd.Series:
    """Zero-padded string ids built by Arrow compute kernels (no Python string per row)."""
    return _arrow_text(prefix, np.arange(1, n + 1), "", width)


def _arrow_text(prefix: str, numbers: np.ndarray, suffix: str = "", width: int = 0) -> pd.Series:
    """``prefix + zero-padded number + suffix`` as an Arrow-backed string Series."""
    s = pc.cast(pa.array(numbers), pa.string())
    if width:
        s = pc.utf8_lpad(s, width=width, padding="0")
    out = pc.binary_join_element_wise(pa.scalar(prefix), s, pa.scalar(suffix), "")
    return pd.Series(pd.arrays.ArrowStringArray(out))


def _wave_labels(dates: pd.DatetimeIndex) -> np.ndarray:
    """``2025Q3``-style labels as references to a few shared strings (no string per row)."""
    year, quarter = dates.year.to_numpy(), (dates.month.to_numpy() - 1) // 3
    y0 = int(year.min())
    code = (year - y0) * 4 + quarter
    labels = np.array(
        [f"{y0 + c // 4}Q{c % 4 + 1}" for c in range(int(code.max()) + 1)], dtype=object
    )
    return labels[code]


def _rating(x, lo, hi):
    return np.clip(np.rint(x), lo, hi)


def generate(
    n_customers: int = 4000,
    seed: int = 0,
    start: str = "2022-01-01",
    end: str = "2025-12-31",
    n_branches: int = 20,
    kano_share: float = 0.5,
    kano_max: int = 50_000,
    purchases: bool = False,
    exit_causes: bool = False,
    nonresponse: bool = False,
    comments: str | None = None,
    uplift: bool = False,
) -> CXData:
    """Generate a synthetic CX world.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same world.
    start, end : str
        Observation window; ``end`` is the observation end (censoring date).
    n_branches : int
        Number of branches.
    kano_share, kano_max : float, int
        Share of customers answering the Kano questionnaire, and its cap.
    purchases : bool
        Add the purchase history: BG/NBD repeat purchases with Gamma-Gamma amounts from their
        own stream (``default_rng([seed, 16])``), linked to satisfaction and club membership
        (:mod:`cxmodels.data.synth_value`; true parameters in ``truth["purchase_model"]`` and
        ``truth["spend_model"]``), and an ``amount`` column on interactions. Off by default:
        purchases denser than the surveys make ``cx.follow_up_effect`` credit a service event's
        survey to a later purchase (its AIPW interval then misses the true effect), so the
        default world stays the one the effects truth is defined on.
    exit_causes : bool
        Two exit causes: the Weibull churn (driven by satisfaction, follow-up, club and segment)
        is voluntary ("cancelled"); an exponential involuntary exit ("non-payment", driven by low
        income and the small-business segment, not by satisfaction) competes with it, from its
        own stream (``default_rng([seed, 31])``). ``customers.exit_cause`` names the cause of
        each exit; true cause-specific log hazard ratios in ``truth["exit_causes"]``. Off by
        default (it moves churn dates, so the default world keeps its numbers).
    nonresponse : bool
        Drop survey responses with a probability that depends on the customer's segment and
        tenure band (:data:`NONRESPONSE_KEEP`), from its own stream (``default_rng([seed,
        29])``), so unweighted NPS is biased; ``truth["nonresponse"]`` holds the keep
        probabilities and the base's true NPS (see :func:`_step_nonresponse`). Off by default:
        the default world and every number pinned on it stay unchanged.
    comments : {"en", "fa", "both"}, optional
        Rewrite ``comment_liked`` / ``comment_disliked`` as realistic comments in English,
        Persian or both, from their own stream (``default_rng([seed, 28])``), with each
        comment's true theme and sentiment in ``truth["comments"]``
        (:mod:`cxmodels.data.synth_comments`). Off by default: the short template comments
        of the default world stay as they are.
    uplift : bool
        A follow-up effect that varies between customers (large for dissatisfied and
        long-tenure customers, none for promoters) and decays with the days from the event to
        the follow-up, on satisfaction and on churn, with delays and effects from their own
        stream (``default_rng([seed, 37])``; :mod:`cxmodels.data.synth_uplift`). Each event's
        and customer's true effect and the true delay curve are in ``truth["uplift"]``. Off by
        default (it replaces the channel effects, so the default world keeps its numbers).

    Returns
    -------
    CXData
        With ``truth`` holding every true parameter.

    Notes
    -----
    The world is built by the steps in :data:`STEPS`, in order, from one random stream
    (``default_rng(seed)``); each step reads and adds names on a shared namespace. Tables with
    their own stream (the satisfaction-loyalty chain items, ``default_rng([seed, 15])``) are
    added after the main stream is finished, so adding such a table never moves an existing
    number. Add a new table the same way: a step at the end with its own stream.
    """
    if comments is not None:
        check_option("comments", comments, ("en", "fa", "both"))
    w = SimpleNamespace(
        rng=np.random.default_rng(seed),
        n=int(n_customers),
        seed=seed,
        start=start,
        end=end,
        n_branches=n_branches,
        kano_n=min(kano_max, int(int(n_customers) * kano_share)),
        purchases=bool(purchases),
        exit_causes=bool(exit_causes),
        nonresponse=bool(nonresponse),
        comments=comments,
        uplift=bool(uplift),
    )
    w.t0, w.t_end = pd.Timestamp(start), pd.Timestamp(end)
    w.span = (w.t_end - w.t0).days
    for step in STEPS:
        step(w)
    return CXData(
        customers=w.customers,
        responses=w.responses,
        interactions=w.interactions,
        kano_answers=w.kano,
        branches=pd.DataFrame({"branch_id": w.branch_ids, "employee_sat": w.emp_sat}),
        codebook={**default_codebook(), **chain_codebook()},
        observation_end=w.t_end,
        source=f"synthetic(n_customers={w.n}, seed={seed})",
        truth=w.truth,
    )


def _step_branches_and_customers(w) -> None:
    """Branches (staff satisfaction) and customer-level latent traits."""
    rng, n, span = w.rng, w.n, w.span
    w.branch_ids = np.array([f"B{i:02d}" for i in range(1, w.n_branches + 1)], dtype=object)
    w.emp_sat = np.round(np.clip(rng.normal(7.0, 0.8, w.n_branches), 3, 9.8), 1)
    w.seg_i = seg_i = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    w.segment = SEGMENTS[seg_i]
    w.loyal = rng.random(n) < 1 / (1 + np.exp(-(-0.9 + 0.5 * (seg_i == 1) + 1.0 * (seg_i == 2))))
    w.branch_i = rng.integers(0, w.n_branches, n)
    w.signup_off = rng.integers(0, span - 120, n)
    w.signup = w.t0 + pd.to_timedelta(w.signup_off, unit="D")
    income_p = np.where(seg_i[:, None] == 2, [[0.1, 0.4, 0.5]], [[0.35, 0.45, 0.2]])
    w.income = INCOME_BANDS[(rng.random(n)[:, None] > income_p.cumsum(axis=1)).sum(axis=1)]
    halo = rng.normal(0, 1, n)
    mu = np.array([ATTRIBUTE_MEANS[a] for a in ATTRIBUTES])
    w.attr_mu = mu + 0.9 * halo[:, None] + rng.normal(0, 1.1, (n, len(ATTRIBUTES)))


def _step_events(w) -> None:
    """Events on a ~4-month grid while the window lasts; follow-up treatment and responses."""
    rng, span = w.rng, w.span
    n_slots = (span - w.signup_off) // 120 + 1
    cust_of_ev = np.repeat(np.arange(w.n), n_slots)
    slot = np.arange(n_slots.sum()) - np.repeat(np.cumsum(n_slots) - n_slots, n_slots)
    ev_off = (
        w.signup_off[cust_of_ev]
        + slot * 120
        + np.where(slot > 0, rng.integers(0, 30, slot.size), 0)
    )
    m = ev_off < span - 1
    w.cust_of_ev, w.slot, w.ev_off = cust_of_ev[m], slot[m], ev_off[m]
    w.ne = ne = w.cust_of_ev.size
    u = rng.random(ne)
    # event kinds as small codes into KINDS (strings only in the final categorical)
    kind = np.where(w.slot == 0, 0, np.where(u < 0.70, 0, np.where(u < 0.82, 2, 1)))
    w.kind = kind = kind.astype(np.int8)
    w.is_complaint = kind == KIND_CODE["complaint"]
    w.eligible = kind != KIND_CODE["support"]
    w.ev_seg = ev_seg = w.seg_i[w.cust_of_ev]
    logit = (
        PROPENSITY["intercept"]
        + PROPENSITY["segment[small_business]"] * (ev_seg == 1)
        + PROPENSITY["segment[premium]"] * (ev_seg == 2)
        + PROPENSITY["loyalty_member"] * w.loyal[w.cust_of_ev]
        + PROPENSITY["complaint"] * w.is_complaint
    )
    w.treated = w.eligible & (rng.random(ne) < 1 / (1 + np.exp(-logit)))
    w.fu_ch = rng.choice(3, size=ne, p=FOLLOW_UP_CHANNEL_P)  # potential channel, every event
    w.fu_delay = rng.integers(1, 14, ne)
    w.needs_resp = kind != KIND_CODE["purchase"]
    w.resp_min = np.where(
        w.needs_resp,
        np.round(rng.lognormal(np.log(300) - 0.3 * (ev_seg == 2), 1.2, ne), 1),
        np.nan,
    )
    w.slow = w.is_complaint & (w.resp_min > 24 * 60)


def _step_surveys(w) -> None:
    """Transactional surveys 20-45 days after purchases and complaints; who answers."""
    rng = w.rng
    w.s_delay = rng.integers(20, 46, w.ne)
    p_resp = np.where(w.slot == 0, 0.8, 0.3 + 0.1 * (w.ev_seg == 2))
    w.surveyed = w.eligible & (w.ev_off + w.s_delay < w.span)
    w.answered = w.surveyed & (rng.random(w.ne) < p_resp)


def _step_satisfaction(w) -> None:
    """Ratings and potential satisfaction at every eligible event (common random numbers)."""
    rng, ne = w.rng, w.ne
    ratings = w.attr_mu[w.cust_of_ev]
    ratings += rng.normal(0, 0.9, (ne, len(ATTRIBUTES)))
    w.ratings = ratings = _rating(ratings, 1, 10).astype(np.int8)  # 1 byte per rating
    w.col = col = {a: i for i, a in enumerate(ATTRIBUTES)}
    lin = sum(w_ * (ratings[:, col[a]] - 6.0) for a, w_ in DRIVER_WEIGHTS.items())  # 6 drivers
    lin = lin + BASIC["penalty_slope"] * np.minimum(
        ratings[:, col[BASIC["attribute"]]] - BASIC["threshold"], 0
    )
    lin = lin + EXCITEMENT["reward_slope"] * np.maximum(
        ratings[:, col[EXCITEMENT["attribute"]]] - EXCITEMENT["threshold"], 0
    )
    lin += np.array([SEGMENT_SAT[s] for s in SEGMENTS])[w.ev_seg]
    lin += EMPLOYEE_SAT_EFFECT * (w.emp_sat[w.branch_i[w.cust_of_ev]] - 7.0)
    lin += rng.normal(0, 0.7, ne)  # response noise
    lin += 6.6 + COMPLAINT_EFFECT * w.is_complaint + SLOW_RESPONSE_EFFECT * w.slow
    lat0 = lin  # latent satisfaction without follow-up
    fu_gain = np.array([FOLLOW_UP_EFFECT[c] for c in FU_CHANNELS])[w.fu_ch]
    lat1 = lat0 + fu_gain
    w.sat0, w.sat1 = _rating(lat0, 1, 10).astype(np.int8), _rating(lat1, 1, 10).astype(np.int8)
    w.latent = np.where(w.treated, lat1, lat0)
    w.sat = np.where(w.treated, w.sat1, w.sat0)


def _step_uplift(w) -> None:
    """Opt-in: heterogeneous follow-up effects decaying with the delay (own stream [seed, 37])."""
    if not w.uplift:
        return

    gain = np.array([FOLLOW_UP_EFFECT[c] for c in FU_CHANNELS])[w.fu_ch]
    lvl = su.level(
        w, DRIVER_WEIGHTS, BASIC, EXCITEMENT, SEGMENT_SAT, EMPLOYEE_SAT_EFFECT, ATTRIBUTES
    )
    su.apply(w, gain, lvl, _rating)


def _step_churn(w) -> None:
    """Churn: Weibull proportional hazards from the onboarding survey; activity after churn."""
    rng, n, span = w.rng, w.n, w.span
    first = w.slot == 0  # one per customer, in customer order
    w.fidx = fidx = np.flatnonzero(first)
    assert fidx.size == n
    origin_off = w.ev_off[fidx] + w.s_delay[fidx]
    seg_lhr = np.array([0.0, LOG_HR["segment[small_business]"], LOG_HR["segment[premium]"]])
    lp_common = LOG_HR["loyalty_member"] * w.loyal + seg_lhr[w.seg_i]
    e = rng.exponential(1.0, n)

    def weibull_time(lp):
        return WEIBULL["scale_days"] * (e / np.exp(lp)) ** (1 / WEIBULL["shape"])

    def lp_of(s, fu):
        return (
            lp_common
            + LOG_HR["overall_sat"] * (s - WEIBULL["sat_centre"])
            + w.__dict__.get("fu_lhr", LOG_HR["followed_up"]) * fu
        )

    T0 = weibull_time(lp_of(w.sat0[fidx], 0))
    T1 = weibull_time(lp_of(w.sat1[fidx], 1))
    T = np.where(w.treated[fidx], T1, T0)
    w.exit_cause = None
    if w.exit_causes:
        T_inv = _involuntary_times(w)
        w.exit_cause = np.where(T_inv < T, INVOLUNTARY["cause"], INVOLUNTARY["voluntary_cause"])
        T0, T1, T = np.minimum(T0, T_inv), np.minimum(T1, T_inv), np.minimum(T, T_inv)
    churn_off = origin_off + np.ceil(T).astype(np.int64)
    churned = churn_off <= span
    w.churn_date = pd.Series(
        w.t0 + pd.to_timedelta(np.where(churned, churn_off, 0), unit="D")
    ).where(churned)
    horizon = 180
    in_window = w.signup_off + horizon <= span
    churn_rel0 = origin_off - w.signup_off + T0 <= horizon
    churn_rel1 = origin_off - w.signup_off + T1 <= horizon
    w.ate_churn = float(np.mean(churn_rel1[in_window].astype(float) - churn_rel0[in_window]))
    w.c_off = c_off = np.where(churned, churn_off, span + 10_000)[w.cust_of_ev]
    w.alive = alive = w.ev_off < c_off
    w.fu_alive = w.treated & alive & (w.ev_off + w.fu_delay < np.minimum(c_off, span))
    w.sv_alive = w.answered & alive & (w.ev_off + w.s_delay < c_off)
    w.sv_alive[fidx] = w.answered[fidx]  # the onboarding survey precedes churn's time origin


def _involuntary_times(w) -> np.ndarray:
    """Days from the onboarding survey to an involuntary exit (own stream: nothing else moves)."""
    rng = np.random.default_rng([w.seed, 31])
    b = INVOLUNTARY["log_hr"]
    lp = b["income_band[low]"] * (w.income == "low") + b["segment[small_business]"] * (
        w.segment == "small_business"
    )
    rate = INVOLUNTARY["rate_per_year"] / 365.25 * np.exp(lp.astype(float))
    return rng.exponential(1.0, w.n) / rate


def _step_customers_table(w) -> None:
    rng, n = w.rng, w.n
    w.cust_ids = _zfill_ids("C", n, 7).to_numpy(object)  # shared objects: repeats cost a pointer
    w.customers = pd.DataFrame(
        {
            "customer_id": w.cust_ids,
            "signup_date": w.signup,
            "churn_date": w.churn_date.to_numpy(),
            "segment": w.segment,
            "region": _choice(rng, REGIONS, n),
            "branch_id": w.branch_ids[w.branch_i],
            "age_band": _choice(rng, AGE_BANDS, n, [0.2, 0.3, 0.3, 0.2]),
            "income_band": w.income,
            "marital_status": _choice(rng, MARITAL, n, [0.4, 0.5, 0.1]),
            "loyalty_member": w.loyal,
            "acquisition_channel": _choice(rng, ACQ, n, [0.45, 0.3, 0.15, 0.1]),
            "email": _arrow_text("customer", np.arange(1, n + 1), "@example.com").array,
            "phone": _arrow_text("+44 7700 ", rng.integers(100000, 999999, n)).array,
        }
    )
    if w.exit_cause is not None:
        churned = w.customers["churn_date"].notna().to_numpy()
        w.customers["exit_cause"] = pd.array(np.where(churned, w.exit_cause, None), dtype=TEXT)


def _step_responses_table(w) -> None:
    rng = w.rng
    w.r = r = np.flatnonzero(w.sv_alive)
    nr = r.size
    s_date = w.t0 + pd.to_timedelta(w.ev_off[r] + w.s_delay[r], unit="D")
    w.lat_r = lat_r = w.latent[r]
    R = w.ratings[r]
    del w.ratings  # freed as early as before the split (1 byte x 8 per event)
    col = w.col
    order = np.argsort(R, axis=1, kind="stable")
    liked_txt = np.array([f"Really good {LIKED[a]}." for a in ATTRIBUTES], dtype=object)
    disliked_txt = np.array([f"The {LIKED[a]} could be better." for a in ATTRIBUTES], dtype=object)
    ces = (
        4.2
        - 0.35 * (R[:, col["attr_responsiveness"]] - 6)
        - 0.3 * (R[:, col["attr_digital_experience"]] - 6)
        + 0.8 * w.is_complaint[r]
    )
    w.responses = pd.DataFrame(
        {
            "response_id": _zfill_ids("R", nr, 8).to_numpy(),
            "customer_id": w.cust_ids[w.cust_of_ev[r]],
            "survey_date": s_date,
            "wave": _wave_labels(s_date),
            "overall_sat": w.sat[r].astype(np.int64),
            "nps": _rating(lat_r - 0.3 + rng.normal(0, 0.8, nr), 0, 10).astype(np.int64),
            "csat": _rating(1 + (lat_r - 1) * 4 / 9 + rng.normal(0, 0.4, nr), 1, 5).astype(
                np.int64
            ),
            "ces": _rating(ces + rng.normal(0, 0.8, nr), 1, 7).astype(np.int64),
            **{a: R[:, i].astype(np.int64) for i, a in enumerate(ATTRIBUTES)},
            "comment_liked": np.where(rng.random(nr) < 0.6, liked_txt[order[:, -1]], None),
            "comment_disliked": np.where(rng.random(nr) < 0.5, disliked_txt[order[:, 0]], None),
        }
    )


def _step_purchases(w) -> None:
    """BG/NBD purchases with Gamma-Gamma amounts, from their own stream ([seed, 16]).

    The covariate is each customer's mean ``overall_sat`` (7 without answers) and her club
    membership (:mod:`cxmodels.data.synth_value`). The first purchase is the onboarding
    purchase (slot 0, signup day), which gets its amount; the repeat purchases are added to
    the interactions with amounts. The other service-event purchases (slots 1+, which carry
    the follow-ups and surveys) have no amount: they are CRM touchpoints, not the purchase
    history, and ``cx.rfm_summary`` leaves them out (saying so).
    """
    if not w.purchases:
        w.pa = None
        return
    centre = PURCHASE_TRUTH["satisfaction_centre"]
    ci = w.cust_of_ev[w.r]
    k = np.bincount(ci, minlength=w.n)
    s = np.bincount(ci, weights=w.sat[w.r].astype(float), minlength=w.n)
    sat = np.divide(s, k, out=np.full(w.n, centre), where=k > 0)
    followed_up = w.fu_alive[w.fidx]  # the onboarding follow-up (1-13 days after signup)
    w.pa = purchase_arrays(w.signup.to_numpy(), w.loyal, sat, w.t_end, w.seed, followed_up)


def _step_interactions_table(w) -> None:
    """Interactions built from integer codes, strings only in the final categoricals."""
    rng, ne, kind = w.rng, w.ne, w.kind
    ev_keep = np.flatnonzero(w.alive)
    ev_ns = w.t0.value + (w.ev_off * 86400 + rng.integers(8 * 3600, 20 * 3600, ne)) * 10**9
    ev_ns = ev_ns.astype(np.int64)
    ev_channel = np.where(
        kind == KIND_CODE["purchase"],
        np.where(rng.random(ne) < 0.55, CHANNEL_CODE["web"], CHANNEL_CODE["store"]),
        np.array([CHANNEL_CODE[c] for c in ("phone", "email", "chat", "social")])[
            rng.choice(4, size=ne, p=[0.4, 0.3, 0.2, 0.1])
        ],
    ).astype(np.int8)
    ev_topic = np.where(kind == KIND_CODE["purchase"], -1, rng.integers(0, len(TOPICS), ne))
    ev_topic = ev_topic.astype(np.int8)
    sentiment = np.clip(
        np.round((w.latent - 6.5) / 3 - 0.4 * w.is_complaint + rng.normal(0, 0.2, ne), 2), -1, 1
    )
    resolved = np.where(w.needs_resp, rng.random(ne) < 0.85 - 0.2 * w.slow, -1).astype(np.int8)
    f = np.flatnonzero(w.fu_alive)
    stop = np.minimum(w.c_off, w.span)
    iv = np.flatnonzero(w.surveyed & w.alive & (w.ev_off + w.s_delay - 2 < stop))
    day = 86400 * 10**9
    nf, ni = f.size, iv.size

    n, pa = w.n, w.pa or SimpleNamespace(
        cust=np.arange(w.n), ns=np.zeros(w.n, np.int64), web=np.zeros(w.n, bool),
        amount=np.full(w.n, np.nan), truth={},
    )  # fmt: skip
    rep = slice(n, None)  # the repeat purchases (the first ones are the slot-0 events)
    npur = pa.cust.size - n

    def cat(codes, fill_f, fill_i, fill_p):
        return np.concatenate(
            [codes, np.full(nf, fill_f, codes.dtype), np.full(ni, fill_i, codes.dtype),
             np.full(npur, fill_p, codes.dtype)]
        )  # fmt: skip

    cust = np.concatenate([w.cust_of_ev[ev_keep], w.cust_of_ev[f], w.cust_of_ev[iv], pa.cust[rep]])
    ts = np.concatenate(
        [ev_ns[ev_keep], ev_ns[f] + w.fu_delay[f] * day, ev_ns[iv] + (w.s_delay[iv] - 2) * day,
         pa.ns[rep]]
    )  # fmt: skip
    web, store = CHANNEL_CODE["web"], CHANNEL_CODE["store"]
    chan = np.concatenate(
        [
            ev_channel[ev_keep],
            np.array([CHANNEL_CODE[c] for c in FU_CHANNELS], dtype=np.int8)[w.fu_ch[f]],
            np.full(ni, CHANNEL_CODE["email"], np.int8),
            np.where(pa.web[rep], web, store).astype(np.int8),
        ]
    )
    kinds = cat(kind[ev_keep], KIND_CODE["follow_up"], KIND_CODE["survey_invite"],
                KIND_CODE["purchase"])  # fmt: skip
    topic = cat(ev_topic[ev_keep], -1, -1, -1)
    sent = cat(np.where(w.needs_resp, sentiment, np.nan)[ev_keep], np.nan, np.nan, np.nan)
    resp = cat(w.resp_min[ev_keep], np.nan, np.nan, np.nan)
    reso = cat(resolved[ev_keep], -1, -1, -1)
    first_amount = np.full(ne, np.nan)
    first_amount[w.fidx] = pa.amount[:n]  # the onboarding purchase is the first purchase
    amount = np.concatenate([first_amount[ev_keep], np.full(nf + ni, np.nan), pa.amount[rep]])
    del w.latent  # the chain step uses the responses' latent satisfaction (w.lat_r)
    del ev_ns, ev_channel, ev_topic, sentiment, resolved, first_amount
    for k in ("ev_off", "c_off", "alive", "fu_alive", "surveyed", "s_delay", "fu_delay", "fu_ch",
              "resp_min", "needs_resp", "slow", "is_complaint", "treated"):  # fmt: skip
        delattr(w, k)  # per-event arrays no later step reads (peak memory at 1M customers)
    arrays = dict(cust=cust, ts=ts, chan=chan, kinds=kinds, topic=topic, sent=sent, resp=resp,
                  reso=reso, amount=amount)  # fmt: skip
    del cust, ts, chan, kinds, topic, sent, resp, reso, amount
    w.interactions = _interactions_frame(w, arrays)
    w.truth_purchases = pa.truth
    del w.pa


def _interactions_frame(w, a: dict) -> pd.DataFrame:
    """The interactions table in time order; each array is freed once its column is built."""
    order = np.argsort(a["ts"], kind="stable")
    cols = {"interaction_id": _zfill_ids("I", order.size, 9).array}
    cols["customer_id"] = w.cust_ids[a.pop("cust")[order]]
    cols["timestamp"] = a.pop("ts")[order].view("datetime64[ns]")  # the int64 ns are the dates
    cols["channel"] = pd.Categorical.from_codes(a.pop("chan")[order], CHANNELS)
    cols["kind"] = pd.Categorical.from_codes(a.pop("kinds")[order], KINDS)
    cols["topic"] = pd.Categorical.from_codes(a.pop("topic")[order], TOPICS)
    cols["sentiment"] = a.pop("sent")[order]
    cols["response_minutes"] = a.pop("resp")[order]
    reso = a.pop("reso")[order]
    cols["resolved"] = pd.arrays.BooleanArray(reso == 1, reso < 0)
    amount = a.pop("amount")
    if w.purchases:
        cols["amount"] = amount[order]
    del amount, order
    return pd.DataFrame(cols, copy=False)


def _step_kano(w) -> None:
    w.kano = _kano(w.rng, w.cust_ids, w.segment, w.kano_n)


def _step_truth(w) -> None:
    truth_sat_rows = w.r[w.eligible[w.r]]
    w.truth = {
        "seed": w.seed,
        "n_customers": w.n,
        "observation_start": w.start,
        "observation_end": w.end,
        "driver_weights": DRIVER_WEIGHTS,
        "attribute_means": ATTRIBUTE_MEANS,
        "asymmetric": {"basic": BASIC, "excitement": EXCITEMENT},
        "driver_classes": {
            BASIC["attribute"]: "basic",
            EXCITEMENT["attribute"]: "excitement",
            **{a: "performance" for a in DRIVER_WEIGHTS},
        },
        "segment_effect_on_satisfaction": SEGMENT_SAT,
        "employee_sat_effect": EMPLOYEE_SAT_EFFECT,
        "complaint_effect_on_satisfaction": COMPLAINT_EFFECT,
        "slow_complaint_response_effect_on_satisfaction": SLOW_RESPONSE_EFFECT,
        "follow_up_effect_on_satisfaction": float(
            np.dot(FOLLOW_UP_CHANNEL_P, list(FOLLOW_UP_EFFECT.values()))
        ),
        "follow_up_effect_by_channel": FOLLOW_UP_EFFECT,
        "follow_up_ate_overall_sat": float(
            np.mean(w.sat1[truth_sat_rows] - w.sat0[truth_sat_rows])
        ),
        "follow_up_ate_churn_within_180d": w.ate_churn,
        "follow_up_propensity": PROPENSITY,
        "follow_up_log_hazard_ratio": LOG_HR["followed_up"],
        "log_hazard_ratios": LOG_HR,
        "churn_model": {
            "time_origin": "first (onboarding) survey",
            "baseline": "weibull",
            **WEIBULL,
            "covariates": "overall_sat of the onboarding survey, loyalty_member, "
            "followed_up after the onboarding purchase, segment",
        },
        "kano_categories": KANO_FEATURES,
        "kano_true_share": KANO_TRUE_SHARE,
    }
    w.truth.update(w.truth_purchases)
    if w.uplift:
        w.truth["uplift"] = truth(w, KINDS, LOG_HR, WEIBULL)
    if w.exit_causes:
        w.truth["exit_causes"] = {
            "time_origin": "first (onboarding) survey",
            INVOLUNTARY["voluntary_cause"]: {
                "baseline": "weibull",
                "log_hazard_ratios": LOG_HR,
            },
            INVOLUNTARY["cause"]: {
                "baseline": "exponential",
                "rate_per_year": INVOLUNTARY["rate_per_year"],
                "log_hazard_ratios": {**INVOLUNTARY["log_hr"], "overall_sat": 0.0},
            },
        }


def _step_chain(w) -> None:
    """The satisfaction-loyalty chain items on the responses, from their own random stream."""
    items, truth = chain_items(w.lat_r, np.random.default_rng([w.seed, 15]))
    w.responses = pd.concat([w.responses, items], axis=1)
    w.truth["chain"] = truth


#: Probability that a response is kept in the opt-in non-response world: segment factor times
#: tenure-band factor (tenure from signup to churn or the observation end), so that raking on
#: the two margins is the right model of who answers.
NONRESPONSE_KEEP = {
    "segment": {"consumer": 0.35, "small_business": 0.6, "premium": 0.95},
    "tenure_band": {"<1y": 1.0, "1-2y": 0.8, "2-3y": 0.6, "3y+": 0.45},
}


def _nps_score(x: np.ndarray) -> np.ndarray:
    """Per-answer NPS score: 100 for a promoter, -100 for a detractor (one definition,
    :func:`cxmodels.data.scales.nps_codes`), 0 for a passive."""
    return 100.0 * (nps_codes(x) - 1)


def _step_nonresponse(w) -> None:
    r"""Opt-in non-response by segment and tenure, from its own stream ([seed, 29]).

    The base's true NPS is the NPS of every response before non-response, post-stratified to
    the customers' segment x tenure-band cells: :math:`\sum_c (N_c / N)\,\mathrm{NPS}_c`, the
    NPS the full response set shows with the customer base's mix (each cell's answers as they
    came). Weighting the kept answers to the base recovers it; the unweighted NPS does not.
    """
    if not w.nonresponse:
        return
    rng = np.random.default_rng([w.seed, 29])
    band = tenure_band(w.customers, w.t_end)
    cells = w.customers["segment"].astype(str) + " / " + band.astype(str)
    keep_c = w.customers["segment"].map(NONRESPONSE_KEEP["segment"]).to_numpy(float) * band.map(
        NONRESPONSE_KEEP["tenure_band"]
    ).to_numpy(float)
    ci = pd.Index(w.customers["customer_id"]).get_indexer(w.responses["customer_id"])
    score = _nps_score(w.responses["nps"].to_numpy())
    cell_r = cells.to_numpy()[ci]
    full = pd.Series(score).groupby(cell_r).mean()
    share = cells.value_counts(normalize=True)
    kept = rng.random(len(ci)) < keep_c[ci]
    w.truth["nonresponse"] = {
        "keep_probability": NONRESPONSE_KEEP,
        "base_nps": float((share.reindex(full.index).fillna(0) * full).sum()),
        "full_response_nps": float(score.mean()),
        "responses_before": int(len(ci)),
        "responses_kept": int(kept.sum()),
    }
    w.responses = w.responses.loc[kept].reset_index(drop=True)


def _step_comments(w) -> None:
    """Realistic comments from their own stream ([seed, 28]), when asked for."""
    if w.comments is None:
        return

    cols, truth = comment_columns(w.responses, w.comments, w.seed)
    w.responses = w.responses.assign(**cols)
    w.truth["comments"] = {"language": w.comments, "themes": list(ATTRIBUTES), "table": truth}


#: The steps of :func:`generate`, in order. The first ones share the main random stream; a
#: new table (e.g. purchases with amounts) goes at the end with its own stream, as the chain.
STEPS = (
    _step_branches_and_customers,
    _step_events,
    _step_surveys,
    _step_satisfaction,
    _step_uplift,
    _step_churn,
    _step_customers_table,
    _step_responses_table,
    _step_purchases,
    _step_interactions_table,
    _step_kano,
    _step_truth,
    _step_chain,
    _step_nonresponse,
    _step_comments,
)


def _kano(rng, cust_ids, segment, m):
    feats = list(KANO_FEATURES)
    who = np.sort(rng.choice(len(cust_ids), size=m, replace=False))
    nf = len(feats)
    resp = np.repeat(who, nf)
    feat_i = np.tile(np.arange(nf), m)
    seg = segment[resp]
    cats = np.array(["A", "O", "M", "I", "R"])
    true = np.empty(resp.size, dtype=object)
    for j, fname in enumerate(feats):  # loop over 8 features, not respondents
        spec = KANO_FEATURES[fname]
        sel = feat_i == j
        true[sel] = pd.Series(seg[sel]).map(spec).to_numpy() if isinstance(spec, dict) else spec
    other = cats[rng.integers(0, 5, resp.size)]
    use_true = rng.random(resp.size) < KANO_TRUE_SHARE
    cat = np.where(use_true, true, other)
    # the random draw may equal the true category: fine, the true share is then a bit higher
    fun = np.empty(resp.size, dtype=np.int64)
    dys = np.empty(resp.size, dtype=np.int64)
    pick = rng.random(resp.size)
    for c, cells in KANO_CELLS.items():  # loop over 5 categories
        sel = cat == c
        idx = np.minimum((pick[sel] * len(cells)).astype(int), len(cells) - 1)
        arr = np.array(cells)
        fun[sel], dys[sel] = arr[idx, 0], arr[idx, 1]
    q = rng.random(resp.size) < KANO_Q_RATE
    qv = np.where(rng.random(resp.size) < 0.5, 1, 5)
    fun[q], dys[q] = qv[q], qv[q]
    imp_base = pd.Series(true).map(KANO_IMPORTANCE).to_numpy(float)
    return pd.DataFrame(
        {
            "respondent_id": cust_ids[resp],
            "feature": np.array(feats, dtype=object)[feat_i],
            "functional": fun,
            "dysfunctional": dys,
            "importance": np.clip(np.rint(imp_base + rng.normal(0, 1.2, resp.size)), 1, 9).astype(
                np.int64
            ),
            "segment": seg,
        }
    )
