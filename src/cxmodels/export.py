"""Tables to Excel: one workbook per report or notebook, formatted like the HTML tables.

``cx.export_tables(results, "report.xlsx")`` writes one sheet per table with human headers, a
frozen header row, the number formats of the display layer (:mod:`cxmodels._format`) and a
cover sheet with the parameters and the data snapshot. The cells keep their numbers (an
analyst can compute with them); only their formats round, so a cell reads as the report's
table does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import __version__, i18n
from ._format import _flat, _text_values, format_frame
from ._results import _fmt_value
from ._validation import fail
from .i18n import label, localize_digits, t

#: Characters Excel refuses in a sheet name, and its length limit.
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31
_HEADER_FILL = "DDE6EE"


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, no ``[]:*?/\\``)."""
    base = _BAD_SHEET.sub(" ", str(name)).strip().strip("'") or "table"
    base = base[:_SHEET_MAX]
    out, i = base, 2
    while out.lower() in taken:
        suffix = f" ({i})"
        out, i = base[: _SHEET_MAX - len(suffix)] + suffix, i + 1
    taken.add(out.lower())
    return out


def _title(obj) -> str:
    parts = getattr(obj, "_summary_parts", None)
    return str(parts()[0]) if callable(parts) else type(obj).__name__


def collect_tables(results_or_tables) -> dict[str, pd.DataFrame]:
    """``{sheet title: DataFrame}`` from results, DataFrames, a dict or a list of them.

    A result contributes every table of ``.tables()`` (its main table under the result's
    title); a dict gives its keys as titles.
    """
    items = (
        list(results_or_tables.items())
        if isinstance(results_or_tables, Mapping)
        else [(None, results_or_tables)]
        if isinstance(results_or_tables, pd.DataFrame) or hasattr(results_or_tables, "tables")
        else [(None, x) for x in results_or_tables]
    )
    out: dict[str, pd.DataFrame] = {}
    for i, (key, obj) in enumerate(items, start=1):
        if isinstance(obj, pd.DataFrame):
            out[str(key) if key is not None else f"table {i}"] = obj
        elif callable(getattr(obj, "tables", None)):
            title = str(key) if key is not None else _title(obj)
            for name, t in obj.tables().items():
                out[title if name == "table" else f"{title} - {name}"] = t
        else:
            fail(
                "export_tables",
                "results_or_tables",
                f"item {key if key is not None else i} is a {type(obj).__name__}, not a result "
                "or a DataFrame",
                "pass cxmodels results, DataFrames, or a dict {name: result or DataFrame}",
            )
    if not out:
        fail("export_tables", "results_or_tables", "nothing to export", "pass at least one table")
    return out


def _cell(v):
    """A Python value openpyxl writes as a number, text or empty cell."""
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, bool):
        return label("yes" if v else "no", "yes" if v else "no")
    if isinstance(v, int | float | str):
        return v
    return str(v)


def _write_table(ws, df: pd.DataFrame, labels, rtl: bool) -> None:
    """One table on a write-only sheet: bold wrapped header, frozen first row, the display
    layer's headers and number formats, widths from the displayed strings."""
    flat = _flat(df)
    shown, plan = format_frame(flat, labels=labels, intervals=False)
    ws.sheet_view.rightToLeft = bool(rtl)
    ws.freeze_panes = "A2"
    for j, h in enumerate(shown.columns, start=1):
        longest = max([len(w) for w in str(h).split()] or [4])
        cells = int(shown[h].str.len().max()) if len(shown) else 0
        ws.column_dimensions[get_column_letter(j)].width = min(50, max(8, longest, cells) + 2)
    font, fill = Font(bold=True), PatternFill("solid", fgColor=_HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="bottom")
    header = []
    for h in shown.columns:
        cell = WriteOnlyCell(ws, value=str(h))
        cell.data_type = "s"  # a header from the data is text, never a formula
        cell.font, cell.fill, cell.alignment = font, fill, wrap
        header.append(cell)
    ws.append(header)
    cols = []
    for spec in plan:
        v = flat[spec.name]
        if spec.kind == "text":
            texts = _text_values(spec.name, v, labels).astype(object)
            cols.append([_text_cell(ws, _cell(x)) for x in texts])
            continue
        vals = [_cell(x) for x in v.astype(object)]
        if spec.kind != "bool":
            fmts = [r[2] for r in spec.rows] if spec.rows else [spec.excel_format] * len(vals)
            vals = [_number_cell(ws, x, f) for x, f in zip(vals, fmts)]
        cols.append(vals)
    for row in zip(*cols):
        ws.append(list(row))
    if len(shown.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(shown.columns))}{len(shown) + 1}"


