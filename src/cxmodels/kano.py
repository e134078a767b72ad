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

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._results import ResultMixin
from ._validation import InputError, fail, require_columns

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

_STD = [
    "QAAAO",  # functional like
    "RIIIM",  # must-be
    "RIIIM",  # neutral
    "RIIIM",  # live-with
    "RRRRQ",  # dislike
]
_POULIOT = ["QAAAO", "RQIIM", "RIIIM", "RIIQM", "RRRRQ"]
TABLES = {"standard": _STD, "pouliot": _POULIOT}

LABELS = {
    1: [
        "like",
        "i like it",
        "i like it that way",
        "i like it this way",
        "like it",
        "delighted",
        "satisfied",
    ],
    2: [
        "must-be",
        "must be",
        "i expect it",
        "expect it",
        "it must be that way",
        "must be that way",
        "expected",
        "i expect it that way",
    ],
    3: ["neutral", "i am neutral", "i'm neutral", "i don't care", "indifferent", "no feeling"],
    4: [
        "live-with",
        "live with",
        "i can live with it",
        "i can live with it that way",
        "can live with it",
        "tolerate",
        "i can tolerate it",
    ],
    5: ["dislike", "i dislike it", "i dislike it that way", "dislike it", "dissatisfied"],
}
_LABEL_TO_POS = {w: k for k, words in LABELS.items() for w in words}
FUN_SCORE = np.array([4, 2, 0, -1, -2], dtype=float)
DYS_SCORE = np.array([-2, -1, 0, 2, 4], dtype=float)
# rank of each category in the M > O > A > I (> R > Q) order: lower wins
MOAI_RANK = np.array([2, 1, 0, 3, 4, 5])


def _table_array(table) -> np.ndarray:
    rows = TABLES.get(table, table) if isinstance(table, str) else table
    if isinstance(rows, str) or len(rows) != 5:
        raise InputError(
            f"[error] table: {table!r} is not 'standard', 'pouliot' or a 5x5 table. "
            "Fix: pass one of the names or five rows of five letters from AOMIRQ."
        )
    arr = np.array([[CATS.index(c) for c in row] for row in rows], dtype=np.int8)
    if arr.shape != (5, 5):
        raise InputError(
            "[error] table: a custom table needs 5 rows of 5 letters. Fix: check its shape."
        )
    return arr.ravel()


def to_positions(
    answers,
    *,
    reversed_scale: bool = False,
    column: str = "functional",
    table: str = "kano_answers",
) -> np.ndarray:
    """Map answers (positions 1-5 or common label wordings) to positions 1-5.

    ``reversed_scale=True`` reads a questionnaire that lists the options from dislike (1) to
    like (5). Unknown labels and numbers outside 1-5 raise an error naming the rows.
    """
    s = pd.Series(answers)
    if pd.api.types.is_numeric_dtype(s):
        pos = s.to_numpy(dtype=float)
    else:
        low = s.astype(str).str.strip().str.lower()
        num = pd.to_numeric(low, errors="coerce")
        pos = num.fillna(low.map(_LABEL_TO_POS)).to_numpy(dtype=float)
        pos[s.isna().to_numpy()] = np.nan
    bad = ~np.isnan(pos) & ~np.isin(pos, [1, 2, 3, 4, 5])
    unknown = np.isnan(pos) & s.notna().to_numpy()
    if bad.any() or unknown.any():
        rows = s.index[bad | unknown]
        fail(
            table,
            column,
            f"answers that are not positions 1-5 or known labels (e.g. {s[rows[0]]!r})",
            "code answers 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike",
            [f"row {r}" for r in rows],
        )
    if reversed_scale:
        pos = 6 - pos
    return pos


def classify(functional, dysfunctional, table="standard") -> np.ndarray:
    """Kano category of each answer pair (vectorized).

    Parameters
    ----------
    functional, dysfunctional : array-like of positions 1-5
    table : "standard", "pouliot" or five strings of five letters (rows functional, columns
        dysfunctional, both in the order like, must-be, neutral, live-with, dislike).

    Returns
    -------
    ndarray of str: ``A``, ``O``, ``M``, ``I``, ``R``, ``Q``.
    """
    f = to_positions(functional, column="functional")
    d = to_positions(dysfunctional, column="dysfunctional")
    codes = _codes(f, d, _table_array(table))
    return np.array(CATS + ("",), dtype=object)[np.where(codes < 0, 6, codes)]


