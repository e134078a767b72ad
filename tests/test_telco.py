"""The IBM Telco churn export, as analysts first meet it: 11 customers with tenure 0.

The file layout follows IBM's "WA_Fn-UseC_-Telco-Customer-Churn.csv" (customerID, tenure in
months, Contract, MonthlyCharges, TotalCharges blank where tenure is 0, Churn Yes/No). The values
here are simulated in that layout (the data set itself is not redistributed); R survival's
``coxph``/``survfit`` and lifelines accept the zero durations, and so must cxmodels.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    rng = np.random.default_rng(7043)
    n = 1500
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    monthly = np.round(rng.uniform(18.25, 118.75, n), 2)
    rate = np.select([contract == "Month-to-month", contract == "One year"], [0.06, 0.015], 0.004)
    tenure = np.minimum(rng.geometric(rate * (1 + monthly / 200)), 72)
    tenure[:11] = 0  # the Telco file's eleven new customers
    churn = np.where((tenure < 72) & (rng.random(n) < 0.6), "Yes", "No")
    churn[:11] = "No"
    total = np.where(tenure == 0, " ", np.round(monthly * tenure, 2).astype(str))
    raw = pd.DataFrame(
        {
            "customerID": [f"{i:04d}-ABCDE" for i in range(n)],
            "tenure": tenure,
            "Contract": contract,
            "MonthlyCharges": monthly,
            "TotalCharges": total,
            "Churn": churn,
        }
    )
    buf = io.StringIO()
    raw.to_csv(buf, index=False)  # read back as an analyst would, from the CSV
    df = pd.read_csv(io.StringIO(buf.getvalue()))
    return df.assign(event=(df["Churn"] == "Yes").astype(int))


def test_telco_zero_tenure_loads_and_fits(telco):
    assert (telco["tenure"] == 0).sum() == 11
    km = cx.kaplan_meier(telco, by="Contract", duration_col="tenure")
    assert set(km.table["group"].astype(str)) >= {"Month-to-month", "Two year"}
    fit = cx.fit_churn(
        telco,
        ["Contract", "MonthlyCharges"],
        duration_col="tenure",
        reference={"Contract": "Month-to-month"},
    )
    hr = fit.table.set_index("covariate")["hr"]
    # longer contracts churn less: the simulated hazard is 4x and 15x lower
    assert hr["Contract: Two year"] < hr["Contract: One year"] < 0.6
    assert np.isfinite(fit.concordance) and fit.concordance > 0.6
    with pytest.raises(cx.InputError, match="zero"):
        cx.fit_churn(telco, ["MonthlyCharges"], duration_col="tenure", model="weibull")
