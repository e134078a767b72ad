"""Shared fixtures, built once per session, and the split of the suite in two steps.

``make test`` runs ``pytest -m "not slow"`` (the fast suite); ``make test-e2e`` runs
``pytest -m slow``: the end-to-end runs that render reports (notebooks under papermill, the
CLI in a subprocess, a browser on the pages). CI (``.ci/run``) runs both. A test is ``slow``
when it carries the mark or uses one of the rendering fixtures in :data:`RENDERING`, so a new
test that reads a rendered report set moves to the second step by itself.
"""

from __future__ import annotations

import warnings

import pytest

import cxmodels as cx

#: fixtures of end-to-end runs: a report set rendered once and shared by the tests that read it
#: (``built``, ``browsed``, ``rendered``, ``persian``, ``hostile``, ``fa_reports``), and the data
#: the runner tests (test_reports, test_runner, test_runner_faults) render notebooks on
RENDERING = frozenset(
    {"built", "browsed", "rendered", "persian", "hostile", "fa_reports", "small_data"}
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects
def pytest_collection_modifyitems(items):
    for item in items:
        if RENDERING & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def world():
    """A small synthetic world (validated, with truth)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(3000, seed=3))


@pytest.fixture(scope="session")
def big_world():
    """A larger world for truth-recovery tests that need power."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(20000, seed=11))


@pytest.fixture(scope="session")
def saved_1500(tmp_path_factory):
    """``cx.generate(1500, seed=5)`` saved in a folder named ``small``: the data the report
    tests render on (read only; tests that change data copy it first)."""
    return cx.save(cx.generate(1500, seed=5), tmp_path_factory.mktemp("data1500") / "small")


@pytest.fixture(scope="session")
def saved_600(tmp_path_factory):
    """``cx.generate(600, seed=3)`` saved in a folder named ``small`` (the runner tests)."""
    return cx.save(cx.generate(600, seed=3), tmp_path_factory.mktemp("data600") / "small")
