"""Why customers leave: incidence by exit cause and what a covariate does to each exit.

:func:`exit_causes` joins the competing-risks pieces: the cumulative incidence by cause
(:func:`cumulative_incidence`, Gray's test across groups), and each cause's cause-specific Cox
(:func:`fit_cause_specific`) and Fine-Gray (:func:`fit_fine_gray`) models.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from .._format import fmt_ci, fmt_num, fmt_pct, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import (
    as_list,
    fail,
)
from ..i18n import is_english, t
from ..plots import localize_figure
from .competing import IncidenceResult, cumulative_incidence, fit_cause_specific
from .finegray import fit_fine_gray
from .tables import SURVEY_COVARIATES


@result_dataclass
class ExitCauses(Result):
    """Why customers leave: incidence by cause (and group), and what one covariate (e.g.
    satisfaction) does to each cause, cause-specific and Fine-Gray.

    Attributes
    ----------
    table : DataFrame
        One row per cause and covariate: ``cause``, ``covariate``, ``hr`` (cause-specific
        hazard ratio), ``hr_low``, ``hr_high``, ``hr_p``, ``shr`` (Fine-Gray subdistribution
        hazard ratio), ``shr_low``, ``shr_high``, ``shr_p``.
    incidence : IncidenceResult
        Cumulative incidence of every customer.
    by_group : IncidenceResult or None
        By ``by``, with Gray's test.
    focus : str
        The covariate the verdicts are about.
    horizon : float
        Horizon of the incidence sentences, in ``unit``.
    alpha : float
        1 - confidence level (intervals and verdicts).
    """

    table: pd.DataFrame
    incidence: IncidenceResult
    by_group: IncidenceResult | None
    focus: str
    horizon: float
    alpha: float

    def _summary_parts(self):
        sub = "subdistribution_hazard_ratio"
        names = {"hr_p": "p_value", "shr": sub, "shr_low": f"{sub}_low", "shr_high": f"{sub}_high"}
        shown = self.table.rename(columns=names).drop(columns="shr_p")
        tables = {t("churn.cause.effects"): shown}
        parts = [self.incidence] + ([self.by_group] if self.by_group is not None else [])
        at = pd.concat([r.at([self.horizon]) for r in parts], ignore_index=True)
        tables[t("churn.cif.at_horizon")] = at.drop(columns="time")
        if self.by_group is not None and self.by_group.tests is not None:
            tables[t("churn.cif.gray_title")] = self.by_group.tests
        facts = {
            t("churn.cif.causes"): join_words(label(c) for c in self.incidence.causes.values())
        }
        return t("churn.cause.title"), facts, tables, []

    def findings(self) -> Findings:
        """Incidence at the horizon, Gray's test, and one verdict per cause on ``focus``."""
        out = self.incidence.findings(self.horizon)
        if self.by_group is not None:
            out = out + Findings(self.by_group._gray_findings(), ())
        return out + Findings(tuple(self._verdicts()), ())

    def _verdicts(self) -> list[str]:
        """One sentence per cause on ``focus``; when the subdistribution hazard ratio's
        interval says otherwise than the cause-specific one, a second sentence says so."""
        level = fmt_pct(1 - self.alpha)
        said = []
        cov = self.table["covariate"]
        mine = (cov == self.focus) | cov.str.startswith(f"{self.focus}: ")
        for _, r in self.table[mine].iterrows():
            rate, share = _verdict(r, "hr"), _verdict(r, "shr")
            words = dict(x=label(r["covariate"]), cause=label(r["cause"]), hr=fmt_num(r["hr"]),
                         hr_ci=fmt_ci(r["hr_low"], r["hr_high"]), shr=fmt_num(r["shr"]),
                         shr_ci=fmt_ci(r["shr_low"], r["shr_high"]), level=level)  # fmt: skip
            if rate == share:
                said.append(t(f"churn.cause.{rate}", **words))
            else:
                said.append(f"{t(f'churn.cause.rate.{rate}', **words)} "
                            f"{t(f'churn.cause.share.{share}', **words)}")  # fmt: skip
        return said

    def plot(self):
        """Stacked probabilities of every customer and of each group, side by side; returns the
        ``Figure``."""
        panels = [(self.incidence, "all")]
        if self.by_group is not None:
            panels += [(self.by_group, g) for g in self.by_group.event_free["group"].unique()]
        fig, axes = plt.subplots(
            1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False, sharey=True
        )
        for ax, (res, g) in zip(axes[0], panels):  # a few panels
            res._draw(g, ax)
            who = t("churn.km_customers") if res.by is None else label(str(g))
            ax.set_title(who)
            if ax is not axes[0][0]:
                ax.set_ylabel("")
                ax.get_legend().remove()
        if not is_english():
            localize_figure(fig)
        fig.suptitle(t("churn.cif.title"))
        fig.tight_layout()
        return fig


