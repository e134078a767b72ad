"""Themes of comments: discovered (TF-IDF, LSA, k-means) or given as a codebook.

**Discovered themes.** Each distinct normalised comment is a TF-IDF vector of its words (one-
and two-word terms, stop words removed) beside its character 3-5-grams within words (which
carry Persian suffixes and misspellings); the two blocks are scaled to unit length, reduced by
truncated SVD (latent semantic analysis, Deerwester et al. 1990) and clustered by k-means (ten
dimensions, the word and character blocks at equal weight) on the unit sphere, every distinct comment weighted by how often it occurs. When ``n_themes`` is
not given, k is the one of 2..10 with the highest mean silhouette (cosine; Rousseeuw 1987) on
up to 2,000 distinct comments (ten at most: more themes than a report can show). A theme is named by the three words that lift its centroid most above
the corpus mean, and shown with the two comments nearest its centroid.

**Codebook themes.** ``{theme: [terms or phrases]}`` in either language. Terms are normalised
as the comments are; a term of five or more letters (or of several words) matches a word that
starts with it (Persian suffixes, English plurals), a shorter term only the whole word.
Misspellings in the comments are caught by adding, for each one-word term of five or more
letters, the comment words that start with the same letter and are within a
:class:`difflib.SequenceMatcher` ratio of 0.85 of it. A comment belongs to every theme it
mentions (``memberships``); its label is the theme it mentions first (a comment's first clause
is usually what it is about), ``"other"`` when it mentions none.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize as unit
from threadpoolctl import threadpool_limits

from .._validation import data_warnings_collected, fail
from ..i18n import t as t_
from .normalize import negators, normalize_text, sentiment_lexicon, stop_words

OTHER = "other"
K_RANGE = (2, 10)
DIMS = 10
CHAR_WEIGHT = 1.0
#: k-means starts of the final clustering (two for each k tried when choosing it).
FINAL_STARTS = 10
SILHOUETTE_SAMPLE = 2000
FUZZY_RATIO = 0.85


@cache
def tone_words() -> frozenset[str]:
    """Sentiment words and negators: left out of theme discovery, which is about topics (praise
    and complaint about the same thing are one theme)."""
    words = {w for term in sentiment_lexicon() for w in term.split()}
    return frozenset(words | negators()["before"] | negators()["after"])


@dataclass(frozen=True)
class Themes:
    """Theme assignment of distinct comments: ``labels`` (codes), ``members`` (bool matrix),
    ``names`` (one per code), ``top_terms``, ``nearest`` (row of the most central comments)
    and how k was chosen (``scores``: k -> mean silhouette; empty for a codebook)."""

    labels: np.ndarray
    members: np.ndarray
    names: list[str]
    top_terms: list[list[str]]
    nearest: list[list[int]]
    scores: dict[int, float]
    expanded: dict[str, list[str]]


def _vectors(texts: list[str], seed: int) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
    """LSA vectors (unit length), the word TF-IDF block and its vocabulary."""
    stops = stop_words() | tone_words()
    content = [" ".join(w for w in t.split() if w not in stops) for t in texts]
    word = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"(?u)[^ ]{2,}"
    )
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)
    try:
        xw = word.fit_transform(content)
        xc = char.fit_transform(content)
    except ValueError:  # no term in two comments: a single theme
        return np.ones((len(texts), 1)), sparse.csr_matrix((len(texts), 0)), np.array([])
    x = sparse.hstack([unit(xw), CHAR_WEIGHT * unit(xc)]).tocsr()
    dims = min(DIMS, x.shape[1] - 1, x.shape[0] - 1)
    if dims < 2:
        return unit(x.toarray()), xw, word.get_feature_names_out()
    z = TruncatedSVD(dims, random_state=seed).fit_transform(x)
    return unit(z), xw, word.get_feature_names_out()


def _kmeans(z: np.ndarray, k: int, weights: np.ndarray, seed: int, n_init: int = 2) -> np.ndarray:
    with data_warnings_collected(ConvergenceWarning):  # fewer distinct comments than k
        km = KMeans(k, n_init=n_init, random_state=seed).fit(z, sample_weight=weights)
    return km.labels_


def _choose_k(z: np.ndarray, weights: np.ndarray, seed: int) -> tuple[int, dict[int, float]]:
    """k of 2..10 with the highest mean cosine silhouette, clustering a weighted sample of up
    to 2,000 distinct comments."""
    rng = np.random.default_rng(seed)
    m = min(SILHOUETTE_SAMPLE, len(z))
    sample = np.sort(rng.choice(len(z), size=m, replace=False, p=weights / weights.sum()))
    zs, ws = z[sample], weights[sample]
    n_distinct = len(np.unique(zs.round(6), axis=0))
    scores = {}
    for k in range(K_RANGE[0], min(K_RANGE[1], n_distinct - 1) + 1):
        lab = _kmeans(zs, k, ws, seed)
        if len(np.unique(lab)) == k:
            scores[k] = float(silhouette_score(zs, lab, metric="cosine"))
    if not scores:
        return 1, {}
    return max(scores, key=scores.get), scores


def _top_terms(xw, vocab, labels, weights, k: int, n: int = 3) -> list[list[str]]:
    if not len(vocab):
        return [[] for _ in range(k)]
    w = sparse.diags(weights) @ xw
    overall = np.asarray(w.sum(axis=0)).ravel() / weights.sum()
    out = []
    for j in range(k):
        sel = labels == j
        cen = np.asarray(w[sel].sum(axis=0)).ravel() / max(weights[sel].sum(), 1e-12)
        lift = cen - overall
        out.append(_distinct([str(vocab[i]) for i in np.argsort(-lift)[:30] if lift[i] > 0], n))
    return out


def _distinct(terms: list[str], n: int) -> list[str]:
    """The first ``n`` terms, a two-word term replacing the words it contains."""
    out: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(o.split()) for o in out):
            continue
        out = [o for o in out if not set(o.split()) <= words] + [term]
        if len(out) == n:
            break
    return out


def _nearest(z: np.ndarray, labels: np.ndarray, k: int, n: int = 2) -> list[list[int]]:
    out = []
    for j in range(k):
        rows = np.flatnonzero(labels == j)
        cen = z[rows].mean(axis=0)
        out.append(rows[np.argsort(-(z[rows] @ cen))[:n]].tolist())
    return out


def discover(
    texts: list[str], weights: np.ndarray, n_themes: int | None, seed: int, vectors=None
) -> Themes:
    """Discovered themes of distinct normalised comments (see the module docstring); with
    ``vectors`` (one row per comment, e.g. sentence embeddings) they are clustered instead of
    the LSA vectors."""
    # one thread: small dense problems (ten dimensions), where OpenMP and BLAS threads cost
    # more to start and share than they give
    with threadpool_limits(1):
        return _discover(texts, weights, n_themes, seed, vectors)


def _discover(texts, weights, n_themes, seed, vectors) -> Themes:
    z, xw, vocab = _vectors(texts, seed)
    if vectors is not None:
        z = unit(np.asarray(vectors, dtype=float))
    if n_themes is None:
        k, scores = _choose_k(z, weights, seed)
    else:
        k, scores = min(int(n_themes), len(texts)), {}
    labels = (
        _kmeans(z, k, weights, seed, FINAL_STARTS) if k > 1 else np.zeros(len(texts), dtype=int)
    )
    labels = np.unique(labels, return_inverse=True)[1]  # no empty theme (repeated comments)
    k = int(labels.max()) + 1
    terms = _top_terms(xw, vocab, labels, weights, k)
    names = [" / ".join(t) if t else t_("voice.theme_n", n=j + 1) for j, t in enumerate(terms)]
    members = np.zeros((len(texts), k), dtype=bool)
    members[np.arange(len(texts)), labels] = True
    return Themes(labels, members, names, terms, _nearest(z, labels, k), scores, {})


def _expand(terms: list[str], vocabulary: set[str]) -> list[str]:
    """The terms and the comment words that look like misspellings of them."""
    out = list(terms)
    by_first: dict[str, list[str]] = {}
    for w in vocabulary:
        by_first.setdefault(w[:1], []).append(w)
    for t in terms:
        if " " in t or len(t) < 5:
            continue
        for w in by_first.get(t[:1], []):
            if w not in out and abs(len(w) - len(t)) <= 2:
                if difflib.SequenceMatcher(None, t, w).ratio() >= FUZZY_RATIO:
                    out.append(w)
    return out


def _pattern(terms: list[str]) -> re.Pattern:
    parts = [
        re.escape(t) if (len(t) >= 5 or " " in t) else re.escape(t) + r"(?!\S)"
        for t in sorted(set(terms), key=len, reverse=True)
    ]
    return re.compile(r"(?<!\S)(?:" + "|".join(parts) + ")")


def _codebook_terms(codebook: dict) -> dict[str, list[str]]:
    if not isinstance(codebook, dict) or not codebook:
        fail("themes", "", "expected a codebook {theme: [terms]}", "pass a non-empty dict")
    out = {}
    for name, terms in codebook.items():
        terms = [terms] if isinstance(terms, str) else list(terms)
        norm = [normalize_text(t) for t in terms]
        if not any(norm) or str(name) == OTHER:
            fail(
                "themes",
                str(name),
                "a theme needs at least one term with letters, and 'other' is kept for "
                "comments no theme matches",
                "give each theme its seed terms or phrases and another name",
            )
        out[str(name)] = [t for t in norm if t]
    return out


def assign(texts: list[str], codebook: dict) -> Themes:
    """Codebook themes of distinct normalised comments (see the module docstring)."""
    terms = _codebook_terms(codebook)
    vocabulary = {w for t in texts for w in t.split() if len(w) >= 4}
    expanded = {name: _expand(ts, vocabulary) for name, ts in terms.items()}
    patterns = [_pattern(ts) for ts in expanded.values()]
    k = len(patterns)
    hits = np.zeros((len(texts), k))
    first = np.full((len(texts), k), np.inf)
    for i, text in enumerate(texts):
        for j, p in enumerate(patterns):
            found = [m.start() for m in p.finditer(text)]
            if found:
                hits[i, j], first[i, j] = len(found), found[0]
    members = hits > 0
    labels = np.where(members.any(axis=1), np.argmin(first, axis=1), k)
    names = [*terms, OTHER]
    members = np.column_stack([members, ~members.any(axis=1)])
    nearest = [np.argsort(-hits[:, j], kind="stable")[:2].tolist() for j in range(k)]
    nearest.append(np.flatnonzero(labels == k)[:2].tolist())
    extra = {n: e[len(terms[n]) :] for n, e in expanded.items()}
    top = [list(t[:3]) for t in terms.values()] + [[]]
    return Themes(labels, members, names, top, nearest, {}, extra)
