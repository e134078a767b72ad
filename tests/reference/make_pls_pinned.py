"""Write the pinned PLS bootstrap outputs (issue 11: the bootstrap moved to ``_bootstrap``).

Run from the repository root: ``.venv/bin/python tests/reference/make_pls_pinned.py``. The
values were produced by the code before the PLS replicates were drawn through
``cxmodels._bootstrap`` (branch arch2, commit before "PLS replicates through _bootstrap") and are
compared by tests/test_pls_pinned.py. Regenerate only when an issue asks for a number to change.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

OUT = Path(__file__).with_name("pls_pinned.csv")


def outputs() -> pd.DataFrame:
    """Paths, R², loadings and total effects with bootstrap intervals, stacked with a ``part``."""
    import cxmodels as cx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cx.validate(cx.generate(3000, seed=3))
        res = cx.fit_pls(w, w.truth["chain"]["syntax"], bootstrap=60, seed=5)
        idx = res.index(res.model.constructs[-1], by="segment")
    parts = {
        "paths": res.paths,
        "r2": res.r2,
        "loadings": res.loadings,
        "effects": res.effects,
        "index": idx if isinstance(idx, pd.DataFrame) else idx.table,
    }
    return pd.concat([t.assign(part=k) for k, t in parts.items()], ignore_index=True)


if __name__ == "__main__":
    outputs().to_csv(OUT, index=False, float_format="%.17g")
    print(f"wrote {OUT}")
