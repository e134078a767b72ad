"""Report regeneration: the parameterised notebooks become a shareable HTML report set.

``cxmodels report`` (or :func:`run`) reads ``reports.yaml``, expands each entry's ``matrix`` into
reports, and for every report whose inputs changed:

1. executes the notebook with papermill's Python API in a forked worker process (no CLI per
   report), kernel ``python3``, working directory the project root, over IPC transport with its
   own connection file (parallel TCP kernel starts can collide on ports: papermill issue 511);
2. enforces the per-report timeout from outside the kernel (the worker's process group is killed);
3. exports HTML without code (input hidden; ``parameters`` and ``injected-parameters`` cells
   removed), self-contained (figures inline, no CDN scripts), with a header (parameters, data
   snapshot, run date, cxmodels version), a table of contents and a footer of method notes;
4. scans the HTML for customer identifiers, emails, phone numbers and free-text comments (unless
   the report's parameters set ``show_comments: true``) and refuses to publish on a hit;
5. writes the HTML to a temporary file and renames it, so a failed run never replaces the last
   good report; a failed notebook is kept as ``_notebooks/NAME.failed.ipynb`` for debugging.

Each report's fingerprint (notebook, parameters, data files, cxmodels version and source) is kept
in ``reports/_manifest.json``; an unchanged report is skipped unless ``force``. ``index.html``
lists every report, grouped by notebook.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import html
import itertools
import json
import os
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .config import project_root, reports_dir, sample_dir
from .data.contract import free_text_columns, identifier_columns

SNAPSHOT_MIME = "application/vnd.cxmodels.snapshot+json"
IDENTIFIER_COLUMNS = identifier_columns("customers")  # customer_id, email, phone
COMMENT_COLUMNS = free_text_columns("responses")  # comment_liked, comment_disliked
MIN_COMMENT_CHARS = 20  # shorter answers ("Good.") would match ordinary words
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
PHONE_RE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[ -]?\d{2,4}|0\d{2,4})[ -]\d{3,4}[ -]?\d{3,4}(?![\w.])"
)
DATA_URI_RE = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")
TOKEN_RE = re.compile(r"[A-Za-z0-9_.+@-]{4,}")


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class ReportSpec:
    name: str
    notebook: Path
    parameters: dict
    data: str | None
    timeout: float

    @property
    def group(self) -> str:
        return self.notebook.stem


def load_config(
    config: str | Path | None = None, data: str | None = None, timeout: float | None = None
) -> list[ReportSpec]:
    """Read ``reports.yaml`` and expand every ``matrix`` into one spec per combination."""
    import yaml

    root = project_root()
    path = Path(config) if config else root / "reports.yaml"
    if not path.exists():
        raise FileNotFoundError(
            f"No report configuration at {path}: create reports.yaml or pass --config."
        )
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    defaults = cfg.get("defaults", {})
    specs = []
    for i, entry in enumerate(cfg.get("reports", [])):
        if "notebook" not in entry:
            raise ValueError(
                f"{path}: report entry {i} has no 'notebook'. Fix: name the notebook to run."
            )
        nb = (root / entry["notebook"]).resolve()
        if not nb.exists():
            raise ValueError(
                f"{path}: report entry {i}: notebook {entry['notebook']} does not exist."
            )
        matrix = entry.get("matrix") or {}
        keys = list(matrix)
        combos = list(itertools.product(*[matrix[k] for k in keys])) or [()]
        for combo in combos:
            params = {**entry.get("parameters", {}), **dict(zip(keys, combo))}
            name = str(entry.get("name", nb.stem)).format(**params)
            d = data or entry.get("data") or defaults.get("data")
            specs.append(
                ReportSpec(
                    name,
                    nb,
                    params,
                    None if d in (None, "", "sample") else str(d),
                    float(timeout or entry.get("timeout") or defaults.get("timeout", 600)),
                )
            )
    names = [s.name for s in specs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(
            f"{path}: report names repeat ({', '.join(sorted(dup))}). Fix: put the matrix "
            "variables in the name pattern, e.g. name: 'overview_{segment}'."
        )
    return specs


# --------------------------------------------------------------------------- fingerprints
def _data_path(spec_data: str | None) -> Path:
    if spec_data is None:
        return sample_dir()
    p = Path(spec_data)
    return p if p.is_absolute() else (project_root() / p)


def _files_signature(path: Path) -> list:
    if path.is_file():
        st = path.stat()
        return [[path.name, st.st_size, st.st_mtime_ns]]
    if path.is_dir():
        return [
            [str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(path.rglob("*"))
            if p.is_file()
        ]
    return [["missing", str(path)]]


_SOURCE_HASH: str | None = None


def _source_hash() -> str:
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        h = hashlib.sha256()
        pkg = Path(__file__).parent
        for p in sorted(pkg.rglob("*")):
            if p.suffix in (".py", ".j2", ".json") and "__pycache__" not in p.parts:
                h.update(p.read_bytes())
        _SOURCE_HASH = h.hexdigest()
    return _SOURCE_HASH


def fingerprint(spec: ReportSpec) -> str:
    """Hash of the notebook, parameters, data files, cxmodels version and source."""
    h = hashlib.sha256()
    h.update(spec.notebook.read_bytes())
    h.update(json.dumps(spec.parameters, sort_keys=True, default=str).encode())
    h.update(json.dumps(_files_signature(_data_path(spec.data))).encode())
    h.update(__version__.encode())
    h.update(_source_hash().encode())
    return h.hexdigest()[:20]


# --------------------------------------------------------------------------- privacy
def _read_columns(data_path: Path, table: str, columns: tuple[str, ...]) -> list:
    """The given columns of one table of a data set (only those present), without a full load."""
    import pandas as pd

    if data_path.is_file():
        import duckdb

        con = duckdb.connect(str(data_path), read_only=True)
        try:
            present = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_name = ?",
                    [table],
                ).fetchall()
            ]
            use = [c for c in columns if c in present]
            return [con.execute(f"select {', '.join(use)} from {table}").df()] if use else []
        finally:
            con.close()
    for suffix in (".parquet", ".csv", ".xlsx", ".sav"):
        p = data_path / f"{table}{suffix}"
        if not p.exists():
            continue
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(p).names
            return [pd.read_parquet(p, columns=[c for c in columns if c in names])]
        if suffix == ".csv":
            return [pd.read_csv(p, usecols=lambda c: c in columns, dtype=str)]
        from .data.core import _read_table

        df, _ = _read_table(p)
        return [df[[c for c in columns if c in df]]]
    return []


def identifier_values(data_path: Path) -> set[str]:
    """Values of the identifier columns (customer_id, email, phone) of a data set's customers."""
    vals: set[str] = set()
    for df in _read_columns(data_path, "customers", IDENTIFIER_COLUMNS):
        for c in df.columns:
            v = df[c].dropna().astype(str).str.strip()
            # short or purely numeric small ids would match ordinary numbers in tables
            v = v[(v.str.len() >= 5) & ~(v.str.isdigit() & (v.str.len() < 7))]
            vals |= set(v.unique())
    return vals


