from __future__ import annotations

import warnings

import pytest

import cxmodels as cx


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
