"""The runner's locks, portable: an OS lock (``fcntl.flock``) where there is one, else a lock file.

With ``fcntl`` (Linux, macOS) a lock dies with the process holding it. Without it (Windows) a
lock is a file created with ``O_CREAT | O_EXCL`` holding the owner's pid; a file whose owner is
gone is stale and taken over. Nothing here is imported by the helpers a notebook uses
(:mod:`.widgets`), and importing it needs no POSIX-only module.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_HELD: list[int] = []  # lock fds, closed in forked children so a child never holds them
POLL = 0.1  # seconds between attempts on a held lock file


def _close_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_close_in_child)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie counts as gone); never signals it on Windows."""
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped: common in containers whose init never reaps) is gone
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows
    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    code = ctypes.c_ulong()
    try:
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    finally:
        kernel32.CloseHandle(handle)
    return code.value == 259  # STILL_ACTIVE


def _holder(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _take_file(path: Path) -> int | None:
    """The fallback lock: the fd of a newly created ``path``, or ``None`` while another holds it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        holder = _holder(path)
        if holder is not None and not pid_alive(holder):  # its owner died: take it over
            with contextlib.suppress(OSError):
                os.unlink(path)
            return _take_file(path)
        return None
    os.write(fd, str(os.getpid()).encode())
    return fd


def try_lock(path: Path) -> int | None:
    """Take the lock ``path`` without waiting: its fd, or ``None`` when another process holds it.

    Raises ``OSError`` when the lock file cannot be created (the caller names the folder).
    """
    if fcntl is None:
        fd = _take_file(path)
    else:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    if fd is not None:
        _HELD.append(fd)
    return fd


def holder(path: Path) -> str:
    """The pid written in a held lock (``?`` when unknown), for the message."""
    pid = _holder(path)
    return "?" if pid is None else str(pid)


def release(path: Path, fd: int) -> None:
    """Release a lock taken by :func:`try_lock` (the fallback's file is removed)."""
    if fd not in _HELD:
        return
    _HELD.remove(fd)
    os.close(fd)  # closing releases the flock
    if fcntl is None:
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def waiting_lock(path: Path) -> Iterator[None]:
    """Hold the lock ``path``, waiting for another holder to let go."""
    while (fd := try_lock(path)) is None:
        time.sleep(POLL)
    try:
        yield
    finally:
        release(path, fd)
