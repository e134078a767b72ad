"""Reading exports: one source per table, CSV dialects and encodings, Excel sheets, SPSS labels.

Every read failure becomes a problem in the load's :class:`~cxmodels._validation.Report` naming
the file, what is wrong and the fix, so ``cx.load`` raises one
:class:`~cxmodels._validation.DataValidationError` and never a library traceback. What a reader
infers (encoding, separator, decimal mark, sheets stacked or skipped, title rows) is recorded as
a note (severity ``"note"``) in the same report. Files are opened read-only.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyreadstat
import yaml

from .._validation import Report, did_you_mean
from .contract import CONTRACT, TABLES, default_codebook
from .dates import DateSpec, parse_dates
from .messages import message, say
from .text import (
    ARABIC_DIGITS,
    GROUP_SPACES,
    PERSIAN_DIGITS,
    TEXT,
    all_ascii,
    canonical_name,
    normalize_label,
)
from .vocabulary import VOCABULARY

# a free-text answer of more than 131,072 characters (the csv module's default) is a value, not
# a broken file: the sniffers below split sample lines with the csv module
csv.field_size_limit(max(csv.field_size_limit(), (1 << 31) - 1))

FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "xls",
    ".sav": "spss",
    ".zsav": "spss",
}
DUCKDB_SUFFIXES = {".duckdb", ".db", ".ddb"}
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1256", "latin-1")
TABLE_KEYS = ("encoding", "separator", "decimal", "date_format", "calendar", "sheet")
META_KEYS = ("observation_end", "timezone", *TABLE_KEYS, "tables")
MISSING_LABELS = (
    "refused",
    "refuse",
    "don't know",
    "dont know",
    "do not know",
    "no answer",
    "not answered",
    "not applicable",
    "n/a",
    "missing",
    "prefer not to say",
    "no opinion",
    "نمی دانم",
    "نمیدانم",
    "بدون پاسخ",
    "پاسخ نداد",
    "بی پاسخ",
    "امتناع",
    "امتناع از پاسخ",
    "نظری ندارم",
)


class ReadFailure(Exception):
    """A file that cannot be read: ``message`` and ``fix`` go into the report."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


@dataclass
class Options:
    """What ``meta.json`` declares (see ``docs/data-contract.md``): global keys, per-table keys."""

    observation_end: str | None = None
    timezone: str = "UTC"
    settings: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)

    def get(self, table: str, key: str, column: str | None = None):
        """A table's setting (``tables.<table>.<key>`` over the global key).

        ``date_format`` and ``calendar`` may be one value or a mapping keyed by
        ``"table.column"`` or ``"column"``.
        """
        for scope in (self.tables.get(table, {}), self.settings):
            value = scope.get(key)
            if not isinstance(value, dict):
                if key in scope:
                    return value
            elif column is not None:
                for k in (f"{table}.{column}", column):
                    if k in value:
                        return value[k]
        return None


def _json_or_yaml(path: Path, report: Report, table: str):
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".json":
            return json.loads(text)

        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        where, why = say("at_line_column", line=exc.lineno, column=exc.colno), exc.msg
    except UnicodeDecodeError:
        where, why = "", say("not_utf8")
    except Exception as exc:  # yaml.YAMLError and friends
        mark = getattr(exc, "problem_mark", None)
        where = say("at_line", line=mark.line + 1) if mark is not None else ""
        why = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    at = say("at", where=where) if where else ""
    report.add(table, "", *message("malformed", file=path.name, at=at, why=why))
    return None


def read_meta(folder: Path, report: Report) -> Options:
    """``meta.json``: observation end, time zone, encoding, separator, date formats, calendar."""
    path = folder / "meta.json"
    if not path.exists():
        return Options()
    raw = _json_or_yaml(path, report, "meta")
    if raw is None:
        return Options()
    if not isinstance(raw, dict):
        report.add("meta", "", *message("meta_not_object"))
        return Options()
    _check_meta_keys(raw, META_KEYS, "meta.json", report)
    tables = raw.get("tables") or {}
    if not isinstance(tables, dict):
        report.add("meta", "tables", *message("meta_tables"))
        tables = {}
    for t, sub in tables.items():
        if t not in TABLES:
            _unknown(
                report, "tables", TABLES, "unknown_table", table=t, hint=did_you_mean(t, TABLES)
            )
        elif isinstance(sub, dict):
            _check_meta_keys(sub, TABLE_KEYS, f"meta.json tables.{t}", report)
    opts = Options(
        observation_end=raw.get("observation_end"),
        timezone=str(raw.get("timezone") or "UTC"),
        settings={k: raw[k] for k in TABLE_KEYS if k in raw},
        tables={t: v for t, v in tables.items() if isinstance(v, dict)},
    )
    _check_meta_values(opts, report)
    return opts


