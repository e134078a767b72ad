"""What report notebooks call to show things: setup, snapshot, KPI tiles, findings, tables.

Every sentence here goes through the message catalogue (``cx.i18n.t``; keys ``nb.*`` in
``i18n/<language>/notebook.json``) with its numbers formatted by :mod:`cxmodels._format`, so a
report notebook holds no prose of its own and a second language is one catalogue away.

Tables shown with :func:`show_table` (and :func:`show_summary`, :func:`tiles`) are also
*collected*: each display carries the table's data under :data:`TABLE_MIME`, which the report
export turns into the report's workbook (``NAME.xlsx``, one sheet per table shown); in an
interactive session :func:`displayed_tables` returns them for ``cx.export_tables``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from .._format import (
    _flat,
    display_table,
    excludes,
    fmt_ci,
    fmt_count,
    fmt_est,
    fmt_level,
    fmt_num,
    fmt_p,
    fmt_pct,
    interval_digits,
    label,  # notebooks: rp.widgets.label(column)
)
from .._results import Findings
from .._validation import DataQualityWarning, check_option
from ..config import project_root
from ..effects import better_direction, effect_digits
from ..export import _sheet_name
from ..i18n import format_date, has, is_rtl, set_language, t
from ..kano.result import SEGMENT_ALPHA
from ..metrics import metric_name
from ..plots import _set_alt
from ..value import covariates
from .config import table_columns
from .markup import SNAPSHOT_MIME, TABLE_MIME, md_inline

_TABLES: dict[str, pd.DataFrame] = {}  # this kernel's shown tables, in display order


def setup(language: str = "en", dpi: int = 100) -> None:
    """Prepare a report notebook: language, inline PNG figures, dpi, quiet data warnings.

    Parameters
    ----------
    language : {"en", "fa"}
        The language of every sentence, label and number (``cx.set_language``).
    dpi : int
        Resolution of figures drawn in the notebook (``figure.dpi``).

    Notes
    -----
    Warnings are kept, not printed: the next findings box's caveats say how many data-quality
    warnings there were and that ``cxmodels validate`` lists them (their messages name example
    rows, which a report must not publish), and how many other warnings the computation raised
    (a Python warning's text holds file paths and lines of code, never shown to a reader). The
    only matplotlib setting changed is ``figure.dpi``.
    The list of shown tables starts empty.
    """
    set_language(language)
    warnings.filterwarnings("always", category=DataQualityWarning)
    if warnings.showwarning is not _keep_data_note:
        _SHOW[0] = warnings.showwarning
        warnings.showwarning = _keep_data_note
    _DATA_NOTES.clear()
    _RUN_NOTES.clear()
    matplotlib.rcParams["figure.dpi"] = dpi
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        get_ipython = None
    ip = get_ipython() if get_ipython else None
    if ip is not None and hasattr(ip, "run_line_magic"):
        try:
            ip.run_line_magic("config", 'InlineBackend.figure_formats = ["png"]')
        except Exception:  # noqa: BLE001 - a terminal IPython has no inline backend
            pass
    _TABLES.clear()


def publish_snapshot(data) -> None:
    """Record the data snapshot (source, n, observation end) for the report header (no output)."""
    from IPython.display import display

    snap = data.snapshot()
    snap["source"] = _display_source(snap["source"])
    display({SNAPSHOT_MIME: snap, "text/plain": ""}, raw=True)


def _display_source(src: str) -> str:
    try:
        return str(Path(src).resolve().relative_to(project_root()))
    except (ValueError, OSError):
        return Path(src).name if os.sep in str(src) else str(src)


# ------------------------------------------------------------------ tables, collected
def _sheet_title(key: str) -> str:
    """The sheet (and caption) title of table ``key``: its catalogue entry, else the key."""
    return t(f"nb.table.{key}") if has(f"nb.table.{key}") else str(key)


def _register(title: str, df: pd.DataFrame) -> str:
    """Keep ``df`` under a unique, valid sheet name; return the name."""
    about = t("report.workbook.about").lower()
    name = _sheet_name(title, {"about", about, *(k.lower() for k in _TABLES)})
    _TABLES[name] = df
    return name


def _table_payload(name: str, df: pd.DataFrame) -> dict:
    flat = _flat(df)
    flat.columns = [str(c) for c in flat.columns]
    for c in flat.select_dtypes(include="object").columns:
        flat[c] = flat[c].map(_plain)
    text = flat.to_json(orient="table", index=False)
    return {"sheet": name, "table": json.loads(text)}


def _plain(v):
    """A JSON-able stand-in for a value pandas cannot serialise (0-d arrays, objects)."""
    if isinstance(v, np.ndarray | np.generic):
        return v.item() if np.ndim(v) == 0 else str(v.tolist())
    return v if v is None or isinstance(v, str | int | float | bool) else str(v)


def displayed_tables() -> dict[str, pd.DataFrame]:
    """The tables shown so far in this kernel (``{sheet name: DataFrame}``), for
    ``cx.export_tables(cx.reports.displayed_tables(), "tables.xlsx")``."""
    return dict(_TABLES)


def show_table(obj, key: str, *, caption: str | None = None, **display_kw) -> None:
    """Show a table through the display layer and collect it for the report's workbook.

    Parameters
    ----------
    obj : DataFrame or Result
        A table, or a result whose ``.table`` is shown.
    key : str
        The table's name: ``nb.table.<key>`` in the catalogue gives its caption and sheet
        title (else ``key`` itself).
    caption : str, optional
        Overrides the caption (the sheet keeps the catalogue title).
    **display_kw
        Passed to :func:`cxmodels.display_table` (``kinds``, ``digits``, ``labels`` ...).
    """
    title = _sheet_title(key)
    _show(obj, title, title if caption is None else caption, display_kw)


def _show(obj, title: str, caption: str, display_kw: dict) -> None:
    from IPython.display import display

    df = getattr(obj, "table", obj)
    if not isinstance(df, pd.DataFrame):
        df = pd.DataFrame(df)
    name = _register(title, df)
    shown = display_table(df, caption=caption, **display_kw)
    page = f'<div class="cx-sheet" data-sheet="{html.escape(name, quote=True)}">'
    page += shown.to_html() + "</div>"
    display(
        {"text/html": page, "text/plain": shown.to_text(), TABLE_MIME: _table_payload(name, df)},
        raw=True,
    )


def show_summary(result, key: str) -> None:
    """A result's summary: title and facts, each table through :func:`show_table`, notes."""
    from IPython.display import HTML, display

    s = result.summary() if callable(getattr(result, "summary", None)) else result
    display(HTML(dataclasses.replace(s, tables={}, notes=()).as_html()))
    for name, table in s.tables.items():
        title = f"{_sheet_title(key)} - {name}"
        _show(table, title, name, {})
    if s.notes:
        items = "".join(f"<li>{md_inline(n)}</li>" for n in s.notes)
        display(HTML(f"<ul class='cx-notes'>{items}</ul>"))


# ------------------------------------------------------------------ words
def say(key: str, **values) -> None:
    """Display the catalogue sentence ``nb.<key>``, numbers already formatted.

    The sentence goes through :func:`md_inline` (escaped, then the catalogue's ``**bold**``,
    ``*italics*`` and ```code``` marks), so a value from the data - a segment or branch label -
    is text on the page, never markup.
    """
    from IPython.display import HTML, display

    display(HTML(f"<p class='cx-say'>{md_inline(t(f'nb.{key}', **values))}</p>"))


_DATA_NOTES: list[str] = []
_RUN_NOTES: list[str] = []  # the messages of other warnings, each once
_SHOW: list = [None]


def _keep_data_note(message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` in a report: every warning kept for the caveats box, none
    printed (data-quality warnings apart from the others)."""
    notes = _DATA_NOTES if issubclass(category, DataQualityWarning) else _RUN_NOTES
    if str(message) not in notes:
        notes.append(str(message))


def _pending_data_notes(shown=()) -> list[str]:
    """The warnings raised since the last findings box, as counted sentences.

    The messages themselves name example rows (customer and response ids), file paths and
    lines of code, which a report must not publish, so the report says how many there were:
    data-quality warnings (``cxmodels validate`` lists them) and other warnings of the
    computation (running the notebook in JupyterLab shows them), apart from those whose
    text is among the caveats ``shown`` already (a result's note that it also warned).
    """
    data, _DATA_NOTES[:] = list(_DATA_NOTES), []
    run, _RUN_NOTES[:] = [m for m in _RUN_NOTES if m not in set(shown)], []
    out = [t("nb.data_notes", n=len(data))] if data else []
    return out + ([t("nb.run_notes", n=len(run))] if run else [])


def warning_notes(caught) -> list[str]:
    """Warnings caught while loading data (``warnings.catch_warnings(record=True)``) as one
    counted caveat: their messages name example rows, which a report must not publish."""
    n = len({str(getattr(w, "message", w)) for w in caught})
    return [t("nb.data_notes", n=n)] if n else []


def show_findings(found, caveats=()) -> None:
    """The findings box of a ``Findings`` (or a list of sentences), and its caveats box.

    ``caveats`` adds sentences to the caveats box (e.g. data warnings caught while loading).
    """
    from IPython.display import display

    items = list(found)
    if items:
        display(finding(items))
    caveats = [*getattr(found, "caveats", ()), *caveats]
    caveats += _pending_data_notes(shown=caveats)
    if caveats:
        display(finding(caveats, caveat=True))


def finding(text, caveat: bool = False) -> Any:
    """A findings (or caveat) box: Markdown-light text rendered as HTML."""
    from IPython.display import HTML

    items = [x for x in ([text] if isinstance(text, str) else list(text)) if x]

    body = "".join(f"<p>{md_inline(x)}</p>" for x in items)
    kind, direction = "cx-caveat" if caveat else "cx-finding", " dir='rtl'" if is_rtl() else ""
    return HTML(f"<div class='{kind}'{direction}>{body}</div>")


def tiles(kpis) -> Any:
    """KPI tiles (HTML) from :func:`cxmodels.metrics.kpis`; the KPI table is collected."""
    kpis = kpis.assign(label=kpis["label"].map(metric_name))  # the tile titles, translated
    name = _register(_sheet_title("kpis"), kpis)
    parts = []
    for _, r in kpis.iterrows():  # one tile per metric (a handful)
        change = ""
        if "change" in r and r.get("change") == r.get("change"):
            change = "<div>" + t(
                "nb.tile.change",
                change=fmt_num(r["change"], 1, signed=True),
                interval=fmt_ci(r["change_low"], r["change_high"], 1, signed=True),
            )
            change += "</div>"
        ci = t(
            "nb.tile.ci",
            level=fmt_level(r.get("level", 0.95)),
            interval=fmt_ci(r["ci_low"], r["ci_high"], 1),
            n=fmt_count(r["n"]),
        )
        parts.append(
            f"<div class='cx-tile'><div>{html.escape(str(r['label']))}</div>"
            f"<div class='v'>{t('nb.number', x=fmt_num(r['value'], 1))}</div>"
            f"<div>{html.escape(ci)}</div>{change}</div>"
        )
    page = f'<div class="cx-tiles" data-sheet="{html.escape(name, quote=True)}">'
    page += "".join(parts) + "</div>"
    return _Tiles(page, _table_payload(name, kpis))


class _Tiles:
    """The tiles' HTML with the KPI table riding along for the workbook."""

    def __init__(self, page: str, payload: dict):
        self.page, self.payload = page, payload

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.page, "text/plain": "", TABLE_MIME: self.payload}


def table(df, digits: int = 3, index: bool = False) -> Any:
    """A table for reports through the display layer (kept for older notebooks)."""
    return display_table(df.reset_index() if index else df)


# ------------------------------------------------------------------ report sentences
def _unit(unit: str) -> str:
    return t(f"nb.unit.{unit}")


def drivers_intro(data, outcome: str, model: str) -> None:
    """What the drivers report is fitted on: answers, customers, waves, outcome and scale."""
    r = data.responses
    scale = data.codebook.get(outcome, {})
    waves = {"waves": fmt_count(r["wave"].nunique())} if "wave" in r else {}
    say(
        "drivers.intro" if waves else "drivers.intro_no_waves",
        answers=fmt_count(len(r)),
        customers=fmt_count(r["customer_id"].nunique()),
        **waves,
        outcome=label(outcome),
        low=scale.get("min", "?"),
        high=scale.get("max", "?"),
        model=t(f"nb.model.{model}"),
    )


def segment_shares(seg) -> None:
    """Importance shares per driver (rows) and segment (columns), from ``compare_segments``."""
    wide = seg.table.pivot(index="driver", columns="segment", values="share").reset_index()
    show_table(wide, "segment_shares", kinds={c: "pct" for c in wide.columns[1:]})


def segments_note(segment, model: str) -> None:
    """Why a drivers report has no segment comparison (one segment, or not OLS)."""
    if segment not in (None, "", "all"):
        say("segments.one", segment=str(segment).replace("_", " "))
    else:
        say("drivers.segments_ols")


def cohort(table: pd.DataFrame, unit: str) -> None:
    """The churn cohort: customers, churned share, median follow-up."""
    say(
        "churn.cohort",
        n=fmt_count(len(table)),
        churned=fmt_count(table["event"].sum()),
        share=fmt_pct(table["event"].mean()),
        median=fmt_num(table["duration"].median(), 1),
        unit=_unit(unit),
    )


def aft_note(fit, model: str) -> None:
    """An AFT fit has no proportional-hazards check: its AIC, and what to compare."""
    say("churn.aft", model=t(f"nb.model.{model}"), aic=fmt_num(fit.aic, 0))


def horizon_label(horizon: float, unit: str) -> str:
    """``12 months`` in the current language."""
    return t("nb.horizon", n=fmt_num(horizon, 0), unit=_unit(unit))


def kano_quality(res, answers: pd.DataFrame) -> None:
    """Respondents, features and answer quality (Q and R shares) of a Kano analysis."""
    n = res.table["n"].sum()
    say(
        "kano.quality",
        respondents=fmt_count(res.n_respondents),
        features=fmt_count(answers["feature"].nunique()),
        q=fmt_pct(res.table["Q"].sum() / n, 1),
        r=fmt_pct(res.table["R"].sum() / n, 1),
        multi=fmt_count((res.respondent_quality["n_Q"] > 1).sum()),
    )


def kano_segment_findings(seg_res, alpha: float | None = None):
    """Findings on Kano segment differences: features whose categories differ (chi-square p
    below ``alpha``, default :data:`cxmodels.kano.result.SEGMENT_ALPHA`, stated in the text)."""
    alpha = SEGMENT_ALPHA if alpha is None else alpha
    tests = seg_res.segment_tests
    notes = tuple(seg_res.notes)  # small cells per segment: caveats, not Python warnings
    if tests is None or not len(tests):
        return Findings((t("nb.kano.no_segments"),), notes)
    diff = tests[tests["p_value"] < alpha]
    if not len(diff):
        return Findings((t("nb.kano.segments_same", alpha=f"{alpha:g}"),), notes)
    out = [
        t(
            "nb.kano.segments_differ",
            feature=label(r["feature"]),
            p=fmt_p(r["p_value"]),
            alpha=f"{alpha:g}",
        )
        for _, r in diff.iterrows()  # one sentence per differing feature
    ]
    return Findings(tuple(out), notes)


def channel_findings(by_channel: pd.DataFrame, outcome: str):
    """Findings on the follow-up effect by channel: each channel's estimate with its interval
    (at the level in ``by_channel.attrs``, default 0.95) and whether it excludes zero, or why
    there is none; the best channel in the direction that improves ``outcome``."""
    level = fmt_level(by_channel.attrs.get("level", 0.95))
    f, c = [], []
    for _, r in by_channel.iterrows():  # one row per channel (three)
        name = _channel(r["channel"])
        if pd.notna(r.get("estimate")):
            d = interval_digits(r["ci_low"], r["ci_high"], 0.0, effect_digits(outcome))
            clear = excludes(r["ci_low"], r["ci_high"])
            f.append(
                t(
                    "nb.channel.effect_clear" if clear else "nb.channel.effect_unclear",
                    channel=name,
                    outcome=label(outcome),
                    est=fmt_num(r["estimate"], d, signed=True),
                    level=level,
                    interval=fmt_ci(r["ci_low"], r["ci_high"], d, signed=True),
                    n=fmt_count(r["n_treated"]),
                )
            )
        else:
            c.append(t("nb.channel.none", channel=name, n=fmt_count(r.get("n_treated", 0))))
    ok = by_channel.dropna(subset=["estimate"])
    if len(ok) > 1:
        f.append(_best_channel(ok, better_direction(outcome)))
    return Findings(tuple(f), tuple(c))


def _best_channel(ok: pd.DataFrame, better: str) -> str:
    """The channel with the best estimate in the ``better`` direction; clearly best only when
    its interval does not overlap any other channel's."""
    if better == "lower":
        i = ok["estimate"].idxmin()
        clear = ok.loc[i, "ci_high"] < ok.drop(index=i)["ci_low"].min()
    else:
        i = ok["estimate"].idxmax()
        clear = ok.loc[i, "ci_low"] > ok.drop(index=i)["ci_high"].max()
    key = "nb.channel.best" if clear else "nb.channel.overlap"
    return t(key, channel=_channel(ok.loc[i, "channel"]))


def _channel(name: str) -> str:
    return t(f"nb.channel.{name}") if has(f"nb.channel.{name}") else str(name)


def pls_intro(res, consistent: bool, bootstrap: int) -> None:
    """What the PLS model was fitted on and how."""
    say(
        "pls.intro",
        n=fmt_count(res.n),
        dropped=fmt_count(res.n_dropped),
        constructs=fmt_count(len(res.model.constructs)),
        items=fmt_count(len(res.model.items)),
        method=t("nb.pls.plsc" if consistent else "nb.pls.pls"),
        bootstrap=fmt_count(bootstrap),
    )


def value_data(full):
    """The data of the value report: purchases generated for the synthetic world only.

    The synthetic sample (it carries its ``truth``) gets BG-NBD purchases with Gamma-Gamma
    amounts when its purchases have none, and the report says so; a user's data is used as it
    is, so a data set without purchase amounts gets its value sections left out, not invented.
    """
    if getattr(full, "truth", None) and not covariates.has_amounts(full):
        say("value.generated")
        return covariates.with_purchases(full)
    return full


def rfm_intro(rfm: pd.DataFrame, calibration_end, observation_end, unit: str) -> None:
    """The customers of the value models and their calibration/holdout split."""
    say(
        "value.rfm",
        n=fmt_count(len(rfm)),
        cal=format_date(calibration_end),
        end=format_date(observation_end),
        unit=_unit(unit),
    )


def clv_sentence(clv: pd.Series, horizon: float, unit: str, top_share: float) -> None:
    """Mean CLV over the horizon and the share of value in the top decile."""
    say(
        "value.clv",
        mean=fmt_num(clv.mean(), 2),
        horizon=horizon_label(horizon, unit),
        share=fmt_pct(top_share),
    )


def rank_sentence(grid, column: str, value: str, metric: str, better: str = "higher") -> str:
    """One sentence placing ``value`` of ``column`` among all cells of a ``metrics.by`` grid.

    ``grid`` has the columns ``column``, ``value``, ``ci_low``, ``ci_high``, ``n`` and ``small``
    (as :func:`cxmodels.metrics.by` returns). Rank 1 is the best cell: the highest value, or
    the lowest with ``better="lower"`` (customer effort).
    """
    check_option("better", better, ("higher", "lower"))
    ok = grid[~grid["small"].astype(bool)].sort_values("value", ascending=better == "lower")
    row = grid[grid[column].astype(str) == str(value)]
    what = label(column).capitalize()
    if row.empty:
        return t("nb.rank.none", what=what, value=value)
    r = row.iloc[0]
    est = fmt_est(r["value"], r["ci_low"], r["ci_high"], digits=1)
    if bool(r["small"]):
        return t(
            "nb.rank.small", what=what, value=value, metric=metric, est=est, n=fmt_count(r["n"])
        )
    rank = list(ok[column].astype(str)).index(str(value)) + 1
    return t(
        "nb.rank.ok",
        what=what,
        value=value,
        metric=metric,
        est=est,
        n=fmt_count(r["n"]),
        rank=rank,
        of=len(ok),
        median=fmt_num(ok["value"].median(), 1),
    )


def branch_bars(ax, grid: pd.DataFrame, branch, metric: str):
    """Horizontal bars of ``metric`` per branch (a ``metrics.by`` grid), ``branch`` highlighted;
    records the figure's alt text. Returns ``ax``."""
    g = grid.sort_values("value")
    colours = ["#1f5a96" if b == branch else "#b8c4d0" for b in g["branch_id"]]
    ax.barh(g["branch_id"].astype(str), g["value"], color=colours)
    ax.set_title(t("nb.fig.branch", metric=metric))
    ax.set_xlabel(metric)
    alt = t("nb.fig.branch_alt", metric=metric, n=len(g), branch=branch)
    return _set_alt(ax, alt)


# ------------------------------------------------------------------ what a section needs
def needs(data, *requirements: str, section: str) -> bool:
    """Whether ``data`` holds what a report section needs; if not, say what is left out and why.

    Parameters
    ----------
    data : CXData or DuckData
        The data the section would analyse.
    *requirements : str
        Each one of ``"table"`` (the table with rows), ``"table.column"`` (the column with
        values), ``"table.column>=N"`` (at least ``N`` distinct values) or
        ``"table.column=value"`` (at least one row with that value; ``a|b`` for either) or
        ``"history>=N"`` (at least ``N`` days from the first interaction to the observation
        end).
    section : str
        The section's heading as written in the notebook (``heading.<section>`` in the
        catalogue gives it in the report's language).

    Returns
    -------
    bool
        True when every requirement holds. Otherwise the first one that fails is shown as one
        sentence (``nb.skip``: the section and the reason, ``nb.need.*``) and False returned.
    """
    for req in requirements:
        why = _lacks(data, req)
        if why is not None:
            skip(section, why[0], **why[1])
            return False
    return True


def skip(section: str, reason: str, **values) -> None:
    """Show that ``section`` is left out, and why (``nb.need.<reason>`` with ``values``)."""
    from IPython.display import HTML, display

    name = t(f"heading.{section}") if has(f"heading.{section}") else section
    text = t("nb.skip", section=name, why=t(f"nb.need.{reason}", **values))
    display(HTML(f"<div class='cx-caveat cx-skip'><p>{md_inline(text)}</p></div>"))


_REQUIREMENT = re.compile(r"^(\w+)(?:\.(\w+))?(?:(>=|=)(.+))?$")


def _lacks(data, requirement: str) -> tuple | None:
    """``(reason key, values)`` when ``data`` does not meet ``requirement``, else ``None``."""
    m = _REQUIREMENT.match(requirement)
    if m is None:
        raise ValueError(f"requirement {requirement!r}: write table, table.column, "
                         "table.column>=N or table.column=value")  # fmt: skip
    table, column, op, arg = m.groups()
    if table == "history":
        days = _history_days(data)
        ok = days >= int(arg)
        return None if ok else ("history", {"n": fmt_count(days), "min": fmt_count(int(arg))})
    frame = _table(data, table)
    if frame is None or len(frame) == 0:
        return _reason(table, None, "table"), {"table": table}
    if column is None:
        return None
    col = _column(data, table, column)
    values = col.dropna() if col is not None else pd.Series(dtype=object)
    if values.empty:
        return _reason(table, column, "column"), {"table": table, "column": column}
    if op == ">=" and values.nunique() < int(arg):
        n = values.nunique()
        return _reason(table, column, "distinct"), {
            "table": table, "column": column, "n": fmt_count(n), "min": fmt_count(int(arg)),
            "values": ", ".join(map(str, values.unique()[:3])),
        }  # fmt: skip
    wanted = arg.split("|") if op == "=" else []
    if op == "=" and not values.astype(str).isin(wanted).any():
        words = [t(f"nb.kind.{w}") if has(f"nb.kind.{w}") else w for w in wanted]
        return _reason(table, column, "value"), {
            "table": table, "column": column, "value": t("nb.or").join(words),
        }  # fmt: skip
    return None


def _history_days(data) -> int:
    """Days from the first interaction to the observation end (0 without interactions)."""
    col = _column(data, "interactions", "timestamp")
    if col is None or col.dropna().empty or data.observation_end is None:
        return 0
    return int((data.observation_end - col.min()).days)


def _column(data, table: str, column: str) -> pd.Series | None:
    """One column of one table of ``data`` (``None`` when absent), DuckDB or in memory."""
    df = table_columns(data, table, (column,))
    return None if df is None else df[column]


def _table(data, table: str):
    """The table ``table`` of ``data`` (``None`` when absent), without reading DuckDB rows."""
    if hasattr(data, "views"):
        return data.views.get(table)
    return data.tables.get(table)


def _reason(table: str, column: str | None, kind: str) -> str:
    """The most specific ``nb.need.*`` key the catalogue has for this requirement."""
    specific = ".".join(x for x in (table, column) if x) + f".{kind}"
    return specific if has(f"nb.need.{specific}") else kind


def controls(frame: pd.DataFrame, wanted, *, table: str = "customers") -> list[str]:
    """The columns of ``wanted`` that ``frame`` holds with more than one value, with a note.

    A control the data lacks, or that takes one value only, cannot adjust anything: it is left
    out and the report names it (``nb.adapt.controls_missing``, ``nb.adapt.controls_constant``)
    instead of failing on an instruction the reader cannot follow.
    """
    present = [c for c in wanted if c in frame.columns and frame[c].notna().any()]
    missing = [c for c in wanted if c not in present]
    constant = [c for c in present if frame[c].nunique(dropna=True) < 2]
    sep = t("nb.list_separator")
    if missing:
        say("adapt.controls_missing", table=table, columns=sep.join(map(label, missing)))
    if constant:
        say("adapt.controls_constant", columns=sep.join(map(label, constant)))
    return [c for c in present if c not in constant]


def supported_horizon(table: pd.DataFrame, horizon: float, unit: str) -> float:
    """``horizon``, shortened with a note when it is past what the follow-up in ``table`` supports.

    A model cannot predict past the longest follow-up, and its accuracy check, fitted on a
    part of the customers, sees less: the horizon used is the whole number of units within
    90% of the longest follow-up (one decimal under one unit).
    """
    top = float(table["duration"].max())
    if horizon <= 0.9 * top:
        return horizon
    used = float(int(0.9 * top)) or round(0.9 * top, 1)
    say(
        "adapt.horizon",
        asked=fmt_num(horizon, 0),
        top=fmt_num(top, 1),
        used=fmt_num(used, 0 if used >= 1 else 1),
        unit=_unit(unit),
    )
    return used


def calibration_end(data, calibration_end=None) -> pd.Timestamp:
    """The end of the value models' calibration period, with a note when it had to adapt.

    Given, it is used as given. By default it is one year before the observation end; when
    that leaves less than half of the purchase history for calibration (a short history), it
    is the middle of the purchase history instead, and the report says so.
    """
    if calibration_end is not None:
        return pd.Timestamp(calibration_end)
    end = data.observation_end
    inter = data.interactions
    first = inter.loc[inter["amount"].notna(), "timestamp"].min()
    middle = (first + (end - first) / 2).normalize()
    year_before = end - pd.Timedelta(days=365)
    if year_before >= middle:
        return year_before
    say("adapt.calibration", cal=format_date(middle), first=format_date(first))
    return middle
