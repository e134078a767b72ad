"""One way to join customer columns onto responses, events or any table keyed by customer.

:func:`with_customer_columns` is the join every module uses (metrics by segment, follow-up
units, survival rows): a left join on ``customer_id`` that keeps the left table's rows and
order, adds only the customer columns the left table lacks, and never duplicates rows (the
customer table has one row per customer).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._validation import fail, require_columns
from .dataset import is_dataset
from .text import string_parts

KEY = "customer_id"
MAX_DIGITS = 18  # an int64 holds every number of 18 digits


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


def positions(ids, known) -> np.ndarray:
    """Each id's position in ``known`` (its first occurrence); -1 where unknown or missing.

    Parameters
    ----------
    ids, known : pyarrow string Array or ChunkedArray
        The ids to look up (``interactions.customer_id``) and the ids they refer to
        (``customers.customer_id``).

    Returns
    -------
    ndarray of int64
        One position per id, as ``pyarrow.compute.index_in`` gives them.

    Notes
    -----
    Exports number their ids: one prefix and a fixed count of digits (``C0000001``). When
    every id of both sides has one such shape the ids are compared as those numbers, read
    straight from the strings' bytes, through a table indexed by number; any other ids go
    through Arrow's hash lookup. Both give the same positions.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ids, known = _chunked(ids), pa.chunked_array([_chunked(known).combine_chunks()])
    known_at = None  # the positions of the known ids that are not missing
    if known.null_count:
        known_at = np.flatnonzero(known.is_valid().to_numpy(zero_copy_only=False))
        known = known.drop_null()
    valid = None
    if ids.null_count:
        valid = ids.is_valid().to_numpy(zero_copy_only=False)
        ids = ids.drop_null()
    shape = _id_shape(known.chunks[0]) if known.num_chunks else None
    kn = _id_numbers(known, shape) if shape else None
    q = _id_numbers(ids, shape) if kn is not None else None
    if q is None:
        found = pc.index_in(ids, value_set=known.combine_chunks(), skip_nulls=True)
        found = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        found = _number_positions(q, kn)
    if known_at is not None and len(known_at):
        found = np.where(found >= 0, known_at[np.maximum(found, 0)], -1)
    if valid is None:
        return found
    out = np.full(len(valid), -1, dtype=np.int64)
    out[valid] = found
    return out


def _chunked(arr):
    import pyarrow as pa

    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _id_shape(chunk) -> tuple[bytes, int] | None:
    """The prefix and width of the first id (``(b"C", 8)`` for ``C0000001``), if numbered."""
    if len(chunk) == 0:
        return None
    offsets, data = string_parts(chunk)
    first = bytes(data[offsets[0] : offsets[1]])
    prefix = first.rstrip(b"0123456789")
    digits = len(first) - len(prefix)
    if digits == 0 or digits > MAX_DIGITS:
        return None
    return prefix, len(first)


def _id_numbers(arr, shape: tuple[bytes, int]) -> np.ndarray | None:
    """The numbers of ids all of ``shape`` (prefix, width), or None when one is not."""
    prefix, width = shape
    parts = []
    for chunk in arr.chunks:
        if len(chunk) == 0:
            continue
        offsets, data = string_parts(chunk)
        if not (np.diff(offsets) == width).all():
            return None
        block = data[offsets[0] : offsets[-1]].reshape(-1, width)
        k = len(prefix)
        if k and not (block[:, :k] == np.frombuffer(prefix, dtype=np.uint8)).all():
            return None
        digits = block[:, k:] - np.uint8(48)  # bytes below '0' wrap round to above 9
        if (digits > 9).any():
            return None
        number = np.zeros(len(block), dtype=np.int64)
        for j in range(digits.shape[1]):
            number *= 10
            number += digits[:, j]
        parts.append(number)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _number_positions(q: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Each of ``q``'s position in ``known`` (first occurrence), -1 if absent."""
    if len(known) == 0:
        return np.full(len(q), -1, dtype=np.int64)
    lo, hi = int(known.min()), int(known.max())
    span = hi - lo + 1
    if span > 4 * len(known) + 1024:  # sparse numbers: a hash lookup of the integers
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(pa.array(q), value_set=pa.array(known)).fill_null(-1)
        return np.asarray(found.to_numpy(), dtype=np.int64)
    table = np.full(span + 1, -1, dtype=np.int64)  # the last slot: numbers out of range
    if len(known) > 1 and (known[1:] > known[:-1]).all():
        table[known - lo] = np.arange(len(known))
    else:
        values, first = np.unique(known, return_index=True)
        table[values - lo] = first
    q -= lo  # in place: q is this function's own
    q[(q < 0) | (q >= span)] = span
    return table[q]
