"""The contract's rules, each declared once: its pandas form and its SQL form side by side.

A :class:`Rule` is a condition on the rows of one typed table (an empty id, a duplicated key, a
date before 1900, a customer id not in the customers table, a negative amount). The pandas
engine evaluates :attr:`Rule.rows` on the typed frame (:func:`cxmodels.data.consistency.run_rules`);
the DuckDB engine puts :attr:`Rule.sql` into its scan of the typed view ``t_<table>``
(:func:`cxmodels.data.duck.validate_sql`). Both report the rows with the message of
:attr:`Rule.name` (``intake.<name>`` in the catalogue, :mod:`.messages`), the same count, the
same examples and the same severity. A :class:`CountRule` counts the rows per value of some
columns in either engine and hands the counts to one verdict (NPS asked on 1-10, Kano columns
swapped). ``tests/test_rules.py`` runs a fault of every rule here on both engines.

Typing (values that are not numbers, dates or booleans) happens while each engine types its
columns (:func:`.checks.coerce`, :func:`.duck._type_column`), and the checks on distinct values
(observation end, waves, near-duplicate labels) share their Python in :mod:`.consistency`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from pandas.api.types import is_numeric_dtype

from .._format import fmt_count
from .._validation import Report, did_you_mean
from .contract import CONTRACT, column_kind
from .joins import positions
from .messages import message, opening, say
from .text import arrow_text, is_text
from .vocabulary import VOCABULARY

DATE_COLUMNS = {
    "customers": ("signup_date", "churn_date"),
    "responses": ("survey_date",),
    "interactions": ("timestamp",),
}
EARLIEST = pd.Timestamp("1900-01-01")  # before it, a date in CX data is a mistyped year


@dataclass
class Context:
    """What a rule reads besides its own row: the codebook, the observation end, the columns
    of every table and, in the pandas engine, the typed tables."""

    codebook: dict
    end: pd.Timestamp | None
    columns: dict[str, set]  # {table: typed column names}
    far: set = field(default_factory=set)  # (table, column) with dates far beyond the others
    typed: dict | None = None  # the pandas engine's typed tables
    _positions: dict | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def has(self, table: str, *cols: str) -> bool:
        return set(cols) <= self.columns.get(table, set())

    def positions(self, table: str) -> np.ndarray:
        """Each row's position in the customers table (-1: unknown id); pandas engine."""
        return self.look_up()[table]

    def look_up(self) -> dict[str, np.ndarray]:
        """:func:`customer_positions`, looked up once (rules evaluated on other threads wait
        for the first)."""
        with self._lock:
            if self._positions is None:
                self._positions = customer_positions(self.typed or {})
        return self._positions


def far_beyond(report: Report) -> set:
    """The (table, column) pairs reported with dates far beyond all others."""
    phrase = opening("far_beyond")
    return {(p.table, p.column) for p in report.problems if p.message.startswith(phrase)}


Targets = Callable[[Context], Sequence[str]]


@dataclass(frozen=True)
class Alias:
    """Another message for a rule's rows when a property of the whole column holds."""

    name: str
    column: Callable[[pd.Series], bool]  # pandas: the property of the typed column
    sql: Callable[[str, str], str]  # SQL: a query giving it, from (table, column)


@dataclass(frozen=True)
class Rule:
    """One rule on the rows of ``table``, reported on each column ``targets`` gives."""

    name: str  # the message (``intake.<name>`` in the catalogue)
    table: str
    targets: Targets  # the columns it checks in this data (a pair reads "a, b")
    rows: Callable[[pd.DataFrame, str, Context], object]  # pandas: True where a row breaks it
    sql: Callable[[str, Context], str]  # SQL: the same condition on a row of ``t_<table>``
    severity: str = "error"
    shown: str = "keys"  # examples: "keys" (the table's key), "rows" or "values" (distinct)
    values: Callable[[str, Context, int, list], dict] | None = None  # the message's values
    window: Callable[[str], dict[str, str]] | None = None  # SQL window columns ``sql`` reads
    alias: Alias | None = None  # another name for the rows, when the whole column says so
    screen: Callable[[str], str] | None = None  # SQL: an aggregate, 0 when no row breaks it
    looks_up: bool = False  # pandas form reads each row's customer (:meth:`Context.positions`)

    def text(
        self, column: str, ctx: Context, n: int, first: list, aliased: bool = False
    ) -> tuple[str, str]:
        """``(message, fix)`` for ``n`` rows (``first``: their first distinct values), under the
        alias's name when ``aliased``."""
        values = self.values(column, ctx, n, first) if self.values else {}
        return message(self.alias.name if aliased else self.name, **values)


