"""The run: validate, select, lock, plan, render on an executor, publish, manifest and index."""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import importlib
import json
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._validation import did_you_mean
from ..config import reports_dir
from .config import (
    ConfigError,
    ReportSpec,
    config_executor,
    data_engine,
    load_config,
    load_data,
    parse_executor,
)
from .index import write_index
from .privacy import forget_data, private_values
from .state import (
    SCRATCH,
    OutputError,
    atomic_write,
    data_path,
    ensure_dir,
    ensure_sample,
    fingerprint,
    inside,
    publish,
    read_manifest,
    remove,
    run_lock,
    sweep_temp_dirs,
)

FAILED = ("failed", "timeout")


@dataclass
class RunOutcome:
    """What a report run did.

    Attributes
    ----------
    table : DataFrame
        One row per report: ``report``, ``notebook``, ``status`` (ok, skipped, failed,
        timeout), ``seconds``, ``cell`` (the failing cell's execution count, ``In [N]`` in the
        kept ``.failed.ipynb``), ``exception``, ``message``.
    index : Path
        ``index.html``.
    failures : DataFrame
        The failed or timed-out rows of ``table``.
    """

    table: Any
    index: Path
    failures: Any = field(default=None)

    @property
    def ok(self) -> bool:
        """No report failed or timed out."""
        return not (self.table["status"].isin(FAILED)).any()


class _Progress:
    """Progress over reports on stderr: a bar on a terminal, one line per finished report in logs."""

    def __init__(self, total: int):
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self, name: str, status: str, seconds: float) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.t0
        if self.tty:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(
                f"\rreports [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                f"{elapsed:5.0f}s  {name[:40]:<40}"
            )
        else:
            sys.stderr.write(
                f"reports {self.done}/{self.total}: {name} {status} ({seconds:.1f} s)\n"
            )
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def select(specs: list[ReportSpec], only: list[str] | None) -> list[ReportSpec]:
    """Reports matching ``only``: exact report names, else notebook stems, or glob patterns.

    Parameters
    ----------
    specs : list of ReportSpec
        The expanded configuration.
    only : list of str or None
        A name without ``*?[`` selects the report of exactly that name (else every report of
        the notebook with that stem); a glob (``01_*``) selects every report name it matches.

    Returns
    -------
    list of ReportSpec
        The selected reports, in the configuration's order.

    Raises
    ------
    ConfigError
        When an item matches nothing (with "did you mean").
    """
    if not only:
        return specs
    names = [s.name for s in specs]
    chosen: set[str] = set()
    for pat in [only] if isinstance(only, str) else only:
        if any(c in pat for c in "*?["):
            hit = {s.name for s in specs if fnmatch.fnmatchcase(s.name, pat)}
        elif pat in names:
            hit = {pat}
        else:
            hit = {s.name for s in specs if s.group == pat}
        if not hit:
            raise ConfigError(
                f"--only {pat!r} matches no report{did_you_mean(pat, names)}. "
                "Fix: use report names from reports.yaml or a glob such as '01_*'."
            )
        chosen |= hit
    return [s for s in specs if s.name in chosen]


def _plan(specs, manifest: dict, out: Path, force: bool) -> tuple[list, dict]:
    plan, records = [], {}
    for s in specs:
        fp = fingerprint(s)
        prev = manifest.get(s.name, {})
        fresh = prev.get("fingerprint") == fp and prev.get("status") == "ok"
        if not force and fresh and inside(out, f"{s.name}.html").exists():
            records[s.name] = {**prev, "status": "skipped", "seconds": 0.0, "cell": None}
            records[s.name].update(exception="", message="unchanged")
        else:
            plan.append((s, fp))
    return plan, records


