"""HTML export: no code, no parameters cells, a header, a table of contents and method notes."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import pandas as pd
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from .. import __version__, i18n
from .._results import _fmt_value
from ..export import export_tables
from ..i18n import t
from .config import ReportSpec
from .localize import localize_page, translate_notebook
from .markup import SNAPSHOT_MIME, TABLE_MIME, md_inline, param_value


def _parameters(nb) -> dict:
    meta = nb.metadata.get("papermill", {})
    params = {**meta.get("default_parameters", {}), **meta.get("parameters", {})}
    params.pop("data_path", None)
    return params


def _param_name(key: str) -> str:
    """A parameter's name in the report's language (``report.param.<key>``)."""
    name = f"report.param.{key}"
    return t(name) if i18n.has(name) else str(key).replace("_", " ")


def _cover(nb, snapshot: dict | None) -> tuple[dict, dict]:
    """The parameters and the data snapshot as the header shows them: ``{name: text}``."""
    params = {
        _param_name(k): i18n.localize_digits(param_value(k, v, _fmt_value))
        for k, v in _parameters(nb).items()
    }
    snap = {_snapshot_key(k): _snapshot_value(k, v) for k, v in (snapshot or {}).items()}
    return params, snap


def _header(nb, spec: ReportSpec, snapshot: dict | None, workbook: bool = False) -> str:
    params, snap = _cover(nb, snapshot)
    title = spec.name
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.lstrip().startswith("# "):
            title = c.source.lstrip()[2:].splitlines()[0].strip()
            break
    prow = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in params.items()
    )
    srow = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in snap.items()
    )
    now = dt.datetime.now()
    run = now.strftime("%Y-%m-%d %H:%M")
    if not i18n.is_english():  # Jalali date, the Gregorian beside it
        run = f"{i18n.format_date(now, with_gregorian=True)} {i18n.localize_digits(now.strftime('%H:%M'))}"
    defaults = t("report.header.defaults")
    pad = "padding-inline-start:3em"
    xlsx = (
        f" &middot; <a class='cx-workbook' href='{html.escape(spec.name)}.xlsx'>"
        f"{t('report.header.workbook')}</a>"
        if workbook
        else ""
    )
    return (
        f"<div class='cx-header'><div style='color:#777'>{t('report.header.kind')} &middot; {html.escape(spec.name)}{xlsx}</div>"
        f"<table><tr><td><b>{t('report.header.parameters')}</b><table>{prow or f'<tr><td>{defaults}</td></tr>'}</table></td>"
        f"<td style='{pad}'><b>{t('report.header.data')}</b><table>{srow}</table></td>"
        f"<td style='{pad}'><b>{t('report.header.run')}</b><table><tr><th>{t('report.header.date')}</th><td>{run}</td></tr>"
        f"<tr><th>cxmodels</th><td>{__version__}</td></tr></table></td></tr></table></div>"
        f"<!--cx-title:{html.escape(title)}-->"
    )


def _snapshot_key(k: str) -> str:
    key = f"snapshot.key.{k}"
    return t(key) if not i18n.is_english() and i18n.has(key) else k.replace("_", " ")


def _snapshot_value(k: str, v) -> str:
    """A snapshot value; dates in the report's calendar (Jalali with the Gregorian beside)."""
    if i18n.is_english():
        return _fmt_value(v)
    if k.endswith("_end") or k.endswith("_start") or k == "date":
        return i18n.format_date(v, with_gregorian=True) if v else ""
    return i18n.localize_digits(f"{v:,}" if isinstance(v, int) else str(v))


def _footer(nb) -> str:
    notes = nb.metadata.get("cxmodels", {}).get("method_notes", [])
    items = "".join(f"<li>{md_inline(_method_note(n))}</li>" for n in notes)
    return (
        f"<div class='cx-footer'><b>{t('report.footer.method')}</b><ul>{items}</ul>"
        f"<p>{t('report.footer.generated', version=__version__)}</p></div>"
    )


def _method_note(note: str) -> str:
    """A notebook's method note (a key of the catalogue's ``method.*`` entries, e.g. ``"cox"``)
    in the report's language; a note that is no key is shown as written."""
    key = f"method.{note}"
    return t(key) if i18n.has(key) else note


