"""The result of :func:`cxmodels.analyze_comments`: themes, sentiment, impact, findings, plots."""

from __future__ import annotations

from dataclasses import field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._format import fmt_ci, fmt_count, fmt_level, fmt_num, fmt_pct, join_words
from .._results import Findings, Result, result_dataclass
from .._validation import fail
from ..drivers import fit_drivers
from ..i18n import t
from .plots import impact_bubbles, theme_bars, theme_trend

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
    n_responses : int
        Rows of the input (survey answers, or texts): the base of the comment rate.
    left_out : dict
        ``{language: comments}`` left out by :func:`cxmodels.voice.analyze_report` (one
        language per page); ``asked`` is the language the report asked for.
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
    trend_n: pd.Series | None = field(default=None, repr=False)
    level: float = 0.95
    expanded: dict = field(default_factory=dict, repr=False)
    respondent_themes: pd.DataFrame | None = field(default=None, repr=False)
    outcome_ratings: pd.Series | None = field(default=None, repr=False)
    n_responses: int = 0
    left_out: dict = field(default_factory=dict, repr=False)
    asked: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def n_comments(self) -> int:
        return int(self.labels.notna().sum())

    @property
    def comment_rate(self) -> float:
        """Share of the input rows (survey answers) with at least one comment analysed."""
        return self.n_respondents / self.n_responses if self.n_responses else float("nan")

    def _summary_parts(self):
        cal = self.calibration
        facts = {
            "comments": self.n_comments,
            "respondents": self.n_respondents,
            "comment rate": self.comment_rate,
            "themes": len(self.table),
            "method": self.method,
            "comments in Persian": int((self.language[self.labels.notna()] == "fa").sum()),
            "comments left out (another language)": sum(self.left_out.values()),
            "sentiment calibrated on the NPS group": cal.calibrated,
            "sentiment accuracy on held-out comments": cal.accuracy,
            "accuracy of always guessing the larger group": cal.accuracy_majority,
            "sentiment balanced accuracy (chance 50%)": cal.balanced_accuracy,
            "Cohen's kappa of the sentiment (0 is chance)": cal.kappa,
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
        if self.suggestions is not None:
            tables["Suggested themes (discovered)"] = self.suggestions
        return "Comment themes", facts, tables, list(self.notes)

    def findings(self) -> Findings:
        """Volume and comment rate, the largest and the most negative theme, the costliest
        theme with its interval, the theme that sets detractors apart and the largest change
        between the first and last wave; caveats: the sentiment check, few comments, a large
        "other", an uncalibrated sentiment and comments left out for their language."""
        tab = self.table
        named = tab[tab["theme"] != "other"]
        f = [t("voice.volume", n=fmt_num(self.n_comments, 0),
               respondents=fmt_num(self.n_respondents, 0), themes=fmt_num(len(tab), 0)),
             t("voice.rate", n=fmt_num(self.n_respondents, 0),
               responses=fmt_num(self.n_responses, 0), rate=fmt_pct(self.comment_rate))]  # fmt: skip
        if len(named):
            top = named.loc[named["comments"].idxmax()]
            f.append(t("voice.largest", theme=top["theme"], share=fmt_pct(top["share"] / 100)))
            neg = named.loc[named["sentiment"].idxmin()]
            if neg["sentiment"] < 0:
                f.append(t("voice.most_negative", theme=neg["theme"],
                           sentiment=fmt_num(neg["sentiment"], 2, signed=True)))  # fmt: skip
        f += self._impact_findings(named)
        f += self._group_findings() + self._trend_findings()
        return Findings(tuple(f), tuple(self._language_caveats() + self._caveats()))

    def _group_findings(self) -> list[str]:
        """The theme detractors mention most beyond promoters (share of their comments)."""
        g = self.by_group
        if g is None or not {"detractor", "promoter"} <= set(g.columns):
            return []
        g = g.drop(index="other", errors="ignore")
        gap = g["detractor"] - g["promoter"]
        if g.empty or not (gap > 0).any():
            return []
        top = gap.idxmax()
        return [t("voice.by_group", theme=top, detractors=fmt_pct(g.loc[top, "detractor"] / 100),
                  promoters=fmt_pct(g.loc[top, "promoter"] / 100))]  # fmt: skip

    def _trend_findings(self) -> list[str]:
        """The theme whose share of comments moved most from the first wave to the last."""
        tr = self.trend
        if tr is None or tr.shape[1] < 2:
            return []
        tr = tr.drop(index="other", errors="ignore")
        first, last = tr.columns[0], tr.columns[-1]
        change = tr[last] - tr[first]
        if tr.empty or not change.abs().gt(0).any():
            return []
        top = change.abs().idxmax()
        words = dict(theme=top, first=first, last=last, a=fmt_pct(tr.loc[top, first] / 100),
                     b=fmt_pct(tr.loc[top, last] / 100))  # fmt: skip
        if self.trend_n is None:
            return [t("voice.trend", **words)]
        lo, hi = _share_change_ci(tr.loc[top, [first, last]] / 100,
                                  self.trend_n[[first, last]], self.level)  # fmt: skip
        key = "voice.trend_clear" if lo > 0 or hi < 0 else "voice.trend_unclear"
        return [t(key, **words, n1=fmt_count(self.trend_n[first]),
                  n2=fmt_count(self.trend_n[last]), level=fmt_level(self.level),
                  ci=fmt_ci(100 * lo, 100 * hi, 1, signed=True))]  # fmt: skip

    def _language_caveats(self) -> list[str]:
        """Comments left out of a report for their language, and why; or that the report's
        language has no comment, so the page is about comments in another."""
        kept = self.language[self.labels.notna()]
        if self.asked is None or not len(kept):
            return []
        lang = str(kept.mode().iloc[0])
        words = {k: t(f"voice.lang.{k}") for k in (*self.left_out, lang, self.asked)}
        if self.asked != lang:
            n_asked = self.left_out.get(self.asked, 0)
            key = "voice.language_fallback" if n_asked else "voice.language_none"
            return [t(key, asked=words[self.asked], n=fmt_num(n_asked, 0),
                      kept=fmt_num(self.n_comments, 0), language=words[lang])]  # fmt: skip
        if not self.left_out:
            return []
        n_left = sum(self.left_out.values())
        others = join_words(words[k] for k in self.left_out)
        return [t("voice.language_left_out", n=fmt_num(n_left, 0), others=others,
                  kept=fmt_num(self.n_comments, 0), language=words[lang])]  # fmt: skip

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
        if cal.verdict is not None:
            c.append(t(f"voice.sentiment_{cal.verdict}", accuracy=fmt_pct(cal.accuracy),
                       n=fmt_num(cal.n_test, 0), majority=fmt_pct(cal.accuracy_majority),
                       balanced=fmt_pct(cal.balanced_accuracy), chance=fmt_pct(0.5),
                       kappa=fmt_num(cal.kappa, 2)))  # fmt: skip
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
        if "impact" not in self.table:
            fail("responses", "outcome", "no impact without an outcome", "pass outcome='nps'")

        return impact_bubbles(self.table, self.outcome or "", ax=ax)

    def plot_trend(self, ax=None):
        """Lines of each theme's share of comments by wave (needs a wave column)."""
        if self.trend is None:
            fail("responses", "wave", "no wave column", "pass wave='...' naming the survey waves")
        return theme_trend(self.trend, ax=ax)

    def plot_themes(self, ax=None):
        """Horizontal bars of each theme's share of comments, coloured by mean sentiment."""
        return theme_bars(self.table, ax=ax)


def _share_change_ci(shares: pd.Series, n: pd.Series, level: float) -> tuple[float, float]:
    """Wald interval of the change of a share between two waves (last minus first) from the
    comments in each: :math:`\\hat p_2 - \\hat p_1 \\pm z\\sqrt{\\sum_w \\hat p_w(1-\\hat p_w)/n_w}`."""
    p, m = shares.to_numpy(float), n.to_numpy(float)
    se = np.sqrt((p * (1 - p) / m).sum())
    z = norm.ppf(0.5 + level / 2)
    return p[1] - p[0] - z * se, p[1] - p[0] + z * se
