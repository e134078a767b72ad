"""Report regeneration (issue 6) and every notebook under papermill on small data."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxmodels as cx
from cxmodels import reports
from tests.test_runner import tiny as _tiny  # one tiny-notebook writer for both files

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def small_data(saved_1500):
    return saved_1500  # cx.generate(1500, seed=5), saved once per session (conftest)


def _config(path: Path, entries: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 300}, "reports": entries}))
    return path


TEMPLATES = ROOT / "src" / "cxmodels" / "templates"
BRANCH = {"branch": ["B01"]}


def _entry(name: str, notebook: Path, **parameters) -> dict:
    return {"name": name, "notebook": str(notebook), "parameters": parameters}


@pytest.fixture(scope="module")
def built(tmp_path_factory, small_data):
    """Every notebook with its defaults and with other parameters, on small data."""
    tmp = tmp_path_factory.mktemp("run")
    cfg = _config(
        tmp / "reports.yaml",
        [
            {
                "name": "overview",
                "notebook": str(NB / "00_cx_overview.ipynb"),
                "parameters": {"bootstrap": 30},
            },
            {
                "name": "overview_{segment}_{outcome}",
                "notebook": str(NB / "00_cx_overview.ipynb"),
                "parameters": {"bootstrap": 30},
                "matrix": {"segment": ["premium"], "outcome": ["churn_within"]},
            },
            {
                "name": "drivers",
                "notebook": str(NB / "01_satisfaction_drivers.ipynb"),
                "parameters": {"bootstrap": 30},
            },
            {
                "name": "drivers_nps",
                "notebook": str(NB / "01_satisfaction_drivers.ipynb"),
                "parameters": {
                    "outcome": "nps",
                    "model": "ordinal",
                    "segment": "consumer",
                    "drivers": [
                        "attr_product_quality",
                        "attr_value_for_money",
                        "attr_delivery_reliability",
                    ],
                },
            },
            {"name": "churn", "notebook": str(NB / "02_churn_survival.ipynb")},
            {
                "name": "churn_{segment}_{unit}",
                "notebook": str(NB / "02_churn_survival.ipynb"),
                "parameters": {"horizon": 26},
                "matrix": {"segment": ["consumer"], "unit": ["weeks"]},
            },
            {
                "name": "kano",
                "notebook": str(NB / "03_kano_analysis.ipynb"),
                "parameters": {"bootstrap": 50},
            },
            {
                "name": "kano_{rule}_{table}",
                "notebook": str(NB / "03_kano_analysis.ipynb"),
                "parameters": {"bootstrap": 50},
                "matrix": {"rule": ["moai"], "table": ["pouliot"]},
            },
            _entry("chain", NB / "04_satisfaction_loyalty_chain.ipynb", bootstrap=50),
            _entry("value", NB / "05_value_of_loyalty.ipynb", bootstrap=20),
            _entry("voice", NB / "06_voice_of_customer.ipynb", bootstrap=20),
            _entry("service_profit_chain", NB / "07_service_profit_chain.ipynb"),
            {**_entry("branch_{branch}", TEMPLATES / "branch_scorecard.ipynb"), "matrix": BRANCH},
        ],
    )
    out = tmp / "reports"
    t = time.perf_counter()
    outcome = reports.run(
        cfg, data=str(small_data), out_dir=out, jobs=2, progress=False, quiet=True
    )
    return outcome, out, cfg, small_data, time.perf_counter() - t


def test_every_notebook_runs_with_defaults_and_variants(built):
    outcome, out, *_ = built
    assert outcome.ok, outcome.failures.to_string()
    assert set(outcome.table["status"]) == {"ok"}
    for name in outcome.table["report"]:
        assert (out / f"{name}.html").exists() and (out / "_notebooks" / f"{name}.ipynb").exists()


def test_html_has_no_code_no_parameters_and_is_offline(built):
    outcome, out, *_ = built
    for name in outcome.table["report"]:
        page = (out / f"{name}.html").read_text()
        assert "import cxmodels" not in page and "cx.fit_" not in page
        assert (
            'class="highlight hl-ipython3"' not in page and 'class="jp-CodeMirrorEditor' not in page
        )
        assert "papermill injects" not in page and "injected-parameters" not in page.replace(
            "-->", ""
        )
        assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']https?://""", page), name
        for part in ("cx-header", "cx-footer", "cx-toc"):
            assert re.search(rf"""class=["']{part}["']""", page), (name, part)
        assert "<img" in page  # figures inline