def _verdict(row, ratio: str) -> str:
    """``raises``, ``lowers`` or ``unclear``: what the interval of ``ratio`` (``hr``, ``shr``)
    says at its level."""
    if row[f"{ratio}_low"] > 1:
        return "raises"
    return "lowers" if row[f"{ratio}_high"] < 1 else "unclear"


def exit_causes(
    table: pd.DataFrame,
    covariates,
    *,
    focus: str | None = None,
    by: str | None = None,
    horizon: float | None = None,
    duration_col: str = "duration",
    event_col: str = "event",
    cause_col: str | None = "exit_cause",
    causes: dict | None = None,
    reference: dict | None = None,
    alpha: float = 0.05,
    unit: str = "months",
) -> ExitCauses:
    """Why customers leave: cumulative incidence by cause (overall and by ``by``, with Gray's
    test) and each cause's cause-specific Cox and Fine-Gray models on ``covariates``.

    Parameters
    ----------
    table : DataFrame
        As :func:`cumulative_incidence` (from :func:`survival_table`, ``exit_cause`` names each
        exit).
    covariates : str or list of str
        The adjustment set of both models; must hold ``focus``.
    focus : str, optional
        The covariate whose effect on each exit the findings state: by default the first survey
        measure among the covariates (``overall_sat``, ``nps``, ``csat``, ``ces``), else the
        first covariate.
    by : str, optional
        Column whose groups get their own incidence (and Gray's test).
    horizon : float, optional
        Horizon of the incidence sentences (default 12 months in ``unit``).
    duration_col, event_col, cause_col, causes
        As :func:`cumulative_incidence`.
    reference : dict, optional
        Categorical covariate -> reference level.
    alpha : float
        1 - confidence level of every interval and verdict.
    unit : str
        Time unit.

    Returns
    -------
    ExitCauses
    """
    covariates = as_list(covariates)
    if focus is None:
        survey = [c for c in SURVEY_COVARIATES if c in covariates]
        focus = (survey or covariates)[0]
    if focus not in covariates:
        fail("exit_causes", "focus", f"{focus!r} is not among the covariates", "add it to them")
    kw = {"duration_col": duration_col, "event_col": event_col, "cause_col": cause_col}
    kw |= {"causes": causes, "alpha": alpha}
    inc = cumulative_incidence(table, unit=unit, **kw)
    grouped = cumulative_incidence(table, by, unit=unit, **kw) if by is not None else None
    rows = []
    for name in inc.causes.values():  # a few causes
        cs = fit_cause_specific(table, covariates, cause=name, reference=reference, unit=unit, **kw)
        fg = fit_fine_gray(table, covariates, cause=name, reference=reference, **kw)
        a = cs.table.set_index("covariate")[["hr", "hr_low", "hr_high", "p_value"]]
        b = fg.table.set_index("covariate")[["shr", "shr_low", "shr_high", "p_value"]]
        both = a.rename(columns={"p_value": "hr_p"}).join(b.rename(columns={"p_value": "shr_p"}))
        rows.append(both.reset_index().assign(cause=name))
    effects = pd.concat(rows, ignore_index=True)
    effects = effects[["cause", "covariate", *effects.columns[1:-1]]]
    h = inc._horizon() if horizon is None else float(horizon)
    return ExitCauses(effects, inc, grouped, focus, h, inc.alpha)
