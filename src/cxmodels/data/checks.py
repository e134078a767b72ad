"""Contract checks: typing each table, then the checks across tables.

Each function adds what it finds to one :class:`~cxmodels._validation.Report` (errors, warnings
and notes on what was inferred) and never raises; :func:`cxmodels.data.core.validate` runs them
in order and raises once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .._validation import Report, did_you_mean
from .contract import CONTRACT, RATING_PREFIXES, REQUIRED_TABLES, column_kind, default_scale, is_id
from .dates import DateSpec, parse_dates
from .kano_words import wording
from .messages import message, say, shown
from .readers import Options, merge_codebook
from .text import (
    TEXT,
    arrow_text,
    canonical_name,
    clean_ids,
    has_eastern_digits,
    is_text,
    normalize_label,
    numeric_text,
    plain_labels,
    plainly_trimmed,
    text_from_codes,
)
from .vocabulary import VOCABULARY, in_vocabulary_order, map_labels, to_vocabulary

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "بله", "بلی", "آری"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "خیر", "نه"}
ROW_BASE = 0  # row labels are 0-based positions in the table as read


def keys(df: pd.DataFrame, table: str, mask) -> pd.Index:
    """Example keys of the rows in ``mask``: the table's key, else ``row i``."""
    key = CONTRACT[table].key or ("respondent_id" if table == "kano_answers" else None)
    mask = np.asarray(mask, dtype=bool)
    if key and key in df.columns and df[key].notna()[mask].all():
        return pd.Index(df.loc[mask, key].astype(str))
    return pd.Index([say("row", n=i + ROW_BASE) for i in np.flatnonzero(mask)])


# --------------------------------------------------------------------------- columns
def canonical_columns(df: pd.DataFrame, table: str, report: Report) -> pd.DataFrame:
    """Contract names for near spellings ('Overall Sat' -> overall_sat); duplicates refused."""
    spec = CONTRACT[table]
    names, renamed = [], {}
    for col in map(str, df.columns):
        canon = canonical_name(col)
        known = spec.column(canon) is not None or canon.startswith(tuple(spec.prefix_kind or ()))
        new = canon if (known or canon == "sheet") else col.strip()
        if new != col:
            renamed[col] = new
        names.append(new)
    if renamed:
        shown = say("separator").join(f"{a!r} -> {b}" for a, b in renamed.items())
        text = message("renamed_columns", shown=shown)
        report.add(table, ", ".join(sorted(set(renamed.values()))), *text, severity="note")
    out = df if names == list(df.columns) else df.set_axis(names, axis=1)  # set_axis copies
    dup = out.columns[out.columns.duplicated()].unique()
    for d in dup:
        where = [str(c) for c, n in zip(df.columns, names) if n == d]
        report.add(table, d, *message("duplicated_column", shown=say("and").join(map(repr, where))))
    if len(dup):
        out = out.loc[:, ~out.columns.duplicated()]
    known = {c.name for c in spec.columns}
    for col in out.columns:
        if col in known or col == "sheet" or column_kind(table, col):
            continue
        hint = did_you_mean(col, sorted(known - set(out.columns)))
        if hint:
            report.add(table, col, *message("unknown_column", hint=hint), severity="warning")
    return out


def required_columns(df: pd.DataFrame, table: str, report: Report) -> None:
    others = [str(c) for c in df.columns]
    for c in CONTRACT[table].columns:
        if c.required and c.name not in df.columns:
            report.add(
                table,
                c.name,
                *message("missing_column", hint=did_you_mean(c.name, others), column=c.name),
            )


# --------------------------------------------------------------------------- typing
def as_text(s: pd.Series) -> pd.Series:
    """Identifiers and text as :data:`~cxmodels.data.text.TEXT`: ints without '.0', leading
    zeros kept, blanks missing, surrounding spaces trimmed.

    Text read from Parquet or CSV is already Arrow strings: the trim and the blank check are
    two Arrow passes, and the column is returned as is when neither changes anything.
    """
    if pd.api.types.is_bool_dtype(s):
        return s.astype(object).where(s.notna(), None).astype(TEXT)
    if pd.api.types.is_numeric_dtype(s):
        whole = s.dropna() % 1 == 0
        return (s.astype("Int64") if whole.all() else s).astype("string").astype(TEXT)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return _categories_as_text(s)
    if not is_text(s) and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        s = s.astype(TEXT)
    if is_text(s):
        return _trimmed(s)

    def one(v):
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip() or None

    codes, uniques = pd.factorize(s)
    return text_from_codes(codes, [one(u) for u in uniques], s.index)


