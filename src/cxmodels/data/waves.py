"""Survey waves in the order of their meaning, never as strings: one place for the loader
(``data.wave_order``), the metrics (changes between waves) and the churn tables.

``2025Q3``, ``Q3 2025``, ``1403-Q2``, ``2025-07``, ``Wave 3`` and dates are read as periods; a
wave written two ways (``2025Q3`` and ``Q3 2025``) is one period and is refused by validation.
"""

from __future__ import annotations

import re

import pandas as pd

from .text import normalize_label

_QUARTER = [
    (re.compile(r"^(\d{4})\s*[-_ ]?\s*q([1-4])$"), (1, 2)),  # 2025Q3, 2025-Q3, 1403-Q2
    (re.compile(r"^q([1-4])\s*[-_ /]?\s*(\d{4})$"), (2, 1)),  # Q3 2025, Q3-2025
]
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_NUMBERED = re.compile(r"^(?:wave|w|round|r)?\s*[-_ ]?\s*(\d+)$")


def _wave_key(label: str):
    text = normalize_label(str(label)).lower()
    for rx, (yi, qi) in _QUARTER:
        m = rx.match(text)
        if m:
            return (int(m.group(yi)), int(m.group(qi)) * 3)
    m = _MONTH.match(text)
    if m:
        return (int(m.group(1)), int(m.group(2)))
    m = _NUMBERED.match(text)
    if m:
        return (0, int(m.group(1)))
    if not re.search(r"\d{4}", text):
        return None
    when = pd.to_datetime(text, errors="coerce", format="mixed")
    return (when.year, when.month + when.day / 100) if pd.notna(when) else None


def order_waves(
    waves: pd.Series, dates: pd.Series | None = None, declared: list | None = None
) -> tuple[list, str]:
    """The waves in the order of their meaning, and the rule used.

    ``declared`` (the codebook's ``wave: {order: [...]}``) wins; else labels that all read as a
    period (``2025Q3``, ``Q3 2025``, ``1403-Q2``, ``2025-07``, ``Wave 3``, dates) are ordered by
    it; else by each wave's median survey date.
    """
    labels = list(pd.unique(waves.dropna()))
    if declared:
        rest = [w for w in labels if w not in declared]
        return list(declared) + sorted(map(str, rest)), "the codebook's order"
    keys = {w: _wave_key(w) for w in labels}
    if labels and all(k is not None for k in keys.values()):
        return sorted(labels, key=lambda w: keys[w]), "their labels (periods)"
    if dates is not None and dates.notna().any():
        med = pd.Series(dates.to_numpy(), index=waves.to_numpy()).groupby(level=0).median()
        return list(med.sort_values().index), "the median survey date of each wave"
    return sorted(map(str, labels)), "their labels as text"


def ordered_waves(data, waves: pd.Series) -> list:
    """The waves present, in the order of their meaning (``data.wave_order`` from the loader, or
    :func:`order_waves`): 'Q4 2024' comes before 'Q1 2025', never as strings."""
    present = set(pd.unique(waves.dropna()))
    known = list(getattr(data, "wave_order", None) or [])
    if not known or not present <= set(known):
        known = order_waves(pd.Series(sorted(present, key=str)))[0]
    return [w for w in known if w in present]


def written_twice(labels) -> list[list]:
    """Groups of wave labels that name one period (``['2025Q3', 'Q3 2025']``)."""
    groups: dict = {}
    for w in labels:
        key = _wave_key(w)
        if key is not None:
            groups.setdefault(key, []).append(w)
    return [sorted(map(str, g)) for g in groups.values() if len(g) > 1]
