"""Findings in words, written from results objects (used by the report notebooks).

Every sentence is computed from a result: numbers come with their intervals, and cells below the
minimum n are left out of the narrative and named as caveats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _label(name: str) -> str:
    return str(name).removeprefix("attr_").replace("_", " ")


def drivers(res, pr=None, seg=None) -> tuple[list[str], list[str]]:
    """(findings, caveats) for a satisfaction-drivers analysis."""
    t = res.table
    top = t.iloc[0]
    f = [
        f"**{_label(top['driver'])}** leads: it accounts for {top['share']:.0f}% of the explained variance "
        f"of {res.outcome}"
        + (
            f" (95% interval {100 * top['ci_low'] / t['importance'].sum():.0f}-"
            f"{100 * top['ci_high'] / t['importance'].sum():.0f}%)"
            if top["ci_low"] == top["ci_low"]
            else ""
        )
        + "."
    ]
    if len(t) > 1:
        nxt = t.iloc[1]
        f.append(
            f"Next come {_label(nxt['driver'])} ({nxt['share']:.0f}%)"
            + (
                f" and {_label(t.iloc[2]['driver'])} ({t.iloc[2]['share']:.0f}%)"
                if len(t) > 2
                else ""
            )
            + "."
        )
    f.append(
        f"Together the drivers explain {'pseudo-' if res.model != 'ols' else ''}R² = {res.r2:.2f} "
        f"of the variation in {res.outcome} across {res.n:,} answers."
    )
    weak = t[(t["share"] >= t["share"].mean()) & (t["performance"] < t["performance"].mean())]
    if len(weak):
        f.append(
            "Invest first where importance is above average and performance below: "
            + ", ".join(f"**{_label(d)}**" for d in weak["driver"])
            + "."
        )
    if pr is not None:
        cls = pr.table.set_index("driver")["classification"]
        basic = [_label(d) for d in cls.index[cls == "basic"]]
        exc = [_label(d) for d in cls.index[cls == "excitement"]]
        if basic:
            f.append(
                f"{', '.join(basic)} behave{'s' if len(basic) == 1 else ''} as a basic factor: poor ratings "
                "cost satisfaction, excellent ones add little (fix to standard, don't over-invest)."
            )
        if exc:
            f.append(
                f"{', '.join(exc)} behave{'s' if len(exc) == 1 else ''} as an excitement factor: excellent "
                "ratings lift satisfaction, poor ones cost little."
            )
    if seg is not None:
        d = seg.table.dropna(subset=["diff_low"])
        sig = d[(d["diff_low"] > 0) | (d["diff_high"] < 0)]
        for _, r in sig.sort_values("diff", key=np.abs, ascending=False).head(3).iterrows():
            f.append(
                f"In {r['segment']}, {_label(r['driver'])} carries {r['diff']:+.0f} points more share than in "
                f"{seg.reference} ({r['diff_low']:+.0f} to {r['diff_high']:+.0f})."
            )
    c = list(res.warnings)
    if res.n_dropped:
        c.append(f"{res.n_dropped:,} answers with a missing rating were left out.")
    return f, c


def churn(km_nps, cox, ev, unit: str, horizon: float) -> tuple[list[str], list[str]]:
    """(findings, caveats) for the churn report."""
    from .churn import hazard_ratio_sentence

    f, c = [], []
    if km_nps is not None:
        at = km_nps.survival_at([horizon])
        if len(at) > 1:
            best, worst = at.loc[at["survival"].idxmax()], at.loc[at["survival"].idxmin()]
            f.append(
                f"After {horizon:g} {unit}, {100 * best['survival']:.0f}% of {best['group']}s are still "
                f"customers against {100 * worst['survival']:.0f}% of {worst['group']}s."
            )
    unit_adj = {"days": "daily", "weeks": "weekly", "months": "monthly", "years": "yearly"}[unit]
    t = cox.table.set_index("covariate")
    for cov in t.index:
        if cox.model == "cox" and t.loc[cov, "p_value"] < 0.05:
            f.append(hazard_ratio_sentence(cox, cov, unit_adj).capitalize() + ".")
    if ev is not None:
        f.append(
            f"Out of sample the model ranks customers correctly {100 * ev.concordance:.0f}% of the time "
            f"(concordance); its Brier score at {horizon:g} {unit} is {ev.brier:.3f} against "
            f"{ev.brier_null:.3f} for a model that knows nothing."
        )
        gap = (ev.table["predicted"] - ev.table["observed"]).abs().max()
        if gap > 0.05:
            c.append(f"Calibration is off by up to {100 * gap:.0f} points in some risk deciles.")
    if cox.events < 10 * max(1, len(cox.design_columns)):
        c.append(
            f"Only {cox.events} churn events for {len(cox.design_columns)} coefficients: estimates are rough."
        )
    return f, c


def kano(res) -> tuple[list[str], list[str]]:
    """(findings, caveats) for a Kano analysis: must-be gaps first, then one-dimensional, then attractive."""
    t = res.table
    if res.groups:
        t = t.groupby("feature", as_index=False).agg(
            category=("category", lambda s: s.mode().iloc[0]),
            better=("better", "mean"),
            worse=("worse", "mean"),
        )
    f = []
    for cat, verb in (
        (
            "M",
            "are must-be: customers expect them; absence angers, presence goes unnoticed. "
            "Secure these first",
        ),
        ("O", "are one-dimensional: the better they are, the more satisfied customers are"),
        ("A", "are attractive: they delight when present and are not missed when absent"),
        ("I", "leave customers indifferent: low priority"),
        ("R", "are reverse: some customers would rather not have them"),
    ):
        feats = t.loc[t["category"] == cat].sort_values("worse")["feature"].tolist()
        if feats:
            f.append(f"{', '.join(f'**{_label(x)}**' for x in feats)} {verb}.")
    c = list(res.notes)
    if "stability" in res.table:
        shaky = res.table[res.table["stability"] < 0.8]
        for _, r in shaky.iterrows():
            where = f" ({', '.join(str(r[g]) for g in res.groups)})" if res.groups else ""
            c.append(
                f"The call for {_label(r['feature'])}{where} is unstable: {r['category']} wins only "
                f"{100 * r['stability']:.0f}% of bootstrap replicates."
            )
    if res.segment_tests is not None:
        diff = res.segment_tests[res.segment_tests["p_value"] < 0.01]
        for _, r in diff.iterrows():
            f.append(
                f"Segments differ on **{_label(r['feature'])}** (chi-square p = {r['p_value']:.1g}): "
                f"{r['categories']}."
            )
    return f, c


def overview(
    kpis: pd.DataFrame, by_segment: pd.DataFrame | None = None
) -> tuple[list[str], list[str]]:
    f, c = [], []
    for _, r in kpis.iterrows():
        s = f"{r['label']} in {r['wave']}: **{r['value']:.1f}** (95% CI {r['ci_low']:.1f} to {r['ci_high']:.1f}, n = {int(r['n']):,})"
        if "change_p" in r and r["change_p"] == r["change_p"]:
            moved = "a significant change" if r["change_p"] < 0.05 else "no significant change"
            s += f"; {r['change']:+.1f} against the previous wave, {moved}"
        f.append(s + ".")
    if by_segment is not None:
        ok = by_segment[~by_segment["small"]]
        if len(ok) > 1:
            hi, lo = ok.loc[ok["value"].idxmax()], ok.loc[ok["value"].idxmin()]
            f.append(
                f"NPS is highest in {hi.iloc[0]} ({hi['value']:.0f}) and lowest in {lo.iloc[0]} ({lo['value']:.0f})."
            )
        small = by_segment[by_segment["small"]]
        if len(small):
            c.append(
                f"{len(small)} cell(s) with fewer answers than the minimum are not interpreted."
            )
    return f, c
