"""Formatting of numbers and names for people: one place for prose, tables and figures.

Every sentence a result writes (``findings()``) and every table a report shows formats its
numbers through these helpers, so a p-value, an interval or a share reads the same everywhere
(and a second language or digit set is changed in one place).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import math
import operator
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import i18n
from ._validation import check_number, check_option

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


#: How a crossed margin (``"segment x tenure_band"``) and one of its cells (``"premium / <1y"``)
#: are keyed in the survey weights' tables; :func:`label` labels each part, joined by ``×``
#: and ``/``.
CROSS, CELL = " x ", " / "


def _crossed(name: str, labels: dict[str, str] | None) -> str | None:
    """The label of a crossed name (:data:`CROSS`, :data:`CELL`) part by part, or ``None``."""
    lang = i18n.get_language()
    own = labels and (name in labels or f"{name}@{lang}" in labels)
    for sep, shown in ((CROSS, " \u00d7 "), (CELL, " / ")):
        if sep in name and not own and not i18n.has(f"label.{name}"):
            return shown.join(label(p, labels) for p in name.split(sep))
    return None


def label(name: str, labels: dict[str, str] | None = None) -> str:
    """A column, driver or value name as a reader would say it (codebook labels first).

    In another language than English the catalogue's ``label.<name>`` comes first (a codebook
    label is English unless the codebook is in that language), then the English rules: the
    codebook, :data:`LABELS`, the catalogue, then the name without underscores. A crossed
    name (``"segment x tenure_band"``, ``"premium / <1y"``) is labelled part by part.
    """
    name = str(name)
    crossed = _crossed(name, labels)
    if crossed is not None:
        return crossed
    if not i18n.is_english():
        if labels and f"{name}@{i18n.get_language()}" in labels:
            return labels[f"{name}@{i18n.get_language()}"]
        if i18n.has(f"label.{name}"):
            return i18n.label(name)
        if name.endswith("]") and "[" in name:
            var, _, level = name[:-1].partition("[")
            level = level.removeprefix("T.")
            return f"{label(var, labels)}: {label(level, labels)}"
        if ": " in name:  # a design column, "segment: premium"
            var, _, level = name.partition(": ")
            return f"{label(var, labels)}: {label(level, labels)}"
    if labels and name in labels:
        return labels[name]
    if name in LABELS:
        return LABELS[name]
    if i18n.has(f"label.{name}"):
        return i18n.label(name)
    if name.endswith("]") and "[" in name:  # a level of a categorical covariate
        var, _, level = name[:-1].partition("[")
        level = level.removeprefix("T.")
        return f"{label(var, labels)}: {level.replace('_', ' ')}"
    if name.startswith("attr_"):
        name = name[len("attr_") :]
    return i18n.range_words(name.replace("_", " "))  # a band: "30-44" -> "30–44", "۳۰ تا ۴۴"


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
        return i18n.t("word.interval_na")
    f = (lambda v: fmt_pct(v, digits, signed)) if pct else (lambda v: fmt_num(v, digits, signed))
    return f"{f(low)} {i18n.t('word.to')} {f(high)}"


def fmt_est(est, low=None, high=None, digits: int = 2, pct: bool = False, signed=False) -> str:
    """An estimate with its 95% interval in brackets: ``0.54 (95% CI 0.47 to 0.61)``."""
    f = fmt_pct(est, digits, signed) if pct else fmt_num(est, digits, signed)
    if low is None and high is None:
        return f
    return f"{f} ({i18n.t('word.ci95')} {fmt_ci(low, high, digits, pct, signed)})"


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
    comma = "، " if i18n.get_language() == "fa" else ", "
    return comma.join(items[:-1]) + f" {i18n.t('word.and')} " + items[-1]


# ---------------------------------------------------------------------------------------------
# Tables for people: one display layer for notebooks, reports, ``_repr_html_`` and Excel.
# ---------------------------------------------------------------------------------------------

#: Kano categories by their letters, as every table, legend and sentence names them.
KANO_CATEGORIES: dict[str, str] = {
    "M": "Must-be",
    "O": "One-dimensional",
    "A": "Attractive",
    "I": "Indifferent",
    "R": "Reverse",
    "Q": "Questionable",
}

#: Headers for the conventional column names of result tables.
COLUMN_LABELS: dict[str, str] = {
    "p_value": "p",
    "t": "t",  # a t statistic (the catalogue's label "t" is the T-learner)
    "pvalue": "p",
    "p_val": "p",
    "coef": "coefficient",
    "se": "standard error",
    "std_err": "standard error",
    "hr": "hazard ratio",
    "time_ratio": "time ratio",
    "odds_ratio": "odds ratio",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "n": "n",
    "n_obs": "n",
    "at_risk": "at risk",
    "estimate": "estimate",
    "category": "category",
    "category_moai": "category (M>O>A>I rule)",
    "category_aom": "category (A>O>M rule)",
    "category_mode": "category (most frequent)",
    "impact_asymmetry": "impact asymmetry",
    "smd_unweighted": "SMD before weighting",
    "smd_weighted": "SMD after weighting",
    "dys_mean": "dysfunctional mean",
    "fun_mean": "functional mean",
    "dys_sd": "dysfunctional SD",
    "fun_sd": "functional SD",
    "fun_se": "functional SE",
    "dys_se": "dysfunctional SE",
    "std_coef": "standardised coefficient",
    "shapley": "Shapley (LMG)",
    "first": "R² alone",
    "last": "R² added last",
    "beta_squared": "squared beta",
    "relative_weights": "relative weight",
    "q_rate": "questionable answers",
    "r_rate": "reverse answers",
    "low_n": "small group",
    "binom_p": "binomial p",
    "chi2": "chi-square",
    "mode": "mode",  # a PLS block's measurement mode (the catalogue's "mode" is a Kano rule)
    "dof": "df",
    "aic": "AIC",
    "bic": "BIC",
    "r2": "R²",
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
}

#: Columns whose text values are column or driver names (shown through :func:`label`).
NAME_COLUMNS = frozenset(
    {"driver", "covariate", "variable", "term", "predictor", "feature", "attribute", "outcome"}
    | {"metric", "measure", "margin"}
)

#: Columns whose text values are categories of the data (segment, channel...): their values
#: are shown through :func:`label` (``small_business`` reads "small business").
CATEGORY_COLUMNS = frozenset(
    {"segment", "channel", "region", "method", "group", "band", "level", "policy"}
)

#: Number formats per column kind: Python formatter and the matching Excel number format.
KINDS = ("p", "count", "int", "share", "pct", "prob", "ratio", "time", "num", "bool", "text")

_DASH = "\u2013"

#: The kind of a row of a long table (``metric``, ``estimate``, ..., ``unit``) by its unit.
UNIT_KINDS: dict[str, str] = {
    "money": "num",
    "amount": "num",
    "ratio": "ratio",
    "share": "share",
    "percent": "pct",
    "count": "count",
}


def labels_from(source) -> dict[str, str]:
    """A label map from a codebook (``{column: {"label": ...}}``), a ``CXData`` or a dict.

    Codebook entries with a ``label`` (or ``title``) key give that label; a plain
    ``{column: label}`` dict is returned as is. Use it as ``display_table(t, labels=...)``.
    """
    if source is None:
        return {}
    cb = getattr(source, "codebook", source)
    out = {}
    for k, v in dict(cb).items():
        if isinstance(v, dict):
            text = v.get("label") or v.get("title")
            if text:
                out[str(k)] = str(text)
        elif isinstance(v, str):
            out[str(k)] = v
    return out


def kano_name(letter: str) -> str:
    """The name of a Kano category (``M`` -> ``Must-be``) in the current language."""
    letter = str(letter)
    if not i18n.is_english() and i18n.has(f"kano.{letter}"):
        return i18n.t(f"kano.{letter}")
    return KANO_CATEGORIES.get(letter, letter)


def _is_kano_letters(s: pd.Series) -> bool:
    vals = s.dropna().astype(str).unique()
    return len(vals) > 0 and all(v in KANO_CATEGORIES for v in vals)


def column_label(name, labels: dict[str, str] | None = None) -> str:
    """The header of a table column: label map, conventional names, then :func:`label`."""
    key = str(name)
    if labels and key in labels:
        return labels[key]
    if not i18n.is_english() and i18n.has(f"col.{key.lower()}"):
        return i18n.t(f"col.{key.lower()}")
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    low = key.lower()
    if low in COLUMN_LABELS:
        return COLUMN_LABELS[low]
    group = re.fullmatch(r"(.+)\[(.+)\]", key)  # ``better_diff_low[premium]``
    if group and group.group(1) == "category":  # the category of a group: the group's name
        return label(group.group(2), labels)
    if group:
        return f"{column_label(group.group(1), labels)} [{label(group.group(2), labels)}]"
    for stem, suffix in (("_low", "low"), ("_high", "high"), ("_lo", "low"), ("_hi", "high")):
        if key.endswith(stem) and len(key) > len(stem):
            word = suffix if i18n.is_english() else i18n.t(f"col.suffix.{suffix}")
            return f"{column_label(key[: -len(stem)], labels)} {word}"
    if not i18n.is_english() and key.endswith("_diff") and len(key) > 5:
        return i18n.t("col.diff_of", name=column_label(key[:-5], labels))
    head, _, tail = key.rpartition("_")
    if head and tail in KANO_CATEGORIES and head in ("share", "n", "count", "pct", "stability"):
        n, stab = (
            ("n", "stability") if i18n.is_english() else (i18n.t("col.n"), i18n.t("col.stability"))
        )
        suffix = {"n": f" ({n})", "count": f" ({n})", "stability": f" {stab}"}.get(head, "")
        return kano_name(tail) + suffix
    return label(key, labels)


_P_NAMES = {"p", "p_value", "pvalue", "p_val", "p_adj", "q_value"}
_COUNT_NAMES = {"n", "count", "events", "at_risk", "n_obs", "observed", "censored", "size"}
_RATIO_NAMES = {"hr", "hazard_ratio", "time_ratio", "odds_ratio", "or", "exp_coef", "rate_ratio"}
_TIME_NAMES = {"time", "duration", "tenure", "median", "rmst", "median_survival"}
_PROB_NAMES = {"predicted", "probability", "prob", "p_alive", "risk", "survival"}


def _is_prob_name(n: str) -> bool:
    """A name that announces a probability, proportion or risk (``median_risk``, ``p_alive``)."""
    parts = n.split("_")
    return n in _PROB_NAMES or "risk" in parts or "prob" in parts or "probability" in parts


def _name_kind(n: str) -> str | None:
    """The kind a conventional column name announces, or ``None``."""
    if n in _P_NAMES or n.endswith(("_p_value", "_pvalue", "_p")) or n.startswith("p_value"):
        return "p"
    if n in _COUNT_NAMES or n.startswith("n_") or n.endswith(("_n", "_count")):
        return "count"
    if n in _RATIO_NAMES or n.startswith("hr_") or n.endswith("_ratio"):
        return "ratio"
    if _is_prob_name(n):
        return "prob"
    if "share" in n or n.startswith("stability") or n in {"proportion", "prop", "rate"}:
        return "share"
    if n.endswith(("_rate", "_prop")):
        return "share"
    if n.startswith("pct") or n.endswith(("_pct", "_percent")):
        return "pct"
    if n in _TIME_NAMES or n.startswith(("time_", "median_", "rmst")) or n.endswith("_time"):
        return "time"
    return None


def column_kind(name, values: pd.Series) -> str:
    """The display kind of a column from its conventional name and its values.

    One of :data:`KINDS`: ``p`` (p-values), ``count`` (thousands separated), ``int``,
    ``share`` (0-1 shown as %), ``pct`` (already 0-100), ``prob`` (a probability, proportion
    or risk on 0-1, at least two significant digits), ``ratio`` (hazard/odds/time ratios),
    ``time`` (one decimal), ``num`` (three significant digits of the column's typical
    magnitude, the same decimals on every row), ``bool`` (yes/no) or ``text``.

    The values overrule a name: a "count" that is not whole (``observed`` churn by a horizon)
    is a ``prob`` when it lies in 0-1 and a ``num`` otherwise; a ``prob`` outside 0-1 is a
    ``num``.
    """
    s = values
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if not pd.api.types.is_numeric_dtype(s):
        nonnull = s.dropna()
        if len(nonnull) and nonnull.map(lambda v: isinstance(v, bool | np.bool_)).all():
            return "bool"
        return "text"
    n = str(name).lower()
    for stem in ("_low", "_high", "_lo", "_hi", "_lower", "_upper"):
        if n.endswith(stem) and n not in ("ci_low", "ci_high"):
            n = n[: -len(stem)]
            break
    kind = _name_kind(n)
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    fin = x[np.isfinite(x)]
    if kind == "p" and len(fin) and (fin.min() < 0 or fin.max() > 1):
        kind = None
    if kind == "share" and len(fin) and (fin.min() < -1 or fin.max() > 1 + 1e-9):
        kind = "pct"
    unit = bool(len(fin)) and fin.min() >= 0 and fin.max() <= 1 + 1e-9
    if kind == "count" and len(fin) and not np.allclose(fin, np.round(fin)):
        kind = "prob" if unit else None
    if kind == "prob" and not unit:
        kind = None
    if kind is None:
        kind = "int" if pd.api.types.is_integer_dtype(s) else "num"
    return kind


def _decimals(kind: str, values: pd.Series) -> int:
    """Decimals of a column, enough that no two different values read the same everywhere.

    Fixed per kind (``p`` 3, ``count``/``int`` 0, ``ratio`` 2, ``time`` 1), three significant
    digits of the median magnitude for ``num`` (more, up to 4, until no non-zero value reads
    as 0), two significant digits of the smallest
    non-zero value for ``prob`` (3-4 decimals) and ``share`` (as %, 1-3 decimals); then more
    (up to 6) while a column of different values would read as one number.
    """
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    fixed = {"p": 3, "count": 0, "int": 0, "pct": 1, "ratio": 2, "time": 1}
    if kind in ("p", "count", "int"):
        return fixed[kind]
    nz = np.abs(x[x != 0])
    if kind in fixed:
        dec = fixed[kind]
    elif not len(nz):
        dec = 2
    elif kind in ("prob", "share"):
        scale, low, high = (100, 1, 3) if kind == "share" else (1, 3, 4)
        dec = int(np.clip(1 - np.floor(np.log10(scale * nz.min())), low, high))
    else:
        dec = int(np.clip(2 - np.floor(np.log10(np.median(nz))), 0, 4))
        while dec < 4 and len(nz) and np.round(nz.min(), dec) == 0:  # no non-zero reads as 0
            dec += 1
    return _distinct_decimals(x * (100 if kind == "share" else 1), dec)


def _distinct_decimals(x: np.ndarray, dec: int, most: int = 6) -> int:
    """``dec``, raised (to at most ``most``) until values that differ do not all read alike."""
    if len(x) < 2 or np.ptp(x) == 0:
        return dec
    while dec < most and np.ptp(np.round(x, dec)) == 0:
        dec += 1
    return dec


def _excel_format(kind: str, decimals: int) -> str:
    """The Excel number format that shows a cell as :func:`format_value` does."""
    dec = "." + "0" * decimals if decimals else ""
    return {
        "p": '[<0.001]"< 0.001";0.000',
        "count": "#,##0",
        "int": "0",
        "share": f"0{dec}%",
        "pct": f'0{dec}"%"',
        "bool": "@",
        "text": "@",
    }.get(kind, f"#,##0{dec}")


def format_value(x, kind: str, decimals: int = 2) -> str:
    """One cell as the display layer shows it (``–`` for a missing value)."""
    if kind == "text":
        return _DASH if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)
    if kind == "bool":
        if x is None or x is pd.NA or x != x:
            return _DASH
        return i18n.label("yes" if bool(x) else "no", "yes" if bool(x) else "no")
    if not _finite(x):
        return _DASH
    if kind == "p":
        return fmt_p_cell(x)
    if kind == "count":
        return fmt_count(round(float(x)))
    if kind == "int":
        return str(int(round(float(x))))
    if kind == "share":
        return fmt_pct(x, decimals)
    if kind == "pct":
        return fmt_num(x, decimals) + "%"
    return fmt_num(x, decimals)


@dataclass(frozen=True)
class ColumnSpec:
    """How one column is shown: header, kind, decimals and the Excel number format."""

    name: str
    header: str
    kind: str
    decimals: int
    excel_format: str
    #: ``(kind, decimals, excel_format)`` per row when the rows differ in unit (a long table
    #: with a ``unit`` column, see :func:`row_kinds`), else ``None``.
    rows: tuple | None = None

    def format(self, values: pd.Series) -> pd.Series:
        """The column's cells as strings (as :func:`format_value`, vectorised for numbers)."""
        if self.rows is not None:
            cells = [format_value(v, k, d) for v, (k, d, _) in zip(values, self.rows)]
            return pd.Series(cells, index=values.index, dtype=object)
        if self.kind in ("text", "bool") or not pd.api.types.is_numeric_dtype(values):
            return values.map(lambda v: format_value(v, self.kind, self.decimals))
        return pd.Series(_format_numbers(values, self.kind, self.decimals), index=values.index)


