"""Speed of the multilevel model beside statsmodels MixedLM, in one process (issue 29).

``cx.fit_multilevel`` with a random intercept on 1,000,000 answers in 2,000 branches (one
customer-level and one branch-level predictor): < 5 s on this machine. The peer is statsmodels
``MixedLM`` (REML, the same model), timed once on the same data (it is much slower; the issue
cites a report of 41 minutes where lme4 takes 1-2 s, statsmodels issue 9097) unless
``--no-peer``; the estimates of both are printed side by side.

Best of three runs for cxmodels; prints measured time, peer time and target; exits 1 when the
target is missed. ``--logistic`` also times the logistic model (``family="binomial"``, Laplace)
once on 100,000 0/1 answers in 500 branches (no target: each deviance evaluation passes over
every row, so it grows with n, unlike the linear model's cross products).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from cxmodels.multilevel import fit_multilevel

N, G, TARGET = 1_000_000, 2_000, 5.0


def answers(n=N, g=G, seed=0) -> pd.DataFrame:
    """A random-intercept world: y = 7 + 0.3 x + 0.25 (staff - 7) + u_branch + e."""
    rng = np.random.default_rng(seed)
    branch = rng.integers(0, g, n)
    staff = rng.normal(7, 0.8, g)
    u = rng.normal(0, 0.4, g)
    x = rng.normal(0, 1, n)
    y = 7 + 0.3 * x + 0.25 * (staff[branch] - 7) + u[branch] + rng.normal(0, 1.5, n)
    return pd.DataFrame({"branch_id": branch, "x": x, "employee_sat": staff[branch], "y": y})


def binary_answers(n=100_000, g=500, seed=0) -> pd.DataFrame:
    """A random-intercept logistic world: logit P(y) = -0.5 + 0.4 x + 0.3 (staff - 7) + u."""
    rng = np.random.default_rng(seed)
    branch, staff, u = rng.integers(0, g, n), rng.normal(7, 0.8, g), rng.normal(0, 0.5, g)
    x = rng.normal(0, 1, n)
    eta = -0.5 + 0.4 * x + 0.3 * (staff[branch] - 7) + u[branch]
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    return pd.DataFrame({"branch_id": branch, "x": x, "employee_sat": staff[branch], "y": y})


def best_of(fn, *args, k=3, **kw):
    times = []
    for _ in range(k):
        t = time.perf_counter()
        out = fn(*args, **kw)
        times.append(time.perf_counter() - t)
    return min(times), out


def peer(df: pd.DataFrame):
    import statsmodels.formula.api as smf

    t = time.perf_counter()
    fit = smf.mixedlm("y ~ x + employee_sat", df, groups=df["branch_id"]).fit(reml=True)
    return time.perf_counter() - t, fit


def main(argv: list[str]) -> int:
    df = answers()
    secs, r = best_of(fit_multilevel, df, "y", ["x", "employee_sat"], "branch_id")
    print(
        f"cx.fit_multilevel, {N:,} answers in {G:,} branches: {secs:.2f} s (target < {TARGET:.0f} s)"
    )
    print(r.table[["term", "estimate", "se"]].to_string(index=False))
    print(f"branch variance {r.tau():.4f}, residual {r.sigma2:.4f}")
    if "--no-peer" not in argv:
        psecs, fit = peer(df)
        print(f"statsmodels MixedLM (peer): {psecs:.2f} s ({psecs / secs:.0f}x)")
        print(fit.fe_params.to_string())
        print(f"branch variance {float(fit.cov_re.iloc[0, 0]):.4f}, residual {fit.scale:.4f}")
    if "--logistic" in argv:
        lsecs, lr = best_of(fit_multilevel, binary_answers(), "y", ["x", "employee_sat"], k=1,
                            family="binomial")  # fmt: skip
        print(f"logistic (Laplace), 100,000 answers in 500 branches: {lsecs:.2f} s")
        print(lr.table[["term", "estimate", "se"]].to_string(index=False))
    return 0 if secs < TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
