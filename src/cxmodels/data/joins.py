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
import pyarrow as pa
import pyarrow.compute as pc

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
    require_columns(customers, cols, "customers")
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


def positions(ids, known) -> np.ndarray:
    """Each id's position in ``known`` (its first occurrence); -1 where unknown or missing.

    Parameters
    ----------
    ids, known : pyarrow string Array or ChunkedArray
        The ids to look up (``interactions.customer_id``) and the ids they refer to
        (``customers.customer_id``).

    Returns
    -------
    ndarray of int32
        One position per id, as ``pyarrow.compute.index_in`` gives them (int32 as there: half
        the memory of int64 at 12 M interactions).

    Notes
    -----
    Exports number their ids: one prefix and a fixed count of digits (``C0000001``). When
    every id of both sides has one such shape the ids are compared as those numbers, read
    straight from the strings' bytes chunk by chunk, through a table indexed by number; any
    other ids go through Arrow's hash lookup. Both give the same positions.
    """
    ids, known = _chunked(ids), pa.chunked_array([_chunked(known).combine_chunks()])
    known_at = None  # the positions of the known ids that are not missing
    if known.null_count:
        known_at = np.flatnonzero(known.is_valid().to_numpy(zero_copy_only=False))
        known = known.drop_null()
    shape = _id_shape(known.chunks[0]) if known.num_chunks else None
    numbers = _id_numbers(known.chunks[0], shape) if shape else None
    found = _numbered_positions(ids, shape, numbers) if numbers is not None else None
    if found is None:
        found = pc.index_in(ids, value_set=known.combine_chunks(), skip_nulls=True)
        found = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
    if known_at is not None and len(known_at):
        found = np.where(found >= 0, known_at[np.maximum(found, 0)], -1).astype(np.int32)
    return found


def _chunked(arr):
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


def _id_numbers(chunk, shape: tuple[bytes, int]) -> np.ndarray | None:
    """The numbers of the ids of one chunk, all of ``shape`` (prefix, width), else None."""
    prefix, width = shape
    offsets, data = string_parts(chunk)
    if len(chunk) == 0:
        return np.zeros(0, dtype=np.int64)
    if not (np.diff(offsets) == width).all():
        return None
    block = data[offsets[0] : offsets[-1]].reshape(-1, width)
    k = len(prefix)
    if width == 8:
        return _eight_digits(block.view("<u8").ravel(), prefix)
    if k and not (block[:, :k] == np.frombuffer(prefix, dtype=np.uint8)).all():
        return None
    digits = block[:, k:] - np.uint8(48)  # bytes below '0' wrap round to above 9
    if (digits > 9).any():
        return None
    number = np.zeros(len(block), dtype=np.int64)
    for j in range(digits.shape[1]):
        number *= 10
        number += digits[:, j]
    return number


def _eight_digits(words: np.ndarray, prefix: bytes) -> np.ndarray | None:
    """The numbers written in eight ASCII bytes each (read as little-endian words) after
    ``prefix``, or None when a word is not the prefix then digits: a few operations on whole
    words check and convert all eight bytes at once."""
    ones = np.uint64(0x0101010101010101)
    head = np.uint64((1 << (8 * len(prefix))) - 1)  # the prefix's bytes (the low ones)
    if len(prefix) and not (words & head == int.from_bytes(prefix, "little")).all():
        return None
    words = (words & ~head) | (np.uint64(0x30) * ones & head)  # the prefix read as '0's
    high, six = np.uint64(0xF0) * ones, np.uint64(0x06) * ones
    # every byte 0x30-0x39: its high half is 3, and adding 6 leaves it 3
    if not ((words & high == 0x30 * ones) & ((words + six) & high == 0x30 * ones)).all():
        return None
    words &= np.uint64(0x0F) * ones  # the digits' values
    words = (words * np.uint64(2561)) >> np.uint64(8)  # 10 * 2**8 + 1: pairs of digits
    words &= np.uint64(0x00FF00FF00FF00FF)
    words = (words * np.uint64(6553601)) >> np.uint64(16)  # 100 * 2**16 + 1: fours
    words &= np.uint64(0x0000FFFF0000FFFF)
    words = (words * np.uint64(42949672960001)) >> np.uint64(32)  # 10000 * 2**32 + 1
    return words.view(np.int64)


def _numbered_positions(ids, shape, known: np.ndarray) -> np.ndarray | None:
    """:func:`positions` of ids of ``shape`` among the ``known`` numbers (None when an id has
    another shape). Missing ids are -1."""
    look = _lookup(known)
    out = np.full(len(ids), -1, dtype=np.int32)
    at = 0
    for chunk in ids.chunks:
        valid = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else None
        kept = chunk.drop_null() if valid is not None else chunk
        number = _id_numbers(kept, shape)
        if number is None:
            return None
        where = out[at : at + len(chunk)]
        if valid is None:
            where[:] = look(number)
        else:
            where[valid] = look(number)
        at += len(chunk)
    return out


def _lookup(known: np.ndarray):
    """A function giving each number's position in ``known`` (first occurrence), -1 if absent."""
    if len(known) == 0:
        return lambda q: np.full(len(q), -1, dtype=np.int32)
    lo, hi = int(known.min()), int(known.max())
    span = hi - lo + 1
    if span > 4 * len(known) + 1024:  # sparse numbers: a hash lookup of the integers
        value_set = pa.array(known)
        return lambda q: np.asarray(
            pc.index_in(pa.array(q), value_set=value_set).fill_null(-1).to_numpy(), np.int32
        )
    table = np.full(span + 1, -1, dtype=np.int32)  # the last slot: numbers out of range
    if len(known) > 1 and (known[1:] > known[:-1]).all():
        table[known - lo] = np.arange(len(known))
    else:
        values, first = np.unique(known, return_index=True)
        table[values - lo] = first

    def look(q):
        q -= lo  # in place: q is the caller's scratch
        q[q.view(np.uint64) >= span] = span  # below lo wraps round to above span
        return table[q]

    return look
