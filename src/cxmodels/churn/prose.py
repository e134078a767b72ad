"""The sentences of the churn results (``findings()``), in one place, through ``_format``.

Binary covariates read as groups ("customers with club membership churn 27% less often"),
categorical levels against their reference, numbers "per point"; labels, never column names.
"""

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
from ..i18n import is_english, t

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
        return t("churn.who_with", x=label(term, LABELS)), t("churn.ref_without")
    ref = res.design.levels[term][0]
    return (  # levels through the label layer: "small business", not "small_business"
        t("churn.who_in", term=label(term), level=label(level)),
        t("churn.ref_in", term=label(term), level=label(ref)),
    )


def _column_label(res, column: str) -> str:
    """A design column as the reader's words (levels labelled too outside English)."""
    if is_english() or res.design.level_of(column) is None:
        return res.design.label(column)
    return f"{label(res.design.term_of(column))} {label(res.design.level_of(column))}"


def _often(ratio: float, long: bool = False) -> str:
    if ratio >= 2:
        return t("churn.times_long" if long else "churn.times", x=fmt_num(ratio, 1))
    more, less = (
        ("churn.longer", "churn.shorter") if long else ("churn.more_often", "churn.less_often")
    )
    return t(more if ratio > 1 else less, x=fmt_pct(abs(ratio - 1)))


def _bracket(name: str, est, lo, hi, p, level: float) -> str:
    """``(hazard ratio 0.84, 95% CI 0.80 to 0.88; p < 0.001)`` at the result's level, with
    the decimals that keep a bound from printing as 1 when the interval excludes 1."""
    d = interval_digits(lo, hi, 1.0)
    return t(
        "churn.bracket",
        name=name,
        est=fmt_num(est, d),
        level=fmt_level(level),
        ci=fmt_ci(lo, hi, d),
        p=fmt_p(p),
    )


def _cap(s: str) -> str:
    """``str.capitalize`` in English (as 0.1 wrote it); other scripts have no capitals."""
    return s.capitalize() if is_english() else s


def _clear_rows(res, name: str, est: str, lo: str, hi: str):
    """(column, row, bracket) for each covariate whose interval at the result's level
    excludes a ratio of 1, and the labels of the others."""
    clear, unclear = [], []
    level = 1 - res.alpha
    for _, r in res.table.iterrows():  # loop over a few covariates
        col = r["covariate"]
        if excludes(r[lo], r[hi], 1.0):
            b = _bracket(name, r[est], r[lo], r[hi], r["p_value"], level)
            clear.append((col, r, b))
        else:
            unclear.append(_column_label(res, col))
    return clear, unclear


def hazard_findings(res) -> list[str]:
    """One sentence per clear hazard ratio (interval at the result's level excludes 1) and
    one naming the unclear ones."""
    clear, unclear = _clear_rows(res, t("churn.name.hr"), "hr", "hr_low", "hr_high")
    out = []
    for col, r, b in clear:
        if _is_binary(res, col):
            who, ref = _who(res, col)
            often = _often(r["hr"])
            out.append(t("churn.hazard_binary", who=_cap(who), often=often, ref=ref, bracket=b))
        else:
            key = "churn.hazard_raises" if r["hr"] > 1 else "churn.hazard_lowers"
            pct = fmt_pct(abs(r["hr"] - 1))
            out.append(t(key, x=_column_label(res, col), pct=pct, bracket=b))
    if unclear:
        level = fmt_level(1 - res.alpha)
        out.append(t("churn.hazard_unclear", names=join_words(unclear), level=level))
    return out


def time_ratio_findings(res) -> list[str]:
    """AFT: time ratios, 'stay 18% longer'."""
    clear, unclear = _clear_rows(res, t("churn.name.tr"), "time_ratio", "tr_low", "tr_high")
    out = []
    for col, r, b in clear:
        longer = _often(r["time_ratio"], long=True)
        if _is_binary(res, col):
            who, ref = _who(res, col)
            out.append(t("churn.tr_binary", who=_cap(who), longer=longer, ref=ref, bracket=b))
        else:
            x = _column_label(res, col)
            out.append(t("churn.tr_numeric", x=x, longer=longer, bracket=b))
    if unclear:
        level = fmt_level(1 - res.alpha)
        out.append(t("churn.tr_unclear", names=join_words(unclear), level=level))
    return out


def hazard_ratio_sentence(result, covariate: str, unit_label: str = "", per: str = "point") -> str:
    """'each extra point of overall satisfaction lowers the monthly churn hazard by 16% (12% to
    19%)' (kept for :mod:`cxmodels.narrative`; ``findings()`` has the full sentences). The
    interval has the decimals that keep a bound from reading 0% when it excludes no effect."""
    r = result.table.set_index("covariate").loc[covariate]
    lo, hi = sorted([r["hr_low"] - 1, r["hr_high"] - 1])
    spans_one = not excludes(r["hr_low"], r["hr_high"], 1.0)
    if not spans_one:
        lo, hi = sorted([abs(lo), abs(hi)])
    d = interval_digits(100 * lo, 100 * hi, 0.0, 0)
    if result.design.level_of(covariate) is not None:
        what = _column_label(result, covariate)
    elif _is_binary(result, covariate):
        what = label(result.design.term_of(covariate), LABELS)
    else:
        what = t("churn.hr_s.per", per=per, x=_column_label(result, covariate))
    return t(
        "churn.hr_s.lowers" if r["hr"] < 1 else "churn.hr_s.raises",
        what=what,
        unit=f"{unit_label} " if unit_label else "",
        pct=fmt_pct(abs(r["hr"] - 1)),
        interval=fmt_ci(lo, hi, d, pct=True, signed=spans_one),
        tail=t("churn.hr_s.no_effect") if spans_one else "",
    )


def stratify_message(cats: list[str], nums: list[str]) -> str:
    msg = []
    if cats:
        names = join_words(label(c) for c in cats)
        key = "churn.stratify_cats_one" if len(cats) == 1 else "churn.stratify_cats_many"
        msg.append(t(key, names=names))
    if nums:
        msg.append(t("churn.stratify_nums", names=join_words(label(c) for c in nums)))
    return " ".join(msg) or t("churn.stratify_none")


def ph_advice(term: str, categorical: bool, violated: bool) -> str:
    if not violated:
        return t("churn.ph_ok")
    if term == "GLOBAL":
        return t("churn.ph_global")
    if categorical:
        return t("churn.ph_categorical")
    return t("churn.ph_numeric")
