"""Project paths: where data, notebooks and reports live.

The project root is the folder holding ``pyproject.toml`` above this package (a source
checkout), or the current working directory for an installed package. ``CXMODELS_ROOT``
overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the project root folder."""
    env = os.environ.get("CXMODELS_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "src" / "cxmodels").exists():
            return parent
    return Path.cwd().resolve()


def data_dir() -> Path:
    return project_root() / "data"


def sample_dir() -> Path:
    """Folder of the default synthetic sample (``data/sample``)."""
    return data_dir() / "sample"


def reports_dir() -> Path:
    return project_root() / "reports"
