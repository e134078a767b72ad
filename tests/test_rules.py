"""The rule registry (``cxmodels.data.rules``) on both engines, generated from the registry.

Every rule of :data:`~cxmodels.data.rules.RULES` and :data:`~cxmodels.data.rules.COUNT_RULES`
has a fault below; the faults are written into two CSV folders of a small world (one load per
engine each), and both engines must give the same problems (severity, table, column, message,
fix, count, examples), with every rule's own message among them. Then the data protocol:
``select`` and ``subset`` on every table, with and without the optional columns, give the same
frames and dtypes from both engines.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels._validation import Report
from cxmodels.data import rules
from cxmodels.data.contract import CONTRACT, default_codebook
from cxmodels.i18n import t
from tests.test_intake import _found as _problems  # every problem a load reports, refused or not

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def world():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cx.generate(150, seed=5, purchases=True, exit_causes=True, comments="en", n_branches=25)
        return cx.validate(w)


def _end(world, days: int) -> str:
    return str((world.observation_end + pd.Timedelta(days=days)).date())


def _at(col: str, row: int, value):
    return lambda d: d.assign(**{col: d[col].where(d.index != row, value)})


def _again(row: int, **changes):
    return lambda d: pd.concat([d, d.iloc[[row]].assign(**changes)], ignore_index=True)


def _numbered(col: str):
    return lambda d: d.assign(**{col: [str(i + 1) for i in range(len(d))]})


def _typical_amounts_times_ten(d: pd.DataFrame) -> pd.DataFrame:
    """Three typical purchases (the amount nearest its customer's median, in the first three
    customers with at least three amounts) written ten times larger (rials among tomans)."""
    amount = pd.to_numeric(d["amount"], errors="coerce")
    by = amount.groupby(d["customer_id"])
    many = by.transform("count") >= 3
    gap = (amount - by.transform("median")).abs().where(many & amount.notna())
    rows = gap.groupby(d["customer_id"]).idxmin().dropna().astype(int).sort_index()[:3]
    out = amount.copy()
    out[rows.to_numpy()] *= 10
    return d.assign(amount=out.map(lambda v: "" if pd.isna(v) else repr(float(v))))


def _nps_from_one(d: pd.DataFrame) -> pd.DataFrame:
    """No answer of 0 and many of 1 (answers up to 4 written 1), as a 1-10 question gives."""
    low = pd.to_numeric(d["nps"], errors="coerce") <= 4
    return d.assign(nps=d["nps"].where(~low, "1"))


def _first_where(col: str, fn, value):
    """``value`` into the first row whose ``col`` is filled."""

    def edit(d):
        row = d.index[d[col] != ""][0]
        return fn(col, row, value)(d)

    return edit


#: (rule name, table) -> (folder, edits of that table's CSV). Folder "b" holds the faults that
#: would hide another rule's fault on the same column in folder "a".
FAULTS = {
    ("empty_keys", "customers"): ("a", _at("customer_id", 3, "")),
    ("duplicate_keys", "customers"): ("a", _again(7)),
    ("before_1900", "customers"): ("a", _at("signup_date", 11, "1850-01-05")),
    ("after_end", "customers"): ("a", None),  # churn_date: set in _faults (needs the end)
    ("churn_before_signup", "customers"): ("a", _at("churn_date", 15, "2000-01-01")),
    ("empty_keys", "responses"): ("a", _at("response_id", 2, "")),
    ("empty_ids", "responses"): ("a", _at("customer_id", 4, "")),
    ("duplicate_keys", "responses"): ("a", _again(20)),
    ("unknown_customers", "responses"): ("a", _at("customer_id", 5, "C9999999")),
    ("before_signup", "responses"): ("a", _at("survey_date", 40, "2020-01-01")),
    ("before_1900", "responses"): ("a", _at("survey_date", 8, "1850-03-01")),
    ("after_end", "responses"): ("a", None),
    ("outside_scale", "responses"): ("a", _at("csat", 10, "9")),
    ("row_number", "responses"): ("b", _numbered("attr_row")),
    ("survey_twice", "responses"): ("a", _again(12, response_id="R_again")),
    ("nps_from_one", "responses"): ("a", _nps_from_one),
    ("empty_keys", "interactions"): ("a", _at("interaction_id", 2, "")),
    ("empty_ids", "interactions"): ("a", _at("customer_id", 4, "")),
    ("duplicate_keys", "interactions"): ("a", _again(7)),
    ("unknown_customers", "interactions"): ("a", _at("customer_id", 5, "C9999999")),
    ("before_signup", "interactions"): ("a", _at("timestamp", 6, "2020-01-01 10:00:00")),
    ("before_1900", "interactions"): ("a", _at("timestamp", 8, "1850-01-01 10:00:00")),
    ("after_end", "interactions"): ("a", None),
    ("outside_scale", "interactions"): ("a", _at("sentiment", 10, "3")),
    ("row_number", "interactions"): ("b", _numbered("sentiment")),
    ("unknown_values", "interactions"): ("a", _at("kind", 11, "refund")),
    ("negative_minutes", "interactions"): ("a", _first_where("response_minutes", _at, "-5")),
    ("negative_amount", "interactions"): ("a", _first_where("amount", _at, "-12.5")),
    ("other_currency", "interactions"): ("a", _typical_amounts_times_ten),
    ("empty_ids", "kano_answers"): ("a", _at("respondent_id", 2, "")),
    ("outside_scale", "kano_answers"): ("a", _at("functional", 5, "7")),
    ("row_number", "kano_answers"): ("b", _numbered("importance")),
    ("kano_whole", "kano_answers"): ("a", _at("dysfunctional", 6, "2.5")),
    ("kano_twice", "kano_answers"): ("a", _again(9)),
    ("kano_swapped", "kano_answers"): (
        "b",
        lambda d: d.rename(columns={"functional": "dysfunctional", "dysfunctional": "functional"}),
    ),
    ("duplicate_keys", "branches"): ("a", _again(3)),
    ("outside_scale", "branches"): ("a", _at("employee_sat", 4, "11")),
    ("row_number", "branches"): ("b", _numbered("employee_sat")),
}
COUNT_NAMES = {rules.nps_floor: "nps_from_one", rules.kano_swapped: "kano_swapped"}


def _registry() -> set:
    """(message, table) of every rule that can apply to some data."""
    full = {name: {c.name for c in spec.columns} | {"attr_x"} for name, spec in CONTRACT.items()}
    ctx = rules.Context(default_codebook(("attr_x",)), pd.Timestamp("2025-12-31"), full)
    used = [r for r in rules.RULES if r.targets(ctx)]
    out = {(r.name, r.table) for r in used} | {(r.alias.name, r.table) for r in used if r.alias}
    return out | {(COUNT_NAMES[c.verdict], c.table) for c in rules.COUNT_RULES}


def test_every_rule_has_a_fault():
    assert set(FAULTS) == _registry()


def _folder(world, tmp: Path, which: str) -> Path:
    folder = cx.save(world, tmp / which, fmt="csv")
    (folder / "codebook.json").unlink()  # the contract's scales (attr_row gets 1-10)
    late = {"customers": "churn_date", "responses": "survey_date", "interactions": "timestamp"}
    edits: dict = {}
    for (_, table), (where, fn) in FAULTS.items():
        if where != which:
            continue
        if fn is None:
            fn = _at(late[table], 13, _end(world, 40))
        edits.setdefault(table, []).append(fn)
    for table, fns in edits.items():
        p = folder / f"{table}.csv"
        d = pd.read_csv(p, dtype=str, keep_default_na=False)
        for fn in fns:
            d = fn(d)
        d.to_csv(p, index=False)
    return folder


def _key(p):
    return (p.severity, p.table, p.column, p.message, p.fix, p.count, tuple(sorted(p.examples)))


def _said(problems, name: str, table: str) -> bool:
    start, fix = t(f"intake.{name}").split("{")[0], t(f"intake.{name}.fix").split("{")[0]
    return any(
        p.table == table and p.message.startswith(start) and p.fix.startswith(fix) for p in problems
    )


@pytest.mark.parametrize("which", ["a", "b"])
def test_every_rule_gives_the_same_verdict_in_both_engines(world, tmp_path, which):
    folder = _folder(world, tmp_path, which)
    pandas_, duck = _problems(folder, "pandas"), _problems(folder, "duckdb")
    assert sorted(map(_key, duck), key=str) == sorted(map(_key, pandas_), key=str)
    for name, table in [k for k, (w, _) in FAULTS.items() if w == which]:
        assert _said(pandas_, name, table), (name, table)


# ------------------------------------------------------------------ the two new warnings
def test_a_customer_answering_a_wave_twice_is_a_warning_with_its_rows():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = cx.validate(cx.generate(300, seed=4))
    (p,) = [p for p in data.problems if p.column == "customer_id, wave"]
    assert p.severity == "warning" and p.count == 4 and "(4 answers)" in p.message
    twice = data.responses.duplicated(["customer_id", "wave"], keep=False)
    assert set(p.examples) == set(data.responses.loc[twice, "response_id"])


def _currency_flags(world) -> int:
    inter = world.interactions
    ctx = rules.Context({}, None, {"interactions": set(inter.columns)})
    return int(np.asarray(rules._other_currency(inter, "amount", ctx)).sum())


@pytest.mark.parametrize("seed", [7, 8, 10, 12, 13, 14])
def test_amounts_in_one_currency_are_not_flagged(seed):
    """The gallery's export worlds (``tests/test_gallery.py``: their seeds and settings)."""
    start = {12: "2025-01-01"}.get(seed, "2023-01-01")
    w = cx.generate(400, seed=seed, n_branches=2, purchases=True, start=start, exit_causes=True)
    assert _currency_flags(w) == 0


