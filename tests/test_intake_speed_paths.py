"""The fast paths of intake give what the plain Arrow computations give (issue 32).

Customer ids are matched as numbers when every id is one prefix and fixed-width digits, a text
column skips its trim when every value begins and ends with a printable ASCII character, and a
label column its respelling when every value is plain ASCII; each is compared here with the
plain computation on the shapes that must fall back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxmodels.data.joins import positions
from cxmodels.data.messages import opening
from cxmodels.data.rules import repeated
from cxmodels.data.text import (
    TEXT,
    all_ascii,
    distinct,
    empty_share,
    normalize_label,
    plain_labels,
    plainly_trimmed,
)
from cxmodels.data.vocabulary import VOCABULARY, in_vocabulary_order


def _expected(ids, known) -> np.ndarray:
    ids = ids if isinstance(ids, pa.ChunkedArray) else pa.chunked_array([ids])
    found = pc.index_in(ids, value_set=known.combine_chunks(), skip_nulls=True)
    return np.asarray(found.fill_null(-1).to_numpy(), dtype=np.int64)


def _ids(numbers, prefix="C", width=7):
    return [None if n is None else f"{prefix}{n:0{width}d}" for n in numbers]


RNG = np.random.default_rng(3)
KNOWN = _ids(RNG.permutation(np.arange(1, 2001)))
ASKED = _ids(RNG.integers(-5, 2100, 5000).clip(0))  # unknown ones beyond 2000 and 0

CASES = {
    "numbered, shuffled": (ASKED, KNOWN),
    "numbered, sorted": (ASKED, sorted(KNOWN)),
    "missing ids": (ASKED[:50] + [None] * 5 + ASKED[50:100], KNOWN),
    "missing known": (ASKED, KNOWN[:10] + [None] + KNOWN[10:]),
    "duplicated known": (ASKED, KNOWN + KNOWN[:100] + ["C0000005"]),
    "sparse numbers": (_ids([1, 10**12, 5, 7]), _ids([10**12, 7, 3 * 10**11])),
    "other width": (_ids([1, 2, 3], width=6) + _ids([2]), _ids([1, 2, 3])),
    "other prefix": (_ids([1, 2], prefix="c") + _ids([2]), _ids([1, 2, 3])),
    "letters among digits": (["C00000x1", "C0000001"], _ids([1, 2])),
    "no digits": (["a", "b", "c"], ["c", "a"]),
    "digits only": (["0001", "002", "0002"], ["0002", "0001"]),
    "persian": (["م۱", "C0000001"], ["C0000001", "م۱"]),
    "empty known": (["C0000001"], []),
    "empty ids": ([], _ids([1])),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_positions_are_index_in(case, kind):
    ids, known = CASES[case]
    known = pa.chunked_array([pa.array(known, type=kind)])
    whole = pa.array(ids, type=kind)
    expected = _expected(whole, known)
    assert np.array_equal(positions(whole, known), expected)
    cut = max(len(ids) // 3, 1)  # several chunks, one of them a slice
    chunked = pa.chunked_array([whole[:cut], whole[cut:]], type=kind)
    assert np.array_equal(positions(chunked, known), expected)


@pytest.mark.parametrize(
    "values",
    [
        ["a", "b c", None],
        [" a"],
        ["a "],
        ["a\t"],
        ["", "a"],
        ["x", "\u00a0y"],
        ["سلام", "a"],
        ["a\u3000"],
        [None, None],
    ],
)
def test_plainly_trimmed_only_when_trimming_changes_nothing(values):
    arr = pa.chunked_array([pa.array(values, type=pa.large_string())])
    trimmed = pc.utf8_trim_whitespace(arr)
    unchanged = pc.all(pc.equal(arr, trimmed)).as_py() in (True, None)
    blank = pc.any(pc.equal(trimmed, "")).as_py()
    if plainly_trimmed(arr):
        assert unchanged and not blank
    assert plainly_trimmed(arr) == (
        all(v is None or v.strip() == v != "" for v in values)
        and all(v is None or v.isascii() for v in values)
    )


LABELS = [
    (["premium", "mass market", None], True),
    (["mass  market"], False),
    (["mass\tmarket"], False),
    (["mass\x1fmarket"], False),  # a separator Python counts as whitespace
    (["north", ""], False),
    (["north "], False),
    (["\u0634\u0645\u0627\u0644"], False),  # Persian: looked at value by value
    (["a\u200fb"], False),  # a direction mark inside
    ([None], True),
]


@pytest.mark.parametrize(("values", "plain"), LABELS)
def test_plain_labels_only_when_normalising_changes_nothing(values, plain):
    arr = pa.chunked_array([pa.array(values, type=pa.large_string())])
    assert plain_labels(arr) is plain
    if plain:
        assert all(v is None or (normalize_label(v) or None) == v for v in values)
    else:
        assert any(v is not None and (normalize_label(v) or None) != v for v in values) or any(
            v is not None and not v.isascii() for v in values
        )


@pytest.mark.parametrize(
    "values",
    [["abcdefghij", "x", None], ["abcdefgh\u00e9"], ["x", "\u06f1"], [], [None], ["a" * 17]],
)
def test_all_ascii_is_arrows_ascii_check(values):
    arr = pa.array(values, type=pa.string())
    expected = pc.all(pc.string_is_ascii(arr)).as_py() in (True, None)
    assert all_ascii(arr) is expected
    assert all_ascii(arr[1:]) is (pc.all(pc.string_is_ascii(arr[1:])).as_py() in (True, None))


def test_validate_shares_no_column_with_the_callers_tables(world):
    """Typed tables are built from the raw columns without copies; ``cx.validate`` copies
    what it returns, so writing into its result never writes into the caller's tables (a
    column typing leaves alone, an unknown one, included)."""
    import cxmodels as cx

    resp = world.responses.assign(extra_score=np.arange(len(world.responses), dtype=float))
    src = cx.CXData(customers=world.customers, responses=resp, interactions=world.interactions)
    before = resp.copy()
    out = cx.validate(src, raise_errors=False)
    for col in ("nps", "overall_sat", "survey_date", "extra_score"):
        out.responses.iloc[0, out.responses.columns.get_loc(col)] = out.responses[col].iloc[1]
    assert resp.equals(before)


@pytest.mark.parametrize("n", [1, 50, (1 << 22) + 7, 10**12])
def test_repeated_codes_are_pandas_duplicated(n):
    """Repeated codes, counted in blocks (one or several) or sorted, are pandas' duplicates."""
    rng = np.random.default_rng(n % 1000)
    size = 20_000
    codes = np.where(
        rng.random(size) < 0.5, rng.integers(-1, min(n, 3000), size), rng.integers(0, n, size)
    )
    codes[:3] = [-1, -1, min(n, 3000) - 1]
    expected = (codes >= 0) & pd.Series(codes).duplicated(keep=False).to_numpy()
    assert np.array_equal(repeated(codes, n), expected)


