"""One way to join customer columns onto responses, events or any table keyed by customer.

:func:`with_customer_columns` is the join every module uses (metrics by segment, follow-up
units, survival rows): a left join on ``customer_id`` that keeps the left table's rows and
order, adds only the customer columns the left table lacks, and never duplicates rows (the
customer table has one row per customer). :func:`tenure_band` derives the customers' tenure
band (years from signup to churn or the observation end), a margin of the survey weights and a
cell of the synthetic world's non-response.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._validation import fail, require_columns
from .dataset import is_dataset

KEY = "customer_id"


def with_customer_columns(
    frame: pd.DataFrame,
    customers: pd.DataFrame,
    columns: Iterable[str] | None = None,
    *,
    table: str = "responses",
) -> pd.DataFrame:
    """``frame`` with customer columns added by ``customer_id`` (left join, rows kept in order).

    Parameters
    ----------
    frame : DataFrame
        Any table with a ``customer_id`` column.
    customers : DataFrame
        The customer table (one row per ``customer_id``).
    columns : list of str, optional
        Customer columns to add (default: every customer column ``frame`` lacks); columns
        ``frame`` already has are left as they are.
    table : str
        Name of ``frame`` for error messages.

    Returns
    -------
    DataFrame
        A new frame with the same index as ``frame`` and the added columns (missing where the
        customer is unknown).
    """
    require_columns(frame, [KEY], table)
    require_columns(customers, [KEY], "customers")
    cols = [c for c in (customers.columns if columns is None else columns) if c != KEY]
    missing = [c for c in cols if c not in customers.columns]
    if missing:
        require_columns(customers, missing, "customers")
    cols = [c for c in cols if c not in frame.columns]
    if not cols:
        return frame.copy()
    dup = customers[KEY].duplicated()
    if dup.any():
        fail(
            "customers",
            KEY,
            "duplicated customer ids",
            "keep one row per customer",
            customers.loc[dup, KEY],
        )
    idx = pd.Index(customers[KEY]).get_indexer(frame[KEY])
    add = customers[cols].iloc[idx.clip(min=0)].reset_index(drop=True)
    add = add.where(pd.Series(idx >= 0).to_numpy()[:, None]) if (idx < 0).any() else add
    add.index = frame.index
    return pd.concat([frame, add], axis=1)


def responses_with_customers(data) -> pd.DataFrame:
    """The responses table with the customer columns joined (segment, region, ...).

    ``data`` is a :class:`~cxmodels.data.CXData`; a plain DataFrame is returned as it is.
    """
    if is_dataset(data):
        return with_customer_columns(data.responses, data.customers)
    return data


#: Tenure bands (years from signup to the observation end or churn), left-closed.
TENURE_BANDS = (0, 1, 2, 3, np.inf)
TENURE_LABELS = ("<1y", "1-2y", "2-3y", "3y+")


def tenure_band(customers: pd.DataFrame, observation_end) -> pd.Series:
    """Years from ``signup_date`` to churn or ``observation_end``, in :data:`TENURE_BANDS`."""
    require_columns(customers, ["signup_date"], "customers")
    end = pd.Series(pd.Timestamp(observation_end), index=customers.index)
    if "churn_date" in customers:
        end = pd.to_datetime(customers["churn_date"]).fillna(end)
    years = (end - pd.to_datetime(customers["signup_date"])).dt.days / 365.25
    return pd.cut(years, TENURE_BANDS, right=False, labels=TENURE_LABELS).astype(object)
