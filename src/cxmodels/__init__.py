"""cxmodels: models for customer-experience research.

``import cxmodels as cx`` gives the data layer (``cx.load``, ``cx.load_sample``) and the models:
satisfaction drivers, survival churn, Kano analysis, CX metrics and follow-up effects.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cxmodels")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

from . import churn, effects, kano, metrics
from ._validation import DataQualityWarning, DataValidationError, InputError
from .churn import fit_churn, kaplan_meier, survival_table
from .data import CXData, generate, load, load_sample, save, validate
from .drivers import compare_segments, fit_drivers, penalty_reward
from .effects import follow_up_effect
from .kano import analyze_kano, classify
from .metrics import ces, csat, nps

__all__ = [
    "CXData",
    "DataQualityWarning",
    "DataValidationError",
    "InputError",
    "__version__",
    "analyze_kano",
    "ces",
    "churn",
    "classify",
    "csat",
    "effects",
    "follow_up_effect",
    "metrics",
    "nps",
    "compare_segments",
    "fit_churn",
    "fit_drivers",
    "generate",
    "kano",
    "kaplan_meier",
    "load",
    "load_sample",
    "penalty_reward",
    "save",
    "survival_table",
    "validate",
]
