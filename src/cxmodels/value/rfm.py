"""Recency, frequency and monetary value per customer (the summary every BTYD model needs).

Definitions follow Fader, Hardie and Lee (2005): purchases on one calendar day are one
transaction (their amounts summed); the first transaction starts a customer's clock; *frequency*
``x`` is the number of **repeat** transactions in the calibration period, *recency* ``t_x`` the time
from the first to the last transaction, ``T`` the time from the first transaction to the end of
calibration, and *monetary value* the mean amount of the repeat transactions (Gamma-Gamma's
``z-bar``; missing when ``x = 0``). With ``calibration_end`` before ``observation_end`` the
transactions after it form the holdout period.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._numeric import UNITS  # the one table of time units
from .._validation import DataQualityWarning, check_option, fail, require_columns

RFM_COLUMNS = ("frequency", "recency", "T")


class RFMTable(pd.DataFrame):
    """The table of :func:`rfm_summary`: a DataFrame that carries its time frame as attributes.

    Attributes
    ----------
    unit : str or None
        Time unit of ``recency``, ``T`` and ``duration_holdout``.
    calibration_end, observation_end : str or None
        ISO dates (inclusive) of the calibration end and the end of the data.

    Notes
    -----
    The scalars are pandas ``_metadata`` of this subclass, not ``DataFrame.attrs``: row
    selections keep them, and the models copy them onto their results when they are fitted,
    so predictions never read them back from a table. A plain DataFrame works everywhere too
    (pass ``unit=`` to the fits).
    """

    _metadata = ["unit", "calibration_end", "observation_end"]
    unit = None
    calibration_end = None
    observation_end = None

    @property
    def _constructor(self):
        return RFMTable


def rfm_frame(df: pd.DataFrame, like=None, **scalars) -> RFMTable:
    """``df`` as an :class:`RFMTable` with the scalars of ``like`` (an RFM table) or ``scalars``."""
    out = RFMTable(df)
    for k in RFMTable._metadata:
        setattr(out, k, scalars.get(k, getattr(like, k, None)))
    return out


def rfm_scalars(rfm) -> dict:
    """``unit``, ``calibration_end`` and ``observation_end`` of an RFM table (None if unknown)."""
    return {k: getattr(rfm, k, None) if isinstance(rfm, RFMTable) else None
            for k in RFMTable._metadata}  # fmt: skip


def _transactions(source, customer_col, time_col, amount_col):
    """(frame with customer, timestamp, amount, source name, observation_end of the data)."""
    if hasattr(source, "interactions") and hasattr(source, "customers"):
        inter = source.interactions
        if inter is None or "kind" not in inter.columns:
            fail("interactions", "kind", "no interactions table with a kind column",
                 "add interactions of kind 'purchase' (see docs/data-contract.md)")  # fmt: skip
        tx = _with_amounts(inter.loc[inter["kind"] == "purchase"])
        if tx.empty:
            fail("interactions", "kind", "no interactions of kind 'purchase'",
                 "add purchase rows, or cx.value.with_purchases(data) for the synthetic world")  # fmt: skip
        return tx, "interactions", source.observation_end
    if not isinstance(source, pd.DataFrame):
        fail("transactions", "", f"expected a CXData or a DataFrame, got {type(source).__name__}",
             "pass cx.load(...) or a DataFrame with customer_id, timestamp and amount")  # fmt: skip
    return source, "transactions", None


def _with_amounts(tx: pd.DataFrame) -> pd.DataFrame:
    """The purchases with an amount when some have one; the others are named in a warning."""
    if "amount" not in tx or not tx["amount"].notna().any():
        return tx
    none = tx["amount"].isna().to_numpy()
    if none.any():
        ids = tx["interaction_id"] if "interaction_id" in tx else tx.index.to_series()
        warnings.warn(
            f"interactions: {int(none.sum()):,} purchase row(s) have no amount and are left out "
            f"of the purchase history (e.g. {', '.join(map(str, ids[none][:3]))}); they are "
            "taken for CRM touchpoints of purchases in the history (give them an amount to "
            "count them).",
            DataQualityWarning,
            stacklevel=4,
        )
    return tx.loc[~none]


def _days(values: pd.Series, table: str, column: str) -> np.ndarray:
    t = pd.to_datetime(values, errors="coerce")
    bad = t.isna().to_numpy()
    if bad.any():
        fail(table, column, "dates missing or unreadable", "fix or drop those rows",
             values.index[bad])  # fmt: skip
    return t.to_numpy("datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _check_amounts(tx, amount_col, table):
    if amount_col not in tx.columns:
        return None
    a = pd.to_numeric(tx[amount_col], errors="coerce").to_numpy(float)
    neg = a < 0
    if neg.any():
        fail(table, amount_col, "negative purchase amounts (returns?)",
             "net returns against their purchase or drop those rows", tx.index[neg])  # fmt: skip
    if np.isinf(a).any():
        fail(table, amount_col, "infinite amounts", "fix those rows", tx.index[np.isinf(a)])
    return a


def _check_window(day, cal, end, table, time_col):
    late = day > end
    if late.any():
        fail(table, time_col, f"purchases after the observation end {_iso(end)}",
             "set observation_end later", np.unique(day[late]).astype("datetime64[D]"))  # fmt: skip
    if cal > end:
        fail("argument", "calibration_end",
             f"{_iso(cal)} is after the observation end {_iso(end)}: the holdout is outside the data",
             "pass a calibration_end inside the observation window")  # fmt: skip
    if cal < day.min():
        fail("argument", "calibration_end",
             f"{_iso(cal)} is before the first purchase ({_iso(day.min())}): no calibration data",
             "pass a later calibration_end")  # fmt: skip


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _to_day(value, default: int) -> int:
    if value is None:
        return default
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


def rfm_summary(
    data_or_transactions,
    *,
    unit: str = "weeks",
    calibration_end=None,
    observation_end=None,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str = "amount",
) -> RFMTable:
    """Frequency, recency, T and mean repeat value per customer, with an optional holdout.

    Parameters
    ----------
    data_or_transactions : CXData or DataFrame
        A CXData (its interactions of kind ``purchase``) or a transaction table with
        ``customer_col``, ``time_col`` and optionally ``amount_col`` (>= 0).
    unit : {"days", "weeks", "months", "years"}
        Time unit of recency and T (months are 365.25/12 days).
    calibration_end : date-like, optional
        End of the calibration period (inclusive); default the observation end (no holdout).
    observation_end : date-like, optional
        End of the data; default the data's ``observation_end``, else the last purchase.
    customer_col, time_col, amount_col : str
        Column names of a transaction table.

    Returns
    -------
    DataFrame
        One row per customer with a first purchase in the calibration period: ``customer_id``,
        ``frequency`` (repeat transactions), ``recency``, ``T``, ``monetary_value`` (mean repeat
        amount; NaN when frequency is 0 or no amounts), ``n_transactions``, and, with a holdout,
        ``frequency_holdout``, ``monetary_value_holdout`` and ``duration_holdout``. An
        :class:`RFMTable`: its attributes ``unit``, ``calibration_end`` and ``observation_end``
        carry the time frame. When some purchases of a CXData have an ``amount``, the ones
        without are left out (CRM touchpoints of purchases in the history) with a warning.

    Notes
    -----
    ``x`` = (number of distinct purchase days in calibration) - 1, ``t_x`` = (last - first day) / u,
    ``T`` = (calibration end - first day) / u with u the days per unit.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
    """
    u = UNITS[check_option("unit", unit, list(UNITS))]
    c, d, amt, ids, table, data_end = daily_transactions(
        data_or_transactions, customer_col, time_col, amount_col
    )
    end = _to_day(observation_end if observation_end is not None else data_end, int(d.max()))
    cal = _to_day(calibration_end, end)
    _check_window(d, cal, end, table, time_col)
    return _summarise(c, d, amt, ids, cal, end, u, unit, table)


def daily_transactions(
    source, customer_col="customer_id", time_col="timestamp", amount_col="amount"
):
    """One transaction per customer and day: (customer codes, day numbers, amounts or None,
    customer ids, table name, the data's observation end or None), validated."""
    tx, table, data_end = _transactions(source, customer_col, time_col, amount_col)
    require_columns(tx, [customer_col, time_col], table)
    day = _days(tx[time_col], table, time_col)
    amount = _check_amounts(tx, amount_col, table)
    if data_end is not None:
        late = day > _to_day(data_end, 0)
        if late.any():
            fail(table, time_col, f"purchases after the observation end {_iso(_to_day(data_end, 0))}",
                 "drop those rows or correct the observation end", tx.index[late])  # fmt: skip
    cust_codes, cust_ids = pd.factorize(tx[customer_col].to_numpy(), sort=False)
    key = cust_codes.astype(np.int64) * (1 << 32) + (day - day.min())
    ukey, inv = np.unique(key, return_inverse=True)
    c = (ukey >> 32).astype(np.int64)
    d = (ukey & ((1 << 32) - 1)) + day.min()
    amt = np.bincount(inv, weights=amount, minlength=ukey.size) if amount is not None else None
    return c, d, amt, np.asarray(cust_ids), table, data_end


def _summarise(c, d, amt, ids, cal, end, u, unit, table) -> pd.DataFrame:
    n = ids.size
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, c, d)
    in_cal = d <= cal
    no_cal = first > cal
    if no_cal.any():
        warnings.warn(
            f"{table}: {int(no_cal.sum())} customer(s) made their first purchase after the "
            f"calibration end {_iso(cal)} and are left out of the summary "
            f"(e.g. {', '.join(map(str, ids[no_cal][:5]))}).",
            DataQualityWarning,
            stacklevel=3,
        )
    n_cal = np.bincount(c[in_cal], minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, c[in_cal], d[in_cal])
    repeat = in_cal & (d > first[c])
    out = {
        "customer_id": ids,
        "frequency": (n_cal - 1).astype(float),
        "recency": (last - first) / u,
        "T": (cal - first) / u,
        "monetary_value": np.full(n, np.nan),
        "n_transactions": n_cal,
    }
    if amt is not None:
        s = np.bincount(c[repeat], weights=amt[repeat], minlength=n)
        k = np.bincount(c[repeat], minlength=n)
        out["monetary_value"] = np.divide(s, k, out=np.full(n, np.nan), where=k > 0)
    if cal < end:
        hold = d > cal
        k = np.bincount(c[hold], minlength=n)
        out["frequency_holdout"] = k.astype(float)
        s = np.bincount(c[hold], weights=amt[hold], minlength=n) if amt is not None else None
        out["monetary_value_holdout"] = (
            np.divide(s, k, out=np.full(n, np.nan), where=k > 0) if s is not None else np.nan
        )
        out["duration_holdout"] = (end - cal) / u
    df = pd.DataFrame(out).loc[~no_cal].reset_index(drop=True)
    return rfm_frame(df, unit=unit, calibration_end=_iso(cal), observation_end=_iso(end))