def _format_numbers(values: pd.Series, kind: str, decimals: int) -> np.ndarray:
    """Numeric cells as strings: one format spec per column, ``-0`` as ``0``, ``–`` if missing."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    fin = np.isfinite(x)
    if kind == "share":
        x = 100 * x
    d = {"count": 0, "int": 0, "p": 3}.get(kind, decimals)
    spec = f".{d}f" if kind in ("int", "p") else f",.{d}f"
    x = np.where(fin & (np.round(x, d) != 0), x, 0.0)
    out = np.array([format(v, spec) for v in x.tolist()], dtype=object)
    if kind in ("share", "pct"):
        out = out + "%"
    if kind == "p":
        out = np.where(x < 0.001, "< 0.001", out)
    return np.where(fin, out, _DASH)


def _text_values(name, values: pd.Series, labels) -> pd.Series:
    """Text cells for people: Kano letters as names, column names in name columns as labels."""
    if _is_kano_letters(values) and ("categ" in str(name).lower() or values.nunique() > 1):
        return values.map(lambda v: kano_name(v) if pd.notna(v) else v)
    if str(name).lower() in NAME_COLUMNS | CATEGORY_COLUMNS:
        return values.map(lambda v: label(v, labels) if pd.notna(v) else v)
    if str(name) == "unit" and values.dropna().astype(str).isin(list(UNIT_KINDS)).all():
        return values.map(lambda v: i18n.t(f"unit.{v}") if pd.notna(v) else v)
    if not i18n.is_english():  # segment, channel, method values the catalogue names
        values = values.map(
            lambda v: i18n.label(v) if pd.notna(v) and i18n.has(f"label.{v}") else v
        )
    return values.map(i18n.range_words)  # bands: "30-44" -> "30–44", "۳۰ تا ۴۴"


def table_specs(
    df: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    digits: dict[str, int] | None = None,
) -> tuple[dict[str, ColumnSpec], list[tuple[str | None, str, str]]]:
    """The display plan of a flat table: ``{column: ColumnSpec}`` and its interval pairs.

    Kinds are inferred unless given; a Kano table's ``A``/``O``/``M``... columns are counts
    named by category; interval bounds take the kind and decimals of their estimate
    (:func:`interval_pairs`).
    """
    kinds, digits = dict(kinds or {}), dict(digits or {})
    bad = set(kinds.values()) - set(KINDS)
    if bad:
        check_option("kinds", sorted(bad)[0], KINDS, table="display_table")
    letters = [c for c in df.columns if str(c) in KANO_CATEGORIES]
    if len(letters) >= 4:  # a Kano table's answer counts per category
        kinds = {**{c: "count" for c in letters}, **kinds}
        n = i18n.t("col.n") if not i18n.is_english() else "n"
        labels = {**{str(c): f"{kano_name(c)} ({n})" for c in letters}, **(labels or {})}
    specs = {}
    units = row_kinds(df)
    for c in df.columns:
        kind = kinds.get(c) or column_kind(c, df[c])
        dec = digits.get(c, _decimals(kind, df[c]))
        spec = ColumnSpec(str(c), column_label(c, labels), kind, dec, _excel_format(kind, dec))
        if units is not None and kind not in ("text", "bool") and c not in kinds:
            spec = dataclasses.replace(spec, rows=_row_formats(df[c], units))
        specs[str(c)] = spec
    pairs = interval_pairs(df)
    for est, lo, hi in pairs:
        if est is not None:
            sp = specs[est]
            if sp.kind == "num" and est not in digits and sp.rows is None:
                dec = _interval_decimals(df[est], df[lo], df[hi], sp.decimals)
                sp = specs[est] = dataclasses.replace(
                    sp, decimals=dec, excel_format=_excel_format("num", dec)
                )
            for c in (lo, hi):
                specs[c] = dataclasses.replace(sp, name=c, header=specs[c].header)
    return specs, pairs


def _interval_decimals(est: pd.Series, lo: pd.Series, hi: pd.Series, dec: int) -> int:
    """``dec``, or one more when on some row an estimate reads like a bound it differs from
    (CES 4.25 with its interval 4.22 to 4.28 read "4.3 (4.2 to 4.3)")."""
    e, a, b = (pd.to_numeric(x, errors="coerce").to_numpy(float) for x in (est, lo, hi))

    def alike(d: int) -> bool:
        r = np.round(e, d)
        return bool((((r == np.round(a, d)) & (e != a)) | ((r == np.round(b, d)) & (e != b))).any())

    return dec + 1 if alike(dec) and dec < 6 else dec


def row_kinds(df: pd.DataFrame) -> pd.Series | None:
    """The kind of each row of a long table whose ``unit`` column names units of
    :data:`UNIT_KINDS` (``money``, ``ratio``, ``share``, ``count``...), else ``None``."""
    if "unit" not in df.columns or pd.api.types.is_numeric_dtype(df["unit"]):
        return None
    units = df["unit"].astype(str)
    return units.map(UNIT_KINDS) if units.isin(list(UNIT_KINDS)).all() and len(df) else None


def _row_formats(values: pd.Series, kinds: pd.Series) -> tuple:
    """``(kind, decimals, excel_format)`` per row: decimals per kind over that kind's rows."""
    dec = {k: _decimals(k, values[(kinds == k).to_numpy()]) for k in kinds.unique()}
    return tuple((k, dec[k], _excel_format(k, dec[k])) for k in kinds)


