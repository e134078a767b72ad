"""The value of loyalty: purchase models, customer lifetime value and what CX is worth in money.

* :func:`rfm_summary`: frequency, recency, T and mean repeat value per customer (with holdout).
* :func:`fit_bgnbd`, :func:`fit_pareto_nbd`: buy-till-you-die purchase models (with optional
  time-invariant covariates); :func:`fit_gamma_gamma`: spend per purchase.
* :func:`fit_sbg`: shifted-beta-geometric retention for contractual customers.
* :func:`value_of_satisfaction`, :func:`follow_up_value`, :func:`club_value`: CLV gained from a
  point of satisfaction, the follow-up programme and the customer club.
"""

from __future__ import annotations

from ._mle import ConvergenceWarning
from .bgnbd import BGNBDResult, fit_bgnbd
from .covariates import add_covariates, customer_covariates, with_purchases
from .gammagamma import GammaGammaResult, fit_gamma_gamma
from .paretonbd import ParetoNBDResult, fit_pareto_nbd
from .rfm import RFMTable, purchase_profile, rfm_summary
from .sbg import SBGResult, fit_sbg
from .worth import (
    ProgrammeValueResult,
    ValueModel,
    ValueOfChangeResult,
    club_value,
    fit_value_model,
    follow_up_value,
    top_share,
    value_of_satisfaction,
)

__all__ = [
    "BGNBDResult",
    "ConvergenceWarning",
    "GammaGammaResult",
    "ParetoNBDResult",
    "ProgrammeValueResult",
    "RFMTable",
    "SBGResult",
    "ValueModel",
    "ValueOfChangeResult",
    "add_covariates",
    "club_value",
    "customer_covariates",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "fit_sbg",
    "fit_value_model",
    "follow_up_value",
    "purchase_profile",
    "rfm_summary",
    "top_share",
    "value_of_satisfaction",
    "with_purchases",
]
