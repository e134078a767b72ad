"""Write the pinned outputs of Kano, metrics and effects (issue 11: "every number must not change").

Run from the repository root: ``.venv/bin/python tests/reference/make_kme_pinned.py``. The
values were produced by the code on main before the redesign (commit 25ac991) and are compared
by tests/test_kme_pinned.py. Regenerate only when an issue asks for a number to change, and say
which and why in the commit message.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

OUT = Path(__file__).with_name("kme_pinned")


def world():
    import cxmodels as cx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(3000, seed=3))


def outputs(w) -> dict[str, pd.DataFrame]:
    """Every pinned public output on the small synthetic world, by name."""
    import cxmodels as cx
    from cxmodels import effects, kano, metrics

    out: dict[str, pd.DataFrame] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = kano.analyze_kano(w.kano_answers, bootstrap=40, seed=1, min_n=0)
        out["kano"] = k.table
        out["kano_quality"] = k.respondent_quality
        ks = kano.analyze_kano(w.kano_answers, segment="segment", bootstrap=30, seed=2, min_n=0)
        out["kano_segment"] = ks.table
        out["kano_segment_tests"] = ks.segment_tests
        out["kano_moai_pouliot"] = kano.analyze_kano(
            w.kano_answers, rule="moai", table="pouliot", min_n=0
        ).table
        a = w.kano_answers.head(50)
        out["classify"] = pd.DataFrame(
            {"category": kano.classify(a["functional"], a["dysfunctional"])}
        )
        r = w.responses
        out["nps"] = cx.nps(r["nps"]).table
        out["nps_boot"] = cx.nps(r["nps"], method="bootstrap", n_boot=300, seed=1).table
        out["nps_weighted"] = cx.nps(r["nps"], weights=r["overall_sat"]).table
        out["csat"] = cx.csat(r["csat"]).table
        out["ces"] = cx.ces(r["ces"]).table
        out["by"] = metrics.by(w, "nps", ["segment", "wave"])
        out["by_csat"] = metrics.by(w, "csat", "wave")
        out["change"] = metrics.change(w, "overall_sat")
        out["change_by"] = metrics.change(w, "nps", by_col="segment")
        out["kpis"] = metrics.kpis(w)
        for outcome in ("overall_sat", "churn_within"):
            e = effects.follow_up_effect(w, outcome=outcome, bootstrap=30, seed=1)
            out[f"effect_{outcome}"] = e.table
            out[f"effect_{outcome}_balance"] = e.balance
        out["effect_by_channel"] = effects.effect_by_channel(w, bootstrap=10)
        out["response_time"] = effects.response_time_effect(w).table
        out["channel_mix"] = effects.channel_mix(w.interactions)
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[2] / "src"))
    OUT.mkdir(exist_ok=True)
    for name, t in outputs(world()).items():
        t.to_csv(OUT / f"{name}.csv", index=False, float_format="%.17g")
        print(name, t.shape)
