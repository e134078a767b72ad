"""Inputs of the drivers models, validated before any library sees them.

:func:`prepare` turns a table and the names of outcome, drivers, controls, groups and weights
into a :class:`DriverData`: one float array ``[controls, drivers..., outcome]`` of the complete
rows, with every problem (unknown or non-numeric columns, infinite values, all-missing columns,
a driver that is also the outcome, bad weights, constant or collinear columns) refused first
in one :class:`~cxmodels.InputError` naming the table, the column, the rows and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._linalg import collinear_columns
from .._numeric import centred  # the OLS core's centring (also used by penalty_reward)
from .._validation import (
    as_list,
    check_frame,
    check_weights,
    fail,
    require_columns,
    require_numeric,
)
from ..data import scales
from ..data.contract import default_codebook
from ..data.core import is_dataset

IMPORTANCE_METHODS = (
    "shapley",
    "lmg",
    "dominance",
    "relative_weights",
    "first",
    "last",
    "beta_squared",
    "pratt",
)
MODELS = ("ols", "ordinal", "logit")
TARGETS = ("promoter", "detractor")


@dataclass(frozen=True, eq=False)
class DriverData:
    """Validated inputs of one drivers model.

    Attributes
    ----------
    Z : array (n, m)
        Complete rows, columns ``[controls..., driver columns..., outcome]``.
    w : array (n,) or None
        Survey weights of those rows.
    mean, Zc, gram : arrays
        (Weighted) column means, centred ``Z`` and the centred (weighted) cross-product
        :math:`Z_c^\top W Z_c`, from one pass over the rows.
    low, high : arrays
        Column minima and maxima.
    outcome : str
    players : tuple of str
        Drivers not in a group, then the group names (one importance each).
    columns : tuple of str
        Driver columns in ``Z`` order (ungrouped drivers, then the grouped columns).
    controls : tuple of str
    groups : dict
    sizes : tuple of int
        Columns of each player.
    n_dropped : int
        Rows dropped for a missing value.
    codebook : dict
    table : str
        Name of the table in messages.
    """

    Z: np.ndarray
    w: np.ndarray | None
    mean: np.ndarray
    Zc: np.ndarray
    gram: np.ndarray
    low: np.ndarray
    high: np.ndarray
    outcome: str
    players: tuple[str, ...]
    columns: tuple[str, ...]
    controls: tuple[str, ...]
    groups: dict
    sizes: tuple[int, ...]
    n_dropped: int
    codebook: dict
    table: str = "responses"

    @property
    def n(self) -> int:
        return len(self.Z)

    @property
    def X(self) -> np.ndarray:
        return self.Z[:, len(self.controls) : -1]

    @property
    def y(self) -> np.ndarray:
        return self.Z[:, -1]

    @property
    def corr(self) -> np.ndarray:
        """(Weighted) correlation matrix of ``[controls, drivers, outcome]``."""
        return to_corr(self.gram)

    def mean_sd(self) -> tuple[np.ndarray, np.ndarray]:
        """Column means and standard deviations under the survey weights (plain without).

        The moments of the fitted model: the weighted mean :math:`\\sum w z / \\sum w` and
        :math:`s = \\sqrt{\\sum w (z - \\bar z)^2 / (\\sum w \\cdot (n-1)/n)}` (ddof 1
        when every weight is 1; a common factor, so ratios of SDs are those of the weighted
        correlations). From the centred cross-product, no pass over the rows.
        """
        sw = self.n if self.w is None else float(self.w.sum())
        return self.mean, np.sqrt(np.diag(self.gram) / (sw * (self.n - 1) / self.n))

    def frame(self) -> pd.DataFrame:
        """The complete rows as a DataFrame (controls, driver columns, outcome)."""
        return pd.DataFrame(self.Z, columns=[*self.controls, *self.columns, self.outcome])


def to_corr(C: np.ndarray) -> np.ndarray:
    """Correlations from covariances (or cross-products); a leading batch axis is kept."""
    d = np.sqrt(np.diagonal(C, axis1=-2, axis2=-1))
    return C / d[..., :, None] / d[..., None, :]


def responses(data) -> tuple[pd.DataFrame, dict]:
    """The answers table and codebook of a DataFrame or a CXData."""
    if is_dataset(data):
        return data.responses, data.codebook
    check_frame(data, "responses")
    return data, default_codebook()


def _names(df, outcome, drivers, controls, groups, table):
    drivers = as_list(drivers)
    if not drivers:
        drivers = [c for c in df.columns if str(c).startswith("attr_")]
        if not drivers:
            fail(
                table,
                "drivers",
                "no drivers given and no attr_* columns found",
                "pass drivers=[...] naming the rating columns",
            )
    controls = as_list(controls)
    if groups is not None and not isinstance(groups, dict):
        fail(
            table,
            "groups",
            f"expected a dict of name -> columns, got {type(groups).__name__}",
            "pass groups={'name': ['col_a', 'col_b']}",
        )
    groups = {str(k): as_list(v) for k, v in (groups or {}).items()}
    grouped = [c for cols in groups.values() for c in cols]
    columns = [d for d in drivers if d not in grouped] + grouped
    players = [d for d in drivers if d not in grouped] + list(groups)
    every = columns + controls
    dup = sorted({c for c in every if every.count(c) > 1})
    if dup:
        fail(
            table,
            ", ".join(map(str, dup)),
            "named more than once (drivers, groups, controls)",
            "name each column once",
        )
    if outcome in every:
        fail(
            table,
            outcome,
            "is the outcome and also a driver or control",
            "drop the outcome from drivers/controls",
        )
    return players, columns, controls, groups


def _to_float(df: pd.DataFrame, cols: list[str], table: str) -> tuple[np.ndarray, np.ndarray]:
    """One float array and its finite mask; booleans count as 0/1; infinite and all-missing
    columns refused."""
    Z = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in cols])
    finite = np.isfinite(Z)
    if finite.all():
        return Z, finite
    inf = np.isinf(Z)
    if inf.any():
        j = int(np.flatnonzero(inf.any(axis=0))[0])
        fail(
            table,
            cols[j],
            "holds infinite values",
            "replace them or drop those rows",
            df.index[inf[:, j]],
        )
    empty = [c for c, e in zip(cols, ~finite.any(axis=0)) if e]
    if empty:
        fail(
            table,
            ", ".join(empty),
            "column(s) hold no values at all",
            "drop them from the model or fill them",
        )
    return Z, finite


def _weights(df, weights, table):
    if weights is None:
        return None, None
    if isinstance(weights, str):
        require_columns(df, [weights], table)
        require_numeric(df, [weights], table)
        return weights, df[weights].to_numpy(dtype=float, na_value=np.nan)
    return None, check_weights(weights, len(df), table)


def _check_rows(Z, names, n_cols, table):
    """Enough complete rows, no constant column; returns the column minima and maxima."""
    if len(Z) < n_cols + 10:
        fail(
            table,
            ", ".join(names[:-1]),
            f"only {len(Z)} complete rows for {n_cols} columns",
            "use fewer drivers or more data (at least drivers + 10 complete rows)",
        )
    lo, hi = Z.min(axis=0), Z.max(axis=0)
    const = [c for c, a, b in zip(names, lo, hi) if a == b]
    if const:
        fail(
            table,
            ", ".join(const),
            "constant column(s): no variation to explain or to explain with",
            "drop them from the model",
        )
    return lo, hi


def prepare(
    df,
    outcome,
    drivers=None,
    controls=None,
    groups=None,
    weights=None,
    *,
    table: str = "responses",
    codebook: dict | None = None,
) -> DriverData:
    """Validate the inputs of a drivers model and return its complete rows as one array."""
    check_frame(df, table)
    players, columns, controls, groups = _names(df, outcome, drivers, controls, groups, table)
    cols = controls + columns + [outcome]
    require_columns(df, cols, table)
    require_numeric(df, cols, table)
    wcol, w = _weights(df, weights, table)
    Z, finite = _to_float(df, cols, table)
    ok = finite.all(axis=1)
    if wcol is not None:
        ok &= ~np.isnan(w)
    if not ok.all():
        Z = Z[ok]
        w = None if w is None else w[ok]
    if w is not None:
        w = check_weights(w, len(Z), table, wcol or "weights")
    lo, hi = _check_rows(Z, cols, len(cols) - 1, table)
    mean, Zc, gram = centred(Z, w)
    coll = collinear_columns(Zc[:, :-1], names=cols[:-1], gram=to_corr(gram[:-1, :-1]))
    if coll:
        fail(
            table,
            ", ".join(coll),
            "drivers are perfectly collinear with the others",
            "drop one of each collinear set, or combine them with groups={...}",
        )
    sizes = [1] * (len(players) - len(groups)) + [len(v) for v in groups.values()]
    return DriverData(
        Z=Z,
        w=w,
        mean=mean,
        Zc=Zc,
        gram=gram,
        low=lo,
        high=hi,
        outcome=outcome,
        players=tuple(players),
        columns=tuple(columns),
        controls=tuple(controls),
        groups=groups,
        sizes=tuple(sizes),
        n_dropped=int((~ok).sum()),
        codebook=codebook or default_codebook(),
        table=table,
    )


def segment_rows(data, segment, table: str = "responses"):
    """``data`` restricted to one segment: CXData through its customers, a DataFrame by column."""
    if segment in (None, "", "all"):
        return data
    if is_dataset(data):
        return data.subset(segment=segment)
    check_frame(data, table)
    if "segment" not in data.columns:
        fail(
            table,
            "segment",
            f"segment={segment!r} asked for, but the table has no segment column",
            "pass a CXData (segments come from its customers) or add the column",
        )
    levels = sorted(map(str, data["segment"].dropna().unique()))
    if str(segment) not in levels:
        fail(table, "segment", f"no rows in segment {segment!r}", f"choose one of {levels}")
    return data[data["segment"].astype(str) == str(segment)]


def binary_outcome(df: pd.DataFrame, outcome: str, target: str, codebook: dict, table: str):
    """The logit outcome: a 0/1 column as it is, an NPS 0-10 answer cut at 9-10 or 0-6.

    Any other outcome is refused: cutting a 1-10 satisfaction score at the NPS thresholds would
    be silently wrong.
    """
    require_columns(df, [outcome], table)
    values = pd.to_numeric(df[outcome], errors="coerce").dropna().unique()
    if set(values) <= {0, 1}:
        return df, None
    scale = codebook.get(outcome) or {}
    whole = bool(np.all(np.mod(values, 1) == 0))
    if (
        (scale.get("min"), scale.get("max")) == (0, 10)
        and whole
        and values.min() >= 0
        and values.max() <= 10
    ):
        y = df[outcome]
        codes = scales.nps_codes(y.to_numpy(float, na_value=np.nan))  # the one NPS definition
        cut = codes == (2 if target == "promoter" else 0)
        coded = np.where(codes < 0, np.nan, cut).astype(float)
        rule = (
            f"{scales.NPS_PROMOTER_MIN}-10"
            if target == "promoter"
            else f"0-{scales.NPS_DETRACTOR_MAX}"
        )
        return df.assign(**{outcome: coded}), f"{target}s: answers {rule} on the 0-10 scale"
    fail(
        table,
        outcome,
        f"model='logit' needs a 0/1 outcome or a 0-10 NPS answer; values range "
        f"{values.min():g} to {values.max():g}",
        "code the outcome 0/1 yourself, or use model='ordinal' for a rating scale",
    )
