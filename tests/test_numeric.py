"""The numeric core (:mod:`cxmodels._numeric`) against external references.

OLS/WLS with every covariance type and both reference distributions against statsmodels
``OLS``/``WLS(...).fit(cov_type=, use_t=)``; the logistic fit against statsmodels ``Logit``
(Newton); the numerical Hessian against the analytic Hessian of a known function; Newton's step
halving on a function where a full step overshoots.
"""

from __future__ import annotations

import numpy as np
import pytest

from cxmodels import _numeric as nc

sm = pytest.importorskip("statsmodels.api")


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(7)
    n = 80
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 3.0] + [0.0, 5.0, 20.0]
    y = X @ [1.0, 0.2, -0.3] + rng.normal(size=n) * (1 + np.abs(X[:, 0]))  # heteroskedastic
    return X, y, rng.random(n) + 0.5


@pytest.mark.reference("statsmodels OLS/WLS cov_type HC0-HC3")
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("use_t", [False, True])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "HC2", "HC3"])
def test_ols_matches_statsmodels(regression, cov_type, use_t, weighted):
    X, y, w = regression
    w = w if weighted else None
    fit = nc.ols(X, y, w, cov_type=cov_type, use_t=use_t)
    model = sm.WLS(y, sm.add_constant(X), weights=w) if weighted else sm.OLS(y, sm.add_constant(X))
    ref = model.fit(cov_type=cov_type, use_t=use_t)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-12)
    np.testing.assert_allclose(fit.bse, ref.bse, rtol=1e-12)
    np.testing.assert_allclose(fit.pvalues, ref.pvalues, rtol=1e-10)
    np.testing.assert_allclose(fit.conf_int(0.9), ref.conf_int(0.1), rtol=1e-12)
    np.testing.assert_allclose(fit.cov, ref.cov_params(), rtol=1e-10, atol=1e-14)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-12) and fit.df_resid == ref.df_resid


def test_use_t_changes_only_the_reference_distribution(regression):
    X, y, _ = regression
    z, t = nc.ols(X, y, use_t=False), nc.ols(X, y, use_t=True)
    np.testing.assert_array_equal(z.bse, t.bse)
    assert (t.pvalues > z.pvalues).all() and nc.USE_T is False


def test_ols_names_aliased_columns_and_takes_the_minimum_norm_solution(regression):
    X, y, _ = regression
    A = np.column_stack([X, X[:, 1] + 2 * X[:, 2]])
    fit = nc.ols(A, y, names=["a", "b", "c", "b+2c"])
    assert fit.aliased == ("b+2c",)
    ref = sm.OLS(y, sm.add_constant(A)).fit()  # statsmodels: pinv, fitted values unique
    np.testing.assert_allclose(
        fit.params["const"] + A @ fit.params.iloc[1:], ref.fittedvalues, rtol=1e-10
    )


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(400), rng.normal(size=(400, 2))])
    y = (rng.random(400) < 1 / (1 + np.exp(-(X @ [0.3, 1.0, -0.5])))).astype(float)
    return X, y, rng.integers(0, 3, 400).astype(float)


@pytest.mark.reference("statsmodels Logit/GLM Binomial")
def test_logit_matches_statsmodels(binary):
    X, y, w = binary
    fit = nc.logit(X, y)
    ref = sm.Logit(y, X).fit(method="newton", disp=0)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(fit.cov, ref.cov_params(), rtol=1e-8)
    assert fit.llf == pytest.approx(ref.llf, rel=1e-12)
    assert fit.converged and fit.ridge == 0.0 and fit.reason is None
    # frequency weights (a bootstrap's counts, zeros included) as GLM's freq_weights
    wf = nc.logit(X, y, w)
    glm = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=w).fit()
    np.testing.assert_allclose(wf.params, glm.params, rtol=1e-9)


def test_logit_ridge_only_when_needed_and_said(binary):
    X, y, _ = binary
    aliased = np.column_stack([X, X[:, 1] - X[:, 2]])
    fit = nc.logit(aliased, y)
    assert fit.ridge == nc.RIDGE_WHEN_NEEDED and fit.reason == "singular" and fit.aliased == (3,)
    sep = nc.logit(X, (X[:, 1] > 0).astype(float))
    assert sep.ridge > 0 and sep.reason == "separation" and sep.aliased == ()
    asked = nc.logit(X, y, ridge=0.5)
    assert asked.ridge == 0.5 and asked.reason is None
    # the ridge asked for is the ridge applied: the penalised score is zero at the estimate
    p = 1 / (1 + np.exp(-X @ asked.params))
    np.testing.assert_allclose(X.T @ (y - p), 0.5 * asked.params, atol=1e-9)


