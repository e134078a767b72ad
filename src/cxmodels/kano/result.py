"""The Kano result class, its findings() and its plots (the prose block of the Kano analysis)."""

from __future__ import annotations

from dataclasses import field

import numpy as np
import pandas as pd

from .._format import fmt_p, fmt_pct, join_words, kano_name, label
from .._results import Findings, Result, result_dataclass
from ..i18n import is_english, t
from ..plots import kano_better_worse, kano_dumouchel, kano_stacked

#: Segment differences are named when the chi-square p-value is below this (strict: several
#: features are tested at once).
SEGMENT_ALPHA = 0.01


@result_dataclass
class KanoResult(Result):
    """Result of :func:`analyze_kano`.

    Attributes
    ----------
    table : DataFrame
        One row per feature (and group): ``feature``, group columns, ``n``, counts
        ``A O M I R Q``, shares ``share_A`` ..., ``category`` (by ``rule``), ``category_mode``,
        ``category_moai``, ``category_aom``, ``better``, ``worse``, ``strength`` (top minus
        second share, points), ``total_strength`` (A+O+M share, %), ``fong_significant``,
        ``binom_p``, DuMouchel ``fun_mean``, ``fun_sd``, ``fun_se``, ``dys_mean``, ``dys_sd``,
        ``dys_se``, ``importance`` (mean self-stated, 1-9, when answered), ``q_rate``,
        ``r_rate``, ``low_n`` (fewer than ``min_n`` valid answers) and, with a bootstrap,
        ``better_low``/``better_high``, ``worse_low``/``worse_high``,
        ``share_X_low``/``share_X_high``, ``stability_X`` and ``stability`` (share of
        replicates won by the chosen category; NaN, not estimated, without a bootstrap).
    respondent_quality : DataFrame
        Per respondent: ``respondent_id``, ``n_answers``, ``n_Q``, ``n_R``, ``q_rate``, ``r_rate``.
    segment_tests : DataFrame or None
        With a segment: per feature ``chi2``, ``dof``, ``p_value``, ``categories`` and Better /
        Worse differences against the first segment (with bootstrap intervals).
    draws : dict
        Bootstrap draws of ``better`` and ``worse``, arrays ``(bootstrap, len(table))`` in the
        row order of ``table`` (empty without a bootstrap).

    Notes
    -----
    Better :math:`= (A+O)/(A+O+M+I)`, Worse :math:`= -(O+M)/(A+O+M+I)` (Berger et al. 1993).

    References
    ----------
    See :mod:`cxmodels.kano`.
    """

    table: pd.DataFrame
    rule: str
    table_name: str
    bootstrap: int
    n_respondents: int
    n_dropped_respondents: int
    groups: tuple[str, ...]
    notes: tuple[str, ...]
    respondent_quality: pd.DataFrame = field(repr=False)
    segment_tests: pd.DataFrame | None = field(default=None, repr=False)
    draws: dict = field(default_factory=dict, repr=False)

    def _summary_parts(self):
        cols = [
            "feature",
            *self.groups,
            "n",
            "category",
            "better",
            "worse",
            "strength",
            "fong_significant",
        ]
        if self.bootstrap:
            cols += ["stability", "better_low", "better_high"]
        tables = {"Features": self.table[cols].set_index(["feature", *self.groups])}
        if self.segment_tests is not None:
            tables["Segment tests"] = self.segment_table()
        facts = {
            "respondents": self.n_respondents,
            "rule": self.rule,
            "evaluation table": self.table_name,
            "bootstrap replicates": self.bootstrap,
            "respondents dropped (questionable)": self.n_dropped_respondents,
        }
        return "Kano analysis", facts, tables, list(self.notes)

    def segment_table(self) -> pd.DataFrame | None:
        """The segment comparison as a journal table, one row per feature (``None`` without
        a segment).

        Returns
        -------
        DataFrame
            ``feature``, ``category[<segment>]`` (the Kano letter per segment, shown by name),
            ``chi2`` (Pearson's chi-square of the A/O/M/I counts across segments), ``dof``
            and ``p_value``. The Better/Worse differences stay in :attr:`segment_tests`.
        """
        if self.segment_tests is None or not self.groups:
            return None
        group = self.groups[0]
        wide = self.table.pivot(index="feature", columns=group, values="category")
        wide.columns = [f"category[{c}]" for c in wide.columns]
        tests = self.segment_tests[["feature", "chi2", "dof", "p_value"]]
        out = tests.merge(wide.reset_index(), on="feature", how="left")
        return out[["feature", *wide.columns, "chi2", "dof", "p_value"]].astype(
            {"chi2": float, "dof": int, "p_value": float}
        )

    def findings(self) -> Findings:
        """Must-be features first, then one-dimensional, attractive, indifferent and reverse;
        unstable calls and notes as caveats; segment differences (chi-square p below
        :data:`SEGMENT_ALPHA`, stated in the sentence)."""
        tab = self.table
        if self.groups:
            tab = tab.groupby("feature", as_index=False).agg(
                category=("category", lambda s: s.mode().iloc[0]),
                better=("better", "mean"),
                worse=("worse", "mean"),
            )
        f = []
        for cat in _VERB_ORDER:
            feats = tab.loc[tab["category"] == cat].sort_values("worse")["feature"].tolist()
            if feats:
                f.append(t(f"kano.verb.{cat}", names=join_words(label(x) for x in feats)))
        c = list(self.notes)
        if "stability" in self.table:
            shaky = self.table[self.table["stability"] < 0.8]
            for _, r in shaky.iterrows():
                name = str if is_english() else label
                where = f" ({', '.join(name(r[g]) for g in self.groups)})" if self.groups else ""
                cat = r["category"] if is_english() else kano_name(r["category"])
                c.append(
                    t(
                        "kano.unstable",
                        feature=label(r["feature"]),
                        where=where,
                        category=cat,
                        share=fmt_pct(r["stability"]),
                    )
                )
        if self.segment_tests is not None:
            diff = self.segment_tests[self.segment_tests["p_value"] < SEGMENT_ALPHA]
            for _, r in diff.iterrows():
                cats = r["categories"] if is_english() else _category_words(r["categories"])
                f.append(
                    t(
                        "kano.segments_differ",
                        feature=label(r["feature"]),
                        p=fmt_p(r["p_value"]),
                        alpha=f"{SEGMENT_ALPHA:g}",
                        categories=cats,
                    )
                )
        return Findings(tuple(f), tuple(c))

    def priorities(self) -> pd.DataFrame:
        """Features in the order to act on them: must-be, then one-dimensional, then attractive."""
        order = {"M": 0, "O": 1, "A": 2, "I": 3, "R": 4, "Q": 5}
        t = self.table.assign(_o=self.table["category"].map(order))
        return t.sort_values(["_o", "worse"], ascending=[True, True]).drop(columns="_o")

    def plot_distribution(self, ax=None):
        return kano_stacked(self.table, ax=ax)

    def plot_better_worse(self, ax=None, group=None):
        t = self.table if group is None else self.table[self.table[self.groups[0]] == group]
        if "better_low" in t:
            # a percentile interval need not contain the estimate (few replicates, skewed
            # draws); error bars cannot be negative, so the drawing spans both
            t = t.assign(
                better_low=np.fmin(t["better_low"], t["better"]),
                better_high=np.fmax(t["better_high"], t["better"]),
                worse_low=np.fmin(t["worse_low"], t["worse"]),
                worse_high=np.fmax(t["worse_high"], t["worse"]),
            )
        return kano_better_worse(t, ax=ax)

    def plot_continuous(self, ax=None):
        return kano_dumouchel(self.table, ax=ax)


#: The order in which findings name the categories (messages ``kano.verb.<letter>``).
_VERB_ORDER = ("M", "O", "A", "I", "R")


def _category_words(categories: str) -> str:
    """``consumer:A, premium:O`` as the reader's words (segment label: category name)."""
    pairs = [p.rpartition(":") for p in str(categories).split(", ")]
    return join_words(f"{label(s)}: {kano_name(c)}" for s, _, c in pairs)
