"""Uplift at scale (issue 30 target): fit and score 1,000,000 customers < 120 s.

``cx.fit_uplift`` (DR-learner, 3 cross-fitting folds, histogram gradient boosting with one
OpenMP thread, each model fitted on at most 100,000 rows: ``max_fit_rows``) on the plain synthetic table of :func:`cxmodels.data.synth_uplift.uplift_table`,
then ``predict`` (scoring) of every customer with the fold models. Prints measured / target /
ratio, the correlation with the true effects and the peak resident memory, and exits 1 when the
target is missed.
"""

from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np

import cxmodels as cx
from cxmodels.data.synth_uplift import uplift_table

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
TARGET = 120.0
COVS = ["segment", "loyalty_member", "region", "tenure_days", "prior_overall_sat"]

t = time.perf_counter()
df = uplift_table(N, seed=0)
print(f"synthetic table: {N:,} rows in {time.perf_counter() - t:.1f} s")
t = time.perf_counter()
res = cx.fit_uplift(
    df, outcome="overall_sat", treatment="followed_up", covariates=COVS, folds=3,
    max_fit_rows=100_000,
)  # fmt: skip
fit_s = time.perf_counter() - t
t = time.perf_counter()
scores = res.predict(df)
score_s = time.perf_counter() - t
total = fit_s + score_s
corr = np.corrcoef(res.effects, df["true_effect"])[0, 1]
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
ok = total < TARGET
print(f"fit {fit_s:.1f} s + score {score_s:.1f} s = {total:.1f} s (target < {TARGET:.0f} s; "
      f"ratio {total / TARGET:.2f}) {'ok' if ok else 'MISSED'}")  # fmt: skip
print(f"correlation with the true effects: {corr:.3f}; AIPW {res.table['estimate'].iloc[0]:.3f} "
      f"(true mean {df['true_effect'].mean():.3f}); scored {len(scores):,}")  # fmt: skip
print(f"peak resident memory: {peak_mb:,.0f} MB; load average {os.getloadavg()[0]:.1f} on "
      f"{os.cpu_count()} cores")  # fmt: skip
sys.exit(0 if ok else 1)