def check_rfm(rfm, table: str = "rfm", monetary: bool = False) -> pd.DataFrame:
    """Fail unless ``rfm`` has valid frequency, recency and T (and monetary value when asked)."""
    require_columns(rfm, list(RFM_COLUMNS) + (["monetary_value"] if monetary else []), table)
    x, tx, T = (rfm[k].to_numpy(dtype=float) for k in RFM_COLUMNS)
    checks = [
        ("frequency", ~np.isfinite(x) | (x < 0) | (x != np.round(x)),
         "must be a whole number >= 0"),
        ("recency", ~np.isfinite(tx) | (tx < 0) | (tx > T + 1e-9), "must lie in [0, T]"),
        ("T", ~np.isfinite(T) | (T < 0), "must be >= 0 (time since the first purchase)"),
        ("recency", (x == 0) & (tx != 0), "must be 0 for customers without repeat purchases"),
    ]  # fmt: skip
    for col, bad, msg in checks:
        if bad.any():
            fail(table, col, msg, "rebuild the table with cx.rfm_summary", rfm.index[bad])
    if monetary:
        m = rfm["monetary_value"].to_numpy(dtype=float)
        bad = (x > 0) & ~(np.isfinite(m) & (m > 0))
        if bad.any():
            fail(table, "monetary_value", "repeat buyers need a positive mean repeat amount",
                 "check the amounts of those customers", rfm.index[bad])  # fmt: skip
    return rfm


#: The columns of an RFM table a purchase profile describes, in this order.
PROFILE = ("frequency", "recency", "T", "monetary_value")


def purchase_profile(rfm: pd.DataFrame) -> pd.DataFrame:
    """Repeat purchases, recency, age as a customer and mean repeat value per customer.

    Returns
    -------
    DataFrame
        One row per measure (``frequency``, ``recency``, ``T``, ``monetary_value``):
        ``measure``, ``n`` (customers with a value), ``mean``, ``median``, ``q10`` and ``q90``
        (10th and 90th percentiles), ``max``.
    """
    rows = []
    for c in (c for c in PROFILE if c in rfm):
        v = pd.to_numeric(rfm[c], errors="coerce").dropna().to_numpy(dtype=float)
        q = np.quantile(v, [0.1, 0.5, 0.9]) if len(v) else np.full(3, np.nan)
        big = v.max() if len(v) else np.nan
        rows.append((c, len(v), v.mean() if len(v) else np.nan, q[1], q[0], q[2], big))
    return pd.DataFrame(rows, columns=["measure", "n", "mean", "median", "q10", "q90", "max"])
