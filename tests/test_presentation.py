"""Presentation: what a table, figure or page shows reads as what was computed (issue 24)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels._format import display_table, format_frame


@pytest.fixture(scope="module")
def evaluation(world):
    table = cx.survival_table(world)
    train, test = cx.churn.split(table, test_size=0.3, seed=1)
    fit = cx.fit_churn(train, ["overall_sat", "loyalty_member", "segment"])
    return fit, test, cx.churn.evaluate(fit, test, 12)


def _reads(frame: pd.DataFrame, header: str) -> np.ndarray:
    return frame[header].str.replace(",", "").str.rstrip("%").astype(float).to_numpy()


def test_calibration_table_reads_as_its_figure(evaluation):
    """Observed churn by decile (0.05-0.35) is not shown as 0, in HTML nor in Excel."""
    _, _, ev = evaluation
    frame, specs = format_frame(ev.table)
    for col in ("predicted", "observed"):
        spec = next(s for s in specs if s.name == col)
        assert spec.kind == "prob" and spec.excel_format == "#,##0.000", spec
        np.testing.assert_allclose(_reads(frame, spec.header), ev.table[col], atol=5e-4)
    assert frame["n"].str.fullmatch(r"[\d,]+").all()


def test_risk_columns_keep_two_significant_digits(evaluation):
    fit, test, _ = evaluation
    risk = cx.churn.risk_by(fit, test, 12, "segment")
    frame, specs = format_frame(risk)
    for col in ("mean_risk", "median_risk"):
        spec = next(s for s in specs if s.name == col)
        assert spec.kind == "prob" and spec.decimals >= 3
        np.testing.assert_allclose(_reads(frame, spec.header), risk[col], atol=5e-4)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("observed", [0.05, 0.21, 0.35]),  # a "count" name with proportions
        ("median_time", [0.21, 0.22, 0.24]),  # one decimal would read 0.2 on every row
        ("hr", [0.0011, 0.0013, 0.0018]),  # two decimals would read 0.00
        ("share", [0.0001, 0.0002, 0.0004]),  # 0.0% on every row
        ("value", [1e-6, 2e-6, 3e-6]),
    ],
)
def test_no_column_reads_alike_when_its_values_differ(name, values):
    frame = display_table(pd.DataFrame({name: values})).frame
    assert frame.iloc[:, 0].nunique() > 1 and not frame.iloc[:, 0].isin(["0", "0.00"]).any(), frame


def test_python_warnings_become_counted_caveats_without_paths(capsys):
    """A UserWarning (file path, line of code) in a report is a counted caveat, never text."""
    import warnings

    from cxmodels import i18n
    from cxmodels.reports import widgets

    with warnings.catch_warnings():
        for language, one in (("en", "1"), ("fa", "\u06f1")):
            widgets.setup(language=language)
            warnings.warn_explicit(
                "The default of observed=False is deprecated",
                UserWarning,
                "/tmp/ipykernel_4242/123.py",
                7,
            )
            (note,) = widgets._pending_data_notes()
            assert one in note and "/tmp" not in note and "UserWarning" not in note
    i18n.set_language("en")
    captured = capsys.readouterr()
    assert "UserWarning" not in captured.err + captured.out


#: What each report computes, as its method notes must name it.
MODELS = {
    "00_cx_overview": ("NPS", "CSAT", "AIPW", "HC3"),
    "01_satisfaction_drivers": ("Shapley", "HC3", "proportional-odds", "Penalty-reward"),
    "02_churn_survival": ("Cox", "Kaplan-Meier", "log-rank", "Brier", "concordance"),
    "03_kano_analysis": ("Kano", "Better", "Fong", "bootstrap", "chi-square"),
    "04_satisfaction_loyalty_chain": ("PLS", "bootstrap", "HTMT", "IPMA"),
    "05_value_of_loyalty": ("BG/NBD", "Gamma-Gamma", "CLV", "ROI"),
    "branch_scorecard": ("NPS", "CSAT"),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_method_notes_describe_what_each_report_computed(name):
    import nbformat

    from cxmodels import i18n
    from cxmodels.reports.export import _footer
    from tests.test_reports import NB, TEMPLATES

    path = NB / f"{name}.ipynb"
    nb = nbformat.read(path if path.exists() else TEMPLATES / f"{name}.ipynb", 4)
    keys = nb.metadata["cxmodels"]["method_notes"]
    footers = {}
    for language in ("en", "fa"):
        i18n.set_language(language)
        try:
            footers[language] = _footer(nb)
        finally:
            i18n.set_language("en")
        assert all(f"method.{k}" in i18n.catalogue(language) for k in keys), (name, language)
    assert footers["en"].count("<li>") == len(keys) >= 1
    missing = [m for m in MODELS[name] if m.lower() not in footers["en"].lower()]
    assert not missing, (name, missing)
    assert footers["fa"] != footers["en"] and footers["fa"].count("<li>") == len(keys)


@pytest.fixture(scope="module")
def programme():
    from cxmodels.value.worth import ProgrammeValueResult, _roi_table

    draws = np.random.default_rng(1).normal(37.1, 4.5, 200)
    effect = [("purchase_rate_ratio", 1.3, 1.2, 1.4, "ratio")]
    table = _roi_table(37.1, draws, 2.0, 6990, effect)
    return ProgrammeValueResult(table, "follow-up", "contact", 156, 0.1, 0.3, "weeks", 200)


def test_roi_reads_in_one_unit_in_table_sentence_and_workbook(programme, tmp_path):
    import re

    import openpyxl

    frame = display_table(programme).frame
    rows = dict(zip(frame.iloc[:, 0], frame.iloc[:, 1]))
    units = dict(zip(frame.iloc[:, 0], frame.iloc[:, -1]))
    roi = programme.row("roi")["estimate"]
    said = re.search(r"return on investment is ([\d,.]+)%", " ".join(programme.findings()))
    cell = rows["return on investment (ROI)"]
    assert cell.split(" ")[0].endswith("%") and units["return on investment (ROI)"] == "%"
    assert float(cell.split("%")[0].replace(",", "")) == pytest.approx(100 * roi, abs=0.05)
    assert float(said.group(1).replace(",", "")) == pytest.approx(100 * roi, abs=0.5)
    # labels from the catalogue, a neutral unit for amounts, counts as counts
    assert "CLV gained" in rows and "clv_gain" not in rows and "n_units" not in rows
    assert set(units.values()) == {"ratio", "amount", "%", "count"}
    assert rows["number reached"].startswith("6,990 (")
    cx.export_tables({"roi": programme.table}, tmp_path / "roi.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "roi.xlsx")["roi"]
    formats = {r[0].value: r[1].number_format for r in ws.iter_rows(min_row=2)}
    assert formats["return on investment (ROI)"].endswith("%")
    assert formats["number reached"] == "#,##0" and formats["CLV gained"].startswith("#,##0.")


def test_purchase_profile_is_a_table_for_people_not_a_describe_dump(world):
    import json

    from tests.test_reports import NB

    book = json.loads((NB / "05_value_of_loyalty.ipynb").read_text())
    code = "".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    assert ".describe(" not in code
    data = cx.value.with_purchases(world)
    rfm = cx.rfm_summary(data, unit="weeks")
    frame = display_table(cx.value.purchase_profile(rfm)).frame
    assert list(frame["measure"]) == [
        "repeat purchases",
        "recency",
        "age as a customer",
        "mean repeat value",
    ]
    assert not {"std", "25%", "count"} & set(frame.columns)


def test_clv_axis_spans_the_actual_values():
    """A CLV of 1e-24 (a customer almost surely gone) does not stretch the axis to 1e-24."""
    import matplotlib

    matplotlib.use("Agg")
    from cxmodels.value import plots as vplots

    rng = np.random.default_rng(0)
    clv = np.concatenate([rng.lognormal(3, 1.5, 2000), [1e-24, 1e-12, 0.0]])
    ax = vplots.clv_histogram(clv)
    low, high = ax.get_xlim()
    assert low >= clv.max() * 1e-4 and high <= clv.max() * 1.5
    assert sum(p.get_height() for p in ax.patches) == (clv > 0).sum()  # every customer counted


def test_kano_segment_tests_are_one_journal_table(world):
    import re

    res = cx.analyze_kano(world.kano_answers, segment="segment", bootstrap=20, seed=1)
    table = res.segment_table()
    shown = display_table(table, max_chars=120)
    assert len(shown.blocks) == 1
    frame = shown.frame
    segments = sorted(world.customers["segment"].astype(str).unique())
    assert list(frame.columns) == [
        "feature",
        *(cx._format.label(s) for s in segments),
        "chi-square",
        "df",
        "p",
    ]
    names = set(cx._format.KANO_CATEGORIES.values())
    cats = frame[[cx._format.label(s) for s in segments]].to_numpy().ravel()
    assert set(cats) <= names
    cells = " ".join(frame.astype(str).to_numpy().ravel())
    assert not re.search(r"\d\.\d{5,}", cells) and ":M" not in cells and "_" not in cells
    # the Better/Worse differences (bootstrap bounds were 0-d arrays) read as numbers too
    diffs = display_table(res.segment_tests).frame
    assert not re.search(r"\d\.\d{5,}", " ".join(diffs.astype(str).to_numpy().ravel()))


def test_sentences_and_figure_titles_use_labels_not_column_names(world):
    """Segment levels read "small business", figure titles "overall satisfaction"."""
    import re

    import matplotlib

    matplotlib.use("Agg")
    table = cx.survival_table(world)
    fit = cx.fit_churn(table, ["overall_sat", "loyalty_member", "segment"])
    words = " ".join([*fit.findings(), *fit.findings().caveats])
    assert "small business" in words and not re.search(r"\b[a-z]+_[a-z_]+\b", words), words
    for outcome in ("overall_sat", "churn_within"):
        res = cx.effects.response_time_effect(world, outcome=outcome)
        ax = res.plot()
        title = ax.get_title() if hasattr(ax, "get_title") else ax.axes[0].get_title()
        assert outcome not in title and cx._format.label(outcome) in title, title


def test_a_warning_already_shown_as_a_caveat_is_not_counted_again(world):
    """Kano's small-cell note is a caveat of the findings box, not also "1 other warning"."""
    import warnings

    from cxmodels.reports import widgets

    with warnings.catch_warnings():
        widgets.setup(language="en")
        res = cx.analyze_kano(world.kano_answers, segment="segment", min_n=10_000)
        found = widgets.kano_segment_findings(res)
        assert found.caveats and "contactless_payment" not in " ".join(found.caveats)
        caveats = list(found.caveats)
        assert widgets._pending_data_notes(shown=caveats) == []