@dataclass(frozen=True)
class CountRule:
    """Rows counted per value of ``by`` (both engines), judged by one ``verdict``."""

    table: str
    by: tuple[str, ...]
    verdict: Callable[[dict, Context, Report], None]


def q(name: str) -> str:
    """A SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def lit(value) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _view(table: str) -> str:
    return q("t_" + table)


def filled_sql(cols: Sequence[str]) -> str:
    """SQL: none of ``cols`` is missing."""
    return " AND ".join(f"{q(c)} IS NOT NULL" for c in cols)


# --------------------------------------------------------------------------- targets
def _fixed(table: str, *cols: str, needs: Sequence[str] = (), customers=()) -> Targets:
    """``cols`` (one label) when the table has them and ``needs``, and customers ``customers``."""
    return lambda ctx: (
        [", ".join(cols)]
        if ctx.has(table, *cols, *needs) and (not customers or ctx.has("customers", *customers))
        else []
    )


def _each(table: str, keep: Callable[[str, Context], bool]) -> Targets:
    """The table's columns (in contract order for known columns) for which ``keep`` holds."""
    return lambda ctx: [c for c in sorted(ctx.columns.get(table, ())) if keep(c, ctx)]


def _ids(table: str, key: bool) -> Targets:
    spec = CONTRACT[table]

    def keep(c: str, ctx: Context) -> bool:
        col = spec.column(c)
        return col is not None and col.identifier and col.required and (c == spec.key) == key

    return _each(table, keep)


def _scaled(table: str) -> Targets:
    return _each(
        table, lambda c, ctx: column_kind(table, c) == "num" and "min" in ctx.codebook.get(c, {})
    )


# --------------------------------------------------------------------------- duplicates
COUNTED = 1 << 22  # codes counted at a time when looking for repeated ones (32 MB of counts)


def _is_unique(s: pd.Series) -> bool:
    """No value (missing ones aside) twice: text sorted strictly ascending (exports are usually
    sorted by their key) settles it in one pass; otherwise Arrow counts the distinct values."""
    if not is_text(s):
        return pd.Index(s.dropna()).is_unique
    arr = arrow_text(s).drop_null()
    if len(arr) < 2 or pc.all(pc.less(arr[:-1], arr[1:])).as_py():
        return True
    return len(pc.unique(arr)) == len(arr)


def _codes(df: pd.DataFrame, col: str, table: str, ctx: Context) -> tuple[np.ndarray, int]:
    """``(codes, n)``: one integer in ``0..n-1`` per distinct value of ``df[col]``, -1 where
    missing. A customer id of responses or interactions is coded by its position in the
    customers table (already looked up for the reference rules), unknown ids after them."""
    s = df[col]
    looked_up = ctx.typed is not None and table in ("responses", "interactions")
    if col != "customer_id" or not looked_up or table not in ctx.look_up():
        codes, uniques = pd.factorize(s)
        return codes.astype(np.int64), len(uniques)
    codes = ctx.positions(table).astype(np.int64)
    n = len(ctx.typed["customers"])
    unknown = (codes < 0) & s.notna().to_numpy()
    if unknown.any():
        extra, uniques = pd.factorize(s[unknown])
        codes[unknown] = n + extra
        n += len(uniques)
    return codes, n


