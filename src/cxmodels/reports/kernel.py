"""Warm kernels: a pre-imported template process forks a fresh IPython kernel per report.

Starting a kernel and importing cxmodels, pandas, matplotlib, statsmodels and lifelines costs a
few seconds per report. A *template* (a Python process running :func:`serve`, one per worker)
imports all of that once and then, for each report, forks a child that becomes the kernel
(``IPKernelApp`` on the report's connection file, IPC transport). Each report still gets its own
fresh process (nothing leaks from one report to the next; a crash or a kill affects one report),
but none pays for the imports.

Lifetimes: the template dies with the process that started it (``PR_SET_PDEATHSIG`` when started
from the main thread, and a watcher thread that exits when the parent changes); each kernel dies
with the template the same way. The forked kernel records the text of every ``Text`` artist of
every figure it rasterises (title, labels, ticks, legend, annotations) to a file, for the privacy
gate.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ipykernel.kernelapp import IPKernelApp
from jupyter_client.asynchronous import AsyncKernelClient
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.text import Text

PRELOAD = (
    "numpy",
    "pandas",
    "scipy.stats",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "seaborn",
    "statsmodels.api",
    "lifelines",
    "pyarrow.parquet",
    "duckdb",
    "IPython",
    "ipykernel.kernelapp",
    "cxmodels",
    "cxmodels.data",
    "cxmodels.drivers",
    "cxmodels.churn",
    "cxmodels.kano",
    "cxmodels.metrics",
    "cxmodels.effects",
    "cxmodels.plots",
    "cxmodels.reports.widgets",
)
INLINE = "module://matplotlib_inline.backend_inline"
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PR_SET_PDEATHSIG = 1
#: The template's command (``python -c``, not ``-m``: importing ``cxmodels.reports`` imports this
#: module, and ``-m`` would then run a second copy of it as ``__main__``).
TEMPLATE = "import sys; from cxmodels.reports.kernel import serve; serve(sys.argv[1] != 'thread')"


def die_with_parent(sig: int | None = None) -> None:
    """Ask Linux to send ``sig`` (default ``SIGKILL``) to this process when its parent thread
    exits (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    sig = signal.SIGKILL if sig is None else sig
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


@contextlib.contextmanager
def no_sigint():
    """Ctrl-C ignored while starting a child process, which is born ignoring it (a Python
    started with SIGINT ignored keeps it so): the runner alone handles Ctrl-C and stops its
    children, and no child prints a ``KeyboardInterrupt`` traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _watch_parent(parent: int) -> None:
    """Exit (taking the process group's kernels along) once the parent process is gone."""

    def loop() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=loop, daemon=True, name="cx-parent-watch").start()


# ------------------------------------------------------------------ inside the kernel child
_TEXTS_FILE: str | None = None


def _record_figure_texts() -> None:
    """Patch ``FigureCanvasBase.print_figure`` to log every text of a figure as it is drawn."""
    original = FigureCanvasBase.print_figure

    def print_figure(self, *args, **kwargs):
        if _TEXTS_FILE:
            texts = [t.get_text() for t in self.figure.findobj(Text) if t.get_text()]
            with open(_TEXTS_FILE, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(texts) + "\n")
        return original(self, *args, **kwargs)

    FigureCanvasBase.print_figure = print_figure


def _set_environment(env: dict) -> None:
    """The report's environment (``CXMODELS_LANGUAGE``, ``TMPDIR``) in the forked kernel, which
    inherited the template's already-imported modules: the language state and the temporary
    folder are set from it again."""
    os.environ.update({str(k): str(v) for k, v in env.items()})
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    i18n = sys.modules.get("cxmodels.i18n")
    if i18n is not None:
        i18n.set_language("en")
        i18n._from_environment()


def _become_kernel(req: dict) -> None:
    """In the forked child: become an IPython kernel on the request's connection file."""
    global _TEXTS_FILE
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    die_with_parent()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # let go of the template's request pipe
    os.close(null)
    fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.chdir(req["cwd"])
    _TEXTS_FILE = req["texts"]
    _set_environment(req.get("env") or {})

    app = IPKernelApp.instance()
    app.initialize(["-f", req["connection_file"], f"--IPKernelApp.parent_handle={os.getppid()}"])
    # as `%matplotlib inline`: the backend was imported before any shell existed
    app.shell.enable_matplotlib("inline")
    app.start()


def serve(pdeathsig: bool = True) -> None:
    """The template's loop: read one JSON request per line, fork a kernel, reply its pid.

    ``pdeathsig`` only when the starting thread lives as long as its process (Linux signals the
    death of the parent *thread*); the watcher thread covers the other cases.
    """
    parent = os.getppid()
    if pdeathsig:
        die_with_parent()
    _watch_parent(parent)
    os.environ["MPLBACKEND"] = INLINE
    for var in ONE_THREAD:
        os.environ.setdefault(var, "1")
    for mod in PRELOAD:
        with contextlib.suppress(Exception):
            __import__(mod)
    _record_figure_texts()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically
    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(req)
            finally:
                os._exit(0)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


# ------------------------------------------------------------------ in the worker
class Template:
    """A running template process; :meth:`fork_kernel` returns a :class:`ForkedKernel`."""

    def __init__(self) -> None:
        main = threading.current_thread() is threading.main_thread()
        with no_sigint():
            self.proc = self._popen(main)
        ready = self.proc.stdout.readline()
        if not ready:
            raise RuntimeError("the kernel template did not start (see the report logs)")

    @staticmethod
    def _popen(main: bool) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", TEMPLATE, "main" if main else "thread"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent if main else None,  # noqa: PLW1509 - no threads yet
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork_kernel(
        self, connection_file: Path, cwd: Path, log: Path, texts: Path, env: dict | None = None
    ) -> ForkedKernel:
        req = {
            "connection_file": str(connection_file),
            "cwd": str(cwd),
            "log": str(log),
            "texts": str(texts),
            "env": dict(env or {}),
        }
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError("the kernel template exited")
        return ForkedKernel(json.loads(reply)["pid"], connection_file)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


class ForkedKernel:
    """The part of a jupyter_client ``KernelManager`` that nbclient uses, for a forked kernel."""

    kernel_name = "python3"
    ipykernel = True
    has_kernel = True

    def __init__(self, pid: int, connection_file: Path):
        self.pid = pid
        self.connection_file = connection_file
        self.killed = False
        self._clients: list = []

    def client(self, **kwargs):
        kc = AsyncKernelClient(**kwargs)
        kc.load_connection_file(str(self.connection_file))
        self._clients.append(kc)
        return kc

    def is_alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def interrupt_kernel(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)

    def kill(self) -> None:
        """Kill the kernel (a timeout, or the end of the report)."""
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        self.kill()

    def cleanup_resources(self, restart: bool = False) -> None:
        for kc in self._clients:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        self._clients.clear()
