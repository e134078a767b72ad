"""Formatting of numbers and names for people: one place for prose, tables and figures.

Every sentence a result writes (``findings()``) and every table a report shows formats its
numbers through these helpers, so a p-value, an interval or a share reads the same everywhere
(and a second language or digit set is changed in one place).
"""

from __future__ import annotations

import math

import numpy as np

#: Human labels for contract columns; drivers ``attr_x_y`` read as "x y".
LABELS: dict[str, str] = {
    "overall_sat": "overall satisfaction",
    "nps": "likelihood to recommend (NPS)",
    "csat": "CSAT",
    "ces": "customer effort (CES)",
    "loyalty_member": "club membership",
    "segment": "segment",
    "region": "region",
    "tenure_days": "tenure",
    "churn_within": "churn within the horizon",
}


def label(name: str, labels: dict[str, str] | None = None) -> str:
    """A column or driver name as a reader would say it (codebook labels first)."""
    name = str(name)
    if labels and name in labels:
        return labels[name]
    if name in LABELS:
        return LABELS[name]
    if name.startswith("attr_"):
        name = name[len("attr_") :]
    return name.replace("_", " ")


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x, digits: int = 2, signed: bool = False) -> str:
    """A number to ``digits`` decimals, thousands separated; ``-0.0`` shows as ``0.0``."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    if round(x, digits) == 0:
        x = 0.0
    s = f"{x:+,.{digits}f}" if signed else f"{x:,.{digits}f}"
    return s


def fmt_count(n) -> str:
    """A count with thousands separators."""
    return f"{int(n):,}" if _finite(n) else "n/a"


def fmt_pct(x, digits: int = 0, signed: bool = False) -> str:
    """A share (0-1) as a percentage."""
    return fmt_num(100 * float(x), digits, signed) + "%" if _finite(x) else "n/a"


def fmt_p(p) -> str:
    """A p-value as ``p < 0.001`` or ``p = 0.043``."""
    if not _finite(p):
        return "p n/a"
    p = float(p)
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fmt_p_cell(p) -> str:
    """A p-value for a table cell: ``< 0.001`` or three decimals."""
    if not _finite(p):
        return ""
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def fmt_ci(low, high, digits: int = 2, pct: bool = False, signed: bool = False) -> str:
    """An interval ``0.47 to 0.61``; ``interval not available`` when either end is not finite."""
    if not (_finite(low) and _finite(high)):
        return "interval not available"
    f = (lambda v: fmt_pct(v, digits, signed)) if pct else (lambda v: fmt_num(v, digits, signed))
    return f"{f(low)} to {f(high)}"


def fmt_est(est, low=None, high=None, digits: int = 2, pct: bool = False, signed=False) -> str:
    """An estimate with its 95% interval in brackets: ``0.54 (95% CI 0.47 to 0.61)``."""
    f = fmt_pct(est, digits, signed) if pct else fmt_num(est, digits, signed)
    if low is None and high is None:
        return f
    return f"{f} (95% CI {fmt_ci(low, high, digits, pct, signed)})"


def sig(x, n: int = 3) -> str:
    """``x`` to ``n`` significant digits without exponent notation for everyday magnitudes."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    if x == 0:
        return "0"
    d = max(0, n - 1 - int(np.floor(np.log10(abs(x)))))
    return fmt_num(x, d)


def join_words(items) -> str:
    """``a, b and c``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