def _codes(f: np.ndarray, d: np.ndarray, tab: np.ndarray) -> np.ndarray:
    """Category codes (-1 missing) from positions; one lookup in a 6x6 table (row/col 0 = missing)."""
    return _lookup6(tab)[_pos8(f) * 6 + _pos8(d)]


def _pos8(pos: np.ndarray) -> np.ndarray:
    """Positions as small ints, 0 for missing."""
    return np.where(np.isnan(pos), 0, pos).astype(np.int16)


def _lookup6(tab: np.ndarray) -> np.ndarray:
    t6 = np.full((6, 6), -1, dtype=np.int8)
    t6[1:, 1:] = tab.reshape(5, 5)
    return t6.ravel()


def _bincount(idx: np.ndarray, n: int, w: np.ndarray | None) -> np.ndarray:
    return np.bincount(idx, weights=w, minlength=n).astype(float)


# --------------------------------------------------------------------------- summaries
def summarise_counts(
    counts: np.ndarray, rule: str = "mode", strength_threshold: float = 6.0
) -> dict:
    """Every per-feature statistic from category counts ``(..., 6)`` in the order A O M I R Q."""
    c = np.asarray(counts, dtype=float)
    n = c.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = c / n[..., None]
        aomi = c[..., :4].sum(axis=-1)
        better = (c[..., _A] + c[..., _O]) / aomi
        worse = -(c[..., _O] + c[..., _M]) / aomi
    # mode with ties broken in the M > O > A > I > R > Q order
    key = c * 8 + (7 - MOAI_RANK)  # counts dominate; rank breaks ties
    order = np.argsort(-key, axis=-1, kind="stable")
    top, second = order[..., 0], order[..., 1]
    a = np.take_along_axis(c, top[..., None], -1)[..., 0]
    b = np.take_along_axis(c, second[..., None], -1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        strength = 100 * (a - b) / n
    mode = top
    moai = np.where(
        (strength < strength_threshold) & (MOAI_RANK[second] < MOAI_RANK[top]), second, top
    )
    oam = c[..., [_A, _O, _M]]
    irq = c[..., [_I, _R, _Q]]
    aom_pick = np.array([_A, _O, _M])[_argmax_moai(oam, [_A, _O, _M])]
    irq_pick = np.array([_I, _R, _Q])[_argmax_moai(irq, [_I, _R, _Q])]
    aom = np.where(oam.sum(-1) > irq.sum(-1), aom_pick, irq_pick)
    rules = {"mode": mode, "moai": moai, "aom": aom}
    if rule not in rules:
        raise InputError(
            f"[error] rule: {rule!r} is not one of mode, moai, aom. Fix: choose one of them."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        fong_crit = 1.65 * np.sqrt((a + b) * (2 * n - a - b) / (2 * n))
    return {
        "n": n,
        "shares": shares,
        "better": better,
        "worse": worse,
        "strength": strength,
        "total_strength": 100 * (shares[..., _A] + shares[..., _O] + shares[..., _M]),
        "category": rules[rule],
        "mode": mode,
        "moai": moai,
        "aom": aom,
        "top_count": a,
        "second_count": b,
        "fong_significant": np.abs(a - b) >= fong_crit,
    }


def _argmax_moai(c, cats):
    rank = MOAI_RANK[cats]
    key = c * 8 + (7 - rank)
    return np.argmax(key, axis=-1)


@dataclass(frozen=True)
class KanoResult(ResultMixin):
    """Result of :func:`analyze_kano`.

    ``table`` has one row per feature (and group): ``feature``, group columns, ``n``, counts
    ``A O M I R Q``, shares ``share_A`` ..., ``category`` (by ``rule``), ``category_mode``,
    ``category_moai``, ``category_aom``, ``better``, ``worse``, ``strength`` (top minus second
    share, points), ``total_strength`` (A+O+M share, %), ``fong_significant``, ``binom_p``,
    DuMouchel ``fun_mean``, ``fun_sd``, ``fun_se``, ``dys_mean``, ``dys_sd``, ``dys_se``,
    ``importance`` (mean self-stated, 1-9), ``q_rate``, ``r_rate``, ``low_n`` (fewer than
    ``min_n`` valid answers) and, with a bootstrap, ``better_low``/``better_high``,
    ``worse_low``/``worse_high``, ``share_X_low``/``share_X_high``, ``stability_X`` and
    ``stability`` (share of replicates won by the chosen category).
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
        return kano_better_worse(t, ax=ax)

    def plot_continuous(self, ax=None):
        from .plots import kano_dumouchel

        return kano_dumouchel(self.table, ax=ax)


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
    table : "standard", "pouliot" or a custom 5x5 table (see :func:`classify`).
    rule : "mode", "moai" or "aom".
    segment, wave : str, optional
        Columns to analyse by; with ``segment`` each feature also gets a chi-square test that the
        A/O/M/I distribution is the same across segments, and Better/Worse differences against the
        first segment with bootstrap intervals.
    weights : str, optional
        Column of respondent weights.
    bootstrap : int
        Replicates resampling respondents (within each group).
    max_questionable : int, optional
        Drop respondents with more than this many Q answers.
    min_n : int
        Features with fewer valid (non-Q) answers get a warning and ``low_n``.

    Returns
    -------
    KanoResult
    """
    need = [respondent, feature, functional, dysfunctional] + [
        c for c in (segment, wave, weights) if c
    ]
    require_columns(answers, need, "kano_answers")
    df = answers
    if features is not None:
        df = df[df[feature].isin(features)]
        if df.empty:
            fail(
                "kano_answers",
                feature,
                f"none of the features {features} are in the data",
                "check the feature names",
            )
    f = to_positions(df[functional], reversed_scale=reversed_scale, column=functional)
    d = to_positions(df[dysfunctional], reversed_scale=reversed_scale, column=dysfunctional)
    f8, d8 = _pos8(f), _pos8(d)
    codes = _lookup6(_table_array(table))[f8 * 6 + d8]
    resp_codes, resp_index = pd.factorize(df[respondent], sort=False)
    per_resp = np.bincount(resp_codes * 7 + codes + 1, minlength=7 * len(resp_index)).reshape(-1, 7)
    nq, nr, na = per_resp[:, 1 + _Q], per_resp[:, 1 + _R], per_resp.sum(axis=1)
    quality = pd.DataFrame(
        {
            "respondent_id": resp_index,
            "n_answers": na,
            "n_Q": nq.astype(int),
            "n_R": nr.astype(int),
            "q_rate": nq / na,
            "r_rate": nr / na,
        }
    )
    dropped = 0
    if max_questionable is not None:
        bad_resp = nq > max_questionable
        dropped = int(bad_resp.sum())
        keep = ~bad_resp[resp_codes]
        df, f8, d8, codes, resp_codes = df[keep], f8[keep], d8[keep], codes[keep], resp_codes[keep]
    feat_codes, feat_index = pd.factorize(df[feature], sort=True)
    groups = [g for g in (segment, wave) if g]
    if groups:
        gkey = (
            df[groups].astype(str).agg(" | ".join, axis=1)
            if len(groups) > 1
            else df[groups[0]].astype(str)
        )
        grp_codes, grp_index = pd.factorize(gkey, sort=True)
    else:
        grp_codes, grp_index = np.zeros(len(df), dtype=np.int64), pd.Index(["all"])
    G, F = len(grp_index), len(feat_index)
    w = None if weights is None else df[weights].to_numpy(float)
    gf = grp_codes.astype(np.int64) * F + feat_codes
    # one count per (group, feature, category); category -1 (missing) lands in slot 0
    counts = _bincount(gf * 7 + codes + 1, G * F * 7, w).reshape(G, F, 7)[..., 1:]
    s = summarise_counts(counts, rule, strength_threshold)

    rows = pd.MultiIndex.from_product([range(G), range(F)], names=["g", "f"]).to_frame(index=False)
    out = pd.DataFrame({"feature": np.asarray(feat_index)[rows["f"]]})
    if groups:
        parts = pd.Series(np.asarray(grp_index)[rows["g"]]).str.split(" | ", regex=False)
        for i, gcol in enumerate(groups):
            out[gcol] = parts.str[i].to_numpy()
    out["n"] = s["n"].ravel()
    for k, cat in enumerate(CATS):
        out[cat] = counts[..., k].ravel()
    for k, cat in enumerate(CATS):
        out[f"share_{cat}"] = s["shares"][..., k].ravel()
    cats = np.array(CATS)
    out["category"] = cats[s["category"].ravel()]
    for r in ("mode", "moai", "aom"):
        out[f"category_{r}"] = cats[s[r].ravel()]
    out["better"], out["worse"] = s["better"].ravel(), s["worse"].ravel()
    out["strength"], out["total_strength"] = s["strength"].ravel(), s["total_strength"].ravel()
    out["fong_significant"] = s["fong_significant"].ravel()
    a, b = s["top_count"].ravel(), s["second_count"].ravel()
    out["binom_p"] = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(a, b), (a + b).round(), 0.5))
    # DuMouchel continuous scores: moments from answer-position counts per cell
    for name, pos, score in (("fun", f8, FUN_SCORE), ("dys", d8, DYS_SCORE)):
        pc = _bincount(gf * 6 + pos, G * F * 6, w).reshape(G * F, 6)[:, 1:]
        nn = np.bincount(gf * 6 + pos, minlength=G * F * 6).reshape(G * F, 6)[:, 1:].sum(axis=1)
        sw = pc.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            m1 = pc @ score / sw
            m2 = pc @ score**2 / sw
            sd = np.sqrt(np.maximum(m2 - m1**2, 0) * nn / np.maximum(nn - 1, 1))
            out[f"{name}_mean"], out[f"{name}_sd"], out[f"{name}_se"] = m1, sd, sd / np.sqrt(nn)
    if importance in df.columns:
        imp = pd.to_numeric(df[importance], errors="coerce").to_numpy(float)
        okk = ~np.isnan(imp)
        out["importance"] = np.bincount(gf[okk], weights=imp[okk], minlength=G * F) / np.maximum(
            np.bincount(gf[okk], minlength=G * F), 1
        )
    out["q_rate"], out["r_rate"] = out["share_Q"], out["share_R"]
    valid_n = out["n"] - out["Q"]
    out["low_n"] = valid_n < min_n
    cells = s["n"].ravel() > 0  # (group, feature) cells with at least one valid answer
    out = out[cells].reset_index(drop=True)

    notes = []
    empty = out.loc[(out["n"] - out["Q"]) == 0, "feature"]
    if len(empty):
        fail(
            "kano_answers",
            feature,
            f"feature(s) with no valid answers: {', '.join(map(str, empty))}",
            "check the answer coding of these features or drop them",
        )
    low = out[out["low_n"]]
    if len(low):
        msg = (
            f"{len(low)} feature/group cell(s) have fewer than {min_n} valid answers; category calls "
            "there are unreliable (e.g. " + ", ".join(low["feature"].astype(str).head(3)) + ")."
        )
        notes.append(msg)
        warnings.warn(msg, stacklevel=2)
    if dropped:
        notes.append(
            f"{dropped} respondent(s) with more than {max_questionable} questionable answers dropped."
        )
    seg_tests = None
    if bootstrap:
        w1 = np.ones(len(df)) if w is None else w
        out = _bootstrap(
            out,
            cells,
            resp_codes,
            grp_codes,
            feat_codes,
            codes,
            w1,
            (G, F),
            bootstrap,
            seed,
            rule,
            strength_threshold,
        )
    if segment:
        seg_tests = _segment_tests(out, segment, feat_index, bootstrap)
    table_name = table if isinstance(table, str) else "custom"
    return KanoResult(
        out,
        rule,
        table_name,
        bootstrap,
        int(quality.shape[0] - dropped),
        dropped,
        tuple(groups),
        tuple(notes),
        quality,
        seg_tests,
    )


