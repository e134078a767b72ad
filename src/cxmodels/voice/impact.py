"""What each theme costs: Thematic's "remove the theme" impact on NPS or another outcome.

The impact of a theme is the outcome over all respondents minus the outcome over the
respondents who did not mention it (Thematic, "How we calculate impact"): a theme whose
mentioners score below the rest has a negative impact, and its size grows with how many
mention it. For NPS the outcome of a respondent is +100 (promoter, 9-10), 0 (passive) or -100
(detractor, 0-6), so the mean is the NPS. Intervals: percentile intervals over respondent
bootstrap replicates from the package's engine (:func:`cxmodels._bootstrap.multinomial_weights`),
all themes at once and in batches of replicates to bound memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._bootstrap import make_rng, multinomial_weights, percentile_ci
from ..data.scales import nps_codes

BATCH = 50


def nps_points(ratings: pd.Series) -> np.ndarray:
    """+100 promoter, 0 passive, -100 detractor; NaN where the rating is missing.

    The groups are the one NPS definition, :func:`cxmodels.data.scales.nps_codes`.
    """
    codes = nps_codes(pd.to_numeric(ratings, errors="coerce").to_numpy(float))
    return np.where(codes < 0, np.nan, 100.0 * (codes - 1.0))


def nps_group(ratings: pd.Series) -> pd.Series:
    """``promoter`` / ``passive`` / ``detractor`` (missing where the rating is)."""
    p = nps_points(ratings)
    names = np.array(["detractor", "passive", "promoter"], dtype=object)
    out = pd.Series(names[np.nan_to_num(p / 100 + 1).astype(int)], index=ratings.index)
    return out.where(~np.isnan(p))


def _removed(w: np.ndarray, y: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """All-minus-without differences for weight rows ``w`` (reps, n); ``keep`` is (n, k)."""
    total = (w @ y) / w.sum(axis=1)
    n_kept = w @ keep
    with np.errstate(all="ignore"):  # a theme everyone mentions has no "without": NaN
        without = np.where(n_kept > 0, (w @ (y[:, None] * keep)) / n_kept, np.nan)
    return total[:, None] - without


def theme_impact(
    y: np.ndarray, mentions: np.ndarray, reps: int, level: float, seed
) -> pd.DataFrame:
    """``impact``, ``impact_low``, ``impact_high`` of each theme (columns of ``mentions``).

    Parameters
    ----------
    y : ndarray
        Outcome per respondent (NaN rows are left out).
    mentions : ndarray of bool
        ``(n_respondents, n_themes)``: whether a respondent mentioned each theme.
    reps, level, seed
        Bootstrap replicates (0: no interval), interval level and seed.
    """
    ok = np.isfinite(y)
    y, keep = y[ok], (~mentions[ok]).astype(float)
    est = _removed(np.ones((1, y.size)), y, keep)[0]
    out = pd.DataFrame({"impact": est, "impact_low": np.nan, "impact_high": np.nan})
    if reps and y.size > 1:
        rng = make_rng(seed)
        draws = np.vstack(
            [
                _removed(multinomial_weights(y.size, min(BATCH, reps - b), rng), y, keep)
                for b in range(0, reps, BATCH)
            ]
        )
        out["impact_low"], out["impact_high"] = percentile_ci(draws, level)
    return out


def crosstab_share(themes: pd.Series, by: pd.Series, order: list[str]) -> pd.DataFrame:
    """Share (%) of each group's comments in each theme: themes as rows, groups as columns."""
    tab = pd.crosstab(themes, by, normalize="columns") * 100
    return tab.reindex(order).fillna(0.0).rename_axis(index="theme", columns=by.name)
