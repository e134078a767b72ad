"""Speed of the presentation layer (issue 14): what a report calls for every table and figure.

- display_table of a 2,000 x 20 result table (HTML): < 1.5 s, beside pandas' own
  ``Styler.format(precision=3).to_html()`` of the same table in the same process
- export_tables of a report-sized workbook (10 tables of 100 x 20): < 3 s; and of five
  2,000 x 20 tables at most 2.5 x pandas' own ``DataFrame.to_excel`` (openpyxl, which writes
  no formats, labels or cover) of the same tables: openpyxl's XML writer is the floor
- Better-Worse map with 50 labelled features, placed without overlaps and rendered: < 4 s

Prints measured / target / ratio and exits non-zero when a target is missed (best of 3).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import cxmodels as cx  # noqa: E402
from cxmodels import plots  # noqa: E402


def best(fn, k=3):
    out = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


rng = np.random.default_rng(0)
n = 2000
table = pd.DataFrame(
    {
        "driver": [f"attr_driver_{i}" for i in range(n)],
        "coef": rng.normal(0, 0.3, n),
        "se": rng.uniform(0.01, 0.05, n),
        "p_value": rng.uniform(0, 1, n) ** 8,
        "share": rng.uniform(0, 1, n),
        "n_treated": rng.integers(100, 50_000, n),
        "hr": np.exp(rng.normal(0, 0.3, n)),
        "significant": rng.random(n) < 0.5,
    }
)
table["hr_low"], table["hr_high"] = table["hr"] * 0.9, table["hr"] * 1.1
for i in range(9):
    table[f"metric_{i}"] = rng.normal(0, 10, n)
table["ci_low"], table["ci_high"] = table["coef"] - 0.1, table["coef"] + 0.1

kano = pd.DataFrame(
    {
        "feature": [f"feature with a long name number {i}" for i in range(50)],
        "better": rng.uniform(0.1, 0.9, 50),
        "worse": -rng.uniform(0.1, 0.9, 50),
        "category": rng.choice(list("MOAIRQ"), 50),
    }
)


def figure():
    ax = plots.kano_better_worse(kano)
    ax.figure.savefig(Path(tmp) / "bw.png")
    plt.close(ax.figure)


with tempfile.TemporaryDirectory() as tmp:
    rows = [
        ("display_table 2,000 x 20 to HTML", lambda: cx.display_table(table).to_html(), 1.5),
        (
            "export_tables 10 x (100 x 20) to .xlsx",
            lambda: cx.export_tables(
                {f"t{i}": table.head(100) for i in range(10)}, Path(tmp) / "r.xlsx"
            ),
            3.0,
        ),
        ("Better-Worse map, 50 placed labels, rendered", figure, 4.0),
    ]
    peer = best(lambda: table.style.format(precision=3).to_html())

    def xl_peer():
        with pd.ExcelWriter(Path(tmp) / "p.xlsx", engine="openpyxl") as w:
            for i in range(5):
                table.to_excel(w, sheet_name=f"t{i}", index=False)

    peer_xl = best(xl_peer)
    failed = False
    for name, fn, target in rows:
        s = best(fn)
        failed |= s > target
        print(f"{name}: {s:.2f} s / target {target:.1f} s / ratio {s / target:.2f}")
    print(f"  peer: pandas Styler.format(precision=3).to_html() of the same table: {peer:.2f} s")
    big = best(lambda: cx.export_tables({f"t{i}": table for i in range(5)}, Path(tmp) / "b.xlsx"))
    ratio = big / peer_xl
    failed |= ratio > 2.5
    print(
        f"export_tables 5 x (2,000 x 20): {big:.2f} s / pandas to_excel {peer_xl:.2f} s "
        f"/ ratio {ratio:.2f} (target <= 2.5)"
    )
sys.exit(1 if failed else 0)