def test_three_amounts_in_rials_among_tomans_are_flagged(world):
    inter = world.interactions.assign(amount=world.interactions["amount"].map(str))
    edited = _typical_amounts_times_ten(inter.assign(amount=inter["amount"].replace("nan", "")))
    ctx = rules.Context({}, None, {"interactions": set(inter.columns)})
    typed = edited.assign(amount=pd.to_numeric(edited["amount"], errors="coerce"))
    hit = np.asarray(rules._other_currency(typed, "amount", ctx))
    changed = typed["amount"].to_numpy() != world.interactions["amount"].to_numpy()
    changed &= world.interactions["amount"].notna().to_numpy()
    assert changed.sum() == 3 and (hit == changed).all()


# ------------------------------------------------------------------ the data protocol
def _dtypes(data) -> dict:
    return {name: df.dtypes.astype(str).to_dict() for name, df in data.tables.items()}


OPTIONAL = {  # the optional columns a user's export may leave out
    "customers": ["churn_date", "segment", "branch_id", "email", "phone", "exit_cause"],
    "responses": ["wave", "csat", "comment_liked", "comment_disliked"],
    "interactions": ["channel", "amount", "resolved", "response_minutes", "topic"],
    "kano_answers": ["importance", "segment"],
    "branches": ["employee_sat"],
}


