"""Report runner on the user's own data and under faults (issue 25): one way in (the runner reads
data as ``cxmodels validate`` does), one-line errors, parameters checked before any report,
nothing of a failed report published, kernels in a scratch folder, notebooks without ``fcntl``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cxmodels as cx

from .test_runner import QUIET, config, tiny

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    return cx.save(cx.generate(600, seed=3), tmp_path_factory.mktemp("data") / "small")


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
