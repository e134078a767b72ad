"""``cx.survey_weights``: weights that make survey respondents match the customer base.

Respondents are not the customer base: segments, regions and tenure bands answer at different
rates. The weights calibrate the respondents to the base's margins (the counts of the customers
table, or of any population table):

* ``rake``: iterative proportional fitting over the margins (Deming and Stephan 1940), the
  fixed point of R ``survey::rake``;
* ``linear``: linear calibration (GREG, chi-square distance; Deville and Sarndal 1992),
  :math:`w = d(1 + x'\\lambda)`, which can give negative weights;
* ``logit``: bounded logit calibration (Deville and Sarndal 1992, case 6), weights
  :math:`d\\,g` with :math:`L < g < U`, as R ``survey::calibrate(calfun = "logit")``.

A margin is a column (``"segment"``) or a tuple of columns matched jointly (``("segment",
"tenure_band")``: post-stratification cells). ``tenure_band`` is derived from ``signup_date``
to the observation end (:data:`cxmodels.data.joins.TENURE_BANDS`). The design effect of weighting is Kish's
:math:`1 + \\mathrm{CV}^2(w) = n\\sum w^2 / (\\sum w)^2` and the effective n is
:math:`n / \\mathrm{deff}`.

References
----------
Deming, W. E. and Stephan, F. F. (1940). *Ann. Math. Stat.* 11(4), 427-444. Deville, J.-C. and
Sarndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87(418), 376-382.
Kish, L. (1965). *Survey Sampling*. Wiley. Lumley, T. (2010). *Complex Surveys*. Wiley.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from . import metrics
from ._format import CELL, CROSS, fmt_ci, fmt_count, fmt_num, fmt_pct, join_words, label
from ._numeric import newton
from ._results import Findings, Result, result_dataclass
from ._validation import as_list, check_level, check_number, check_option, fail, require_columns
from .data.core import is_dataset
from .data.joins import TENURE_LABELS, tenure_band, with_customer_columns
from .i18n import t

METHODS = ("rake", "linear", "logit")


def _joined(data, cols) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A data set's responses with the customer columns ``cols`` that the customers table has
    (``tenure_band`` derived when asked for), and the customers table."""
    customers = data.customers.copy()
    if "tenure_band" in cols and "tenure_band" not in customers and "signup_date" in customers:
        customers["tenure_band"] = tenure_band(customers, data.observation_end)
    sample = with_customer_columns(data.responses, customers, [c for c in cols if c in customers])
    return sample, customers


def _tables(data, population, margins):
    """The sample (responses with customer columns) and the population table."""
    cols = sorted({c for m in margins for c in m})
    if is_dataset(data):
        sample, customers = _joined(data, cols)
        population = customers if population is None else population
    else:
        sample = data
        if population is None:
            fail("population", "-", "no population to weight to", "pass population=<table>")
    require_columns(sample, cols, "responses")
    require_columns(population, cols, "population")
    for name, frame in (("responses", sample), ("population", population)):
        bad = frame[cols].isna().any(axis=1)
        if bad.any():
            fail(name, ", ".join(cols), "missing margin values", "fill them or drop those rows",
                 frame.index[bad])  # fmt: skip
    return sample, population


def _margin_tuples(margins) -> list[tuple[str, ...]]:
    """Margins as tuples of column names: a tuple is crossed, and so is a name written as the
    tables key it (``"segment x tenure_band"``, :data:`~cxmodels._format.CROSS`)."""
    out = []
    for m in as_list(margins):
        cols = m.split(CROSS) if isinstance(m, str) else as_list(m)
        out.append(tuple(str(c).strip() for c in cols))
    return out


def _cell_key(frame: pd.DataFrame, margin) -> pd.Series:
    """Each row's cell of ``margin`` (a column or a tuple of columns) as one text key."""
    cols = [frame[c].astype(str) for c in margin]
    return cols[0].str.cat(cols[1:], sep=CELL) if len(cols) > 1 else cols[0]


def _level_key(cell: str) -> tuple:
    """Sort key of a margin cell: tenure bands in their order (``<1y`` first), other levels
    alphabetically, part by part in a crossed margin (``east / <1y``)."""
    order = {b: i for i, b in enumerate(TENURE_LABELS)}
    return tuple((order.get(p, len(order)), p) for p in str(cell).split(CELL))


