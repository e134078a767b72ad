"""The DuckDB engine: validate data bigger than memory with SQL, read only what a report needs.

``cx.load(path, engine="duckdb")`` reads a folder of Parquet or CSV files, or a DuckDB database,
as typed SQL views (the contract's names and types: ids as text, dates as timestamps, ratings as
numbers, labels normalised) and runs the contract's checks as aggregate queries inside DuckDB,
one scan per table for the per-column checks; nothing is loaded into pandas. Problems are
reported with the pandas engine's words (:mod:`.messages`) and its column rules
(:func:`.checks.canonical_columns`, :func:`.checks.required_columns`, run on the header), so a
fault reads the same from either engine. The result is a :class:`DuckData`: tables are read into
pandas only when asked for, with the columns asked for and the rows of
:meth:`DuckData.subset` (segment, branch, waves) filtered in SQL.

What the DuckDB engine reads differently from the pandas engine: CSV files must be UTF-8 (any
separator and decimal mark), text dates must be ISO (``YYYY-MM-DD``, with an optional time; no
DD/MM, Jalali or Excel-serial inference), Kano answers must be numeric codes (no questionnaire
wording), and Excel and SPSS files are refused with the fix (convert them, or use the pandas
engine). Each of these is refused as "values that are not dates/numbers" or naming the file,
never read differently in silence.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from .._validation import Problem, Report
from . import checks, consistency
from .contract import CONTRACT, DERIVED, REQUIRED_TABLES, TABLES, column_kind, is_id
from .dataset import CXData, Reported, check_selected, no_customers
from .kano_words import wording
from .messages import message, say, shown
from .readers import (
    Options,
    ReadFailure,
    _csv_dialect,
    _json_or_yaml,
    find_sources,
    read_codebook,
    read_meta,
)
from .rules import COUNT_RULES, DATE_COLUMNS, RULES, Context, Rule, far_beyond, filled_sql
from .rules import lit as _lit
from .rules import q as _q
from .text import (
    GROUPED,
    ID_MAP,
    LABEL_MAP,
    TEXT,
    canonical_name,
    normalize_label,
    number_map,
    sql_translate,
    whole_numbers,
)
from .vocabulary import VOCABULARY, in_vocabulary_order, to_vocabulary

MEMORY_LIMIT = "3GB"
MAX_LINE = 1 << 30  # the longest CSV line DuckDB reads (a comment of megabytes is a value)
MAX_LABELS = 10_000  # label columns with more distinct values are left as they are


def connect(memory_limit: str = MEMORY_LIMIT):
    """A DuckDB connection held to ``memory_limit`` (it spills to a temporary folder beyond)."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = true")
    # no progress bar; in Jupyter it is off already and setting it is refused (needs ipywidgets)
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]:
        con.execute("SET enable_progress_bar = false")
    return con


# --------------------------------------------------------------------------- sources
def _file_sources(path: Path, report: Report, opts: Options) -> tuple[dict, dict]:
    """``{table: SQL source}`` for a folder (Parquet and UTF-8 CSV files, one per table) and
    ``{table: decimal mark}`` of the CSV files."""
    out, decimals = {}, {}
    for t, (p, fmt) in find_sources(path, report).items():
        if fmt == "parquet":
            out[t] = f"read_parquet({_lit(p)})"
            continue
        if fmt != "csv":
            report.add(t, "", *message("duck_format", file=p.name))
            continue
        try:
            enc, sep, decimals[t], _ = _csv_dialect(p, t, opts, report)
        except ReadFailure as exc:  # named as the pandas engine names it (read_source)
            report.add(t, "", say("file_says", file=p.name, message=exc.message), exc.fix)
            continue
        if enc not in ("utf-8", "utf-8-sig"):
            report.add(t, "", *message("duck_encoding", file=p.name, encoding=enc))
            continue
        if _duplicated_header(p, t, enc, sep, report):
            continue
        out[t] = (
            f"read_csv({_lit(p)}, delim={_lit(sep)}, header=true, all_varchar=true, "
            f"max_line_size={MAX_LINE})"
        )
    return out, decimals


