"""``index.html``: every report with its parameters, status, date and link, grouped by notebook."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from .. import __version__, i18n
from .._results import _fmt_value
from .config import ReportSpec
from .markup import param_value
from .state import atomic_write, inside


def write_index(out: Path, manifest: dict, specs: list[ReportSpec]) -> Path:
    """``index.html``: every report with parameters, status, date and a link, grouped by notebook."""
    groups: dict[str, list] = {}
    for s in specs:
        groups.setdefault(s.group, []).append(s)
    parts = []
    for g, ss in groups.items():
        rows = []
        for s in ss:
            m = manifest.get(s.name, {})
            exists = (out / f"{s.name}.html").exists()
            status = m.get("last_status", "not run")
            status = "up to date" if status == "skipped" else status
            link = (
                f"<a href='{html.escape(s.name)}.html'>{html.escape(s.name)}</a>"
                if exists
                else html.escape(s.name)
            )
            if exists and (out / f"{s.name}.xlsx").exists():
                link += (
                    f" <a class='xlsx' href='{html.escape(s.name)}.xlsx' "
                    f"title='tables in Excel'>xlsx</a>"
                )
            params = "; ".join(
                f"{k.replace('_', ' ')}: {param_value(k, v, _fmt_value)}"
                for k, v in s.parameters.items()
            )
            params = params or "defaults"
            lang = getattr(s, "language", "en")
            if lang != "en":  # the language in its own words, marked up for the browser
                with i18n.language(lang):
                    word = i18n.t(f"index.language.{lang}")
                d = "rtl" if i18n.is_rtl(lang) else "ltr"
                link += f" <span class='lang' lang='{lang}' dir='{d}'>({html.escape(word)})</span>"
            fail = m.get("last_failure") if m.get("last_status") in ("failed", "timeout") else None
            note = (
                (
                    f"<div class='err'>{html.escape(str(fail.get('exception')))}: "
                    f"{html.escape(str(fail.get('message')))}</div>"
                )
                if fail
                else ""
            )
            rows.append(
                f"<tr><td>{link}</td><td>{html.escape(params)}</td>"
                f"<td class='st-{html.escape(status.split()[0])}'>{html.escape(status)}{note}</td>"
                f"<td>{html.escape(m.get('date', '-'))}</td></tr>"
            )
        parts.append(
            f"<h2 id='{html.escape(g)}'>{html.escape(g.replace('_', ' '))}</h2><table>"
            "<tr><th>report</th><th>parameters</th><th>status</th><th>last good run</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cxmodels reports</title>
<style>body{{font-family:"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222}}
h1{{color:#1f5a96}} table{{border-collapse:collapse;width:100%;margin-bottom:1.5em}}
th,td{{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e7eb;vertical-align:top}}
.st-ok,.st-up{{color:#2e7d32}} .st-failed,.st-timeout{{color:#c0392b;font-weight:600}}
.xlsx{{font-size:0.8em;color:#2e7d32;margin-left:0.4em}}
.err{{font-weight:normal;font-size:0.85em;color:#7a2a20}}</style></head><body>
<h1>cxmodels reports</h1><p>cxmodels {__version__} &middot; index written
{dt.datetime.now().strftime("%Y-%m-%d %H:%M")}</p>{"".join(parts)}</body></html>"""
    path = inside(out, "index.html")
    atomic_write(path, page)
    return path
