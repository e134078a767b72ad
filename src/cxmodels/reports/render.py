"""One report as one pure task: :func:`render` ``(RenderSpec) -> outcome`` (a plain dict).

The task runs anywhere (in the parent, a forked worker or a Dask worker): it executes the
notebook on a kernel forked from the worker's warm template (:mod:`.kernel`), enforces the
report's timeout by killing that kernel, exports the HTML, runs the privacy gate over the page
and over every text drawn in its figures, and returns everything the parent needs to publish:
the HTML, the executed (or scrubbed failed) notebook and the log. It writes nothing outside its
own temporary folder; the parent writes the output folder, manifest and index.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill as pm
from jupyter_client.connect import write_connection_file

from ..config import project_root
from ..i18n import ENV_LANGUAGE
from .config import ReportSpec, data_engine
from .export import export_html, export_workbook
from .kernel import Template
from .privacy import (
    describe_hits,
    figure_hits,
    privacy_hits,
    private_values,
    scrub_notebook,
)
from .state import data_path, make_temp_dir

LOG_TAIL = 20_000


@dataclass(frozen=True)
class RenderSpec:
    """Everything a worker needs for one report (picklable, no open files)."""

    spec: ReportSpec
    notebook_sha256: str
    notebook_text: str  # the notebook itself, so a worker needs no copy of the project
    parameters_json: str
    data_uri: str
    cwd: str  # the folder in which each report's kernel gets its own working folder


def render_spec(spec: ReportSpec, cwd: Path) -> RenderSpec:
    """The task description of one report; its kernel works in ``cwd/NAME`` (removed after)."""
    params = {**spec.parameters, "data_path": str(data_path(spec.data))}
    raw = spec.notebook.read_bytes()
    return RenderSpec(
        spec,
        hashlib.sha256(raw).hexdigest(),
        raw.decode("utf-8"),
        json.dumps(params, sort_keys=True, default=str),
        str(data_path(spec.data)),
        str(cwd),
    )


# ------------------------------------------------------------------ per-process state
_STATE: dict = {}


def _template():
    t = _STATE.get("template")
    if t is None or not t.alive():
        t = _STATE["template"] = Template()
    return t


def work_dir() -> Path:
    """This process's private temporary folder (connection files, sockets, notebooks)."""
    if "work" not in _STATE or not _STATE["work"].exists():
        _STATE["work"] = make_temp_dir()
    return _STATE["work"]


if hasattr(os, "register_at_fork"):  # POSIX; a forked worker starts its own template
    os.register_at_fork(after_in_child=_STATE.clear)


@atexit.register
def shutdown() -> None:
    """Stop this process's template and remove its temporary folder."""
    t = _STATE.pop("template", None)
    if t is not None:
        t.close()
    w = _STATE.pop("work", None)
    if w is not None:
        shutil.rmtree(w, ignore_errors=True)


# ------------------------------------------------------------------ the task
def _outcome(rs: RenderSpec, status: str, t0: float, **kw) -> dict:
    return {
        "report": rs.spec.name,
        "status": status,
        "cell": kw.get("cell"),
        "exception": kw.get("exception", ""),
        "message": kw.get("message", ""),
        "seconds": time.perf_counter() - t0,
        "html": kw.get("html"),
        "workbook": kw.get("workbook"),
        "notebook": kw.get("notebook"),
        "failed_notebook": kw.get("failed_notebook"),
        "log": kw.get("log", ""),
        "pid": os.getpid(),
    }


def kernel_env(spec: ReportSpec, tmp: Path) -> dict[str, str]:
    """Environment of the report's kernel: ``CXMODELS_LANGUAGE`` (read by :mod:`cxmodels.i18n`
    at import and by a forked kernel at start), so findings come in the report's language even
    from a notebook without a ``language`` parameter; the project root (the kernel works in a
    scratch folder); and a temporary folder of its own, removed after the report even when the
    kernel was killed (a DuckDB spill folder, files a notebook leaves in its temp folder)."""
    env = {ENV_LANGUAGE: getattr(spec, "language", "en") or "en"}
    env["CXMODELS_ROOT"] = str(project_root())
    return env | dict.fromkeys(("TMPDIR", "TEMP", "TMP"), str(tmp))


def _first_line(text) -> str:
    return str(text).splitlines()[0][:300] if text and str(text).strip() else ""