def test_numerical_hessian_of_a_known_function():
    """f(x) = exp(x0) x1^2 + sin(x0 x2) + x2^4 / 4: analytic Hessian written out."""

    def f(x):
        return np.exp(x[0]) * x[1] ** 2 + np.sin(x[0] * x[2]) + x[2] ** 4 / 4

    def grad(x):
        return np.array([
            np.exp(x[0]) * x[1] ** 2 + x[2] * np.cos(x[0] * x[2]),
            2 * np.exp(x[0]) * x[1],
            x[0] * np.cos(x[0] * x[2]) + x[2] ** 3,
        ])  # fmt: skip

    x = np.array([0.3, -1.2, 2.0])
    s, c = np.sin(x[0] * x[2]), np.cos(x[0] * x[2])
    H = np.array([
        [np.exp(x[0]) * x[1] ** 2 - x[2] ** 2 * s, 2 * np.exp(x[0]) * x[1], c - x[0] * x[2] * s],
        [2 * np.exp(x[0]) * x[1], 2 * np.exp(x[0]), 0.0],
        [c - x[0] * x[2] * s, 0.0, -(x[0] ** 2) * s + 3 * x[2] ** 2],
    ])  # fmt: skip
    np.testing.assert_allclose(nc.numerical_hessian(lambda v: (f(v), grad(v)), x), H, atol=1e-8)
    np.testing.assert_allclose(nc.numerical_hessian(f, x, has_grad=False), H, atol=1e-5)


def test_newton_halves_an_overshooting_step_and_keeps_the_accepted_values():
    """f(x) = sqrt(1 + x^2): a full Newton step from x overshoots to -x^3 (diverges for |x| > 1)."""

    def obj(x):
        return float(np.sqrt(1 + x[0] ** 2)), np.array([x[0] / np.sqrt(1 + x[0] ** 2)])

    def hess(x):
        return np.array([[(1 + x[0] ** 2) ** -1.5]])

    res = nc.newton(obj, np.array([2.0]), hess, tol=1e-12)
    assert res.converged and abs(res.x[0]) < 1e-10 and res.halvings > 0
    assert res.fun == obj(res.x)[0] and res.grad[0] == obj(res.x)[1][0]


def test_one_units_table_one_warning_class():
    from cxmodels import effects
    from cxmodels.churn import tables
    from cxmodels.value import _mle, rfm

    assert rfm.UNITS is tables.UNITS is nc.UNITS and nc.UNITS["months"] * 12 == nc.UNITS["years"]
    assert effects.ConvergenceWarning is _mle.ConvergenceWarning is nc.ConvergenceWarning


def test_the_fitted_engine_has_one_name_on_every_result():
    """``fit`` everywhere: no result class keeps its engine as ``fit_``, ``fitter`` or
    ``model_fit`` (classes discovered, not listed)."""
    import dataclasses
    import importlib
    import pkgutil

    import cxmodels
    from cxmodels._results import Result

    for mod in pkgutil.walk_packages(cxmodels.__path__, "cxmodels."):
        if not mod.name.startswith(("cxmodels.reports", "cxmodels.cli")):
            importlib.import_module(mod.name)
    classes, stack = [], [Result]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        classes.append(cls)
    named = {
        f"{c.__module__}.{c.__name__}.{f.name}"
        for c in classes
        if dataclasses.is_dataclass(c)
        for f in dataclasses.fields(c)
        if f.name in ("fit_", "fitter", "model_fit", "engine")
    }
    assert len(classes) > 20 and not named
    from cxmodels.churn.results import TimeVaryingCoxResult
    from cxmodels.structural.result import PLSResult

    assert {"fit"} <= {f.name for f in dataclasses.fields(PLSResult)}
    assert {"fit"} <= {f.name for f in dataclasses.fields(TimeVaryingCoxResult)}


def test_one_nps_definition(monkeypatch):
    """Voice of the customer and the logit drivers read the cut-offs of data.scales: moving
    the promoter cut-off there moves them both (no second copy of 9-10 / 0-6)."""
    import pandas as pd

    from cxmodels.data import scales
    from cxmodels.drivers._prepare import binary_outcome
    from cxmodels.voice.impact import nps_points

    monkeypatch.setattr(scales, "NPS_PROMOTER_MIN", 8)
    monkeypatch.setattr(scales, "NPS_DETRACTOR_MAX", 5)
    r = pd.Series([8.0, 6.0, 5.0, np.nan, 10.0])
    np.testing.assert_array_equal(nps_points(r), [100.0, 0.0, -100.0, np.nan, 100.0])
    book = {"nps": {"min": 0, "max": 10}}
    coded, rule = binary_outcome(pd.DataFrame({"nps": r}), "nps", "promoter", book, "responses")
    np.testing.assert_array_equal(coded["nps"], [1.0, 0.0, 0.0, np.nan, 1.0])
    assert rule.endswith("8-10 on the 0-10 scale")
