"""Kano analysis: classification, satisfaction coefficients, uncertainty and segments.

Answers are positions 1-5 (1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike) to the
functional ("if the feature is present") and dysfunctional ("if absent") question. A pair is
classified by an evaluation table into **A** attractive, **O** one-dimensional, **M** must-be,
**I** indifferent, **R** reverse or **Q** questionable (Kano et al. 1984). Per feature:

* Better :math:`= (A+O)/(A+O+M+I)`, Worse :math:`= -(O+M)/(A+O+M+I)` (Berger et al. 1993), with
  R and Q excluded; NaN when the denominator is 0.
* Category by rule: ``mode``; ``moai`` (when the category strength, top share minus second share,
  is below ``strength_threshold`` points, the higher of the top two in the order M > O > A > I
  wins); ``aom`` (if O+A+M > I+R+Q the largest of O, A, M, else the largest of I, R, Q).
* Fong's test of the top two counts :math:`a, b` among :math:`n` answers: significant when
  :math:`|a-b| \\ge 1.65\\sqrt{(a+b)(2n-a-b)/(2n)}` (Fong 1996); and an exact two-sided binomial
  test of :math:`a` against :math:`a+b` at 1/2.
* DuMouchel's continuous scores (functional like 4, must-be 2, neutral 0, live-with -1, dislike
  -2; dysfunctional like -2, must-be -1, neutral 0, live-with 2, dislike 4) with mean, SD, SE.
* Bootstrap over respondents (features stay linked): intervals for Better, Worse and shares,
  and classification stability (share of replicates each category wins).

References
----------
Berger, C. et al. (1993). Kano's methods for understanding customer-defined quality. *Center for
Quality Management Journal* 2(4), 3-36. Fong, D. (1996). Using the self-stated importance
questionnaire to interpret Kano questionnaire results. *CQM Journal* 5(3), 21-24. DuMouchel, W.
(1993), in Berger et al. (1993). Lee, Y.-C., & Huang, S.-Y. (2009). A new fuzzy concept approach
for Kano's model. *Expert Systems with Applications* 36(3) (the M > O > A > I rule).
"""

from .analysis import analyze_kano
from .result import KanoResult
from .tables import (  # noqa: F401  (the two tables by their 0.1 names)
    _POULIOT,
    _STD,
    CATS,
    DYS_SCORE,
    FUN_SCORE,
    LABELS,
    MOAI_RANK,
    NAMES,
    RULES,
    TABLES,
    classify,
    normalize_answers,
    to_positions,
)
from .tests import from_counts, summarise_counts

__all__ = [
    "CATS",
    "DYS_SCORE",
    "FUN_SCORE",
    "LABELS",
    "MOAI_RANK",
    "NAMES",
    "RULES",
    "TABLES",
    "KanoResult",
    "analyze_kano",
    "classify",
    "from_counts",
    "normalize_answers",
    "summarise_counts",
    "to_positions",
]
