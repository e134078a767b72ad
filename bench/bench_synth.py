"""Time and peak memory to generate the synthetic world at 1,000,000 customers.

Target (issue 2): under 60 s and under 4 GB on the 2-core machine.
"""

from __future__ import annotations

import resource
import sys
import time

import cxmodels as cx

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
t = time.perf_counter()
data = cx.generate(N, seed=1)
secs = time.perf_counter() - t
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
print(
    f"generate({N:,} customers): {secs:.1f} s (target < 60 s), peak RSS {peak_gb:.2f} GB (target < 4 GB)"
)
print(
    f"  rows: customers {len(data.customers):,}, responses {len(data.responses):,}, "
    f"interactions {len(data.interactions):,}, kano {len(data.kano_answers):,}"
)