def _duplicated_header(path: Path, t: str, enc: str, sep: str, report: Report) -> bool:
    """A CSV header naming one contract column twice is refused as the pandas engine refuses
    it (DuckDB would rename the second ``nps_1`` and read it as an unknown column)."""
    with open(path, encoding=enc, newline="") as fh:
        header = [h.lstrip("\ufeff") for h in next(csv.reader(fh, delimiter=sep), [])]
    if len({canonical_name(h) for h in header}) == len(header):
        return False
    checks.canonical_columns(pd.DataFrame(columns=header), t, report)
    return True


def _database_sources(con, path: Path, report: Report) -> tuple[dict, dict | None, dict]:
    """``{table: SQL source}`` for a DuckDB file (attached read-only), its codebook and meta."""
    try:
        con.execute(f"ATTACH {_lit(path)} AS src (READ_ONLY)")
    except Exception as exc:
        why = str(exc).splitlines()[0][:160]
        report.add("database", "", *message("not_duckdb", file=path.name, why=why))
        return {}, None, {}
    q = "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
    names = {r[0] for r in con.execute(q).fetchall()}
    out = {t: f"src.{_q(t)}" for t in TABLES if t in names}
    cb, meta = None, {}
    if "codebook" in names:
        rows = con.execute('SELECT "column", "min", "max" FROM src.codebook').fetchall()
        cb = {c: {"min": lo, "max": hi} for c, lo, hi in rows}
    if "meta" in names:
        meta = {"observation_end": str(con.execute("SELECT * FROM src.meta").fetchone()[0])}
    return out, cb, meta


# --------------------------------------------------------------------------- typed views
@dataclass
class _Column:
    name: str  # the contract's name
    source: str  # the column as the file spells it
    kind: str | None
    sql_type: str
    expr: str = ""  # the typed value
    bad: str = ""  # SQL condition: a value that cannot be read
    what: str = ""  # message name for unreadable values
    raw: str = ""  # the value as written (shown when it cannot be read)


def _columns(con, t: str, src: str, report: Report) -> list[_Column] | None:
    """The header through the pandas engine's column rules; None when the table is empty."""
    desc = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    names = [r[0] for r in desc]
    types = [str(r[1]).upper() for r in desc]
    probe = pd.DataFrame([list(range(len(names)))], columns=names)
    renamed = checks.canonical_columns(probe, t, report)
    checks.required_columns(renamed, t, report)
    return [
        _Column(new, names[int(i)], column_kind(t, new), types[int(i)])
        for new, i in renamed.iloc[0].items()
    ]


def _numeric_sql(x: str, decimal: str) -> str:
    """Text as a number, as :func:`.numeric_text` reads it: the other mark only as thousands
    grouping the digits in threes (:data:`.GROUPED`), otherwise not a number."""
    text = f"trim({sql_translate(f'CAST({x} AS VARCHAR)', number_map(decimal))})"
    group = _lit("," if decimal == "." else ".")
    text = (
        f"CASE WHEN NOT contains({text}, {group}) THEN {text} "
        f"WHEN regexp_full_match({text}, {_lit(GROUPED[decimal])}) THEN replace({text}, {group}, '') END"
    )
    return f"TRY_CAST(nullif(replace({text}, ',', '.'), '') AS DOUBLE)"


def _text_dates(x: str, timezone: str) -> str:
    """ISO text as naive timestamps: UTC offsets converted to ``timezone``; a year before 1600
    (a Jalali 1403/05/12 that DuckDB would take as Gregorian) is not read."""
    v = f"nullif(trim({x}), '')"
    ts = (
        f"CASE WHEN regexp_matches({v}, '(Z|[+-]\\d{{2}}:?\\d{{2}})$') "
        f"THEN CAST(timezone({_lit(timezone)}, TRY_CAST({v} AS TIMESTAMPTZ)) AS TIMESTAMP) "
        f"ELSE TRY_CAST({v} AS TIMESTAMP) END"
    )
    return f"CASE WHEN year({ts}) < 1600 THEN NULL ELSE {ts} END"


