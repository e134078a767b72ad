"""Whom to follow up, and when: per-customer effects, uplift curves, policy value, timing.

``cx.fit_uplift`` fits cross-fitted meta-learners (:mod:`cxmodels.uplift._learners`); its
result ranks customers, evaluates the ranking (:mod:`cxmodels.uplift.curves`) and values a
budgeted follow-up policy (:mod:`cxmodels.uplift.policy`); ``cx.follow_up_timing`` estimates
the effect by delay (:mod:`cxmodels.uplift.timing`).
"""

from __future__ import annotations

from .curves import area_vs_random, calibration, curve
from .model import QiniResult, UpliftResult, UpliftSpec, fit_uplift
from .policy import PolicyResult, policy_value
from .timing import ThinBandsError, TimingResult, follow_up_timing

__all__ = [
    "PolicyResult",
    "ThinBandsError",
    "TimingResult",
    "follow_up_timing",
    "policy_value",
    "QiniResult",
    "UpliftResult",
    "UpliftSpec",
    "area_vs_random",
    "calibration",
    "curve",
    "fit_uplift",
]
