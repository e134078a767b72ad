"""Survival tables: one row per customer from the baseline survey, or start-stop rows.

The time origin is each customer's baseline survey answer; ``duration`` runs to churn or the
observation end in the chosen unit, ``event`` is 1 for churn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._numeric import UNITS  # the one table of time units (a month is 30.4375 days)
from .._validation import check_number, check_option, did_you_mean, fail, require_columns
from ..data.contract import CUSTOMER_ATTRIBUTES
from ..data.scales import nps_group  # the one NPS-group definition
from ..data.waves import ordered_waves

CUSTOMER_COVARIATES = list(CUSTOMER_ATTRIBUTES)
SURVEY_COVARIATES = ["overall_sat", "nps", "csat", "ces"]


def survival_table(
    data,
    *,
    unit: str = "months",
    as_of=None,
    covariates: list[str] | None = None,
    from_wave: str | None = None,
    baseline_within_days: int | None = None,
    follow_up_window_days: int | None = None,
    time_varying: bool = False,
) -> pd.DataFrame:
    """One survival row per customer (or start-stop rows with ``time_varying=True``).

    Parameters
    ----------
    data : CXData
        From :func:`cxmodels.load` or :func:`cxmodels.load_sample`.
    unit : {"days", "weeks", "months", "years"}
        Time unit of ``duration`` (a month is 30.4375 days).
    as_of : date-like, optional
        Observation end (default: the data's ``observation_end``).
    covariates : list of str, optional
        Columns that must be present (checked, with "did you mean").
    from_wave : str, optional
        Baseline = the first answer in or after this wave, waves ordered by their meaning
        (``data.wave_order``: 'Q4 2024' before 'Q3 2025'); an unknown wave is refused.
    baseline_within_days : int, optional
        Baseline = the first answer within this many days of signup (an onboarding survey).
    follow_up_window_days : int, optional
        ``followed_up`` counts contacts within this many days before the origin (default:
        since signup).
    time_varying : bool
        Start-stop rows instead of one row per customer.

    Returns
    -------
    DataFrame
        ``customer_id`` (for joins; reports never print it), ``duration``, ``event`` (1 =
        churn), ``exit_cause`` (the cause of each exit, when the customers table has one; for
        :func:`cxmodels.churn.cumulative_incidence`), the customer columns, the baseline answers ``overall_sat``, ``nps``, ``csat``,
        ``ces`` (and ``attr_*``), ``nps_group``, ``tenure_at_origin`` (days), ``followed_up``,
        ``origin_date``. With ``time_varying=True``: ``customer_id``, ``start``, ``stop``,
        ``event``, the survey answers valid in the interval and the customer columns.

    Notes
    -----
    The time origin is each customer's **baseline survey**; customers without one are left
    out. ``duration = (min(churn, as_of) - origin) / unit``; same-day churners get
    ``duration = 0``, which Kaplan-Meier and Cox accept (AFT models refuse it with the fix).
    """
    check_option("unit", unit, list(UNITS), "survival_table")
    for name, v in (
        ("baseline_within_days", baseline_within_days),
        ("follow_up_window_days", follow_up_window_days),
    ):
        if v is not None:
            check_number(name, v, low=0, integer=True, table="survival_table")
    scale = UNITS[unit]
    cust = data.customers
    end = pd.Timestamp(as_of) if as_of is not None else data.observation_end
    c = cust.set_index("customer_id")
    r, base = _baselines(data, c, from_wave, baseline_within_days, end)
    out = pd.DataFrame({"customer_id": base["customer_id"].to_numpy()})
    origin = base["survey_date"].to_numpy()
    churn = out["customer_id"].map(c["churn_date"]).to_numpy()
    churned = ~pd.isna(churn) & (churn <= np.datetime64(end))
    stop = np.where(churned, churn, np.datetime64(end))
    days = (stop - origin) / np.timedelta64(1, "D")
    out["duration"] = days / scale
    out["event"] = churned.astype(int)
    if "exit_cause" in c:  # competing risks: the cause of each exit seen by ``end``
        out["exit_cause"] = out["customer_id"].map(c["exit_cause"]).where(churned)
    for col in CUSTOMER_COVARIATES:
        if col in c:
            out[col] = out["customer_id"].map(c[col]).to_numpy()
    for col in SURVEY_COVARIATES + [
        a for a in data.responses.columns if str(a).startswith("attr_")
    ]:
        if col in base:
            out[col] = base[col].to_numpy()
    if "nps" in out:
        out["nps_group"] = nps_group(out["nps"]).to_numpy()
    signup = out["customer_id"].map(c["signup_date"]).to_numpy()
    out["tenure_at_origin"] = (origin - signup) / np.timedelta64(1, "D")
    out["followed_up"] = _followed_up_before(
        data, out["customer_id"], origin, signup, follow_up_window_days
    )
    out["origin_date"] = origin
    if covariates is not None:
        require_columns(out, covariates, "survival_table")
    bad = out["duration"] < 0
    if bad.any():
        fail(
            "customers",
            "churn_date",
            "churn before the baseline survey",
            "check churn_date against survey_date",
            out.loc[bad, "customer_id"],
        )
    if not time_varying:
        return out.reset_index(drop=True)
    return _start_stop(out, r, end, scale)


def _baselines(data, c: pd.DataFrame, from_wave, within_days, end):
    """(responses in time order, each customer's baseline answer)."""
    r = data.responses.sort_values(["customer_id", "survey_date"], kind="stable")
    if from_wave is not None:
        r = r[r["wave"].isin(_waves_from(data, from_wave))]
    first_ok = r
    if within_days is not None:
        age = (r["survey_date"] - r["customer_id"].map(c["signup_date"])).dt.days
        first_ok = r[age <= within_days]
    base = first_ok.drop_duplicates("customer_id", keep="first")
    base = base[base["survey_date"] <= end]
    if base.empty:
        fail(
            "responses",
            "survey_date",
            "no customer has a baseline survey answer in the chosen window",
            "choose an earlier from_wave or a later as_of",
        )
    return r, base


def _waves_from(data, from_wave) -> list:
    """``from_wave`` and the waves after it, in the order of their meaning (``data.wave_order``,
    as :func:`cxmodels.metrics.change` uses): 'Q3 2025' comes after 'Q4 2024', never as text."""
    order = ordered_waves(data, data.responses["wave"])
    if from_wave not in order:
        fail(
            "responses",
            "wave",
            f"no answers in wave {from_wave!r}{did_you_mean(str(from_wave), map(str, order))}",
            f"choose from_wave among {', '.join(map(str, order))}",
        )
    return order[order.index(from_wave) :]


def _followed_up_before(data, ids, origin, signup, window):
    inter = data.interactions
    if inter is None:
        return np.zeros(len(ids), dtype=int)
    fu = inter.loc[inter["kind"] == "follow_up", ["customer_id", "timestamp"]]
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    j = fu["customer_id"].map(pos)
    fu = fu[j.notna()]
    j = j[j.notna()].astype(int).to_numpy()
    t = fu["timestamp"].to_numpy()
    lo = signup[j] if window is None else origin[j] - np.timedelta64(int(window), "D")
    hit = (t >= lo) & (t <= origin[j] + np.timedelta64(1, "D"))
    out = np.zeros(len(ids), dtype=int)
    out[j[hit]] = 1
    return out


def _start_stop(base: pd.DataFrame, r: pd.DataFrame, end, scale) -> pd.DataFrame:
    """Start-stop intervals: a new interval at every survey answer after the origin."""
    later = r.merge(base[["customer_id", "origin_date", "duration"]], on="customer_id")
    later = later[later["survey_date"] >= later["origin_date"]]
    later["start"] = (later["survey_date"] - later["origin_date"]).dt.days / scale
    later = later[later["start"] < later["duration"]]
    later = later.sort_values(["customer_id", "start"], kind="stable")
    later = later.drop_duplicates(["customer_id", "start"], keep="last")
    later["stop"] = later.groupby("customer_id")["start"].shift(-1)
    last = later["stop"].isna()
    later.loc[last, "stop"] = later.loc[last, "duration"]
    ev = base.set_index("customer_id")["event"]
    later["event"] = np.where(last, later["customer_id"].map(ev), 0)
    keep_cust = [
        c
        for c in base.columns
        if c not in SURVEY_COVARIATES + ["duration", "event", "nps_group"]
        and not str(c).startswith("attr_")
        and c != "origin_date"
    ]
    rows = later[
        ["customer_id", "start", "stop", "event"] + [c for c in SURVEY_COVARIATES if c in later]
    ].merge(base[keep_cust], on="customer_id")
    if "nps" in rows:
        rows["nps_group"] = nps_group(rows["nps"]).to_numpy()
    return rows[rows["stop"] > rows["start"]].reset_index(drop=True)