def _cells(sample, population, margin) -> tuple[np.ndarray, np.ndarray, list]:
    """Sample codes and population counts of one margin (a column or a tuple of columns)."""
    s, p = _cell_key(sample, margin), _cell_key(population, margin)
    counts = p.value_counts()
    missing = sorted(set(counts.index) - set(s))
    if missing:
        fail("responses", CROSS.join(margin), f"no respondents in {missing[:5]}",
             "merge small levels or leave the margin out")  # fmt: skip
    extra = sorted(set(s) - set(counts.index))
    if extra:
        fail("population", CROSS.join(margin), f"levels {extra[:5]} not in the population",
             "use the same levels in both tables")  # fmt: skip
    levels = sorted(counts.index, key=_level_key)
    codes = pd.Categorical(s, categories=levels).codes
    return codes.astype(np.int64), counts.loc[levels].to_numpy(float), levels


def _rake(d, cells, maxit, tol):
    w = d.copy()
    for it in range(1, maxit + 1):
        old = w.copy()
        for codes, totals, _ in cells:
            w *= (totals / np.bincount(codes, w, len(totals)))[codes]
        if np.max(np.abs(w - old) / np.maximum(old, 1e-300)) < tol:
            return w, it, True
    return w, maxit, False


def _indicators(cells) -> tuple[np.ndarray, np.ndarray]:
    X = np.hstack([np.eye(len(tot))[codes] for codes, tot, _ in cells])
    T = np.concatenate([tot for _, tot, _ in cells])
    return X, T


def _linear(d, cells):
    X, T = _indicators(cells)
    lam = np.linalg.lstsq((X * d[:, None]).T @ X, T - d @ X, rcond=None)[0]
    return d * (1 + X @ lam), 1, True


def _logit(d, cells, bounds, maxit, tol):
    r"""Logit calibration (Deville & Särndal 1992): Newton on its convex dual, step halving.

    The weights are :math:`d_i g(x_i^\top\lambda)` with :math:`g(u) = L + (U - L)\,
    \mathrm{expit}(Au + c)`, :math:`A = (U-L)/((1-L)(U-1))`, :math:`c = \log((1-L)/(U-1))`;
    :math:`\lambda` minimises :math:`F(\lambda) = \sum_i d_i G(x_i^\top\lambda) -
    T^\top\lambda` (:math:`G' = g`), whose gradient is minus the margins' residual and whose
    Hessian is :math:`X^\top \mathrm{diag}(d g') X`, by :func:`cxmodels._numeric.newton`
    (least-squares steps: the indicators of two margins are collinear). Converged when every
    total is matched within ``tol`` (relative).
    """
    L, U = bounds
    A = (U - L) / ((1 - L) * (U - 1))
    c = np.log((1 - L) / (U - 1))
    X, T = _indicators(cells)

    def g_of(u):
        e = np.exp(np.clip(A * u, -700, 700))
        return (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e)

    def dual(lam):
        u = X @ lam
        G = L * u + (U - L) / A * (np.logaddexp(0.0, A * u + c) - np.logaddexp(0.0, c))
        return float(d @ G - T @ lam), (d * g_of(u)) @ X - T

    def hessian(lam):
        g = g_of(X @ lam)
        return (X * (d * (g - L) * (U - g) * A / (U - L))[:, None]).T @ X

    res = newton(
        dual, np.zeros(X.shape[1]), hessian, max_iter=maxit,
        solve=lambda H, g: np.linalg.lstsq(H, g, rcond=None)[0],
        done=lambda lam, f, grad: np.max(np.abs(grad) / np.maximum(T, 1)) < tol,
    )  # fmt: skip
    return d * g_of(X @ res.x), res.iterations, res.converged


def _trim(w, trim):
    """Cap the weights at ``trim`` times their mean, keeping their sum (repeated until none
    is over the cap)."""
    total = w.sum()
    for _ in range(100):
        cap = trim * total / len(w)
        over = w > cap * (1 + 1e-12)
        if not over.any():
            break
        w = np.where(over, cap, w)
        w[~over] *= (total - w[over].sum()) / w[~over].sum()
    return w


def _diagnostics(cells, margins, d, w) -> pd.DataFrame:
    rows = []
    for (codes, totals, levels), m in zip(cells, margins, strict=True):
        before = np.bincount(codes, d, len(totals)) / d.sum()
        after = np.bincount(codes, w, len(totals)) / w.sum()
        share = totals / totals.sum()
        for i, lv in enumerate(levels):
            rows.append({"margin": CROSS.join(m), "level": lv, "population": share[i],
                         "unweighted": before[i], "weighted": after[i]})  # fmt: skip
    return pd.DataFrame(rows)


