"""The default synthetic sample on disk: the one writer, for the loader and the report runner."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .core import save
from .synth import generate

#: The default sample: 4,000 customers, seed 7, with realistic comments in English and Persian
#: (``comments="both"``, from their own random stream: every other number is the default world's)
#: so that the comments report finds themes in it.
DEFAULT_SAMPLE = {"n_customers": 4000, "seed": 7, "comments": "both"}


def sample_world(**overrides):
    """The default sample's world (:data:`DEFAULT_SAMPLE`), with any of its settings replaced
    (``n_customers``, ``seed``, ``comments``; ``None`` keeps the default)."""
    kw = {**DEFAULT_SAMPLE, **{k: v for k, v in overrides.items() if v is not None}}
    if kw.get("comments") == "none":
        kw["comments"] = None
    return generate(**kw)


def sample_is_current(folder: Path) -> bool:
    """``folder`` holds the default sample as :data:`DEFAULT_SAMPLE` defines it now: a sample
    written by an earlier version (other size, seed or comments) is not current and is
    written again, so the reports never read a stale world."""
    path = Path(folder) / "truth.json"
    if not path.exists():
        return False
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    comments = (truth.get("comments") or {}).get("language")
    return (
        truth.get("seed") == DEFAULT_SAMPLE["seed"]
        and truth.get("n_customers") == DEFAULT_SAMPLE["n_customers"]
        and comments == DEFAULT_SAMPLE["comments"]
    )


def write_sample(folder: Path) -> Path:
    """Generate the default sample (:data:`DEFAULT_SAMPLE`) into ``folder``.

    Written into a temporary folder beside it and then renamed, so no reader ever sees half a
    sample; an incomplete folder from an interrupted run is replaced. Callers that may run at
    the same time hold a lock around this (the report runner does).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=folder.parent))
    try:
        save(sample_world(), tmp)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
