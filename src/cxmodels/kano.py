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

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._bootstrap import make_rng, multinomial_weights, percentile_ci
from ._format import fmt_p, fmt_pct, join_words, kano_name, label
from ._results import Findings, Result, result_dataclass
from ._validation import (
    InputError,
    check_frame,
    check_number,
    check_option,
    check_weights,
    fail,
    require_columns,
)
from .i18n import is_english, t

CATS = ("A", "O", "M", "I", "R", "Q")
_A, _O, _M, _I, _R, _Q = range(6)
NAMES = {
    "A": "attractive",
    "O": "one-dimensional",
    "M": "must-be",
    "I": "indifferent",
    "R": "reverse",
    "Q": "questionable",
}
RULES = ("mode", "moai", "aom")

_STD = [
    "QAAAO",  # functional like
    "RIIIM",  # must-be
    "RIIIM",  # neutral
    "RIIIM",  # live-with
    "RRRRQ",  # dislike
]
_POULIOT = ["QAAAO", "RQIIM", "RIIIM", "RIIQM", "RRRRQ"]
TABLES = {"standard": _STD, "pouliot": _POULIOT}

#: Answer wordings of common questionnaires (compared after :func:`_normal_text`).
LABELS = {
    1: [
        "like",
        "i like it",
        "i like it that way",
        "i like it this way",
        "like it",
        "i like",
        "delighted",
        "satisfied",
        "i enjoy it",
        "خوشم می آید",
        "خوشم میاد",
        "دوست دارم",
    ],
    2: [
        "must-be",
        "must be",
        "it must be",
        "it must be that way",
        "it must be this way",
        "must be that way",
        "i expect it",
        "expect it",
        "expected",
        "i expect it that way",
        "it is a basic necessity",
        "باید این طور باشد",
        "باید اینطور باشد",
        "باید باشد",
        "انتظار دارم",
    ],
    3: [
        "neutral",
        "i am neutral",
        "i'm neutral",
        "i don't care",
        "i do not care",
        "indifferent",
        "no feeling",
        "i feel neutral",
        "برایم فرقی نمی کند",
        "برایم فرقی ندارد",
        "فرقی نمی کند",
        "بی تفاوتم",
    ],
    4: [
        "live-with",
        "live with",
        "i can live with it",
        "i can live with it that way",
        "can live with it",
        "tolerate",
        "i can tolerate it",
        "i can tolerate it that way",
        "tolerate it",
        "accept",
        "i can accept it",
        "i accept it",
        "می توانم تحمل کنم",
        "میتوانم تحمل کنم",
        "قابل تحمل است",
    ],
    5: [
        "dislike",
        "i dislike it",
        "i dislike it that way",
        "dislike it",
        "i don't like it",
        "i do not like it",
        "dissatisfied",
        "خوشم نمی آید",
        "خوشم نمیاد",
        "دوست ندارم",
    ],
}
FUN_SCORE = np.array([4, 2, 0, -1, -2], dtype=float)
DYS_SCORE = np.array([-2, -1, 0, 2, 4], dtype=float)
# rank of each category in the M > O > A > I (> R > Q) order: lower wins
MOAI_RANK = np.array([2, 1, 0, 3, 4, 5])
# rows per block when counting (temporaries of a block stay in the CPU cache)
_CHUNK = 1 << 18
# counts closer than this share of the cell total are a tie (sums of weights such as 1/n)
_TIE_RTOL = 1e-9


