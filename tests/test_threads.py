"""The BLAS thread limiter of the hot loops (cxmodels._threads): one thread inside, the caller's
setting restored after, and the entry points of the hot loops run under it."""

from __future__ import annotations

import numpy  # noqa: F401  (loads the BLAS that threadpoolctl controls)
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import cxmodels as cx
from cxmodels._threads import one_thread


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    if not _blas_threads():
        pytest.skip("no BLAS library that threadpoolctl controls")
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(_blas_threads()) == {2}
        yield


def test_one_thread_inside_and_the_callers_setting_after(two_threads):
    @one_thread
    def inner():
        return _blas_threads()

    with one_thread:
        assert set(_blas_threads()) == {1}
        assert set(inner()) == {1}  # nested: still one thread
        assert set(_blas_threads()) == {1}  # the inner exit keeps the outer limit
    assert set(inner()) == {1}
    assert set(_blas_threads()) == {2}
    with pytest.raises(KeyError), one_thread:  # an error inside restores the setting too
        raise KeyError("x")
    assert set(_blas_threads()) == {2}


@pytest.fixture(scope="module")
def small():
    return cx.generate(300, seed=2)


class _Seen(Exception):
    """Raised by a patched inner step once it has recorded the BLAS threads it runs with."""


@pytest.mark.parametrize(
    ("module", "inner", "call"),
    [
        ("cxmodels.effects", "_units_and_eligible", lambda d: cx.follow_up_effect(d)),
        ("cxmodels.value.programme", "programme_design",
         lambda d: cx.follow_up_value(d, cost_per_contact=1.0)),
        ("cxmodels.churn.models", "fit_cox",
         lambda d: cx.fit_churn(cx.survival_table(d), ["overall_sat"])),
    ],
)  # fmt: skip
def test_hot_entry_points_run_with_one_thread(two_threads, small, monkeypatch, module, inner,
                                              call):  # fmt: skip
    import importlib

    seen = []

    def spy(*args, **kwargs):
        seen.append(set(_blas_threads()))
        raise _Seen

    monkeypatch.setattr(importlib.import_module(module), inner, spy)
    with pytest.raises(_Seen):
        call(small)
    assert seen == [{1}]
    assert set(_blas_threads()) == {2}