def repeated(codes: np.ndarray, n: int) -> np.ndarray:
    """True where a code (``0..n-1``; negative: missing, never repeated) occurs twice or more.

    Counted by ``bincount`` over blocks of :data:`COUNTED` codes (the counts' memory stays small
    and is reused block after block), or sorted when there are more than 16 blocks of codes.
    """
    kept = codes >= 0
    if n > 16 * COUNTED:
        ordered = np.sort(codes[kept])
        again = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        return kept & np.isin(codes, again)
    out = np.zeros(len(codes), dtype=bool)
    for lo in range(0, n, COUNTED):
        inside = kept & (codes >= lo) & (codes < lo + COUNTED) if n > COUNTED else kept
        block = codes[inside] - lo
        out[inside] = (np.bincount(block, minlength=min(COUNTED, n - lo)) > 1)[block]
    return out


def _duplicated(cols: tuple[str, ...], table: str):
    """Rows whose values of ``cols`` (none missing) another row shares: the columns' codes
    combined into one integer (mixed radix over the distinct values of each)."""

    def rows(df: pd.DataFrame, label: str, ctx: Context):
        if len(cols) == 1 and _is_unique(df[cols[0]]):
            return np.zeros(len(df), dtype=bool)
        key, size = np.zeros(len(df), dtype=np.int64), 1
        for col in cols:
            codes, n = _codes(df, col, table, ctx)
            if size * n >= 2**62:  # codes too many to combine: pandas hashes the rows
                filled = df[list(cols)].notna().all(axis=1).to_numpy()
                return filled & df.duplicated(list(cols), keep=False).to_numpy()
            key = np.where((key < 0) | (codes < 0), -1, key * n + codes)
            size *= n
        return repeated(key, size)

    return rows


def duplicates(name: str, table: str, cols: tuple[str, ...], **kw) -> Rule:
    """A rule against rows sharing the values of ``cols`` (one form compiled to both; the SQL
    engine looks for the rows only when the scan counted fewer distinct values than rows)."""
    names, filled = ", ".join(map(q, cols)), filled_sql(cols)
    twice = f"SELECT {names} FROM {_view(table)} WHERE {filled} GROUP BY ALL HAVING count(*) > 1"
    together = names if len(cols) == 1 else f"({names})"
    repeats = (
        f"count(*) FILTER (WHERE {filled}) - count(DISTINCT {together}) FILTER (WHERE {filled})"
    )
    return Rule(
        name,
        table,
        _fixed(table, *cols),
        _duplicated(cols, table),
        lambda label, ctx: f"({names}) IN ({twice})",
        screen=lambda label: repeats,
        **kw,
    )


# --------------------------------------------------------------------------- references
def _counted(col: str, ctx: Context, n: int, first: list) -> dict:
    return {"rows": fmt_count(n)}


def customer_positions(typed: dict) -> dict[str, np.ndarray]:
    """Each responses/interactions row's position in the customers table (-1: unknown id).

    One lookup per table (:func:`~cxmodels.data.joins.positions`; a duplicated customer id
    counts at its first row).
    """
    cust = typed.get("customers")
    if cust is None or "customer_id" not in cust:
        return {}
    known = arrow_text(cust["customer_id"])
    out = {}
    for name in ("responses", "interactions"):
        df = typed.get(name)
        if df is None or "customer_id" not in df:
            continue
        out[name] = positions(arrow_text(df["customer_id"]), known)
    return out


def _first_midnight(stamps: np.ndarray) -> np.ndarray:
    """The first midnight at or after each ``datetime64[ns]`` (NaT stays NaT)."""
    ns = stamps.view("i8")
    rest = ns % (86_400 * 10**9)  # non-negative: before 1970 too
    ahead = ns - rest + np.where(rest > 0, 86_400 * 10**9, 0)
    return np.where(np.isnat(stamps), ns, ahead).view("datetime64[ns]")


def _before_signup(table: str):
    """A day before the signup's day is a time before the first midnight at or after signup
    (NaT compares False); a block of rows at a time, no copy of every signup."""

    def rows(df: pd.DataFrame, col: str, ctx: Context):
        pos = ctx.positions(table)
        signup = ctx.typed["customers"]["signup_date"].to_numpy(dtype="datetime64[ns]")
        first_day = _first_midnight(signup)
        before = (pos >= 0) & df["customer_id"].notna().to_numpy()
        when, step = df[col].to_numpy(dtype="datetime64[ns]"), 1 << 20
        for i in range(0, len(pos), step):
            theirs = first_day.take(pos[i : i + step], mode="clip")
            before[i : i + step] &= when[i : i + step] < theirs
        return before

    return rows


