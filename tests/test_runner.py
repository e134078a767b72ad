"""Report runner under faults and typos (issue 19): paths, kills, config schema, state files,
concurrency, permissions, --data, privacy inside figures, --only. Tiny notebooks in tmp folders."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from cxmodels import reports
from cxmodels.cli import main
from cxmodels.reports import state

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"
QUIET = {"progress": False, "quiet": True}


@pytest.fixture(scope="module")
def small_data(saved_600):
    return saved_600  # cx.generate(600, seed=3), saved once per session (conftest)


def tiny(path: Path, cells: list[str], params: str = "data_path = None\nvalue = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), p] + [
        nbformat.v4.new_code_cell(c) for c in cells
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def config(path: Path, entries: list, **top) -> Path:
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 120}, "reports": entries, **top}))
    return path


# ------------------------------------------------------------------ paths
@pytest.mark.parametrize("name", ["../../etc/x", "/etc/x", "a/b", "..", ".hidden", "a b", "x..y"])
def test_unsafe_report_names_are_refused(tmp_path, name):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": name, "notebook": str(nb)}])
    with pytest.raises(reports.ConfigError, match="refused"):
        reports.load_config(cfg)


def test_matrix_values_are_slugged_into_one_component(tmp_path):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"], "data_path = None\nvalue = 'text'")
    cfg = config(
        tmp_path / "r.yaml",
        [{"name": "t_{value}", "notebook": str(nb), "matrix": {"value": ["../../etc", "a b"]}}],
    )
    names = [s.name for s in reports.load_config(cfg)]
    assert names == ["t_etc", "t_a-b"]
    assert [s.parameters["value"] for s in reports.load_config(cfg)] == ["../../etc", "a b"]


def test_every_write_resolves_inside_the_output_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "link.html").symlink_to(tmp_path / "elsewhere" / "x.html")
    with pytest.raises(reports.OutputError, match="outside"):
        state.inside(out, "link.html")
    for bad in ("../x.html", "/etc/x.html"):
        with pytest.raises(reports.OutputError, match="outside"):
            state.inside(out, bad)
    assert state.inside(out, "_notebooks", "a.ipynb") == out.resolve() / "_notebooks" / "a.ipynb"


# ------------------------------------------------------------------ configuration typos
TYPOS = [
    ({"paramters": {"value": 2}}, "unknown key 'paramters' (did you mean 'parameters'?)"),
    ({"timout": 5}, "unknown key 'timout' (did you mean 'timeout'?)"),
    ({"matrx": {"value": [1]}}, "unknown key 'matrx' (did you mean 'matrix'?)"),
    ({"parameters": {"valeu": 2}}, "has no parameter 'valeu' (did you mean 'value'?)"),
    ({"matrix": {"value": 3}}, "matrix values are lists"),
    ({"timeout": "ten minutes"}, "key 'timeout'"),
    ({"parameters": {"data_path": "x"}}, "set by the runner"),
    ({"name": "t_{valu}"}, "did you mean 'value'"),
]


@pytest.mark.parametrize("extra, message", TYPOS)
def test_config_typos_are_refused_naming_file_report_and_key(tmp_path, extra, message, capsys):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    entry = {"name": "t", "notebook": str(nb), **extra}
    cfg = config(tmp_path / "r.yaml", [entry])
    with pytest.raises(reports.ConfigError) as err:
        reports.load_config(cfg)
    assert message in str(err.value) and str(cfg) in str(err.value)
    assert "report 1" in str(err.value)
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "t.html").exists()


def test_top_level_and_defaults_typos(tmp_path, capsys):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = tmp_path / "r.yaml"
    cfg.write_text(yaml.safe_dump({"defualts": {"data": "x"}, "reports": [{"notebook": str(nb)}]}))
    with pytest.raises(reports.ConfigError, match=r"'defualts' \(did you mean 'defaults'\?\)"):
        reports.load_config(cfg)
    cfg.write_text(yaml.safe_dump({"defaults": {"timout": 3}, "reports": []}))
    with pytest.raises(reports.ConfigError, match=r"defaults: unknown key 'timout'"):
        reports.load_config(cfg)
    cfg.write_text("reports:\n  - name: [unclosed\n")
    with pytest.raises(reports.ConfigError, match=r"not valid YAML \(line \d+"):
        reports.load_config(cfg)
    assert main(["report", "--config", str(cfg)]) == 2
    cfg.write_text(yaml.safe_dump({"reports": [{"name": "x"}]}))
    with pytest.raises(reports.ConfigError, match="report 1 \\(x\\): missing key 'notebook'"):
        reports.load_config(cfg)
    cfg.write_text(yaml.safe_dump(["not", "a", "mapping"]))
    with pytest.raises(reports.ConfigError, match="must be a mapping"):
        reports.load_config(cfg)
    with pytest.raises(reports.ConfigError, match="executor 'proces:2'"):
        reports.parse_executor("proces:2")


def test_default_config_and_notebook_parameters_are_valid():
    specs = reports.load_config(ROOT / "reports.yaml")
    assert len({s.name for s in specs}) == len(specs) >= 8
    import papermill as pm

    for s in specs:  # every parameter of the default set is declared by its notebook
        assert set(s.parameters) <= set(pm.inspect_notebook(str(s.notebook)))
    for nb in {s.notebook for s in specs}:  # papermill parses every line of the parameters cell
        cell = next(
            c for c in nbformat.read(nb, 4).cells if "parameters" in c.metadata.get("tags", [])
        )
        assigned = re.findall(r"^(\w+)\s*=", cell.source, flags=re.M)
        assert list(pm.inspect_notebook(str(nb))) == assigned, nb.name


def test_matrix_all_expands_from_the_data(tmp_path, small_data):
    nb = tiny(tmp_path / "b.ipynb", ["print(branch)"], "data_path = None\nbranch = None")
    cfg = config(
        tmp_path / "r.yaml",
        [{"name": "b_{branch}", "notebook": str(nb), "matrix": {"branch": "all"}}],
    )
    specs = reports.load_config(cfg, data=str(small_data))
    want = sorted(pd.read_parquet(small_data / "customers.parquet")["branch_id"].dropna().unique())
    assert [s.parameters["branch"] for s in specs] == want and len(want) > 3


# ------------------------------------------------------------------ --data and --only
def test_relative_data_is_read_from_the_current_directory(tmp_path, small_data, monkeypatch):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    monkeypatch.chdir(small_data.parent)
    specs = reports.load_config(cfg, data=small_data.name)
    assert specs[0].data == str(small_data.resolve())
    with pytest.raises(reports.ConfigError, match="does not exist"):
        reports.load_config(cfg, data="no_such_folder")
    assert main(["report", "--config", str(cfg), "--data", "no_such_folder"]) == 2


def test_only_takes_exact_names_and_globs(tmp_path, capsys):
    specs = reports.load_config(ROOT / "reports.yaml")
    one = reports.select(specs, ["01_satisfaction_drivers"])
    assert [s.name for s in one] == ["01_satisfaction_drivers"]
    both = {s.name for s in reports.select(specs, ["01_*"])}
    # 01_satisfaction_drivers, its nps/ordinal variant and the Persian edition (issue 17)
    assert both == {s.name for s in specs if s.name.startswith("01_")} and len(both) == 3
    with pytest.raises(reports.ConfigError, match="did you mean '03_kano_analysis'"):
        reports.select(specs, ["03_kano_analyss"])


# ------------------------------------------------------------------ state files
@pytest.mark.parametrize("content", ['{"t": {"fingerprint": "ab', "[1, 2]", '{"t": null}', "\x00"])
def test_corrupt_manifest_is_moved_aside_and_the_run_proceeds(tmp_path, small_data, content):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    out = tmp_path / "out"
    out.mkdir()
    (out / "_manifest.json").write_text(content)
    with pytest.warns(UserWarning, match="_manifest.json was unreadable"):
        res = reports.run(cfg, data=str(small_data), out_dir=out, executor="serial", **QUIET)
    assert res.ok and res.table["status"].tolist() == ["ok"]
    assert (out / "_manifest.json.corrupt").read_text() == content
    assert json.loads((out / "_manifest.json").read_text())["t"]["status"] == "ok"


def test_unwritable_files_are_one_clear_error_and_nothing_partial(tmp_path, small_data):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}])
    out = tmp_path / "out"
    out.mkdir()
    (out / "_notebooks").write_text("a file where the folder should be")
    res = reports.run(cfg, data=str(small_data), out_dir=out, executor="serial", **QUIET)
    row = res.table.iloc[0]
    assert row["status"] == "failed" and row["exception"] == "OutputError"
    assert "_notebooks" in row["message"]
    assert not (out / "t.html").exists()
    assert not list(out.rglob("*.tmp"))
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    with pytest.raises(reports.OutputError, match="blocked"):
        reports.run(cfg, data=str(small_data), out_dir=blocked / "sub", **QUIET)
    code = main(["report", "--config", str(cfg), "--out", str(blocked / "sub")])
    assert code == 1


@pytest.mark.slow
def test_concurrent_sample_generation_is_serialised(tmp_path):
    env = {**os.environ, "CXMODELS_ROOT": str(tmp_path)}
    code = "from cxmodels.reports import state; import cxmodels as cx; state.ensure_sample(); cx.load_sample()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    assert (tmp_path / "data" / "sample" / "truth.json").exists()
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".sample-")]


# ------------------------------------------------------------------ privacy
def test_email_as_a_segment_label_is_caught_inside_a_figure(tmp_path, small_data):
    cells = [
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\n"
        "ax.bar(['jane.doe@example.org', 'other'], [1, 2]);"
    ]
    nb = tiny(tmp_path / "fig.ipynb", cells)
    cfg = config(tmp_path / "r.yaml", [{"name": "fig", "notebook": str(nb)}])
    out = tmp_path / "out"
    res = reports.run(cfg, data=str(small_data), out_dir=out, executor="serial", **QUIET)
    row = res.table.iloc[0]
    assert row["exception"] == "PrivacyCheck" and "inside a figure" in row["message"]
    assert "jane.doe" not in row["message"]  # the message names kinds, never the value
    assert not (out / "fig.html").exists()
    failed = (out / "_notebooks" / "fig.failed.ipynb").read_text()
    assert "jane.doe@example.org" not in failed and "[withheld]" in failed
    assert "jane.doe" not in (out / "index.html").read_text()


def test_blocked_report_keeps_no_identifier_in_its_failed_notebook(tmp_path, small_data):
    code = "import cxmodels as cx\nprint(cx.open_data(data_path).customers['customer_id'].iloc[0])"
    nb = tiny(tmp_path / "leak.ipynb", [code])
    cfg = config(tmp_path / "r.yaml", [{"name": "leak", "notebook": str(nb)}])
    out = tmp_path / "out"
    res = reports.run(cfg, data=str(small_data), out_dir=out, executor="serial", **QUIET)
    assert res.table.iloc[0]["exception"] == "PrivacyCheck"
    first_id = pd.read_parquet(small_data / "customers.parquet")["customer_id"].iloc[0]
    failed = (out / "_notebooks" / "leak.failed.ipynb").read_text()
    assert first_id not in failed and "withheld" in failed


# ------------------------------------------------------------------ kills
HANG = "x = 0\nwhile True:\n    x += 1"


def _descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pids) -> set[int]:
    alive = set()
    for p in pids:
        try:
            st = (Path("/proc") / str(p) / "stat").read_text()
        except OSError:
            continue
        if st.rsplit(")", 1)[1].split()[0] != "Z":
            alive.add(p)
    return alive


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_parent_leaves_nothing_behind(tmp_path, small_data, sig):
    hang = tiny(tmp_path / "hang.ipynb", [HANG])
    cfg = config(tmp_path / "r.yaml", [{"name": "hang", "notebook": str(hang), "timeout": 300}])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cxmodels.cli", "report", "--config", str(cfg)]
    cmd += ["--data", str(small_data), "--out", str(out), "--executor", "process:1"]
    parent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    family: set[int] = set()
    while time.time() < deadline:  # wait until the kernel is busy in the hanging cell
        family |= _descendants(parent.pid)
        if len(family) >= 3 and any(
            "ipykernel" in (Path("/proc") / str(p) / "cmdline").read_text(errors="ignore")
            or _cpu(p) > 50
            for p in _alive(family)
        ):
            break
        time.sleep(0.5)
    time.sleep(2)
    family |= _descendants(parent.pid)
    assert len(family) >= 3, family  # worker, template, kernel
    parent.send_signal(sig)
    parent.wait(timeout=30)
    end = time.time() + 20
    while _alive(family) and time.time() < end:
        time.sleep(0.2)
    assert not _alive(family), "processes left behind"
    assert not (out / "hang.html").exists()
    assert not list(Path("/tmp").glob(f"cxmodels-run-{parent.pid}-*")) or sig == signal.SIGKILL
    ok = tiny(tmp_path / "hang.ipynb", ["print(value)"])  # the next run proceeds at once
    assert ok.exists()
    res = reports.run(cfg, data=str(small_data), out_dir=out, executor="serial", **QUIET)
    assert res.ok
    for p in family:
        assert not list(Path("/tmp").glob(f"cxmodels-run-{p}-*"))


def _cpu(pid: int) -> float:
    try:
        a = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[11])
        time.sleep(0.2)
        b = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[11])
    except (OSError, IndexError, ValueError):
        return 0.0
    return (b - a) / os.sysconf("SC_CLK_TCK") / 0.2 * 100


def test_timeout_kills_a_hanging_kernel_serial_and_process(tmp_path, small_data):
    hang = tiny(tmp_path / "hang.ipynb", [HANG])
    cfg = config(tmp_path / "r.yaml", [{"name": "hang", "notebook": str(hang), "timeout": 4}])
    for ex in ("serial", "process:1"):
        t = time.perf_counter()
        res = reports.run(
            cfg, data=str(small_data), out_dir=tmp_path / ex, executor=ex, force=True, **QUIET
        )
        assert res.table.iloc[0]["status"] == "timeout", res.table.to_dict("records")
        assert time.perf_counter() - t < 40
        assert not (tmp_path / ex / "hang.html").exists()


# ------------------------------------------------------------------ executors
def test_warm_kernels_isolate_reports(tmp_path, small_data):
    """Each report gets a fresh kernel: a name defined by one report is unknown to the next."""
    a = tiny(tmp_path / "a.ipynb", ["leak = 42", "import os; print(os.getcwd())"])
    b = tiny(tmp_path / "b.ipynb", ["print(leak)"])
    cfg = config(
        tmp_path / "r.yaml", [{"name": "a", "notebook": str(a)}, {"name": "b", "notebook": str(b)}]
    )
    res = reports.run(cfg, data=str(small_data), out_dir=tmp_path / "o", executor="serial", **QUIET)
    t = res.table.set_index("report")
    assert t.loc["a", "status"] == "ok" and t.loc["b", "exception"] == "NameError"


def _small_set(tmp_path: Path) -> Path:
    nb = tiny(
        tmp_path / "seg.ipynb",
        [
            "import cxmodels as cx\n"
            "d = cx.open_data(data_path)\n"
            "c = d.customers if segment == 'all' else d.customers[d.customers.segment == segment]\n"
            "print(f'{segment}: {len(c)} customers')"
        ],
        "data_path = None\nsegment = 'all'",
    )
    return config(
        tmp_path / "r.yaml",
        [{"name": "seg_{segment}", "notebook": str(nb), "matrix": {"segment": "all"}}],
    )


def _texts(out: Path) -> dict:
    return {
        p.stem: [
            "".join(o.get("text", ""))
            for c in json.loads(p.read_text())["cells"]
            for o in c.get("outputs", [])
        ]
        for p in sorted((out / "_notebooks").glob("*.ipynb"))
    }


def test_dask_local_cluster_renders_like_process_pool(tmp_path, small_data):
    pytest.importorskip("distributed")
    cfg = _small_set(tmp_path)
    a = reports.run(
        cfg, data=str(small_data), out_dir=tmp_path / "p", executor="process:2", **QUIET
    )
    b = reports.run(
        cfg, data=str(small_data), out_dir=tmp_path / "d", executor="dask+local:2", **QUIET
    )
    assert a.ok and b.ok and len(a.table) >= 3
    assert a.table[["report", "status"]].equals(b.table[["report", "status"]])
    assert _texts(tmp_path / "p") == _texts(tmp_path / "d")
    for name in a.table["report"]:
        assert (tmp_path / "d" / f"{name}.html").exists()


def test_dask_scheduler_address_on_loopback(tmp_path, small_data):
    """``dask://HOST:PORT``: a LocalCluster(n_workers=2, processes=True) on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    cfg = _small_set(tmp_path)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        res = reports.run(
            cfg, data=str(small_data), out_dir=tmp_path / "d", executor=f"dask://{address}", **QUIET
        )
    ref = reports.run(cfg, data=str(small_data), out_dir=tmp_path / "p", executor="serial", **QUIET)
    assert res.ok and ref.ok
    assert _texts(tmp_path / "d") == _texts(tmp_path / "p")