def survey_weights(
    data,
    margins,
    method: str = "rake",
    bounds: tuple[float, float] | None = None,
    trim: float | None = None,
    *,
    population: pd.DataFrame | None = None,
    base_weights=None,
    maxit: int = 100,
    tol: float = 1e-10,
) -> WeightsResult:
    """Calibration weights for the survey responses to the customer base's margins.

    Parameters
    ----------
    data : CXData or DataFrame
        A data set (its responses, with the customer columns joined) or a sample table.
    margins : list of str or tuple of str
        Columns whose distribution the weights match; a tuple is matched jointly (cells), and
        so is a name written ``"segment x tenure_band"`` (as the tables name the margin).
        ``tenure_band`` is derived from ``signup_date`` for a data set.
    method : {"rake", "linear", "logit"}
    bounds : (L, U), optional
        Bounds of the weight ratio ``g = w / d`` for ``logit`` (default ``(0.2, 5)``).
    trim : float, optional
        Cap each weight at ``trim`` times the mean weight (sum kept); margins then match
        approximately, as the diagnostic table shows.
    population : DataFrame, optional
        The population table (default: the data set's customers).
    base_weights : str or array-like, optional
        Design weights ``d`` to start from (a column of ``data`` or values; default 1).
    maxit, tol : int, float
        Iteration limit and convergence tolerance (relative change of the weights for
        ``rake``, relative error of the totals for ``logit``).

    Returns
    -------
    WeightsResult
        ``weights`` (Series aligned with ``data.responses``, summing to the population size),
        ``table`` (per margin level: ``population``, ``unweighted``, ``weighted`` shares),
        ``deff``, ``n_eff``, ``n``, ``iterations``, ``converged``.
    """
    check_option("method", method, METHODS)
    check_number("maxit", maxit, low=1, integer=True)
    margins = _margin_tuples(margins) if margins else []
    if not margins:
        fail("argument", "margins", "no margins", "name one or more customer columns")
    if bounds is not None and method != "logit":
        fail("argument", "bounds", f"bounds are for method='logit', not {method!r}",
             "use method='logit' or trim=")  # fmt: skip
    sample, population = _tables(data, population, margins)
    d = _base(sample, base_weights)
    cells = [_cells(sample, population, m) for m in margins]
    if method == "rake":
        w, it, ok = _rake(d, cells, maxit, tol)
    elif method == "linear":
        w, it, ok = _linear(d, cells)
    else:
        lo, hi = bounds or (0.2, 5.0)
        if not 0 <= lo < 1 < hi:
            fail("argument", "bounds", f"({lo}, {hi})", "give bounds L < 1 < U with L >= 0")
        w, it, ok = _logit(d, cells, (lo, hi), maxit, tol)
    if trim is not None:
        check_number("trim", trim, low=1)
        w = _trim(w, float(trim))
    return WeightsResult(
        table=_diagnostics(cells, margins, d, w),
        weights=pd.Series(w, index=sample.index, name="weight"),
        method=method, margins=tuple(margins), iterations=it, converged=ok,
        n=len(w), deff=float(len(w) * np.sum(w**2) / np.sum(w) ** 2), trim=trim,
    )  # fmt: skip


def _base(sample, base_weights) -> np.ndarray:
    if base_weights is None:
        return np.ones(len(sample))
    if isinstance(base_weights, str):
        require_columns(sample, [base_weights], "responses")
        base_weights = sample[base_weights]
    d = np.asarray(base_weights, float)
    if d.shape != (len(sample),) or not np.all(np.isfinite(d)) or np.any(d <= 0):
        fail("responses", "base_weights", "not one positive finite weight per row",
             "give one positive weight per response")  # fmt: skip
    return d


@result_dataclass
class WeightsResult(Result):
    """Survey weights and their diagnostics; see :func:`survey_weights`."""

    table: pd.DataFrame
    weights: pd.Series
    method: str
    margins: tuple
    iterations: int
    converged: bool
    n: int
    deff: float
    trim: float | None

    @property
    def n_eff(self) -> float:
        """Kish's effective sample size, ``n / deff``."""
        return self.n / self.deff

    def _summary_parts(self):
        facts = {
            "Calibration method": self.method,
            "Margins matched": [label(CROSS.join(m)) for m in self.margins],
            "Responses weighted": self.n,
            "Design effect (Kish)": self.deff,
            "Effective n (Kish)": self.n_eff,
            "Iterations": self.iterations,
            "Converged": self.converged,
        }
        return (
            "Survey weights",
            facts,
            {"Margins before and after weighting": self.table},
            list(self.findings().caveats),
        )

    def findings(self) -> Findings:
        """Largest gap before and after, the design effect and effective n."""
        gap = (self.table["unweighted"] - self.table["population"]).abs()
        after = (self.table["weighted"] - self.table["population"]).abs()
        i = int(gap.idxmax())
        r = self.table.loc[i]
        f = [
            t("weights.gap", margin=label(r["margin"]), level=label(str(r["level"])),
              sample=fmt_pct(r["unweighted"], 1), population=fmt_pct(r["population"], 1),
              after=fmt_pct(after.max(), 2)),
            t("weights.deff", deff=fmt_num(self.deff, 2), n_eff=fmt_count(round(self.n_eff)),
              n=fmt_count(self.n)),
        ]  # fmt: skip
        c = []
        if not self.converged:
            c.append(t("weights.not_converged", iterations=fmt_count(self.iterations)))
        if self.deff > 2:
            c.append(t("weights.high_deff", deff=fmt_num(self.deff, 2)))
        if (self.weights < 0).any():
            c.append(t("weights.negative", k=fmt_count(int((self.weights < 0).sum()))))
        return Findings(tuple(f), tuple(c))