def test_reports_contain_findings_in_words(built):
    _, out, *_ = built
    drivers = (out / "drivers.html").read_text()
    assert "leads: it accounts for" in drivers and "basic factor" in drivers
    churn = (out / "churn.html").read_text()
    assert "churn hazard by" in churn and "Out of sample" in churn
    overview = (out / "overview.html").read_text()
    assert "Following up within 14 days" in overview
    assert "must-be" in (out / "kano.html").read_text()


def test_no_identifiers_in_any_html(built, small_data):
    outcome, out, *_ = built
    c = pd.read_parquet(small_data / "customers.parquet")
    for name in outcome.table["report"]:
        page = (out / f"{name}.html").read_text()
        tokens = set(re.findall(r"[A-Za-z0-9_.+@-]{5,}", reports.DATA_URI_RE.sub("", page)))
        assert not tokens & set(c["customer_id"]), name
        assert not reports.EMAIL_RE.search(reports.DATA_URI_RE.sub("", page)), name


def test_second_run_skips_everything(built):
    _, out, cfg, small_data, _ = built
    again = reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True)
    assert set(again.table["status"]) == {
        "skipped"
    }  # its speed is measured in bench/bench_reports.py
    index = (out / "index.html").read_text()
    for name in again.table["report"]:
        assert f"href='{name}.html'" in index


def test_failure_is_isolated_and_keeps_last_good_html(tmp_path, small_data):
    good = _tiny(tmp_path / "good.ipynb", ["print(value * 2)"])
    show = "import pandas as pd\nfrom cxmodels import reports as rp\n"
    show += "rp.show_table(pd.DataFrame({'n_customers': [value, 2000]}), 'kpis')"
    flaky = _tiny(tmp_path / "flaky.ipynb", ["print('version one')", show])
    cfg = _config(
        tmp_path / "r.yaml",
        [{"name": "good", "notebook": str(good)}, {"name": "flaky", "notebook": str(flaky)}],
    )
    out = tmp_path / "out"
    first = reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True)
    assert first.ok
    before, book = (out / "flaky.html").read_bytes(), (out / "flaky.xlsx").read_bytes()
    assert not (out / "good.xlsx").exists()  # no table shown, no workbook
    _tiny(
        flaky,
        [
            "print('version two')",
            "raise ValueError('segment premium has no answers')",
            show.replace("2000", "3000"),
        ],
    )
    second = reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True)
    assert not second.ok
    row = second.table.set_index("report").loc["flaky"]
    assert row["status"] == "failed" and row["exception"] == "ValueError"
    # the failing cell as Jupyter shows it in the kept notebook: In [4] (after the injected parameters)
    assert "segment premium has no answers" in row["message"] and row["cell"] == 4
    assert second.table.set_index("report").loc["good", "status"] == "skipped"
    assert (out / "flaky.html").read_bytes() == before  # the last good report stays
    assert (out / "flaky.xlsx").read_bytes() == book  # and its workbook
    failed_nb = json.loads((out / "_notebooks" / "flaky.failed.ipynb").read_text())
    assert any(
        o.get("ename") == "ValueError" for c in failed_nb["cells"] for o in c.get("outputs", [])
    )
    index = (out / "index.html").read_text()
    assert "ValueError" in index


