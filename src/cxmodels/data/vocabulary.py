"""Coded columns: the contract's vocabularies, label spelling, and the order of survey waves.

Interaction ``kind`` and ``channel`` are matched to the contract's values case- and
spacing-insensitively (``'Follow-up'`` -> ``follow_up``) with a few common synonyms; unknown
values are refused listing the known ones. Labels (segments, regions, ...) are trimmed and
near-duplicates reported. (Waves are ordered in :mod:`.waves`.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import CHANNELS, KINDS
from .text import canonical_name, distinct, text_from_codes

# fmt: off
SYNONYMS = {
    "kind": {"followup": "follow_up", "follow_up_call": "follow_up", "callback": "follow_up",
        "complaints": "complaint", "purchases": "purchase", "order": "purchase",
        "support_request": "support", "survey": "survey_invite",
        "survey_invitation": "survey_invite", "invite": "survey_invite"},
    "channel": {"e_mail": "email", "mail": "email", "telephone": "phone", "call": "phone",
        "call_centre": "phone", "call_center": "phone", "text": "sms", "text_message": "sms",
        "live_chat": "chat", "social_media": "social", "website": "web", "online": "web",
        "app": "web", "in_store": "store", "shop": "store", "branch": "store"},
}
# fmt: on
VOCABULARY = {"kind": KINDS, "channel": CHANNELS}


def map_labels(s: pd.Series, fn, categories: bool = False) -> tuple[pd.Series, dict]:
    """Apply ``fn`` to each distinct value; return the column and the changes.

    Categories stay categories; ``categories=True`` makes any column one (spellings that
    ``fn`` maps to one value share its category).
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        new = [fn(c) for c in cats]
        changed = {c: n for c, n in zip(cats, new) if c != n}
        if not changed:
            return s, {}
        if len(set(new)) == len(new) and all(isinstance(n, str) for n in new):
            return s.cat.rename_categories(new), changed
    codes, uniques = pd.factorize(s)
    new = np.array([fn(u) for u in uniques], dtype=object)
    changed = {u: n for u, n in zip(uniques, new) if u != n}
    if categories:
        inverse, merged = pd.factorize(pd.Series(new, dtype=object))
        at = np.append(inverse, -1)[codes]  # code -1 (missing) stays missing
        return pd.Series(pd.Categorical.from_codes(at, merged), index=s.index), changed
    if not changed:
        return s, {}
    if all(isinstance(n, str) or n is None for n in new):
        return text_from_codes(codes, new, s.index), changed
    return pd.Series(np.append(new, None)[codes], index=s.index, dtype=object), changed


def in_vocabulary_order(s: pd.Series, column: str) -> pd.Series:
    """A coded column (``kind``, ``channel``) as categories in the contract's order, unknown
    values after them: the same categories from every format and both engines, as the
    synthetic world has them (tables by kind or channel come out in one order)."""
    known = list(VOCABULARY[column])
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    cats = list(s.cat.categories)
    order = known + [c for c in cats if c not in known]
    if cats == order:
        return s
    # each old code's new code, old code c at c + 1 (0: missing), taken by Arrow in the codes'
    # own width (numpy's take would widen 12 M indices to 64 bits first)
    width = np.int8 if len(order) < 127 else np.int16 if len(order) < 32767 else np.int32
    moved = pa.array(np.append(-1, [order.index(c) for c in cats]).astype(width))
    old = s.cat.codes.to_numpy().astype(np.int32) + 1
    codes = pc.take(moved, pa.array(old)).to_numpy()
    new = pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(order, ordered=s.cat.ordered), validate=False
    )
    return pd.Series(new, index=s.index, name=s.name)


def to_vocabulary(column: str):
    """A function mapping a spelling to the contract's value (unknown spellings unchanged)."""
    known, syn = VOCABULARY[column], SYNONYMS[column]

    def one(v):
        if not isinstance(v, str):
            return v
        key = canonical_name(v)
        return key if key in known else syn.get(key, v)

    return one


def near_duplicates(s: pd.Series) -> list[list[str]]:
    """Groups of labels that differ only in case or spacing (``'Premium'`` vs ``'premium'``)."""
    vals = pd.Series(distinct(s), dtype=object).astype(str).drop_duplicates()
    if len(vals) < 2:
        return []
    key = vals.str.casefold().str.replace(r"[\s_\-]+", "", regex=True)
    groups = vals.groupby(key).agg(list)
    return [sorted(g) for g in groups if len(g) > 1]
