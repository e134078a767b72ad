"""Time and peak memory to generate the synthetic world at 1,000,000 customers.

Target (issue 2): under 60 s and under 4 GB on the 2-core machine, for the default world and
for the world with the purchase history (``purchases=True``, issue 16). Each world is built in
its own child process, so each peak RSS is its own. Prints measured / target / ratio and exits
1 when a target is missed.

Usage: ``python bench/bench_synth.py [N]``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

TARGET_S, TARGET_GB = 60.0, 4.0


def child(n: int, purchases: bool) -> None:
    import cxmodels as cx

    t = time.perf_counter()
    data = cx.generate(n, seed=1, purchases=purchases)
    secs = time.perf_counter() - t
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    rows = {k: len(getattr(data, k)) for k in ("customers", "responses", "interactions")}
    print(json.dumps({"secs": secs, "peak_gb": peak_gb, **rows}))


def main(n: int) -> int:
    failed = False
    for purchases in (False, True):
        out = subprocess.run(
            [sys.executable, __file__, str(n), "--child", str(int(purchases))],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ok = r["secs"] < TARGET_S and r["peak_gb"] < TARGET_GB
        failed |= not ok
        name = "with purchases" if purchases else "default"
        print(
            f"generate({n:,} customers, {name}): {r['secs']:.1f} s (target < {TARGET_S:.0f} s; "
            f"ratio {r['secs'] / TARGET_S:.2f}), peak RSS {r['peak_gb']:.2f} GB (target < "
            f"{TARGET_GB:.0f} GB; ratio {r['peak_gb'] / TARGET_GB:.2f}) {'ok' if ok else 'MISSED'}"
        )
        print(
            f"  rows: customers {r['customers']:,}, responses {r['responses']:,}, "
            f"interactions {r['interactions']:,}"
        )
    return int(failed)


if __name__ == "__main__":
    N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if "--child" in sys.argv:
        child(N, bool(int(sys.argv[sys.argv.index("--child") + 1])))
    else:
        sys.exit(main(N))
