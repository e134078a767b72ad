"""Checks once every table is typed: the registry's rules (:mod:`.rules`) in their pandas
form, and the checks on dates, labels and waves that both engines share.

Each function adds to one :class:`~cxmodels._validation.Report` and never raises.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .._validation import Report
from .checks import ROW_BASE, keys
from .contract import CONTRACT
from .messages import message, say
from .rules import (
    COUNT_RULES,
    DATE_COLUMNS,
    EARLIEST,
    RULES,
    Context,
    Rule,
    far_beyond,
    typed_columns,
)
from .text import empty_share
from .vocabulary import near_duplicates
from .waves import order_waves, written_twice

OUTLIER_GAP = pd.Timedelta(days=60)
RULE_THREADS = 2  # the rules evaluated at once (more would hold more of their row masks)
LABEL_COLUMNS = {
    "customers": (
        "segment",
        "region",
        "age_band",
        "income_band",
        "marital_status",
        "acquisition_channel",
        "branch_id",
    ),
    "kano_answers": ("segment", "feature"),
    "responses": ("wave",),
}


def _present(typed: dict, columns: dict, dates: bool = False):
    """``(table, column, frame)`` for each of ``columns`` (``{table: names}``) that ``typed``
    has (typed as dates, when ``dates``)."""
    for t, cols in columns.items():
        df = typed.get(t)
        for c in cols if df is not None else ():
            if _is_date(df, c) if dates else c in df:
                yield t, c, df


def observation_end(typed: dict, declared, report: Report) -> pd.Timestamp:
    """The declared end, else the latest date of the typed tables (:func:`inferred_end`)."""
    if declared is not None:
        return pd.Timestamp(declared)
    cols = list(_present(typed, DATE_COLUMNS, dates=True))
    every = [df[c].dropna().to_numpy().astype("datetime64[ns]") for _, c, df in cols]
    ns = np.sort(np.concatenate(every).astype(np.int64)) if every else np.array([], np.int64)

    def far(limit: pd.Timestamp, ref: pd.Timestamp) -> None:
        for t, c, df in cols:
            hit = df[c] > limit
            if hit.any():
                first = df.loc[hit, c].min().date()
                report.add(
                    t, c, *message("far_beyond", first=first, ref=ref.date()), keys(df, t, hit)
                )

    def last(limit) -> int:
        return ns[-1] if limit is None else ns[ns <= limit.value].max()

    return inferred_end(len(ns), ns.__getitem__, last, far, report)


def inferred_end(n: int, nth, last, far, report: Report) -> pd.Timestamp:
    """The latest of ``n`` dates; dates more than 60 days after their 99.9th percentile (lower
    order statistic) would move the end by themselves: ``far(limit, ref)`` reports them and the
    end is taken from the others. ``nth(i)``: the i-th date in order; ``last(limit)``: the
    latest date up to ``limit`` (None: of all). Both engines call this with their own counts.
    """
    if not n:
        return pd.Timestamp.today().normalize()
    ref = pd.Timestamp(nth(int(np.floor((n - 1) * 0.999))))
    limit = ref + OUTLIER_GAP
    end = pd.Timestamp(last(None))
    if end > limit:
        far(limit, ref)
        end = pd.Timestamp(last(limit))
    end = end.normalize()
    report.add("meta", "observation_end", *message("end_inferred", end=end.date()), severity="note")
    return end


def _is_date(df, col) -> bool:
    return col in df and pd.api.types.is_datetime64_any_dtype(df[col])


def run_rules(typed: dict, ctx: Context, report: Report) -> None:
    """Every rule of the registry (:data:`~.rules.RULES`, :data:`~.rules.COUNT_RULES`) in its
    pandas form on the typed tables."""
    tasks = [
        (rule, col, typed[rule.table])
        for rule in RULES
        if typed.get(rule.table) is not None
        for col in rule.targets(ctx)
    ]

    def rows(task) -> np.ndarray | None:
        rule, col, df = task
        hit = np.asarray(rule.rows(df, col, ctx), dtype=bool)
        return hit if hit.any() else None  # a clean column's mask is not kept

    # the rules read and never write: evaluated on two threads (numpy and Arrow let go of the
    # interpreter), the customer lookup first and the rules reading it last, so one thread
    # looks up while the other checks; reported in the registry's order
    later = sorted(range(len(tasks)), key=lambda i: tasks[i][0].looks_up)
    with ThreadPoolExecutor(max_workers=RULE_THREADS) as pool:
        if any(rule.looks_up for rule, _, _ in tasks):
            pool.submit(ctx.look_up)
        found = dict(zip(later, pool.map(rows, [tasks[i] for i in later])))
    for i, (rule, col, df) in enumerate(tasks):
        if found[i] is not None:
            _report(report, rule, df, col, found[i], ctx)
    for count in COUNT_RULES:
        df = typed.get(count.table)
        if df is not None and ctx.has(count.table, *count.by):
            sizes = df.groupby(list(count.by), observed=True).size()
            count.verdict({k: int(n) for k, n in sizes[sizes > 0].items()}, ctx, report)


def _report(report: Report, rule: Rule, df: pd.DataFrame, col: str, hit, ctx: Context) -> None:
    """The rows of ``df`` in ``hit`` as ``rule`` shows them: keys, row labels or values."""
    if rule.shown == "rows":
        shown = [say("row", n=i + ROW_BASE) for i in np.flatnonzero(hit)]
    elif rule.shown == "values":
        shown = df.loc[hit, col].astype(str).unique()
    else:
        shown = keys(df, rule.table, hit)
    first = list(pd.unique(df.loc[hit, col].astype(str)))[:5] if col in df else []
    aliased = rule.alias is not None and rule.alias.column(df[col])
    text = rule.text(col, ctx, int(hit.sum()), first, aliased)
    report.add(rule.table, col, *text, shown, severity=rule.severity)


def context(typed: dict, cb: dict, end, report: Report) -> Context:
    """What the rules read: the codebook, the observation end and the typed columns."""
    cols = {t: typed_columns(t, df) for t, df in typed.items() if df is not None}
    return Context(cb, end, cols, far_beyond(report), typed)


def check_labels(typed: dict, report: Report) -> None:
    """Labels that differ only in case or spacing are reported (they would be two groups)."""
    for t, c, df in _present(typed, LABEL_COLUMNS):
        groups = near_duplicates(df[c])
        if groups:
            shown = say("semicolon").join(say("versus").join(map(repr, g)) for g in groups[:3])
            report.add(t, c, *message("near_duplicates", shown=shown), severity="warning")


#: The rules :func:`~.waves.order_waves` names, and their catalogue keys.
WAVE_RULES = {
    "the codebook's order": "wave_rule.codebook",
    "the median survey date of each wave": "wave_rule.median_date",
    "their labels as text": "wave_rule.text",
}


def wave_order(responses, codebook: dict, report: Report, counts=None) -> list | None:
    """The survey waves in the order of their meaning (see ``order_waves``), with a note;
    :func:`check_waves` on the answers per wave (``counts``, else counted here)."""
    if responses is None or "wave" not in responses or responses["wave"].isna().all():
        return None
    declared = (codebook.get("wave") or {}).get("order")
    dates = responses["survey_date"] if _is_date(responses, "survey_date") else None
    order, rule = order_waves(responses["wave"], dates, declared)
    counts = responses["wave"].value_counts() if counts is None else counts
    check_waves(counts, declared, [w for w in order if w in counts.index][-2:], report)
    if rule != "their labels (periods)":
        sev = "warning" if rule == "their labels as text" else "note"
        shown = say("separator").join(map(str, order))
        text = message("waves_ordered", rule=say(WAVE_RULES[rule]), order=shown)
        report.add("responses", "wave", *text, severity=sev)
    return order


SMALL_WAVE = 30  # answers: fewer, and under a fifth of the typical wave, is a wave too small


def check_waves(counts: pd.Series, declared: list | None, last: list, report: Report) -> None:
    """One wave written two ways (error); declared waves with no answers, and one of the
    ``last`` two waves (the default change) far smaller than the others (warnings).
    ``counts``: answers per wave label."""
    counts = counts[counts > 0]
    counts = counts.loc[sorted(counts.index, key=str)]  # one order from either engine
    twice = written_twice(counts.index)
    if twice:
        shown = say("semicolon").join(say("and").join(map(repr, g)) for g in twice)
        report.add("responses", "wave", *message("wave_twice", shown=shown))
    empty = [w for w in declared or [] if w not in counts.index]
    if empty:
        waves = say("separator").join(map(repr, empty))
        text = message("wave_empty", waves=waves)
        report.add("responses", "wave", *text, severity="warning")
    typical = counts.median()
    small = counts[(counts < SMALL_WAVE) & (counts < typical / 5) & counts.index.isin(last)]
    if len(small):
        shown = say("separator").join(f"{w!r} {n}" for w, n in small.items())
        text = message("wave_small", shown=shown, typical=int(typical))
        report.add("responses", "wave", *text, severity="warning")


def soft_checks(typed: dict, report: Report) -> None:
    """Straight-lining and mostly empty columns (warnings)."""
    resp = typed.get("responses")
    if resp is not None:
        attrs = [c for c in resp.columns if str(c).startswith("attr_")]
        if len(attrs) >= 4:
            # every answer given and equal to the first (a column at a time: no copy of all)
            first = resp[attrs[0]].to_numpy(dtype=float, na_value=np.nan)
            same = ~np.isnan(first)
            for col in attrs[1:]:
                same &= resp[col].to_numpy(dtype=float, na_value=np.nan) == first
            if same.any():
                report.add(
                    "responses",
                    ",".join(attrs[:2]) + ",...",
                    *message("straight_lining"),
                    keys(resp, "responses", same),
                    severity="warning",
                )
    for name, df in typed.items():
        if df is not None and len(df):
            half_empty(name, {c: empty_share(df[c]) for c in df.columns}, report)


def half_empty(table: str, shares: dict, report: Report) -> None:
    """Columns more than half empty (``shares``: the empty share per column), unless sparse."""
    for col, share in shares.items():
        c = CONTRACT[table].column(col)
        if share > 0.5 and not (c is not None and c.sparse):
            report.add(table, col, *message("half_empty", share=share), severity="warning")


def derive_customers(cust, end: pd.Timestamp):
    """``churned`` and ``tenure_days`` at the observation end."""
    if cust is None or not _is_date(cust, "signup_date"):
        return cust
    churn = (
        cust["churn_date"]
        if _is_date(cust, "churn_date")
        else pd.Series(pd.NaT, index=cust.index, dtype="datetime64[ns]")
    )
    churned = churn.notna() & (churn <= end)
    stop = churn.where(churned, end)
    start = cust["signup_date"].where(cust["signup_date"] >= EARLIEST)  # refused (check_dates)
    return cust.assign(churned=churned.to_numpy(), tenure_days=(stop - start).dt.days.to_numpy())
