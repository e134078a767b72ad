"""Satisfaction drivers: regression and relative importance that adds up.

:func:`fit_drivers` fits the outcome on the driver ratings and decomposes the explained variance:

* **Shapley / LMG / general dominance** (Lindeman, Merenda & Gold 1980; Budescu 1993; Grömping
  2007): :math:`\\phi_j = \\sum_{S \\subseteq P \\setminus j} \\frac{|S|!(p-|S|-1)!}{p!}
  [R^2(S \\cup j) - R^2(S)]`, exact over all :math:`2^p` subsets, walked in blocks of bounded
  memory (see :mod:`cxmodels._importance`). Sums to the model R² (less the controls' part).
* **Relative weights** (Johnson 2000), **first** (:math:`r_{jy}^2`), **last** (drop in R² when j
  leaves the full model), **beta-squared**, **Pratt** (:math:`\\beta_j r_{jy}`, Thomas et al.
  1998).
* **Dominance** (Azen & Budescu 2003): complete and conditional dominance from the same subsets.

Models: OLS with HC3 standard errors; ordinal (proportional-odds) logit for Likert outcomes;
logit for a 0/1 outcome or for promoters (NPS 9-10) / detractors (0-6). For the logit models
importance is general dominance over McFadden's pseudo-R² (one fit per subset; at most 12
drivers).

The package: ``_prepare`` (validated inputs, one array), ``_ols`` (OLS with HC3 from one
centred cross-product), ``_logit`` (ordinal and binary fits), ``models`` (:func:`fit_drivers`,
:class:`DriversResult`), ``penalty_reward`` (:func:`penalty_reward`), ``segments``
(:func:`compare_segments`).
"""

from __future__ import annotations

from ._logit import MAX_LOGIT_DRIVERS, ordinal_fit, ordinal_loglik
from ._prepare import IMPORTANCE_METHODS, MODELS, TARGETS, DriverData, prepare
from .models import DriversResult, fit_drivers
from .penalty_reward import PenaltyRewardResult, penalty_reward
from .segments import SegmentComparison, compare_segments

__all__ = [
    "IMPORTANCE_METHODS",
    "MAX_LOGIT_DRIVERS",
    "MODELS",
    "TARGETS",
    "DriverData",
    "DriversResult",
    "PenaltyRewardResult",
    "SegmentComparison",
    "compare_segments",
    "fit_drivers",
    "ordinal_fit",
    "ordinal_loglik",
    "penalty_reward",
    "prepare",
]