def compare_weighted(data, weights: WeightsResult, level: float = 0.95) -> pd.DataFrame:
    """NPS, CSAT and CES of the responses unweighted and weighted, side by side.

    Parameters
    ----------
    data : CXData
        The data set the weights were made for.
    weights : WeightsResult
        From :func:`survey_weights` (one weight per response).
    level : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per metric present in the responses and weighting (``unweighted``,
        ``weighted``): ``metric``, ``weighting``, ``value``, ``ci_low``, ``ci_high``, ``n``,
        ``n_eff``, from the metric functions' ``weights=`` argument (:mod:`cxmodels.metrics`);
        ``metric`` is the metric's name in the current language.
    """
    responses = data.responses
    if len(weights.weights) != len(responses):
        fail("responses", "weights", "not one weight per response",
             "make the weights with survey_weights(data, ...) on this data set")  # fmt: skip
    rows = []
    for col, fn in (("nps", metrics.nps), ("csat", metrics.csat), ("ces", metrics.ces)):
        if col not in responses:
            continue
        for name, w in (("unweighted", None), ("weighted", weights.weights.to_numpy())):
            r = fn(responses[col], w, level=level).table.iloc[0]
            rows.append({"metric": metrics.metric_name(r["metric"]), "weighting": name,
                         "value": r["value"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"],
                         "n_eff": r["n_eff"]})  # fmt: skip
    return pd.DataFrame(rows)


#: The margins the reports weight to: the customers' segment, region and tenure band.
REPORT_MARGINS = ("segment", "region", "tenure_band")


def _margin_problem(sample, population, margin) -> tuple[str, dict] | None:
    """Why ``margin`` cannot be weighted to (``(reason, values)``), or ``None`` when it can.

    A margin with one level in the population is left out without a reason to report: every
    respondent already matches it.
    """
    cols = list(margin)
    if any(c not in population or c not in sample for c in cols):
        return "column", {}
    if population[cols].isna().any(axis=None) or sample[cols].isna().any(axis=None):
        return "missing", {}
    base, answered = set(_cell_key(population, cols)), set(_cell_key(sample, cols))
    if len(base) < 2:
        return "one_level", {}
    absent = sorted(base - answered)
    if absent:
        return "no_answers", {"levels": ", ".join(absent[:3])}
    if answered - base:
        return "unknown_levels", {"levels": ", ".join(sorted(answered - base)[:3])}
    return None


def _margin_test(sample, population, margin) -> dict:
    """Pearson's chi-square test of the answers' shares against the base's, one margin."""
    base = _cell_key(population, margin).value_counts(normalize=True).sort_index()
    observed = _cell_key(sample, margin).value_counts().reindex(base.index, fill_value=0)
    chi2, p = stats.chisquare(observed, base.to_numpy() * observed.sum())
    gap = (observed / observed.sum() - base).abs()
    return {"margin": CROSS.join(margin), "chi2": float(chi2), "df": len(base) - 1,
            "p": float(p), "largest_gap": float(gap.max())}  # fmt: skip


def weighted_against_unweighted(
    data, margins=REPORT_MARGINS, level: float = 0.95, method: str = "rake"
) -> BaseComparison:
    """Whether the answers match the customer base, and NPS weighted and unweighted if not.

    Parameters
    ----------
    data : CXData
        A data set with ``customers`` and ``responses``.
    margins : list of str or tuple of str
        Customer columns to compare and weight to (default :data:`REPORT_MARGINS`); a tuple
        or a name written ``"segment x tenure_band"`` is a crossed margin. A margin
        the data cannot support (no such column, missing values, a level no customer with an
        answer has) is left out and named in the caveats; one with a single level is matched
        by every answer and left out silently.
    level : float
        Level of the intervals and of the tests (a margin differs when its p < 1 - level).
    method : {"rake", "linear", "logit"}
        As in :func:`survey_weights`.

    Returns
    -------
    BaseComparison
        ``tests`` (per margin: ``margin``, ``chi2``, ``df``, ``p``, ``largest_gap`` in share),
        ``differs``, ``weights`` (a :class:`WeightsResult` of the usable margins, or None),
        ``table`` (:func:`compare_weighted`: NPS, CSAT and CES unweighted and weighted, with
        ``n_eff``; empty without weights), ``nps`` (the two NPS rows, ``unweighted`` and
        ``weighted``, or None) and ``left_out`` (``(margin, reason, values)``).

    Notes
    -----
    Each margin is tested by Pearson's chi-square of the answers' counts against the base's
    shares. Answers of one customer are counted separately, so with repeated answers the test
    is liberal; weighting a sample that already matches changes nothing but the design effect.
    """
    level = check_level(level)
    check_option("method", method, METHODS)
    if not is_dataset(data):
        fail("data", "-", "not a data set", "pass cx.load(...) with customers and responses")
    margins = _margin_tuples(margins)
    sample, population = _joined(data, sorted({c for m in margins for c in m}))
    kept, left_out = [], []
    for m in margins:
        problem = _margin_problem(sample, population, m)
        if problem is None:
            kept.append(m)
        elif problem[0] != "one_level":
            left_out.append((CROSS.join(m), *problem))
    tests = pd.DataFrame(
        [_margin_test(sample, population, m) for m in kept],
        columns=["margin", "chi2", "df", "p", "largest_gap"],
    )
    sw = survey_weights(data, kept, method=method) if kept else None
    table = compare_weighted(data, sw, level=level) if sw is not None else pd.DataFrame()
    nps = None
    if sw is not None and "nps" in data.responses:
        pairs = (("unweighted", None), ("weighted", sw.weights.to_numpy()))
        nps = {name: metrics.nps(data.responses["nps"], w, level=level).table.iloc[0]
               for name, w in pairs}  # fmt: skip
    return BaseComparison(
        table=table, tests=tests, weights=sw, differs=bool((tests["p"] < 1 - level).any()),
        left_out=tuple(left_out), level=level, nps=nps,
    )  # fmt: skip


@result_dataclass
class BaseComparison(Result):
    """Answers against the customer base; see :func:`weighted_against_unweighted`."""

    table: pd.DataFrame
    tests: pd.DataFrame
    weights: WeightsResult | None
    differs: bool
    left_out: tuple
    level: float
    nps: dict | None

    def _summary_parts(self):
        tables = {"Margins of the answers against the customer base": self.tests}
        if self.differs:
            tables["Weighted and unweighted metrics"] = self.table
        facts = {"Margins differ": self.differs}
        return "Answers and the customer base", facts, tables, list(self.findings().caveats)

    def findings(self) -> Findings:
        """Whether the margins differ; if so both NPS values, the design effect and effective n."""
        alpha = 1 - self.level
        margins = join_words(label(m) for m in self.tests["margin"])
        differ = join_words(label(m) for m in self.tests.loc[self.tests["p"] < alpha, "margin"])
        c = tuple(
            t("weights.left_out", margin=label(m), why=t(f"weights.why.{why}", **values))
            for m, why, values in self.left_out
        )
        if self.weights is None:
            return Findings((t("weights.no_margins"),), c)
        if not self.differs:
            return Findings((t("weights.match", margins=margins,
                               level=fmt_num(100 * self.level, 0)),), c)  # fmt: skip
        i = int(self.tests["p"].idxmin())
        f = [t("weights.differs", margins=differ, margin=label(self.tests.loc[i, "margin"]),
               gap=fmt_num(100 * self.tests.loc[i, "largest_gap"], 1))]  # fmt: skip
        if self.nps:
            w, u = self.nps["weighted"], self.nps["unweighted"]
            f.append(t(
                "weights.nps_side_by_side", weighted=fmt_num(w["value"], 1),
                unweighted=fmt_num(u["value"], 1), level=fmt_num(100 * self.level, 0),
                w_ci=fmt_ci(w["ci_low"], w["ci_high"], 1),
                u_ci=fmt_ci(u["ci_low"], u["ci_high"], 1),
            ))  # fmt: skip
        f.append(self.weights.findings().findings[1])  # the design effect and effective n
        return Findings(tuple(f), c + self.weights.findings().caveats)