def _unknown(report: Report, column: str, known, name: str, **values) -> None:
    """A ``meta.json`` key or value not among ``known`` (message ``name``), the known ones as
    the fix."""
    fix = say("use_one_of", known=say("separator").join(known))
    report.add("meta", column, say(name, **values), fix)


def _check_meta_keys(raw: dict, allowed, where: str, report: Report) -> None:
    for k in raw:
        if k not in allowed:
            _unknown(
                report, str(k), allowed, "unknown_key", where=where, hint=did_you_mean(k, allowed)
            )


def _check_meta_values(opts: Options, report: Report) -> None:
    try:
        ZoneInfo(opts.timezone)
    except Exception:
        report.add("meta", "timezone", *message("unknown_timezone", value=opts.timezone))
        opts.timezone = "UTC"
    if opts.observation_end is not None:
        cal = opts.settings.get("calendar")
        spec = DateSpec("meta.observation_end", calendar=cal if isinstance(cal, str) else None)
        end = parse_dates(pd.Series([str(opts.observation_end)]), spec).values.iloc[0]
        if pd.isna(end):
            report.add(
                "meta", "observation_end", *message("end_not_a_date", value=opts.observation_end)
            )
        opts.observation_end = None if pd.isna(end) else str(end.date())
    for scope in [opts.settings, *opts.tables.values()]:
        for key, known in (("separator", SEPARATORS), ("decimal", (".", ","))):
            if scope.get(key) is not None and scope[key] not in known:
                report.add("meta", key, *message(f"unknown_{key}", value=scope.pop(key)))
        enc = scope.get("encoding")
        if enc is not None:
            try:
                codecs.lookup(enc)
            except LookupError:
                _unknown(
                    report, "encoding", ENCODINGS, "unknown_encoding", value=scope.pop("encoding")
                )
        cal = scope.get("calendar")
        for v in cal.values() if isinstance(cal, dict) else [cal]:
            if v is not None and v not in ("gregorian", "jalali"):
                report.add("meta", "calendar", *message("unknown_calendar", value=v))
                scope.pop("calendar", None)


# --------------------------------------------------------------------------- codebook
def read_codebook(folder: Path, report: Report) -> dict | None:
    """``codebook.json``/``.yaml``: ``{column: {"min", "max", "labels", "missing_codes"}}``.

    A wave entry may give ``{"order": [...]}`` instead of a scale.
    """
    paths = [folder / n for n in ("codebook.json", "codebook.yaml", "codebook.yml")]
    found = [p for p in paths if p.exists()]
    if len(found) > 1:
        report.add(
            "codebook", "", *message("two_codebooks", first=found[0].name, second=found[1].name)
        )
    if not found:
        return None
    raw = _json_or_yaml(found[0], report, "codebook")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        report.add("codebook", "", *message("codebook_not_mapping", file=found[0].name))
        return None
    out = {}
    for col, entry in raw.items():
        if not isinstance(entry, dict):
            report.add("codebook", str(col), *message("codebook_entry", file=found[0].name))
            continue
        if "order" in entry:
            out[col] = entry
            continue
        missing = [k for k in ("min", "max") if k not in entry]
        bad = [k for k in ("min", "max") if k in entry and not _is_number(entry[k])]
        if missing or bad:
            what = (
                say("entry_has_no", keys=say("or").join(missing))
                if missing
                else say("entry_not_number", key=bad[0])
            )
            report.add(
                "codebook",
                str(col),
                say("codebook_entry_what", file=found[0].name, what=what),
                say("codebook_scale.fix", column=col),
            )
            continue
        if entry["min"] >= entry["max"]:
            report.add("codebook", str(col), *message("min_not_below_max", file=found[0].name))
            continue
        out[col] = entry
    return out


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def merge_codebook(extra: dict | None, labels: dict) -> dict:
    """The default scales with a codebook file's entries (``extra``) and SPSS value labels
    over them."""
    cb = default_codebook(())
    for k, v in (extra or {}).items():
        cb[k] = {**cb.get(k, {"labels": {}}), **v}
        cb[k]["labels"] = {
            int(a) if str(a).lstrip("-").isdigit() else a: b
            for a, b in (cb[k].get("labels") or {}).items()
        }
    for col, lab in labels.items():
        entry = cb.setdefault(col, {})
        entry["labels"] = lab
        nums = [a for a in lab if isinstance(a, int | float)]
        if len(nums) >= 2 and "min" not in entry:  # labels give the scale only when none is set
            entry["min"], entry["max"] = min(nums), max(nums)
    return cb


