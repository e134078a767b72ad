"""Checks across tables and rows once every table is typed: dates, vocabularies, duplicates.

Each function adds to one :class:`~cxmodels._validation.Report` and never raises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_count
from .._validation import Report, did_you_mean
from .checks import customer_positions, flag, keys
from .contract import CONTRACT
from .messages import message, opening, say
from .rules import ROW_RULES, typed_for
from .vocabulary import VOCABULARY, near_duplicates
from .waves import order_waves, written_twice

DATE_COLUMNS = {
    "customers": ("signup_date", "churn_date"),
    "responses": ("survey_date",),
    "interactions": ("timestamp",),
}
OUTLIER_GAP = pd.Timedelta(days=60)
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


EARLIEST = pd.Timestamp("1900-01-01")  # before it, a date in CX data is a mistyped year


def _date_cols(typed: dict):
    for t, cols in DATE_COLUMNS.items():
        df = typed.get(t)
        if df is None:
            continue
        for c in cols:
            if c in df and pd.api.types.is_datetime64_any_dtype(df[c]):
                yield t, c, df


def observation_end(typed: dict, declared, report: Report) -> pd.Timestamp:
    """The declared end, else the latest date; a latest date far beyond all others is an error.

    Without a declared end, dates more than 60 days after the 99.9th percentile of all dates
    (lower order statistic) would move the end by themselves: they are reported with the gap,
    and the end is taken from the other dates.
    """
    if declared is not None:
        return pd.Timestamp(declared)
    cols = list(_date_cols(typed))
    every = np.concatenate([df[c].dropna().to_numpy() for _, c, df in cols]) if cols else []
    if len(every) == 0:
        return pd.Timestamp.today().normalize()
    ns = np.sort(every.astype("datetime64[ns]").astype(np.int64))
    ref = pd.Timestamp(ns[int(np.floor((len(ns) - 1) * 0.999))])
    limit = ref + OUTLIER_GAP
    if pd.Timestamp(ns[-1]) > limit:
        for t, c, df in cols:
            far = df[c] > limit
            if far.any():
                first = df.loc[far, c].min().date()
                text = message("far_beyond", first=first, ref=ref.date())
                report.add(t, c, *text, keys(df, t, far))
        end = pd.Timestamp(ns[ns <= limit.value].max()).normalize()
    else:
        end = pd.Timestamp(ns[-1]).normalize()
    report.add("meta", "observation_end", *message("end_inferred", end=end.date()), severity="note")
    return end


def check_dates(
    typed: dict, end: pd.Timestamp, report: Report, positions: dict | None = None
) -> None:
    """Nothing after the observation end; no churn or survey before the customer's signup.

    ``positions``: each row's position in the customers table (``checks.customer_positions``).
    """
    for t, c, df in _date_cols(typed):
        early = df[c] < EARLIEST
        if early.any():
            report.add(t, c, *message("before_1900"), keys(df, t, early))
        late = df[c] > end + pd.Timedelta(days=1)
        if late.any() and not _reported(report, t, c, "far_beyond"):
            report.add(t, c, *message("after_end", end=end.date()), keys(df, t, late))
    cust = typed.get("customers")
    if cust is None or not _is_date(cust, "signup_date"):
        return
    positions = customer_positions(typed) if positions is None else positions
    first_day = _first_midnight(cust["signup_date"].to_numpy(dtype="datetime64[ns]"))
    for t, c, sev in (
        ("responses", "survey_date", "error"),
        ("interactions", "timestamp", "warning"),
    ):
        df = typed.get(t)
        if df is None or not _is_date(df, c) or t not in positions:
            continue
        pos = positions[t]
        known = (pos >= 0) & df["customer_id"].notna().to_numpy()
        # a day before the signup's day is a time before the first midnight at or after signup
        # (NaT compares False); no 12-million-row copy of days
        when, before, step = df[c].to_numpy(dtype="datetime64[ns]"), known, 1 << 20
        for i in range(0, len(pos), step):  # a block at a time: no copy of every signup
            theirs = first_day.take(pos[i : i + step], mode="clip")
            before[i : i + step] &= when[i : i + step] < theirs
        if before.any():
            report.add(
                t,
                c,
                *message("before_signup", rows=fmt_count(before.sum())),
                keys(df, t, before),
                severity=sev,
            )


def _first_midnight(stamps: np.ndarray) -> np.ndarray:
    """The first midnight at or after each ``datetime64[ns]`` (NaT stays NaT)."""
    ns = stamps.view("i8")
    rest = ns % (86_400 * 10**9)  # non-negative: before 1970 too
    ahead = ns - rest + np.where(rest > 0, 86_400 * 10**9, 0)
    return np.where(np.isnat(stamps), ns, ahead).view("datetime64[ns]")


def _is_date(df, col) -> bool:
    return col in df and pd.api.types.is_datetime64_any_dtype(df[col])


def _reported(report: Report, table: str, column: str, name: str) -> bool:
    """Whether the check ``name``'s message was reported for ``table.column`` (in any language:
    the fixed start of its template in the current one)."""
    phrase = opening(name)
    return any(
        p.table == table and p.column == column and p.message.startswith(phrase)
        for p in report.problems
    )


def check_interactions(typed: dict, report: Report) -> None:
    """Known kinds and channels only; response times not negative."""
    inter = typed.get("interactions")
    if inter is None:
        return
    for col, known in VOCABULARY.items():
        if col not in inter:
            continue
        bad = _unknown(inter[col], known)
        if bad.any():
            vals = pd.unique(inter.loc[bad, col].astype(str))[:5]
            hints = "".join(did_you_mean(v, known) for v in vals[:1])
            report.add(
                "interactions",
                col,
                *message(
                    "unknown_values",
                    values=say("separator").join(map(repr, vals)),
                    hint=hints,
                    known=say("separator").join(known),
                ),
                keys(inter, "interactions", bad),
            )


def _unknown(s: pd.Series, known) -> pd.Series:
    """Values of ``s`` not in ``known`` (missing ones aside); categories looked at once."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return s.notna() & ~s.isin(known)
    odd = np.append(~s.cat.categories.isin(known), False)  # code -1 (missing) is not odd
    return pd.Series(odd[s.cat.codes.to_numpy()], index=s.index)


