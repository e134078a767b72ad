"""``cx.fit_multilevel``: a linear mixed model by branch, its tables and its findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._design import build_design
from .._format import fmt_ci, fmt_count, fmt_num, fmt_p, fmt_pct, label
from .._results import Findings, Result, result_dataclass
from .._validation import as_list, check_level, check_option, fail, require_columns, require_numeric
from ..data.core import is_dataset
from ..data.joins import responses_with_customers
from ..data.scales import nps_codes
from ..i18n import t
from . import _glmm, _lmm
from .plot import caterpillar

INTERCEPT = "intercept"
METHODS = ("reml", "ml")
#: Outcome families: a linear model, or a logistic one for 0/1 outcomes (Laplace, as glmer).
FAMILIES = ("gaussian", "binomial")
#: Variance of the standard logistic distribution: the level-1 variance on the latent scale.
LOGISTIC_VAR = np.pi**2 / 3
#: Fewest groups a report fits a multilevel model on: with fewer, the between-group variance
#: rests on too few units and a group-level effect has too few degrees of freedom (three with
#: five branches and one branch-level predictor).
MIN_GROUPS = 5


# --------------------------------------------------------------------------- data
def model_frame(data, columns: list[str], group: str) -> pd.DataFrame:
    """The responses with customer columns and, where needed, the branch columns.

    A data set's responses get the customer columns by the package's one join
    (:func:`~cxmodels.data.joins.responses_with_customers`), then the ``branches`` columns
    (``employee_sat``) by ``group``; a plain table is used as it is.
    """
    if not is_dataset(data):
        if not isinstance(data, pd.DataFrame):
            fail("data", "-", "not a data set or a table", "pass cx.load(...) or a DataFrame")
        return _derived(data, columns)
    df = _derived(responses_with_customers(data), columns)
    branches = getattr(data, "branches", None)
    need = [c for c in columns if c not in df.columns]
    if need and branches is not None and group in branches.columns:
        require_columns(branches, need, "branches")
        idx = pd.Index(branches[group]).get_indexer(df[group])
        add = branches[need].iloc[idx.clip(min=0)].reset_index(drop=True)
        add = add.where(pd.Series(idx >= 0).to_numpy()[:, None])
        add.index = df.index
        df = pd.concat([df, add], axis=1)
    return df


def _derived(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``promoter`` (1 for an NPS answer of 9-10, 0 below, missing without an answer) from
    ``nps`` when it is asked for and the table has no such column."""
    if "promoter" not in columns or "promoter" in df or "nps" not in df:
        return df
    codes = nps_codes(df["nps"].to_numpy(float, na_value=np.nan))
    return df.assign(promoter=np.where(codes < 0, np.nan, (codes == 2).astype(float)))


def _prepared(df, outcome, predictors, group, slopes):
    """Rows with outcome, group and every predictor; the design; the group codes."""
    require_columns(df, [outcome, group, *predictors], "responses")
    require_numeric(df, [outcome], "responses")
    ok = df[outcome].notna().to_numpy() & df[group].notna().to_numpy()
    dropped = int((~ok).sum())
    df = df.loc[ok]
    d = build_design(df, predictors, table="responses") if predictors else None
    if d is not None and d.keep is not None:
        df = df.loc[d.keep]
    X = np.column_stack([np.ones(len(df)), d.X if d is not None else np.empty((len(df), 0))])
    names = [INTERCEPT, *(d.columns if d is not None else ())]
    bad = [s for s in slopes if s not in names[1:]]
    if bad:
        fail("responses", ", ".join(bad), "random slope for a term that is not a predictor",
             f"choose among {names[1:] or 'the predictors'}")  # fmt: skip
    codes, groups = pd.factorize(df[group], sort=True)
    if len(groups) < 2:
        fail(
            "responses",
            group,
            f"{len(groups)} group(s)",
            "a multilevel model needs 2 or more groups",
        )
    y = df[outcome].to_numpy(float)
    Z = X[:, [names.index(c) for c in [INTERCEPT, *slopes]]]
    n_dropped = dropped + (d.n_dropped if d is not None else 0)
    return y, X, Z, codes, pd.Index(groups), names, n_dropped