# --------------------------------------------------------------------------- sources
def find_sources(folder: Path, report: Report) -> dict[str, tuple[Path, str]]:
    """One file per table (case- and spacing-insensitive names); two for one table is an error."""
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        fmt = FORMATS.get(p.suffix.lower())
        name = canonical_name(p.stem)
        if p.is_file() and name in TABLES:
            if fmt is None:
                report.add(
                    name,
                    "",
                    *message("not_a_format", file=p.name, suffix=p.suffix or say("no_suffix")),
                    severity="warning",
                )
                continue
            found.setdefault(name, []).append(p)
    out = {}
    for t, paths in found.items():
        if len(paths) > 1:
            report.add(t, "", *message("two_files", files=say("and").join(p.name for p in paths)))
            continue
        out[t] = (paths[0], FORMATS[paths[0].suffix.lower()])
    return out


def read_source(
    path: Path, fmt: str, table: str, opts: Options, codebook: dict | None, report: Report
) -> tuple[pd.DataFrame | None, dict]:
    """Read one table file; failures go into ``report`` naming the file. Returns (frame, labels)."""
    reader = {"parquet": _parquet, "csv": _csv, "excel": _excel, "xls": _excel, "spss": _spss}
    try:
        if path.stat().st_size == 0:
            raise ReadFailure(*message("file_empty"))
        df, labels = reader[fmt](path, table, opts, codebook, report)
    except ReadFailure as exc:
        report.add(table, "", say("file_says", file=path.name, message=exc.message), exc.fix)
        return None, {}
    except Exception as exc:  # any library error becomes one line naming the file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        report.add(table, "", *message("unreadable", file=path.name, format=fmt.upper(), why=first))
        return None, {}
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1):
        df = df.reset_index(drop=True)  # a copy: only when the reader did not number the rows
    return df, labels


def arrow_frame(table) -> pd.DataFrame:
    """An Arrow table as a frame, the table's memory released column by column.

    Text becomes :data:`~cxmodels.data.text.TEXT` (no Python object per value), dictionaries
    categories, and booleans numpy booleans, or pandas' nullable ones where values are missing.
    """

    def mapper(t):
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return TEXT
        return pd.BooleanDtype() if pa.types.is_boolean(t) else None

    full = {n for n, c in zip(table.column_names, table.columns) if pa.types.is_boolean(c.type)}
    full = {n for n in full if table.column(n).null_count == 0}
    df = table.to_pandas(split_blocks=True, self_destruct=True, types_mapper=mapper)
    for name in full:
        df[name] = df[name].to_numpy(dtype=bool)
    return df


def _parquet(path, table, opts, codebook, report):
    try:
        # page by page (pre_buffer=False): buffering whole column chunks first, pyarrow's
        # default for remote stores, holds the compressed file beside its columns (local
        # files read faster without it: bench/bench_intake.py)
        table = pq.read_table(path, pre_buffer=False)
    except Exception as exc:
        raise ReadFailure(*message("bad_parquet")) from exc
    for name in _not_utf8(table):
        raise ReadFailure(*message("not_utf8", column=name))
    return arrow_frame(table), {}


def _not_utf8(table) -> list[str]:
    """Text columns holding bytes that are not UTF-8 (Parquet stores text as UTF-8; a legacy
    writer may have put Windows-1256 bytes there). Arrow strings are not decoded when they are
    kept as Arrow strings, so this is checked here, once, by Arrow's validator."""
    bad = []
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            if all_ascii(col):
                continue  # ASCII bytes are UTF-8: one pass over the bytes settles the column
            try:
                col.validate(full=True)
            except pa.ArrowInvalid:
                bad.append(name)
    return bad


