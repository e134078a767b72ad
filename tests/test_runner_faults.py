"""Report runner on the user's own data and under faults (issue 25): one way in (the runner reads
data as ``cxmodels validate`` does), one-line errors, parameters checked before any report,
nothing of a failed report published, kernels in a scratch folder, notebooks without ``fcntl``."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import cli, reports
from cxmodels.cli import main

from .test_runner import QUIET, config, tiny

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_data(saved_600):
    return saved_600  # cx.generate(600, seed=3), saved once per session (conftest)


def _env(*paths: Path) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, paths), str(ROOT / "src")])}


# ------------------------------------------------------------------ Windows: no fcntl
def test_notebook_helpers_and_a_serial_render_need_no_fcntl(tmp_path, small_data):
    site = tmp_path / "site"  # every process of the run (parent, template, kernel) lacks fcntl
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['fcntl'] = None\n")
    nb = tiny(
        tmp_path / "t.ipynb",
        [
            "from cxmodels import reports as rp\nrp.setup()\ndisplay(rp.finding(f'value is {value}'))"
        ],
    )
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    out = tmp_path / "out"
    code = textwrap.dedent(
        f"""
        import sys
        from cxmodels import reports as rp
        assert sys.modules["fcntl"] is None
        res = rp.run({str(cfg)!r}, data={str(small_data)!r}, out_dir={str(out)!r},
                     executor="serial", progress=False, quiet=True)
        assert res.ok, res.table.to_dict("records")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(site), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "value is 1" in (out / "t.html").read_text(encoding="utf-8")
    assert not (out / ".cxmodels-report.lock").exists()  # the lock file is gone with the run


def test_without_fork_the_runner_says_so_in_one_line(monkeypatch):
    monkeypatch.delattr(os, "fork")
    for value in (None, "serial", "process:2", "dask+local:2"):
        with pytest.raises(reports.ConfigError, match="forks its kernels.*WSL, Linux or macOS"):
            reports.parse_executor(value)
    assert str(reports.parse_executor("dask://10.0.0.1:8786")) == "dask://10.0.0.1:8786"


# ------------------------------------------------------------------ one way in
def _european_csv(folder: Path, data) -> Path:
    """A European Excel's CSV export: Windows-1252, semicolons, decimal commas, day-first dates."""
    folder.mkdir(parents=True)
    for name, df in data.tables.items():
        if df is None:
            continue
        df = df.copy()
        if name == "customers":  # a character Windows-1252 writes as one byte UTF-8 cannot read
            df["region"] = df["region"].replace({"south": "Süd", "north": "Nördlich"})
        df.to_csv(
            folder / f"{name}.csv",
            sep=";",
            decimal=",",
            encoding="cp1252",
            index=False,
            date_format="%d/%m/%Y",
        )
    meta = {"encoding": "cp1252", "decimal": ",", "date_format": "%d/%m/%Y"}
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


def _excel(folder: Path, data) -> Path:
    """An Excel export: a title row above headers written as words ("Customer ID")."""
    folder.mkdir(parents=True)
    for name, df in data.tables.items():
        if df is None:
            continue
        df = df.rename(columns=lambda c: c.replace("_", " ").title())
        with pd.ExcelWriter(folder / f"{name}.xlsx") as xl:
            pd.DataFrame([[f"{name} export"]]).to_excel(xl, header=False, index=False)
            df.to_excel(xl, startrow=2, index=False)
    return folder


@pytest.fixture(scope="module")
def world():
    return cx.generate(400, seed=5)


@pytest.fixture(scope="module")
def exports(tmp_path_factory, world):
    base = tmp_path_factory.mktemp("exports")
    return {"csv": _european_csv(base / "csv", world), "excel": _excel(base / "excel", world)}


@pytest.mark.parametrize("kind", ["csv", "excel"])
def test_the_privacy_gate_and_matrix_all_read_user_exports_as_validate(
    tmp_path, exports, world, kind
):
    path = exports[kind]
    n = len(world.customers)
    ids = reports.identifier_values(path)
    assert len(ids & set(world.customers["customer_id"])) == n  # every customer id looked for
    assert len(ids) == 3 * n  # ids, emails and phones
    assert len(reports.identifier_values(path, ("customer_id",))) == n
    nb = tiny(tmp_path / "b.ipynb", ["print(branch)"], "data_path = None\nbranch = None")
    entry = {"name": "b_{branch}", "notebook": str(nb), "matrix": {"branch": "all"}}
    specs = reports.load_config(config(tmp_path / "r.yaml", [entry]), data=str(path))
    want = sorted(world.customers["branch_id"].dropna().unique())
    assert [s.parameters["branch"] for s in specs] == want and len(want) > 3


