"""Data: the contract, validating loaders, and the synthetic CX world.

See :mod:`cxmodels.data.contract` for the tables and columns.
"""

from __future__ import annotations

from pathlib import Path

from .._validation import DataQualityWarning, DataValidationError
from ..config import sample_dir
from .contract import ATTRIBUTES, CONTRACT, TABLES, default_codebook
from .core import CXData, load, save, validate
from .duck import DuckData
from .sample import DEFAULT_SAMPLE, sample_is_current, sample_world, write_sample
from .synth import generate
from .waves import order_waves


def load_sample(
    n_customers: int | None = None,
    seed: int | None = None,
    *,
    path: str | Path | None = None,
    cache: bool = True,
) -> CXData:
    """The synthetic CX world, read from ``data/sample/`` or generated.

    With no arguments, reads the default sample from ``data/sample`` (writing it there first if
    it is missing, or was written by an earlier version, and ``cache``). With ``n_customers``/``seed``, generates that world in memory.
    Either way the result is validated like any loaded data and carries ``truth``.
    """
    if n_customers is None and seed is None:
        folder = Path(path) if path else sample_dir()
        if sample_is_current(folder) or (path and (folder / "truth.json").exists()):
            return load(folder)
        if cache:
            return load(write_sample(folder))
        return validate(sample_world())
    return validate(sample_world(n_customers=n_customers, seed=seed))


def open_data(path: str | Path | None = None, engine: str = "pandas") -> CXData:
    """``load(path, engine=engine)``, or the default synthetic sample when ``path`` is empty
    (notebook helper; ``engine="duckdb"`` for data bigger than memory)."""
    if path in (None, "", "sample"):
        return load_sample()
    return load(path, engine=engine)


__all__ = [
    "ATTRIBUTES",
    "CONTRACT",
    "TABLES",
    "CXData",
    "DEFAULT_SAMPLE",
    "DuckData",
    "DataQualityWarning",
    "DataValidationError",
    "default_codebook",
    "generate",
    "load",
    "load_sample",
    "open_data",
    "order_waves",
    "save",
    "validate",
]