def _bootstrap(out, cells, resp_codes, grp_codes, feat_codes, codes, w, shape, B, seed, rule, thr):
    """Resample respondents within each group; summaries of every replicate in one batch.

    ``cells`` marks the (group, feature) cells kept in ``out``, in the same (group, feature) order.
    """
    G, F = shape
    rng = np.random.default_rng(seed)
    valid = codes >= 0
    # respondent x (feature, category) weighted indicator counts, per group
    draws = np.zeros((B, G, F, 6))
    for g in range(G):  # loop over groups (segments, waves), not respondents
        sel = valid & (grp_codes == g)
        r_local, r_index = pd.factorize(resp_codes[sel])
        nr = len(r_index)
        if nr == 0:
            continue
        col = feat_codes[sel] * 6 + codes[sel]
        M = np.zeros((nr, F * 6))
        np.add.at(M, (r_local, col), w[sel])
        counts = rng.multinomial(nr, np.full(nr, 1 / nr), size=B).astype(float)
        draws[:, g] = (counts @ M).reshape(B, F, 6)
    s = summarise_counts(draws, rule, thr)
    gi = np.repeat(np.arange(G), F)[cells]
    fi = np.tile(np.arange(F), G)[cells]

    def pct(x, q):
        return np.nanpercentile(x[:, gi, fi], q, axis=0)

    out = out.copy()
    out["better_low"], out["better_high"] = pct(s["better"], 2.5), pct(s["better"], 97.5)
    out["worse_low"], out["worse_high"] = pct(s["worse"], 2.5), pct(s["worse"], 97.5)
    for k, cat in enumerate(CATS):
        sh = s["shares"][..., k]
        out[f"share_{cat}_low"], out[f"share_{cat}_high"] = pct(sh, 2.5), pct(sh, 97.5)
    win = s["category"][:, gi, fi]
    for k, cat in enumerate(CATS):
        out[f"stability_{cat}"] = (win == k).mean(axis=0)
    chosen = out["category"].map({c: i for i, c in enumerate(CATS)}).to_numpy()
    out["stability"] = out[[f"stability_{c}" for c in CATS]].to_numpy()[np.arange(len(out)), chosen]
    out.attrs["draws_better"] = s["better"][:, gi, fi]
    out.attrs["draws_worse"] = s["worse"][:, gi, fi]
    return out