def comment_values(data_path: Path) -> set[str]:
    """Free-text comments of a data set's responses (at least ``MIN_COMMENT_CHARS`` long)."""
    out: set[str] = set()
    for df in _read_columns(data_path, "responses", COMMENT_COLUMNS):
        for c in df.columns:
            v = df[c].dropna().astype(str).str.strip()
            out |= set(v[v.str.len() >= MIN_COMMENT_CHARS].unique())
    return out


def privacy_hits(text: str, identifiers: set[str], comments: set[str] = frozenset()) -> list[str]:
    """Identifier values, emails, phone numbers and free-text comments found in ``text`` (HTML)."""
    body = DATA_URI_RE.sub("", text)
    hits = []
    tokens = set(TOKEN_RE.findall(body))
    hits += sorted(tokens & identifiers)[:5]
    if comments:
        cell_text = re.findall(rf">([^<>]{{{MIN_COMMENT_CHARS},}})<", body)
        segments = {html.unescape(t).strip() for t in cell_text}
        hits += [f"comment {c!r}" for c in sorted(segments & comments)[:3]]
    hits += [m for m in EMAIL_RE.findall(body) if m not in hits][:5]
    hits += [m.strip() for m in PHONE_RE.findall(html.unescape(body))][:5]
    return hits


# --------------------------------------------------------------------------- notebook helpers
def publish_snapshot(data) -> None:
    """Record the data snapshot (source, n, observation end) for the report header (no output)."""
    from IPython.display import display

    snap = data.snapshot()
    snap["source"] = _display_source(snap["source"])
    display({SNAPSHOT_MIME: snap, "text/plain": ""}, raw=True)