def _type_column(col: _Column, t: str, opts: Options, timezone: str) -> None:
    """The SQL that types one column as the pandas engine does (see :func:`.checks.coerce`)."""
    x, ty = _q(col.source), col.sql_type
    v = f"CAST({x} AS VARCHAR)"
    numeric = any(k in ty for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL"))

    def unread(what: str, written: str, raw: str = "") -> None:  # values that cannot be read
        col.bad, col.what, col.raw = f"{col.expr} IS NULL AND {written} IS NOT NULL", what, raw

    if col.kind in ("str", "cat"):
        if "DOUBLE" in ty or "FLOAT" in ty:
            col.expr = (
                f"CASE WHEN {x} = trunc({x}) THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE {v} END"
            )
        elif col.kind == "cat":  # spelling normalised from the distinct values (_labels)
            col.expr = v
        elif is_id(col.name):
            col.expr = f"nullif(trim({sql_translate(v, ID_MAP)}), '')"
        else:
            col.expr = f"nullif(trim({v}), '')"
    elif col.kind in ("date", "datetime"):
        if "TIME ZONE" in ty:
            col.expr = f"CAST(timezone({_lit(timezone)}, {x}) AS TIMESTAMP)"
        elif ty.startswith("VARCHAR"):
            col.expr = _text_dates(x, timezone)
            unread("dates", f"nullif(trim({x}), '')")
        else:
            col.expr = f"TRY_CAST({x} AS TIMESTAMP)"
            unread("dates", x)
    elif col.kind == "num":
        whole = "INT" in ty and "INTERVAL" not in ty  # kept as stored, as pandas reads them
        if numeric:
            col.expr = x if whole else f"CAST({x} AS DOUBLE)"
        else:
            col.expr = _numeric_sql(x, opts.get(t, "decimal") or ".")
            unread("numbers", f"nullif(trim({v}), '')", v)
    elif col.kind == "bool" and ty != "BOOLEAN":
        low = f"lower(trim({sql_translate(v, LABEL_MAP)}))"
        yes, no = (", ".join(map(_lit, sorted(words))) for words in (checks._TRUE, checks._FALSE))
        col.expr = f"CASE WHEN {low} IN ({yes}) THEN true WHEN {low} IN ({no}) THEN false END"
        unread("booleans", f"nullif({low}, '')", v)
    else:
        col.expr = x


def _labels(con, col: _Column, t: str, src: str, report: Report) -> None:
    """Normalise a label column's distinct values in Python (few) and map them in SQL."""
    fn = to_vocabulary(col.name) if t == "interactions" and col.name in VOCABULARY else None
    fn = fn or normalize_label
    rows = con.execute(
        f"SELECT DISTINCT {col.expr} FROM {src} WHERE {col.expr} IS NOT NULL LIMIT {MAX_LABELS + 1}"
    ).fetchall()
    if len(rows) > MAX_LABELS:
        return
    changed = {v: fn(v) for (v,) in rows if fn(v) != v}
    if not changed:
        return
    shown = say("separator").join(f"{a!r} -> {b!r}" for a, b in list(changed.items())[:4])
    report.add(t, col.name, *message("spellings", n=len(changed), shown=shown), severity="note")
    cases = " ".join(f"WHEN {_lit(a)} THEN {_lit(b)}" for a, b in changed.items())
    col.expr = f"CASE {col.expr} {cases} ELSE {col.expr} END"


def _kano_words(con, col: _Column, src: str) -> None:
    """Kano answers written as a questionnaire's words read as positions (:func:`.wording`)."""
    raw = f"CAST({_q(col.source)} AS VARCHAR)"
    rows = con.execute(f"SELECT DISTINCT {raw} FROM {src} LIMIT {MAX_LABELS + 1}").fetchall()
    words = wording(v for (v,) in rows) if len(rows) <= MAX_LABELS else {}
    cases = " ".join(f"WHEN {_lit(a)} THEN {b}" for a, b in words.items())
    number = col.expr
    col.expr = f"CASE {raw} {cases} ELSE {number} END" if words else number
    col.bad = col.bad.replace(number, col.expr, 1)
    col.what, col.raw = "kano", raw


def _source_file(src: str) -> tuple[str, str]:
    """The file name and format of a SQL source (``read_csv('…/x.csv', …)``, ``src."x"``)."""
    m = re.match(r"read_(csv|parquet)\('((?:[^']|'')*)'", src)
    if m is None:
        return src, "DuckDB"
    return Path(m.group(2).replace("''", "'")).name, m.group(1).upper()


def _typed_view(con, t: str, src: str, opts: Options, decimals: dict, report: Report):
    """The typed view ``t_<table>`` of one source; its columns, or None when it has no rows."""
    cols = _columns(con, t, src, report)
    n = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]
    if not cols or n == 0:
        report.add(t, "", *message("no_rows" if cols else "no_columns"))
        return None
    topts = replace(
        opts, tables={**opts.tables, t: {"decimal": decimals.get(t, "."), **opts.tables.get(t, {})}}
    )
    for c in cols:
        _type_column(c, t, topts, opts.timezone)
        if c.kind == "cat":
            _labels(con, c, t, src, report)
        if t == "kano_answers" and c.what == "numbers":
            _kano_words(con, c, src)
    select = ", ".join(
        [f"{c.expr} AS {_q(c.name)}" for c in cols]
        + [f"({c.bad}) AS {_q('__bad__' + c.name)}" for c in cols if c.bad]
        + [f"{c.raw} AS {_q('__raw__' + c.name)}" for c in cols if c.raw]
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_q('t_' + t)} AS SELECT {select} FROM {src}")
    return cols


