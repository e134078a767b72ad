"""Multilevel (mixed) models by branch and the service-profit chain.

* :func:`fit_multilevel`: linear mixed model with random intercepts (and optional random
  slopes) for one grouping factor (``branch_id`` by default), REML or ML, by lme4's profiled
  deviance (:mod:`cxmodels.multilevel._lmm`; tested against lme4 on ``sleepstudy``).
* :func:`service_profit_chain`: the cross-level effect of branch staff satisfaction
  (``branches.employee_sat``) on a customer outcome, the share of the between-branch variance
  it explains and the branch-level correlation, compared with Harter, Schmidt and Hayes (2002).
"""

from __future__ import annotations

from .chain import ChainResult, service_profit_chain
from .fit import MIN_GROUPS, MultilevelResult, fit_multilevel, lr_test

__all__ = [
    "MIN_GROUPS",
    "ChainResult",
    "MultilevelResult",
    "fit_multilevel",
    "lr_test",
    "service_profit_chain",
]