def _publish(out: Path, o: dict) -> dict:
    """Write one outcome's files inside ``out``: all of a good report or none (a write error,
    e.g. a full disk, fails the report and keeps its last good files)."""
    name = o["report"]
    try:
        nbs = ensure_dir(inside(out, "_notebooks"))
        if o.get("log"):
            atomic_write(inside(nbs, f"{name}.log"), o["log"])
        failed_nb = inside(nbs, f"{name}.failed.ipynb")
        if o["status"] == "ok":
            xlsx = inside(out, f"{name}.xlsx")
            writes = [(inside(nbs, f"{name}.ipynb"), o["notebook"])]
            writes += [(xlsx, o["workbook"])] if o.get("workbook") else []
            writes += [(inside(out, f"{name}.html"), o["html"])]  # last: it links to the rest
            publish(writes, (failed_nb,) if o.get("workbook") else (xlsx, failed_nb))
        elif o.get("failed_notebook"):
            atomic_write(failed_nb, o["failed_notebook"])
        else:
            remove(failed_nb)  # never point at a stale one
    except OutputError as exc:
        return {**o, "status": "failed", "exception": "OutputError", "message": str(exc)}
    return o


def _execute_plan(out, plan, manifest, executor, progress, records: dict) -> None:
    """Render the plan; each outcome is published and put in ``records`` as it arrives (so an
    interrupted run still knows every page it published)."""
    # the modules that run notebooks load papermill's engines, nbconvert, ipykernel and
    # matplotlib (about a second): imported here, when a report is to be run, so a rerun with
    # nothing changed does not wait for them
    render = importlib.import_module(".render", __package__)
    executors = importlib.import_module(".executors", __package__)
    scratch = ensure_dir(inside(out, SCRATCH))  # the kernels' working folders, removed after
    tasks = [render.render_spec(s, scratch) for s, _ in plan]
    fps = {s.name: fp for s, fp in plan}
    for t in tasks:  # computed once in the parent; forked workers inherit the cache
        private_values(t.data_uri, data_engine(t.spec.parameters))
    bar = _Progress(len(plan)) if progress else None
    try:
        with contextlib.closing(
            executors.run_tasks(executor, tasks)
        ) as outcomes:  # closed on any exit
            _collect(out, outcomes, fps, manifest, bar, records)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if bar:
            bar.close()


def _collect(out: Path, outcomes, fps: dict, manifest: dict, bar, records: dict) -> None:
    for o in outcomes:
        o = _publish(out, o)
        keep = {k: o.get(k) for k in ("status", "cell", "exception", "message", "seconds")}
        ok = o["status"] == "ok"
        keep["fingerprint"] = (
            fps[o["report"]] if ok else manifest.get(o["report"], {}).get("fingerprint")
        )
        keep["failed_notebook"] = bool(o.get("failed_notebook"))
        records[o["report"]] = keep
        if bar:
            bar.update(o["report"], o["status"], o.get("seconds") or 0.0)


def _update_manifest(out: Path, manifest: dict, specs, records: dict) -> dict:
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    for s in specs:
        r = records.get(s.name)
        if r is None:  # not reached before an interruption: its entry stays as it was
            continue
        entry = manifest.get(s.name, {})
        if r["status"] == "ok":
            entry = {"fingerprint": r["fingerprint"], "status": "ok", "date": now}
        elif r["status"] in FAILED:
            entry = {**entry, "last_failure": {"date": now, **{k: r.get(k) for k in _FAIL_KEYS}}}
            if "status" not in entry or not inside(out, f"{s.name}.html").exists():
                entry["status"] = "failed"
        entry.update(notebook=s.notebook.name, parameters=s.parameters, group=s.group)
        entry["last_status"] = r["status"]
        manifest[s.name] = entry

    atomic_write(inside(out, "_manifest.json"), json.dumps(manifest, indent=1, default=str))
    return manifest


_FAIL_KEYS = ("exception", "message", "cell")


def _table(specs, records):
    rows = []
    for s in specs:
        r = records[s.name]
        rows.append(
            {
                "report": s.name,
                "notebook": s.group,
                "status": r["status"],
                "seconds": round(float(r.get("seconds") or 0), 1),
                "cell": r.get("cell"),
                "exception": r.get("exception"),
                "message": r.get("message"),
            }
        )
    return pd.DataFrame(rows)


