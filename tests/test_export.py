"""The Excel workbook (issue 14): every table present, human headers, frozen header row,
number formats that show what the HTML shows, a cover sheet with parameters and snapshot."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels._format import format_frame


@pytest.fixture(scope="module")
def results(world):
    return {
        "drivers": cx.fit_drivers(world, "overall_sat", bootstrap=20, seed=1),
        "churn": cx.fit_churn(cx.survival_table(world), ["overall_sat", "loyalty_member"]),
        "kano": cx.analyze_kano(world.kano_answers),
    }


def excel_text(value, fmt: str) -> str:
    """How Excel shows ``value`` under the number formats export_tables writes."""
    if value is None:
        return "\u2013"
    if isinstance(value, str):
        return value
    if fmt.startswith("[<0.001]"):
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    m = re.fullmatch(r'(#,##)?0(?:\.(0+))?(%|"%")?', fmt)
    assert m, fmt
    dec = len(m.group(2) or "")
    v = 100 * value if m.group(3) == "%" else value
    sep = "," if m.group(1) else ""
    s = f"{v:{sep}.{dec}f}"
    if re.fullmatch(r"-0\.?0*", s):
        s = s[1:]
    return s + ("%" if m.group(3) else "")


def test_workbook_has_every_table_and_a_cover(results, tmp_path):
    from openpyxl import load_workbook

    path = cx.export_tables(
        list(results.values()),
        tmp_path / "out" / "report.xlsx",
        parameters={"outcome": "overall_sat", "drivers": ["attr_a", "attr_b"], "segment": None},
        snapshot={"source": "data/sample", "rows": 47740},
    )
    wb = load_workbook(path)
    expected = sum(len(r.tables()) for r in results.values())
    assert wb.sheetnames[0] == "About" and len(wb.sheetnames) == 1 + expected
    cover = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert cover["outcome"] == "overall_sat" and cover["drivers"] == "attr_a and attr_b"
    assert cover["data: rows"] == "47,740" and cover["data: source"] == "data/sample"
    assert all(len(n) <= 31 for n in wb.sheetnames)
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.bold
        assert not ws.sheet_view.rightToLeft


def test_cells_equal_the_display_layer(results, tmp_path):
    """Each numeric cell, shown under its number format, reads as the HTML table's cell."""
    from openpyxl import load_workbook

    res = results["drivers"]
    path = cx.export_tables(
        {"Drivers": res.table, "Hazards": results["churn"]}, tmp_path / "t.xlsx"
    )
    wb = load_workbook(path)
    checked = 0
    for sheet, table in (("Drivers", res.table), ("Hazards", results["churn"].table)):
        ws = wb[sheet]
        shown, _ = format_frame(table, intervals=False)
        headers = [c.value for c in ws[1]]
        assert headers == list(shown.columns)
        for j, h in enumerate(headers, start=1):
            cells = [ws.cell(row=i + 2, column=j) for i in range(len(table))]
            got = [excel_text(c.value, c.number_format) for c in cells]
            assert got == shown[h].tolist(), h
            checked += len(got)
        # the values stay exact numbers (an analyst computes with them)
        col = headers.index("p") + 1
        np.testing.assert_allclose(
            [ws.cell(row=i + 2, column=col).value for i in range(len(table))], table["p_value"]
        )
    assert checked > 100


def test_kano_sheet_names_categories_and_booleans(results, tmp_path):
    from openpyxl import load_workbook

    path = cx.export_tables(results["kano"], tmp_path / "k.xlsx", rtl=True)
    ws = load_workbook(path).worksheets[1]
    headers = [c.value for c in ws[1]]
    assert "Must-be (n)" in headers and "category" in headers and "fong significant" in headers
    cat = [ws.cell(row=i, column=headers.index("category") + 1).value for i in range(2, 10)]
    assert set(cat) <= {"Must-be", "One-dimensional", "Attractive", "Indifferent", "Reverse"}
    fong = {
        ws.cell(row=i, column=headers.index("fong significant") + 1).value for i in range(2, 10)
    }
    assert fong <= {"yes", "no"}
    assert ws.sheet_view.rightToLeft


def test_sheet_names_are_valid_and_unique(tmp_path):
    from openpyxl import load_workbook

    t = pd.DataFrame({"n": [1, 2]})
    long = "a very long table name: with [bad] characters / and more?"
    path = cx.export_tables({long: t, long + "!": t, "About": t}, tmp_path / "s.xlsx")
    names = load_workbook(path).sheetnames
    assert len(names) == 4 and len({n.lower() for n in names}) == 4
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(cx.InputError, match="export_tables.results_or_tables"):
        cx.export_tables([42], tmp_path / "x.xlsx")
    with pytest.raises(cx.InputError, match="xlsx"):
        cx.export_tables(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")


def test_empty_interval_columns_are_left_out_as_in_html(world, tmp_path):
    from openpyxl import load_workbook

    res = cx.fit_drivers(world, "overall_sat")  # no bootstrap
    ws = load_workbook(cx.export_tables(res, tmp_path / "d.xlsx")).worksheets[1]
    headers = [c.value for c in ws[1]]
    assert headers == list(format_frame(res.table, intervals=False)[0].columns)
    assert not [h for h in headers if "CI" in h]
