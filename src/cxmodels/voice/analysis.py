"""``cx.analyze_comments``: themes, sentiment and impact of survey comments, offline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._validation import as_list, check_option, fail, require_columns
from ..data.waves import order_waves
from ..pii import mask
from .embeddings import embed
from .impact import crosstab_share, nps_group, nps_points, theme_impact
from .normalize import guess_language, normalize, normalize_text
from .result import CommentsResult
from .sentiment import calibrate, lexicon_counts, score
from .themes import Themes, assign, discover

COMMENT_COLUMNS = ("comment_liked", "comment_disliked")
#: Fewer comments than this and a report leaves the themes out, and says so.
MIN_REPORT_COMMENTS = 20
NEGATIVE, POSITIVE = -0.2, 0.2
METHODS = {
    False: "discovered (TF-IDF, LSA, k-means)",
    True: "discovered (multilingual-e5-small embeddings, k-means)",
}


def _responses(data, by: str | None) -> pd.DataFrame:
    """The responses of a CXData, with the customers' ``by`` column (segment) joined on."""
    resp = data.responses
    cust = data.customers
    if by and by not in resp and by in cust and "customer_id" in resp and "customer_id" in cust:
        resp = resp.assign(**{by: resp["customer_id"].map(cust.set_index("customer_id")[by])})
    return resp


def _frame_and_texts(data, column, by) -> tuple[pd.DataFrame, pd.Series]:
    """The respondents' frame and the comments as one Series (stacked over columns)."""
    if hasattr(data, "responses") and hasattr(data, "codebook"):
        data = _responses(data, by)
    if isinstance(data, pd.DataFrame):
        cols = as_list(column) or [c for c in COMMENT_COLUMNS if c in data.columns]
        if not cols:
            fail("responses", "column", "no comment column named", "pass column='...'")
        require_columns(data, cols, "responses")
        if len(cols) == 1:
            return data, data[cols[0]]
        return data, data[cols].stack(future_stack=True)
    texts = pd.Series(data) if not isinstance(data, pd.Series) else data
    return pd.DataFrame(index=texts.index), texts


def _respondent_codes(texts: pd.Series, frame: pd.DataFrame) -> np.ndarray:
    rows = texts.index.get_level_values(0) if texts.index.nlevels > 1 else texts.index
    return frame.index.get_indexer(rows)


def _outcome_values(frame: pd.DataFrame, outcome) -> tuple[str | None, np.ndarray | None]:
    if outcome is None:
        outcome = "nps" if "nps" in frame.columns else None
    if outcome is None:
        return None, None
    require_columns(frame, [outcome], "responses")
    if outcome == "nps":
        return "NPS", nps_points(frame[outcome])
    values = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(float)
    if not np.isfinite(values).any():
        fail("responses", outcome, "has no numeric value", "name a numeric outcome column")
    return outcome, values


def _themes(norm, weights, themes, n_themes, seed, vectors) -> tuple[Themes, ...]:
    """(themes used, discovered suggestions or None)."""
    found = discover(norm, weights, n_themes, seed, vectors)
    if themes is None:
        return found, None
    return assign(norm, themes), found


