"""Where reports run: ``serial``, ``process:N`` (forked workers) or Dask (``dask+local:N``,
``dask://HOST:PORT``).

Every executor maps :func:`.render.render` over the task specs and yields outcomes as they
finish; the parent publishes them. ``process:N`` forks N workers from the parent; each is its own
process group (its template and kernels inside), dies with the parent (``PR_SET_PDEATHSIG``,
then removes its temporary folder and kills its group) and is killed with its group when a
report overruns its timeout by more than a grace period (the report's own timeout is enforced
inside the worker by killing the kernel). Dask runs one thread per worker; before dispatching,
every worker's cxmodels version is compared with the parent's.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import as_completed

import cxmodels

from .. import __version__
from .config import ConfigError, Executor
from .kernel import ONE_THREAD, die_with_parent, no_sigint
from .render import RenderSpec, render, render_in_thread, shutdown

GRACE = 30.0  # seconds past a report's timeout before its whole worker is killed


def run_tasks(ex: Executor, tasks: list[RenderSpec]) -> Iterator[dict]:
    """Yield one outcome per task, in the order they finish."""
    if ex.kind == "serial":
        try:
            for t in tasks:
                yield render_in_thread(t)
        finally:
            shutdown()
    elif ex.kind == "process":
        yield from _ProcessPool(min(ex.workers, len(tasks))).map(tasks)
    else:
        yield from _dask_map(ex, tasks)


# ------------------------------------------------------------------ process:N
def _worker_main(conn, parent: int) -> None:
    """A forked worker: render each task received over ``conn`` and send back the outcome."""
    os.setsid()  # own process group: the parent kills worker, template and kernels at once

    def bye(*_) -> None:
        shutdown()
        os.killpg(0, signal.SIGKILL)

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent(signal.SIGTERM)
    if os.getppid() != parent:
        bye()
    for var in ONE_THREAD:
        os.environ[var] = "1"
    try:
        while True:
            task = conn.recv()
            if task is None:
                break
            conn.send(render_in_thread(task))
    except (EOFError, OSError):
        pass
    finally:
        shutdown()
    os._exit(0)


class _ProcessPool:
    """N forked workers fed one task at a time, with a backstop timeout per task."""

    def __init__(self, n: int):
        self.ctx = mp.get_context("fork")
        self.n = n
        self.workers: dict[int, tuple] = {}  # slot -> (process, conn, task, started)

    def _start(self, slot: int) -> None:
        here, there = self.ctx.Pipe()
        p = self.ctx.Process(target=_worker_main, args=(there, os.getpid()), daemon=True)
        with no_sigint():
            p.start()
        there.close()
        self.workers[slot] = (p, here, None, 0.0)

    def _kill(self, slot: int) -> None:
        p, conn, *_ = self.workers.pop(slot)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGTERM)  # the worker cleans its folder, then kills its group
        p.join(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)
        p.join(timeout=1)
        conn.close()

    def map(self, tasks: list[RenderSpec]) -> Iterator[dict]:
        pending, finished = list(tasks), False
        try:
            for slot in range(self.n):
                self._start(slot)
            while pending or any(w[2] is not None for w in self.workers.values()):
                for slot in list(self.workers):
                    p, conn, task, t0 = self.workers[slot]
                    if task is None and pending:
                        task = pending.pop(0)
                        conn.send(task)
                        self.workers[slot] = (p, conn, task, time.perf_counter())
                        continue
                    if task is None:
                        continue
                    out = self._poll(slot, p, conn, task, t0)
                    if out is not None:
                        yield out
                time.sleep(0.02)
            finished = True
        finally:  # on an interruption, kill at once; else let the idle workers exit first
            for slot in list(self.workers) if finished else []:
                with contextlib.suppress(OSError):
                    self.workers[slot][1].send(None)
            for slot in list(self.workers):
                if finished:
                    self.workers[slot][0].join(timeout=5)
                self._kill(slot)

    def _poll(self, slot: int, p, conn, task: RenderSpec, t0: float) -> dict | None:
        out = None
        if conn.poll():
            try:
                out = conn.recv()
            except (EOFError, OSError):
                out = _died(task, t0, p.exitcode)
        elif not p.is_alive():
            out = _died(task, t0, p.exitcode)
        elif time.perf_counter() - t0 > task.spec.timeout + GRACE:
            out = _died(task, t0, None, timeout=True)
        if out is None:
            return None
        if out.get("exception") in ("WorkerDied", "Timeout") and out.get("pid") is None:
            self._kill(slot)
            self._start(slot)
        else:
            self.workers[slot] = (p, conn, None, 0.0)
        return out


def _died(task: RenderSpec, t0: float, code, timeout: bool = False) -> dict:
    msg = (
        f"no result after {task.spec.timeout:.0f} s; the run was stopped"
        if timeout
        else f"the worker exited with code {code}"
    )
    return {
        "report": task.spec.name,
        "status": "timeout" if timeout else "failed",
        "cell": None,
        "exception": "Timeout" if timeout else "WorkerDied",
        "message": msg,
        "seconds": time.perf_counter() - t0,
        "pid": None,
    }


# ------------------------------------------------------------------ Dask
def _dask_client(ex: Executor):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            f"executor {ex} needs Dask: pip install 'cxmodels[dask]' (dask[distributed])."
        ) from None
    if ex.kind == "dask":
        try:
            return Client(ex.address, timeout="10s"), None
        except OSError as exc:
            raise ConfigError(f"executor {ex}: cannot reach the scheduler ({exc}).") from None
    cluster = LocalCluster(
        n_workers=ex.workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    )
    return Client(cluster), cluster


def _worker_version() -> str:
    return cxmodels.__version__


def _dask_map(ex: Executor, tasks: list[RenderSpec]) -> Iterator[dict]:
    client, cluster = _dask_client(ex)
    try:
        versions = client.run(_worker_version)
        other = {w: v for w, v in versions.items() if v != __version__}
        if not versions or other:
            raise ConfigError(
                f"executor {ex}: every worker needs cxmodels {__version__}; "
                + (f"found {other}" if other else "the cluster has no workers")
            )
        pool = client.get_executor(pure=False)
        futures = [pool.submit(render, t) for t in tasks]
        for f in as_completed(futures):
            yield f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
