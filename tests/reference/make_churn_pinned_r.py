"""Write the inputs of tests/reference/churn_pinned_r.R: the sample world's survival tables.

Run from the repository root: ``.venv/bin/python tests/reference/make_churn_pinned_r.py``, then
``Rscript tests/reference/churn_pinned_r.R``. The world is ``cx.generate(3000, seed=3)`` (the
``world`` fixture, pinned by tests/test_synth_pin.py); ``test`` marks the rows of
``churn.split(st, test_size=0.3, seed=1)``'s test part; the second file holds the start-stop
rows of ``survival_table(world, time_varying=True)``. tests/test_churn_pinned.py checks that
these files are still the tables the code builds, so R and cxmodels read the same data.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

INPUT = Path(__file__).with_name("churn_pinned_input.csv.gz")
INPUT_TV = Path(__file__).with_name("churn_pinned_tv.csv.gz")
COLUMNS = ["duration", "event", "overall_sat", "loyalty_member", "followed_up", "segment"]


def r_input(world) -> pd.DataFrame:
    """The columns R reads: covariates, duration, event, NPS group and the test flag."""
    from cxmodels import churn

    st = churn.survival_table(world)
    _, test = churn.split(st, test_size=0.3, seed=1)
    out = st[[*COLUMNS, "nps_group"]].copy()
    out["loyalty_member"] = out["loyalty_member"].astype(int)
    out["test"] = st.index.isin(test.index).astype(int)
    return out.reset_index(drop=True)


def r_input_tv(world) -> pd.DataFrame:
    """The start-stop rows R reads: customer, interval, event, the two covariates."""
    from cxmodels import churn

    tv = churn.survival_table(world, time_varying=True)
    cols = ["customer_id", "start", "stop", "event", "overall_sat", "loyalty_member"]
    out = tv[cols].copy()
    out["loyalty_member"] = out["loyalty_member"].astype(int)
    return out.reset_index(drop=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[2] / "src"))
    import cxmodels as cx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cx.validate(cx.generate(3000, seed=3))
    r_input(w).to_csv(INPUT, index=False, float_format="%.17g")
    r_input_tv(w).to_csv(INPUT_TV, index=False, float_format="%.17g")
    print(INPUT, INPUT_TV)
