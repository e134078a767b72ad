"""One BLAS and OpenMP thread inside cxmodels' own hot loops.

The package's hot loops (bootstrap refits, Newton steps on a few dozen parameters, the Cox and
AFT fits, the Shapley walk) multiply tall, thin or small matrices, where several BLAS threads
give nothing; on a machine whose cores are busy with other work the threads wait for each
other, and a call was measured 10 times slower in a plain session than with one thread. Their
entry points run under :data:`one_thread`, which limits BLAS and OpenMP to one thread for the
call (threadpoolctl) and gives the caller back its own setting afterwards.

Nested and concurrent uses share one limit: the first entry sets it, the last exit restores
the caller's setting, so an inner entry point costs a counter increment only.

Examples
--------
>>> from cxmodels._threads import one_thread
>>> @one_thread
... def refit(): ...
>>> with one_thread:
...     pass
"""

from __future__ import annotations

import contextlib
import threading

from threadpoolctl import threadpool_limits

__all__ = ["OneThread", "one_thread"]


class OneThread(contextlib.ContextDecorator):
    """Context manager and decorator: one BLAS/OpenMP thread while any user is inside."""

    _lock = threading.Lock()
    _depth = 0
    _limits = None

    def __enter__(self):
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                cls._limits = threadpool_limits(limits=1)
            cls._depth += 1
        return self

    def __exit__(self, *exc) -> bool:
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0:
                cls._limits.restore_original_limits()
                cls._limits = None
        return False


#: the shared limiter: ``@one_thread`` on a function, or ``with one_thread:`` around a block
one_thread = OneThread()
