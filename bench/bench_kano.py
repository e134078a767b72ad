"""Speed of Kano analysis beside a numpy floor, in one process (issue 18).

- ``analyze_kano`` on 20,000,000 answer pairs (1,000,000 respondents x 20 features, small
  integer answers, categorical features): at most 2x the floor, a numpy lookup table plus one
  ``bincount`` per (feature, category) written below -- the least any Kano classification
  with counts must do.
- 1,000 bootstrap replicates, 2,000 respondents x 10 features: < 10 s (issue 5).

Best of three runs for each side; prints measured time, floor, ratio and target; exits 1 when
a target is missed.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from cxmodels.kano import _STD, CATS, analyze_kano

N_RESP, N_FEAT, RATIO_TARGET, BOOT_TARGET = 1_000_000, 20, 2.0, 10.0


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


LUT = np.array([CATS.index(c) for row in _STD for c in row], dtype=np.intp)


def floor(df: pd.DataFrame) -> np.ndarray:
    """The floor: category by a 25-entry lookup, counts per (feature, category) by bincount."""
    f = df["functional"].to_numpy()
    d = df["dysfunctional"].to_numpy()
    feat = df["feature"].cat.codes.to_numpy()
    cat = LUT[(f - 1) * 5 + (d - 1)]
    n_feat = len(df["feature"].cat.categories)
    return np.bincount(feat * 6 + cat, minlength=n_feat * 6).reshape(n_feat, 6)


def best_of(fn, *args, k=3, **kw):
    times = []
    for _ in range(k):
        t = time.perf_counter()
        out = fn(*args, **kw)
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> int:
    big = answers(N_RESP, N_FEAT)
    t_floor, counts = best_of(floor, big)
    t_ours, res = best_of(analyze_kano, big)
    same = np.array_equal(res.table[list(CATS)].to_numpy(), counts)
    ratio = t_ours / t_floor
    ok1 = ratio <= RATIO_TARGET and same
    print(
        f"analyze_kano, {N_RESP:,} respondents x {N_FEAT} features: {t_ours:.2f} s; "
        f"numpy floor {t_floor:.2f} s; ratio {ratio:.2f}x (target <= {RATIO_TARGET:g}x); "
        f"counts equal the floor's: {same} {'OK' if ok1 else 'MISS'}"
    )
    small = answers(2000, 10, seed=1)
    t_boot, _ = best_of(analyze_kano, small, bootstrap=1000, seed=1, min_n=0)
    ok2 = t_boot < BOOT_TARGET
    print(
        f"1,000 bootstrap replicates, 2,000 respondents x 10 features: {t_boot:.2f} s "
        f"(target < {BOOT_TARGET:g} s) {'OK' if ok2 else 'MISS'}"
    )
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