_INTERVAL_SUFFIXES = (("_low", "_high"), ("_lo", "_hi"), ("_lower", "_upper"))
#: Columns an unnamed ``ci_low``/``ci_high`` pair most likely belongs to, in this order.
_EST_PRIORITY = (
    "estimate",
    "value",
    "hr",
    "time_ratio",
    "odds_ratio",
    "effect",
    "importance",
    "share",
    "coef",
    "mean",
)


def _contains(df: pd.DataFrame, est: str, lo: str, hi: str) -> bool:
    e, a, b = (pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in (est, lo, hi))
    tol = 1e-9 * np.maximum(1.0, np.abs(e))
    ok = ~(np.isfinite(e) & np.isfinite(a) & np.isfinite(b)) | ((a <= e + tol) & (e <= b + tol))
    return bool(ok.all()) and bool(np.isfinite(e).any())


def interval_pairs(df: pd.DataFrame) -> list[tuple[str | None, str, str]]:
    """``(estimate, low, high)`` column triples of ``df``; estimate ``None`` when unknown.

    ``x_low``/``x_high`` belong to ``x``; a ``ci_low``/``ci_high`` pair belongs to the first
    column of :data:`_EST_PRIORITY` (then any other numeric column) whose every value lies
    inside its interval.
    """
    cols = [str(c) for c in df.columns]
    out: list[tuple[str | None, str, str]] = []
    for lo_sfx, hi_sfx in _INTERVAL_SUFFIXES:
        for lo in cols:
            if not lo.endswith(lo_sfx) or lo[: -len(lo_sfx)] + hi_sfx not in cols:
                continue
            base, hi = lo[: -len(lo_sfx)], lo[: -len(lo_sfx)] + hi_sfx
            if not all(pd.api.types.is_numeric_dtype(df[c]) for c in (lo, hi)):
                continue
            if base != "ci":
                out.append((base if base in cols else None, lo, hi))
                continue
            used = {c for t in out for c in t if c}
            numeric = [c for c in cols if pd.api.types.is_numeric_dtype(df[c])]
            order = [c for c in _EST_PRIORITY if c in numeric] + numeric
            cands = [c for c in order if c not in used and c not in (lo, hi)]
            out.append((next((c for c in cands if _contains(df, c, lo, hi)), None), lo, hi))
    return out


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Index as ordinary columns (no index-name row), flat string column names."""
    if not isinstance(df.index, pd.RangeIndex) or any(df.index.names):
        names = [n if n is not None else "" for n in df.index.names]
        df = df.copy()
        df.index = df.index.set_names(names)
        df = df.reset_index()
    if isinstance(df.columns, pd.MultiIndex):
        df = df.set_axis([" ".join(str(p) for p in c if str(p)) for c in df.columns], axis=1)
    df = df.set_axis([str(c) for c in df.columns], axis=1)
    numeric = [c for c in df.columns if _numbers_in_objects(df[c])]
    if not numeric:
        return df
    return df.assign(**{c: df[c].map(_real).astype(float) for c in numeric})


def _numbers_in_objects(s: pd.Series) -> bool:
    """Whether an object column holds only real numbers (shown as numbers, never as
    17-digit text)."""
    if s.dtype != object:
        return False
    v = s.dropna()
    return len(v) > 0 and v.map(_is_real).all()


def _real(x) -> float:
    """A cell of a numeric object column as a float (NaN when missing)."""
    return float(np.asarray(x)) if _is_real(x) else np.nan


def _is_real(x) -> bool:
    """A real number (a 0-d array too), not a boolean."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def format_frame(
    df: pd.DataFrame,
    *,
    kinds: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    digits: dict[str, int] | None = None,
    intervals: bool = True,
    ci_label: str = "95% CI",
) -> tuple[pd.DataFrame, list[ColumnSpec]]:
    """A table as strings for people, and the plan of its shown columns.

    Parameters are those of :func:`display_table`. Returns the string frame (human headers,
    default index) and one :class:`ColumnSpec` per shown column (``kind="interval"`` for a
    merged estimate-and-interval column). Interval columns take the kind and decimals of
    their estimate; an interval pair that is empty on every row is left out.
    """
    df = _flat(df)
    if ci_label == "95% CI":
        ci_label = i18n.t("word.ci95")
    specs, pairs = table_specs(df, kinds, labels, digits)
    cells = {
        c: _text_values(c, df[c], labels) if specs[c].kind == "text" else df[c] for c in df.columns
    }
    merged: dict[str, tuple[str, str]] = {}
    for est, lo, hi in pairs:
        empty = df[[lo, hi]].isna().all().all()
        if empty:
            specs.pop(lo), specs.pop(hi)
        elif intervals and est is not None:
            merged[est] = (lo, hi)
            specs.pop(lo), specs.pop(hi)
    columns, shown = [], []
    for c, spec in specs.items():
        col = spec.format(cells[c])
        if c in merged:
            lo, hi = merged[c]
            f_lo, f_hi = (spec.format(df[x]) for x in (lo, hi))
            has = df[lo].notna() & df[hi].notna()
            col = col.where(~has, col + " (" + f_lo + f" {i18n.t('word.to')} " + f_hi + ")")
            spec = dataclasses.replace(spec, header=f"{spec.header} ({ci_label})", kind="interval")
        columns.append(col.to_numpy())
        shown.append(spec)
    headers = _unique([s.header for s in shown], [s.name for s in shown])
    frame = pd.DataFrame(dict(enumerate(columns)), index=pd.RangeIndex(len(df)))
    if i18n.digits() == "persian":  # Persian digits and separators in every cell
        frame = frame.apply(lambda c: c.map(lambda v: i18n.localize_digits(str(v))))
    frame.columns = headers
    plan = [dataclasses.replace(s, header=h) for s, h in zip(shown, headers)]
    return frame, plan


