"""The 0.1 prose functions, kept for code written against them; prose now lives with results.

Every sentence comes from a result's ``findings()`` (one function per result, the seam the
Persian edition uses); these functions only gather them as ``(findings, caveats)`` lists.
"""

from __future__ import annotations

import pandas as pd

from ._results import Findings
from .metrics import kpi_findings


def _pair(f: Findings) -> tuple[list[str], list[str]]:
    return list(f.findings), list(f.caveats)


def _gather(*results) -> Findings:
    out = Findings()
    for r in results:
        if r is not None:
            out = out + r.findings()
    return out


def drivers(res, pr=None, seg=None) -> tuple[list[str], list[str]]:
    """(findings, caveats) of a drivers analysis, its penalty-reward and segment comparison."""
    return _pair(_gather(res, pr, seg))


def churn(km_nps, cox, ev, unit: str = "months", horizon: float | None = None):
    """(findings, caveats) of the churn report: the Cox fit, the curves and the evaluation.

    ``unit`` and ``horizon`` are read from the results themselves; the arguments are kept for
    compatibility.
    """
    return _pair(_gather(cox, km_nps, ev))


def kano(res) -> tuple[list[str], list[str]]:
    """(findings, caveats) of a Kano analysis."""
    return _pair(res.findings())


def overview(kpis: pd.DataFrame, by_segment: pd.DataFrame | None = None):
    """(findings, caveats) of the KPI overview (see :func:`cxmodels.metrics.kpi_findings`)."""
    return _pair(kpi_findings(kpis, by_segment))
