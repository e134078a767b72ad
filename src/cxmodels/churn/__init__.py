"""Survival-based churn: who leaves, when, and what satisfaction has to do with it.

Churn is time-to-event data with censoring (most customers are still active at the observation
end), so cxmodels models it with survival analysis, matched to R ``survival``:

* :mod:`.tables` -- :func:`survival_table`: one row per customer from the baseline survey, or
  start-stop rows whose survey covariates change over time.
* :mod:`.nonparametric` -- :func:`kaplan_meier`: retention curves with "log-log", "log" or
  "plain" bands, medians with intervals, the log-rank test.
* :mod:`.models` and :mod:`.results` -- :func:`fit_churn`: Cox (Efron ties;
  :class:`CoxResult`), time-varying Cox (:class:`TimeVaryingCoxResult`), Weibull, log-normal
  and log-logistic AFT (:class:`AFTResult`), sharing :class:`ChurnResult`.
* :mod:`.zph` -- the Grambsch-Therneau proportional-hazards test of R ``cox.zph``.
* :mod:`.evaluation` -- :func:`evaluate`: concordance, IPCW Brier score, calibration.
* :mod:`.concordance` -- Harrell's C, vectorized, with strata.
* :mod:`.competing` -- competing risks: :func:`cumulative_incidence` (Aalen-Johansen with R
  survival's standard errors, Gray's test), :func:`fit_cause_specific` (cause-specific Cox) and
  :func:`exit_causes` (which exits a covariate such as satisfaction drives);
  :mod:`.finegray` -- :func:`fit_fine_gray` (Fine-Gray in linear time, cmprsk ``crr``'s
  robust standard errors).
* :mod:`.recurrent` -- repeat events: :func:`recurrent_table` (episodes of recurring complaints
  or purchases) and :func:`fit_recurrent` (Andersen-Gill, PWP total and gap time, robust
  standard errors clustered by customer).
"""

from __future__ import annotations

from .._validation import InputError
from .competing import IncidenceResult, cumulative_incidence, fit_cause_specific
from .concordance import concordance_index
from .evaluation import Evaluation, brier_ipcw, evaluate, risk_by, split
from .exits import ExitCauses, exit_causes
from .finegray import FineGrayResult, fit_fine_gray
from .models import MODELS, fit_churn
from .nonparametric import CONF_TYPES, KMResult, kaplan_meier
from .prose import hazard_ratio_sentence
from .recurrent import RECURRENT_MODELS, RecurrentResult, fit_recurrent, recurrent_table
from .results import AFTResult, ChurnResult, CoxResult, TimeVaryingCoxResult
from .tables import CUSTOMER_COVARIATES, SURVEY_COVARIATES, UNITS, nps_group, survival_table
from .zph import TRANSFORMS, PHTest, cox_zph

__all__ = [
    "AFTResult",
    "CONF_TYPES",
    "CUSTOMER_COVARIATES",
    "ChurnResult",
    "CoxResult",
    "Evaluation",
    "ExitCauses",
    "FineGrayResult",
    "IncidenceResult",
    "InputError",
    "KMResult",
    "MODELS",
    "PHTest",
    "RECURRENT_MODELS",
    "RecurrentResult",
    "SURVEY_COVARIATES",
    "TRANSFORMS",
    "TimeVaryingCoxResult",
    "UNITS",
    "brier_ipcw",
    "concordance_index",
    "cox_zph",
    "cumulative_incidence",
    "evaluate",
    "exit_causes",
    "fit_cause_specific",
    "fit_churn",
    "fit_fine_gray",
    "fit_recurrent",
    "hazard_ratio_sentence",
    "kaplan_meier",
    "nps_group",
    "recurrent_table",
    "risk_by",
    "split",
    "survival_table",
]