def _unique(headers: list[str], names: list[str]) -> list[str]:
    """Headers made unique by the column name where two columns would read the same."""
    seen = pd.Series(headers).duplicated(keep=False).to_numpy()
    return [f"{h} ({n})" if d else h for h, n, d in zip(headers, names, seen)]


_TABLE_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 0.92em; margin: 0.4em 0;"},
    {"selector": "caption", "props": "caption-side: top; text-align: start; font-weight: 600;"},
    {
        "selector": "th",
        "props": "text-align: start; vertical-align: bottom; white-space: normal; "
        "border-bottom: 1px solid #8a949c; padding: 0.25em 0.6em; font-weight: 600;",
    },
    {
        "selector": "td",  # text at the start (nbconvert's CSS right-aligns every cell)
        "props": "padding: 0.2em 0.6em; border-bottom: 1px solid #e3e7ea; text-align: start;",
    },
]


def _width(frame: pd.DataFrame) -> np.ndarray:
    """Estimated width of each column in characters (headers wrap at spaces)."""
    cells = frame.apply(lambda c: c.astype(str).str.len().max() if len(c) else 0).to_numpy()
    head = np.array([max(map(len, str(h).split() or [""])) for h in frame.columns])
    return np.maximum(np.nan_to_num(cells.astype(float)), head) + 3