def typed_views(
    con, sources: dict, opts: Options, decimals: dict, report: Report
) -> dict[str, list[_Column]]:
    """One typed view per table (``t_<table>``: the typed columns and a ``__bad__`` flag per
    column for values that cannot be read); returns the columns of each."""
    out = {}
    for t, src in sources.items():
        try:
            cols = _typed_view(con, t, src, opts, decimals, report)
        except Exception as exc:  # a damaged file or a line DuckDB cannot split: named
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            name, fmt = _source_file(src)
            report.add(t, "", *message("unreadable", file=name, format=fmt, why=why))
            continue
        if cols:
            out[t] = cols
    for t in REQUIRED_TABLES:
        if t not in sources and not any(p.table == t for p in report.errors):
            report.add(t, "", *message("missing_table", table=t))
    return out


# --------------------------------------------------------------------------- checks
def _first_values(con, src: str, col: str, cond: str) -> list:
    """The first five distinct values of ``col`` (as text) in the rows matching ``cond``."""
    x = f"CAST({_q(col)} AS VARCHAR)"
    rows = con.execute(
        f"SELECT v FROM (SELECT {x} AS v, row_number() OVER () AS rn FROM {src} WHERE {cond}) "
        "GROUP BY v ORDER BY min(rn) LIMIT 5"
    ).fetchall()
    return [r[0] for r in rows]


def _examples(con, t: str, check: _Check, n: int, src: str) -> tuple:
    """The first five rows matching the check as the pandas engine shows them: their keys,
    else ``row i``; or the distinct values of the column."""
    key, cond = CONTRACT[t].key or ("respondent_id" if t == "kano_answers" else None), check.cond
    if check.shown == "values":
        return tuple(_first_values(con, src, check.column, cond))
    if key and check.shown == "keys":
        got = con.execute(f"SELECT count({_q(key)}) FROM {src} WHERE {cond}").fetchone()[0]
        if got == n:
            q = f"SELECT {_q(key)} FROM {src} WHERE {cond} LIMIT 5"
            return tuple(r[0] for r in con.execute(q).fetchall())
    q = (
        f"SELECT rn FROM (SELECT row_number() OVER () - 1 AS rn, ({cond}) AS hit FROM {src}) "
        "WHERE hit LIMIT 5"
    )
    return tuple(say("row", n=r[0] + checks.ROW_BASE) for r in con.execute(q).fetchall())


