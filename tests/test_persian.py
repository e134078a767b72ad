"""The Persian edition complete (issue 24): no English, numbers and ranges in reading order,
right-to-left pages and workbooks; and every value from the data escaped on every page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

import cxmodels as cx
from cxmodels import i18n
from tests.test_reports import CHROMIUM, FLAGS, SCREENSHOTS

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"
BRANCH_NB = ROOT / "src" / "cxmodels" / "templates" / "branch_scorecard.ipynb"
#: Latin words a Persian page may show: acronyms of the methods and metrics, the package's
#: name and the workbook's file type.
ACRONYMS = frozenset(
    "NPS CSAT CES PLS CLV HTMT AIPW IPW IPCW ROI SMD OLS HC AIC BIC LMG AVE MAE RMSE RFM BG NBD "
    "KPI SRMR Q R p cxmodels xlsx".split()
)
LATIN = re.compile(r"[A-Za-z]+")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def _cli(config: Path, data: Path, out: Path) -> None:
    """``cxmodels report --config ... --data ... --out ... --force`` as a user runs it."""
    r = subprocess.run(
        [sys.executable, "-m", "cxmodels.cli", "report", "--config", str(config)]
        + ["--data", str(data), "--out", str(out), "--force", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=config.parent,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def _config(path: Path, entries: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 600}, "reports": entries}))
    return path


@pytest.fixture(scope="module")
def persian(tmp_path_factory, saved_1500):
    """The Persian overview and churn report, with their workbooks, on small data."""
    tmp = tmp_path_factory.mktemp("fa")
    data = saved_1500  # cx.generate(1500, seed=5) in a folder named small
    cfg = _config(
        tmp / "reports.yaml",
        [
            {
                "name": "overview_fa",
                "notebook": str(NB / "00_cx_overview.ipynb"),
                "language": "fa",
                "parameters": {"bootstrap": 30},
            },
            {"name": "churn_fa", "notebook": str(NB / "02_churn_survival.ipynb"), "language": "fa"},
        ],
    )
    _cli(cfg, data, tmp / "out")
    return tmp / "out", Path(data).name


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The overview for one segment and a branch scorecard whose labels hold HTML and script."""
    tmp = tmp_path_factory.mktemp("xss")
    d = cx.generate(1500, seed=7)
    d.customers["segment"] = d.customers["segment"].replace({"premium": SCRIPT})
    d.customers["branch_id"] = d.customers["branch_id"].replace({"B01": IMG})
    d.branches["branch_id"] = d.branches["branch_id"].replace({"B01": IMG})
    data = cx.save(d, tmp / "labels")
    cfg = _config(
        tmp / "reports.yaml",
        [
            {
                "name": "overview_{segment}",
                "notebook": str(NB / "00_cx_overview.ipynb"),
                "parameters": {"bootstrap": 30},
                "matrix": {"segment": [SCRIPT]},
            },
            {"name": "branch_{branch}", "notebook": str(BRANCH_NB), "matrix": {"branch": [IMG]}},
        ],
    )
    _cli(cfg, data, tmp / "out")
    return tmp / "out"


# ------------------------------------------------------------------ escaping
class _Live(HTMLParser):
    """Elements a crafted label could have injected: scripts that alert, ``on*`` handlers."""

    def __init__(self):
        super().__init__()
        self.live, self.text, self._tag = [], [], ""

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        handlers = [k for k, _ in attrs if k.lower().startswith("on")]
        if handlers:
            self.live.append((tag, handlers))

    def handle_data(self, data):
        if self._tag == "script" and "alert(" in data:
            self.live.append(("script", data[:60]))
        self.text.append(data)


def test_labels_from_the_data_are_text_never_markup(hostile):
    pages = sorted(p for p in hostile.glob("*.html") if not p.name.startswith("."))
    assert len(pages) == 3  # the overview, the branch scorecard and the index
    shown = {}
    for page in pages:
        p = _Live()
        p.feed(page.read_text(encoding="utf-8"))
        assert not p.live, (page.name, p.live)
        shown[page.name] = "".join(p.text)
    overview = next(t for n, t in shown.items() if n.startswith("overview"))
    branch = next(t for n, t in shown.items() if n.startswith("branch"))
    assert f"one segment ({SCRIPT})" in overview  # the sentence, with the label as text
    assert IMG in branch


def test_md_inline_escapes_values_and_keeps_the_catalogue_marks():
    from cxmodels.reports.widgets import md_inline

    out = md_inline(f"**{SCRIPT}** and *{IMG}* `cxmodels validate`")
    assert "<script>" not in out and "<img" not in out
    assert out.startswith("<b>&lt;script&gt;") and "<i>&lt;img" in out
    assert "<code>cxmodels validate</code>" in out