def test_an_identifier_in_persian_digits_is_caught(exports):
    ids = reports.identifier_values(exports["csv"])
    first = sorted(i for i in ids if i.startswith("C"))[0]  # C0000001
    persian = first.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert reports.privacy_hits(f"<td>{persian}</td>", ids) == [first]


def test_the_runner_reads_data_with_cx_load(exports, monkeypatch):
    path = exports["csv"]
    mine = reports.load_data(str(path))
    theirs = cx.load(path)
    for name, df in theirs.tables.items():
        if df is None:
            assert mine.tables.get(name) is None
        else:
            pd.testing.assert_frame_equal(mine.tables[name], df)
    calls = []  # the same function: cxmodels.data.load, looked up when the runner reads
    original = cx.data.load
    monkeypatch.setattr(cx.data, "load", lambda p, **kw: calls.append(p) or original(p, **kw))
    (path / "meta.json").touch()  # a changed file is read again
    os.utime(path / "meta.json", ns=(1, 1))
    reports.load_data(str(path))
    assert calls == [path]


def test_refused_data_stops_the_run_with_one_line_and_exit_2(tmp_path, exports, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in exports["csv"].iterdir():
        if f.name != "meta.json":  # without it the decimal commas are not numbers
            (bad / f.name).write_bytes(f.read_bytes())
    (bad / "responses.csv").write_bytes(b"\x00\x01garbage;;\n" * 3)
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    out = tmp_path / "out"
    cmd = ["report", "--config", str(cfg), "--data", str(bad), "--out", str(out)]
    assert main([*cmd, "--only", "t"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "cxmodels validate refuses it" in err and str(bad) in err
    assert not (out / "t.html").exists()


# ------------------------------------------------------------------ one-line errors
@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("reports: []\n", "'reports' lists no report"),
        ("defaults: {timeout: 60}\nreports:\n", "'reports' lists no report"),
    ],
)
def test_empty_configuration_is_one_line_and_exit_2(tmp_path, capsys, text, message):
    cfg = tmp_path / "r.yaml"
    cfg.write_text(text)
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and str(cfg) in err


@pytest.mark.parametrize(
    "entries, name",
    [
        ([{"name": "index"}], "index"),
        ([{"name": "Index"}], "Index"),  # index.html on a case-insensitive file system
        ([{"name": "t_{value}", "matrix": {"value": ["index"]}}], "t_index"),
        ([{"name": "t"}, {"name": "t.failed"}], "t.failed"),
    ],
)
def test_names_that_would_overwrite_the_runs_own_files_are_refused(tmp_path, capsys, entries, name):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"], "data_path = None\nvalue = 'text'")
    entries = [{**e, "notebook": str(nb)} for e in entries]
    cfg = config(tmp_path / "r.yaml", entries)
    reserved = name in ("index", "Index", "t.failed")
    out = tmp_path / "o"
    if not reserved:  # a matrix value giving t_index is an ordinary name
        assert [s.name for s in reports.load_config(cfg)] == [name]
        return
    assert main(["report", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"report name {name!r} is reserved" in err
    assert not (out / "index.html").exists()


def test_names_differing_only_in_case_repeat(tmp_path):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(
        tmp_path / "r.yaml",
        [{"name": "T", "notebook": str(nb)}, {"name": "t", "notebook": str(nb)}],
    )
    with pytest.raises(reports.ConfigError, match="report names repeat"):
        reports.load_config(cfg)


def _busy_kernel(parent: subprocess.Popen, ready=lambda: True, timeout: float = 240) -> None:
    """Wait until a kernel (a process forked by a template) runs under ``parent`` and
    ``ready()`` holds, then a moment more (the kernel is in its cell)."""
    from .test_runner import _alive, _descendants

    def template(pid: int) -> bool:
        try:
            return b"cxmodels.reports.kernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    def ppid(pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return 0

    end = time.time() + timeout
    while time.time() < end:
        kernels = [p for p in _alive(_descendants(parent.pid)) if template(p) and template(ppid(p))]
        if kernels and ready():
            time.sleep(3)
            return
        time.sleep(0.5)
    raise AssertionError("no kernel started")


@pytest.mark.parametrize("executor", ["serial", "process:1"])
def test_ctrl_c_is_one_line_and_exit_130(tmp_path, small_data, executor):
    from .test_runner import HANG

    hang = tiny(tmp_path / "hang.ipynb", [HANG])
    cfg = config(tmp_path / "r.yaml", [{"name": "hang", "notebook": str(hang), "timeout": 300}])
    cmd = [sys.executable, "-m", "cxmodels.cli", "report", "--config", str(cfg)]
    cmd += ["--data", str(small_data), "--out", str(tmp_path / "out"), "--executor", executor]
    parent = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _busy_kernel(parent)
        os.killpg(parent.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole foreground group
        _, err = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    said = cli.INTERRUPTED.format(how="interrupted (Ctrl-C)")
    assert [line for line in err.splitlines() if line.strip()] == [said]


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"bootstrap": -1}, "takes a number of 0 or more (its default is 300), got -1"),
        ({"bootstrap": "many"}, "takes a number (its default is 300), got 'many'"),
        ({"features": "delivery"}, None),  # None default: anything goes to the notebook
        ({"rule": ["mode"]}, "takes one value (text)"),
    ],
)
def test_parameter_values_are_checked_against_the_notebook(tmp_path, parameters, message):
    entry = {"name": "k", "notebook": "notebooks/03_kano_analysis.ipynb", "parameters": parameters}
    cfg = config(tmp_path / "r.yaml", [entry])
    if message is None:
        assert reports.load_config(cfg)[0].parameters == parameters
        return
    with pytest.raises(reports.ConfigError) as err:  # the notebook resolves from the project
        reports.load_config(cfg)
    key = next(iter(parameters))
    assert message in str(err.value)
    assert f"{cfg}: report 1 (k), key '{key}'" in str(err.value)