def _theme_table(
    th: Themes, codes: np.ndarray, members: np.ndarray, sent: np.ndarray, resp: np.ndarray
) -> pd.DataFrame:
    n = len(codes)
    rows = []
    for j, name in enumerate(th.names):
        m = codes == j
        rows.append({
            "theme": name, "comments": int(m.sum()),
            "share": 100.0 * m.sum() / max(n, 1),
            "respondents": int(np.unique(resp[members[:, j]]).size),
            "sentiment": float(sent[m].mean()) if m.any() else np.nan,
            "negative": 100.0 * float((sent[m] < NEGATIVE).mean()) if m.any() else np.nan,
            "positive": 100.0 * float((sent[m] > POSITIVE).mean()) if m.any() else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _examples(th: Themes, shown: np.ndarray) -> pd.DataFrame:
    rows = [
        {"theme": name, "comment": shown[i]}
        for name, near in zip(th.names, th.nearest)
        for i in near
    ]
    return pd.DataFrame(rows, columns=["theme", "comment"])


def _breakdowns(frame, labels, order, resp, by, wave) -> dict:
    """Shares of comments per theme by NPS group, segment and wave, when the columns exist."""
    out = {}
    sources = {"by_group": "nps", "by_segment": by, "trend": wave}
    for key, col in sources.items():
        if col is None or col not in frame.columns:
            continue
        values = frame[col].to_numpy()[resp]
        if key == "by_group":
            values = nps_group(frame[col]).to_numpy()[resp]
        by_name = "nps_group" if key == "by_group" else col
        tab = crosstab_share(pd.Series(labels), pd.Series(values, name=by_name), order)
        if key == "trend":  # waves in the order of their meaning (2025Q3, 1403-Q2, dates)
            dates = frame["survey_date"] if "survey_date" in frame.columns else None
            tab = tab[[w for w in order_waves(frame[col], dates)[0] if w in tab.columns]]
            out["trend_n"] = pd.Series(values).value_counts().reindex(tab.columns)
        out[key] = tab
    return out


def analyze_comments(
    data_or_texts,
    column: str | list[str] | None = None,
    themes: dict[str, list[str]] | None = None,
    n_themes: int | None = None,
    language: str | None = None,
    outcome: str | None = None,
    seed: int = 0,
    *,
    by: str | None = "segment",
    wave: str | None = "wave",
    bootstrap: int = 200,
    level: float = 0.95,
    embeddings: bool = False,
) -> CommentsResult:
    """Themes, sentiment and what each theme costs, of survey comments in Persian and English.

    Parameters
    ----------
    data_or_texts : DataFrame, CXData, Series or list of str
        The survey responses (one row per respondent) or the comments alone. With a CXData
        its responses are used, the customers' ``by`` column joined on.
    column : str or list of str, optional
        Comment column(s); default: ``comment_liked`` and ``comment_disliked`` when present.
        Several columns are analysed together, one comment per cell (index ``(row, column)``).
    themes : dict, optional
        A codebook ``{theme: [seed terms or phrases]}``; comments matching none are
        ``"other"``, and the discovered themes are returned as ``suggestions``. Default:
        discover the themes (:mod:`cxmodels.voice.themes`).
    n_themes : int, optional
        Number of discovered themes; default: chosen by the highest mean silhouette.
    language : {"fa", "en"}, optional
        Analyse only the comments in this language (each comment's language is guessed from
        its letters); default: all.
    outcome : str, optional
        Column whose change each theme is credited with; default ``nps`` when present
        (promoters minus detractors, %), else none. Another column: its mean.
    seed : int
        Seed of the clustering, the held-out split and the bootstrap.
    by, wave : str, optional
        Segment and wave columns of the breakdowns (skipped when absent).
    bootstrap : int
        Respondent bootstrap replicates of the impact intervals (0: none).
    level : float
        Interval level.
    embeddings : bool
        Cluster discovered themes on multilingual sentence embeddings
        (:mod:`cxmodels.voice.embeddings`; the optional extra ``cxmodels[text]``, nothing
        downloaded at run time) instead of TF-IDF; theme names still come from TF-IDF terms.

    Returns
    -------
    CommentsResult
        ``.table`` (one row per theme), ``.labels``, ``.memberships``, ``.sentiment``,
        ``.texts`` (masked), ``.summary()``, ``findings()``, ``plot_impact()``.

    Notes
    -----
    Every comment is masked (:func:`cxmodels.voice.mask_text`) before anything else, and
    normalised (:func:`cxmodels.voice.normalize_text`); distinct comments are analysed once.
    Sentiment: :mod:`cxmodels.voice.sentiment`; impact: :mod:`cxmodels.voice.impact`.

    Examples
    --------
    >>> res = cx.analyze_comments(data.responses)                      # doctest: +SKIP
    >>> res = cx.analyze_comments(df, column="comment", themes={        # doctest: +SKIP
    ...     "price": ["price", "expensive", "قیمت", "گران"],
    ...     "staff": ["staff", "rude", "کارمند", "برخورد"]})
    """
    if language is not None:
        check_option("language", language, ("fa", "en"))
    frame, texts = _frame_and_texts(data_or_texts, column, by)
    shown = mask(texts)
    norm_all = normalize(shown)
    keep = norm_all.str.len() > 0
    lang_all = pd.Series(np.nan, index=texts.index, dtype=object)
    lang_all[keep] = [guess_language(s) for s in shown[keep]]
    if language is not None:
        keep &= lang_all == language
    if keep.sum() < 2:
        fail("responses", str(column or "comments"), f"has {int(keep.sum())} comment(s) to "
             "analyse", "pass a column with at least two non-empty comments")  # fmt: skip
    codes_u, uniq = pd.factorize(norm_all[keep])
    weights = np.bincount(codes_u, minlength=len(uniq)).astype(float)
    shown_u = shown[keep].to_numpy()[_first_rows(codes_u, len(uniq))]
    vectors = embed(list(shown_u)) if embeddings else None
    used, found = _themes(list(uniq), weights, themes, n_themes, seed, vectors)
    return _assemble(frame, texts, shown, keep, lang_all, codes_u, used, found,
                     dict(outcome=outcome, seed=seed, by=by, wave=wave, bootstrap=bootstrap,
                          level=level, uniq=list(uniq), shown_u=shown_u,
                          embeddings=bool(embeddings)))  # fmt: skip


def _assemble(frame, texts, shown, keep, lang_all, codes_u, used, found, o) -> CommentsResult:
    idx = texts.index[keep.to_numpy()]
    resp = _respondent_codes(texts[keep], frame)
    labels_c = used.labels[codes_u]
    members_c = used.members[codes_u]
    name, y = _outcome_values(frame, o["outcome"])
    counts = lexicon_counts(o["uniq"])[codes_u]
    weak = np.full(len(idx), np.nan)
    if "nps" in frame.columns:
        pts = nps_points(frame["nps"])[resp]
        weak = np.where(pts > 0, 1.0, np.where(pts < 0, 0.0, np.nan))
    cal = calibrate(counts, weak, resp, o["seed"])
    sent = score(counts, cal)
    table = _theme_table(used, labels_c, members_c, sent, resp)
    mentions = np.zeros((len(frame), len(used.names)), dtype=bool)
    np.logical_or.at(mentions, resp, members_c)
    if y is not None:
        imp = theme_impact(y, mentions, o["bootstrap"], o["level"], [o["seed"], 28])
        table = pd.concat([table, imp], axis=1)
    names = np.array(used.names, dtype=object)
    breakdowns = _breakdowns(frame, names[labels_c], list(names), resp, o["by"], o["wave"])
    shown_u = o["shown_u"]
    return CommentsResult(
        table=table,
        labels=pd.Series(names[labels_c], index=idx).reindex(texts.index),
        memberships=pd.DataFrame(members_c, index=idx, columns=list(names)).reindex(
            texts.index, fill_value=False
        ),
        sentiment=pd.Series(sent, index=idx).reindex(texts.index),
        texts=shown,
        language=lang_all,
        examples=_examples(used, shown_u),
        method="codebook" if found is not None else METHODS[o["embeddings"]],
        outcome=name,
        n_respondents=int(np.unique(resp).size),
        n_responses=len(frame),
        k_scores=used.scores,
        calibration=cal,
        suggestions=None if found is None else _suggestions(found),
        expanded=used.expanded,
        respondent_themes=pd.DataFrame(mentions, index=frame.index, columns=list(names)),
        outcome_ratings=None if y is None else frame[o["outcome"] or "nps"],
        level=o["level"],
        **breakdowns,
    )


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """Row of the first occurrence of each distinct comment."""
    first = np.full(n, -1)
    rows = np.arange(codes.size)[::-1]
    first[codes[::-1]] = rows
    return first


def _suggestions(found: Themes) -> pd.DataFrame:
    counts = np.bincount(found.labels, minlength=len(found.names))
    return pd.DataFrame({"theme": found.names, "distinct comments": counts}).set_index("theme")


def _language_counts(texts: pd.Series) -> pd.Series:
    """Comments with words per language (``fa`` / ``en``), largest first."""
    counts = texts.dropna().astype(str).value_counts()
    words = counts[[bool(normalize_text(x)) for x in counts.index]]
    langs = pd.Series([guess_language(x) for x in words.index], index=words.index)
    return words.groupby(langs.to_numpy()).sum().sort_values(ascending=False)


def analyze_report(
    data, column=None, language: str | None = None, **kw
) -> tuple[CommentsResult | None, int]:
    """:func:`analyze_comments` for a report, in the report's language.

    Returns
    -------
    (CommentsResult or None, int)
        The result and the number of comments with words; ``None`` when the data has no comment
        column or fewer than :data:`MIN_REPORT_COMMENTS` comments (the report then says so
        instead of failing). When the comments are in more than one language, only those in
        ``language`` are analysed if there are at least :data:`MIN_REPORT_COMMENTS` of them,
        else those of the language with the most comments (a theme is named by its words, so
        one language per page); the result's ``left_out`` counts the others, and its caveats
        say so.
    """
    resp = getattr(data, "responses", data)
    cols = [c for c in (as_list(column) or COMMENT_COLUMNS) if c in resp.columns]
    if not cols:
        return None, 0
    counts = _language_counts(resp[cols].stack(future_stack=True))
    n = int(counts.sum())
    if n < MIN_REPORT_COMMENTS:
        return None, n
    chosen = None
    if len(counts) > 1:
        enough = language is not None and counts.get(language, 0) >= MIN_REPORT_COMMENTS
        chosen = language if enough else str(counts.index[0])
    res = analyze_comments(data, column=cols, language=chosen, **kw)
    left = {str(k): int(v) for k, v in counts.items() if chosen is not None and k != chosen}
    return dataclasses.replace(res, left_out=left, asked=language), n