def _display_source(src: str) -> str:
    try:
        return str(Path(src).resolve().relative_to(project_root()))
    except (ValueError, OSError):
        return Path(src).name if os.sep in str(src) else str(src)


def tiles(kpis) -> Any:
    """KPI tiles (HTML) from :func:`cxmodels.metrics.kpis`."""
    from IPython.display import HTML

    parts = []
    for _, r in kpis.iterrows():
        change = ""
        if "change" in r and r.get("change") == r.get("change"):
            change = (
                f"<div>{r['change']:+.1f} vs previous wave ({r['change_low']:+.1f} to "
                f"{r['change_high']:+.1f})</div>"
            )
        parts.append(
            f"<div class='cx-tile'><div>{html.escape(str(r['label']))}</div>"
            f"<div class='v'>{r['value']:.1f}</div><div>95% CI {r['ci_low']:.1f} to {r['ci_high']:.1f}"
            f" &middot; n = {int(r['n']):,}</div>{change}</div>"
        )
    return HTML("".join(parts))


def finding(text: str, caveat: bool = False) -> Any:
    """A findings (or caveat) box: Markdown-light text rendered as HTML."""
    from IPython.display import HTML

    items = [t for t in ([text] if isinstance(text, str) else list(text)) if t]
    body = "".join(f"<p>{_md_inline(t)}</p>" for t in items)
    return HTML(f"<div class='{'cx-caveat' if caveat else 'cx-finding'}'>{body}</div>")


def _md_inline(t: str) -> str:
    t = html.escape(t)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)


def table(df, digits: int = 3, index: bool = False) -> Any:
    """A tidy table for reports: rounded, attribute-style column names, no index."""
    from IPython.display import HTML

    return HTML(
        df.to_html(
            index=index,
            float_format=lambda x: (
                f"{x:.{digits}g}" if abs(x) < 1e-3 else f"{x:,.{digits}f}".rstrip("0").rstrip(".")
            ),
            border=0,
            na_rep="-",
            classes="cx-table",
        )
    )


# --------------------------------------------------------------------------- export
def _header(nb, spec: ReportSpec, snapshot: dict | None) -> str:
    meta = nb.metadata.get("papermill", {})
    params = {**meta.get("default_parameters", {}), **meta.get("parameters", {})}
    params.pop("data_path", None)
    title = spec.name
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.lstrip().startswith("# "):
            title = c.source.lstrip()[2:].splitlines()[0].strip()
            break
    prow = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in params.items()
    )
    snap = snapshot or {}
    srow = "".join(
        f"<tr><th>{html.escape(k.replace('_', ' '))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in snap.items()
    )
    run = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        f"<div class='cx-header'><div style='color:#777'>cxmodels report &middot; {html.escape(spec.name)}</div>"
        f"<table><tr><td><b>Parameters</b><table>{prow or '<tr><td>defaults</td></tr>'}</table></td>"
        f"<td style='padding-left:3em'><b>Data</b><table>{srow}</table></td>"
        f"<td style='padding-left:3em'><b>Run</b><table><tr><th>date</th><td>{run}</td></tr>"
        f"<tr><th>cxmodels</th><td>{__version__}</td></tr></table></td></tr></table></div>"
        f"<!--cx-title:{html.escape(title)}-->"
    )


