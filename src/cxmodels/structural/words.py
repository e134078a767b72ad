"""The findings of a PLS path model in words: fit, strongest paths, mediation, measurement."""

from __future__ import annotations

import numpy as np

from .._format import fmt_ci, fmt_est, fmt_num, fmt_p, fmt_pct, join_words, label
from .._results import Findings


def _name(c: str) -> str:
    return label(c).lower()


def _target(res) -> str:
    """The outcome the chain ends in: 'Loyalty' when present, else the last endogenous."""
    endo = list(res.model.endogenous)
    named = [c for c in endo if c.lower().startswith("loy")]
    return named[0] if named else endo[-1]


def _p(p: float, B: int) -> str:
    """A bootstrap p-value; at its floor ``2 / (B + 1)`` it says what the replicates allow."""
    floor = 2 / (B + 1)
    return (
        f"p <= {fmt_num(floor, 3)} (all {B:,} replicates on one side)" if p <= floor else fmt_p(p)
    )


def _path_sentence(r, B: int) -> str:
    est = fmt_est(r.coef, r.ci_low, r.ci_high) if B else fmt_num(r.coef)
    verb = "raises" if r.coef > 0 else "lowers"
    tail = f", {_p(r.p_value, B)}" if B else ""
    return f"{label(r.source)} {verb} {_name(r.target)} by {est} SD per SD{tail}."


def _key_paths(res, target: str) -> list:
    """Paths into the target (largest first), then the largest path elsewhere in the chain."""
    p = res.paths.assign(size=res.paths["coef"].abs()).sort_values("size", ascending=False)
    into = p[p["target"] == target].head(3)
    rest = p[p["target"] != target].head(1)
    return list(into.itertuples()) + list(rest.itertuples())


def _mediation(res, target: str) -> list[str]:
    e = res.effects[(res.effects["target"] == target) & (res.effects["indirect"].abs() > 0)]
    if e.empty:
        return []
    r = e.loc[e["total"].abs().idxmax()]
    share = r["direct"] / r["total"] if r["total"] else np.nan
    boot = np.isfinite(r["indirect_ci_low"])
    ind = (
        fmt_est(r["indirect"], r["indirect_ci_low"], r["indirect_ci_high"])
        if boot
        else fmt_num(r["indirect"])
    )
    pairs = set(zip(res.effects["source"], res.effects["target"]))
    via = [c for c in res.model.constructs if (r["source"], c) in pairs and (c, target) in pairs]
    return [
        f"Of {_name(r['source'])}'s total effect on {_name(target)} "
        f"({fmt_num(r['total'])}), {fmt_num(r['direct'])} runs directly "
        f"({fmt_pct(share)}) and {ind} through {join_words(_name(v) for v in via)}."
    ]


def findings(res) -> Findings:
    """Findings and caveats of a :class:`PLSResult`."""
    B = res.options["bootstrap"]
    boot = B > 0
    target = _target(res)
    r2 = res.r2.set_index("construct")
    out = [
        f"The model explains {fmt_pct(r2.loc[target, 'r2'])} of the variance in "
        f"{_name(target)}"
        + (
            f" (95% CI {fmt_ci(r2.loc[target, 'ci_low'], r2.loc[target, 'ci_high'], 0, True)})"
            if boot
            else ""
        )
        + "."
    ]
    out += [_path_sentence(r, B) for r in _key_paths(res, target)]
    out += _mediation(res, target)
    weak = res.paths[res.paths["p_value"] >= 0.05] if boot else res.paths.iloc[:0]
    if len(weak):
        out.append(
            "Not distinguishable from zero at the 5% level: "
            + join_words(f"{label(r.source)} -> {_name(r.target)}" for r in weak.itertuples())
            + "."
        )
    cav = [c for c in res.measurement_checks() if not c.startswith(("All", "No ", "Every"))]
    if not res.converged:
        cav.append(f"The algorithm did not converge in {res.n_iter} iterations.")
    if res.n_dropped:
        cav.append(f"{res.n_dropped:,} rows with missing items were dropped (listwise).")
    if not boot:
        cav.append("No bootstrap: paths have no intervals or p-values (use bootstrap=1000).")
    elif res.fit_.boot["n_failed"]:
        cav.append(
            f"{res.fit_.boot['n_failed']} bootstrap replicates could not be estimated "
            "(singular resamples) and were left out of the intervals."
        )
    elif res.fit_.boot["n_not_converged"]:
        cav.append(f"{res.fit_.boot['n_not_converged']} bootstrap replicates did not converge.")
    return Findings(tuple(out), tuple(cav))
