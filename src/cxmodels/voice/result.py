"""The result of :func:`cxmodels.analyze_comments`: themes, sentiment, impact, findings, plots."""

from __future__ import annotations

from dataclasses import field

import pandas as pd

from .._format import fmt_num, fmt_pct, join_words
from .._results import Findings, Result, result_dataclass
from ..i18n import t

#: Share of comments in "other" above which a codebook is said to miss much.
OTHER_WARN = 0.3
#: Fewer comments than this and themes and their impact are said to be unreliable.
FEW_COMMENTS = 100


@result_dataclass
class CommentsResult(Result):
    """Result of :func:`cxmodels.analyze_comments`.

    Attributes
    ----------
    table : DataFrame
        One row per theme: ``theme`` (the codebook name, or the three top terms of a
        discovered theme), ``comments`` (volume), ``share`` (% of
        comments), ``respondents`` (who mention it), ``sentiment`` (mean, -1..1),
        ``negative`` and ``positive`` (% of its comments below -0.2 / above 0.2) and, with an
        outcome, ``outcome_mentioning`` (mean outcome of who mention it), ``impact``,
        ``impact_low``, ``impact_high`` (outcome of all minus outcome without them).
    labels : Series
        One theme code per comment, index aligned with the input (a Series or one column: the
        input index; several columns: (row, column)); missing where there is no comment.
    memberships : DataFrame
        Bool, one column per theme: every theme a comment mentions (same index as ``labels``).
    sentiment : Series
        Sentiment per comment in -1..1 (same index as ``labels``).
    texts : Series
        The comments with phone numbers, e-mails, ids, cards and names masked
        (:func:`cxmodels.voice.mask_text`); the only form in which a comment is ever shown.
    language : Series
        ``"fa"`` or ``"en"`` per comment.
    examples : DataFrame
        Two representative masked comments per theme (``theme``, ``comment``).
    suggestions : DataFrame or None
        With a codebook, the discovered themes (``theme``, ``distinct comments``) as
        suggestions for new codebook entries.
    by_group, by_segment, trend : DataFrame or None
        Share (%) of comments per theme by NPS group, by segment and by wave.
    respondent_themes : DataFrame
        Bool, one row per respondent (the input rows) and one column per theme: who mentions
        it in any of their comments (the indicators of the impact and of ``theme_drivers``).
    outcome_ratings : Series or None
        The outcome column as given (the 0-10 rating for NPS).
    k_scores : dict
        Mean silhouette per number of themes tried when it was chosen (empty otherwise).
    calibration : :class:`cxmodels.voice.sentiment.Calibration`
        Sentiment calibration and its held-out accuracy.
    """

    table: pd.DataFrame
    labels: pd.Series = field(repr=False)
    memberships: pd.DataFrame = field(repr=False)
    sentiment: pd.Series = field(repr=False)
    texts: pd.Series = field(repr=False)
    language: pd.Series = field(repr=False)
    examples: pd.DataFrame = field(repr=False)
    method: str
    outcome: str | None
    n_respondents: int
    k_scores: dict
    calibration: object
    suggestions: pd.DataFrame | None = field(default=None, repr=False)
    by_group: pd.DataFrame | None = field(default=None, repr=False)
    by_segment: pd.DataFrame | None = field(default=None, repr=False)
    trend: pd.DataFrame | None = field(default=None, repr=False)
    expanded: dict = field(default_factory=dict, repr=False)
    respondent_themes: pd.DataFrame | None = field(default=None, repr=False)
    outcome_ratings: pd.Series | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()

    @property
    def n_comments(self) -> int:
        return int(self.labels.notna().sum())

    def _summary_parts(self):
        cal = self.calibration
        facts = {
            "comments": self.n_comments,
            "respondents": self.n_respondents,
            "themes": len(self.table),
            "method": self.method,
            "comments in Persian": int((self.language == "fa").sum()),
            "sentiment calibrated on the NPS group": cal.calibrated,
            "sentiment accuracy on held-out comments": cal.accuracy,
            "held-out comments": cal.n_test,
            "outcome": self.outcome,
        }
        if self.k_scores:
            facts["themes chosen by"] = "highest mean silhouette (cosine), k = 2..10"
        cols = [
            c
            for c in ("comments", "share", "sentiment", "negative", "impact",
                      "impact_low", "impact_high")
            if c in self.table
        ]  # fmt: skip
        tables = {"Themes": self.table.set_index("theme")[cols]}
        for name, tab in (
            ("Themes by NPS group (% of comments)", self.by_group),
            ("Themes by segment (% of comments)", self.by_segment),
            ("Suggested themes (discovered)", self.suggestions),
        ):
            if tab is not None:
                tables[name] = tab
        return "Comment themes", facts, tables, list(self.notes)

    def findings(self) -> Findings:
        """Volume, the largest and the most negative theme, the costliest theme with its
        interval, and the sentiment check; caveats for few comments, a large "other" and an
        uncalibrated sentiment."""
        tab = self.table
        named = tab[tab["theme"] != "other"]
        f = [t("voice.volume", n=fmt_num(self.n_comments, 0),
               respondents=fmt_num(self.n_respondents, 0), themes=fmt_num(len(tab), 0))]  # fmt: skip
        if len(named):
            top = named.loc[named["comments"].idxmax()]
            f.append(t("voice.largest", theme=top["theme"], share=fmt_pct(top["share"] / 100)))
            neg = named.loc[named["sentiment"].idxmin()]
            f.append(t("voice.most_negative", theme=neg["theme"],
                       sentiment=fmt_num(neg["sentiment"], 2, signed=True)))  # fmt: skip
        f += self._impact_findings(named)
        return Findings(tuple(f), tuple(self._caveats()))

    def _impact_findings(self, named: pd.DataFrame) -> list[str]:
        if "impact" not in named or not named["impact"].notna().any():
            return []
        worst = named.loc[named["impact"].idxmin()]
        out = []
        if worst["impact"] < 0:
            out.append(t("voice.costliest", theme=worst["theme"], outcome=self.outcome,
                         impact=fmt_num(worst["impact"], 1, signed=True),
                         low=fmt_num(worst["impact_low"], 1, signed=True),
                         high=fmt_num(worst["impact_high"], 1, signed=True)))  # fmt: skip
        best = named.loc[named["impact"].idxmax()]
        if best["impact"] > 0:
            out.append(t("voice.best", theme=best["theme"], outcome=self.outcome,
                         impact=fmt_num(best["impact"], 1, signed=True),
                         low=fmt_num(best["impact_low"], 1, signed=True),
                         high=fmt_num(best["impact_high"], 1, signed=True)))  # fmt: skip
        return out

    def _caveats(self) -> list[str]:
        cal, c = self.calibration, []
        if cal.n_test:
            c.append(t("voice.sentiment_check", accuracy=fmt_pct(cal.accuracy),
                       n=fmt_num(cal.n_test, 0), majority=fmt_pct(cal.accuracy_majority)))  # fmt: skip
        if not cal.calibrated:
            c.append(t("voice.uncalibrated"))
        if self.n_comments < FEW_COMMENTS:
            c.append(t("voice.few_comments", n=fmt_num(self.n_comments, 0)))
        other = self.table[self.table["theme"] == "other"]
        if len(other) and other["share"].iloc[0] / 100 > OTHER_WARN:
            c.append(t("voice.other_large", share=fmt_pct(other["share"].iloc[0] / 100)))
        if self.expanded and any(self.expanded.values()):
            words = join_words(w for ws in self.expanded.values() for w in ws[:3])
            c.append(t("voice.expanded", words=words))
        return c

    def theme_drivers(self, bootstrap: int = 0, seed: int = 0, **kwargs):
        """The themes as drivers of the outcome: :func:`cxmodels.fit_drivers` on one 0/1
        column per theme (who mentions it; "other" left out), with Shapley shares and, with a
        bootstrap, their intervals. ``kwargs`` go to ``fit_drivers`` (``model``, ``level``)."""
        from .._validation import fail
        from ..drivers import fit_drivers

        if self.outcome_ratings is None:
            fail("responses", "outcome", "no outcome to explain", "pass outcome='nps' or a column")
        themes = [c for c in self.respondent_themes.columns if c != "other"]
        y = self.outcome_ratings
        df = self.respondent_themes[themes].astype(int).assign(**{str(y.name): y})
        df = df[y.notna().to_numpy()]
        return fit_drivers(
            df, outcome=str(y.name), drivers=themes, bootstrap=bootstrap, seed=seed, **kwargs
        )

    def verbatims(self, theme: str | None = None, n: int = 5) -> pd.DataFrame:
        """Masked comments (``theme``, ``sentiment``, ``comment``), most negative first; only
        call this where comments may be shown (a report's ``show_comments``)."""
        df = pd.DataFrame({"theme": self.labels, "sentiment": self.sentiment,
                           "comment": self.texts}).dropna(subset=["theme"])  # fmt: skip
        if theme is not None:
            df = df[df["theme"] == theme]
        out = df.sort_values("sentiment", kind="stable").groupby("theme", sort=False).head(n)
        return out.reset_index(drop=True)

    def plot_impact(self, ax=None):
        """Bubble chart: sentiment (x) against impact (y), bubble area = volume."""
        from .._validation import fail
        from .plots import impact_bubbles

        if "impact" not in self.table:
            fail("responses", "outcome", "no impact without an outcome", "pass outcome='nps'")

        return impact_bubbles(self.table, self.outcome or "", ax=ax)

    def plot_themes(self, ax=None):
        """Horizontal bars of each theme's share of comments, coloured by mean sentiment."""
        from .plots import theme_bars

        return theme_bars(self.table, ax=ax)