def _categories_as_text(s: pd.Series) -> pd.Series:
    """A categorical column as text: text categories converted once and taken by code (a
    12-million-row column of a few topics is never one Python object per row)."""
    cats = pd.Series(s.cat.categories.to_numpy(dtype=object))
    if pd.api.types.infer_dtype(cats, skipna=True) != "string":
        return as_text(s.astype(object))
    values = as_text(cats.astype(TEXT)).to_numpy(dtype=object, na_value=None)
    return text_from_codes(s.cat.codes.to_numpy(), values, s.index)


def _trimmed(s: pd.Series) -> pd.Series:
    """A :data:`TEXT` column without surrounding spaces; blank strings missing."""
    arr = arrow_text(s)
    if plainly_trimmed(arr):
        return s
    trimmed = pc.utf8_trim_whitespace(arr)
    if (
        pc.all(pc.equal(arr, trimmed)).as_py() in (True, None)
        and not pc.any(pc.equal(trimmed, "")).as_py()
    ):
        return s
    kept = pc.if_else(pc.equal(trimmed, ""), None, trimmed)
    return pd.Series(kept, index=s.index, dtype=TEXT)


def _label(v):
    """A label as the contract spells labels (:func:`normalize_label`); a blank one missing."""
    return (normalize_label(v) or None) if isinstance(v, str) else v


def _labels(s: pd.Series, table: str, col: str, report: Report) -> pd.Series:
    coded = table == "interactions" and col in VOCABULARY  # a closed vocabulary: categories
    if not coded and is_text(s) and plain_labels(arrow_text(s)):
        return s  # nothing to respell (the usual export): no pass over distinct values
    out, changed = map_labels(s, to_vocabulary(col) if coded else _label, coded)
    if coded:
        out = in_vocabulary_order(out, col)
    if out.dtype == object and pd.api.types.infer_dtype(out, skipna=True) in ("string", "empty"):
        out = out.astype(TEXT)
    if changed:
        shown = say("separator").join(f"{a!r} -> {b!r}" for a, b in list(changed.items())[:4])
        report.add(table, col, *message("spellings", n=len(changed), shown=shown), severity="note")
    return out


def _dates(df: pd.DataFrame, table: str, col: str, opts: Options, excel: bool, report: Report):
    s = df[col]
    spec = DateSpec(
        where=f"{table}.{col}",
        fmt=opts.get(table, "date_format", col),
        calendar=opts.get(table, "calendar", col),
        timezone=opts.timezone,
        excel_cells=excel,
    )
    parsed = parse_dates(s, spec)
    if is_text(s):  # missing or empty, in one Arrow pass
        arr = arrow_text(s)
        blank = pc.fill_null(pc.equal(arr, ""), True).to_numpy(zero_copy_only=False)
    else:
        blank = s.isna().to_numpy()
        if s.dtype == object:
            blank |= (s == "").to_numpy()
    for note in parsed.notes:
        report.add(
            table,
            col,
            note,
            say("date_note.fix"),
            severity="note",
        )
    for msg, fix, mask in parsed.problems:
        report.add(table, col, msg, fix, keys(df, table, mask))
    return parsed.values, parsed.bad(blank), "not_dates"


def _stringy(s: pd.Series) -> bool:
    """Text, as Python objects (Excel, SPSS, the C parser) or as Arrow strings."""
    return s.dtype == object or is_text(s)


def _numbers(s: pd.Series, table: str, col: str, decimal: str, report: Report):
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    if pd.api.types.is_numeric_dtype(s):  # already numbers (Parquet): nothing to read
        return s, np.zeros(len(s), dtype=bool), "not_numbers"
    new = numeric_text(s, decimal)
    if _stringy(s) and has_eastern_digits(pd.unique(s.dropna())):
        report.add(table, col, *message("eastern_digits"), severity="note")
    blank = s.isna() | (s.astype(str).str.strip() == "") if _stringy(s) else s.isna()
    comma = (
        _stringy(s)
        and decimal == "."
        and s[new.isna() & ~blank].astype(str).str.fullmatch(r"-?\d+,\d+").any()
    )
    return new, (new.isna() & ~blank).to_numpy(), "decimal_comma" if comma else "not_numbers"