@dataclass
class _Check:
    column: str
    cond: str
    name: str  # the message (see :mod:`.messages`)
    values: dict = field(default_factory=dict)
    severity: str = "error"
    shown: str = "keys"  # examples: keys, rows or values (as :class:`.rules.Rule`)
    rule: Rule | None = None
    raw: bool = False  # the message shows the values as written (the ``__raw__`` column)


def _typing_checks(cols: list[_Column]) -> list[_Check]:
    """Values that the typed view could not read (its ``__bad__`` flags)."""
    return [
        _Check(c.name, _q("__bad__" + c.name), "not_" + c.what, raw=bool(c.raw))
        for c in cols
        if c.bad
    ]


def _rule_checks(t: str, ctx: Context, window: bool = False) -> list[_Check]:
    """The registry's rules on table ``t`` in their SQL form."""
    return [
        _Check(col, rule.sql(col, ctx), rule.name, {}, rule.severity, rule.shown, rule)
        for rule in RULES
        if rule.table == t and (rule.window is not None) == window
        for col in rule.targets(ctx)
    ]


def _count_sql(c: _Check, screened: bool = True) -> str:
    if screened and c.rule is not None and c.rule.screen is not None:
        return c.rule.screen(c.column)
    if c.shown == "values":
        return f"count(DISTINCT {_q(c.column)}) FILTER (WHERE {c.cond})"
    return f"count(*) FILTER (WHERE {c.cond})"


def _scan(con, t: str, cols: list[_Column], ctx: Context, report: Report) -> None:
    """The typing and rule checks and the columns' fill rates of one table, in one scan; then
    the rules that read window columns, one query each."""
    v, found = _q("t_" + t), _typing_checks(cols) + _rule_checks(t, ctx)
    agg = ", ".join([_count_sql(c) for c in found] + [f"count({_q(c.name)})" for c in cols])
    counts = con.execute(f"SELECT count(*), {agg} FROM {v}").fetchone()
    total, counts, filled = counts[0], counts[1 : len(found) + 1], counts[len(found) + 1 :]
    for c, n in zip(found, counts):
        if n and c.rule is not None and c.rule.screen is not None:  # some rows may break it
            n = con.execute(f"SELECT {_count_sql(c, False)} FROM {v}").fetchone()[0]
        if n:
            _found(con, t, c, n, v, ctx, report)
    for c in _rule_checks(t, ctx, window=True):
        extra = ", ".join(f"{e} AS {_q(k)}" for k, e in c.rule.window(c.column).items())
        src = f"(SELECT *, {extra} FROM {v})"
        n = con.execute(f"SELECT count(*) FROM {src} WHERE {c.cond}").fetchone()[0]
        if n:
            _found(con, t, c, n, src, ctx, report)
    consistency.half_empty(t, {c.name: 1 - k / total for c, k in zip(cols, filled)}, report)


def _found(con, t: str, c: _Check, n: int, src: str, ctx: Context, report: Report) -> None:
    """Report ``n`` rows of ``src`` breaking check ``c``, with the pandas engine's words."""
    if c.rule is not None:
        real = c.rule.values and ctx.has(t, c.column)
        first = _first_values(con, src, c.column, c.cond) if real else []
        alias = c.rule.alias
        aliased = alias is not None and con.execute(alias.sql(t, c.column)).fetchone()[0]
        text = c.rule.text(c.column, ctx, n, first, bool(aliased))
    else:
        raw = "__raw__" + c.column
        first = _first_values(con, src, raw, c.cond) if c.raw else []
        comma = f"{c.cond} AND regexp_full_match({_q(raw)}, '-?\\d+,\\d+')"  # '7,5'
        if c.name == "not_numbers" and c.raw and _first_values(con, src, raw, comma):
            c = replace(c, name="decimal_comma")  # as checks._numbers says it
        text = message(c.name, table=t, column=c.column, values=shown(first), **c.values)
    ex = _examples(con, t, c, n, src)
    report.problems.append(Problem(t, c.column, *text, int(n), ex, c.severity))


