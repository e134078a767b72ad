"""The CDNOW sample of Fader, Hardie and Lee (2005), read from the installed ``lifetimes`` wheel.

The files ship inside the lifetimes wheel on PyPI (MIT; a ``test`` extra of cxmodels). They are
read through ``importlib.metadata`` without importing lifetimes (whose ``datasets`` module
needs the removed ``pkg_resources``) and never copied into this repository. Tests skip when
lifetimes is not installed.

- ``CDNOW_sample.txt``: 6,919 purchases of 2,357 customers, 1997-01-01 to 1998-06-30 (columns:
  master id, sample id, date YYYYMMDD, number of CDs, dollar value).
- ``cdnow_customers_summary.csv``: x, t_x, T for the 39-week calibration period (FHL 2005).
- ``cdnow_customers_summary_with_transactions.csv``: the same with mean repeat value z-bar.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, files

import pandas as pd
import pytest

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def _path(name: str):
    try:
        found = [p for p in (files("lifetimes") or []) if str(p).endswith(f"datasets/{name}")]
    except PackageNotFoundError:
        found = []
    if not found:
        pytest.skip("lifetimes (test extra) is not installed: no CDNOW data")
    return found[0].locate()


def transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        _path("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
    )
    raw["timestamp"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return raw


def summary() -> pd.DataFrame:
    s = pd.read_csv(_path("cdnow_customers_summary.csv"))
    return s.rename(columns={"ID": "customer_id"})


def summary_with_value() -> pd.DataFrame:
    s = pd.read_csv(_path("cdnow_customers_summary_with_transactions.csv"))
    s.columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    return s