def _booleans(s: pd.Series):
    """true/false, yes/no, 1/0 (and Persian) as booleans, mapped over the distinct values."""
    if pd.api.types.is_bool_dtype(s):
        return s, np.zeros(len(s), dtype=bool), ""
    codes, uniques = pd.factorize(s)
    low = pd.Series(uniques, dtype=object).astype(str).map(normalize_label).str.lower()
    mapped = np.where(low.isin(_TRUE), True, np.where(low.isin(_FALSE), False, None))
    blank_u = (low == "").to_numpy()
    value = np.append(mapped == True, False)[codes]  # noqa: E712 (elementwise on objects)
    missing = np.append(pd.isna(mapped), True)[codes]
    bad = np.append(pd.isna(mapped) & ~blank_u, False)[codes]
    if missing.any():  # pandas' nullable booleans, as a Parquet round trip gives them
        value = pd.arrays.BooleanArray(value, missing)
    return pd.Series(value, index=s.index), bad, "not_booleans"


def coerce(df: pd.DataFrame, table: str, opts: Options, excel: bool, report: Report):
    """A typed copy of ``df``; values that cannot be read are reported and set missing.

    The new frame is built from its columns without copying them (a column typing leaves as
    it was is ``df``'s own); :func:`cxmodels.data.core.validate` copies what it returns.
    """
    out = {}  # column -> typed values; the input is never changed
    decimal = opts.get(table, "decimal") or "."
    for col in df.columns:
        kind, s = column_kind(table, col), df[col]
        if kind is None:
            out[col] = s
            continue
        if kind == "str":
            out[col] = clean_ids(as_text(s)) if is_id(col) else as_text(s)
            continue
        if kind == "cat":
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                s = as_text(s)  # coded labels (3, 7.0) as text, as the DuckDB engine reads them
            out[col] = _labels(s, table, col, report)
            continue
        if kind in ("date", "datetime"):
            new, bad, what = _dates(df, table, col, opts, excel, report)
        elif kind == "num" and table == "kano_answers" and _stringy(s):
            new, bad, what = _kano_wording(s, table, col, decimal, report)
        elif kind == "num":
            new, bad, what = _numbers(s, table, col, decimal, report)
        else:
            new, bad, what = _booleans(s)
        if bad.any():
            text, fix = message(what, table=table, column=col, values=shown(s[bad].dropna()))
            report.add(table, col, text, fix, keys(df, table, bad))
        out[col] = new
    return pd.DataFrame(out, index=df.index, copy=False)


def _kano_wording(s: pd.Series, table: str, col: str, decimal: str, report: Report):
    """Kano answers given as questionnaire wording ('I like it', «خوشم می‌آید») or as numbers;
    values that are neither are shown."""
    words = s.map(wording(pd.unique(s.dropna()))).astype(float)
    new, bad, _ = _numbers(s.where(words.isna()), table, col, decimal, report)
    return words.fillna(new), bad, "not_kano"


def type_table(name: str, df, opts: Options, excel: bool, failed: set, report: Report):
    """Type one table: present, non-empty, canonical columns, typed values."""
    if df is None:
        if name in REQUIRED_TABLES and name not in failed:
            report.add(name, "", *message("missing_table", table=name))
        return None
    if len(df) == 0 or df.shape[1] == 0:
        report.add(name, "", *message("no_rows" if df.shape[1] else "no_columns"))
        return None
    df = canonical_columns(df, name, report)
    required_columns(df, name, report)
    return coerce(df, name, opts, excel, report)


# --------------------------------------------------------------------------- scales
def complete_codebook(codebook: dict, columns, user_drivers: bool, report: Report) -> dict:
    """Give every rating column (of the responses' ``columns``; None: no responses) a scale:
    the codebook's, else the contract's default.

    When the codebook lists ``attr_*`` drivers, an ``attr_*`` column it does not list is not a
    driver (a note says so); otherwise every ``attr_*`` column gets the default 1-10 scale.
    """
    cb = {k: dict(v) for k, v in codebook.items()}
    for col in () if columns is None else columns:
        if not str(col).startswith(RATING_PREFIXES) or col in cb:
            continue
        if user_drivers and str(col).startswith("attr_"):
            report.add("responses", col, *message("not_a_driver"), severity="note")
            cb[col] = {"driver": False}
            continue
        cb[col] = default_scale(col)
    return cb


def file_codebook(extra: dict | None, labels: dict, columns, report: Report) -> dict:
    """A loaded data set's codebook: the defaults, the file's codebook (``extra``) and SPSS
    value labels over them, completed for the responses' ``columns``."""
    user_drivers = any(str(k).startswith("attr_") for k in (extra or {}))
    cb = merge_codebook(extra, labels)
    return complete_codebook(cb, columns, user_drivers, report)