def _execute(rs: RenderSpec, work: Path, out_nb: Path, log: Path, texts: Path) -> dict | None:
    """Run the notebook in its scratch folder; ``None`` when it ran through, else the failure
    fields."""
    name = rs.spec.name
    cf = work / f"{name}-kernel.json"

    write_connection_file(
        str(cf), transport="ipc", ip=str(work / f"{name}-ipc"), key=os.urandom(16).hex().encode()
    )
    source = work / f"{name}.input.ipynb"
    source.write_text(rs.notebook_text, encoding="utf-8")
    base = Path(rs.cwd) if Path(rs.cwd).is_dir() else work  # a remote worker may lack it
    cwd, tmp = base / name, work / f"{name}-tmp"
    for folder in (cwd, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        km = _template().fork_kernel(cf, cwd, log, texts, env=kernel_env(rs.spec, tmp))
        return _run_kernel(rs, km, source, out_nb)
    finally:
        for folder in (cwd, tmp):
            shutil.rmtree(folder, ignore_errors=True)


def _run_kernel(rs: RenderSpec, km, source: Path, out_nb: Path) -> dict | None:
    """Execute the notebook on the kernel ``km`` under the report's timeout."""
    timer = threading.Timer(rs.spec.timeout, km.kill)
    timer.daemon = True
    timer.start()
    try:
        pm.execute_notebook(
            str(source),
            str(out_nb),
            parameters=json.loads(rs.parameters_json),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            km=km,
            start_timeout=120,
        )
        return None
    except pm.PapermillExecutionError as exc:
        return {"cell": exc.exec_count, "exception": exc.ename, "message": _first_line(exc.evalue)}
    except Exception as exc:  # noqa: BLE001 - kernel died or was killed, notebook unreadable
        if km.killed and not timer.is_alive():
            return {
                "status": "timeout",
                "exception": "Timeout",
                "message": f"no result after {rs.spec.timeout:.0f} s; the run was stopped",
            }
        return {"exception": type(exc).__name__, "message": _first_line(exc)}
    finally:
        timer.cancel()
        km.shutdown_kernel()
        km.cleanup_resources()


def _never_started(failure: dict, out_nb: Path) -> bool:
    """True when the kernel died before running a cell (a start lost on a busy machine, seen
    under Dask at load 15): not a cell's error, not a timeout, no cell executed."""
    if failure.get("status") == "timeout" or failure.get("cell") is not None:
        return False
    try:
        cells = json.loads(out_nb.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return True
    return all(c.get("execution_count") is None for c in cells if c.get("cell_type") == "code")


def _read(path: Path, tail: int | None = None) -> str | None:
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    return text[-tail:] if tail else text


def _figure_texts(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [t for line in path.read_text(encoding="utf-8").splitlines() for t in json.loads(line)]


def _publishable(rs: RenderSpec, out_nb: Path, texts: Path, t0: float, log: str) -> dict:
    """Export the executed notebook and pass it through the privacy gate."""
    nb_text = out_nb.read_text(encoding="utf-8")
    nb = nbformat.reads(nb_text, as_version=4)
    xlsx = export_workbook(nb, rs.spec, out_nb.with_suffix(".xlsx"))
    workbook = xlsx.read_bytes() if xlsx else None
    if xlsx:
        xlsx.unlink()
    page = export_html(nb, rs.spec)
    identifiers, comments = private_values(rs.data_uri, data_engine(rs.spec.parameters))
    if rs.spec.parameters.get("show_comments", False):
        comments = set()

    page_hits = privacy_hits(page, identifiers, comments)
    fig_hits = figure_hits(_figure_texts(texts), identifiers, comments)
    if page_hits or fig_hits:
        return _outcome(
            rs,
            "failed",
            t0,
            exception="PrivacyCheck",
            message=describe_hits(page_hits, fig_hits),
            failed_notebook=scrub_notebook(nb_text, page_hits + fig_hits),
            log=log,
        )
    return _outcome(rs, "ok", t0, html=page, notebook=nb_text, log=log, workbook=workbook)


def render_in_thread(rs: RenderSpec) -> dict:
    """:func:`render` in a helper thread, the calling (main) thread waiting.

    nbclient replaces the SIGTERM/SIGINT handlers of the thread's event loop when it runs in
    the main thread; in a helper thread it cannot, so the caller's handlers (kill the workers,
    remove the folders) stay in force.
    """
    box: dict = {}
    _template()  # started from this thread, so it dies with this process (PR_SET_PDEATHSIG)
    th = threading.Thread(target=lambda: box.update(out=render(rs)), daemon=True)
    th.start()
    while th.is_alive():
        th.join(0.2)
    return box["out"]


def render(rs: RenderSpec) -> dict:
    """Execute, export and check one report; never raises (a failure is an outcome).

    Returns
    -------
    dict
        ``report``, ``status`` (ok, failed, timeout), ``cell`` (execution count of the failing
        cell), ``exception``, ``message``, ``seconds``, ``html`` (when ok), ``notebook`` (the
        executed notebook, when ok), ``failed_notebook`` (kept for debugging; scrubbed when the
        privacy gate blocked it), ``log`` (the kernel's stderr, tail) and ``pid``.
    """
    t0 = time.perf_counter()
    name = rs.spec.name
    work = work_dir()
    out_nb, log, texts = (work / f"{name}{s}" for s in (".ipynb", ".log", ".texts"))
    try:
        if hashlib.sha256(rs.notebook_text.encode("utf-8")).hexdigest() != rs.notebook_sha256:
            return _outcome(rs, "failed", t0, exception="NotebookCorrupt", message="hash differs")
        failure = _execute(rs, work, out_nb, log, texts)
        if failure is not None and _never_started(failure, out_nb):
            failure = _execute(rs, work, out_nb, log, texts)  # one fresh kernel, then the verdict
        log_text = _read(log, LOG_TAIL) or ""
        if failure is not None:
            status = failure.pop("status", "failed")
            return _outcome(rs, status, t0, failed_notebook=_read(out_nb), log=log_text, **failure)
        return _publishable(rs, out_nb, texts, t0, log_text)
    except Exception as exc:  # noqa: BLE001 - report every failure to the parent
        return _outcome(rs, "failed", t0, exception=type(exc).__name__, message=_first_line(exc))
    finally:
        for p in (out_nb, log, texts, work / f"{name}-kernel.json", work / f"{name}.input.ipynb"):
            with contextlib.suppress(OSError):
                p.unlink()