def test_survey_twice_is_pandas_duplicated_with_unknown_and_missing_ids(world):
    """A customer answering a wave twice: ids coded by their customer (unknown ids after the
    known ones, missing ids and waves never repeated) give pandas' duplicated rows."""
    import cxmodels as cx

    resp = world.responses.copy()
    resp["customer_id"] = resp["customer_id"].astype(object)
    resp.loc[[0, 1], "customer_id"] = "ZZ9"  # unknown, twice in one wave
    resp.loc[1, "wave"] = resp.loc[0, "wave"]
    resp.loc[[2, 3], "customer_id"] = None  # missing, same wave: not a repeat
    resp.loc[3, "wave"] = resp.loc[2, "wave"]
    resp.loc[4, "wave"] = None
    resp.loc[5] = resp.loc[6]  # a known customer twice
    src = cx.CXData(customers=world.customers, responses=resp, interactions=world.interactions)
    out = cx.validate(src, raise_errors=False)
    report, typed = out.report, out.responses
    pair = ["customer_id", "wave"]
    expected = typed.duplicated(pair, keep=False) & typed[pair].notna().all(axis=1)
    found = [p for p in report.problems if p.message.startswith(opening("survey_twice"))]
    assert expected.sum() >= 4 and len(found) == 1
    assert str(int(expected.sum())) in found[0].message


@pytest.mark.parametrize("values", [["a", None, "b", "a"], [None, None], [], ["x"]])
def test_distinct_and_empty_share_of_text_are_pandas(values):
    s = pd.Series(values, dtype=object).astype(TEXT)
    assert distinct(s) == list(pd.unique(s.dropna()))
    assert empty_share(s) == (s.isna().mean() if len(s) else 0.0)


@pytest.mark.parametrize(
    "values",
    [
        ["zz", "sms", None, "phone", "aa", "sms"],  # unknown values after the known ones
        ["email", None],
        ["phone", "email", "sms", "chat", "social", "web", "store"],  # already in order
    ],
)
@pytest.mark.parametrize("codes", ["int8", "int32"])
@pytest.mark.parametrize("ordered", [False, True])
def test_vocabulary_order_is_pandas_set_categories(values, codes, ordered):
    """Recoding to the contract's order by one Arrow take gives pandas' ``set_categories``
    (ordered categories stay ordered)."""
    known = list(VOCABULARY["channel"])
    cats = sorted({v for v in values if v is not None}, reverse=True)
    at = np.array([-1 if v is None else cats.index(v) for v in values], dtype=codes)
    s = pd.Series(pd.Categorical.from_codes(at, categories=cats, ordered=ordered))
    expected = s.cat.set_categories(known + [c for c in cats if c not in known])
    assert in_vocabulary_order(s, "channel").equals(expected)
    assert in_vocabulary_order(s, "channel").dtype == expected.dtype
