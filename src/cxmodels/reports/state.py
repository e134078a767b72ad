"""The runner's files: safe paths, atomic writes, the manifest, the run lock, the sample.

Every file the runner writes resolves inside the output folder (:func:`inside`). Writes go to a
temporary file in the same folder and are renamed, so a failed write leaves nothing partial; a
permission or disk error becomes one :class:`OutputError` naming the path. The run lock
(:mod:`.locks`) is an OS lock that disappears with the process holding it, or a lock file where
there is no ``fcntl``. A corrupt manifest is moved aside with a warning and the affected reports
are re-run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from .. import __version__
from .._validation import CXError
from ..config import sample_dir
from ..data.sample import sample_is_current, write_sample
from .locks import holder, pid_alive, release, try_lock, waiting_lock

LOCK_NAME = ".cxmodels-report.lock"
TMP_PREFIX = "cxmodels-run-"
SCRATCH = "_scratch"  # inside the output folder: the kernels' working folders during a run


class RunInProgress(CXError, RuntimeError):
    """Another report run holds the output folder (exit code 2)."""


class OutputError(CXError, OSError):
    """A file of the run could not be written: permission, disk full, ... (exit code 1)."""


def inside(out: Path, *parts: str) -> Path:
    """``out / parts`` after checking it resolves inside ``out`` (no ``..``, absolute, symlink)."""
    root = out.resolve()
    p = root.joinpath(*parts)
    resolved = p.resolve()
    if resolved != root and root not in resolved.parents:
        raise OutputError(f"refusing to write {p}: it resolves to {resolved}, outside {root}")
    return p


def _oserror(exc: OSError, path: Path, what: str) -> OutputError:
    why = exc.strerror or type(exc).__name__
    return OutputError(f"cannot {what} {path}: {why}. Fix: make the folder writable or use --out.")


def ensure_dir(path: Path) -> Path:
    """``mkdir -p`` with a clear error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _oserror(exc, path, "create the folder") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write into {path}: permission denied. Fix: make it writable or use --out."
        )
    return path


def _stage(path: Path, data: str | bytes) -> str:
    """``data`` in a temporary file beside ``path`` (its name); nothing is left on an error."""
    ensure_dir(path.parent)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        return tmp
    except BaseException as exc:  # also an interruption: no partial file stays
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _oserror(exc, path, "write") from None
        raise


def publish(writes: list[tuple[Path, str | bytes]], removals: tuple[Path, ...] = ()) -> None:
    """Write every file or none: all are staged beside their targets first, then renamed in
    order (so the last, e.g. the page linking the others, appears last); ``removals`` go after.

    A write error (disk full, permission) replaces nothing and raises one :class:`OutputError`.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in writes:
            staged.append((_stage(path, data), path))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for i, (tmp, path) in enumerate(staged):
        try:
            os.replace(tmp, path)
        except OSError as exc:
            for later, _ in staged[i:]:
                with contextlib.suppress(OSError):
                    os.unlink(later)
            raise _oserror(exc, path, "write") from None
    for path in removals:
        remove(path)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it; nothing partial stays."""
    publish([(path, data)])


def remove(path: Path) -> None:
    """Delete a file if it exists (errors are raised as :class:`OutputError`)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise _oserror(exc, path, "remove") from None


def read_manifest(path: Path) -> dict:
    """The manifest, or ``{}`` after moving a corrupt one aside (with a warning)."""
    if not path.exists():
        return {}
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(m, dict) or not all(isinstance(v, dict) for v in m.values()):
            raise ValueError("not a mapping of report entries")
        return m
    except (ValueError, UnicodeDecodeError) as exc:
        aside = path.with_name(f"{path.name}.corrupt")
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        warnings.warn(
            f"{path} was unreadable ({str(exc).splitlines()[0][:80]}); moved it to {aside.name} "
            "and re-running every report of this run",
            stacklevel=2,
        )
        return {}


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the output folder; it dies with its holder."""
    path = inside(out, LOCK_NAME)
    try:
        fd = try_lock(path)
    except OSError as exc:
        raise _oserror(exc, path, "create the lock file") from None
    if fd is None:
        raise RunInProgress(
            f"another report run is using {out} (pid {holder(path)}); "
            "wait for it to finish or use another --out"
        )
    try:
        yield
    finally:
        release(path, fd)


def sweep_temp_dirs() -> None:
    """Remove ``cxmodels-run-PID-*`` folders left by runs whose process is gone (kill -9)."""
    base = Path(tempfile.gettempdir())
    for d in base.glob(f"{TMP_PREFIX}*"):
        try:
            pid = int(d.name[len(TMP_PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if not pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)


def make_temp_dir() -> Path:
    """A private temporary folder named after this process (swept if the process dies)."""
    return Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-"))


def ensure_sample() -> Path:
    """Generate ``data/sample`` once (again when an earlier version wrote it): under a lock, into a
    temporary folder, then renamed."""
    folder = sample_dir()
    if sample_is_current(folder):
        return folder
    ensure_dir(folder.parent)
    with waiting_lock(folder.parent / ".sample.lock"):  # a concurrent run waits, then finds it
        if sample_is_current(folder):
            return folder
        return write_sample(folder)


# ------------------------------------------------------------------ fingerprints
def files_signature(path: Path) -> list:
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


_SOURCE_HASH: list[str] = []


def _source_hash() -> str:
    if not _SOURCE_HASH:
        h = hashlib.sha256()
        pkg = Path(__file__).parents[1]
        for p in sorted(pkg.rglob("*")):
            if p.suffix in (".py", ".j2", ".json") and "__pycache__" not in p.parts:
                h.update(p.read_bytes())
        _SOURCE_HASH.append(h.hexdigest())
    return _SOURCE_HASH[0]


def fingerprint(spec) -> str:
    """Hash of the notebook, parameters, data files, cxmodels version and source."""
    h = hashlib.sha256()
    h.update(spec.notebook.read_bytes())
    h.update(json.dumps(spec.parameters, sort_keys=True, default=str).encode())
    if getattr(spec, "language", "en") != "en":  # English fingerprints stay as they were
        h.update(f"language={spec.language}".encode())
    h.update(json.dumps(files_signature(data_path(spec.data))).encode())
    h.update(__version__.encode())
    h.update(_source_hash().encode())
    return h.hexdigest()[:20]


def data_path(spec_data: str | None) -> Path:
    """Where a spec's data lives (the sample folder for ``None``)."""
    return sample_dir() if spec_data is None else Path(spec_data)