# --------------------------------------------------------------------------- CSV
def _detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by its BOM, else Windows-1256 or Latin-1."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a character cut by the sample's end
            return "utf-8"
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    # Arabic-script words are runs of high bytes; Latin-1 accents sit alone between ASCII letters
    paired = sum(1 for i in high if i + 1 < len(sample) and sample[i + 1] >= 0x80)
    return "cp1256" if paired >= 0.5 * len(high) else "latin-1"


def _sniff_separator(lines: list[str]) -> str:
    best, best_n = ",", 0
    for sep in SEPARATORS:
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        if not counts or counts[0] < 2:
            continue
        same = sum(c == counts[0] for c in counts) / len(counts)
        if same >= 0.9 and counts[0] > best_n:
            best, best_n = sep, counts[0]
    return best


#: How a number is written: each form and the decimal mark it proves ("," or "."), or None
#: when it proves nothing on its own (an integer, or one group of exactly three digits).
_FORMS = (
    ("int", re.compile(r"-?\d+"), None),
    ("comma3", re.compile(r"-?[1-9]\d{0,2},\d{3}"), None),
    ("dot3", re.compile(r"-?[1-9]\d{0,2}\.\d{3}"), None),
    ("comma_groups", re.compile(r"-?\d{1,3}(?:,\d{3}){2,}"), "."),
    ("dot_groups", re.compile(r"-?\d{1,3}(?:\.\d{3}){2,}"), ","),
    ("point_grouped", re.compile(r"-?\d{1,3}(?:,\d{3})+\.\d+"), "."),
    ("comma_grouped", re.compile(r"-?\d{1,3}(?:\.\d{3})+,\d+"), ","),
    ("comma_decimal", re.compile(r"-?\d*,\d+"), ","),
    ("point_decimal", re.compile(r"-?\d*\.\d+"), "."),
)


#: By decimal mark: the grouping mark and the forms of :data:`_FORMS` written with it.
_GROUPING = {
    ",": (".", {"dot3", "dot_groups", "comma_grouped"}),
    ".": (",", {"comma3", "comma_groups", "point_grouped"}),
}
_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2, GROUP_SPACES)


def _number_forms(lines: list[str], sep: str, numeric: set[str]) -> dict[str, dict[str, list]]:
    """column -> form -> example values, for the number columns of a CSV sample (Persian and
    Arabic-Indic digits as digits: ``۱,۲۵۰`` is grouped as ``1,250`` is)."""
    rows = list(csv.reader(lines, delimiter=sep))
    if not rows:
        return {}
    header = [h.lstrip("\ufeff") for h in rows[0]]
    cols = [i for i, h in enumerate(header) if h in numeric]
    out: dict[str, dict[str, list]] = {}
    seen: dict[str, str | None] = {"": None}  # each distinct value matched once
    for r in rows[1:]:
        for i in cols:
            v = r[i].strip() if i < len(r) else ""
            form = seen[v] if v in seen else seen.setdefault(v, _number_form(v.translate(_LATIN)))
            if form not in (None, "int"):
                out.setdefault(header[i], {}).setdefault(form, []).append(v)
    return out


def _number_form(v: str) -> str | None:
    """The name of the first of :data:`_FORMS` that ``v`` is written in, else None."""
    return next((name for name, rx, _ in _FORMS if rx.fullmatch(v)), None)


def _proof(forms: dict[str, dict[str, list]], mark: str) -> list[str]:
    """'column: value' examples that prove ``mark`` is the decimal mark."""
    proves = {name for name, _, dec in _FORMS if dec == mark}
    return [f"{c}: {v[0]}" for c, f in forms.items() for k, v in f.items() if k in proves]


