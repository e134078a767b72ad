"""Speed of PLS path modelling (issue 15 targets), beside seminr-py when it is installed.

- ECSI model (7 constructs, 24 items), 10,000 respondents, 1,000 bootstrap replicates: < 20 s
- the same model, 1,000,000 respondents, no bootstrap: < 10 s

Exits non-zero when a target is missed.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from cxmodels.data.chain import ECSI_SYNTAX, chain_items
from cxmodels.structural import fit_pls


def items(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    df, _ = chain_items(rng.normal(size=n), rng)
    return df


def timed(f, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def peer_seminr(df, n_boot: int):
    """seminr-py 0.2.1 (GPL-3, test extra) on the same model, or None when not installed."""
    try:
        import seminr as sm
    except ImportError:
        return None
    from cxmodels.structural import parse

    m = parse(ECSI_SYNTAX)
    mm = sm.constructs(*(sm.composite(c, list(m.measurement[c])) for c in m.constructs))
    sm_ = sm.relationships(*(sm.paths(from_=a, to=[b]) for a, b in m.paths))

    def run():
        model = sm.estimate_pls(df, mm, sm_)
        if n_boot:
            sm.bootstrap_model(model, nboot=n_boot, seed=1)

    return run


def main() -> int:
    ok = True
    small = items(10_000)
    s = timed(lambda: fit_pls(small, ECSI_SYNTAX, bootstrap=1000, seed=1))
    ok &= s < 20
    print(
        f"ECSI 10,000 x 24, 1,000 bootstrap replicates: {s:.2f} s (target < 20 s, "
        f"ratio {s / 20:.2f})"
    )
    big = items(1_000_000, seed=1)
    s = timed(lambda: fit_pls(big, ECSI_SYNTAX), repeat=2)
    ok &= s < 10
    print(f"ECSI 1,000,000 x 24, no bootstrap: {s:.2f} s (target < 10 s, ratio {s / 10:.2f})")
    peer = peer_seminr(small, 0)
    if peer is not None:
        p = timed(peer)
        ours = timed(lambda: fit_pls(small, ECSI_SYNTAX))
        print(f"peer seminr-py 0.2.1, ECSI 10,000 x 24, one fit: {p:.2f} s; cxmodels {ours:.3f} s")
        pb = peer_seminr(small, 50)
        p50 = timed(pb)
        ours50 = timed(lambda: fit_pls(small, ECSI_SYNTAX, bootstrap=50, seed=1))
        print(f"peer seminr-py, 50 bootstrap replicates: {p50:.2f} s; cxmodels {ours50:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