def test_dask_missing_gives_a_clear_message(monkeypatch, tmp_path, small_data):
    import builtins

    real = builtins.__import__

    def no_dask(name, *args, **kw):
        if name.startswith("distributed"):
            raise ImportError(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    cfg = _small_set(tmp_path)
    with pytest.raises(reports.ConfigError, match=r"pip install 'cxmodels\[dask\]'"):
        reports.run(
            cfg, data=str(small_data), out_dir=tmp_path / "o", executor="dask+local:1", **QUIET
        )


def test_executor_from_the_configuration_file(tmp_path, small_data, capsys):
    nb = tiny(tmp_path / "t.ipynb", ["print(value)"])
    cfg = config(tmp_path / "r.yaml", [{"name": "t", "notebook": str(nb)}], executor="serial")
    res = reports.run(cfg, data=str(small_data), out_dir=tmp_path / "o", **QUIET)
    assert res.ok
    assert str(reports.parse_executor("dask+local:3")) == "dask+local:3"
    assert reports.parse_executor(None, jobs=2) == reports.Executor("process", 2)
    bad = config(tmp_path / "b.yaml", [{"name": "t", "notebook": str(nb)}], executor="dask+lcal:2")
    assert main(["report", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "executor 'dask+lcal:2' is not one of serial" in capsys.readouterr().err


def test_a_kernel_lost_at_start_is_started_once_more(monkeypatch):
    """A kernel that dies before running a cell gets one fresh start; a cell's error does not."""
    import hashlib
    import importlib
    from types import SimpleNamespace

    r = importlib.import_module("cxmodels.reports.render")  # the module, not the function

    text = '{"cells": []}'
    rs = SimpleNamespace(
        spec=SimpleNamespace(name="one"),
        notebook_text=text,
        notebook_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    for first, calls_wanted in [
        ({"exception": "RuntimeError", "message": "Kernel died before replying"}, 2),
        ({"cell": 3, "exception": "ValueError", "message": "bad input"}, 1),
        ({"status": "timeout", "exception": "Timeout", "message": "no result"}, 1),
    ]:
        calls = []

        def fake(rs, work, out_nb, log, texts, first=first, calls=calls):
            calls.append(out_nb)
            return dict(first) if len(calls) == 1 else {"exception": "E", "message": "second"}

        monkeypatch.setattr(r, "_execute", fake)
        out = r.render(rs)
        assert len(calls) == calls_wanted, first
        assert out["status"] in ("failed", "timeout")
        assert out["message"] == ("second" if calls_wanted == 2 else first["message"])
