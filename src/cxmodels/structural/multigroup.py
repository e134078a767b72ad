"""Multigroup comparison of PLS paths with a permutation test (Chin and Dibbern 2010)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .._format import fmt_num, fmt_p, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_number, fail
from ..i18n import is_english, t
from .algorithm import correlation_stack, estimate
from .fit import fit_pls, layout
from .replicates import CHUNK
from .spec import as_model


@result_dataclass
class MultigroupResult(Result):
    """Path differences between groups with permutation p-values.

    Attributes
    ----------
    table : DataFrame
        ``source, target, group_a, group_b, coef_a, coef_b, diff, p_value`` (one row per path
        and pair of groups).
    fits : dict
        The PLS fit of each group.
    alpha : float
        A path difference is called clear when its p-value is below ``alpha`` (1 minus the
        fits' ``level``).

    Notes
    -----
    Group labels are permuted across the pooled respondents of each pair; the p-value is
    ``(1 + #{|diff_perm| >= |diff|}) / (1 + permutations)``.

    References
    ----------
    Chin and Dibbern (2010), in Esposito Vinzi et al. (eds), Handbook of Partial Least Squares,
    171-193.
    """

    table: pd.DataFrame
    fits: dict
    by: str
    permutations: int
    alpha: float = 0.05

    def _summary_parts(self):
        facts = {"grouped by": self.by, "permutations": self.permutations}
        return "PLS multigroup comparison", facts, {"differences": self.table}, []

    def findings(self) -> Findings:
        sig = self.table[self.table["p_value"] < self.alpha]
        alpha = f"{self.alpha:.10g}"
        if sig.empty:
            return Findings((t("structural.mga_none", by=label(self.by), alpha=alpha),), ())
        low = str.lower if is_english() else str
        out = [
            t(
                "structural.mga_path",
                source=label(r.source),
                target=low(label(r.target)),
                a=fmt_num(r.coef_a),
                group_a=label(r.group_a),
                b=fmt_num(r.coef_b),
                group_b=label(r.group_b),
                p=fmt_p(r.p_value),
                alpha=alpha,
            )
            for r in sig.itertuples()
        ]
        return Findings(tuple(out), ())


def _group_column(df, by):
    if hasattr(df, "responses"):
        resp = df.responses
        if by in resp.columns:
            return resp[by].to_numpy()
        if by in df.customers.columns:
            m = df.customers.set_index("customer_id")[by]
            return resp["customer_id"].map(m).to_numpy()
    elif by in df.columns:
        return df[by].to_numpy()
    fail("responses", str(by), "no such column to group by", "pass a column of the data")


def compare_pls(
    df, model, by: str = "segment", *, permutations: int = 1000, seed=None, **fit_options
) -> MultigroupResult:
    """Fit the model per group of ``by`` and test every path difference by permutation.

    Parameters
    ----------
    df : DataFrame or CXData
    model : PLSModel or str
    by : str
        Grouping column (of the responses, or of customers for a CXData).
    permutations : int
    seed : int, optional
    **fit_options
        Passed to :func:`fit_pls` (``scheme``, ``consistent``, ``missing``, ``level``...);
        differences are called clear at ``1 - level`` (default 0.05).

    Returns
    -------
    MultigroupResult
    """
    model = as_model(model)
    check_number("permutations", permutations, low=1, integer=True)
    g_all = _group_column(df, by)
    frame = df.responses if hasattr(df, "responses") else df
    groups = [g for g in pd.unique(g_all[pd.notna(g_all)])]
    if len(groups) < 2:
        fail("responses", by, "fewer than two groups", "group by a column with two or more values")
    fits = {g: fit_pls(frame[g_all == g], model, **fit_options) for g in groups}
    opts = {
        k: v
        for k, v in fits[groups[0]].options.items()
        if k in ("scheme", "consistent", "tol", "max_iter")
    }
    lay = layout(model)
    src, tgt = np.nonzero(lay.P)
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in combinations(groups, 2):
        fa, fb = fits[a], fits[b]
        X = np.concatenate([fa.fit.X, fb.fit.X])
        w = np.concatenate([fa.fit.w, fb.fit.w])
        na = len(fa.fit.X)
        diff = fa.fit.est.beta[0, src, tgt] - fb.fit.est.beta[0, src, tgt]
        exceed = np.zeros(src.size)
        for start in range(0, permutations, CHUNK):
            k = min(CHUNK, permutations - start)
            in_a = np.argsort(rng.random((k, len(X))), axis=1) < na
            Sa = correlation_stack(X, in_a * w, fa.options["standardise"])
            Sb = correlation_stack(X, ~in_a * w, fa.options["standardise"])
            d = (estimate(Sa, lay, **opts).beta - estimate(Sb, lay, **opts).beta)[:, src, tgt]
            exceed += (np.abs(d) >= np.abs(diff) - 1e-12).sum(axis=0)
        p = (1 + exceed) / (1 + permutations)
        for i in range(src.size):
            rows.append(
                {
                    "source": model.constructs[src[i]],
                    "target": model.constructs[tgt[i]],
                    "group_a": a,
                    "group_b": b,
                    "coef_a": fa.fit.est.beta[0, src[i], tgt[i]],
                    "coef_b": fb.fit.est.beta[0, src[i], tgt[i]],
                    "diff": diff[i],
                    "p_value": p[i],
                }
            )
    alpha = 1 - fits[groups[0]].level
    return MultigroupResult(pd.DataFrame(rows), fits, by, int(permutations), alpha)