def _sniff_marks(lines: list[str], sep: str, numeric: set[str], table: str, declared):
    """The decimal mark and the grouping (thousands) mark of a CSV's number columns.

    Inferred from all the values of the sample together: a value such as ``7,5`` or
    ``1.234.567`` proves a decimal comma, ``7.5`` or ``1,234,567`` a decimal point; then a comma
    (or point) followed by exactly three digits is grouping. Proofs of both marks are refused,
    and so are values such as ``2.432`` with no proof either way, naming the columns, examples
    and the ``meta.json`` key that settles it. Returns ``(decimal, thousands or None)``.
    """
    forms = _number_forms(lines, sep, numeric)
    comma, point = _proof(forms, ","), _proof(forms, ".")
    dec = declared
    against = {",": point, ".": comma}.get(dec)
    if against:  # the declared mark would misread these (115.8 as 1158)
        raise ReadFailure(
            say("declared_marks", mark=dec, examples=", ".join(against[:3])),
            say("declared_marks.fix", table=table, mark="." if dec == "," else ","),
        )
    if dec is None and sep != "," and comma and point:
        raise ReadFailure(
            say("mixed_marks", comma=", ".join(comma[:3]), point=", ".join(point[:3])),
            say("marks.fix", table=table),
        )
    seen = {k for f in forms.values() for k in f}
    if dec is None and sep == ",":
        dec = "."  # a comma-separated file writes its decimals with a point
    elif dec is None and (comma or point):
        dec = "," if comma else "."
    elif dec is None and "dot3" in seen:
        examples = [f"{c}: {f['dot3'][0]}" for c, f in forms.items() if "dot3" in f]
        raise ReadFailure(
            say("ambiguous_marks", examples=", ".join(examples[:3])),
            say("marks.fix", table=table),
        )
    elif dec is None:
        dec = "."  # only '1,250'-like values: a comma then three digits is grouping
    group, grouped = _GROUPING[dec]
    return dec, (group if seen & grouped else None)


def _columns_of_kind(table: str, header: list[str], kinds: tuple[str, ...]) -> list[str]:
    """Header names of the contract's columns of ``kinds``: numbers (where marks are inferred);
    identifiers, labels and dates (read as text: leading zeros kept, no '.0', no guessing)."""
    spec = CONTRACT[table]
    return [h for h in header if getattr(spec.column(canonical_name(h)), "kind", None) in kinds]


def _csv_dialect(path: Path, table: str, opts: Options, report: Report) -> tuple:
    with open(path, "rb") as fh:
        sample = fh.read(1 << 20)
    if not sample.strip():
        raise ReadFailure(*message("file_empty"))
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadFailure(*message("binary"))
    enc = opts.get(table, "encoding") or _detect_encoding(sample)
    try:
        text = sample.decode(enc, errors="strict" if len(sample) < 1 << 20 else "ignore")
    except UnicodeDecodeError as exc:
        line = sample[: exc.start].count(b"\n") + 1
        raise ReadFailure(*message("bad_encoding", encoding=enc, line=line)) from exc
    every = text.lstrip("\ufeff").splitlines()
    if len(sample) >= 1 << 20:
        every = every[:-1]  # the last line of a cut sample may be cut too
    lines = every[:50]
    sep = opts.get(table, "separator") or _sniff_separator(lines)
    header = [h.lstrip("\ufeff") for h in next(csv.reader(lines[:1], delimiter=sep), [])]
    numeric = set(_columns_of_kind(table, header, ("num",)))
    dec, group = _sniff_marks(every, sep, numeric, table, opts.get(table, "decimal"))
    declared = {k for k in ("encoding", "separator", "decimal") if opts.get(table, k)}
    if enc != "utf-8" or sep != "," or dec != "." or group or declared:
        how = say("declared" if declared else "detected")
        mark = say("decimal.comma" if dec == "," else "decimal.point")
        mark += say("grouping", mark=group) if group else ""
        separator = say(f"separator.{SEPARATORS[sep]}")
        text = message(
            "dialect", file=path.name, encoding=enc, separator=separator, decimal=mark, how=how
        )
        report.add(table, "", *text, severity="note")
    return enc, sep, dec, group


TEXT_KINDS = ("str", "cat", "date", "datetime")
NA_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "#N/A"]


def _coded_columns(table: str, header: list[str]) -> set[str]:
    """Header names of the columns read as categories (a closed vocabulary: interaction kind
    and channel), as the synthetic world and a Parquet round trip give them."""
    return {h for h in header if table == "interactions" and canonical_name(h) in VOCABULARY}


def _csv_fast(
    path: Path, header: list[str], kw: dict, coded: set[str] = frozenset()
) -> pd.DataFrame | None:
    """pyarrow's multi-threaded parser, or None when the file needs the C parser.

    Text columns are read as text by pyarrow itself (never typed and cast back: '0001' stays
    '0001'); used only where it reads exactly as the C parser does: one-character separator,
    unique header names, no quoted line breaks, no ragged rows and no column whose type changes
    below the first block (pyarrow refuses those, and the C parser then reads the file or names
    the faulty line).
    """
    if len(set(header)) != len(header) or len(kw["sep"]) != 1:
        return None

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=kw["encoding"]),
            parse_options=pacsv.ParseOptions(delimiter=kw["sep"]),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    h: pa.dictionary(pa.int32(), pa.string()) if h in coded else pa.string()
                    for h in kw["dtype"]
                },
                null_values=kw["na_values"],
                strings_can_be_null=True,
                decimal_point=kw["decimal"],
            ),
        )
    except Exception:
        return None
    if table.column_names != header or any(
        pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t)
        for t in table.schema.types
    ):
        return None  # pyarrow would type dates the C parser leaves as text
    return arrow_frame(table)