def observation_end(con, names: dict, declared, report: Report):
    """The declared end, else the latest date (:func:`.consistency.inferred_end`, in SQL)."""
    if declared is not None:
        return pd.Timestamp(declared)
    cols = [(t, c) for t, cs in DATE_COLUMNS.items() for c in cs if c in names.get(t, ())]
    each = [f"SELECT {_q(c)} AS d FROM {_q('t_' + t)} WHERE {_q(c)} IS NOT NULL" for t, c in cols]
    union = " UNION ALL ".join(each or ["SELECT NULL::TIMESTAMP AS d WHERE false"])

    def one(sql: str):
        return con.execute(sql).fetchone()[0]

    def far(limit: pd.Timestamp, ref: pd.Timestamp) -> None:
        for t, c in cols:
            cond = f"{_q(c)} > TIMESTAMP {_lit(limit.isoformat())}"
            k, first = con.execute(
                f"SELECT count(*), min({_q(c)}) FROM {_q('t_' + t)} WHERE {cond}"
            ).fetchone()
            if k:
                what = {"first": pd.Timestamp(first).date(), "ref": ref.date()}
                _found(con, t, _Check(c, cond, "far_beyond", what), k, _q("t_" + t), None, report)

    def last(limit):
        below = "" if limit is None else f" WHERE d <= TIMESTAMP {_lit(limit.isoformat())}"
        return one(f"SELECT max(d) FROM ({union}){below}")

    def nth(i: int):
        return one(f"SELECT d FROM ({union}) ORDER BY d LIMIT 1 OFFSET {i}")

    n = one(f"SELECT count(*) FROM ({union})")
    return consistency.inferred_end(n, nth, last, far, report)


def _distinct(con, t: str, c: str) -> pd.Series:
    rows = con.execute(f"SELECT DISTINCT {_q(c)} FROM {_q('t_' + t)} LIMIT {MAX_LABELS}")
    return pd.Series([v for (v,) in rows.fetchall()], dtype=object)


def _distinct_checks(con, names: dict, cb: dict, report: Report) -> list | None:
    """Near-duplicate labels and the wave order, from distinct values (the pandas functions)."""
    labels = {
        t: pd.DataFrame({c: _distinct(con, t, c) for c in cols if c in names[t] and c != "wave"})
        for t, cols in consistency.LABEL_COLUMNS.items()
        if t in names
    }
    consistency.check_labels(labels, report)
    if "wave" not in names.get("responses", ()):
        return None
    dated = "survey_date" in names["responses"]
    rows = con.execute(
        f"SELECT wave, {'median(survey_date)' if dated else 'NULL'}, count(*) FROM t_responses "
        "WHERE wave IS NOT NULL "
        "GROUP BY wave"
    ).fetchall()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["wave", "survey_date", "n"])
    frame["survey_date"] = pd.to_datetime(frame["survey_date"])
    wave_cb = {"wave": cb["wave"]} if "wave" in cb else {}
    counts = frame.set_index("wave")["n"]
    return consistency.wave_order(frame.drop(columns="n"), wave_cb, report, counts)


def validate_sql(con, views: dict, cb: dict, declared_end, report: Report):
    """Run the contract's checks inside DuckDB; returns (observation end, wave order)."""
    names = {t: {c.name for c in cols} for t, cols in views.items()}
    end = observation_end(con, names, declared_end, report)
    ctx = Context(cb, end, names, far_beyond(report))
    for t in sorted(views, key=TABLES.index):
        _scan(con, t, views[t], ctx, report)
    for count in COUNT_RULES:
        if ctx.has(count.table, *count.by):
            by, filled = ", ".join(map(_q, count.by)), filled_sql(count.by)
            q = f"SELECT {by}, count(*) FROM {_q('t_' + count.table)} WHERE {filled} GROUP BY ALL"
            rows = con.execute(q).fetchall()
            count.verdict({r[0] if len(r) == 2 else r[:-1]: r[-1] for r in rows}, ctx, report)
    return end, _distinct_checks(con, names, cb, report)


