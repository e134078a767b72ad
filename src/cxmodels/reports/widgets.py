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
