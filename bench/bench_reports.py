"""Report set timing (issue 6 targets).

- full default set (reports.yaml), cxmodels' runner vs the naive way (one `papermill` CLI plus one
  `jupyter nbconvert --to html --no-input` CLI per report, sequentially): target at least 2x faster
- a second run with nothing changed: target < 2 s
Runs into a temporary folder, so reports/ is left as it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cxmodels import reports
from cxmodels.config import project_root
from cxmodels.data import load_sample

ROOT = project_root()
BIN = Path(sys.executable).parent
load_sample()  # make sure data/sample exists
specs = reports.load_config(ROOT / "reports.yaml")

with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    t = time.perf_counter()
    res = reports.run(
        ROOT / "reports.yaml", out_dir=tmp / "fast", force=True, progress=False, quiet=True
    )
    fast = time.perf_counter() - t
    assert res.ok, res.failures
    t = time.perf_counter()
    again = subprocess.run(
        [
            str(BIN / "cxmodels"),
            "report",
            "--config",
            str(ROOT / "reports.yaml"),
            "--out",
            str(tmp / "fast"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    second = time.perf_counter() - t
    assert "skipped" in again.stdout and "  ok" not in again.stdout, again.stdout

    t = time.perf_counter()
    naive_dir = tmp / "naive"
    naive_dir.mkdir()
    for s in specs:  # the naive way: two command-line tools per report, one after the other
        params = {**s.parameters, "data_path": str(reports._data_path(s.data))}
        pfile = naive_dir / f"{s.name}.yaml"
        pfile.write_text(json.dumps(params))
        out_nb = naive_dir / f"{s.name}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(s.notebook),
                str(out_nb),
                "-f",
                str(pfile),
                "-k",
                "python3",
                "--cwd",
                str(ROOT),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out_nb)],
            check=True,
            capture_output=True,
        )
    naive = time.perf_counter() - t

print(
    f"full default set ({len(specs)} reports): {fast:.1f} s with cxmodels ({res.table['seconds'].sum():.0f} s "
    f"of report time on 2 workers); naive CLI way {naive:.1f} s; speed-up {naive / fast:.1f}x (target >= 2x)"
)
print(
    f"second run, nothing changed (`cxmodels report`, a fresh process): {second:.2f} s (target < 2 s)"
)
