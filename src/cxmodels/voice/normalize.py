"""Normalisation of Persian and English comments, language guess, tokens and word lists.

One spelling for both scripts before any model sees a comment: Arabic yeh and kaf become the
Persian ی and ک, Persian and Arabic-Indic digits become ASCII, diacritics and tatweel go, ZWNJ
becomes a space (so می‌خواهم, می خواهم and the suffix ها stand as separate tokens), URLs,
e-mail addresses, numbers and the masking placeholders are removed, and a few emoji become the
sentiment tokens ``emojipos`` / ``emojineg`` (the others are dropped).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

LEXICON = Path(__file__).parent / "lexicon"

_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ئ": "ی",
        "ك": "ک",  # Arabic kaf
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        "\u200c": " ",  # ZWNJ
        "\u200d": "",
        "\u200f": "",
        "\u200e": "",
        "\u0640": "",  # tatweel
    }
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PLACEHOLDER = re.compile(r"\[(?:phone|email|id|card|name|number)\]")
_POS_EMOJI = "😀😃😄😁😊🙂😍🥰😘👍👌👏💯🙏❤💙💚🌹⭐🌟✅🎉"
_NEG_EMOJI = "😞😟😠😡🤬😢😭😤😒🙁☹👎💔❌😩😫🤮"
_EMOJI_TOKENS = re.compile(f"([{_POS_EMOJI}])|([{_NEG_EMOJI}])")
#: Anything that is not a letter of either script or an ASCII letter/apostrophe: a separator.
_NON_WORD = re.compile(r"[^a-z'\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]+")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[a-zA-Z]")


def _emoji_token(m: re.Match) -> str:
    return " emojipos " if m.group(1) else " emojineg "


def normalize_text(text) -> str:
    """One comment in the common spelling (see the module docstring); ``""`` for a missing one.

    Examples
    --------
    >>> normalize_text("كيفيت   عالي بود!! ۱۰۰٪ 👍 https://x.ir")
    'کیفیت عالی بود emojipos'
    """
    if not isinstance(text, str):
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_LETTERS)
    s = _DIACRITICS.sub("", s)
    s = _PLACEHOLDER.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", s)))
    s = _EMOJI_TOKENS.sub(_emoji_token, s.lower())
    s = s.replace("’", "'")
    return " ".join(t.strip("'") for t in _NON_WORD.split(s) if t.strip("'"))


def normalize(texts: pd.Series) -> pd.Series:
    """:func:`normalize_text` of every comment, computed once per distinct text."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    done = np.array([normalize_text(u) for u in uniques] + [""], dtype=object)
    return pd.Series(done[codes], index=texts.index)


def guess_language(text: str) -> str:
    """``"fa"`` when most letters are Arabic-script, ``"en"`` otherwise."""
    fa = len(_ARABIC_SCRIPT.findall(text or ""))
    en = len(_LATIN.findall(text or ""))
    return "fa" if fa > en else "en"


def _lines(name: str) -> list[str]:
    rows = (LEXICON / name).read_text(encoding="utf-8").splitlines()
    return [r for r in rows if r.strip() and not r.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    """The shipped Persian and English stop words (``lexicon/stopwords_*.txt``)."""
    files = ("stopwords_en.txt", "stopwords_fa.txt")
    return frozenset(normalize_text(w) for f in files for w in _lines(f))


@cache
def sentiment_lexicon() -> dict[str, float]:
    """Term -> score (+1 praise, -1 complaint) of the shipped Persian and English lexicons."""
    out: dict[str, float] = {}
    for f in ("sentiment_en.tsv", "sentiment_fa.tsv"):
        for row in _lines(f):
            term, score = row.split("\t")
            out[normalize_text(term)] = float(score)
    return out


@cache
def negators() -> dict[str, frozenset[str]]:
    """Negators by side: ``"before"`` (English *not good*) and ``"after"`` (Persian *خوب نبود*)."""
    side: dict[str, set[str]] = {"before": set(), "after": set()}
    for row in _lines("negators.txt"):
        where, word = row.split("\t")
        side[where].add(normalize_text(word))
    return {k: frozenset(v) for k, v in side.items()}
