"""Competing risks at scale (issue 31): ``cumulative_incidence`` with its standard errors on
1,000,000 customers and two causes, daily and monthly durations (target < 5 s each), and
``fit_fine_gray`` with robust standard errors on 1,000,000 x 10 (target < 15 s), beside R cmprsk
``crr`` at 10,000 rows (``--r``; the ratio is printed); the curves by three groups with Gray's
test are timed beside them (no target).

Targets: as above. Peer: lifelines' ``AalenJohansenFitter`` (which breaks ties by random
jitter and computes a quadratic-time variance) on a subsample, printed beside it for scale; R
survival's multi-state ``survfit`` through Rscript with ``--r`` (R reads the data from a CSV,
not timed). Exits 1 when a target is missed.

Usage: python bench/bench_competing.py [N] [--r]
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxmodels.churn import cumulative_incidence, fit_fine_gray

N = int(next((a for a in sys.argv[1:] if a.isdigit()), 1_000_000))
WITH_R = "--r" in sys.argv
rng = np.random.default_rng(0)
T1, T2, C = rng.weibull(1.1, N) * 1400, rng.exponential(4000, N), rng.uniform(0, 1460, N)
days = np.ceil(np.minimum(np.minimum(T1, T2), C))
cause = np.where(np.minimum(T1, T2) > C, 0, np.where(T1 <= T2, 1, 2))
missed: list[str] = []


def timed(fn) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


for label, dur in (("daily", days), ("monthly", np.ceil(days / 30.4375))):
    df = pd.DataFrame({"duration": dur, "event": cause})
    s = timed(lambda df=df: cumulative_incidence(df, causes={1: "cancelled", 2: "non-payment"}))
    ok = s < 5
    print(
        f"cumulative incidence, {N:,} rows, {label}: {s:.2f} s (target < 5 s) {'ok' if ok else 'MISSED'}"
    )
    if not ok:
        missed.append(label)

group = rng.integers(0, 3, N)
df = pd.DataFrame({"duration": days, "event": cause, "segment": group})
s = timed(lambda: cumulative_incidence(df, "segment"))
print(f"cumulative incidence by 3 groups with Gray's test, {N:,} rows, daily: {s:.2f} s")

if WITH_R and shutil.which("Rscript"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cr.csv"
        pd.DataFrame({"t": days, "e": cause}).to_csv(path, index=False)
        script = (
            f"library(survival); d <- read.csv('{path}'); "
            "d$e <- factor(d$e, 0:2); "
            "s <- system.time(survfit(Surv(t, e) ~ 1, data = d))[['elapsed']]; cat(s)"
        )
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
        print(f"R survival multi-state survfit, daily: {float(out.stdout):.2f} s")

X = pd.DataFrame(rng.normal(size=(N, 10)), columns=[f"x{i}" for i in range(10)])
fg_data = X.assign(duration=days, event=cause)
t0 = time.perf_counter()
fg = fit_fine_gray(fg_data, list(X.columns), cause=1)
fg_s = time.perf_counter() - t0
ok = fg_s < 15 and fg.converged
print(f"Fine-Gray, {N:,} x 10, robust se: {fg_s:.2f} s (target < 15 s) {'ok' if ok else 'MISSED'}")
if not ok:
    missed.append("fine-gray")
if WITH_R and shutil.which("Rscript"):
    n = 10_000
    small = fg_data.iloc[:n]
    t0 = time.perf_counter()
    fit_fine_gray(small, list(X.columns), cause=1)
    ours = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fg.csv"
        small.to_csv(path, index=False)
        script = (
            f"library(cmprsk); d <- read.csv('{path}'); x <- as.matrix(d[, 1:10]); "
            "s <- system.time(crr(d$duration, d$event, cov1 = x))[['elapsed']]; cat(s)"
        )
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
    crr_s = float(out.stdout)
    print(
        f"Fine-Gray at {n:,} x 10: cxmodels {ours:.3f} s, cmprsk crr {crr_s:.1f} s, ratio {crr_s / ours:.0f}x"
    )

try:
    from lifelines import AalenJohansenFitter

    n = 20_000
    aj = AalenJohansenFitter(calculate_variance=True, seed=0)
    t = time.perf_counter()
    aj.fit(days[:n], cause[:n], event_of_interest=1)
    print(
        f"lifelines AalenJohansenFitter with variance, {n:,} rows: {time.perf_counter() - t:.2f} s"
    )
except ImportError:  # pragma: no cover
    pass
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
print(f"peak memory {peak:.2f} GB")
sys.exit(1 if missed else 0)
