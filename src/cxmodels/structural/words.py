"""The findings of a PLS path model in words: fit, strongest paths, mediation, measurement."""

from __future__ import annotations

import numpy as np

from .._format import (
    excludes,
    fmt_ci,
    fmt_level,
    fmt_num,
    fmt_p,
    fmt_pct,
    interval_digits,
    join_words,
    label,
)
from .._results import Findings
from ..i18n import is_english, t


def _name(c: str) -> str:
    return label(c).lower() if is_english() else label(c)


def _target(res) -> str:
    """The outcome the chain ends in: 'Loyalty' when present, else the last endogenous."""
    endo = list(res.model.endogenous)
    named = [c for c in endo if c.lower().startswith("loy")]
    return named[0] if named else endo[-1]


def _p(p: float, B: int) -> str:
    """A bootstrap p-value; at its floor ``2 / (B + 1)`` it says what the replicates allow."""
    floor = 2 / (B + 1)
    return t("structural.p_floor", floor=fmt_num(floor, 3), B=f"{B:,}") if p <= floor else fmt_p(p)


def _with_ci(est, low, high, level: float) -> str:
    """``0.42 (90% CI 0.31 to 0.52)`` at the fit's level, with the decimals that keep a bound
    from printing as 0 when the interval excludes 0."""
    d = interval_digits(low, high, 0.0)
    ci = fmt_ci(low, high, d)
    return t("structural.path_ci", est=fmt_num(est, d), level=fmt_level(level), ci=ci)


def _path_sentence(r, B: int, level: float) -> str:
    est = _with_ci(r.coef, r.ci_low, r.ci_high, level) if B else fmt_num(r.coef)
    key = "structural.path_raises" if r.coef > 0 else "structural.path_lowers"
    tail = f"{', ' if is_english() else '، '}{_p(r.p_value, B)}" if B else ""
    return t(key, source=label(r.source), target=_name(r.target), estimate=est, tail=tail)


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
        _with_ci(r["indirect"], r["indirect_ci_low"], r["indirect_ci_high"], res.level)
        if boot
        else fmt_num(r["indirect"])
    )
    pairs = set(zip(res.effects["source"], res.effects["target"]))
    via = [c for c in res.model.constructs if (r["source"], c) in pairs and (c, target) in pairs]
    return [
        t(
            "structural.mediation",
            source=_name(r["source"]),
            target=_name(target),
            total=fmt_num(r["total"]),
            direct=fmt_num(r["direct"]),
            share=fmt_pct(share),
            indirect=ind,
            via=join_words(_name(v) for v in via),
        )
    ]


def findings(res) -> Findings:
    """Findings and caveats of a :class:`PLSResult`."""
    B = res.options["bootstrap"]
    boot = B > 0
    target = _target(res)
    r2 = res.r2.set_index("construct")
    ci = fmt_ci(r2.loc[target, "ci_low"], r2.loc[target, "ci_high"], 0, True)
    ci = t("structural.explains_ci", ci=ci, level=fmt_level(res.level)) if boot else ""
    out = [t("structural.explains", r2=fmt_pct(r2.loc[target, "r2"]), target=_name(target), ci=ci)]
    out += [_path_sentence(r, B, res.level) for r in _key_paths(res, target)]
    out += _mediation(res, target)
    weak = [r for r in res.paths.itertuples() if boot and not excludes(r.ci_low, r.ci_high)]
    if weak:
        paths = join_words(f"{label(r.source)} -> {_name(r.target)}" for r in weak)
        out.append(t("structural.weak_paths", paths=paths, level=fmt_level(res.level)))
    cav = [c for ok, c in res.measurement_items() if not ok]
    if not res.converged:
        cav.append(t("structural.not_converged", n=res.n_iter))
    if res.n_dropped:
        cav.append(t("structural.dropped", n=f"{res.n_dropped:,}"))
    if not boot:
        cav.append(t("structural.no_bootstrap"))
    elif res.fit.boot["n_failed"]:
        cav.append(t("structural.boot_failed", n=res.fit.boot["n_failed"]))
    elif res.fit.boot["n_not_converged"]:
        cav.append(t("structural.boot_not_converged", n=res.fit.boot["n_not_converged"]))
    return Findings(tuple(out), tuple(cav))