def _text_cell(ws, value):
    """A cell of text from the data stays text: ``=...`` is never written as a formula."""
    if not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


def _number_cell(ws, value, number_format: str):
    if value is None or isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _cover_rows(parameters, snapshot, sheets) -> list[tuple[str, str]]:
    rows = [(t("report.workbook.version"), localize_digits(str(__version__)))]
    rows += [(str(k), localize_digits(_fmt_value(v))) for k, v in dict(parameters or {}).items()]
    if isinstance(snapshot, Mapping):
        rows += [
            (t("report.workbook.data", name=k), localize_digits(_fmt_value(v)))
            for k, v in snapshot.items()
        ]
    elif snapshot is not None:
        rows.append((t("report.workbook.snapshot"), str(snapshot)))
    rows += [(t("report.workbook.sheet"), s) for s in sheets]
    return rows


def export_tables(
    results_or_tables,
    path,
    *,
    parameters: Mapping | None = None,
    snapshot=None,
    rtl: bool | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Path:
    """Write tables to an Excel workbook: a cover sheet, then one sheet per table.

    Parameters
    ----------
    results_or_tables : Result, DataFrame, dict or list
        cxmodels results (each contributes every table of ``.tables()``), DataFrames, or a
        dict ``{sheet title: result or DataFrame}``.
    path : str or Path
        The ``.xlsx`` file to write (folders are created).
    parameters : dict, optional
        Report or notebook parameters, listed on the cover sheet (lists as words).
    snapshot : dict or str, optional
        The data snapshot (source, rows, observation end ...), listed on the cover sheet.
    rtl : bool, optional
        Right-to-left sheets (``sheet_view.rightToLeft``), for Persian or Arabic editions; by
        default right to left when the current language is (``cx.set_language("fa")``).
    labels : dict, optional
        ``{column or driver: label}`` for headers and name columns (as in ``display_table``).
    title : str, optional
        The cover sheet's heading (default "cxmodels tables", in the current language).

    Returns
    -------
    Path
        The written file.

    Notes
    -----
    Headers are the display layer's labels; each numeric column gets the Excel number format
    of its kind (p-values ``[<0.001]"< 0.001";0.000``, counts ``#,##0``, shares ``0.0%``,
    ratios ``0.00``, other numbers three significant digits of the column's typical
    magnitude), so a cell shows what the HTML table shows while the value stays exact.
    Interval bounds keep their own columns (numbers, not text). Booleans are ``yes``/``no``.
    """
    rtl = i18n.is_rtl() if rtl is None else rtl
    title = i18n.t("report.workbook.title") if title is None else title
    tables = collect_tables(results_or_tables)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        fail(
            "export_tables", "path", f"{str(path)!r} is not an .xlsx file", "end the path in .xlsx"
        )
    wb = Workbook(write_only=True)
    about = i18n.t("report.workbook.about")
    cover = wb.create_sheet(about)
    taken = {about.lower()}
    names = {title_: _sheet_name(title_, taken) for title_ in tables}
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 70
    cover.sheet_view.rightToLeft = bool(rtl)
    head = WriteOnlyCell(cover, value=title)
    head.font = Font(bold=True, size=14)
    cover.append([head])
    for k, v in _cover_rows(parameters, snapshot, names.values()):
        cover.append([_text_cell(cover, k), _text_cell(cover, v)])
    for name, df in tables.items():
        _write_table(wb.create_sheet(names[name]), df, labels, rtl)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