def row_rules(typed: dict, report: Report) -> None:
    """The row rules of :data:`~.rules.ROW_RULES` on the typed tables (pandas forms)."""
    for rule in ROW_RULES:
        df = typed.get(rule.table)
        if df is not None and typed_for(rule, df):
            text = message(rule.name)
            flag(report, df, rule.table, rule.column, rule.rows(df), *text, rule.severity)


def check_kano(typed: dict, report: Report) -> None:
    """Whole answer positions; one answer per respondent and feature."""
    kano = typed.get("kano_answers")
    if kano is None:
        return
    if {"functional", "dysfunctional"} <= set(kano.columns):
        pairs = kano.groupby(["functional", "dysfunctional"]).size()
        kano_swapped(dict(zip(pairs.index, pairs.to_numpy())), report)
    if {"respondent_id", "feature"} <= set(kano.columns):
        flag(
            report,
            kano,
            "kano_answers",
            "respondent_id, feature",
            kano.duplicated(["respondent_id", "feature"], keep=False),
            *message("kano_twice"),
        )


def kano_swapped(pairs: dict, report: Report) -> None:
    """Warn when Reverse answer pairs outnumber attractive, one-dimensional and must-be ones
    together (Kano's standard table): the functional and dysfunctional columns were swapped.
    ``pairs``: ``{(functional, dysfunctional): answers}``; both engines count and call this."""
    reverse = sum(
        n for (f, d), n in pairs.items() if (d == 1 and 2 <= f <= 4) or (f == 5 and d < 5)
    )
    wanted = sum(n for (f, d), n in pairs.items() if (f == 1 and d > 1) or (2 <= f <= 4 and d == 5))
    total = sum(pairs.values())
    if total and reverse > wanted:
        share, other = f"{reverse / total:.0%}", f"{wanted / total:.0%}"
        text = say("kano_swapped", share=share, other=other), say("kano_swapped.fix")
        report.add("kano_answers", "functional, dysfunctional", *text, severity="warning")


def check_labels(typed: dict, report: Report) -> None:
    """Labels that differ only in case or spacing are reported (they would be two groups)."""
    for t, cols in LABEL_COLUMNS.items():
        df = typed.get(t)
        if df is None:
            continue
        for c in cols:
            if c not in df:
                continue
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
    if rule not in ("their labels (periods)",):
        sev = "warning" if rule == "their labels as text" else "note"
        report.add(
            "responses",
            "wave",
            say(
                "waves_ordered",
                rule=say(WAVE_RULES[rule]),
                order=say("separator").join(map(str, order)),
            ),
            say("waves_ordered.fix"),
            severity=sev,
        )
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
        report.add("responses", "wave", say("wave_twice", shown=shown), say("wave_twice.fix"))
    empty = [w for w in declared or [] if w not in counts.index]
    if empty:
        waves = say("separator").join(map(repr, empty))
        text = say("wave_empty", waves=waves), say("wave_empty.fix")
        report.add("responses", "wave", *text, severity="warning")
    typical = counts.median()
    small = counts[(counts < SMALL_WAVE) & (counts < typical / 5) & counts.index.isin(last)]
    if len(small):
        shown = say("separator").join(f"{w!r} {n}" for w, n in small.items())
        text = say("wave_small", shown=shown, typical=int(typical)), say("wave_small.fix")
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
            straight = pd.Series(same, index=resp.index)
            if straight.any():
                report.add(
                    "responses",
                    ",".join(attrs[:2]) + ",...",
                    say("straight_lining"),
                    say("straight_lining.fix"),
                    keys(resp, "responses", straight),
                    severity="warning",
                )
    for name, df in typed.items():
        if df is None or len(df) == 0:
            continue
        spec = CONTRACT[name]
        share = pd.Series({c: df[c].isna().mean() for c in df.columns}, dtype=float)
        for col in share.index[share > 0.5]:
            c = spec.column(col)
            if c is not None and c.sparse:
                continue
            report.add(name, col, *message("half_empty", share=share[col]), severity="warning")


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