def test_matrix_values_are_checked_too(tmp_path):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(
        tmp_path / "r.yaml",
        [{"name": "t{value}", "notebook": str(nb), "matrix": {"value": [1, "x"]}}],
    )
    with pytest.raises(reports.ConfigError, match="key 'value': t.ipynb takes a number"):
        reports.load_config(cfg)


def test_kano_without_bootstrap_renders(tmp_path, small_data):
    entry = {"name": "k0", "notebook": str(ROOT / "notebooks/03_kano_analysis.ipynb")}
    cfg = config(tmp_path / "r.yaml", [{**entry, "parameters": {"bootstrap": 0}}])
    res = reports.run(cfg, data=str(small_data), out_dir=tmp_path / "o", executor="serial", **QUIET)
    assert res.ok, res.table[["exception", "message"]].to_dict("records")
    assert "kano" in (tmp_path / "o" / "k0.html").read_text(encoding="utf-8").lower()


# ------------------------------------------------------------------ nothing of a failed report
SHOW = "import pandas as pd\nfrom cxmodels import reports as rp\nrp.setup()\n"
SHOW += "rp.show_table(pd.DataFrame({'n_customers': [value, 2000]}), 'kpis')"


def test_full_disk_publishes_nothing_of_the_failed_report(tmp_path, small_data, monkeypatch):
    from cxmodels.reports import state

    nb = tiny(tmp_path / "t.ipynb", [SHOW])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    out = tmp_path / "out"
    run = {"data": str(small_data), "out_dir": out, "executor": "serial", **QUIET}
    assert reports.run(cfg, **run).ok
    good = {p: p.read_bytes() for p in (out / "t.html", out / "t.xlsx", out / "_notebooks/t.ipynb")}
    cfg = config(
        tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb), "parameters": {"value": 7}}]
    )
    fdopen = os.fdopen

    def full_disk(fd, *args, **kw):  # the page's write finds the disk full
        if os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[1].startswith(".t.html."):
            os.close(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return fdopen(fd, *args, **kw)

    monkeypatch.setattr(state.os, "fdopen", full_disk)
    res = reports.run(cfg, **run)
    monkeypatch.undo()
    assert res.table["status"].tolist() == ["failed"]
    assert "No space left on device" in res.table["message"][0]
    for p, content in good.items():  # the last good page, workbook and notebook stay
        assert p.read_bytes() == content, p.name
    assert not [p.name for p in out.rglob(".*.tmp")]


def test_a_failing_duckdb_report_leaves_no_temp_folder(tmp_path, small_data, monkeypatch):
    # a temporary folder of this test's own: other processes on the machine (another test run,
    # a DuckDB load) make and remove their own cxmodels-duckdb-* folders in the shared /tmp
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    code = f"import tempfile\nassert tempfile.gettempdir().startswith({str(private)!r})\n"
    code += "import cxmodels as cx\nd = cx.open_data(data_path, engine='duckdb')\n"
    code += "print(d.count('customers'))\nraise ValueError('boom')"
    nb = tiny(tmp_path / "d.ipynb", [code])
    cfg = config(tmp_path / "r.yaml", [{"name": "d", "notebook": str(nb)}])
    res = reports.run(cfg, data=str(small_data), out_dir=tmp_path / "o", executor="serial", **QUIET)
    assert res.table["exception"].tolist() == ["ValueError"]
    assert not list(private.rglob("*"))  # no DuckDB folder, no kernel temp folder left


def test_a_relative_write_lands_in_a_scratch_folder_removed_after(tmp_path, small_data):
    code = "import os\nopen('stray.txt', 'w').write('x')\nprint(os.getcwd())"
    nb = tiny(tmp_path / "w.ipynb", [code])
    cfg = config(tmp_path / "r.yaml", [{"name": "w", "notebook": str(nb)}])
    out = tmp_path / "o"
    res = reports.run(cfg, data=str(small_data), out_dir=out, executor="serial", **QUIET)
    assert res.ok
    executed = (out / "_notebooks" / "w.ipynb").read_text(encoding="utf-8")
    assert str(out / "_scratch" / "w") in executed  # the kernel worked inside the output folder
    assert not (ROOT / "stray.txt").exists() and not (Path.cwd() / "stray.txt").exists()
    assert not (out / "_scratch").exists()


def test_after_sigterm_the_manifest_and_index_are_true(tmp_path, small_data):
    from .test_runner import HANG

    quick = tiny(tmp_path / "q.ipynb", ["print(value)"])
    hang = tiny(tmp_path / "hang.ipynb", [HANG])
    entries = [{"name": f"q{i}", "notebook": str(quick)} for i in range(3)]
    cfg = config(tmp_path / "r.yaml", [*entries, {"name": "hang", "notebook": str(hang)}])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cxmodels.cli", "report", "--config", str(cfg)]
    cmd += ["--data", str(small_data), "--out", str(out), "--executor", "serial"]
    parent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        pages = [out / f"q{i}.html" for i in range(3)]
        _busy_kernel(parent, lambda: all(p.exists() for p in pages))  # the fourth report hangs
        parent.send_signal(signal.SIGTERM)
        _, err = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == cli.INTERRUPTED.format(how="stopped by SIGTERM")
    published = sorted(p.stem for p in out.glob("*.html") if p.name != "index.html")
    assert published == ["q0", "q1", "q2"]
    manifest = json.loads((out / "_manifest.json").read_text())
    assert all(manifest[n]["status"] == "ok" for n in published) and "hang" not in manifest
    index = (out / "index.html").read_text(encoding="utf-8")
    for n in published:
        row = re.search(rf"<tr><td><a href='{n}.html'>.*?</tr>", index).group(0)
        assert "not run" not in row and "st-ok" in row
    assert not (out / "_scratch").exists()


def test_a_loader_bug_is_one_line_too(tmp_path, small_data, monkeypatch, capsys):
    def broken(path, **kw):
        raise RuntimeError("something broke\nsecond line")

    from cxmodels.reports.privacy import forget_data

    forget_data()  # nothing read before this test answers for the loader
    monkeypatch.setattr(cx.data, "load", broken)
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    cmd = ["report", "--config", str(cfg), "--data", str(small_data), "--out", str(tmp_path)]
    assert main(cmd) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        f"error: data {small_data}: cxmodels validate cannot read it: unexpected RuntimeError: "
        "something broke (please report this as a cxmodels bug)"
    ]