@pytest.fixture(scope="module", params=["csv", "parquet", "csv, required columns only"])
def both(request, world, tmp_path_factory):
    fmt = request.param.split(",")[0]
    folder = cx.save(world, tmp_path_factory.mktemp("protocol") / "data", fmt=fmt)
    if request.param.endswith("only"):
        for table, cols in OPTIONAL.items():
            p = folder / f"{table}.csv"
            pd.read_csv(p, dtype=str, keep_default_na=False).drop(columns=cols).to_csv(
                p, index=False
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(folder), cx.load(folder, engine="duckdb")


def test_every_contract_column_has_one_dtype_in_both_engines(both, world):
    pandas_, duck = both
    assert _dtypes(duck) == _dtypes(pandas_)
    assert duck.attributes == pandas_.attributes
    assert {**duck.snapshot(), "source": ""} == {**pandas_.snapshot(), "source": ""}
    for name, df in pandas_.tables.items():
        pd.testing.assert_frame_equal(duck.table(name), df, check_categorical=False)


def test_select_on_every_table_reads_the_same_in_both_engines(both):
    pandas_, duck = both
    for name, df in pandas_.tables.items():
        cols = list(df.columns[::-1][:3])  # a few columns, in the order asked for
        a, b = pandas_.select(**{name: cols}), duck.select(**{name: cols})
        pd.testing.assert_frame_equal(b.table(name), a.tables[name], check_categorical=False)
        assert list(b.table(name).columns) == cols
        for data in (pandas_, duck):
            with pytest.raises(cx.InputError, match="no_such_column"):
                data.select(**{name: ["no_such_column"]})


def test_subset_on_every_table_reads_the_same_in_both_engines(both):
    pandas_, duck = both
    cust = pandas_.customers
    asks = []
    if "wave" in pandas_.responses:
        asks = [{"waves": sorted(pandas_.responses["wave"].dropna().unique())[-2:]}]
    asks += [{"segment": cust["segment"].dropna().iloc[0]}] if "segment" in cust else []
    asks += [{"branch": cust["branch_id"].dropna().iloc[0]}] if "branch_id" in cust else []
    assert asks or "segment" not in cust
    for ask in asks:
        a, b = pandas_.subset(**ask), duck.subset(**ask)
        assert set(a.tables) == set(b.tables), ask
        assert [b.count(n) for n in b.tables] == [a.count(n) for n in a.tables], ask
        for name, df in a.tables.items():
            got = b.table(name).reset_index(drop=True)
            want = df.reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want, check_categorical=False, obj=f"{ask} {name}")


