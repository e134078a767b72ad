"""Sentiment of comments: shipped lexicons, calibrated on the survey's own rating.

**Lexicon score.** The words (and two-word terms) of a normalised comment are looked up in the
shipped Persian and English lexicons (``lexicon/sentiment_*.tsv``, +1 praise, -1 complaint); a
word is also found without a common suffix (``کیفیتش``, ``delays``); it is flipped by an English negator up to two words before it (*not good*) or a Persian
negative copula up to two words after it (*خوب نبود*). The counts of praise ``p`` and complaint
``q`` give the raw score ``(p - q) / (p + q)`` in -1..1 (0 for a comment with neither).

**Calibration.** Where the respondents gave a 0-10 recommendation rating, promoters (9-10) and
detractors (0-6) are a weak label of a comment's tone. A logistic regression of the label on
``p`` and ``q`` (the package's one logistic fit, :func:`cxmodels._numeric.logit`: plain maximum
likelihood; it adds a 1e-6 ridge only if that fit fails, e.g. under separation) is fitted on three quarters
of the respondents; the accuracy reported is how often the sign of the sentiment shipped
agrees with the label on the held-out quarter's comments that have a sentiment word, beside
always guessing the group larger in the training part (the base rate), the balanced accuracy
(mean of the two groups' hit rates; chance is 50%) and Cohen's kappa (agreement beyond chance;
0 is chance). Nothing is tuned on the held-out quarter. :attr:`Calibration.verdict` says whether
the sentiment beats the base-rate guess, and if not whether it beats chance. The calibrated
sentiment is ``2 * sigmoid(b_p * p + b_q * q) - 1`` (the intercept, the base rate of
promoters, left out so a comment with no sentiment word stays at 0): it is the tone of the
words, not a prediction of the group, so with unequal groups it can fall below the base-rate
guess and still carry signal. It is used when ``b_p > 0 > b_q``; otherwise the raw score is
kept and a caveat says so.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
Psychological Measurement* 20(1), 37-46. Brodersen, K. H. et al. (2010). The balanced accuracy
and its posterior distribution. *ICPR 2010*, 3121-3124.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._numeric import logit
from .normalize import negators, sentiment_lexicon

HELD_OUT = 0.25
#: Suffixes tried, longest first, when a word is not in the lexicon as written (Persian
#: plural, comparative, possessive and indefinite endings; English plural and past).
SUFFIXES = ("ترین", "های", "تر", "ها", "ی", "ش", "م", "ه", "s", "ed")


def _lookup(word: str, lexicon: dict) -> float:
    if word in lexicon:
        return lexicon[word]
    for suf in SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 2 and word[: -len(suf)] in lexicon:
            return lexicon[word[: -len(suf)]]
    return 0.0


def _counts(text: str, lexicon: dict, before: frozenset, after: frozenset) -> tuple[int, int]:
    words = text.split()
    scores = [0.0] * len(words)
    i = 0
    while i < len(words):
        pair = f"{words[i]} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in lexicon:
            scores[i], i = lexicon[pair], i + 2
            continue
        scores[i] = _lookup(words[i], lexicon)
        i += 1
    for i, w in enumerate(words):
        if w in before:
            for j in range(i + 1, min(i + 3, len(words))):
                scores[j] = -scores[j]
        if w in after:
            for j in range(max(i - 2, 0), i):
                scores[j] = -scores[j]
    return sum(s > 0 for s in scores), sum(s < 0 for s in scores)


def lexicon_counts(texts: list[str]) -> np.ndarray:
    """``(n, 2)`` counts of praise and complaint words of distinct normalised comments."""
    lex, neg = sentiment_lexicon(), negators()
    out = [_counts(t, lex, neg["before"], neg["after"]) for t in texts]
    return np.array(out, dtype=float).reshape(len(texts), 2)


def raw_score(counts: np.ndarray) -> np.ndarray:
    """``(p - q) / (p + q)``, 0 where a comment has neither."""
    total = counts.sum(axis=1)
    return np.divide(counts[:, 0] - counts[:, 1], total, out=np.zeros(len(counts)), where=total > 0)


@dataclass(frozen=True)
class Calibration:
    """The calibration of the lexicon on weak labels and its held-out check."""

    calibrated: bool
    coef: tuple[float, float] = (np.nan, np.nan)
    n_train: int = 0
    n_test: int = 0
    accuracy: float = np.nan
    accuracy_majority: float = np.nan
    notes: tuple[str, ...] = field(default_factory=tuple)
    balanced_accuracy: float = np.nan
    kappa: float = np.nan

    @property
    def verdict(self) -> str | None:
        """``"beats"`` the base-rate guess (always the larger group), else ``"above_chance"``
        (Cohen's kappa above 0) or ``"chance"``; ``None`` without held-out comments."""
        if not self.n_test or not np.isfinite(self.accuracy):
            return None
        if self.accuracy > self.accuracy_majority:
            return "beats"
        return "above_chance" if self.kappa > 0 else "chance"


def agreement(predicted: np.ndarray, actual: np.ndarray) -> tuple[float, float, float]:
    """Accuracy, balanced accuracy and Cohen's kappa of two 0/1 (boolean) vectors.

    Balanced accuracy is the mean of the hit rates of the two actual groups (NaN with one
    group); kappa is ``(p_o - p_e) / (1 - p_e)``, ``p_e`` the agreement expected by chance from
    the two vectors' shares (NaN when ``p_e`` is 1).
    """
    pred, act = np.asarray(predicted, bool), np.asarray(actual, bool)
    if not pred.size:
        return np.nan, np.nan, np.nan
    p_o = float((pred == act).mean())
    groups = [act, ~act]
    balanced = (
        float(np.mean([(pred[g] == act[g]).mean() for g in groups]))
        if all(g.any() for g in groups)
        else np.nan
    )
    p_e = float(pred.mean() * act.mean() + (1 - pred.mean()) * (1 - act.mean()))
    kappa = (p_o - p_e) / (1 - p_e) if p_e < 1 else np.nan
    return p_o, balanced, kappa


def calibrate(counts: np.ndarray, label: np.ndarray, group: np.ndarray, seed: int) -> Calibration:
    """Fit the calibration on the comments with a weak label (1 praise, 0 complaint, NaN none).

    ``group`` holds each comment's respondent code: a respondent's comments are all in the
    training or all in the held-out part.
    """
    has = np.isfinite(label)
    if has.sum() < 40 or len(np.unique(label[has])) < 2:
        return Calibration(False, notes=("too few rated comments",))
    groups = np.unique(group[has])
    test_groups = np.random.default_rng([seed, 28]).random(groups.size) < HELD_OUT
    test = has & np.isin(group, groups[test_groups])
    train = has & ~test
    y = label.astype(float)
    X = np.column_stack([np.ones(int(train.sum())), counts[train]])
    b = logit(X, y[train]).params[1:]
    ok = bool(b[0] > 0 > b[1])
    shipped = score(counts[test], Calibration(ok, coef=(float(b[0]), float(b[1]))))
    said = shipped != 0  # comments with a sentiment word: the others say nothing to check
    majority = float(y[train].mean() > 0.5)
    accuracy, balanced, kappa = agreement(shipped[said] > 0, y[test][said] == 1)
    return Calibration(
        calibrated=ok,
        coef=(float(b[0]), float(b[1])),
        n_train=int(train.sum()),
        n_test=int(said.sum()),
        accuracy=accuracy,
        accuracy_majority=float((y[test][said] == majority).mean()),
        balanced_accuracy=balanced,
        kappa=kappa,
    )


def score(counts: np.ndarray, cal: Calibration) -> np.ndarray:
    """Sentiment in -1..1: calibrated when the calibration holds, the raw score otherwise."""
    if not cal.calibrated:
        return raw_score(counts)
    eta = counts @ np.asarray(cal.coef)
    return 2.0 / (1.0 + np.exp(-eta)) - 1.0
