"""Cox at scale (issue 4 targets): 1,000,000 customers x 10 covariates.

- monthly durations: < 3 s;  daily durations: < 40 s
- concordance at 1,000,000: < 10 s;  peak memory < 2 GB
Also times lifelines' batch and single modes side by side to justify cxmodels' choice.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter

from cxmodels.churn import _choose_batch_mode, fit_churn

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
COMPARE = "--compare" in sys.argv
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(N, 10)), columns=[f"x{i}" for i in range(10)])
beta = np.linspace(-0.3, 0.3, 10)
T = 1400 * (rng.exponential(size=N) / np.exp(X.to_numpy() @ beta)) ** (1 / 1.1)
C = rng.uniform(0, 1460, N)
days = np.ceil(np.minimum(T, C))
event = (T <= C).astype(int)
cols = list(X.columns)


def peak_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


# warm-up on 2,000 rows so the timings measure fitting, not lifelines' first-call imports
fit_churn(X.iloc[:2000].assign(duration=np.ceil(days[:2000] / 30.4375), event=event[:2000]), cols)

for label, dur, target in [("monthly", np.ceil(days / 30.4375), 3), ("daily", days, 40)]:
    df = X.assign(duration=dur, event=event)
    times = []
    for _ in range(3):  # best of 3: this VM's timings vary by +-20% from run to run
        t = time.perf_counter()
        res = fit_churn(df, cols)
        times.append(time.perf_counter() - t)
    s = min(times)
    mode = "batch" if _choose_batch_mode(df["duration"]) else "single"
    runs = ", ".join(f"{x:.1f}" for x in times)
    err = np.abs(res.table["coef"].to_numpy() - beta).max()
    print(
        f"Cox, {N:,} x 10, {label} durations ({df['duration'].nunique()} distinct): best of 3 {s:.1f} s "
        f"(runs {runs}; target < {target} s; batch mode chosen: {mode}); max |coef - truth| = {err:.3f}"
    )
    if COMPARE:
        for bm in (True, False):
            t = time.perf_counter()
            CoxPHFitter().fit(df, "duration", "event", batch_mode=bm)
            print(f"    lifelines batch_mode={bm}: {time.perf_counter() - t:.1f} s")

res.__dict__.pop("concordance", None)  # time a fresh computation
t = time.perf_counter()
c = res.concordance  # cxmodels' vectorized Harrell's C (lifelines' own takes ~9 s here)
print(f"concordance at {N:,}: {time.perf_counter() - t:.1f} s (target < 10 s), C = {c:.3f}")
print(f"peak memory: {peak_gb():.2f} GB (target < 2 GB)")