def _toc(body: str) -> str:
    heads = re.findall(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', body, flags=re.S)
    if not heads:
        return body
    items = "".join(
        f"<li><a href='#{hid}'>{re.sub(r'<[^>]+>', '', text).replace('¶', '').strip()}</a></li>"
        for hid, text in heads
    )
    toc = f"<nav class='cx-toc'><b>{t('report.toc')}</b><ol>{items}</ol></nav>"
    body = body.replace("<!--cx-toc-->", "", 1)
    h1 = body.find("</h1>")
    if h1 < 0:  # no title: contents go right after the header
        return body.replace("</div><!--cx-title", f"</div>{toc}<!--cx-title", 1)
    return body[: h1 + 5] + toc + body[h1 + 5 :]


def export_html(nb, spec: ReportSpec) -> str:
    """HTML without code, parameters cells or prompts; header, contents and footer added.

    In the report's language (``spec.language``): headings translated, header and footer from
    the catalogue, ``lang``/``dir`` and the embedded font for Persian (:mod:`.localize`).
    """
    lang = getattr(spec, "language", "en") or "en"
    with i18n.language(lang):
        if lang != "en":
            translate_notebook(nb)
        return localize_page(_export_html(nb, spec), lang)


def _export_html(nb, spec: ReportSpec) -> str:
    snapshot = _snapshot(nb)
    workbook = bool(shown_tables(nb))
    for c in nb.cells:
        c["outputs"] = [o for o in c.get("outputs", []) if SNAPSHOT_MIME not in o.get("data", {})]
        for o in c["outputs"]:
            o.get("data", {}).pop(TABLE_MIME, None)
    ex = HTMLExporter(
        template_name="cxreport",
        extra_template_basedirs=[str(Path(__file__).parents[1] / "templates")],
    )
    ex.language_code = getattr(spec, "language", "en") or "en"
    ex.exclude_input = True
    ex.exclude_input_prompt = True
    ex.exclude_output_prompt = True
    tr = TagRemovePreprocessor(
        remove_cell_tags={"parameters", "injected-parameters", "remove-cell"}
    )
    ex.register_preprocessor(tr, enabled=True)
    resources = {
        "cx_header": _header(nb, spec, snapshot, workbook) + "<!--cx-toc-->",
        "cx_footer": _footer(nb),
    }
    body, _ = ex.from_notebook_node(nb, resources=resources)
    title = re.search(r"<!--cx-title:(.*?)-->", body)
    if title:
        body = re.sub(
            r"<title>.*?</title>", f"<title>{title.group(1)}</title>", body, count=1, flags=re.S
        )
    return _toc(body)


def _snapshot(nb) -> dict | None:
    snapshot = None
    for c in nb.cells:
        for o in c.get("outputs", []):
            if SNAPSHOT_MIME in o.get("data", {}):
                snapshot = o["data"][SNAPSHOT_MIME]
    return snapshot


def shown_tables(nb) -> dict:
    """``{sheet name: DataFrame}`` of every table the notebook showed through the widgets
    (:data:`.markup.TABLE_MIME` outputs), in display order."""
    out = {}
    for c in nb.cells:
        for o in c.get("outputs", []):
            payload = o.get("data", {}).get(TABLE_MIME)
            if payload:
                table = json.dumps(payload["table"])
                out[payload["sheet"]] = pd.read_json(io.StringIO(table), orient="table")
    return out


def export_workbook(nb, spec: ReportSpec, path: Path) -> Path | None:
    """Write the report's workbook (cover sheet, then one sheet per table shown) to ``path``;
    ``None`` when the notebook showed no table. Call before :func:`export_html`, which drops
    the tables' data from the notebook."""
    tables = shown_tables(nb)
    if not tables:
        return None
    with i18n.language(getattr(spec, "language", "en") or "en"):  # headers, labels, direction
        params, snap = _cover(nb, _snapshot(nb))
        return export_tables(tables, path, parameters=params, snapshot=snap, title=spec.name)