def _before_signup_sql(table: str):
    return lambda col, ctx: (
        f"date_trunc('day', {q(col)}) < (SELECT min(c.signup_date) FROM t_customers c "
        f"WHERE c.customer_id = {_view(table)}.customer_id)"
    )


# fmt: off
REFERENCE_RULES = tuple(
    rule
    for table, date, severity in (("responses", "survey_date", "error"),
                                  ("interactions", "timestamp", "warning"))
    for rule in (
        Rule("unknown_customers", table, _fixed(table, "customer_id", customers=("customer_id",)),
             lambda df, col, ctx, t=table: (ctx.positions(t) < 0) & df[col].notna().to_numpy(),
             lambda col, ctx: f"{q(col)} IS NOT NULL AND {q(col)} NOT IN "
             "(SELECT customer_id FROM t_customers WHERE customer_id IS NOT NULL)",
             looks_up=True),
        Rule("before_signup", table,
             _fixed(table, date, needs=("customer_id",), customers=("customer_id", "signup_date")),
             _before_signup(table), _before_signup_sql(table), severity, values=_counted,
             looks_up=True),
    )
)
# fmt: on


# --------------------------------------------------------------------------- dates and scales
def _dates(table: str, past_end: bool = False) -> Targets:
    def targets(ctx: Context) -> list[str]:
        if past_end and ctx.end is None:
            return []
        cols = [c for c in DATE_COLUMNS.get(table, ()) if ctx.has(table, c)]
        return [c for c in cols if not (past_end and (table, c) in ctx.far)]

    return targets


def _day_after_end(ctx: Context) -> pd.Timestamp:
    return ctx.end + pd.Timedelta(days=1)


def _is_row_number(v: pd.Series) -> bool:
    """More than 20 distinct whole numbers: a row number, not a rating (pandas form)."""
    whole = v.dropna()
    return len(whole) > 20 and whole.is_unique and bool((whole % 1 == 0).all())


def _row_number_sql(table: str, col: str) -> str:
    x = q(col)
    return (
        f"SELECT (count({x}) > 20 AND count(DISTINCT {x}) = count({x}) "
        f"AND count(*) FILTER (WHERE {x} % 1 <> 0) = 0) FROM {_view(table)}"
    )


def _outside(df: pd.DataFrame, col: str, ctx: Context) -> pd.Series:
    lo, hi = ctx.codebook[col]["min"], ctx.codebook[col]["max"]
    return df[col].notna() & ((df[col] < lo) | (df[col] > hi))


def _outside_sql(col: str, ctx: Context) -> str:
    lo, hi = ctx.codebook[col]["min"], ctx.codebook[col]["max"]
    return f"({q(col)} < {lo} OR {q(col)} > {hi})"


def _scale_values(col: str, ctx: Context, n: int, first: list) -> dict:
    return {"lo": ctx.codebook[col]["min"], "hi": ctx.codebook[col]["max"], "column": col}


#: A column of more than 20 distinct whole numbers outside its scale is a row number, not a
#: rating: the rows it breaks are reported as ``row_number`` (judged only once rows broke it).
ROW_NUMBER = Alias("row_number", _is_row_number, _row_number_sql)


# --------------------------------------------------------------------------- vocabulary
def _vocabulary_values(col: str, ctx: Context, n: int, first: list) -> dict:
    known = VOCABULARY[col]
    return {
        "values": say("separator").join(map(repr, first)),
        "hint": did_you_mean(first[0], known) if first else "",
        "known": say("separator").join(known),
    }