def _normal_text(s: str) -> str:
    """Case-, space-, punctuation- and script-variant-insensitive form of an answer label."""
    t = unicodedata.normalize("NFKC", str(s)).casefold()
    t = t.replace("\u200c", " ").replace("\u200f", "").replace("\u200e", "")
    t = t.translate(str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "’": "'", "‘": "'"}))
    t = re.sub(r"[.!،,;:«»\"()]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


_LABEL_TO_POS = {_normal_text(w): k for k, words in LABELS.items() for w in words}


def _table_array(table) -> np.ndarray:
    rows = TABLES.get(table, table) if isinstance(table, str) else table
    ok = not isinstance(rows, str) and len(rows) == 5
    ok = ok and all(isinstance(r, str) and len(r) == 5 and set(r) <= set(CATS) for r in rows)
    if not ok:
        raise InputError(
            f"[error] table: {table!r} is not 'standard', 'pouliot' or a 5x5 table. "
            "Fix: pass one of the names or five rows of five letters from AOMIRQ."
        )
    return np.array([[CATS.index(c) for c in row] for row in rows], dtype=np.int8).ravel()


def _bad_answers(s: pd.Series, bad: np.ndarray, column: str, table: str) -> None:
    rows = s.index[bad]
    fail(
        table,
        column,
        f"answers that are not positions 1-5 or known labels (e.g. {s[rows[0]]!r})",
        "code answers 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike "
        "(or use the questionnaire wording, see cx.kano.LABELS)",
        [f"row {r}" for r in rows],
    )


def _positions_u8(
    answers,
    *,
    reversed_scale: bool = False,
    column: str = "functional",
    table: str = "kano_answers",
) -> np.ndarray:
    """Answers as uint8 positions 1-5, 0 for missing; one error naming the rows otherwise.

    Numbers are checked with two comparisons; text is mapped once per distinct label.
    """
    s = answers if isinstance(answers, pd.Series) else pd.Series(answers)
    if pd.api.types.is_bool_dtype(s):
        _bad_answers(s, np.ones(len(s), bool), column, table)
    if pd.api.types.is_integer_dtype(s) and not isinstance(
        s.dtype, pd.api.extensions.ExtensionDtype
    ):
        x = s.to_numpy()
        if x.dtype.itemsize == 1:  # int8/uint8: one unsigned comparison, 1..5 -> 0..4
            u = x.view(np.uint8)
            bad = (u - np.uint8(1)) > 4
        else:
            u, bad = None, (x < 1) | (x > 5)
        if bad.any():
            _bad_answers(s, bad, column, table)
        pos = x.astype(np.uint8) if u is None else u  # read-only use: callers build new arrays
    elif pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(x)
        bad = ~miss & ((x < 1) | (x > 5) | (x % 1 != 0))
        if bad.any():
            _bad_answers(s, bad, column, table)
        pos = np.where(miss, 0, x).astype(np.uint8)
    else:
        codes, uniques = pd.factorize(s, sort=False)
        keys = [_normal_text(u) for u in uniques]
        num = pd.to_numeric(pd.Series(keys, dtype=object), errors="coerce").to_numpy(float)
        mapped = np.array([_LABEL_TO_POS.get(k, np.nan) for k in keys], dtype=float)
        mapped = np.where(np.isnan(mapped) & np.isin(num, [1, 2, 3, 4, 5]), num, mapped)
        if np.isnan(mapped).any():
            _bad_answers(s, np.isin(codes, np.flatnonzero(np.isnan(mapped))), column, table)
        lut = np.append(mapped, 0).astype(np.uint8)  # code -1 (missing) -> 0
        pos = lut[codes]
    if reversed_scale:
        pos = np.where(pos > 0, 6 - pos, 0).astype(np.uint8)
    return pos


def normalize_answers(
    answers, *, reversed_scale: bool = False, column: str | None = None, table: str = "kano_answers"
) -> pd.Series:
    """Kano answers as positions 1-5 (float, NaN where missing), from numbers or wording.

    Accepts positions 1-5 and the wording of common questionnaires, case-, space- and
    punctuation-insensitive: "I like it" (1), "It must be" / "I expect it" (2), "I am neutral" /
    "I don't care" (3), "I can live with it" / "I can tolerate it" / "Accept" (4), "I dislike it"
    (5), and the Persian wording «خوشم می‌آید», «باید این‌طور باشد», «برایم فرقی نمی‌کند»,
    «می‌توانم تحمل کنم», «خوشم نمی‌آید» (see :data:`LABELS`).

    Parameters
    ----------
    answers : Series or array-like
    reversed_scale : bool
        The questionnaire lists the options from dislike (1) to like (5).
    column, table : str
        Names used in the error message (default: the Series' name).

    Returns
    -------
    Series
        Positions 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike; same index and name.

    Raises
    ------
    InputError
        Naming the rows whose answers are neither positions 1-5 nor a known wording.
    """
    s = answers if isinstance(answers, pd.Series) else pd.Series(answers)
    col = column or (str(s.name) if s.name is not None else "functional")
    pos = _positions_u8(s, reversed_scale=reversed_scale, column=col, table=table)
    return pd.Series(np.where(pos == 0, np.nan, pos), index=s.index, name=s.name)


def to_positions(answers, **options) -> np.ndarray:
    """Map answers (positions 1-5 or common wordings) to a float array of positions 1-5.

    The array form of :func:`normalize_answers` (same options; kept for code written against
    0.1).
    """
    return normalize_answers(answers, **options).to_numpy(dtype=float)


def classify(functional, dysfunctional, table="standard") -> np.ndarray:
    """Kano category of each answer pair (vectorized).

    Parameters
    ----------
    functional, dysfunctional : array-like of positions 1-5 or answer wording
    table : "standard", "pouliot" or five strings of five letters (rows functional, columns
        dysfunctional, both in the order like, must-be, neutral, live-with, dislike).

    Returns
    -------
    ndarray of str: ``A``, ``O``, ``M``, ``I``, ``R``, ``Q`` (``""`` where an answer is missing).
    """
    f = _positions_u8(functional, column="functional")
    d = _positions_u8(dysfunctional, column="dysfunctional")
    codes = _lookup6(_table_array(table))[f * 6 + d]
    return np.array(CATS + ("",), dtype=object)[np.where(codes < 0, 6, codes)]


def _lookup6(tab: np.ndarray) -> np.ndarray:
    """36-entry lookup from ``f * 6 + d`` (positions, 0 = missing) to category codes (-1 missing)."""
    t6 = np.full((6, 6), -1, dtype=np.int8)
    t6[1:, 1:] = tab.reshape(5, 5)
    return t6.ravel()


# --------------------------------------------------------------------------- summaries
def _ranked(c: np.ndarray, cats) -> np.ndarray:
    """Positions (into ``cats``) sorted by count, ties broken exactly in the M > O > A > I order.

    Counts within ``_TIE_RTOL`` of the cell total of each other tie (so that weights such as
    1/n, whose sums differ in the last bit, do not decide a category); otherwise the larger
    count wins however small the difference (10.1 beats 10.0).
    """
    total = np.abs(c).sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(total > 0, np.rint(c / np.where(total > 0, total, 1) / _TIE_RTOL), 0)
    rank = np.broadcast_to(MOAI_RANK[list(cats)], c.shape)
    return np.lexsort((rank, -q), axis=-1)


def summarise_counts(
    counts: np.ndarray, rule: str = "mode", strength_threshold: float = 6.0
) -> dict:
    """Every per-feature statistic from category counts ``(..., 6)`` in the order A O M I R Q.

    Notes
    -----
    The mode is the largest count; equal counts are decided by M > O > A > I > R > Q (exactly,
    without mixing counts and ranks into one number). ``strength`` is
    :math:`100(a-b)/n` for the top two counts :math:`a \\ge b`.
    """
    check_option("rule", rule, RULES)
    c = np.asarray(counts, dtype=float)
    n = c.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = c / n[..., None]
        aomi = c[..., :4].sum(axis=-1)
        better = (c[..., _A] + c[..., _O]) / aomi
        worse = -(c[..., _O] + c[..., _M]) / aomi
    order = _ranked(c, range(6))
    top, second = order[..., 0], order[..., 1]
    a = np.take_along_axis(c, top[..., None], -1)[..., 0]
    b = np.take_along_axis(c, second[..., None], -1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        strength = 100 * (a - b) / n
        fong_crit = 1.65 * np.sqrt((a + b) * (2 * n - a - b) / (2 * n))
    moai = np.where(
        (strength < strength_threshold) & (MOAI_RANK[second] < MOAI_RANK[top]), second, top
    )
    oam_cats, irq_cats = [_A, _O, _M], [_I, _R, _Q]
    oam, irq = c[..., oam_cats], c[..., irq_cats]
    aom_pick = np.array(oam_cats)[_ranked(oam, oam_cats)[..., 0]]
    irq_pick = np.array(irq_cats)[_ranked(irq, irq_cats)[..., 0]]
    # O+A+M > I+R+Q, where a difference within the tie tolerance is no difference
    aom = np.where(oam.sum(-1) - irq.sum(-1) > _TIE_RTOL * n, aom_pick, irq_pick)
    rules = {"mode": top, "moai": moai, "aom": aom}
    return {
        "n": n,
        "shares": shares,
        "better": better,
        "worse": worse,
        "strength": strength,
        "total_strength": 100 * (shares[..., _A] + shares[..., _O] + shares[..., _M]),
        "category": rules[rule],
        "mode": top,
        "moai": moai,
        "aom": aom,
        "top_count": a,
        "second_count": b,
        "fong_significant": np.abs(a - b) >= fong_crit,
    }


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
        replicates won by the chosen category).
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
            tables["Segment tests"] = self.segment_tests.set_index("feature")
        facts = {
            "respondents": self.n_respondents,
            "rule": self.rule,
            "evaluation table": self.table_name,
            "bootstrap replicates": self.bootstrap,
            "respondents dropped (questionable)": self.n_dropped_respondents,
        }
        return "Kano analysis", facts, tables, list(self.notes)

    def findings(self) -> Findings:
        """Must-be features first, then one-dimensional, attractive, indifferent and reverse;
        unstable calls and notes as caveats; segment differences (chi-square p < 0.01)."""
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
            diff = self.segment_tests[self.segment_tests["p_value"] < 0.01]
            for _, r in diff.iterrows():
                cats = r["categories"] if is_english() else _category_words(r["categories"])
                p = fmt_p(r["p_value"])
                f.append(
                    t("kano.segments_differ", feature=label(r["feature"]), p=p, categories=cats)
                )
        return Findings(tuple(f), tuple(c))

    def priorities(self) -> pd.DataFrame:
        """Features in the order to act on them: must-be, then one-dimensional, then attractive."""
        order = {"M": 0, "O": 1, "A": 2, "I": 3, "R": 4, "Q": 5}
        t = self.table.assign(_o=self.table["category"].map(order))
        return t.sort_values(["_o", "worse"], ascending=[True, True]).drop(columns="_o")

    def plot_distribution(self, ax=None):
        from .plots import kano_stacked

        return kano_stacked(self.table, ax=ax)

    def plot_better_worse(self, ax=None, group=None):
        from .plots import kano_better_worse

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
        from .plots import kano_dumouchel

        return kano_dumouchel(self.table, ax=ax)


#: The order in which findings name the categories (messages ``kano.verb.<letter>``).
_VERB_ORDER = ("M", "O", "A", "I", "R")


def _category_words(categories: str) -> str:
    """``consumer:A, premium:O`` as the reader's words (segment label: category name)."""
    pairs = [p.rpartition(":") for p in str(categories).split(", ")]
    return join_words(f"{label(s)}: {kano_name(c)}" for s, _, c in pairs)


# --------------------------------------------------------------------------- analysis
def analyze_kano(
    answers: pd.DataFrame,
    *,
    table="standard",
    rule: str = "mode",
    segment: str | None = None,
    wave: str | None = None,
    weights: str | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
    features: list[str] | None = None,
    respondent: str = "respondent_id",
    feature: str = "feature",
    functional: str = "functional",
    dysfunctional: str = "dysfunctional",
    importance: str = "importance",
    reversed_scale: bool = False,
    strength_threshold: float = 6.0,
    max_questionable: int | None = None,
    min_n: int = 200,
) -> KanoResult:
    """Analyse a Kano questionnaire given as a long table (one row per respondent and feature).

    Parameters
    ----------
    answers : DataFrame
        Columns ``respondent_id``, ``feature``, ``functional``, ``dysfunctional`` (other names via
        the matching arguments), optionally ``importance`` (1-9), a segment and a wave column.
        Answers are positions 1-5 or questionnaire wording (see :func:`normalize_answers`).
    table : "standard", "pouliot" or a custom 5x5 table (see :func:`classify`).
    rule : "mode", "moai" or "aom".
    segment, wave : str, optional
        Columns to analyse by; with ``segment`` each feature also gets a chi-square test that the
        A/O/M/I distribution is the same across segments, and Better/Worse differences against the
        first segment with bootstrap intervals.
    weights : str, optional
        Column of respondent weights (finite, >= 0, not all zero).
    bootstrap : int
        Replicates resampling respondents (within each group); features stay linked.
    seed : int, optional
        Seed of the bootstrap (see :mod:`cxmodels._bootstrap`).
    features : list of str, optional
        Analyse only these features.
    respondent, feature, functional, dysfunctional, importance : str
        Column names.
    reversed_scale : bool
        The questionnaire lists the options from dislike (1) to like (5).
    strength_threshold : float
        Category strength (points) below which the ``moai`` rule lets M > O > A > I decide.
    max_questionable : int, optional
        Drop respondents with more than this many Q answers.
    min_n : int
        Features with fewer valid (non-Q) answers get a warning and ``low_n``.

    Returns
    -------
    KanoResult
        ``table`` with one row per feature (and group); columns listed in :class:`KanoResult`.

    Notes
    -----
    Each answer pair is one lookup in a 36-entry table indexed by ``6 f + d``; the counts per
    (group, feature, answer pair) come from one ``bincount``, and every statistic (categories,
    Better/Worse, DuMouchel moments) from those counts.

    References
    ----------
    See :mod:`cxmodels.kano` (Kano et al. 1984; Berger et al. 1993; Fong 1996).
    """
    groups = [g for g in (segment, wave) if g]
    tab = _check_kano_args(answers, locals(), groups)
    lut = _lookup6(tab)
    p = _prepare(answers, locals())
    cells36, unweighted = _pair_counts(p.feat, p.grp if p.G > 1 else None, p.F, p.G, p.pair, p.w)
    counts = (cells36 @ _category_matrix(lut)).reshape(p.G, p.F, 6)
    s = summarise_counts(counts, rule, strength_threshold)
    out = _feature_table(s, counts, p.feat_index, p.grp_values, groups)
    _add_dumouchel(out, cells36, unweighted)
    if importance in p.df.columns:
        gf = p.feat.astype(np.intp) + (0 if p.G == 1 else p.grp * p.F)
        out["importance"] = _cell_means(p.df[importance], gf, p.G * p.F)
    out["q_rate"], out["r_rate"] = out["share_Q"], out["share_R"]
    out["low_n"] = (out["n"] - out["Q"]) < min_n
    cells = s["n"].ravel() > 0  # (group, feature) cells with at least one valid answer
    out = out[cells].reset_index(drop=True)
    notes = _kano_notes(out, feature, min_n, p.dropped, max_questionable)
    draws: dict = {}
    if bootstrap:
        boot_in = (p.slots, p.grp, p.feat, lut[p.pair], p.w, (p.G, p.F))
        out, draws = _bootstrap(out, cells, boot_in, bootstrap, seed, rule, strength_threshold)
    seg_tests = None
    if segment:
        small = _small_groups(out, segment, p.grp, p.slots, p.grp_values, groups)
        if small:
            notes.append(t("kano.single_respondent", segments=join_words(small)))
        seg_tests = _segment_tests(out, segment, p.feat_index, draws, exclude=small)
    name = table if isinstance(table, str) else "custom"
    n_resp = int(p.quality.shape[0] - p.dropped)
    return KanoResult(
        out, rule, name, bootstrap, n_resp, p.dropped, tuple(groups), tuple(notes), p.quality,
        seg_tests, draws,
    )  # fmt: skip


@dataclass
class _Prepared:
    """Answers reduced to small integers: one answer-pair code, respondent slot and cell keys."""

    df: pd.DataFrame
    pair: np.ndarray  # uint8, 6 * functional + dysfunctional (0 = missing)
    slots: np.ndarray  # respondent slot of every row
    w: np.ndarray | None
    quality: pd.DataFrame
    dropped: int
    feat: np.ndarray
    feat_index: np.ndarray
    grp: np.ndarray
    grp_values: list

    @property
    def G(self) -> int:
        return len(self.grp_values)

    @property
    def F(self) -> int:
        return len(self.feat_index)


def _prepare(answers: pd.DataFrame, a: dict) -> _Prepared:
    """Positions, pair codes, respondent quality (and the questionable filter), cell keys."""
    df = _select_features(answers, a["feature"], a["features"])
    kw = dict(reversed_scale=a["reversed_scale"], table="kano_answers")
    pair = _positions_u8(df[a["functional"]], column=a["functional"], **kw) * np.uint8(6)
    pair += _positions_u8(df[a["dysfunctional"]], column=a["dysfunctional"], **kw)
    slots, slot_labels = _respondent_slots(df[a["respondent"]], a["respondent"])
    quality, slot_q = _respondent_quality(slots, slot_labels, pair, a["lut"])
    wcol = a["weights"]
    w = None if wcol is None else check_weights(df[wcol], len(df), "kano_answers", wcol)
    dropped = 0
    if a["max_questionable"] is not None:
        bad_slot = slot_q > a["max_questionable"]
        dropped = int(bad_slot.sum())
        if dropped:
            keep = ~bad_slot[slots]
            df, pair, slots = df[keep], pair[keep], slots[keep]
            w = None if w is None else w[keep]
    feat, feat_index = _codes_of(df[a["feature"]], a["feature"], sort=True)
    grp, grp_values = _group_codes(df, a["groups"])
    return _Prepared(df, pair, slots, w, quality, dropped, feat, feat_index, grp, grp_values)


def _check_kano_args(answers, a: dict, groups: list[str]) -> np.ndarray:
    """Validate every option and column of :func:`analyze_kano` before any work."""
    check_frame(answers, "kano_answers")
    check_option("rule", a["rule"], RULES)
    check_number("bootstrap", a["bootstrap"], low=0, integer=True)
    check_number("min_n", a["min_n"], low=0, integer=True)
    check_number("strength_threshold", a["strength_threshold"], low=0, high=100)
    if a["max_questionable"] is not None:
        check_number("max_questionable", a["max_questionable"], low=0, integer=True)
    need = [a["respondent"], a["feature"], a["functional"], a["dysfunctional"]]
    require_columns(
        answers, need + groups + ([a["weights"]] if a["weights"] else []), "kano_answers"
    )
    return _table_array(a["table"])


def _select_features(df: pd.DataFrame, feature: str, features) -> pd.DataFrame:
    if features is None:
        return df
    features = [features] if isinstance(features, str) else list(features)
    out = df[df[feature].isin(features)]
    if out.empty:
        fail(
            "kano_answers",
            feature,
            f"none of the features {features} are in the data",
            "check the feature names",
        )
    return out


def _codes_of(s: pd.Series, column: str, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and labels of a key column (categoricals use their own codes).

    Other columns go through :func:`pandas.factorize` (first-appearance order, or sorted with
    ``sort``); missing keys are an error naming the rows.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, labels = s.cat.codes.to_numpy(), np.asarray(s.cat.categories)
    else:
        codes, labels = pd.factorize(s, sort=sort)
    if len(codes) and codes.min() < 0:
        fail(
            "kano_answers",
            column,
            "missing values",
            "fill them or drop those rows",
            [f"row {r}" for r in s.index[codes < 0]],
        )
    return codes, np.asarray(labels)


def _group_codes(df: pd.DataFrame, groups: list[str]) -> tuple[np.ndarray, list[tuple]]:
    """Combined code of the group columns (as text) and the group values of every code."""
    if not groups:
        return np.zeros(len(df), dtype=np.int64), [()]
    code = np.zeros(len(df), dtype=np.int64)
    levels = []
    for g in groups:
        c, lab = pd.factorize(df[g].astype(str), sort=True)
        code = code * len(lab) + c
        levels.append(list(lab))
    values = list(pd.MultiIndex.from_product(levels).to_flat_index()) if levels else [()]
    return code, [v if isinstance(v, tuple) else (v,) for v in values]


def _respondent_slots(s: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Respondent slot of every row and the label of every slot (slots may be unused).

    Integer ids in a compact range are their own slots (no hashing of 20M ids); other ids are
    factorized in order of first appearance.
    """
    if pd.api.types.is_integer_dtype(s) and not isinstance(
        s.dtype, pd.api.extensions.ExtensionDtype
    ):
        x = s.to_numpy()
        lo, hi = (int(x.min()), int(x.max())) if len(x) else (0, -1)
        if hi - lo <= 4 * len(x):
            return (x - lo if lo else x).astype(np.intp, copy=False), np.arange(lo, hi + 1)
    return _codes_of(s, column)


def _respondent_quality(slots, slot_labels, pair, lut) -> tuple[pd.DataFrame, np.ndarray]:
    """Answers, Q and R per respondent (one counting pass); also the Q count of every slot."""
    qr = np.zeros(36, dtype=np.uint8)
    qr[lut == _Q], qr[lut == _R] = 1, 2
    k = len(slot_labels)
    cnt = np.zeros(3 * k, dtype=np.int64)
    for a in range(0, len(pair), _CHUNK):  # blocks of rows, so temporaries stay in cache
        sl = slots[a : a + _CHUNK]
        lo = int(sl.min())
        idx = (sl - lo) * 3
        idx += np.take(qr, pair[a : a + _CHUNK])
        bc = np.bincount(idx)
        cnt[3 * lo : 3 * lo + len(bc)] += bc
    cnt = cnt.reshape(k, 3)
    na = cnt.sum(axis=1)
    present = na > 0
    labels, nq, nr = slot_labels, cnt[:, 1], cnt[:, 2]
    if not present.all():
        labels, nq, nr, na = labels[present], nq[present], nr[present], na[present]
    quality = pd.DataFrame(
        {
            "respondent_id": labels,
            "n_answers": na,
            "n_Q": nq,
            "n_R": nr,
            "q_rate": nq / na,
            "r_rate": nr / na,
        }
    )
    return quality, cnt[:, 1]


def _pair_counts(feat_codes, grp_codes, F: int, G: int, pair, w) -> tuple[np.ndarray, np.ndarray]:
    """Counts per (group, feature) cell and answer pair ``6 f + d``: ``(G * F, 36)`` weighted
    and unweighted (the same array without weights), accumulated over blocks of rows."""
    n_bins = G * F * 36
    small = n_bins < np.iinfo(np.int16).max
    weighted = np.zeros(n_bins)
    plain = weighted if w is None else np.zeros(n_bins)
    for a in range(0, len(pair), _CHUNK):  # blocks of rows, vectorized inside
        b = a + _CHUNK
        cell = feat_codes[a:b].astype(np.int16 if small else np.intp)
        if grp_codes is not None:
            cell = cell + grp_codes[a:b].astype(cell.dtype) * F
        idx = cell * cell.dtype.type(36)
        idx += pair[a:b]
        weighted += np.bincount(idx, None if w is None else w[a:b], minlength=n_bins)
        if w is not None:
            plain += np.bincount(idx, minlength=n_bins)
    return weighted.reshape(G * F, 36), plain.reshape(G * F, 36)


def _category_matrix(lut: np.ndarray) -> np.ndarray:
    """36 x 6 indicator: answer pair ``6 f + d`` -> its category (missing pairs map nowhere)."""
    m = np.zeros((36, 6))
    ok = lut >= 0
    m[np.flatnonzero(ok), lut[ok]] = 1.0
    return m


def _feature_table(s, counts, feat_index, grp_values, groups) -> pd.DataFrame:
    """The per-(group, feature) table from the summaries, every cell (empty ones included)."""
    G, F = counts.shape[:2]
    g_idx, f_idx = np.repeat(np.arange(G), F), np.tile(np.arange(F), G)
    out = pd.DataFrame({"feature": np.asarray(feat_index)[f_idx]})
    for i, gcol in enumerate(groups):
        out[gcol] = np.array([v[i] for v in grp_values], dtype=object)[g_idx]
    out["n"] = s["n"].ravel()
    for k, cat in enumerate(CATS):
        out[cat] = counts[..., k].ravel()
    for k, cat in enumerate(CATS):
        out[f"share_{cat}"] = s["shares"][..., k].ravel()
    cats = np.array(CATS)
    out["category"] = cats[s["category"].ravel()]
    for r in RULES:
        out[f"category_{r}"] = cats[s[r].ravel()]
    out["better"], out["worse"] = s["better"].ravel(), s["worse"].ravel()
    out["strength"], out["total_strength"] = s["strength"].ravel(), s["total_strength"].ravel()
    out["fong_significant"] = s["fong_significant"].ravel()
    a, b = s["top_count"].ravel(), s["second_count"].ravel()
    out["binom_p"] = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(a, b), (a + b).round(), 0.5))
    return out


def _add_dumouchel(out: pd.DataFrame, cells36: np.ndarray, unweighted: np.ndarray) -> None:
    """DuMouchel's functional and dysfunctional score moments from the answer-pair counts."""
    pairs, nn_pairs = cells36.reshape(-1, 6, 6), unweighted.reshape(-1, 6, 6)
    for name, axis, score in (("fun", 2, FUN_SCORE), ("dys", 1, DYS_SCORE)):
        pc = pairs.sum(axis=axis)[:, 1:]  # answer-position counts (the other answer may miss)
        nn = nn_pairs.sum(axis=axis)[:, 1:].sum(axis=1)
        sw = pc.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            m1 = pc @ score / sw
            m2 = pc @ score**2 / sw
            sd = np.sqrt(np.maximum(m2 - m1**2, 0) * nn / np.maximum(nn - 1, 1))
            out[f"{name}_mean"], out[f"{name}_sd"], out[f"{name}_se"] = m1, sd, sd / np.sqrt(nn)


def _cell_means(values: pd.Series, gf: np.ndarray, n_cells: int) -> np.ndarray:
    v = pd.to_numeric(values, errors="coerce").to_numpy(float)
    ok = ~np.isnan(v)
    total = np.bincount(gf[ok], weights=v[ok], minlength=n_cells)
    return total / np.maximum(np.bincount(gf[ok], minlength=n_cells), 1)


def _kano_notes(out, feature, min_n, dropped, max_questionable) -> list[str]:
    empty = out.loc[(out["n"] - out["Q"]) == 0, "feature"]
    if len(empty):
        fail(
            "kano_answers",
            feature,
            f"feature(s) with no valid answers: {', '.join(map(str, empty))}",
            "check the answer coding of these features or drop them",
        )
    notes = []
    low = out[out["low_n"]]
    if len(low):
        name = str if is_english() else label
        examples = ", ".join(map(name, low["feature"].astype(str).head(3)))
        msg = t("kano.low_n", n=len(low), min_n=min_n, examples=examples)
        notes.append(msg)
        warnings.warn(msg, stacklevel=3)
    if dropped:
        notes.append(t("kano.dropped", n=dropped, max_q=max_questionable))
    return notes


def _bootstrap(out, cells, boot_in, B, seed, rule, thr):
    """Resample respondents within each group; summaries of every replicate in one batch.

    ``cells`` marks the (group, feature) cells kept in ``out``, in the same (group, feature)
    order. Returns the table with interval and stability columns and the draws of Better and
    Worse (``(B, len(out))``).
    """
    resp_codes, grp_codes, feat_codes, codes, w, (G, F) = boot_in
    rng = make_rng(seed)
    valid = codes >= 0
    w = np.ones(len(codes)) if w is None else w
    draws = np.zeros((B, G, F, 6))
    for g in range(G):  # loop over groups (segments, waves), not respondents
        sel = valid & (grp_codes == g) if G > 1 else valid
        r_local, r_index = pd.factorize(resp_codes[sel])
        nr = len(r_index)
        if nr == 0:
            continue
        col = feat_codes[sel].astype(np.intp) * 6 + codes[sel]
        M = np.bincount(r_local * (F * 6) + col, weights=w[sel], minlength=nr * F * 6)
        counts = multinomial_weights(nr, B, rng)
        draws[:, g] = (counts @ M.reshape(nr, F * 6)).reshape(B, F, 6)
    s = summarise_counts(draws, rule, thr)
    gi = np.repeat(np.arange(G), F)[cells]
    fi = np.tile(np.arange(F), G)[cells]
    out = out.copy()
    for name in ("better", "worse"):
        out[f"{name}_low"], out[f"{name}_high"] = percentile_ci(s[name][:, gi, fi])
    for k, cat in enumerate(CATS):
        out[f"share_{cat}_low"], out[f"share_{cat}_high"] = percentile_ci(
            s["shares"][..., k][:, gi, fi]
        )
    win = s["category"][:, gi, fi]
    for k, cat in enumerate(CATS):
        out[f"stability_{cat}"] = (win == k).mean(axis=0)
    chosen = out["category"].map({c: i for i, c in enumerate(CATS)}).to_numpy()
    out["stability"] = out[[f"stability_{c}" for c in CATS]].to_numpy()[np.arange(len(out)), chosen]
    return out, {"better": s["better"][:, gi, fi], "worse": s["worse"][:, gi, fi]}


def _small_groups(out, segment, grp_codes, resp_codes, grp_values, groups) -> list[str]:
    """Segments with a single respondent (they cannot enter a test of differences)."""
    nres = int(resp_codes.max()) + 1 if len(resp_codes) else 1
    G = len(grp_values)
    pairs = np.unique(grp_codes.astype(np.int64) * nres + resp_codes)
    n_resp = np.bincount(pairs // nres, minlength=G)
    i = groups.index(segment)
    per_seg: dict = {}
    for g, v in enumerate(grp_values):
        per_seg[v[i]] = per_seg.get(v[i], 0) + int(n_resp[g])
    return sorted(str(k) for k, n in per_seg.items() if n == 1 and k in set(out[segment]))


def _segment_tests(out, segment, feat_index, draws, exclude=()) -> pd.DataFrame:
    """Per feature: chi-square test of A/O/M/I across segments, Better/Worse differences."""
    rows = []
    segs = [s_ for s_ in sorted(out[segment].unique()) if s_ not in set(exclude)]
    ref = segs[0] if segs else None
    for feat in feat_index:  # loop over features
        t = out[(out["feature"] == feat) & out[segment].isin(segs)].set_index(segment)
        if t.empty:
            continue
        ct = t[["A", "O", "M", "I"]].to_numpy()
        ct = ct[ct.sum(axis=1) > 0][:, ct.sum(axis=0) > 0]
        chi2, p, dof = (np.nan, np.nan, 0)
        if ct.shape[0] > 1 and ct.shape[1] > 1:
            chi2, p, dof, _ = stats.chi2_contingency(ct)
        row = {
            "feature": feat,
            "chi2": chi2,
            "dof": dof,
            "p_value": p,
            "categories": ", ".join(f"{s_}:{t.loc[s_, 'category']}" for s_ in t.index),
        }
        for s_ in segs:
            if s_ == ref or s_ not in t.index or ref not in t.index:
                continue
            row[f"better_diff[{s_}]"] = t.loc[s_, "better"] - t.loc[ref, "better"]
            row[f"worse_diff[{s_}]"] = t.loc[s_, "worse"] - t.loc[ref, "worse"]
            if draws:
                i_s = out.index[(out["feature"] == feat) & (out[segment] == s_)][0]
                i_r = out.index[(out["feature"] == feat) & (out[segment] == ref)][0]
                for name in ("better", "worse"):
                    d = draws[name][:, i_s] - draws[name][:, i_r]
                    lo, hi = percentile_ci(d)
                    row[f"{name}_diff_low[{s_}]"], row[f"{name}_diff_high[{s_}]"] = lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


def from_counts(
    counts: pd.DataFrame, *, rule: str = "mode", strength_threshold: float = 6.0
) -> pd.DataFrame:
    """Summaries from published category counts (columns A O M I R Q, one row per feature).

    Returns
    -------
    DataFrame
        Same index as ``counts``: ``category``, ``category_mode``, ``category_moai``,
        ``category_aom``, ``better``, ``worse``, ``strength``, ``fong_significant``.
    """
    require_columns(counts, list(CATS), "counts")
    s = summarise_counts(counts[list(CATS)].to_numpy(float), rule, strength_threshold)
    cats = np.array(CATS)
    return pd.DataFrame(
        {
            "category": cats[s["category"]],
            "category_mode": cats[s["mode"]],
            "category_moai": cats[s["moai"]],
            "category_aom": cats[s["aom"]],
            "better": s["better"],
            "worse": s["worse"],
            "strength": s["strength"],
            "fong_significant": s["fong_significant"],
        },
        index=counts.index,
    )
