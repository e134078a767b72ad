"""The analysis table of an uplift model: units, treatment, outcome and encoded covariates.

On a data set, a unit is an eligible event and follow-up is defined as in
:func:`cxmodels.follow_up_effect` (:func:`cxmodels.effects.follow_up_units`), with its default
confounders plus the customer's earlier satisfaction answers (``prior_overall_sat``: the last
answer before the event; ``prior_overall_sat_mean``: the mean of every earlier answer;
``prior_ratings_mean``: the mean attribute rating of the earlier answers; missing when there is
none, which the gradient-boosting models handle; ``prior_answers``: how many). On a plain table the caller
names the treatment, outcome and covariate columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import as_list, fail, fail_rows, require_columns
from ..effects import DEFAULT_COVARIATES, follow_up_units

PRIOR = ("prior_overall_sat", "prior_overall_sat_mean", "prior_ratings_mean", "prior_answers")


@dataclass(frozen=True)
class Units:
    """What the learners see: the rows, ``X`` (numeric, NaN allowed), treatment, outcome."""

    frame: pd.DataFrame
    X: np.ndarray
    categorical: np.ndarray
    levels: dict
    T: np.ndarray
    Y: np.ndarray
    groups: np.ndarray
    covariates: tuple[str, ...]


def units_from_data(data, outcome, covariates, window_days, horizon_days, events) -> Units:
    """Units of a data set as in ``cx.follow_up_effect``, with the prior satisfaction answers."""
    u = follow_up_units(
        data, window_days=window_days, outcome=outcome, horizon_days=horizon_days, events=events
    )
    u = _with_prior_answers(u, data.responses)
    if covariates is None:
        covs = [c for c in (*DEFAULT_COVARIATES, *PRIOR) if c in u.columns]
        covs = [c for c in covs if not (outcome == "churn_within" and c == "kind")]
        covs = [c for c in covs if u[c].notna().any()]
    else:
        covs = as_list(covariates, "covariates")
        require_columns(u, covs, "units")
    return _encode(u, "treated", "outcome", covs, u["customer_id"].to_numpy(), "units")


def units_from_table(df, outcome, treatment, covariates, cluster) -> Units:
    """Units of a plain table: ``treatment`` 0/1, numeric ``outcome``, named covariates."""
    if treatment is None or covariates is None:
        fail(
            "data",
            "treatment" if treatment is None else "covariates",
            "a plain table needs treatment= and covariates= (the column names)",
            "name the 0/1 treatment column and the covariate columns",
        )
    covs = as_list(covariates, "covariates")
    require_columns(df, [treatment, outcome, *covs, *as_list(cluster)], "data")
    groups = df[cluster].to_numpy() if cluster is not None else np.arange(len(df))
    return _encode(df, treatment, outcome, covs, groups, "data")


def _encode(df, treatment, outcome, covs, groups, table) -> Units:
    t = pd.to_numeric(df[treatment], errors="coerce")
    fail_rows(
        ~t.isin([0, 1]).to_numpy(), table, treatment, "treatment must be 0 or 1",
        "code treated rows 1 and untreated rows 0", df.index,
    )  # fmt: skip
    y = pd.to_numeric(df[outcome], errors="coerce")
    fail_rows(
        y.isna().to_numpy(), table, outcome, "missing or non-numeric outcome",
        "drop those rows or fill the outcome", df.index,
    )  # fmt: skip
    T, Y = t.to_numpy(float), y.to_numpy(float)
    if T.sum() == 0 or T.sum() == len(T):
        fail(table, treatment, "every row is in one arm", "an uplift needs treated and untreated")
    X, cat, levels = covariate_matrix(df, covs)
    return Units(df, X, cat, levels, T, Y, np.asarray(groups), tuple(covs))


def covariate_matrix(df: pd.DataFrame, covs, levels: dict | None = None):
    """Numbers as they are, booleans 0/1, other columns as category codes (missing: NaN).

    ``levels`` (from a fit) fixes each categorical's categories, so new rows get the codes the
    models learnt (an unseen level becomes missing). Returns ``X``, the categorical mask and
    the levels.
    """
    cols, cat, out = [], [], {}
    for c in covs:  # a few covariates
        v = df[c]
        if levels is None and (pd.api.types.is_bool_dtype(v) or pd.api.types.is_numeric_dtype(v)):
            cols.append(pd.to_numeric(v, errors="coerce").to_numpy(float))
        elif levels is not None and c not in levels:
            cols.append(pd.to_numeric(v, errors="coerce").to_numpy(float))
        else:
            cats = None if levels is None else levels[c]
            k = pd.Categorical(v.astype("object"), categories=cats)
            out[c] = list(k.categories)
            cols.append(np.where(k.codes < 0, np.nan, k.codes.astype(float)))
        cat.append(c in out)
    X = np.column_stack(cols) if cols else np.zeros((len(df), 0))
    return X, np.array(cat, bool), out


def _with_prior_answers(u: pd.DataFrame, responses: pd.DataFrame | None) -> pd.DataFrame:
    """The last ``overall_sat`` answer before each event and the mean of all earlier answers."""
    if responses is None or "overall_sat" not in responses:
        return u
    attrs = [c for c in responses.columns if str(c).startswith("attr_")]
    r = responses[["customer_id", "survey_date", "overall_sat"]].dropna()
    r = r.assign(rating=responses.loc[r.index, attrs].mean(axis=1) if attrs else np.nan)
    r = r.sort_values(["customer_id", "survey_date"])
    g = r.groupby("customer_id")
    k = g.cumcount() + 1
    r = r.assign(
        prior_overall_sat_mean=g["overall_sat"].cumsum() / k,
        prior_ratings_mean=g["rating"].cumsum() / k,
        prior_answers=k.astype(float),
    )
    r = r.rename(columns={"overall_sat": "prior_overall_sat"}).sort_values("survey_date")
    order = u["event_time"].sort_values(kind="stable").index
    m = pd.merge_asof(
        u.loc[order, ["customer_id", "event_time"]].reset_index(),
        r,
        left_on="event_time",
        right_on="survey_date",
        by="customer_id",
        direction="backward",
        allow_exact_matches=False,
    ).set_index("index")
    out = u.assign(**{c: m[c].reindex(u.index).astype(float) for c in PRIOR})
    return out.fillna({"prior_answers": 0.0})