def _between(X: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Design columns constant within every group (branch-level predictors)."""
    k = np.bincount(codes, minlength=G)
    s = np.stack([np.bincount(codes, X[:, j], G) for j in range(X.shape[1])], axis=1)
    ss = np.stack([np.bincount(codes, X[:, j] ** 2, G) for j in range(X.shape[1])], axis=1)
    within = (ss - s**2 / k[:, None]).sum(axis=0)
    scale = np.maximum((X**2).sum(axis=0), 1e-300)
    out = within / scale < 1e-12
    out[0] = False  # the intercept
    return out


def _dfs(between: np.ndarray, n: int, G: int) -> np.ndarray:
    """Denominator degrees of freedom by nlme's containment rule (Pinheiro and Bates 2000)."""
    k_between = int(between.sum())
    k_within = len(between) - 1 - k_between
    return np.where(between, G - k_between - 1, n - G - k_within).astype(float)


# --------------------------------------------------------------------------- tables
def _fixed_table(beta, vcov, names, between, df, level):
    """Fixed effects with t intervals on ``df`` degrees of freedom (normal where infinite)."""
    se = np.sqrt(np.diag(vcov))
    tq = stats.t.ppf(0.5 + level / 2, df)
    tval = beta / se
    return pd.DataFrame(
        {
            "term": names,
            "level": np.where(between, "branch", "customer"),
            "estimate": beta,
            "se": se,
            "ci_low": beta - tq * se,
            "ci_high": beta + tq * se,
            "df": df,
            "t": tval,
            "p": 2 * stats.t.sf(np.abs(tval), df),
        }
    )


def _with_odds(table: pd.DataFrame) -> pd.DataFrame:
    """A logistic model's fixed effects: the Wald statistic named ``z`` and the odds ratios
    ``exp(estimate)`` with their interval beside the log-odds."""
    odds = np.exp(table[["estimate", "ci_low", "ci_high"]]).set_axis(
        ["odds_ratio", "odds_ratio_low", "odds_ratio_high"], axis=1
    )
    at = table.columns.get_loc("ci_high") + 1
    out = pd.concat([table.iloc[:, :at], odds, table.iloc[:, at:]], axis=1)
    return out.rename(columns={"t": "z"})


def _variance_table(cov, sigma2, re_names):
    sd = np.sqrt(np.diag(cov))
    rows = [
        {"component": r, "with": None, "variance": cov[i, i], "sd": sd[i], "corr": np.nan}
        for i, r in enumerate(re_names)
    ]
    for i in range(len(re_names)):
        for j in range(i):
            corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else np.nan
            rows.append({"component": re_names[i], "with": re_names[j], "variance": cov[i, j],
                         "sd": np.nan, "corr": corr})  # fmt: skip
    rows.append({"component": "residual", "with": None, "variance": sigma2,
                 "sd": np.sqrt(sigma2), "corr": np.nan})  # fmt: skip
    return pd.DataFrame(rows)


def _branch_table(b, cov, groups, counts, re_names, group, level):
    """Conditional modes ``b`` (G x q) with normal intervals from their covariances ``cov``."""
    z = stats.norm.ppf(0.5 + level / 2)
    frames = []
    for i, r in enumerate(re_names):
        se = np.sqrt(np.maximum(cov[:, i, i], 0))
        lo, hi = b[:, i] - z * se, b[:, i] + z * se
        frames.append(pd.DataFrame({
            group: groups, "term": r, "n": counts, "effect": b[:, i], "se": se,
            "ci_low": lo, "ci_high": hi, "clear": (lo > 0) | (hi < 0),
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _lr_intercept(cp, sol, reml: bool, slopes) -> dict | None:
    """Likelihood-ratio test of the branch variance (random intercept only): the deviance at
    :math:`\\theta = 0` against the fit, p from the 50:50 mixture of :math:`\\chi^2_0` and
    :math:`\\chi^2_1` (Self and Liang 1987)."""
    if slopes:
        return None
    return _boundary_lr(_lmm.solve(cp, np.zeros(1), reml) - sol.deviance)


def _boundary_lr(stat: float) -> dict:
    """The test of one variance on its boundary: 50:50 mixture of chi-square 0 and 1."""
    stat = max(float(stat), 0.0)
    return {"statistic": stat, "df": 1, "p": 0.5 * stats.chi2.sf(stat, 1) if stat > 0 else 1.0}


# --------------------------------------------------------------------------- API
def fit_multilevel(
    data,
    outcome: str,
    predictors=(),
    group: str = "branch_id",
    random_slopes=None,
    method: str | None = None,
    level: float = 0.95,
    family: str = "gaussian",
) -> MultilevelResult:
    """Linear (or logistic) mixed model of a customer outcome with random branch effects.

    Parameters
    ----------
    data : CXData or DataFrame
        A data set (its responses with the customer columns and the ``branches`` columns, such
        as ``employee_sat``, joined by ``group``) or a plain table.
    outcome : str
        Numeric outcome column (``overall_sat``, ``nps``, ...); 0/1 (or boolean) for
        ``family="binomial"`` (churn within a horizon; ``promoter``, 1 for an NPS answer of
        9-10, is derived from ``nps`` when the table has no such column).
    predictors : str or list of str
        Customer-level and branch-level predictors; categorical ones get one column per
        non-reference level (:func:`cxmodels._design.build_design`).
    group : str
        The grouping column (default ``branch_id``).
    random_slopes : list of str, optional
        Design columns whose slope varies by group (with a correlated random intercept).
    method : {"reml", "ml"}, optional
        Restricted or full maximum likelihood (default REML, lme4's; use ML to compare fixed
        effects by likelihood ratio). The logistic model is fitted by ML (Laplace) only.
    level : float
        Level of every interval.
    family : {"gaussian", "binomial"}
        A linear model, or a logistic one with random intercepts, fitted by lme4 ``glmer``'s
        Laplace approximation (:mod:`._glmm`; estimates on the log-odds scale).

    Returns
    -------
    MultilevelResult
        ``table`` (fixed effects: ``term``, ``level`` customer or branch, ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``t``, ``p``), ``variance`` (``component``, ``with``,
        ``variance``, ``sd``, ``corr``), ``branch_effects`` (per group and term: ``n``,
        ``effect``, ``se``, ``ci_low``, ``ci_high``, ``clear``), ``icc``, ``loglik``, ``lr_test``.

    Notes
    -----
    Estimates maximise lme4's profiled (restricted) likelihood (:mod:`._lmm`); fixed-effect
    standard errors are :math:`\\sigma^2 (R_X'R_X)^{-1}` as lme4's ``vcov``; intervals and p
    use t with nlme's containment degrees of freedom (branch-level terms :math:`G - k_b - 1`,
    customer-level terms :math:`n - G - k_w`). Branch effects are the conditional modes (BLUPs,
    shrunken towards zero) with normal intervals from their conditional variances. The ICC is
    :math:`\\tau_{00} / (\\tau_{00} + \\sigma^2)` of the intercept.

    The logistic model uses normal (Wald) intervals and p as ``glmer`` (``df`` infinite, ``t``
    is z), the covariance of the fixed effects from the Hessian of the Laplace deviance, and
    the latent-scale residual variance :math:`\\pi^2/3` in ``variance`` and the ICC (Snijders
    and Bosker 2012, section 17.3).

    References
    ----------
    Bates et al. (2015), *J. Stat. Softw.* 67(1); Pinheiro and Bates (2000), *Mixed-Effects
    Models in S and S-PLUS*, section 2.4.2; Self and Liang (1987), *JASA* 82(398); Snijders,
    T. and Bosker, R. (2012), *Multilevel Analysis*, 2nd ed., Sage.
    """
    level = check_level(level)
    check_option("family", family, FAMILIES)
    method = method or ("reml" if family == "gaussian" else "ml")
    check_option("method", method, METHODS if family == "gaussian" else ("ml",))
    predictors, slopes = as_list(predictors), as_list(random_slopes or [])
    if family == "binomial" and slopes:
        fail("argument", "random_slopes", "the logistic model has random intercepts only",
             "leave random_slopes out, or fit a linear model")  # fmt: skip
    df = model_frame(data, [outcome, group, *predictors], group)
    y, X, Z, codes, groups, names, n_dropped = _prepared(df, outcome, predictors, group, slopes)
    G = len(groups)
    between = _between(X, codes, G)
    fit = (
        _gaussian(y, X, Z, codes, G, method, slopes)
        if family == "gaussian"
        else _binomial(y, X, codes, G, outcome)
    )
    re_names = [INTERCEPT, *slopes]
    counts = np.bincount(codes, minlength=G)
    df_ = _dfs(between, len(y), G) if family == "gaussian" else np.full(len(names), np.inf)
    var = fit["cov"]
    table = _fixed_table(fit["beta"], fit["vcov"], names, between, df_, level)
    return MultilevelResult(
        table=table if family == "gaussian" else _with_odds(table),
        variance=_variance_table(var, fit["sigma2"], re_names),
        branch_effects=_branch_table(fit["b"], fit["b_cov"], groups, counts, re_names, group,
                                     level),  # fmt: skip
        outcome=outcome, group=group, method=method, level=level, n=len(y), n_groups=G,
        n_dropped=n_dropped, loglik=fit["loglik"],
        icc=float(var[0, 0] / (var[0, 0] + fit["sigma2"])), lr_test=fit["lr_test"],
        theta=fit["theta"], singular=fit["singular"], family=family,
    )  # fmt: skip


def _gaussian(y, X, Z, codes, G, method, slopes) -> dict:
    """The linear mixed model by lme4's profiled (RE)ML deviance (:mod:`._lmm`)."""
    reml = method == "reml"
    cp = _lmm.crossprods(y, X, Z, codes, G)
    sol = _lmm.optimise(cp, reml)
    b, b_cov = _lmm.conditional_modes(sol)
    return {"beta": sol.beta, "vcov": _lmm.fixed_vcov(sol), "cov": _lmm.random_cov(sol),
            "sigma2": sol.sigma2, "b": b, "b_cov": b_cov, "loglik": _lmm.loglik(sol),
            "lr_test": _lr_intercept(cp, sol, reml, slopes), "theta": sol.theta,
            "singular": bool(np.any(np.diag(sol.lam) < 1e-6))}  # fmt: skip


def _binomial(y, X, codes, G, outcome) -> dict:
    """The logistic mixed model by the Laplace approximation (:mod:`._glmm`)."""
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        fail("responses", outcome, f"{int(bad.sum())} values other than 0 and 1",
             "code the outcome 0/1 (e.g. promoter = nps >= 9) for family='binomial'")  # fmt: skip
    fit = _glmm.fit(y, X, codes, G)
    lr = _boundary_lr(_glmm.fit(y, X, codes, G, theta0=True).deviance - fit.deviance)
    return {"beta": fit.beta, "vcov": fit.vcov, "cov": np.array([[fit.theta**2]]),
            "sigma2": LOGISTIC_VAR, "b": fit.b[:, None], "b_cov": fit.b_var[:, None, None],
            "loglik": -fit.deviance / 2, "lr_test": lr, "theta": np.array([fit.theta]),
            "singular": fit.theta < 1e-4}  # fmt: skip


@result_dataclass
class MultilevelResult(Result):
    """A fitted linear mixed model; see :func:`fit_multilevel` for every table's columns."""

    table: pd.DataFrame
    variance: pd.DataFrame
    branch_effects: pd.DataFrame
    outcome: str
    group: str
    method: str
    level: float
    n: int
    n_groups: int
    n_dropped: int
    loglik: float
    icc: float
    lr_test: dict | None
    theta: np.ndarray
    singular: bool
    family: str = "gaussian"

    def fixed(self, term: str) -> pd.Series:
        """The fixed-effect row of ``term``."""
        tab = self.table.set_index("term")
        if term not in tab.index:
            fail("model", term, "not a fixed effect", f"choose among {list(tab.index)}")
        return tab.loc[term]

    def tau(self, component: str = INTERCEPT) -> float:
        """Variance of a random effect (``intercept`` or a slope) across groups."""
        v = self.variance
        return float(v.loc[(v["component"] == component) & v["with"].isna(), "variance"].iloc[0])

    @property
    def sigma2(self) -> float:
        """Residual variance."""
        return self.tau("residual")

    def _facts(self) -> dict:
        facts = {
            "outcome": self.outcome, "Grouping column": self.group,
            "Estimation (REML or ML)": self.method.upper(), "Answers used": self.n,
            "Groups": self.n_groups, "Log-likelihood": self.loglik,
            "Intraclass correlation (ICC)": self.icc,
        }  # fmt: skip
        if self.lr_test is not None:
            facts["LR test of the group variance (p)"] = self.lr_test["p"]
        return facts

    def _summary_parts(self):
        notes = list(self.findings().caveats)
        tables = {"Fixed effects": self.table, "Variance components": self.variance,
                  "Group effects (shrunken)": self.branch_effects}  # fmt: skip
        return "Multilevel model", self._facts(), tables, notes

    def _pct(self) -> str:
        return fmt_num(100 * self.level, 0)

    def fixed_sentence(self, term: str, digits: int = 2) -> str:
        """One fixed effect with its interval and the verdict at the result's level."""
        r = self.fixed(term)
        clear = r["ci_low"] > 0 or r["ci_high"] < 0
        odds = self.family == "binomial"  # the odds ratio exp(estimate) and its interval
        f = np.exp if odds else (lambda x: x)
        return t(
            "multilevel.fixed_odds" if odds else "multilevel.fixed", term=label(term),
            outcome=label(self.outcome), estimate=fmt_num(f(r["estimate"]), digits),
            level=self._pct(), ci=fmt_ci(f(r["ci_low"]), f(r["ci_high"]), digits),
            verdict=t(f"multilevel.{'clear' if clear else 'not_clear'}{'_odds' if odds else ''}"),
        )  # fmt: skip

    def branch_sentence(self, group_value, term: str = INTERCEPT, digits: int = 2) -> str:
        """Whether one group's shrunken effect differs clearly from the average group.

        The verdict is the interval printed with it, at the result's level: the difference is
        clear when the interval of the conditional mode excludes zero.
        """
        be = self.branch_effects
        row = be[(be["term"] == term) & (be[self.group].astype(str) == str(group_value))]
        if row.empty:
            fail("model", self.group, f"no group {group_value!r} in the fit",
                 f"choose one of {list(be[self.group].unique()[:5])}")  # fmt: skip
        r = row.iloc[0]
        key = "not_clear" if not r["clear"] else "above" if r["effect"] > 0 else "below"
        unit = "log_odds" if self.family == "binomial" else "points"
        return t(
            f"multilevel.branch_{key}", group=str(group_value),
            outcome=t(f"multilevel.unit_{unit}", outcome=label(self.outcome)),
            effect=fmt_num(r["effect"], digits, signed=True), level=self._pct(),
            ci=fmt_ci(r["ci_low"], r["ci_high"], digits, signed=True), n=fmt_count(r["n"]),
        )  # fmt: skip

    def findings(self) -> Findings:
        """Fixed effects with intervals, the ICC, the group-variance test and the clear groups."""
        f = [self.fixed_sentence(term) for term in self.table["term"] if term != INTERCEPT]
        f.append(t("multilevel.icc", share=fmt_pct(self.icc, 1), outcome=label(self.outcome),
                   groups=fmt_count(self.n_groups), n=fmt_count(self.n)))  # fmt: skip
        if self.lr_test is not None:
            key = (
                "multilevel.lr_clear"
                if self.lr_test["p"] < 1 - self.level
                else "multilevel.lr_not_clear"
            )
            f.append(t(key, p=fmt_p(self.lr_test["p"])))
        be = self.branch_effects[self.branch_effects["term"] == INTERCEPT]
        f.append(t("multilevel.clear_groups", k=fmt_count(int(be["clear"].sum())),
                   groups=fmt_count(self.n_groups), level=self._pct()))  # fmt: skip
        c = []
        if self.n_groups < 30:
            c.append(t("multilevel.few_groups", groups=fmt_count(self.n_groups)))
        if self.singular:
            c.append(t("multilevel.singular"))
        if self.n_dropped:
            c.append(t("multilevel.dropped", n=fmt_count(self.n_dropped)))
        return Findings(tuple(f), tuple(c))

    def plot(self, term: str = INTERCEPT, ax=None, highlight=None):
        """Caterpillar plot: each group's shrunken effect with its interval, sorted; the group
        ``highlight`` (e.g. a branch's page) in an accent colour."""
        return caterpillar(self, term, ax, highlight=highlight)


def lr_test(smaller: MultilevelResult, larger: MultilevelResult) -> dict:
    """Likelihood-ratio test of two nested fits of the same answers.

    Parameters
    ----------
    smaller, larger : MultilevelResult
        Nested models of the same outcome and rows. Models that differ in their fixed effects
        must be fitted by ML (REML likelihoods of different fixed effects are not comparable);
        models that differ only in their random effects may use either.

    Returns
    -------
    dict
        ``statistic`` (:math:`2(\\ell_1 - \\ell_0)`), ``df`` (difference in parameters) and
        ``p`` (:math:`\\chi^2_{df}`; conservative when a variance is tested on its boundary).
    """
    same_fixed = list(smaller.table["term"]) == list(larger.table["term"])
    if smaller.n != larger.n or smaller.outcome != larger.outcome:
        fail(
            "model", "n", "the fits use different answers or outcomes", "fit both on the same data"
        )
    if smaller.method != larger.method or (not same_fixed and smaller.method != "ml"):
        fail("model", "method", "fixed effects differ but the fits are not both ML",
             "fit both with method='ml'")  # fmt: skip
    k = [len(r.table) + len(r.theta) + 1 for r in (smaller, larger)]
    df = k[1] - k[0]
    if df <= 0:
        fail("model", "larger", "the larger model has no more parameters", "swap the two fits")
    stat = max(2 * (larger.loglik - smaller.loglik), 0.0)
    return {"statistic": stat, "df": df, "p": float(stats.chi2.sf(stat, df))}