def _segment_tests(out, segment, feat_index, bootstrap):
    rows = []
    segs = sorted(out[segment].unique())
    ref = segs[0]
    for feat in feat_index:  # loop over features
        t = out[out["feature"] == feat].set_index(segment)
        ct = t[["A", "O", "M", "I"]].to_numpy()
        ct = ct[:, ct.sum(axis=0) > 0]
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
            if s_ == ref or s_ not in t.index:
                continue
            row[f"better_diff[{s_}]"] = t.loc[s_, "better"] - t.loc[ref, "better"]
            row[f"worse_diff[{s_}]"] = t.loc[s_, "worse"] - t.loc[ref, "worse"]
            if bootstrap:
                db, dw = out.attrs["draws_better"], out.attrs["draws_worse"]
                i_s = out.index[(out["feature"] == feat) & (out[segment] == s_)][0]
                i_r = out.index[(out["feature"] == feat) & (out[segment] == ref)][0]
                diff_b = db[:, i_s] - db[:, i_r]
                diff_w = dw[:, i_s] - dw[:, i_r]
                row[f"better_diff_low[{s_}]"], row[f"better_diff_high[{s_}]"] = np.nanpercentile(
                    diff_b, [2.5, 97.5]
                )
                row[f"worse_diff_low[{s_}]"], row[f"worse_diff_high[{s_}]"] = np.nanpercentile(
                    diff_w, [2.5, 97.5]
                )
        rows.append(row)
    return pd.DataFrame(rows)


def from_counts(
    counts: pd.DataFrame, *, rule: str = "mode", strength_threshold: float = 6.0
) -> pd.DataFrame:
    """Summaries from published category counts (columns A O M I R Q, one row per feature)."""
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
