"""Rating scales and NPS groups: one definition for every module.

* NPS groups (Reichheld 2003): **detractors** answer 0-6, **passives** 7-8, **promoters** 9-10
  on the 0-10 likelihood-to-recommend question; :func:`nps_group` names them and
  :func:`nps_codes` gives the small-integer form (0 detractor, 1 passive, 2 promoter, -1 missing).
* Default scales of the contract's rating columns (the same as
  :func:`cxmodels.data.contract.default_codebook`): ``overall_sat`` 1-10, ``nps`` 0-10,
  ``csat`` 1-5, ``ces`` 1-7 (lower is easier), ``attr_*`` 1-10, ``importance`` 1-9, Kano
  answers 1-5. A codebook (``{column: {"min", "max"}}``) overrides them.
* :func:`top_box`: the top-``k``-box of any scale (the ``k`` best points: the highest, or the
  lowest where lower is better as for CES).

References
----------
Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review* 81(12).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contract import default_codebook

#: NPS cut-offs: detractors score at most ``NPS_DETRACTOR_MAX``, promoters at least ``NPS_PROMOTER_MIN``.
NPS_DETRACTOR_MAX = 6
NPS_PROMOTER_MIN = 9
NPS_GROUPS = ("detractor", "passive", "promoter")


@dataclass(frozen=True)
class Scale:
    """A rating scale: ``low``..``high`` in whole points; ``higher_is_better`` False for effort."""

    low: float
    high: float
    higher_is_better: bool = True

    @property
    def points(self) -> int:
        return int(self.high - self.low + 1)

    def __str__(self) -> str:
        return f"{self.low:g}-{self.high:g}"

    def top_box_threshold(self, k: int = 2) -> float:
        """The worst score that still counts in the top-``k`` box."""
        return self.high - k + 1 if self.higher_is_better else self.low + k - 1


ATTRIBUTE_PREFIX = "attr_"
ATTRIBUTE_SCALE = Scale(1, 10)
LOWER_IS_BETTER = frozenset({"ces"})
#: Default scales of the rating columns: the contract's default codebook.
DEFAULT_SCALES: dict[str, Scale] = {
    c: Scale(e["min"], e["max"], c not in LOWER_IS_BETTER) for c, e in default_codebook(()).items()
}
NPS_SCALE = DEFAULT_SCALES["nps"]


def scale_for(column, codebook: dict | None = None) -> Scale | None:
    """The scale of a rating column: the codebook's entry first, then the default; else None."""
    if column is None:
        return None
    name = str(column)
    entry = (codebook or {}).get(name)
    if entry is not None and "min" in entry and "max" in entry:
        return Scale(float(entry["min"]), float(entry["max"]), name not in LOWER_IS_BETTER)
    if name in DEFAULT_SCALES:
        return DEFAULT_SCALES[name]
    if name.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_SCALE
    return None


def nps_codes(scores) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10), -1 missing, as int8."""
    x = np.asarray(scores, dtype=float)
    out = np.where(x >= NPS_PROMOTER_MIN, 2, np.where(x > NPS_DETRACTOR_MAX, 1, 0)).astype(np.int8)
    out[np.isnan(x) | (x < 0)] = -1
    return out


def nps_group(scores) -> pd.Series:
    """promoter (9-10), passive (7-8), detractor (0-6); missing stays missing (object dtype)."""
    s = pd.Series(scores)
    codes = nps_codes(s.to_numpy(dtype=float, na_value=np.nan))
    names = np.array([*NPS_GROUPS, None], dtype=object)
    return pd.Series(names[np.where(codes < 0, 3, codes)], index=s.index, dtype=object)


def top_box(scores, scale: Scale, k: int = 2) -> np.ndarray:
    """1.0 where a score is in the top-``k`` box of ``scale``, 0.0 elsewhere, NaN when missing."""
    x = np.asarray(scores, dtype=float)
    t = scale.top_box_threshold(k)
    hit = (x >= t) if scale.higher_is_better else (x <= t)
    return np.where(np.isnan(x), np.nan, hit.astype(float))
