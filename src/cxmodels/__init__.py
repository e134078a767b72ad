"""cxmodels: models for customer-experience research.

``import cxmodels as cx`` gives the data layer (``cx.load``, ``cx.load_sample``) and the models:
satisfaction drivers (``cx.fit_drivers``), survival churn (``cx.fit_churn``), Kano analysis
(``cx.analyze_kano``), CX metrics (``cx.nps``) and follow-up effects (``cx.follow_up_effect``).
Submodules and functions are imported on first use, so the command line starts quickly.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cxmodels")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

_SUBMODULES = {
    "churn",
    "data",
    "drivers",
    "effects",
    "export",
    "i18n",
    "kano",
    "metrics",
    "multilevel",
    "narrative",
    "plots",
    "reports",
    "structural",
    "uplift",
    "value",
    "weights",
    "voice",
}
_FUNCTIONS = {
    "CXData": "data",
    "generate": "data",
    "load": "data",
    "load_sample": "data",
    "open_data": "data",
    "save": "data",
    "validate": "data",
    "ConvergenceWarning": "_numeric",
    "DataQualityWarning": "_validation",
    "DataValidationError": "_validation",
    "InputError": "_validation",
    "compare_segments": "drivers",
    "fit_drivers": "drivers",
    "penalty_reward": "drivers",
    "fit_churn": "churn",
    "kaplan_meier": "churn",
    "survival_table": "churn",
    "analyze_kano": "kano",
    "classify": "kano",
    "ces": "metrics",
    "csat": "metrics",
    "nps": "metrics",
    "follow_up_effect": "effects",
    "fit_uplift": "uplift",
    "follow_up_timing": "uplift",
    "PLSModel": "structural",
    "fit_pls": "structural",
    "compare_pls": "structural",
    "rfm_summary": "value",
    "fit_bgnbd": "value",
    "fit_pareto_nbd": "value",
    "fit_gamma_gamma": "value",
    "fit_sbg": "value",
    "value_of_satisfaction": "value",
    "follow_up_value": "value",
    "club_value": "value",
    "analyze_comments": "voice",
    "mask_text": "voice",
    "export_tables": "export",
    "display_table": "_format",
    "labels_from": "_format",
    "set_language": "i18n",
    "fit_multilevel": "multilevel",
    "service_profit_chain": "multilevel",
    "survey_weights": "weights",
}

__all__ = sorted(_SUBMODULES | set(_FUNCTIONS) | {"__version__"})


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f".{_FUNCTIONS[name]}", __name__), name)
    raise AttributeError(f"module 'cxmodels' has no attribute {name!r}")


def __dir__():
    return __all__