def _csv(path, table, opts, codebook, report):
    enc, sep, dec, _ = _csv_dialect(path, table, opts, report)
    # the mark found is the table's for columns the parser leaves as text: grouped numbers
    # (the parsers' thousands option reads '7,5' as 75), Persian digits
    opts.tables.setdefault(table, {}).setdefault("decimal", dec)
    with open(path, encoding=enc, newline="") as fh:
        header = next(csv.reader(fh, delimiter=sep), [])
    header = [h.lstrip("\ufeff") for h in header]
    kw = {
        "sep": sep,
        "decimal": dec,
        "encoding": enc,
        "dtype": dict.fromkeys(_columns_of_kind(table, header, TEXT_KINDS), "str"),
        "keep_default_na": False,
        "na_values": NA_VALUES,
    }
    try:
        df = _csv_fast(path, header, kw, _coded_columns(table, header))
        if df is None:  # the C parser: slower, but its messages name the line and fields
            df = pd.read_csv(path, low_memory=False, **kw)
    except pd.errors.EmptyDataError as exc:
        raise ReadFailure(*message("file_empty")) from exc
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        where = say("fields", line=m.group(2), n=m.group(3), header=m.group(1)) if m else str(exc)
        raise ReadFailure(*message("cannot_split", where=where, separator=sep)) from exc
    except UnicodeDecodeError as exc:
        raise ReadFailure(*message("bad_encoding_later", encoding=enc)) from exc
    if len(header) == df.shape[1]:
        df.columns = header  # keep duplicated names visible (pandas would write 'nps.1')
    return df, {}


# --------------------------------------------------------------------------- Excel
def _header_row(raw: pd.DataFrame, required: set[str]) -> int | None:
    for i in range(min(len(raw), 30)):
        names = {canonical_name(v) for v in raw.iloc[i] if isinstance(v, str)}
        if required <= names:
            return i
    return None


def _sheets(path: Path, fmt_engine: str, sheet) -> dict[str, pd.DataFrame]:
    try:
        return pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine=fmt_engine)
    except zipfile.BadZipFile as exc:
        raise ReadFailure(*message("bad_excel")) from exc
    except ImportError as exc:
        raise ReadFailure(*message("xls_needs_xlrd")) from exc


def _excel(path, table, opts, codebook, report):
    engine = "xlrd" if path.suffix.lower() == ".xls" else "openpyxl"
    sheet = opts.get(table, "sheet")
    sheets = _sheets(path, engine, sheet)
    if not isinstance(sheets, dict):
        sheets = {str(sheet): sheets}
    if engine == "openpyxl":
        sheets = _visible(sheets, path, table, sheet, report)
    required = {c.name for c in CONTRACT[table].columns if c.required}
    parts, skipped = [], []
    for name, raw in sheets.items():
        hdr = _header_row(raw, required)
        if hdr is None:
            skipped.append(name)
            continue
        body = raw.iloc[hdr + 1 :].dropna(how="all")
        cols = [str(v).strip() if pd.notna(v) else None for v in raw.iloc[hdr]]
        keep = [i for i, c in enumerate(cols) if c is not None]
        body = body.iloc[:, keep].set_axis([cols[i] for i in keep], axis=1)
        if hdr > 0:
            report.add(
                table,
                "",
                *message("title_rows", file=path.name, sheet=name, n=hdr),
                severity="note",
            )
        parts.append((name, body))
    if not parts:
        first = next(iter(sheets.values()), pd.DataFrame())
        row = [str(v) for v in first.dropna(how="all").head(1).stack().tolist()][:8]
        raise ReadFailure(
            *message("no_header", columns=say("separator").join(sorted(required)), row=row)
        )
    return _stack_sheets(parts, skipped, path, table, report), {}


_OOXML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# a cell holding a formula and no saved value: <c r="B7"><f>...</f></c> (or an empty <v/>)
_UNSAVED = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


