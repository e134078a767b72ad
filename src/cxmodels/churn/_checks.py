"""Checks of survival data shared by the churn functions (one message format, before any work)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import fail, fail_rows, require_columns


def _keys(df: pd.DataFrame, by_id: bool = True):
    """The keys of the rows a mask marks, for messages: customer ids, else ``"row i"``."""

    def keys(bad: np.ndarray):
        if by_id and "customer_id" in df:
            return df["customer_id"].to_numpy()[bad]
        return [f"row {i}" for i in np.flatnonzero(bad)]

    return keys


def check_events(df: pd.DataFrame, event_col: str, table: str) -> np.ndarray:
    """The 0/1 event indicator as an int array; refuses other codes and data without events."""
    vals = df[event_col]
    ok = vals.isin([0, 1, True, False]).to_numpy()
    fail_rows(
        ~ok,
        table,
        event_col,
        "event indicator is not 0/1",
        "code churn as 1 and still-active as 0",
        _keys(df),
    )
    e = vals.to_numpy().astype(int)
    if e.sum() == 0:
        fail(
            table,
            event_col,
            "no events (nobody churned)",
            "a churn model needs churners: widen the window",
        )
    return e


def check_survival(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    table: str = "survival table",
    *,
    positive: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Durations (float) and events (int) after checking them.

    Durations must be finite and >= 0 (Kaplan-Meier and Cox accept zero, as R ``survival`` and
    lifelines do); ``positive=True`` (AFT models, which work on log-time) refuses zero too, with
    the fix.
    """
    require_columns(df, [duration_col, event_col], table)
    d = pd.to_numeric(df[duration_col], errors="coerce").to_numpy(dtype=float)
    keys = _keys(df)
    fail_rows(
        ~np.isfinite(d) | (d < 0),
        table,
        duration_col,
        "durations that are negative, infinite or missing",
        "durations must be finite and >= 0; fix or drop these rows",
        keys,
    )
    if positive:
        fail_rows(
            d == 0,
            table,
            duration_col,
            "zero durations: an AFT model works on log(time), which is -inf at 0",
            "drop these rows (same-day churners), shift every duration by a stated amount "
            "(e.g. half a day), or fit model='cox', which accepts them",
            keys,
        )
    return d, check_events(df, event_col, table)


def check_start_stop(
    df: pd.DataFrame, id_col: str, start_col: str, stop_col: str, event_col: str, table: str
) -> None:
    """Counting-process rows: start >= 0, stop > start, 0/1 events, at least one event."""
    require_columns(df, [id_col, start_col, stop_col, event_col], table)
    start = pd.to_numeric(df[start_col], errors="coerce").to_numpy(dtype=float)
    stop = pd.to_numeric(df[stop_col], errors="coerce").to_numpy(dtype=float)
    bad = ~(stop > start) | ~np.isfinite(stop) | ~(start >= 0)
    fail_rows(
        bad,
        table,
        stop_col,
        "intervals with stop <= start, a negative start or a missing bound",
        "drop or fix these intervals",
        _keys(df, by_id=False),
    )
    check_events(df, event_col, table)