def _unknown(s: pd.Series, known) -> pd.Series:
    """Values of ``s`` not in ``known`` (missing ones aside); categories looked at once."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return s.notna() & ~s.isin(known)
    odd = np.append(~s.cat.categories.isin(known), False)  # code -1 (missing) is not odd
    return pd.Series(odd[s.cat.codes.to_numpy()], index=s.index)


# fmt: off
VOCABULARY_RULES = tuple(
    Rule("unknown_values", "interactions", _fixed("interactions", col),
         lambda df, c, ctx: _unknown(df[c], VOCABULARY[c]),
         lambda c, ctx: f"{q(c)} IS NOT NULL AND {q(c)} NOT IN "
         f"({', '.join(map(lit, VOCABULARY[c]))})",
         values=_vocabulary_values)
    for col in VOCABULARY
)
# fmt: on


# --------------------------------------------------------------------------- one row's values
# fmt: off
ROW_RULES: tuple[Rule, ...] = (
    Rule("churn_before_signup", "customers",
         _fixed("customers", "churn_date", needs=("signup_date",)),
         lambda df, c, ctx: df["churn_date"] < df["signup_date"],
         lambda c, ctx: '"churn_date" < "signup_date"'),
    *(Rule(name, "interactions", _fixed("interactions", col),
           lambda df, c, ctx: df[c] < 0, lambda c, ctx: f"{q(c)} < 0")
      for name, col in (("negative_minutes", "response_minutes"), ("negative_amount", "amount"))),
    *(Rule("kano_whole", "kano_answers", _fixed("kano_answers", col),
           lambda df, c, ctx: df[c].notna() & (df[c] % 1 != 0), lambda c, ctx: f"{q(c)} % 1 <> 0")
      for col in ("functional", "dysfunctional")),
)
# fmt: on


# --------------------------------------------------------------------------- amounts in another currency
#: An amount at least this many times its customer's median amount (a customer with at least
#: :data:`CURRENCY_MIN` amounts) and this many times the table's median amount reads as
#: written in another currency (rials, ten times tomans, among tomans).
CURRENCY_CUSTOMER, CURRENCY_TABLE, CURRENCY_MIN = 6, 3, 3


def _other_currency(df: pd.DataFrame, col: str, ctx: Context) -> np.ndarray:
    amount = df[col].to_numpy(dtype=float, na_value=np.nan)
    has = ~np.isnan(amount) & df["customer_id"].notna().to_numpy()
    out = np.zeros(len(df), dtype=bool)
    if has.any():
        who = pd.factorize(df["customer_id"].to_numpy()[has])[0]
        by = pd.Series(amount[has]).groupby(who, sort=False)
        customer, n = by.transform("median").to_numpy(), by.transform("count").to_numpy()
        table = np.median(amount[~np.isnan(amount)])
        x = amount[has]
        out[has] = (
            (n >= CURRENCY_MIN)
            & (x >= CURRENCY_CUSTOMER * customer)
            & (x >= CURRENCY_TABLE * table)
        )
    return out


def _other_currency_window(col: str) -> dict[str, str]:
    x, who = q(col), "PARTITION BY customer_id"
    return {
        "__customer_median": f"median({x}) OVER ({who})",
        "__customer_amounts": f"count({x}) OVER ({who})",
        "__table_median": f"median({x}) OVER ()",
    }


def _other_currency_sql(col: str, ctx: Context) -> str:
    x = q(col)
    return (
        f"customer_id IS NOT NULL AND __customer_amounts >= {CURRENCY_MIN} "
        f"AND {x} >= {CURRENCY_CUSTOMER} * __customer_median "
        f"AND {x} >= {CURRENCY_TABLE} * __table_median"
    )


# --------------------------------------------------------------------------- the registry
# fmt: off
RULES: tuple[Rule, ...] = (
    *(Rule(name, table, _ids(table, key),
           lambda df, c, ctx: df[c].isna(), lambda c, ctx: f"{q(c)} IS NULL", shown="rows")
      for table in CONTRACT for name, key in (("empty_keys", True), ("empty_ids", False))),
    *(duplicates("duplicate_keys", t, (spec.key,), shown="values")
      for t, spec in CONTRACT.items() if spec.key),
    *REFERENCE_RULES,
    *(Rule("before_1900", t, _dates(t), lambda df, c, ctx: df[c] < EARLIEST,
           lambda c, ctx: f"{q(c)} < TIMESTAMP {lit(EARLIEST.isoformat())}")
      for t in DATE_COLUMNS),
    *(Rule("after_end", t, _dates(t, past_end=True),
           lambda df, c, ctx: df[c] > _day_after_end(ctx),
           lambda c, ctx: f"{q(c)} > TIMESTAMP {lit(_day_after_end(ctx).isoformat())}",
           values=lambda c, ctx, n, first: {"end": ctx.end.date()})
      for t in DATE_COLUMNS),
    *(Rule("outside_scale", t, _scaled(t), _outside, _outside_sql, values=_scale_values,
           alias=ROW_NUMBER)
      for t in CONTRACT),
    *VOCABULARY_RULES,
    *ROW_RULES,
    duplicates("kano_twice", "kano_answers", ("respondent_id", "feature")),
    duplicates("survey_twice", "responses", ("customer_id", "wave"), severity="warning",
               values=_counted, looks_up=True),
    Rule("other_currency", "interactions", _fixed("interactions", "amount", needs=("customer_id",)),
         _other_currency, _other_currency_sql, "warning", values=_counted,
         window=_other_currency_window),
)
# fmt: on


# --------------------------------------------------------------------------- counts
#: Answers of 1 (and no 0) from which a question is read as asked on 1-10.
NPS_ONES = 10


def nps_floor(counts: dict, ctx: Context, report: Report) -> None:
    """An NPS question asked on 1-10, read on 0-10: no answer of 0 (unless the codebook's
    ``nps`` entry says ``"checked": true``) while

    * at least :data:`NPS_ONES` answered 1 and no fewer answered 2: the answers pile up on the
      lowest point offered, as they do at 0 on a 0-10 question (an error);
    * or fewer answered 1 than 2 but a bell-shaped tail would have given at least
      :data:`NPS_ONES` answers of 0 (``ones**2 / twos``, the tail's own ratio once more; an upper
      bound, as a bell's tail thins faster further out): a warning. A thin tail on 0-10 and one
      on 1-10 cannot be told apart at a few thousand answers (the synthetic world's small worlds
      have about five 1s to each 0), so it is not refused.
    """
    scale = ctx.codebook.get("nps") or {}
    zeros, ones, twos = counts.get(0, 0), counts.get(1, 0), counts.get(2, 0)
    if scale.get("min") != 0 or scale.get("checked") or zeros or ones < 1:
        return
    if ones >= max(NPS_ONES, twos):
        report.add("responses", "nps", *message("nps_from_one", ones=ones))
    elif ones < twos and ones**2 / twos >= NPS_ONES:
        expected = f"{ones**2 / twos:.0f}"
        text = message("nps_thin_floor", ones=ones, twos=twos, expected=expected)
        report.add("responses", "nps", *text, severity="warning")


def kano_swapped(pairs: dict, ctx: Context, report: Report) -> None:
    """Warn when Reverse answer pairs outnumber attractive, one-dimensional and must-be ones
    together (Kano's standard table): the functional and dysfunctional columns were swapped.
    ``pairs``: ``{(functional, dysfunctional): answers}``."""
    reverse = sum(
        n for (f, d), n in pairs.items() if (d == 1 and 2 <= f <= 4) or (f == 5 and d < 5)
    )
    wanted = sum(n for (f, d), n in pairs.items() if (f == 1 and d > 1) or (2 <= f <= 4 and d == 5))
    total = sum(pairs.values())
    if total and reverse > wanted:
        share, other = f"{reverse / total:.0%}", f"{wanted / total:.0%}"
        text = message("kano_swapped", share=share, other=other)
        report.add("kano_answers", "functional, dysfunctional", *text, severity="warning")


COUNT_RULES: tuple[CountRule, ...] = (
    CountRule("responses", ("nps",), nps_floor),
    CountRule("kano_answers", ("functional", "dysfunctional"), kano_swapped),
)


# --------------------------------------------------------------------------- the pandas engine's view
def typed_columns(table: str, df: pd.DataFrame) -> set:
    """The columns of ``df`` typed as the contract says (a number or date column whose typing
    failed was reported already and is not checked again)."""

    def typed(c) -> bool:
        kind, s = column_kind(table, c), df[c]
        if kind in ("date", "datetime"):
            return pd.api.types.is_datetime64_any_dtype(s)
        return kind != "num" or (is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))

    return {c for c in df.columns if typed(c)}