def _workbook(path: Path) -> dict[str, tuple[bool, int, str]]:
    """Per sheet of an .xlsx: (hidden, formula cells without a saved value, the first of them)."""
    out = {}
    with zipfile.ZipFile(path) as z:
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target", "") for r in rels}
        for sh in ET.fromstring(z.read("xl/workbook.xml")).iter(f"{_OOXML}sheet"):
            part = target.get(sh.get(_REL), "").lstrip("/")
            part = part if part.startswith("xl/") else f"xl/{part}"
            xml = z.read(part) if part in z.namelist() else b""
            cells = _UNSAVED.findall(xml) if b"<f" in xml else []
            hidden = sh.get("state", "visible") != "visible"
            out[sh.get("name")] = (hidden, len(cells), cells[0].decode() if cells else "")
    return out


def _visible(sheets: dict, path: Path, table: str, declared, report: Report) -> dict:
    """The sheets to read: hidden ones left out (with a note) unless named in meta.json; a
    formula without a saved value (a workbook written by a program that does not calculate)
    is refused rather than read as empty."""
    facts = _workbook(path)
    hidden = [n for n in sheets if facts.get(n, (False,))[0] and declared is None]
    if hidden:
        shown = say("separator").join(map(repr, hidden))
        text = say("sheets_hidden", file=path.name, sheets=shown)
        report.add(table, "", text, say("sheets_hidden.fix", table=table), severity="note")
    kept = {n: b for n, b in sheets.items() if n not in hidden}
    unsaved = {n: facts[n] for n in kept if facts.get(n, (0, 0))[1]}
    if unsaved:
        n = sum(f[1] for f in unsaved.values())
        first = next(iter(unsaved.items()))
        raise ReadFailure(
            *message(
                "formulas_unsaved",
                n=n,
                sheets=say("separator").join(map(repr, unsaved)),
                cell=f"{first[0]}!{first[1][2]}",
            )
        )
    return kept


def _stack_sheets(parts, skipped, path: Path, table: str, report: Report) -> pd.DataFrame:
    key = [canonical_name(c) for c in parts[0][1].columns]
    same = [(n, b) for n, b in parts if sorted(canonical_name(c) for c in b.columns) == sorted(key)]
    for n, _ in parts:
        if n not in {m for m, _ in same}:
            report.add(
                table, "", *message("other_columns", file=path.name, sheet=n, first=parts[0][0])
            )
    if skipped:
        report.add(
            table,
            "",
            *message(
                "sheets_skipped", file=path.name, sheets=say("separator").join(map(repr, skipped))
            ),
            severity="note",
        )
    if len(same) == 1:
        return same[0][1].infer_objects()
    frames = [b.set_axis([canonical_name(c) for c in b.columns], axis=1) for _, b in same]
    # survey answers without a wave column, one sheet per wave: the sheet names are the waves
    col = "wave" if table == "responses" and "wave" not in key else "sheet"
    df = pd.concat(frames, keys=[n for n, _ in same], names=[col, None]).reset_index(0)
    rows = say("separator").join(f"{n!r} {len(b):,}" for n, b in same)
    name = "sheets_stacked" if col == "sheet" else "sheets_as_waves"
    text = say(name, file=path.name, n=len(same), rows=rows), say("sheets_stacked.fix")
    report.add(table, col, *text, severity="note")
    return df.infer_objects()


# --------------------------------------------------------------------------- SPSS
def _is_missing_label(label) -> bool:
    text = normalize_label(str(label)).lower().replace("\u200c", " ").replace("’", "'")
    return text.strip(" .()") in MISSING_LABELS


def _spss(path, table, opts, codebook, report):
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:
        raise ReadFailure(*message("bad_spss")) from exc
    labels = {}
    for col, lab in meta.variable_value_labels.items():
        lab = {int(a) if float(a).is_integer() else a: b for a, b in lab.items()}
        declared = (codebook or {}).get(col, {}).get("missing_codes")
        codes = declared
        if codes is None:
            codes = [a for a, b in lab.items() if _is_missing_label(b)]
        if codes and col in df:
            hit = df[col].isin(codes)
            df.loc[hit, col] = float("nan")
            named = say("separator").join(f"{a} = {lab.get(a, '?')!r}" for a in codes)
            report.add(
                table,
                col,
                *message("missing_codes", file=path.name, codes=named, n=int(hit.sum())),
                severity="warning",
            )
        labels[col] = {a: b for a, b in lab.items() if a not in set(codes)}
    return df, labels
