"""Pinned public outputs of the drivers module (issue 11: every number stays through the redesign).

The reference was written by ``tests/reference/make_drivers_pinned.py`` with the code of commit
25ac991, before the redesign, on a frozen copy of the sample answers. Changed on purpose (issue 13)
and therefore not pinned: the penalty-reward p-values (``penalty_p``, ``reward_p``) now come from
the HC3 covariance with t reference distribution on the residual degrees of freedom, as
``lmtest::coeftest(m, vcov = sandwich::vcovHC(m, type = "HC3"))`` (before: normal z); since
issue 27 the default is the normal again (statsmodels' ``cov_type="HC3"``) with ``use_t=True`` for
t, both checked against statsmodels in ``tests/test_drivers_spec.py``. Also changed on purpose
(issue 27): with weights, ``std_coef`` and ``performance`` use the weighted moments, as the
weighted importance does (checked against statsmodels ``WLS`` and ``DescrStatsW`` there).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from .reference.make_drivers_pinned import INPUT, OUTPUT, cases, run

UNPINNED = {
    "penalty_reward": {"penalty_p", "reward_p"},
    "ols_weights": {"std_coef", "performance"},
}
# the ordinal fits use numerical derivatives (OrderedModel) and BFGS to gtol 1e-6: 1e-6 relative
RTOL = {"ordinal": 1e-6}


@pytest.fixture(scope="module")
def pinned():
    return json.loads(OUTPUT.read_text())


@pytest.fixture(scope="module")
def current():
    return run(pd.read_csv(INPUT))


@pytest.mark.parametrize("name", list(cases(pd.DataFrame())))
def test_pinned_outputs_unchanged(pinned, current, name):
    old, new = pinned[name], current[name]
    for key in ("driver", "segment", "classification"):
        assert new.get(key) == old.get(key), key
    for key in ("r2", "r2_controls", "n", "n_dropped", "low", "high"):
        if key in old:
            assert new[key] == pytest.approx(old[key], rel=RTOL.get(name, 1e-10), abs=1e-12), key
    for col, values in old["table"].items():
        if col in UNPINNED.get(name, ()):
            continue
        got = np.array([np.nan if v is None else v for v in new["table"][col]], dtype=float)
        ref = np.array([np.nan if v is None else v for v in values], dtype=float)
        np.testing.assert_allclose(got, ref, rtol=RTOL.get(name, 1e-9), atol=1e-12, err_msg=col)
