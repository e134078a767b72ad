"""What report notebooks call to show things: snapshot, KPI tiles, findings boxes and tables."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from ..config import project_root

SNAPSHOT_MIME = "application/vnd.cxmodels.snapshot+json"


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


def tiles(kpis) -> Any:
    """KPI tiles (HTML) from :func:`cxmodels.metrics.kpis`."""
    from IPython.display import HTML

    parts = []
    for _, r in kpis.iterrows():
        change = ""
        if "change" in r and r.get("change") == r.get("change"):
            change = (
                f"<div>{r['change']:+.1f} vs previous wave ({r['change_low']:+.1f} to "
                f"{r['change_high']:+.1f})</div>"
            )
        parts.append(
            f"<div class='cx-tile'><div>{html.escape(str(r['label']))}</div>"
            f"<div class='v'>{r['value']:.1f}</div><div>95% CI {r['ci_low']:.1f} to {r['ci_high']:.1f}"
            f" &middot; n = {int(r['n']):,}</div>{change}</div>"
        )
    return HTML("".join(parts))


def finding(text: str, caveat: bool = False) -> Any:
    """A findings (or caveat) box: Markdown-light text rendered as HTML."""
    from IPython.display import HTML

    items = [t for t in ([text] if isinstance(text, str) else list(text)) if t]
    body = "".join(f"<p>{md_inline(t)}</p>" for t in items)
    return HTML(f"<div class='{'cx-caveat' if caveat else 'cx-finding'}'>{body}</div>")


def md_inline(t: str) -> str:
    """Escape ``t`` for HTML and render ``**bold**``."""
    t = html.escape(t)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)


def table(df, digits: int = 3, index: bool = False) -> Any:
    """A tidy table for reports: rounded, attribute-style column names, no index."""
    from IPython.display import HTML

    return HTML(
        df.to_html(
            index=index,
            float_format=lambda x: (
                f"{x:.{digits}g}" if abs(x) < 1e-3 else f"{x:,.{digits}f}".rstrip("0").rstrip(".")
            ),
            border=0,
            na_rep="-",
            classes="cx-table",
        )
    )


def rank_sentence(grid, column: str, value: str, metric: str) -> str:
    """One sentence placing ``value`` of ``column`` among all cells of a ``metrics.by`` grid.

    ``grid`` has the columns ``column``, ``value``, ``ci_low``, ``ci_high``, ``n`` and ``small``
    (as :func:`cxmodels.metrics.by` returns). Ranks count from the highest value.
    """
    from .._format import fmt_count, fmt_est, label

    ok = grid[~grid["small"].astype(bool)].sort_values("value", ascending=False)
    row = grid[grid[column].astype(str) == str(value)]
    if row.empty:
        return f"{label(column).capitalize()} {value} has no answers in this data."
    r = row.iloc[0]
    est = fmt_est(r["value"], r["ci_low"], r["ci_high"], digits=1)
    if bool(r["small"]):
        return (
            f"{label(column).capitalize()} {value} has {metric} {est} from only "
            f"{fmt_count(r['n'])} answers, too few to rank."
        )
    rank = list(ok[column].astype(str)).index(str(value)) + 1
    return (
        f"{label(column).capitalize()} {value} has {metric} {est} from {fmt_count(r['n'])} "
        f"answers: rank {rank} of {len(ok)} (the median is {ok['value'].median():.1f})."
    )