@dataclass(frozen=True, eq=False)
class DisplayTable:
    """A table formatted for people; displays in JupyterLab and renders to offline HTML.

    Attributes
    ----------
    frame : DataFrame
        The cells as strings under human headers (see :func:`format_frame`).
    specs : list of ColumnSpec
        The kind, decimals and Excel format of each shown column.
    caption : str
        Shown above the table.
    blocks : list of DataFrame
        ``frame`` cut into column blocks that fit ``max_chars`` (the first column repeated in
        each, with the next ones while it alone does not tell the rows apart), or transposed
        when the table has at most two rows.
    """

    frame: pd.DataFrame
    specs: list = field(default_factory=list)
    caption: str = ""
    blocks: list = field(default_factory=list)

    def to_styler(self, block: pd.DataFrame | None = None):
        """A pandas ``Styler`` of one block (the first by default): no index, numbers right."""
        b = self.blocks[0] if block is None else block
        right = {s.header for s in self.specs if s.kind not in ("text", "bool")}
        uid = hashlib.md5(b.to_csv().encode() + self.caption.encode()).hexdigest()[:10]
        st = b.style.set_uuid(uid)  # pandas imports its Styler (and matplotlib) on first use
        st.cell_ids = False  # the Styler(cell_ids=False) option: no id on every cell
        st = st.hide(axis="index")
        styles = {
            c: [{"selector": "td", "props": "text-align: right; white-space: nowrap;"}]
            for c in b.columns
            if c in right and b.columns.get_loc(c) is not None
        }
        st = st.set_table_styles(_TABLE_CSS).set_table_styles(styles, overwrite=False)
        st = st.set_table_attributes('class="cx-table"')
        return st.set_caption(html.escape(self.caption)) if self.caption else st

    def to_html(self) -> str:
        """Offline HTML (no scripts): every block, in a ``div.cx-table-wrap``.

        The same table as :meth:`to_styler` (classes ``cx-table``, numbers right-aligned),
        written directly so that a long table renders in milliseconds.
        """
        right = {s.header for s in self.specs if s.kind not in ("text", "bool")}
        inner = "".join(_block_html(b, right, self.caption) for b in self.blocks)
        return f'<div class="cx-table-wrap">{inner}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_text(self) -> str:
        """Plain text, one block after another."""
        parts = [self.caption] if self.caption else []
        parts += [b.to_string(index=False) for b in self.blocks]
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        r, c = self.frame.shape
        return (
            f"<DisplayTable: {r} rows x {c} columns{', ' + self.caption if self.caption else ''}>"
        )