def test_cli_exit_code_and_failure_table(tmp_path, small_data, monkeypatch, capsys):
    bad = _tiny(tmp_path / "bad.ipynb", ["1 / 0"])
    cfg = _config(tmp_path / "r.yaml", [{"name": "bad", "notebook": str(bad)}])
    monkeypatch.setenv("CXMODELS_ROOT", str(tmp_path))
    from cxmodels.cli import main

    code = main(["report", "--config", str(cfg), "--data", str(small_data), "--jobs", "1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and "bad" in err
    assert (tmp_path / "reports" / "_notebooks" / "bad.failed.ipynb").exists()


def test_timeout_is_enforced_from_outside(tmp_path, small_data):
    slow = _tiny(tmp_path / "slow.ipynb", ["import time\ntime.sleep(120)"])
    cfg = _config(tmp_path / "r.yaml", [{"name": "slow", "notebook": str(slow), "timeout": 8}])
    t = time.perf_counter()
    res = reports.run(
        cfg, data=str(small_data), out_dir=tmp_path / "out", progress=False, quiet=True
    )
    assert res.table["status"][0] == "timeout" and time.perf_counter() - t < 60
    assert not (tmp_path / "out" / "slow.html").exists()


def test_privacy_check_refuses_identifiers(tmp_path, small_data):
    leak = _tiny(
        tmp_path / "leak.ipynb",
        ["import cxmodels as cx\nprint(cx.open_data(data_path).customers['customer_id'].iloc[0])"],
    )
    mail = _tiny(tmp_path / "mail.ipynb", ["print('write to jane.doe@example.org')"])
    cfg = _config(
        tmp_path / "r.yaml",
        [{"name": "leak", "notebook": str(leak)}, {"name": "mail", "notebook": str(mail)}],
    )
    res = reports.run(
        cfg, data=str(small_data), out_dir=tmp_path / "out", progress=False, quiet=True
    )
    t = res.table.set_index("report")
    assert (t["exception"] == "PrivacyCheck").all()
    assert not (tmp_path / "out" / "leak.html").exists()


def test_privacy_check_refuses_comments_unless_asked(tmp_path, small_data):
    code = (
        "import cxmodels as cx\n"
        "r = cx.open_data(data_path).responses\n"
        "print(r['comment_disliked'].dropna().iloc[0])"
    )
    nb = _tiny(tmp_path / "comments.ipynb", [code])
    cfg = _config(
        tmp_path / "r.yaml",
        [
            {"name": "hidden", "notebook": str(nb)},
            {"name": "shown", "notebook": str(nb), "parameters": {"show_comments": True}},
        ],
    )
    res = reports.run(
        cfg, data=str(small_data), out_dir=tmp_path / "out", progress=False, quiet=True
    )
    t = res.table.set_index("report")
    assert (
        t.loc["hidden", "exception"] == "PrivacyCheck" and "comment" in t.loc["hidden", "message"]
    )
    assert t.loc["shown", "status"] == "ok"


def test_config_errors(tmp_path):
    cfg = _config(tmp_path / "r.yaml", [{"name": "x", "notebook": "notebooks/nope.ipynb"}])
    with pytest.raises(ValueError, match="does not exist"):
        reports.load_config(cfg)
    cfg = _config(
        tmp_path / "r2.yaml",
        [
            {
                "name": "same",
                "notebook": str(NB / "03_kano_analysis.ipynb"),
                "matrix": {"rule": ["mode", "moai"]},
            }
        ],
    )
    with pytest.raises(ValueError, match="names repeat"):
        reports.load_config(cfg)
    specs = reports.load_config(ROOT / "reports.yaml")
    assert len({s.name for s in specs}) == len(specs) >= 8


# ------------------------------------------------------------------ a real browser
#: Injected before ``</body>``: what a presenter would see, measured once the page has loaded.
PROBE = """<script>window.addEventListener('load', function () {
  var W = document.documentElement.clientWidth;
  var all = function (sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); };
  var text = function (e) { return e.textContent.trim(); };
  var tables = all('table');
  var over = tables.filter(function (t) {
    var p = t.parentElement, r = t.getBoundingClientRect();
    return t.scrollWidth > t.clientWidth + 1 || (p && p.scrollWidth > p.clientWidth + 1) || r.right > W + 1;
  }).map(function (t) { return text(t.querySelector('caption') || t.querySelector('th') || t).slice(0, 60); });
  var imgs = Array.prototype.slice.call(document.images);
  document.body.setAttribute('data-check', JSON.stringify({
    tables: tables.length, overflow: over, images: imgs.length,
    decoded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    alts: imgs.map(function (i) { return i.getAttribute('alt') || ''; }),
    headings: all('h1, h2').map(text), cells: all('td').map(text), heads: all('th').map(text),
    columns: all('div.cx-sheet table').map(function (t) {
      var sheet = t.closest('div.cx-sheet').getAttribute('data-sheet');
      var rows = Array.prototype.slice.call(t.querySelectorAll('tbody tr'));
      return Array.prototype.slice.call(t.querySelectorAll('thead th')).map(function (h, j) {
        return {sheet: sheet, head: text(h), cells: rows.map(function (r) {
          return r.children[j] ? text(r.children[j]) : ''; })};
      });
    }),
    text: document.body.innerText,
    resources: performance.getEntriesByType('resource').map(function (e) { return e.name; })}));
});</script>"""
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
SCREENSHOTS = ROOT / "reports" / "_screenshots"  # gitignored; CI keeps them as artefacts
RAW_REPRS = ("<Axes", "array(", "dtype:", "<Figure", "<DisplayTable", "<matplotlib")
SNAKE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)+")
EXPONENT = re.compile(r"\d[eE][-+]?\d")


def _chromium(page: Path, profile: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _browse(page: Path, profile: Path, shot: Path) -> dict:
    """One Chromium run: a 1280 x 900 screenshot and the probe's measurements."""
    import html as html_

    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    try:
        r = _chromium(
            probe,
            profile,
            "--window-size=1280,900",
            "--virtual-time-budget=5000",
            f"--screenshot={shot}",
            "--dump-dom",
        )
    finally:
        probe.unlink()
    m = re.search(r'data-check="([^"]+)"', r.stdout)
    assert m, r.stderr[-2000:]
    return {**json.loads(html_.unescape(m.group(1))), "stderr": r.stderr, "shot": shot}


@pytest.fixture(scope="module")
def browsed(built, tmp_path_factory):
    """Every report of the built set and the index, opened once in headless Chromium."""
    from concurrent.futures import ThreadPoolExecutor

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    _, out, *_ = built
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_factory.mktemp("chromium")
    pages = sorted(p for p in out.glob("*.html") if not p.name.startswith("."))
    with ThreadPoolExecutor(3) as pool:
        found = pool.map(lambda p: _browse(p, tmp / p.stem, SCREENSHOTS / f"{p.stem}.png"), pages)
        return {p.stem: c for p, c in zip(pages, found)}


@pytest.mark.browser
def test_pages_render_offline_with_headings_and_screenshots(built, browsed):
    outcome, *_ = built
    assert set(browsed) == {*outcome.table["report"], "index"}
    for name, check in browsed.items():
        assert check["shot"].exists() and check["shot"].stat().st_size > 10_000, name
        assert not [u for u in check["resources"] if not u.startswith("data:")], name
        assert "net::ERR" not in check["stderr"], name
        if name == "index":
            assert "cxmodels reports" in check["headings"]
        else:
            assert len(check["headings"]) >= 2 and check["images"] >= 1, name
            assert name.startswith("branch") or len(check["headings"]) >= 6, name


@pytest.mark.browser
def test_no_table_overflows_its_page(browsed):
    over = {n: c["overflow"] for n, c in browsed.items() if c["overflow"]}
    assert sum(c["tables"] for c in browsed.values()) > 80
    assert not over, over


@pytest.mark.browser
def test_every_image_decoded_with_its_own_alt_text(browsed):
    for name, check in browsed.items():
        assert check["decoded"] == check["images"], name
        bad = [a for a in check["alts"] if len(a) < 10 or "No description" in a]
        assert not bad, (name, bad)


@pytest.mark.browser
def test_no_raw_reprs_exponents_or_snake_case_headers(browsed):
    for name, check in browsed.items():
        assert not [r for r in RAW_REPRS if r in check["text"]], name
        assert not [c for c in check["cells"] if EXPONENT.search(c)], name
        assert not [h for h in check["heads"] if SNAKE.fullmatch(h)], name
        assert "No description has been provided" not in check["text"], name


PYTHON_TEXT = re.compile(r"UserWarning|Traceback|Warning:|DeprecationWarning|FutureWarning")
LONG_DECIMALS = re.compile(r"[\d\u06f0-\u06f9][.\u066b][\d\u06f0-\u06f9]{7,}")


@pytest.mark.browser
def test_no_python_warnings_long_decimals_or_raw_names_on_any_page(browsed):
    for name, check in browsed.items():
        assert not PYTHON_TEXT.search(check["text"]), (name, PYTHON_TEXT.search(check["text"]))
        found = LONG_DECIMALS.findall(check["text"] + " ".join(check["cells"]))
        assert not found, (name, found[:5])
        raw = [a for a in check["alts"] if re.search(r"\b[a-z]+_[a-z_]+\b", a)]
        assert not raw, (name, raw)  # figures describe columns by label: no "overall_sat"


def _workbook_columns(path: Path) -> dict[tuple[str, str], list]:
    """``{(sheet, header): [cell values]}`` of a report's workbook."""
    import openpyxl

    out = {}
    for ws in openpyxl.load_workbook(path, read_only=True):
        rows = list(ws.iter_rows(values_only=True))
        for j, head in enumerate(rows[0] if rows else ()):
            out[(ws.title, str(head))] = [r[j] for r in rows[1:] if j < len(r)]
    return out


def _differ(values: list) -> bool:
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(nums) == len(values) and nums:
        return max(nums) - min(nums) > 1e-9 * max(1.0, abs(max(nums)))
    return len({str(v) for v in values if v is not None}) > 1


@pytest.mark.browser
def test_no_column_reads_alike_while_its_values_differ(built, browsed):
    """A column whose every cell reads the same (``0`` on every decile) while the workbook's
    exact values differ hides the numbers."""
    outcome, out, *_ = built
    checked, alike = 0, []
    for name in outcome.table["report"]:
        book = _workbook_columns(out / f"{name}.xlsx")
        for table in browsed[name]["columns"]:
            for col in table:
                head = col["head"].removesuffix(" (95% CI)")
                values = book.get((col["sheet"], head))
                if values is None or len(col["cells"]) < 2:
                    continue
                checked += 1
                same = len(set(col["cells"])) == 1 and not col["cells"][0].startswith("<")
                if same and _differ(values):  # "< 0.001" on every row is a bound, not a value
                    alike.append((name, col["sheet"], head, col["cells"][0]))
    assert checked > 200
    assert not alike, alike


# ------------------------------------------------------------------ stated numbers and workbooks
def _sheets(page: str) -> dict[str, list[dict[str, str]]]:
    """``{sheet: [column -> cell text per row]}`` of the tables shown in a report page; column
    blocks of a wide table are joined back on their first column."""
    import html as html_

    out: dict[str, list[dict[str, str]]] = {}
    for name, inner in re.findall(
        r'<div class="cx-sheet" data-sheet="([^"]*)">(.*?)</div></div>', page, flags=re.S
    ):
        rows: list[dict[str, str]] = []
        for block in re.findall(r"<table.*?</table>", inner, flags=re.S):
            heads = [html_.unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", block)]
            body = re.findall(r"<tr>(.*?)</tr>", block.split("<tbody>")[-1], flags=re.S)
            for i, tr in enumerate(body):
                cells = [html_.unescape(c) for c in re.findall(r"<td(?:\s[^>]*)?>(.*?)</td>", tr)]
                if len(rows) <= i:
                    rows.append({})
                rows[i].update(zip(heads, cells))
        out[html_.unescape(name)] = rows
    return out


def _shown(df, **kw) -> list[dict[str, str]]:
    frame = cx.display_table(df, **kw).frame
    return [dict(zip(frame.columns, map(str, r))) for r in frame.itertuples(index=False)]


def test_reports_state_their_own_outcome_and_segment(built, small_data):
    """Two outcomes and two segments: every number checked is recomputed here by the package."""
    _, out, *_ = built
    full = cx.open_data(small_data)
    premium = full.subset(segment="premium")
    page = (out / "overview_premium_churn_within.html").read_text()
    effect = cx.follow_up_effect(
        premium, window_days=14, outcome="churn_within", bootstrap=30, seed=1
    )
    assert _sheets(page)["Follow-up effect"] == _shown(effect.table)
    assert html.escape(list(effect.findings())[0]) in page
    nps = cx.metrics.kpis(premium, min_n=30).set_index("metric").loc["nps"]
    assert re.search(rf"""<div class=["']v["']>{cx._format.fmt_num(nps["value"], 1)}</div>""", page)
    # a one-segment report compares no segments, and says so
    assert "NPS is highest in" not in page and "covers one segment (premium)" in page
    base = (out / "overview.html").read_text()  # overall satisfaction, every segment
    assert "NPS is highest in" in base and "against none, on overall satisfaction" in base
    assert "against none, on churn within the horizon" in page
    # drivers: NPS in the consumer segment (penalty-reward too), against overall_sat for all
    drivers = ["attr_product_quality", "attr_value_for_money", "attr_delivery_reliability"]
    consumer = full.subset(segment="consumer")
    cols = ["driver", "penalty", "reward", "impact_asymmetry", "classification"]
    for name, data, outcome, drv in (
        ("drivers_nps", consumer, "nps", drivers),
        ("drivers", full, "overall_sat", None),
    ):
        page = (out / f"{name}.html").read_text()
        pr = cx.penalty_reward(data, outcome, drv)
        assert _sheets(page)["Penalty and reward"] == _shown(pr.table[cols]), name
    nps_page = (out / "drivers_nps.html").read_text()
    assert "overall satisfaction" not in nps_page.split("Asymmetric effects")[-1].lower()
    assert f"{len(consumer.responses):,} survey answers" in nps_page
    # churn in weeks for one segment: the cohort sentence and the hazard table
    page = (out / "churn_consumer_weeks.html").read_text()
    table = cx.survival_table(consumer, unit="weeks")
    assert f"{len(table):,} customers followed" in page
    fit = cx.fit_churn(table, ["overall_sat", "loyalty_member", "followed_up"], unit="weeks")
    sheet = next(v for k, v in _sheets(page).items() if k.startswith("Hazard model"))
    main = next(iter(fit.summary().tables.values()))
    assert sheet == _shown(main)


def _number(text: str) -> float | None:
    m = re.match(r"^<?\s*([-+\u2212]?[\d,]*\.?\d+)(%?)", text.strip())
    if not m:
        return None
    return float(m.group(1).replace(",", "").replace("\u2212", "-"))


def _same_number(text: str, value: float, number_format: str, where) -> int:
    """Assert that a cell's ``value`` shows as ``text`` (to the decimals shown); 1 if checked."""
    got = _number(text)
    assert got is not None, (*where, text, value)
    scale = 100 if number_format.endswith("0%") or number_format.endswith(".0%") else 1
    if text.strip().startswith("<"):
        assert value * scale < got, (*where, text, value)
        return 1
    dec = re.search(r"\.(\d+)", text.split(" (")[0])
    tol = 0.5 * 10.0 ** -(len(dec.group(1)) if dec else 0) + 1e-9
    assert abs(value * scale - got) <= tol, (*where, text, value)
    return 1


def test_every_report_has_its_workbook_with_the_html_numbers(built):
    import openpyxl

    outcome, out, *_ = built
    checked = 0
    for name in outcome.table["report"]:
        page = (out / f"{name}.html").read_text()
        shown = _sheets(page)
        assert shown, name
        assert re.search(rf"""href=["']{name}.xlsx["']""", page), name  # linked from the header
        wb = openpyxl.load_workbook(out / f"{name}.xlsx")
        names = [html.unescape(n) for n in re.findall(r'data-sheet="([^"]*)"', page)]
        assert wb.sheetnames == ["About", *names] and set(shown) <= set(names), name
        about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r[0]}
        assert "data: customers" in about and "cxmodels" in about, name
        for sheet, rows in shown.items():
            ws = wb[sheet]
            assert ws.freeze_panes == "A2", (name, sheet)
            values = list(ws.iter_rows())
            heads, cells = [c.value for c in values[0]], values[1:]
            assert len(cells) == len(rows) or rows and "" in rows[0], (name, sheet)
            for j, h in enumerate(heads):
                for html_row, xl_row in zip(rows, cells):
                    txt = html_row.get(h, html_row.get(f"{h} (95% CI)"))
                    v, fmt = xl_row[j].value, xl_row[j].number_format
                    if txt is None or not isinstance(v, int | float) or isinstance(v, bool):
                        continue
                    checked += _same_number(txt, v, fmt, (name, sheet, h))
    assert checked > 500
    index = (out / "index.html").read_text()
    assert all(f"href='{n}.xlsx'" in index for n in outcome.table["report"])


def test_parameters_cells_parse_completely_with_a_language():
    import papermill as pm

    for path in sorted(NB.glob("*.ipynb")):
        book = json.loads(path.read_text())
        cell = next(c for c in book["cells"] if "parameters" in c["metadata"].get("tags", []))
        assigned = re.findall(r"^(\w+)\s*=", "".join(cell["source"]), flags=re.M)
        params = pm.inspect_notebook(str(path))
        assert list(params) == assigned, path.name
        assert params["language"]["default"] == '"en"', path.name
        assert all(p["default"] not in (None, "") for p in params.values()), path.name
        code = "".join(
            "".join(c["source"])
            for c in book["cells"]
            if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])
        )
        assert code.count("rp.setup(language=language)") == 1, path.name
        assert "overall_sat" not in code, path.name
        assert "plt.show()" not in code and "Markdown(f" not in code, path.name
        assert all(not c.get("outputs") for c in book["cells"]), path.name