def _footer(nb) -> str:
    notes = nb.metadata.get("cxmodels", {}).get("method_notes", [])
    items = "".join(f"<li>{_md_inline(n)}</li>" for n in notes)
    return (
        f"<div class='cx-footer'><b>Method notes</b><ul>{items}</ul>"
        f"<p>Generated by cxmodels {__version__}. Customer identifiers, contact details and free-text "
        "comments are not shown.</p></div>"
    )


def _toc(body: str) -> str:
    heads = re.findall(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', body, flags=re.S)
    if not heads:
        return body
    items = "".join(
        f"<li><a href='#{hid}'>{re.sub(r'<[^>]+>', '', text).replace('¶', '').strip()}</a></li>"
        for hid, text in heads
    )
    toc = f"<nav class='cx-toc'><b>Contents</b><ol>{items}</ol></nav>"
    body = body.replace("<!--cx-toc-->", "", 1)
    h1 = body.find("</h1>")
    if h1 < 0:  # no title: contents go right after the header
        return body.replace("</div><!--cx-title", f"</div>{toc}<!--cx-title", 1)
    return body[: h1 + 5] + toc + body[h1 + 5 :]


def export_html(nb, spec: ReportSpec) -> str:
    """HTML without code, parameters cells or prompts; header, contents and footer added."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    snapshot = None
    for c in nb.cells:
        for o in c.get("outputs", []):
            if SNAPSHOT_MIME in o.get("data", {}):
                snapshot = o["data"][SNAPSHOT_MIME]
        c["outputs"] = [o for o in c.get("outputs", []) if SNAPSHOT_MIME not in o.get("data", {})]
    ex = HTMLExporter(
        template_name="cxreport", extra_template_basedirs=[str(Path(__file__).parent / "templates")]
    )
    ex.exclude_input = True
    ex.exclude_input_prompt = True
    ex.exclude_output_prompt = True
    tr = TagRemovePreprocessor(
        remove_cell_tags={"parameters", "injected-parameters", "remove-cell"}
    )
    ex.register_preprocessor(tr, enabled=True)
    resources = {
        "cx_header": _header(nb, spec, snapshot) + "<!--cx-toc-->",
        "cx_footer": _footer(nb),
    }
    body, _ = ex.from_notebook_node(nb, resources=resources)
    title = re.search(r"<!--cx-title:(.*?)-->", body)
    if title:
        body = re.sub(
            r"<title>.*?</title>", f"<title>{title.group(1)}</title>", body, count=1, flags=re.S
        )
    return _toc(body)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- execution
def _execute(
    spec: ReportSpec, out_dir: Path, work: Path, private: tuple[set[str], set[str]]
) -> dict:
    """Run one report (in a forked worker). Returns a status record."""
    import nbformat
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager

    t0 = time.perf_counter()
    params = {**spec.parameters, "data_path": str(_data_path(spec.data))}
    out_nb = work / f"{spec.name}.ipynb"
    km = AsyncKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(work / f"{spec.name}-ipc"),
        connection_file=str(work / f"{spec.name}-kernel.json"),
    )
    nb_dir = out_dir / "_notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(spec.notebook),
            str(out_nb),
            parameters=params,
            kernel_name="python3",
            cwd=str(project_root()),
            progress_bar=False,
            log_output=False,
            km=km,
            start_timeout=120,
        )
    except pm.PapermillExecutionError as exc:
        if out_nb.exists():
            os.replace(out_nb, nb_dir / f"{spec.name}.failed.ipynb")
        return {
            "status": "failed",
            "cell": exc.exec_count,
            "exception": exc.ename,
            "message": str(exc.evalue).splitlines()[0][:300] if exc.evalue else "",
            "seconds": time.perf_counter() - t0,
        }
    except Exception as exc:  # kernel died, notebook unreadable, ...
        if out_nb.exists():
            os.replace(out_nb, nb_dir / f"{spec.name}.failed.ipynb")
        return {
            "status": "failed",
            "cell": None,
            "exception": type(exc).__name__,
            "message": str(exc).splitlines()[0][:300] if str(exc) else "",
            "seconds": time.perf_counter() - t0,
        }
    nb = nbformat.read(str(out_nb), as_version=4)
    page = export_html(nb, spec)
    identifiers, comments = private
    show_comments = bool(spec.parameters.get("show_comments", False))
    hits = privacy_hits(page, identifiers, set() if show_comments else comments)
    if hits:
        os.replace(out_nb, nb_dir / f"{spec.name}.failed.ipynb")
        return {
            "status": "failed",
            "cell": None,
            "exception": "PrivacyCheck",
            "message": f"identifiers or contact details in the HTML (e.g. {', '.join(hits[:3])}); not published",
            "seconds": time.perf_counter() - t0,
        }
    _atomic_write(out_dir / f"{spec.name}.html", page)
    os.replace(out_nb, nb_dir / f"{spec.name}.ipynb")
    failed = nb_dir / f"{spec.name}.failed.ipynb"
    if failed.exists():
        failed.unlink()
    return {
        "status": "ok",
        "cell": None,
        "exception": "",
        "message": "",
        "seconds": time.perf_counter() - t0,
    }


def _worker(spec, out_dir, work, private, conn, parallel):
    os.setsid()  # own process group: a timeout kills the kernel too
    log = out_dir / "_notebooks" / f"{spec.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)  # the worker's and its kernel's stderr go to the report's log
    if parallel:  # one BLAS thread per kernel: parallel kernels would oversubscribe the cores
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = "1"
    try:
        res = _execute(spec, out_dir, work, private)
    except BaseException as exc:  # noqa: BLE001 - report every failure to the parent
        res = {
            "status": "failed",
            "cell": None,
            "exception": type(exc).__name__,
            "message": str(exc)[:300],
            "seconds": 0.0,
        }
    conn.send(res)
    conn.close()


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


@dataclass
class RunOutcome:
    """What a report run did: ``table`` (report, notebook, status, seconds, cell, exception, message;
    ``cell`` is the failing cell's execution count, ``In [N]`` in the kept ``.failed.ipynb``),
    ``index`` (path of index.html) and ``ok`` (no report failed)."""

    table: Any
    index: Path
    failures: Any = field(default=None)

    @property
    def ok(self) -> bool:
        return not (self.table["status"].isin(["failed", "timeout"])).any()


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
) -> RunOutcome:
    """Build the report set; see the module docstring. Returns a :class:`RunOutcome`.

    Exit semantics for schedulers (``cxmodels report``): 0 when every report is ok or up to date,
    1 when any report failed or timed out, 2 for a configuration error or a run already in
    progress on the same output folder.
    """
    out = Path(out_dir) if out_dir else reports_dir()
    out.mkdir(parents=True, exist_ok=True)
    with _run_lock(out):
        return _run(out, config, only, jobs, force, data, timeout, progress, quiet)


class RunInProgress(RuntimeError):
    """Another report run holds the output folder."""


def _run_lock(out: Path):
    """An exclusive lock on the output folder, so overlapping scheduled runs cannot interleave."""
    import contextlib
    import fcntl

    @contextlib.contextmanager
    def lock():
        path = out / ".cxmodels-report.lock"
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                raise RunInProgress(
                    f"another report run is using {out} (pid {fh.read().strip() or '?'}); "
                    "wait for it to finish or use another --out"
                ) from None
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    return lock()


def _run(out, config, only, jobs, force, data, timeout, progress, quiet) -> RunOutcome:
    import multiprocessing as mp

    import pandas as pd

    specs = load_config(config, data=data, timeout=timeout)
    if only:
        specs = [
            s
            for s in specs
            if any(
                fnmatch.fnmatch(s.name, p) or fnmatch.fnmatch(s.group, p) or s.group.startswith(p)
                for p in only
            )
        ]
        if not specs:
            raise ValueError(
                f"No report matches {only}. Fix: use report names or notebook stems from reports.yaml."
            )
    manifest_path = out / "_manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for s in specs:  # the default data set is generated on first use
        if s.data is None and not (sample_dir() / "truth.json").exists():
            from .data import load_sample

            load_sample()
    plan, records = [], {}
    for s in specs:
        fp = fingerprint(s)
        prev = manifest.get(s.name, {})
        if (
            not force
            and prev.get("fingerprint") == fp
            and prev.get("status") == "ok"
            and (out / f"{s.name}.html").exists()
        ):
            records[s.name] = {
                **prev,
                "status": "skipped",
                "seconds": 0.0,
                "cell": None,
                "exception": "",
                "message": "unchanged",
            }
        else:
            plan.append((s, fp))
    if plan:
        import nbconvert  # noqa: F401  - imported once here, shared by the forked workers
        import papermill  # noqa: F401

        jobs = max(1, jobs or os.cpu_count() or 1)
        ids_by_data = {}
        for s, _ in plan:
            key = str(_data_path(s.data))
            if key not in ids_by_data:
                ids_by_data[key] = (
                    identifier_values(_data_path(s.data)),
                    comment_values(_data_path(s.data)),
                )
        ctx = mp.get_context("fork")
        bar = _Progress(len(plan)) if progress and not quiet else None
        with tempfile.TemporaryDirectory(prefix="cxmodels-run-") as tmp:
            work = Path(tmp)
            pending = list(plan)
            running: dict[str, tuple] = {}
            while pending or running:
                while pending and len(running) < jobs:
                    s, fp = pending.pop(0)
                    recv, send = ctx.Pipe(duplex=False)
                    p = ctx.Process(
                        target=_worker,
                        args=(
                            s,
                            out,
                            work,
                            ids_by_data[str(_data_path(s.data))],
                            send,
                            jobs > 1 and len(plan) > 1,
                        ),
                    )
                    p.start()
                    send.close()
                    running[s.name] = (s, fp, p, recv, time.perf_counter())
                time.sleep(0.05)
                for name, (s, fp, p, recv, t0) in list(running.items()):
                    res = None
                    if recv.poll():
                        try:
                            res = recv.recv()
                        except EOFError:
                            res = {
                                "status": "failed",
                                "exception": "WorkerDied",
                                "message": "the worker exited",
                                "cell": None,
                            }
                    elif not p.is_alive():
                        res = {
                            "status": "failed",
                            "exception": "WorkerDied",
                            "message": f"the worker exited with code {p.exitcode}",
                            "cell": None,
                        }
                    elif time.perf_counter() - t0 > s.timeout:
                        try:
                            os.killpg(p.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        res = {
                            "status": "timeout",
                            "exception": "Timeout",
                            "message": f"no result after {s.timeout:.0f} s; the run was stopped",
                            "cell": None,
                        }
                    if res is None:
                        continue
                    p.join(timeout=5)
                    res["seconds"] = time.perf_counter() - t0
                    records[name] = {
                        **res,
                        "fingerprint": fp
                        if res["status"] == "ok"
                        else manifest.get(name, {}).get("fingerprint"),
                    }
                    del running[name]
                    if bar:
                        bar.update(name, records[name]["status"], records[name]["seconds"])
        if bar:
            bar.close()
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    for s in specs:
        r = records[s.name]
        entry = manifest.get(s.name, {})
        if r["status"] == "ok":
            entry = {"fingerprint": r["fingerprint"], "status": "ok", "date": now}
        elif r["status"] in ("failed", "timeout"):
            entry = {
                **entry,
                "last_failure": {
                    "date": now,
                    "exception": r.get("exception"),
                    "message": r.get("message"),
                    "cell": r.get("cell"),
                },
            }
            entry.setdefault("status", "failed")
            if not (out / f"{s.name}.html").exists():
                entry["status"] = "failed"
        entry.update(notebook=s.notebook.name, parameters=s.parameters, group=s.group)
        entry["last_status"] = r["status"]
        manifest[s.name] = entry
    _atomic_write(manifest_path, json.dumps(manifest, indent=1, default=str))
    table_ = pd.DataFrame(
        [
            {
                "report": s.name,
                "notebook": s.group,
                "status": records[s.name]["status"],
                "seconds": round(float(records[s.name].get("seconds") or 0), 1),
                "cell": records[s.name].get("cell"),
                "exception": records[s.name].get("exception"),
                "message": records[s.name].get("message"),
            }
            for s in specs
        ]
    )
    index = write_index(out, manifest, load_config(config, data=data, timeout=timeout))
    failures = table_[table_["status"].isin(["failed", "timeout"])]
    if not quiet:
        print(table_[["report", "status", "seconds"]].to_string(index=False))
        if len(failures):
            print("\nFailed reports (the previous good HTML, if any, is kept):", file=sys.stderr)
            print(
                failures[["report", "status", "cell", "exception", "message"]].to_string(
                    index=False
                ),
                file=sys.stderr,
            )
            print(
                "Executed notebooks with the error cell: "
                f"{out / '_notebooks'}/<report>.failed.ipynb",
                file=sys.stderr,
            )
        print(f"\nReport index: {index}")
    return RunOutcome(table_, index, failures)


def write_index(out: Path, manifest: dict, specs: list[ReportSpec]) -> Path:
    """``index.html``: every report with parameters, status, date and a link, grouped by notebook."""
    groups: dict[str, list] = {}
    for s in specs:
        groups.setdefault(s.group, []).append(s)
    parts = []
    for g, ss in groups.items():
        rows = []
        for s in ss:
            m = manifest.get(s.name, {})
            exists = (out / f"{s.name}.html").exists()
            status = m.get("last_status", "not run")
            status = "up to date" if status == "skipped" else status
            link = (
                f"<a href='{html.escape(s.name)}.html'>{html.escape(s.name)}</a>"
                if exists
                else html.escape(s.name)
            )
            params = ", ".join(f"{k}={v}" for k, v in s.parameters.items()) or "defaults"
            fail = m.get("last_failure") if m.get("last_status") in ("failed", "timeout") else None
            note = (
                (
                    f"<div class='err'>{html.escape(str(fail.get('exception')))}: "
                    f"{html.escape(str(fail.get('message')))}</div>"
                )
                if fail
                else ""
            )
            rows.append(
                f"<tr><td>{link}</td><td>{html.escape(params)}</td>"
                f"<td class='st-{html.escape(status.split()[0])}'>{html.escape(status)}{note}</td>"
                f"<td>{html.escape(m.get('date', '-'))}</td></tr>"
            )
        parts.append(
            f"<h2 id='{html.escape(g)}'>{html.escape(g.replace('_', ' '))}</h2><table>"
            "<tr><th>report</th><th>parameters</th><th>status</th><th>last good run</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cxmodels reports</title>
<style>body{{font-family:"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222}}
h1{{color:#1f5a96}} table{{border-collapse:collapse;width:100%;margin-bottom:1.5em}}
th,td{{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e7eb;vertical-align:top}}
.st-ok,.st-up{{color:#2e7d32}} .st-failed,.st-timeout{{color:#c0392b;font-weight:600}}
.err{{font-weight:normal;font-size:0.85em;color:#7a2a20}}</style></head><body>
<h1>cxmodels reports</h1><p>cxmodels {__version__} &middot; index written
{dt.datetime.now().strftime("%Y-%m-%d %H:%M")}</p>{"".join(parts)}</body></html>"""
    path = out / "index.html"
    _atomic_write(path, page)
    return path