def _css_props(props: str) -> str:
    return props.replace("\n", " ")


def _block_html(b: pd.DataFrame, right: set, caption: str) -> str:
    """One block as a light ``<table>`` with a scoped ``<style>`` (no per-cell ids)."""
    uid = "cx" + hashlib.md5(b.to_csv().encode() + caption.encode()).hexdigest()[:10]
    css = "".join(
        f"#{uid} {d['selector']} {{{_css_props(d['props'])}}}"
        if d["selector"]
        else f"#{uid} {{{_css_props(d['props'])}}}"
        for d in _TABLE_CSS
    )
    css += f"#{uid} td.cx-num {{text-align: right; white-space: nowrap;}}"
    heads = "".join(
        f'<th class="col_heading col{j}">{html.escape(str(h))}</th>'
        for j, h in enumerate(b.columns)
    )
    cols = []
    for j, h in enumerate(b.columns):
        cls = f' class="col{j} cx-num"' if h in right else f' class="col{j}"'
        cells = b.iloc[:, j].astype(str).map(html.escape)
        cols.append(f"<td{cls}>" + cells + "</td>")
    rows = functools.reduce(operator.add, cols) if cols else pd.Series(dtype=str)
    body = "".join(("<tr>" + rows + "</tr>").tolist())
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<style>{css}</style><table id="{uid}" class="cx-table">{cap}'
        f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"
    )