def test_setup_and_catalogue_sentences():
    import matplotlib

    from cxmodels import i18n

    en, fa = (i18n.catalogue(x) for x in ("en", "fa"))
    mine = {k for k in en if k.startswith("nb.")}
    assert mine and mine == {k for k in fa if k.startswith("nb.")}
    try:
        reports.setup(language="fa", dpi=90)
        assert i18n.get_language() == "fa" and matplotlib.rcParams["figure.dpi"] == 90
        assert reports.widgets.horizon_label(12, "months") == "۱۲ ماه"
    finally:
        reports.setup(language="en")
        matplotlib.rcParams["figure.dpi"] = 100
    assert reports.widgets.horizon_label(12, "months") == "12 months"


def test_cli_out_folder_and_config_error(tmp_path, small_data, capsys):
    from cxmodels.cli import main

    good = _tiny(tmp_path / "good.ipynb", ["print(value)"])
    cfg = _config(tmp_path / "r.yaml", [{"name": "good", "notebook": str(good)}])
    assert (
        main(
            [
                "report",
                "--config",
                str(cfg),
                "--data",
                str(small_data),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    assert (tmp_path / "o" / "good.html").exists() and (tmp_path / "o" / "index.html").exists()
    assert main(["report", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "No report configuration" in capsys.readouterr().err


def test_many_simultaneous_kernel_starts_hold(tmp_path, small_data):
    """IPC transport with a connection file per run: 8 kernels starting at once do not collide
    (over TCP they can hang on ports: papermill issue 511)."""
    entries = []
    for i in range(8):
        nb = _tiny(tmp_path / f"n{i}.ipynb", [f"print({i} * value)"])
        entries.append({"name": f"n{i}", "notebook": str(nb), "timeout": 120})
    cfg = _config(tmp_path / "r.yaml", entries)
    res = reports.run(
        cfg, data=str(small_data), out_dir=tmp_path / "out", jobs=8, progress=False, quiet=True
    )
    assert res.ok and (res.table["status"] == "ok").all()


def test_overlapping_runs_are_refused(tmp_path, small_data):
    import fcntl

    good = _tiny(tmp_path / "good.ipynb", ["print(value)"])
    cfg = _config(tmp_path / "r.yaml", [{"name": "good", "notebook": str(good)}])
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".cxmodels-report.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(reports.RunInProgress, match="another report run"):
            reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True)
    assert reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True).ok
