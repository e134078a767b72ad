"""``analyze_kano``: answers to categories, coefficients, DuMouchel scores, bootstrap and
segment tests, counted in one pass (see :mod:`cxmodels.kano`)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._format import join_words, label
from .._validation import (
    check_frame,
    check_number,
    check_option,
    check_weights,
    did_you_mean,
    fail,
    require_columns,
)
from ..data.text import normalize_label
from ..i18n import t
from .bootstrap import _bootstrap
from .result import KanoResult
from .tables import (
    _CHUNK,
    _Q,
    _R,
    CATS,
    DYS_SCORE,
    FUN_SCORE,
    RULES,
    _lookup6,
    _positions_u8,
    _table_array,
)
from .tests import _segment_tests, summarise_counts


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
    else:  # bootstrap=0: no replicates, so the stability of each call is not estimated
        out["stability"] = np.nan
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
    """The answers to ``features``; every name asked for must be in the data (spelled as the
    loader spells labels: Arabic or Persian yeh and kaf, spaces and direction marks alike)."""
    if features is None:
        return df
    features = [features] if isinstance(features, str) else list(features)
    known = pd.unique(df[feature].dropna())
    spelled = {normalize_label(str(f)): f for f in known}
    asked = [spelled.get(normalize_label(str(f)), f) for f in features]
    missing = [f for f, a in zip(features, asked) if a not in set(known)]
    if missing:
        hints = "".join(did_you_mean(str(f), map(str, known)) for f in missing)
        fail(
            "kano_answers",
            feature,
            f"features not in the data: {', '.join(map(repr, missing))}{hints}",
            f"choose among {', '.join(map(repr, sorted(map(str, known))))}",
        )
    return df[df[feature].isin(asked)]


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
        examples = ", ".join(map(label, low["feature"].astype(str).head(3)))
        msg = t("kano.low_n", n=len(low), min_n=min_n, examples=examples)
        notes.append(msg)
        warnings.warn(msg, stacklevel=3)
    if dropped:
        notes.append(t("kano.dropped", n=dropped, max_q=max_questionable))
    return notes


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
