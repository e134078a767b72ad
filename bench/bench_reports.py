"""Report set timing (issues 6, 18 and 19), side by side in one run; exits 1 on a missed target.

- the default set (reports.yaml, `--force`), cxmodels' runner (process:2, warm forked kernels)
  vs the naive way (one `papermill` CLI plus one `jupyter nbconvert --to html --no-input` CLI
  per report, one after the other): target at least 3x faster;
- a second run with nothing changed (`cxmodels report`, a fresh process): target < 2 s;
- 100 branch reports (`matrix: {branch: all}` over a world with 100 branches) with `process:2`
  and with `dask+local:2` (when dask is installed): both printed, no target between them.
Runs into a temporary folder, so reports/ is left as it is. ``--part default|branches`` runs one
half; ``--branches N`` sizes the fan-out world.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

import cxmodels as cx
from cxmodels import reports
from cxmodels.config import project_root
from cxmodels.reports.state import ensure_sample

ROOT = project_root()
BIN = Path(sys.executable).parent
TARGET_SPEEDUP, TARGET_SECOND = 3.0, 2.0


def naive(specs, folder: Path) -> float:
    """Two command-line tools per report, one after the other."""
    t = time.perf_counter()
    for s in specs:
        params = {**s.parameters, "data_path": str(reports.data_path(s.data))}
        pfile = folder / f"{s.name}.yaml"
        pfile.write_text(json.dumps(params))
        out_nb = folder / f"{s.name}.ipynb"
        cmd = [str(BIN / "papermill"), str(s.notebook), str(out_nb), "-f", str(pfile)]
        cmd += ["-k", "python3", "--cwd", str(ROOT), "--no-progress-bar"]
        subprocess.run(cmd, check=True, capture_output=True)
        cmd = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out_nb)]
        subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def timed_run(cfg: Path, out: Path, **kw) -> tuple[float, reports.RunOutcome]:
    t = time.perf_counter()
    res = reports.run(cfg, out_dir=out, force=True, progress=False, quiet=True, **kw)
    seconds = time.perf_counter() - t
    assert res.ok, res.failures.to_string()
    return seconds, res


def default_set(tmp: Path) -> bool:
    specs = reports.load_config(ROOT / "reports.yaml")
    fast, res = timed_run(ROOT / "reports.yaml", tmp / "fast", executor="process:2")
    print(f"default set ({len(specs)} reports), cxmodels process:2: {fast:.1f} s", flush=True)
    t = time.perf_counter()
    again = subprocess.run(
        [str(BIN / "cxmodels"), "report", "--out", str(tmp / "fast")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    second = time.perf_counter() - t
    assert "skipped" in again.stdout and "  ok" not in again.stdout, again.stdout
    (tmp / "naive").mkdir()
    slow = naive(specs, tmp / "naive")
    ratio = slow / fast
    print(
        f"default set ({len(specs)} reports): cxmodels process:2 {fast:.1f} s "
        f"({res.table['seconds'].sum():.0f} s of report time); naive CLI way {slow:.1f} s; "
        f"speed-up {ratio:.1f}x (target >= {TARGET_SPEEDUP:.0f}x)"
    )
    print(
        f"second run, nothing changed (a fresh process): {second:.2f} s (target < 2 s)", flush=True
    )
    return ratio >= TARGET_SPEEDUP and second < TARGET_SECOND


def branch_fan_out(tmp: Path, n_branches: int = 100) -> bool:
    data = cx.save(cx.generate(6000, seed=11, n_branches=n_branches), tmp / "branches")
    cfg = tmp / "branches.yaml"
    nb = Path(reports.__file__).parents[1] / "templates" / "branch_scorecard.ipynb"
    entry = {"name": "branch_{branch}", "notebook": str(nb), "matrix": {"branch": "all"}}
    cfg.write_text(yaml.safe_dump({"defaults": {"timeout": 600}, "reports": [entry]}))
    n = len(reports.load_config(cfg, data=str(data)))
    executors = ["process:2"]
    try:
        import distributed  # noqa: F401

        executors.append("dask+local:2")
    except ImportError:
        print("dask is not installed (pip install 'cxmodels[dask]'): dask+local:2 not timed")
    ok = True
    for ex in executors:
        t = time.perf_counter()
        res = reports.run(
            cfg,
            out_dir=tmp / ex.replace(":", "_"),
            force=True,
            progress=False,
            quiet=True,
            data=str(data),
            executor=ex,
        )
        seconds = time.perf_counter() - t
        failed = f"; {len(res.failures)} FAILED" if not res.ok else ""
        print(
            f"{n} branch reports, {ex}: {seconds:.1f} s ({seconds / n:.2f} s per report){failed}",
            flush=True,
        )
        if not res.ok:
            print(res.failures.to_string())
        ok &= res.ok
    return ok


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["all", "default", "branches"], default="all")
    ap.add_argument("--branches", type=int, default=100)
    args = ap.parse_args()
    ensure_sample()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("all", "default"):
            ok = default_set(Path(tmp))
        if args.part in ("all", "branches"):
            ok &= branch_fan_out(Path(tmp), args.branches)
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