def _blocks(frame: pd.DataFrame, max_chars: int) -> list[pd.DataFrame]:
    """Column blocks of ``frame`` that fit ``max_chars``; a one- or two-row table transposes."""
    w = _width(frame)
    if w.sum() <= max_chars or frame.shape[1] <= 2:
        return [frame]
    if len(frame) <= 2:
        first = frame.iloc[:, 0].astype(str)
        if first.is_unique and not first.str.fullmatch(r"[-\d.,%<\u2013 ()to]+").all():
            t = frame.set_index(frame.columns[0]).T.reset_index()
            t.columns = ["", *first]
        else:
            t = frame.T.reset_index()
            t.columns = ["", *(["value"] if len(frame) == 1 else ["1", "2"])]
        return [t]
    n = _key_width(frame, w, max_chars)
    key, rest = list(frame.columns[:n]), list(frame.columns[n:])
    blocks, cur, used = [], [], w[:n].sum()
    for c, wc in zip(rest, w[n:]):
        if cur and used + wc > max_chars:
            blocks.append(frame[[*key, *cur]])
            cur, used = [], w[:n].sum()
        cur.append(c)
        used += wc
    blocks.append(frame[[*key, *cur]])
    return blocks


def _key_width(frame: pd.DataFrame, w: np.ndarray, max_chars: int) -> int:
    """How many leading columns each block repeats: the first, and the next ones (up to three
    in all, leaving room for the widest other column) while the rows they name are not unique
    (``segment`` twice, told apart by its ``level``)."""
    n = 1
    while (n < min(3, frame.shape[1] - 1) and frame.iloc[:, :n].duplicated().any()
           and w[: n + 1].sum() + w[n + 1 :].max() <= max_chars):  # fmt: skip
        n += 1
    return n


