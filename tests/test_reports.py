"""Report regeneration (issue 6) and every notebook under papermill on small data."""

from __future__ import annotations

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
def small_data(tmp_path_factory):
    return cx.save(cx.generate(1500, seed=5), tmp_path_factory.mktemp("data") / "small")


def _config(path: Path, entries: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 300}, "reports": entries}))
    return path


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
    flaky = _tiny(tmp_path / "flaky.ipynb", ["print('version one')"])
    cfg = _config(
        tmp_path / "r.yaml",
        [{"name": "good", "notebook": str(good)}, {"name": "flaky", "notebook": str(flaky)}],
    )
    out = tmp_path / "out"
    first = reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True)
    assert first.ok
    before = (out / "flaky.html").read_bytes()
    _tiny(flaky, ["print('version two')", "raise ValueError('segment premium has no answers')"])
    second = reports.run(cfg, data=str(small_data), out_dir=out, progress=False, quiet=True)
    assert not second.ok
    row = second.table.set_index("report").loc["flaky"]
    assert row["status"] == "failed" and row["exception"] == "ValueError"
    # the failing cell as Jupyter shows it in the kept notebook: In [4] (after the injected parameters)
    assert "segment premium has no answers" in row["message"] and row["cell"] == 4
    assert second.table.set_index("report").loc["good", "status"] == "skipped"
    assert (out / "flaky.html").read_bytes() == before  # the last good report stays
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
CHECK = """<script>window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var res = performance.getEntriesByType('resource').map(function (e) { return e.name; });
  document.body.setAttribute('data-check', JSON.stringify({
    images: imgs.length, decoded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    headings: Array.prototype.map.call(document.querySelectorAll('h1, h2'), function (h) { return h.textContent.trim(); }),
    resources: res}));
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


def _chromium(page: Path, tmp: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("name", ["index", "drivers", "churn"])
def test_pages_render_in_headless_chromium(built, tmp_path, name):
    _, out, *_ = built
    page = out / f"{name}.html"
    shot = tmp_path / f"{name}.png"
    r = _chromium(page, tmp_path, "--window-size=1200,1800", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000, r.stderr[-2000:]
    probe = out / f".probe-{name}.html"
    probe.write_text(page.read_text().replace("</body>", CHECK + "</body>"))
    r = _chromium(probe, tmp_path, "--virtual-time-budget=5000", "--dump-dom")
    probe.unlink()
    m = re.search(r'data-check="([^"]+)"', r.stdout)
    assert m, r.stderr[-2000:]
    check = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert not [u for u in check["resources"] if not u.startswith("data:")], check["resources"]
    assert "net::ERR" not in r.stderr
    if name == "index":
        assert "cxmodels reports" in check["headings"]
    else:
        assert len(check["headings"]) >= 4 and check["images"] >= 3
        assert check["decoded"] == check["images"]


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
