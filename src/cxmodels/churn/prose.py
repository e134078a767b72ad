"""The sentences of the churn results (``findings()``), in one place, through ``_format``.

Binary covariates read as groups ("customers with club membership churn 27% less often"),
categorical levels against their reference, numbers "per point"; labels, never column names.
"""

from __future__ import annotations

import numpy as np

from .._format import fmt_ci, fmt_num, fmt_p, fmt_pct, join_words, label

UNIT_ADJ = {"days": "daily", "weeks": "weekly", "months": "monthly", "years": "yearly"}
#: How the churn sentences name binary covariates ("customers with ...").
LABELS = {"followed_up": "a follow-up contact", "loyalty_member": "club membership"}


def _is_binary(res, column: str) -> bool:
    if res.design.level_of(column) is not None:
        return True
    j = res.design.columns.index(column)
    v = np.unique(res.design.X[:, j])
    return len(v) <= 2 and set(v.tolist()) <= {0.0, 1.0}


def _who(res, column: str) -> tuple[str, str | None]:
    """('customers with club membership', None) or ('customers in segment premium', 'segment consumer')."""
    term = res.design.term_of(column)
    level = res.design.level_of(column)
    if level is None:
        return f"customers with {label(term, LABELS)}", "those without"
    ref = res.design.levels[term][0]
    return f"customers in {label(term)} {level}", f"those in {label(term)} {ref}"


def _often(ratio: float, more: str = "more often", less: str = "less often") -> str:
    if ratio >= 2:
        return f"{fmt_num(ratio, 1)} times as often"
    return f"{fmt_pct(abs(ratio - 1))} {more if ratio > 1 else less}"


def _bracket(name: str, est, lo, hi, p) -> str:
    return f"({name} {fmt_num(est)}, 95% CI {fmt_ci(lo, hi)}; {fmt_p(p)})"


def _clear_rows(res, name: str, est: str, lo: str, hi: str):
    """(column, row, bracket) for each clear covariate (p < 0.05), and the unclear labels."""
    clear, unclear = [], []
    for _, r in res.table.iterrows():  # loop over a few covariates
        col = r["covariate"]
        if r["p_value"] < 0.05:
            clear.append((col, r, _bracket(name, r[est], r[lo], r[hi], r["p_value"])))
        else:
            unclear.append(res.design.label(col))
    return clear, unclear


def hazard_findings(res) -> list[str]:
    """One sentence per clear hazard ratio (p < 0.05) and one naming the unclear ones."""
    clear, unclear = _clear_rows(res, "hazard ratio", "hr", "hr_low", "hr_high")
    out = []
    for col, r, b in clear:
        if _is_binary(res, col):
            who, ref = _who(res, col)
            out.append(f"{who.capitalize()} churn {_often(r['hr'])} than {ref} {b}.")
        else:
            verb = "raises" if r["hr"] > 1 else "lowers"
            out.append(
                f"Each extra point of {res.design.label(col)} {verb} the churn hazard by "
                f"{fmt_pct(abs(r['hr'] - 1))} {b}."
            )
    if unclear:
        out.append(
            f"No clear association with churn for {join_words(unclear)} (95% intervals include "
            "a hazard ratio of 1)."
        )
    return out


def time_ratio_findings(res) -> list[str]:
    """AFT: time ratios, 'stay 18% longer'."""
    clear, unclear = _clear_rows(res, "time ratio", "time_ratio", "tr_low", "tr_high")
    out = []
    for col, r, b in clear:
        longer = _often(r["time_ratio"], "longer", "shorter").replace("as often", "as long")
        if _is_binary(res, col):
            who, ref = _who(res, col)
            out.append(f"{who.capitalize()} stay {longer} than {ref} before churning {b}.")
        else:
            out.append(
                f"Each extra point of {res.design.label(col)} makes customers stay {longer} "
                f"before churning {b}."
            )
    if unclear:
        out.append(f"No clear association with the time to churn for {join_words(unclear)}.")
    return out


def hazard_ratio_sentence(result, covariate: str, unit_label: str = "", per: str = "point") -> str:
    """'each extra point of overall satisfaction lowers the monthly churn hazard by 16% (95% CI
    12% to 19%)' (kept for :mod:`cxmodels.narrative`; ``findings()`` has the full sentences)."""
    r = result.table.set_index("covariate").loc[covariate]
    lo, hi = sorted([r["hr_low"] - 1, r["hr_high"] - 1])
    verb = "lowers" if r["hr"] < 1 else "raises"
    spans_one = r["hr_low"] < 1 < r["hr_high"]
    if spans_one:
        interval = f"{fmt_pct(lo, signed=True)} to {fmt_pct(hi, signed=True)}"
    else:
        a, b = sorted([abs(lo), abs(hi)])
        interval = f"{fmt_pct(a)} to {fmt_pct(b)}"
    if result.design.level_of(covariate) is not None:
        what = result.design.label(covariate)
    elif _is_binary(result, covariate):
        what = label(result.design.term_of(covariate), LABELS)
    else:
        what = f"each extra {per} of {result.design.label(covariate)}"
    hazard = f"the {unit_label + ' ' if unit_label else ''}churn hazard"
    s = f"{what} {verb} {hazard} by {fmt_pct(abs(r['hr'] - 1))} ({interval})"
    return s + ("; the interval includes no effect" if spans_one else "")


def stratify_message(cats: list[str], nums: list[str]) -> str:
    msg = []
    if cats:
        names = join_words(label(c) for c in cats)
        msg.append(
            f"Proportional hazards fail for {names}: refitted with "
            f"{'it' if len(cats) == 1 else 'them'} as strata (separate baseline hazards)."
        )
    if nums:
        msg.append(
            f"The effect of {join_words(label(c) for c in nums)} changes over time; read its "
            "hazard ratio as an average over follow-up, or add an interaction with time."
        )
    return " ".join(msg) or "No covariate breaks proportional hazards; the model is kept as fitted."


def ph_advice(term: str, categorical: bool, violated: bool) -> str:
    if not violated:
        return "no evidence against proportional hazards"
    if term == "GLOBAL":
        return "at least one covariate breaks proportional hazards: see the rows above"
    if categorical:
        return "hazard ratio changes over time: stratify on it (strata=[...])"
    return "hazard ratio changes over time: read it as an average, or add a time interaction"