# --------------------------------------------------------------------------- the data object
@dataclass
class DuckData(Reported):
    """Validated data that stays in DuckDB; tables are read into pandas when asked for.

    The same attributes as :class:`~cxmodels.data.core.CXData` (``customers``, ``responses``,
    ``interactions``, ``kano_answers``, ``branches``, ``codebook``, ``observation_end``,
    ``wave_order``, ``problems``, ``inferred``), so the analysis functions take either. Each
    table is read once, with only the columns of :meth:`select` and the rows of :meth:`subset`
    (filtered in SQL), and kept.
    """

    con: object = field(repr=False)
    views: dict  # {table: [column names]}
    codebook: dict
    observation_end: pd.Timestamp | None
    source: str
    report: Report | None = field(default=None, repr=False)
    wave_order: list | None = None
    options: Options | None = field(default=None, repr=False)
    truth: dict | None = None
    filters: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    from_text: dict = field(default_factory=dict)  # {table: number columns read from text}
    _cache: dict = field(default_factory=dict, repr=False)

    def _where(self, t: str) -> str:
        f, own = self.filters, {"segment": "segment", "branch": "branch_id"}
        cust = [f"{c} = {_lit(f[k])}" for k, c in own.items() if f.get(k) is not None]
        out = cust if t == "customers" else []
        if t in ("responses", "interactions") and cust:
            out.append(
                f"customer_id IN (SELECT customer_id FROM t_customers WHERE {' AND '.join(cust)})"
            )
        if t == "responses" and f.get("waves"):
            out.append(f"wave IN ({', '.join(map(_lit, f['waves']))})")
        k = {"kano_answers": "segment", "branches": "branch"}.get(t)  # the table's own column
        if k and f.get(k) is not None and own[k] in self.views.get(t, ()):
            out.append(f"{own[k]} = {_lit(f[k])}")
        return (" WHERE " + " AND ".join(out)) if out else ""

    def sql(self, t: str) -> str:
        """The query that reads table ``t`` (columns and filters pushed down)."""
        asked = self.columns.get(t) or self.views[t]
        dates = ("signup_date", "churn_date") if set(asked) & set(DERIVED.get(t, ())) else ()
        cols = [c for c in dict.fromkeys([*asked, *dates]) if c in self.views[t]]
        return f"SELECT {', '.join(map(_q, cols))} FROM {_q('t_' + t)}{self._where(t)}"

    def table(self, t: str) -> pd.DataFrame | None:
        """Table ``t`` as a pandas frame (read once), or None when the data has none."""
        if t not in self.views or self._unsegmented(t):
            return None
        if t not in self._cache:
            df = self.con.execute(self.sql(t)).df()
            for c in df.columns:
                if df[c].dtype == object and pd.api.types.infer_dtype(df[c]) in ("string", "empty"):
                    df[c] = df[c].astype(TEXT)  # text as the pandas engine gives it
                if t == "interactions" and c in VOCABULARY:
                    df[c] = in_vocabulary_order(df[c], c)
                elif pd.api.types.is_datetime64_any_dtype(df[c]):
                    df[c] = df[c].astype("datetime64[ns]")  # as the pandas engine gives dates
                elif c in self.from_text.get(t, ()):
                    df[c] = whole_numbers(df[c])
            if t == "customers":
                df = consistency.derive_customers(df, self.observation_end)
            self._cache[t] = df[self.columns[t]] if self.columns.get(t) else df
        return self._cache[t]

    def _unsegmented(self, t: str) -> bool:
        """Kano answers without a segment column have none for a segment (as in CXData)."""
        segment = self.filters.get("segment") is not None
        return t == "kano_answers" and segment and "segment" not in self.views[t]

    customers = property(lambda self: self.table("customers"))
    responses = property(lambda self: self.table("responses"))
    interactions = property(lambda self: self.table("interactions"))
    kano_answers = property(lambda self: self.table("kano_answers"))
    branches = property(lambda self: self.table("branches"))

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {t: self.table(t) for t in TABLES if t in self.views and not self._unsegmented(t)}

    def columns_of(self, t: str) -> list:
        return self.columns.get(t) or self.views.get(t, [])

    def count(self, t: str) -> int:
        """Rows of table ``t`` after the filters (counted in SQL, nothing read)."""
        if t not in self.views:
            return 0
        q = f"SELECT count(*) FROM {_q('t_' + t)}{self._where(t)}"
        return self.con.execute(q).fetchone()[0]

    def subset(self, segment=None, waves=None, branch=None) -> DuckData:
        """Restrict to a segment, a branch and/or some waves: filters pushed into SQL."""
        f = dict(self.filters)
        for key, value, col in (("segment", segment, "segment"), ("branch", branch, "branch_id")):
            if value in (None, "", "all"):
                continue
            f[key] = value
            if replace(self, filters=f, _cache={}).count("customers") == 0:
                q = f"SELECT DISTINCT {col} FROM t_customers WHERE {col} IS NOT NULL ORDER BY 1"
                no_customers(key, value, col, [k for (k,) in self.con.execute(q).fetchall()])
        if waves:
            f["waves"] = list(waves)
        return replace(self, filters=f, _cache={})

    def select(self, **columns: list[str]) -> DuckData:
        """Read only these columns of these tables (``select(responses=["nps", "wave"])``)."""
        check_selected({t: v + list(DERIVED.get(t, ())) for t, v in self.views.items()}, columns)
        cols = {**self.columns, **{t: list(dict.fromkeys(n)) for t, n in columns.items()}}
        return replace(self, columns=cols, _cache={})

    def collect(self):
        """The filtered tables as an in-memory :class:`~cxmodels.data.core.CXData`."""
        keep = ("codebook", "observation_end", "source", "truth", "report", "options", "wave_order")
        return CXData(**self.tables, **{k: getattr(self, k) for k in keep})

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={self.count(t):,}" for t in self.views)
        return f"DuckData({sizes}; source={self.source!r}; filters={self.filters})"


