"""Dates as exports write them, read right or refused with the exact fix.

Read: ISO dates and times; ``YYYY/MM/DD``; ``DD/MM/YYYY`` or ``MM/DD/YYYY`` when the data settle
the order (a first field above 12 means day first, a second field above 12 month first);
integer ``YYYYMMDD``; Excel serial numbers (days since 1899-12-30) when the cell is a number in
an Excel file or the format is declared ``excel``; Jalali (Solar Hijri) dates, detected by their
year (1300-1499) or declared ``calendar: jalali``, converted with ``persiantools``; UTC offsets
and time-zone-aware values converted to one zone and made naive. Every conversion runs on the
distinct values of a column once.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from persiantools.jdatetime import JalaliDate

from .messages import message, say
from .text import arrow_text, has_eastern_digits, is_text, to_ascii_digits

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(.+))?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T,]+(.+))?$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}(?:\s|$)")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


@dataclass(frozen=True)
class DateSpec:
    """How to read one date column.

    ``fmt``: a ``strftime`` format, ``"excel"`` (serial numbers), ``"yyyymmdd"`` or None (infer);
    ``calendar``: ``"gregorian"``, ``"jalali"`` or None (infer from the year);
    ``timezone``: the zone every time is converted to before it is made naive;
    ``excel_cells``: numbers are Excel serials by their cell type (an Excel file).
    """

    where: str
    fmt: str | None = None
    calendar: str | None = None
    timezone: str = "UTC"
    excel_cells: bool = False


@dataclass
class Parsed:
    """Parsed dates (naive ``datetime64[ns]``), notes on what was inferred, and problems."""

    values: pd.Series
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, np.ndarray]] = field(default_factory=list)  # message, fix, rows

    def bad(self, blank: np.ndarray) -> np.ndarray:
        """Rows that did not parse and are not covered by a named problem."""
        mask = self.values.isna().to_numpy() & ~blank
        for _, _, m in self.problems:
            mask &= ~m
        return mask


def _declare(spec: DateSpec, value: str) -> str:
    return say("declare_format", value=value, where=spec.where)


def _naive(s: pd.Series, tz: str) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert(tz).dt.tz_localize(None)
    return s


def _from_numbers(x: pd.Series, spec: DateSpec, out: Parsed) -> pd.Series:
    """Numbers as dates: Excel serials (declared or by cell type) or integer YYYYMMDD."""
    x = pd.to_numeric(x, errors="coerce").astype(float)
    ok = x.notna()
    if spec.fmt == "excel" or (spec.excel_cells and spec.fmt is None):
        valid = ok & (x > 0) & (x < 2958466)
        days = pd.to_timedelta(x.where(valid), unit="D")
        out.notes.append(say("note.excel"))
        return (EXCEL_EPOCH + days).astype("datetime64[ns]")
    ymd = ok & (x % 1 == 0) & (x >= 19000101) & (x <= 21001231)
    if spec.fmt == "yyyymmdd" or (spec.fmt is None and ymd[ok].all() and ok.any()):
        text = x.where(ymd).astype("Int64").astype("string")
        out.notes.append(say("note.yyyymmdd"))
        return pd.to_datetime(text, format="%Y%m%d", errors="coerce").astype("datetime64[ns]")
    serial = ok & (x > 10000) & (x < 100000)
    if serial.any():
        ex = int(x[serial].iloc[0]) if float(x[serial].iloc[0]).is_integer() else x[serial].iloc[0]
        day = (EXCEL_EPOCH + pd.Timedelta(days=float(ex))).date()
        declare = _declare(spec, "excel")
        out.problems.append(
            (*message("excel_serials", example=ex, day=day, declare=declare), x.index[serial])
        )
    rest = ok & ~serial
    if rest.any():
        out.problems.append((*message("numbers_not_dates"), x.index[rest]))
    return pd.Series(pd.NaT, index=x.index, dtype="datetime64[ns]")


def _iso(text: pd.Series, spec: DateSpec, out: Parsed) -> pd.Series:
    """ISO-like strings; values with a UTC offset are converted to ``spec.timezone``."""
    if text.empty:
        return pd.Series([], index=text.index, dtype="datetime64[ns]")
    off = text.str.contains(_OFFSET)
    res = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if (~off).any():
        res[~off] = pd.to_datetime(text[~off], format="ISO8601", errors="coerce")
    if off.any():
        aware = pd.to_datetime(text[off], format="ISO8601", errors="coerce", utc=True)
        res[off] = aware.dt.tz_convert(spec.timezone).dt.tz_localize(None)
        n_off = text[off].str.extract(r"(Z|[+-]\d{2}:?\d{2})$")[0].nunique()
        mixed = say("note.mixed_offsets") if n_off > 1 else ""
        out.notes.append(say("note.offsets", mixed=mixed, timezone=spec.timezone))
    return res


def jalali_to_gregorian(year, month, day) -> pd.Series:
    """Gregorian dates of Jalali (Solar Hijri) ``year``/``month``/``day`` (NaT when invalid).

    Each distinct date is converted once with ``persiantools.jdatetime.JalaliDate``.
    Known values: 1403-01-01 = 2024-03-20, 1404-01-01 = 2025-03-21, 1403-12-30 = 2025-03-20.
    """
    ymd = pd.DataFrame({"y": year, "m": month, "d": day}).astype("Int64")
    keys = ymd["y"] * 10000 + ymd["m"] * 100 + ymd["d"]
    codes, uniques = pd.factorize(keys)

    def one(k) -> date | None:
        try:
            return JalaliDate(int(k) // 10000, int(k) // 100 % 100, int(k) % 100).to_gregorian()
        except (ValueError, TypeError, OverflowError):
            return None

    conv = pd.to_datetime(
        pd.Series([one(k) for k in uniques] + [None], dtype=object), errors="coerce"
    )
    return pd.Series(conv.to_numpy()[codes], index=ymd.index, dtype="datetime64[ns]")


def _times(part: pd.Series) -> pd.Series:
    text = part.fillna("00:00:00").str.strip()
    text = text.where(~text.str.fullmatch(r"\d{1,2}:\d{2}"), text + ":00")
    t = pd.to_timedelta(text, errors="coerce")
    return t.fillna(pd.Timedelta(0))


def _ymd(m: pd.DataFrame, spec: DateSpec, out: Parsed) -> pd.Series:
    """``YYYY-MM-DD``/``YYYY/MM/DD`` (time optional); Jalali when the year says so or declared."""
    declared = pd.Series(spec.calendar == "jalali", index=m.index)
    jalali = m[0].astype(int).between(1300, 1499) if spec.calendar is None else declared
    res = pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns]")
    if jalali.any():
        j = m[jalali]
        res[jalali] = jalali_to_gregorian(j[0], j[1], j[2]) + _times(j[3])
        how = say("note.jalali_declared" if spec.calendar == "jalali" else "note.jalali_years")
        out.notes.append(say("note.jalali", how=how))
    g = m[~jalali]
    if len(g):
        res[~jalali] = _fields(g[0], g[1], g[2], g[3], spec, out)
    return res


def _dmy(m: pd.DataFrame, spec: DateSpec, out: Parsed) -> pd.Series:
    """``DD/MM/YYYY`` or ``MM/DD/YYYY``, decided from the data when the data decide it."""
    a, b = m[0].astype(int), m[1].astype(int)
    res = pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns]")
    if (a > 12).any() == (b > 12).any():  # both fields above 12 somewhere, or neither
        key = "day_and_month_first" if (a > 12).any() else "day_month_unclear"
        out.problems.append((*message(key, declare=_declare(spec, "%d/%m/%Y")), m.index))
        return res
    day, month = (a, b) if (a > 12).any() else (b, a)
    out.notes.append(say("note.dmy", order="DD/MM/YYYY" if (a > 12).any() else "MM/DD/YYYY"))
    return _fields(m[2], month, day, m[3], spec, out)


def _fields(year, month, day, time, spec: DateSpec, out: Parsed) -> pd.Series:
    """A year, month, day and optional time (text or numbers) read as ISO (:func:`_iso`)."""
    iso = year + "-" + month.astype(str).str.zfill(2) + "-" + day.astype(str).str.zfill(2)
    return _iso(iso.where(time.isna(), iso + " " + time.fillna("")), spec, out)


def _from_text(u: pd.Series, spec: DateSpec, out: Parsed) -> pd.Series:
    """Parse distinct strings (already ASCII digits, stripped)."""
    res = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    if spec.fmt not in (None, "excel", "yyyymmdd") and spec.calendar != "jalali":
        return _declared_format(u, spec, out)
    num = u.str.match(_NUMBER)
    if num.any():
        res[num] = _from_numbers(u[num].astype(float), spec, out)
    ymd = u.str.extract(_YMD)
    is_ymd = ymd[0].notna() & ~num
    if is_ymd.any():
        res[is_ymd] = _ymd(ymd[is_ymd], spec, out)
    dmy = u.str.extract(_DMY)
    is_dmy = dmy[0].notna() & ~num
    if is_dmy.any():
        res[is_dmy] = _dmy(dmy[is_dmy], spec, out)
    two = u.str.match(_TWO_DIGIT_YEAR) & ~num & ~is_ymd & ~is_dmy
    if two.any():
        out.problems.append((*message("two_digit_years"), u.index[two]))
    rest = ~(num | is_ymd | is_dmy | two)
    if rest.any():
        res[rest] = _iso(u[rest], spec, out)
        left = rest & res.isna()
        if left.any():  # month names and other unambiguous spellings
            res[left] = pd.to_datetime(u[left], format="mixed", errors="coerce")
    return res


def _declared_format(u: pd.Series, spec: DateSpec, out: Parsed) -> pd.Series:
    vals = pd.to_datetime(u, format=spec.fmt, errors="coerce", utc="%z" in str(spec.fmt))
    out.notes.append(say("note.declared_format", format=spec.fmt))
    return _naive(vals, spec.timezone).astype("datetime64[ns]")


def _fast_iso(u: pd.Series, spec: DateSpec, out: Parsed) -> pd.Series | None:
    """ISO dates and times in one vectorized parse (the common case); None to take the long way.

    Columns of digits (``YYYYMMDD``, serials), declared formats or calendars, and mixed UTC
    offsets go the long way; so does every value this parse leaves missing (Jalali years are
    out of its range, other spellings do not match).
    """
    if spec.fmt is not None or spec.calendar is not None or u.empty:
        return None
    head = u.iloc[:200].astype(str).str.strip()
    if head.str.fullmatch(r"\d+(?:\.\d+)?").any():
        return None
    with warnings.catch_warnings():  # mixed offsets: pandas 2 warns, then we take the long way
        warnings.filterwarnings("ignore", "(?s).*mixed time zones", FutureWarning)
        try:
            v = pd.to_datetime(u, format="ISO8601", errors="coerce")
        except (ValueError, TypeError, OverflowError):
            return None
    if isinstance(v.dtype, pd.DatetimeTZDtype):
        out.notes.append(say("note.offsets", mixed="", timezone=spec.timezone))
        return v.dt.tz_convert(spec.timezone).dt.tz_localize(None).astype("datetime64[ns]")
    if not pd.api.types.is_datetime64_dtype(v):
        return None
    return v.astype("datetime64[ns]")


def _arrow_iso(s: pd.Series, spec: DateSpec) -> pd.Series | None:
    """Arrow-string ISO dates and times without UTC offsets, in one strict Arrow pass.

    Arrow refuses the whole column at the first value it cannot read exactly (an offset, a
    year out of range such as a Jalali 1403, 2025-02-30, a serial number, another spelling):
    the column then takes the long way, distinct value by distinct value. None in that case.
    """
    if not is_text(s) or spec.fmt is not None or spec.calendar is not None:
        return None
    try:
        parsed = pc.cast(arrow_text(s), pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=s.index)


def _distinct_dates(u: pd.Series, spec: DateSpec, out: Parsed) -> pd.Series:
    """The distinct values ``u`` of a column as dates: strings (ISO in one pass, the rest one by
    one), datetime objects and numbers, each the way :func:`parse_dates` describes."""
    res = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    if pd.api.types.infer_dtype(u, skipna=True) == "string":
        stamp = number = pd.Series(False, index=u.index)
        fast = _fast_iso(u, spec, out)
        text = pd.Series(True, index=u.index) if fast is None else fast.isna()
        if fast is not None:
            res[~text] = fast[~text]
    else:
        stamp = u.map(lambda v: isinstance(v, datetime | date | pd.Timestamp))
        number = u.map(lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool))
        text = ~stamp & ~number
    if stamp.any():
        res[stamp] = _naive(pd.to_datetime(u[stamp], utc=True), spec.timezone)
    if number.any():
        res[number] = _from_numbers(u[number].astype(float), spec, out)
    if text.any():
        t = u[text].astype(str).map(to_ascii_digits).str.strip()
        if has_eastern_digits(u[text]):
            out.notes.append(say("eastern_digits"))
        res[text] = _from_text(t, spec, out)
    return res


def parse_dates(s: pd.Series, spec: DateSpec) -> Parsed:
    """Parse a column of dates as written by CSV, Excel, SPSS or Parquet exports.

    Parameters
    ----------
    s : Series
        Strings, numbers, datetime objects or a datetime column.
    spec : DateSpec
        The declared format, calendar and time zone, if any.

    Returns
    -------
    Parsed
        ``values`` (naive ``datetime64[ns]``, NaT where missing or unreadable), ``notes`` on
        what was inferred and ``problems`` (message, fix, row mask) for values refused.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        aware = isinstance(s.dtype, pd.DatetimeTZDtype)
        notes = [say("note.aware", timezone=spec.timezone)] if aware else []
        return Parsed(_naive(s, spec.timezone).astype("datetime64[ns]", copy=False), notes)
    fast = _arrow_iso(s, spec)
    if fast is not None:
        return Parsed(fast)
    out = Parsed(pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"))
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.reset_index(drop=True)
        out.values = _from_numbers(x, spec, out).set_axis(s.index)
        out.problems = [(m, f, x.index.isin(rows)) for m, f, rows in out.problems]
        return out
    codes, uniques = pd.factorize(s)
    u = pd.Series(uniques, dtype=object)
    res = _distinct_dates(u, spec, out)
    # map back to rows; problems found on distinct values become row masks
    vals = np.append(res.to_numpy(), np.datetime64("NaT"))
    out.values = pd.Series(vals[codes], index=s.index, dtype="datetime64[ns]")
    out.problems = [
        (msg, fix, np.append(u.index.isin(labels), False)[codes])
        for msg, fix, labels in out.problems
    ]
    out.notes = list(dict.fromkeys(out.notes))
    return out
