"""What the purchase models (BG/NBD, Pareto/NBD) share: covariates, predictions, CLV, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_count, fmt_est, fmt_num, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_number, fail, require_columns, require_numeric
from ..i18n import t
from ._mle import Fit, param_table
from .plots import calibration_holdout_plot, tracking_plot
from .rfm import UNITS, check_rfm, daily_transactions, rfm_scalars

DAYS_PER_YEAR = 365.25


def covariate_matrix(
    rfm: pd.DataFrame, covariates, table: str = "rfm", fitting: bool = False
) -> np.ndarray:
    """The numeric covariate columns of ``rfm`` as a float matrix (n x k), checked."""
    covariates = list(covariates)
    if not covariates:
        return np.zeros((len(rfm), 0))
    require_columns(rfm, covariates, table)
    require_numeric(rfm, covariates, table)
    X = rfm[covariates].to_numpy(dtype=float)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        fail(table, ", ".join(covariates), "covariates missing or not finite",
             "impute or drop those customers", rfm.index[bad])  # fmt: skip
    sd = X.std(axis=0)
    if fitting and (sd == 0).any():
        fail(table, ", ".join(np.array(covariates)[sd == 0]), "covariate is constant",
             "drop it (its effect is not identified)")  # fmt: skip
    return X


def rfm_arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    check_rfm(rfm)
    return tuple(rfm[k].to_numpy(dtype=float) for k in ("frequency", "recency", "T"))


def discount_steps(horizon: float, discount_rate: float, unit: str, steps: int | None):
    """Step ends ``t_k`` (model units) and discount factors ``(1 + d)^-(t_k in years)``."""
    check_number("horizon", horizon, low=0, low_open=True)
    check_number("discount_rate", discount_rate, low=0, high=10)
    per_year = DAYS_PER_YEAR / UNITS[unit]
    k = int(np.ceil(horizon / (per_year / 12))) if steps is None else int(steps)
    k = max(k, 1)
    t = horizon * np.arange(1, k + 1) / k
    return t, (1.0 + discount_rate) ** (-t / per_year)


@result_dataclass
class PurchaseModel(Result):
    """Shared surface of the BG/NBD and Pareto/NBD results.

    Subclasses define ``_given_alive(t, x, T, params)`` (expected purchases in ``(T, T+t]`` of
    a customer alive at ``T``), ``_alive(x, tx, T, params)``, ``_new(t, params)`` and the class
    attributes ``base_names`` (the four parameters in order) and ``dropout_name`` (the one the
    dropout covariates scale). Predictions are computed once per distinct
    ``(x, T, parameters)`` and spread back.
    """

    table: pd.DataFrame
    params: dict
    loglik: float
    n_customers: int
    converged: bool
    rfm: pd.DataFrame
    purchase_covariates: tuple
    dropout_covariates: tuple
    unit: str
    fit: Fit
    calibration_end: str | None = None
    observation_end: str | None = None
    model_name = ""
    base_names = ()
    dropout_name = ""

    def _customer_params(self, rfm):
        """Per-customer (or scalar) parameters: alpha_i = alpha e^{-g_p'x}, dropout e^{+g_d'z}."""
        p = self.params
        out = {k: p[k] for k in self.base_names}
        for kind, cols, name, sign in [
            ("purchase", self.purchase_covariates, "alpha", -1.0),
            ("dropout", self.dropout_covariates, self.dropout_name, 1.0),
        ]:
            if cols:
                g = np.array([p[f"{kind}:{c}"] for c in cols])
                out[name] = out[name] * np.exp(sign * (covariate_matrix(rfm, cols) @ g))
        return tuple(out[k] for k in self.base_names)

    def _conditional(self, t, x, tx, T, params):
        return self._expected([t], x, tx, T, params)[0]

    def _expected(self, times, x, tx, T, params) -> list[np.ndarray]:
        """``E[Y(t) | x, t_x, T]`` for each ``t`` of ``times`` (one array per time)."""
        inv, first = compress([x, T, *params])
        sub = (x[first], T[first], tuple(p[first] if np.ndim(p) else p for p in params))
        alive = self._alive(x, tx, T, params)
        return [self._given_alive(float(t), *sub)[inv] * alive for t in times]

    # -- customer-level predictions ------------------------------------------------------
    def _rfm(self, rfm):
        return self.rfm if rfm is None else rfm

    def predict_purchases(self, t: float, rfm: pd.DataFrame | None = None) -> pd.Series:
        """Expected purchases in the next ``t`` units for each customer of ``rfm``.

        Notes
        -----
        The conditional expectation :math:`E[Y(t) \\mid x, t_x, T]` of the model (Fader, Hardie
        and Lee 2005, eq. 10 for BG/NBD; Schmittlein et al. 1987 for Pareto/NBD).
        """
        check_number("t", t, low=0)
        rfm = self._rfm(rfm)
        x, tx, T = rfm_arrays(rfm)
        return pd.Series(
            self._conditional(float(t), x, tx, T, self._customer_params(rfm)),
            index=rfm.index,
            name="expected_purchases",
        )

    def prob_alive(self, rfm: pd.DataFrame | None = None) -> pd.Series:
        """Probability that each customer of ``rfm`` is still active at the end of calibration."""
        rfm = self._rfm(rfm)
        x, tx, T = rfm_arrays(rfm)
        return pd.Series(
            self._alive(x, tx, T, self._customer_params(rfm)), index=rfm.index, name="p_alive"
        )

    def discounted_purchases(self, horizon, discount_rate=0.1, rfm=None, steps=None) -> np.ndarray:
        """Discounted expected purchases over ``horizon`` units (steps of about a month)."""
        return self._discounted(horizon, discount_rate, self._rfm(rfm), steps)[0]

    def _discounted(self, horizon, discount_rate, rfm, steps):
        """(discounted expected purchases, expected purchases over the horizon, P(alive)),
        computed once per distinct ``(x, T, parameters)`` and spread back."""
        x, tx, T = rfm_arrays(rfm)
        params = self._customer_params(rfm)
        t, disc = discount_steps(horizon, discount_rate, self.unit, steps)
        inv, first = compress([x, T, *params])
        sub = (x[first], T[first], tuple(p[first] if np.ndim(p) else p for p in params))
        total, prev = np.zeros(first.size), np.zeros(first.size)
        for tk, dk in zip(t, disc, strict=True):  # loop over periods, not customers
            cur = self._given_alive(float(tk), *sub)
            total += dk * (cur - prev)
            prev = cur
        alive = self._alive(x, tx, T, params)
        return total[inv] * alive, prev[inv] * alive, alive

    def clv(
        self,
        horizon: float,
        discount_rate: float = 0.1,
        margin: float = 1.0,
        spend=None,
        rfm: pd.DataFrame | None = None,
        steps: int | None = None,
    ) -> pd.DataFrame:
        """Customer lifetime value over ``horizon`` units: margin x spend x discounted purchases.

        Parameters
        ----------
        horizon : float
            Horizon in the model's time unit (``self.unit``).
        discount_rate : float
            Annual discount rate (0.1 = 10% a year), applied at the end of each step.
        margin : float
            Share of spend that is profit (0-1], or 1 for revenue.
        spend : GammaGammaResult, array or float, optional
            Expected spend per purchase: a Gamma-Gamma fit (its conditional expectation per
            customer), one value per customer, or one value for all; default the customer's
            mean repeat value (population mean where missing).
        rfm : DataFrame, optional
            Customers to value; default those the model was fitted on.
        steps : int, optional
            Number of discounting steps (default about one a month).

        Returns
        -------
        DataFrame
            ``customer_id``, ``p_alive``, ``expected_purchases`` (undiscounted, over the horizon),
            ``discounted_purchases``, ``expected_spend``, ``clv``.

        Notes
        -----
        :math:`CLV_i = m \\, E[Z_i] \\sum_k (1+d)^{-t_k/\\text{year}} (E[Y_i(t_k)] - E[Y_i(t_{k-1})])`.
        """
        check_number("margin", margin, low=0, high=1, low_open=True)
        rfm = self._rfm(rfm)
        dp, expected, alive = self._discounted(horizon, discount_rate, rfm, steps)
        z = _spend(spend, rfm)
        out = pd.DataFrame(
            {
                "customer_id": rfm["customer_id"].to_numpy()
                if "customer_id" in rfm
                else rfm.index.to_numpy(),
                "p_alive": alive,
                "expected_purchases": expected,
                "discounted_purchases": dp,
                "expected_spend": z,
                "clv": margin * z * dp,
            },
            index=rfm.index,
        )
        out.attrs.update(
            horizon=horizon, discount_rate=discount_rate, margin=margin, unit=self.unit
        )
        return out

    # -- fit checks -------------------------------------------------------------------------
    def calibration_holdout(self, rfm: pd.DataFrame | None = None, max_frequency: int = 7):
        """Mean holdout purchases, actual and predicted, by calibration frequency (F-H chart).

        Returns
        -------
        DataFrame
            ``frequency`` (capped at ``max_frequency``, shown as ``7+``), ``n_customers``,
            ``actual`` and ``predicted`` mean holdout purchases.
        """
        rfm = self._rfm(rfm)
        require_columns(rfm, ["frequency_holdout", "duration_holdout"], "rfm")
        pred = self._conditional_varying(rfm)
        f = np.minimum(rfm["frequency"].to_numpy(), max_frequency).astype(int)
        df = pd.DataFrame(
            {"f": f, "actual": rfm["frequency_holdout"].to_numpy(), "predicted": pred}
        )
        g = df.groupby("f").agg(
            n_customers=("actual", "size"),
            actual=("actual", "mean"),
            predicted=("predicted", "mean"),
        )
        g.index = [f"{i}+" if i == max_frequency else str(i) for i in g.index]
        return g.rename_axis("frequency").reset_index()

    def _conditional_varying(self, rfm):
        x, tx, T = rfm_arrays(rfm)
        d = rfm["duration_holdout"].to_numpy(dtype=float)
        params = self._customer_params(rfm)
        if np.all(d == d[0]):
            return self._conditional(float(d[0]), x, tx, T, params)
        return np.concatenate(
            [self._conditional(float(v), *_take(m, x, tx, T, params)) for v, m in _groups(d)]
        )[np.argsort(np.concatenate([m for _, m in _groups(d)]), kind="stable")]

    def tracking(self, data, period: float = 1.0) -> pd.DataFrame:
        r"""Repeat purchases per period, actual and expected, for the customers of the fit.

        Parameters
        ----------
        data : CXData or DataFrame
            The transactions the RFM table was built from (calibration and holdout).
        period : float
            Period length in model units (1 = one week for a weekly model).

        Returns
        -------
        DataFrame
            ``period_end`` (date), ``actual``, ``expected``, ``cumulative_actual``,
            ``cumulative_expected``, ``holdout`` (True after the calibration end).

        Notes
        -----
        Expected cumulative repeat purchases are :math:`\sum_i E[X_i(t - s_i)]` over the
        customers' first-purchase times :math:`s_i` (FHL 2005, eq. 7, per customer's covariates).
        """
        check_number("period", period, low=0, low_open=True)
        c, d, _, ids, _, _ = daily_transactions(data)
        row = pd.Index(self.rfm["customer_id"]).get_indexer(ids)
        keep = row[c] >= 0
        c, d = row[c[keep]], d[keep]
        first = np.full(len(self.rfm), np.iinfo(np.int64).max)
        np.minimum.at(first, c, d)
        step = period * UNITS[self.unit]
        end = int(d.max())
        if self.observation_end is not None:
            end = int(np.datetime64(self.observation_end, "D").astype(np.int64))
        origin = int(first.min())
        edges = origin + step * np.arange(1, int(np.ceil((end - origin) / step)) + 1)
        rep = d > first[c]
        k = np.minimum(((d[rep] - origin) // step).astype(int), edges.size - 1)
        actual = np.bincount(k, minlength=edges.size).astype(float)
        inv, uniq = compress([first, *self._customer_params(self.rfm)])
        params = tuple(p[uniq, None] if np.ndim(p) else p for p in self._customer_params(self.rfm))
        t = np.clip((edges[None, :] - first[uniq, None]) / UNITS[self.unit], 0, None)
        cum = np.bincount(inv, minlength=uniq.size) @ np.nan_to_num(self._new(t, params))
        cal = self.calibration_end
        cal_day = np.datetime64(cal, "D").astype(np.int64) if cal else end
        return pd.DataFrame(
            {
                "period_end": pd.to_datetime(np.floor(edges).astype("datetime64[D]")),
                "actual": actual,
                "expected": np.diff(np.r_[0.0, cum]),
                "cumulative_actual": np.cumsum(actual),
                "cumulative_expected": cum,
                "holdout": edges > cal_day,
            }
        )

    def holdout_totals(self, rfm: pd.DataFrame | None = None) -> pd.DataFrame:
        """Total holdout purchases, actual and predicted, with the relative error."""
        rfm = self._rfm(rfm)
        require_columns(rfm, ["frequency_holdout", "duration_holdout"], "rfm")
        pred = float(self._conditional_varying(rfm).sum())
        act = float(rfm["frequency_holdout"].sum())
        return pd.DataFrame(
            {"actual": [act], "predicted": [pred], "error_pct": [100 * (pred - act) / act]}
        )

    def plot_calibration_holdout(self, rfm: pd.DataFrame | None = None, ax=None):
        """The Fader-Hardie chart: holdout purchases by calibration frequency."""
        return calibration_holdout_plot(self.calibration_holdout(rfm), ax=ax)

    def plot_tracking(self, data, cumulative: bool = True, period: float = 1.0, ax=None):
        """Cumulative (or per-period) repeat purchases, actual and expected."""
        return tracking_plot(self.tracking(data, period), cumulative=cumulative, ax=ax)

    # -- shared result surface ----------------------------------------------------------------
    def _summary_parts(self):
        facts = {
            "customers": self.n_customers,
            "log-likelihood": fmt_num(self.loglik, 2),
            "converged": self.converged,
            "time unit": self.unit,
        }
        notes = [f"Maximum likelihood; standard errors from the Hessian ({self.model_name})."]
        return f"{self.model_name} purchase model", facts, {"parameters": self.table}, notes

    def findings(self) -> Findings:
        pa = self.prob_alive()
        yr = DAYS_PER_YEAR / UNITS[self.unit]
        nxt = self.predict_purchases(yr)
        f = [
            t(
                "value.purchases",
                model=self.model_name,
                n=fmt_count(self.n_customers),
                alive=fmt_num(100 * pa.mean(), 0),
                next=fmt_num(nxt.mean(), 2),
            ),
        ]
        for _, row in self.table.iterrows():
            if str(row["parameter"]).startswith(("purchase:", "dropout:")):
                kind, cov = row["parameter"].split(":", 1)
                est = fmt_est(row["estimate"], row["ci_low"], row["ci_high"], 3, signed=True)
                process = t(f"value.process.{kind}")
                f.append(
                    t("value.covariate_effect", covariate=label(cov), process=process, estimate=est)
                )
        cav = [] if self.converged else [t("value.optimiser_not_converged_cleanly")]
        return Findings(tuple(f), tuple(cav))


def build_result(cls, fit, names, rfm, pc, dc, unit):
    """A purchase-model result from an optimiser fit (first four parameters positive)."""
    table = param_table(fit, names, [True] * 4 + [False] * (len(pc) + len(dc)))
    meta = rfm_scalars(rfm)
    return cls(
        table=table,
        params=dict(zip(names, table["estimate"], strict=True)),
        loglik=fit.loglik,
        n_customers=len(rfm),
        converged=fit.converged,
        rfm=rfm,
        purchase_covariates=tuple(pc),
        dropout_covariates=tuple(dc),
        unit=unit or meta["unit"] or "weeks",
        fit=fit,
        calibration_end=meta["calibration_end"],
        observation_end=meta["observation_end"],
    )


def compress(arrays) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of ``arrays`` (scalars ignored) and one row index per code."""
    codes = None
    for a in arrays:
        if np.ndim(a) == 0:
            continue
        c = pd.factorize(np.asarray(a))[0].astype(np.int64)
        codes = c if codes is None else pd.factorize(codes * (int(c.max()) + 1) + c)[0]
    n_codes = int(codes.max()) + 1
    first = np.empty(n_codes, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return codes, first


def _groups(d):
    for v in np.unique(d):
        yield v, np.flatnonzero(d == v)


def _take(m, x, tx, T, params):
    sub = tuple(p[m] if np.ndim(p) else p for p in params)
    return x[m], tx[m], T[m], sub


def _spend(spend, rfm) -> np.ndarray:
    n = len(rfm)
    if spend is None:
        require_columns(rfm, ["monetary_value"], "rfm")
        m = rfm["monetary_value"].to_numpy(dtype=float)
        fill = np.nanmean(m) if np.isfinite(m).any() else np.nan
        if not np.isfinite(fill):
            fail("rfm", "monetary_value", "no amounts to value purchases",
                 "pass spend= (a Gamma-Gamma fit or a number)")  # fmt: skip
        return np.where(np.isfinite(m), m, fill)
    if hasattr(spend, "expected_spend"):
        return spend.expected_spend(rfm).to_numpy()
    z = np.broadcast_to(np.asarray(spend, dtype=float), (n,)).copy()
    if not (np.isfinite(z) & (z >= 0)).all():
        fail("argument", "spend", "must be finite and >= 0", "pass non-negative values")
    return z