def load(path: Path, *, as_of=None, memory_limit: str = MEMORY_LIMIT) -> DuckData:
    """Validate ``path`` (a folder or a DuckDB file) inside DuckDB; see :func:`cxmodels.load`."""
    report, con = Report(), connect(memory_limit)
    spill = tempfile.mkdtemp(prefix="cxmodels-duckdb-")
    try:
        out = _load(con, spill, path, as_of, report)
    except BaseException:  # refused (or interrupted): nothing left behind in the temp folder
        con.close()
        shutil.rmtree(spill, True)
        raise
    weakref.finalize(out, shutil.rmtree, spill, True)
    return out


def _load(con, spill: str, path: Path, as_of, report: Report) -> DuckData:
    con.execute(f"SET temp_directory = {_lit(spill)}")
    truth, decimals = None, {}
    if path.is_file():  # a DuckDB file (cx.load refused any other single file)
        sources, extra_cb, meta = _database_sources(con, path, report)
        opts = Options(**meta)
    else:
        opts = read_meta(path, report)
        extra_cb = read_codebook(path, report)
        sources, decimals = _file_sources(path, report, opts)
        if (path / "truth.json").exists():
            truth = _json_or_yaml(path / "truth.json", report, "truth")
    views = typed_views(con, sources, opts, decimals, report)
    resp = [c.name for c in views["responses"]] if "responses" in views else None
    cb = checks.file_codebook(extra_cb, {}, resp, report)
    declared = as_of or opts.observation_end
    end, waves = validate_sql(con, views, cb, declared, report)  # every problem at once
    report.raise_or_warn(str(path))
    names = {t: [c.name for c in cols] for t, cols in views.items()}
    texts = {  # number columns read from text
        t: {c.name for c in cols if c.kind == "num" and c.sql_type.startswith("VARCHAR")}
        for t, cols in views.items()
    }
    return DuckData(con, names, cb, end, str(path), report, waves, opts, truth, from_text=texts)