def test_workbook_text_from_the_data_is_never_a_formula(tmp_path):
    import openpyxl
    import pandas as pd

    df = pd.DataFrame({"segment": ['=HYPERLINK("http://x","y")', "a"], "n": [1, 2]})
    path = cx.export_tables({"t": df}, tmp_path / "t.xlsx")
    cell = openpyxl.load_workbook(path)["t"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# ------------------------------------------------------------------ bidirectional text
def test_each_number_is_its_own_isolate():
    with i18n.language("fa"):
        text = i18n.localize_digits("بازهٔ اطمینان 95%: -35.8 تا -24.1")
        isolated = i18n.isolate_ltr(text)
    assert re.findall(r'<bdi dir="ltr">(.*?)</bdi>', isolated) == ["۹۵٪", "-۳۵٫۸", "-۲۴٫۱"]
    assert isolated.index("۹۵٪") < isolated.index("-۳۵٫۸")  # the label is read first


@pytest.mark.parametrize(
    "band, en, fa",
    [
        ("30-44", "30\u201344", "۳۰ تا ۴۴"),
        ("1h-4h", "1h\u20134h", "۱ ساعت تا ۴ ساعت"),
        ("0min-1h", "0min\u20131h", "۰ دقیقه تا ۱ ساعت"),
        ("over 24h", "over 24h", "بیش از ۲۴ ساعت"),
        ("60+", "60+", "۶۰ و بیشتر"),
        ("2025-12-31", "2025-12-31", "2025-12-31"),
    ],
)
def test_bands_read_as_ranges(band, en, fa):
    assert i18n.range_words(band) == en
    with i18n.language("fa"):
        assert i18n.range_words(band) == fa


def test_persian_figure_bands_ticks_titles_and_arrows():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    grid = pd.DataFrame(
        {"age_band": ["18-29", "30-44", "45-59"], "value": [1.0, 2.0, 3.0]}
        | {"ci_low": [0.5, 1.5, 2.5], "ci_high": [1.5, 2.5, 3.5]}
    )
    kano = pd.DataFrame(
        {"feature": ["a", "b"], "dys_mean": [1.0, 2.0], "fun_mean": [0.5, 3.0]}
        | {k: [0.2, 0.3] for k in ("dys_sd", "fun_sd", "dys_se", "fun_se")}
    )
    with i18n.language("fa"):
        ax = cx.plots.forest(grid, "value", "ci_low", "ci_high", "age_band", ref=0, log=False)
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        k = cx.plots.kano_dumouchel(kano)
        xl, yl = k.get_xlabel(), k.get_ylabel()
    plt.close("all")
    assert "۳۰ تا ۴۴" in ticks and not [t for t in ticks if re.search(r"\d-\d|[۰-۹]-[۰-۹]", t)]
    assert xl.endswith("→)") and yl.endswith("→)")  # along the axes, as in English


def test_model_figure_titles_in_persian():
    d = cx.generate(800, seed=3)
    with i18n.language("fa"):
        rt = cx.effects.response_time_effect(d)
        ax = rt.plot()
        title, xlabel = ax.get_title(), ax.get_xlabel()
    assert not LATIN.search(title.replace("overall_sat", "")) and "overall" not in title
    assert not LATIN.search(xlabel), xlabel


# ------------------------------------------------------------------ workbooks
def test_persian_workbooks_right_to_left_with_persian_headers(persian):
    import openpyxl

    out, source = persian
    books = sorted(out.glob("*_fa.xlsx"))
    assert len(books) == 2
    for book in books:
        wb = openpyxl.load_workbook(book)
        assert re.search("[\u0600-\u06ff]", wb.sheetnames[0]), wb.sheetnames
        for ws in wb.worksheets:
            assert ws.sheet_view.rightToLeft, (book.name, ws.title)
            head = [str(c.value) for c in next(ws.iter_rows(max_row=1)) if c.value is not None]
            if ws is wb.worksheets[0]:  # the cover: names in its first column
                head = [str(r[0]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0]]
            latin = {w for h in head for w in LATIN.findall(h)} - ACRONYMS - {book.stem}
            assert not latin, (book.name, ws.title, latin)
            assert all(re.search("[\u0600-\u06ff]|^p$|^[A-Z0-9 ()²]+$", h) for h in head), head


# ------------------------------------------------------------------ a real browser
PROBE = """<script>window.addEventListener('load', function () {
  var all = function (sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); };
  var skip = all('code, style, script');
  skip.forEach(function (e) { e.setAttribute('data-cx-skip', '1'); });
  var clone = document.body.cloneNode(true);
  Array.prototype.slice.call(clone.querySelectorAll('[data-cx-skip]')).forEach(function (e) { e.remove(); });
  var dir = function (sel) { return all(sel).map(function (e) {
    var s = getComputedStyle(e); return [e.textContent.trim().slice(0, 40), s.direction, s.textAlign]; }); };
  var signed = all('bdi').filter(function (b) {
    var t = b.firstChild;
    return t && t.nodeType === 3 && /^[-+\u2212]./.test(t.data) && b.getClientRects().length;
  }).map(function (b) {  // a signed number reads left to right: its sign is left of its digits
    var t = b.firstChild, first = document.createRange(), last = document.createRange();
    first.setStart(t, 0); first.setEnd(t, 1); last.setStart(t, t.length - 1); last.setEnd(t, t.length);
    return [t.data, first.getBoundingClientRect().left < last.getBoundingClientRect().left];
  });
  var labelled = all('bdi').filter(function (b) {  // "95%: -35.8": the level, then its bound
    var gap = b.nextSibling, bound = b.nextElementSibling;
    return /[%\u066a]$/.test(b.textContent) && gap && gap.nodeType === 3 &&
      gap.data.trim() === ':' && bound && bound.tagName === 'BDI' && b.getClientRects().length;
  }).map(function (b) {
    var bound = b.nextElementSibling;
    return [b.textContent + ': ' + bound.textContent,
            b.getBoundingClientRect().left > bound.getBoundingClientRect().right - 1];
  });
  var intervals = all('td').filter(function (td) {  // "0.72 (0.62 to 0.84)" in a table cell
    return td.querySelectorAll('bdi').length === 3 && /\\(.*\u062a\u0627.*\\)/.test(td.textContent);
  }).map(function (td) {  // read right to left: the estimate, then the low bound, then the high
    var x = Array.prototype.map.call(td.querySelectorAll('bdi'), function (b) {
      return b.getBoundingClientRect().left; });
    return [td.textContent.trim(), x[0] > x[1] && x[1] > x[2]];
  });
  document.body.setAttribute('data-check', JSON.stringify({signed: signed, labelled: labelled,
    intervals: intervals,
    text: document.body.innerText, visible: clone.textContent,
    paragraphs: dir('p'), tables: dir('table'), findings: dir('.cx-finding p, .cx-caveat p')}));
});</script>"""


def _browse(page: Path, profile: Path, shot: Path) -> dict:
    import html as html_

    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    try:
        r = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"]
            + ["--virtual-time-budget=5000", f"--screenshot={shot}", "--dump-dom", probe.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    m = re.search(r'data-check="([^"]+)"', r.stdout)
    assert m, r.stderr[-2000:]
    return json.loads(html_.unescape(m.group(1)))


@pytest.mark.browser
def test_persian_pages_in_chromium_are_persian_and_right_to_left(persian, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    out, source = persian
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page in sorted(out.glob("*_fa.html")):
        shot = SCREENSHOTS / f"persian_{page.stem}.png"
        check = _browse(page, tmp_path / page.stem, shot)
        assert shot.exists() and shot.stat().st_size > 10_000, page.name
        text = check["visible"].replace(page.stem, "")
        latin = sorted({w for w in LATIN.findall(text) if w not in ACRONYMS} - {source})
        assert not latin, (page.name, latin)
        assert len(check["paragraphs"]) > 5 and check["tables"] and check["findings"]
        ltr = [p for p in check["paragraphs"] + check["tables"] if p[1] != "rtl"]
        assert not ltr, (page.name, ltr[:5])
        left = [p for p in check["findings"] if p[2] not in ("right", "start")]
        assert not left, (page.name, left[:5])
        assert check["signed"], page.name
        if page.stem == "overview_fa":  # the KPI tiles: "95%: low to high"
            assert check["labelled"], page.name
        assert check["intervals"], page.name
        wrong = [n for n, ok in check["signed"] + check["labelled"] + check["intervals"] if not ok]
        assert not wrong, (page.name, wrong[:5])


def test_figure_numbers_are_isolated_and_the_privacy_gate_reads_through():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from cxmodels.reports.privacy import privacy_hits

    grid = pd.DataFrame({"band": ["a", "b"], "e": [-1.0, 1.0], "lo": [-2.0, 0.5], "hi": [0.0, 2.0]})
    with i18n.language("fa"):
        ax = cx.plots.forest(grid, "e", "lo", "hi", "band", ref=0, log=False, title="x -35.8 y")
        page = i18n.isolate_ltr("تلفن +44 7700 138650")
    plt.close("all")
    assert f"{i18n.LRI}-۳۵٫۸{i18n.PDI}" in ax.get_title()
    assert privacy_hits(page, set()) == ["+44 7700 138650"]


def test_a_dollar_in_a_label_from_the_data_is_not_mathtext():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    grid = pd.DataFrame(
        {"segment": ["$\\notacommand$ & <b>", "b"], "e": [1.0, 2.0], "lo": [0.5, 1.5]}
        | {"hi": [1.5, 2.5]}
    )
    ax = cx.plots.forest(grid, "e", "lo", "hi", "segment", ref=0, log=False, title="$\\x$")
    data, _ = cx.plots.figure_bundle(ax)  # draws the figure: mathtext would raise here
    assert data["image/png"] and "&lt;b&gt;" not in data["text/html"]


def test_persian_heatmap_colour_scale_in_persian_digits():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    grid = pd.DataFrame(
        {"segment": ["a", "a", "b", "b"], "wave": ["w1", "w2", "w1", "w2"]}
        | {"value": [-20.0, 10.0, 5.0, -3.0], "small": [False] * 4}
    )
    with i18n.language("fa"):
        ax = cx.plots.heatmap(grid, "segment", "wave", title="NPS")
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in ax.collections[0].colorbar.ax.get_yticklabels()]
    plt.close("all")
    assert ticks and not [t for t in ticks if re.search("[0-9]", t)], ticks