def _print(table_, failures, out: Path, index: Path, records: dict) -> None:
    print(table_[["report", "status", "seconds"]].to_string(index=False))
    if len(failures):
        print("\nFailed reports (the previous good HTML, if any, is kept):", file=sys.stderr)
        cols = ["report", "status", "cell", "exception", "message"]
        print(failures[cols].to_string(index=False), file=sys.stderr)
        kept = [n for n in failures["report"] if records[n].get("failed_notebook")]
        if kept:
            print(
                "Executed notebooks with the error cell: "
                + ", ".join(str(out / "_notebooks" / f"{n}.failed.ipynb") for n in kept),
                file=sys.stderr,
            )
    print(f"\nReport index: {index}")


@contextlib.contextmanager
def _terminate_cleanly():
    """SIGTERM (``timeout``, a scheduler) unwinds like Ctrl-C: workers killed, folders removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run(
    config=None,
    *,
    only: list[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    data: str | None = None,
    timeout: float | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
    quiet: bool = False,
    executor: str | None = None,
) -> RunOutcome:
    """Build the report set (see :mod:`cxmodels.reports`).

    Parameters
    ----------
    config : path, optional
        ``reports.yaml`` (default: the project's).
    only : list of str, optional
        Exact report names, notebook stems or glob patterns (``01_*``).
    jobs : int, optional
        Workers for the default ``process`` executor (default: the number of cores).
    force : bool
        Re-run unchanged reports too.
    data : path, optional
        Data folder or DuckDB file for every report (relative to the current directory).
    timeout : float, optional
        Seconds per report, overriding the configuration.
    out_dir : path, optional
        Output folder (default ``reports/``; relative to the current directory).
    progress, quiet : bool
        Show the progress line; print nothing.
    executor : str, optional
        ``serial``, ``process:N``, ``dask+local:N`` or ``dask://HOST:PORT`` (default: the
        configuration's ``executor:``, else ``process:jobs``).

    Returns
    -------
    RunOutcome
        ``table`` (one row per report), ``index`` and ``ok``.

    Notes
    -----
    Exit semantics for schedulers (``cxmodels report``): 0 when every report is ok or up to
    date, 1 when any report failed or timed out or a file could not be written, 2 for a
    configuration error or a run already in progress on the same output folder.
    """
    try:
        table_, index, records, out = _run(
            config, only, jobs, force, data, timeout, out_dir, progress, quiet, executor
        )
    finally:
        forget_data()  # no data set (or DuckDB spill folder) outlives the run
    failures = table_[table_["status"].isin(FAILED)]
    if not quiet:
        _print(table_, failures, out, index, records)
    return RunOutcome(table_, index, failures)


def _run(config, only, jobs, force, data, timeout, out_dir, progress, quiet, executor) -> tuple:
    """:func:`run` without the printing: (table, index, records, output folder)."""
    specs = select(load_config(config, data=data, timeout=timeout), only)
    ex = parse_executor(executor or config_executor(config), jobs)
    for where, engine in dict.fromkeys((s.data, data_engine(s.parameters)) for s in specs):
        load_data(where, engine)  # as validate reads it; refused data stops the run here
    if only and not quiet:
        print(f"selected {len(specs)} report(s): {', '.join(s.name for s in specs)}")
    out = Path(out_dir).resolve() if out_dir else reports_dir()
    ensure_dir(out)
    with _terminate_cleanly(), run_lock(out):
        sweep_temp_dirs()
        if any(s.data is None for s in specs):
            ensure_sample()
        manifest = read_manifest(inside(out, "_manifest.json"))
        plan, records = _plan(specs, manifest, out, force)
        try:
            if plan:
                _execute_plan(out, plan, manifest, ex, progress and not quiet, records)
        finally:  # also on Ctrl-C or SIGTERM: every page published is in the manifest and index
            manifest = _update_manifest(out, manifest, specs, records)
            index = write_index(out, manifest, load_config(config, data=data, timeout=timeout))
    return _table(specs, records), index, records, out


__all__ = ["RunOutcome", "data_path", "run", "select"]