def display_table(
    df,
    *,
    kinds: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    digits: dict[str, int] | None = None,
    intervals: bool = True,
    caption: str = "",
    max_chars: int = 100,
    ci_label: str = "95% CI",
) -> DisplayTable:
    """A result table as people read it: labels, formatted numbers, intervals in one column.

    Parameters
    ----------
    df : DataFrame or Result
        Any result's ``.table`` (or the result itself, whose ``.table`` is shown).
    kinds : dict, optional
        ``{column: kind}`` overriding the inferred kind (one of :data:`KINDS`).
    labels : dict, optional
        ``{column or driver: label}``, e.g. from :func:`labels_from` (a codebook) or a
        translated catalogue; used for headers and for names in ``driver``/``feature``/...
        columns.
    digits : dict, optional
        ``{column: decimals}`` overriding the decimals of a column.
    intervals : bool
        Merge ``x_low``/``x_high`` (and ``ci_low``/``ci_high``) into the estimate's column as
        ``0.54 (0.47 to 0.61)``.
    caption : str
        A caption above the table.
    max_chars : int
        Estimated width (characters) above which the table is cut into column blocks (the
        first column repeated) or, with one or two rows, transposed - never cut off.
    ci_label : str
        How merged headers name the interval (``"importance (95% CI)"``).

    Returns
    -------
    DisplayTable
        ``.frame`` (strings), ``.to_html()``, ``.to_styler()``, ``.to_text()``; displays as HTML
        in JupyterLab.

    Notes
    -----
    Kinds are inferred from conventional names: ``p_value``/``p`` -> ``< 0.001`` or three
    decimals; ``n``/``n_*``/``*_n`` -> counts with thousands separators; ``share*`` -> % (0-1
    values); ``hr``/``*_ratio`` -> two decimals; ``time``/``median*`` -> one decimal; other
    numbers -> three significant digits of the column's median magnitude (the same decimals on
    every row); booleans -> yes/no; Kano letters -> category names.
    """
    table = getattr(df, "table", df)
    if not isinstance(table, pd.DataFrame):
        table = pd.DataFrame(table)
    max_chars = int(check_number("max_chars", max_chars, low=10, table="display_table"))
    frame, specs = format_frame(
        table, kinds=kinds, labels=labels, digits=digits, intervals=intervals, ci_label=ci_label
    )
    return DisplayTable(frame, specs, caption, _blocks(frame, max_chars))


# ---------------------------------------------------------------------------------------------
# Intervals in sentences: the verdict comes from the interval, the digits keep it visible.
# ---------------------------------------------------------------------------------------------


def excludes(low, high, null: float = 0.0) -> bool | None:
    """Whether the interval ``[low, high]`` lies wholly on one side of ``null``.

    ``None`` when either bound is not finite (no interval, no verdict). Decided on the
    unrounded bounds, so a sentence's clear/unclear word never depends on how it is printed.
    """
    if not (_finite(low) and _finite(high)):
        return None
    return bool(float(low) > null or float(high) < null)


def interval_digits(low, high, null: float = 0.0, digits: int = 2, most: int = 6) -> int:
    """Decimals (at least ``digits``, at most ``most``) at which neither bound of an interval
    prints as ``null`` unless it equals it, so that a printed interval excludes ``null``
    exactly when the interval does (``-0.07 to -0.004`` never reads ``-0.07 to +0.00``)."""
    bounds = [float(b) for b in (low, high) if _finite(b) and float(b) != null]
    d = int(digits)
    while d < most and any(round(b, d) == round(null, d) for b in bounds):
        d += 1
    return d


def fmt_interval(
    low, high, null: float = 0.0, digits: int = 2, signed: bool = False, pct: bool = False
) -> str:
    """:func:`fmt_ci` with the decimals of :func:`interval_digits` (on the printed scale)."""
    k = 100.0 if pct else 1.0
    lo, hi, nu = (k * float(v) if _finite(v) else v for v in (low, high, null))
    return fmt_ci(low, high, interval_digits(lo, hi, nu, digits), pct, signed)


def fmt_level(level: float) -> str:
    """A confidence level as its percentage without the sign: ``0.95`` -> ``95``, ``0.999`` ->
    ``99.9`` (templates add ``%``)."""
    return f"{100 * float(level):.10g}"