@pytest.mark.parametrize(
    "counts, severity",
    [
        ({1: 10, 2: 8, 3: 20}, "error"),  # 1s piled on the lowest point offered
        ({1: 10, 2: 10}, "error"),
        ({1: 9, 2: 8}, None),  # too few to tell
        ({1: 30, 2: 60}, "warning"),  # a thinning tail: up to 30 * 30 / 60 = 15 zeros expected
        ({1: 19, 2: 34, 3: 120}, "warning"),  # the synthetic world at 4,000 customers, seed 70
        ({1: 15, 2: 52, 3: 162}, None),  # seed 114: up to 4 zeros expected
        ({0: 1, 1: 400, 2: 50}, None),  # one answer of 0 is enough
    ],
)
def test_nps_on_one_to_ten_is_refused_on_a_floor_and_warned_on_a_thin_tail(counts, severity):
    """No 0 where the 1s pile up on the lowest point is refused; no 0 beside a thinning tail
    that could have held ten is a warning (a 0-10 tail and a 1-10 tail cannot be told apart)."""
    report = Report()
    rules.nps_floor(counts, rules.Context(default_codebook(), None, {}), report)
    assert [p.severity for p in report.problems] == ([severity] if severity else [])


@pytest.mark.parametrize("seed", [70, 114])
def test_small_synthetic_worlds_are_not_refused_for_their_thin_nps_tail(seed):
    """Worlds the old rule refused (no 0 beside 15 or 19 answers of 1) validate."""
    world = cx.generate(4000, seed=seed, purchases=True)
    assert (world.responses["nps"] == 0).sum() == 0 and (world.responses["nps"] == 1).sum() >= 15
    assert not cx.validate(world, raise_errors=False).report.errors
