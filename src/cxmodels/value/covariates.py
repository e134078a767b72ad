"""Customer covariates for the purchase models, and synthetic purchases for the sample world.

The covariate extension of BG/NBD and Pareto/NBD (Fader and Hardie 2007) needs one row of
time-invariant covariates per customer: satisfaction (the mean of the customer's survey
answers, centred), club membership, the onboarding follow-up, segment. :func:`with_purchases`
adds BG/NBD purchases with amounts to a CXData that has none (a saved synthetic world made
without ``cx.generate(..., purchases=True)``).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from .._validation import DataQualityWarning, fail, require_columns
from ..data.contract import CHANNELS, KINDS
from ..data.synth_value import purchases
from .rfm import rfm_frame

SAT_CENTRE = 7.0
FOLLOW_UP_WINDOW_DAYS = 14  # as cx.follow_up_effect's default window


def onboarding_follow_up(data, window_days: int = FOLLOW_UP_WINDOW_DAYS) -> np.ndarray:
    """Per customer of ``data.customers``: 1 when a follow-up came within ``window_days`` after
    her first purchase (her signup date when she has none), else 0."""
    cust, inter = data.customers, data.interactions
    out = np.zeros(len(cust))
    if inter is None or "kind" not in inter or "signup_date" not in cust:
        return out
    pur = inter.loc[inter["kind"] == "purchase"].groupby("customer_id", observed=True)
    first = cust["customer_id"].map(pur["timestamp"].min())
    first = first.fillna(pd.to_datetime(cust["signup_date"])).to_numpy("datetime64[ns]")
    fu = inter.loc[inter["kind"] == "follow_up", ["customer_id", "timestamp"]]
    pos = pd.Series(np.arange(len(cust)), index=pd.Index(cust["customer_id"]))
    j = fu["customer_id"].map(pos)
    ok = j.notna().to_numpy()
    j = j[ok].astype(int).to_numpy()
    t = fu["timestamp"].to_numpy("datetime64[ns]")[ok]
    hit = (t > first[j]) & (t <= first[j] + np.timedelta64(int(window_days), "D"))
    out[j[hit]] = 1.0
    return out


def customer_covariates(
    data,
    *,
    satisfaction: str = "overall_sat",
    centre: float = SAT_CENTRE,
    segments: bool = True,
) -> pd.DataFrame:
    """One row of covariates per customer.

    Parameters
    ----------
    data : CXData
    satisfaction : str
        Rating column of ``responses`` averaged per customer.
    centre : float
        Subtracted from the mean rating, so that alpha and b describe a customer at the centre.
    segments : bool
        Add 0/1 columns ``segment_<level>`` for every segment but the first (largest).

    Returns
    -------
    DataFrame
        ``customer_id``, ``satisfaction`` (mean rating - centre; 0 for customers without an
        answer, who are counted in a warning), ``has_survey`` (0/1), ``loyalty_member`` (0/1),
        ``followed_up`` (0/1: a follow-up within 14 days of the first purchase, when there are
        interactions) and ``segment_*`` columns.
    """
    cust, resp = data.customers, data.responses
    require_columns(cust, ["customer_id"], "customers")
    require_columns(resp, ["customer_id", satisfaction], "responses")
    m = resp.groupby("customer_id", observed=True)[satisfaction].mean()
    s = cust["customer_id"].map(m)
    out = pd.DataFrame(
        {
            "customer_id": cust["customer_id"].to_numpy(),
            "satisfaction": (s - centre).fillna(0.0).to_numpy(),
            "has_survey": s.notna().astype(float).to_numpy(),
        }
    )
    if s.isna().any():
        warnings.warn(
            f"responses: {int(s.isna().sum())} customer(s) never answered a survey; their "
            f"satisfaction is set to the centre ({centre:g}) and has_survey = 0.",
            DataQualityWarning,
            stacklevel=2,
        )
    if "loyalty_member" in cust:
        out["loyalty_member"] = cust["loyalty_member"].fillna(False).astype(float).to_numpy()
    if data.interactions is not None:
        out["followed_up"] = onboarding_follow_up(data)
    if segments and "segment" in cust:
        seg = cust["segment"].astype(str)
        for level in seg.value_counts().index[1:]:
            out[f"segment_{level}"] = (seg == level).astype(float).to_numpy()
    return out


def add_covariates(rfm: pd.DataFrame, data, **kwargs) -> pd.DataFrame:
    """``rfm`` with the columns of :func:`customer_covariates` joined by ``customer_id``."""
    require_columns(rfm, ["customer_id"], "rfm")
    cov = customer_covariates(data, **kwargs)
    out = rfm.merge(cov, on="customer_id", how="left", validate="one_to_one")
    miss = out[cov.columns[1:]].isna().any(axis=1).to_numpy()
    if miss.any():
        fail("rfm", "customer_id", "customers missing from the customers table",
             "add them to customers or drop their purchases", out["customer_id"][miss])  # fmt: skip
    return rfm_frame(out, like=rfm)


def has_amounts(data) -> bool:
    inter = data.interactions
    if inter is None or "amount" not in inter or "kind" not in inter:
        return False
    return bool(inter.loc[inter["kind"] == "purchase", "amount"].notna().any())


def with_purchases(data, seed: int | None = None):
    """The data with BG/NBD purchases and amounts, when its purchases carry no amounts.

    The purchase rows without amounts are replaced by :func:`cxmodels.data.synth_value.purchases`
    (the first purchase on the signup day, then BG/NBD repeat purchases with Gamma-Gamma
    amounts); ``truth`` gains ``purchase_model`` and ``spend_model``. Data whose purchases have
    amounts (e.g. ``cx.generate(..., purchases=True)``) is returned unchanged, the same object.
    ``cx.generate(..., purchases=True)`` makes the same purchase stream inside the world and
    keeps the service-event purchases (with their follow-ups and surveys) as rows without an
    amount; here they are replaced.
    """
    if has_amounts(data):
        return data

    if hasattr(data, "collect"):  # DuckData: the purchases are added in memory
        data = data.collect()

    if data.observation_end is None:
        fail("data", "observation_end", "unknown observation end",
             "load the data with meta.json or pass as_of=")  # fmt: skip
    seed = int((data.truth or {}).get("seed", 0)) if seed is None else seed
    rows, truth = purchases(data.customers, data.responses, data.observation_end, seed,
                            onboarding_follow_up(data))  # fmt: skip
    rows["kind"] = pd.Categorical(rows["kind"], categories=KINDS)
    rows["channel"] = pd.Categorical(rows["channel"], categories=CHANNELS)
    inter = data.interactions
    keep = inter.loc[inter["kind"] != "purchase"] if inter is not None else inter
    merged = pd.concat([keep, rows], ignore_index=True) if keep is not None else rows
    merged = merged.sort_values("timestamp", kind="stable", ignore_index=True)
    for c in ("kind", "channel"):
        merged[c] = pd.Categorical(merged[c], categories=KINDS if c == "kind" else CHANNELS)
    merged["amount"] = merged["amount"].astype(float)
    return replace(data, interactions=merged, truth={**(data.truth or {}), **truth})


def segment_mask(frame: pd.DataFrame, data, segment: str | None) -> np.ndarray:
    """Rows of ``frame`` (with ``customer_id``) whose customer is in ``segment`` (all if None)."""
    if segment in (None, "", "all"):
        return np.ones(len(frame), dtype=bool)
    seg = data.customers.set_index("customer_id")["segment"].astype(str)
    if segment not in set(seg):
        fail("customers", "segment", f"no customers in segment {segment!r}",
             f"use one of {', '.join(map(repr, sorted(set(seg))))}")  # fmt: skip
    return (frame["customer_id"].map(seg) == segment).to_numpy()
