"""Speed of Kano classification and bootstrap (issue 5 targets).

- 1,000,000 respondents x 20 features (20 million answer pairs) classified and summarised: < 5 s
- 1,000 bootstrap replicates, 2,000 respondents x 10 features: < 10 s
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cxmodels.kano import analyze_kano


def answers(n_resp, n_feat, seed=0):
    rng = np.random.default_rng(seed)
    n = n_resp * n_feat
    return pd.DataFrame(
        {
            "respondent_id": np.repeat(np.arange(n_resp), n_feat),
            "feature": pd.Categorical.from_codes(
                np.tile(np.arange(n_feat), n_resp), [f"feature_{i:02d}" for i in range(n_feat)]
            ),
            "functional": rng.integers(1, 6, n, dtype=np.int8),
            "dysfunctional": rng.integers(1, 6, n, dtype=np.int8),
        }
    )


big = answers(1_000_000, 20)
t = time.perf_counter()
res = analyze_kano(big)
s = time.perf_counter() - t
print(f"classify + summarise 1,000,000 respondents x 20 features: {s:.2f} s (target < 5 s)")
small = answers(2000, 10, seed=1)
t = time.perf_counter()
analyze_kano(small, bootstrap=1000, seed=1)
s = time.perf_counter() - t
print(f"1,000 bootstrap replicates, 2,000 respondents x 10 features: {s:.2f} s (target < 10 s)")
