"""``reports.yaml``: schema, validation and expansion into one :class:`ReportSpec` per report.

Every problem is refused before anything runs, as a :class:`ConfigError` naming the file, the
report and the key (the CLI exits 2): unknown keys (with "did you mean"), parameters the
notebook's parameters cell does not declare (read with ``papermill.inspect_notebook``), wrong
types (``matrix`` values are lists or ``all``, ``timeout`` a number of seconds), unsafe report
names, and a missing data folder.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import papermill as pm
import yaml

from .. import data as cxdata
from .._validation import DataValidationError, InputError, data_warnings_collected, did_you_mean
from ..config import project_root
from ..data.contract import CONTRACT
from ..i18n import LANGUAGES
from .state import ensure_sample, files_signature

TOP_KEYS = ("defaults", "reports", "executor")
DEFAULT_KEYS = ("data", "timeout", "executor", "language")
ENTRY_KEYS = ("name", "notebook", "parameters", "matrix", "data", "timeout", "language")
LANGUAGE_PARAMETER = "language"  # passed to notebooks that declare it (and as CXMODELS_LANGUAGE)
RESERVED_PARAMETERS = ("data_path",)  # set by the runner from ``data``
RUNNER_PARAMETERS = ("show_comments",)  # read by the privacy gate; no notebook declares it
DEFAULT_TIMEOUT = 600.0
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$")
MATRIX_ALL = "all"
MATRIX_LARGEST = "largest"  # matrix: {segment: {largest: 3}}: the 3 values with the most rows
RESERVED_NAMES = {"index": "the run's index page index.html"}
RESERVED_SUFFIX = ".failed"  # NAME.failed.ipynb is report NAME's kept failed notebook
_UNSET: Any = object()


class ConfigError(InputError):
    """A problem in the report configuration or the run's options (exit code 2)."""


@dataclass(frozen=True)
class ReportSpec:
    """One report: a notebook, its parameters, the data it reads and its timeout in seconds."""

    name: str
    notebook: Path
    parameters: dict
    data: str | None
    timeout: float
    language: str = "en"

    @property
    def group(self) -> str:
        return self.notebook.stem


def check_name(name: str, where: str = "report name") -> str:
    """Refuse a report name that is not one safe path component (no ``/``, ``..``, spaces)."""
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        why = (
            "it must be one file name"
            if isinstance(name, str) and ("/" in name or "\\" in name)
            else "it may hold only letters, digits, '.', '_' and '-', start with a letter or "
            "digit, contain no '..' and be at most 150 characters"
        )
        raise ConfigError(f"{where} {name!r} is refused: {why}.")
    return name


def _not_reserved(name: str, where: str) -> str:
    """Refuse a report name whose files would overwrite the run's own (compared as a
    case-insensitive file system compares: ``Index.html`` is ``index.html`` on Windows)."""
    key = name.casefold()
    clash = RESERVED_NAMES.get(key)
    if clash is None and key.endswith(RESERVED_SUFFIX):
        clash = f"the kept failed notebook of report {name[: -len(RESERVED_SUFFIX)]!r}"
    if clash:
        raise ConfigError(
            f"{where}: report name {name!r} is reserved: its files would overwrite {clash}. "
            "Fix: choose another name."
        )
    return name


def slug(value: Any) -> str:
    """A matrix value as it appears in a report name: unsafe characters become '-'."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", str(value)).strip("-.")
    return re.sub(r"\.{2,}", ".", s) or "x"


def _where(path: Path, entry: int | None = None, name: str | None = None, key: str = "") -> str:
    at = f"{path}"
    if entry is not None:
        at += f": report {entry + 1}" + (f" ({name})" if name else "")
    return at + (f", key '{key}'" if key else "")


def _unknown_keys(d: dict, allowed: tuple, where: str) -> None:
    for k in d:
        if k not in allowed:
            raise ConfigError(
                f"{where}: unknown key {k!r}{did_you_mean(str(k), allowed)}. "
                f"Allowed: {', '.join(allowed)}."
            )


def _timeout(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(
            f"{where}: timeout must be a number of seconds above 0, got {value!r}. "
            "Fix: e.g. timeout: 600"
        )
    return float(value)


def _language(value: Any, where: str) -> str:
    """A report's language: one of the catalogues' languages (``en`` by default)."""
    if value is None:
        return "en"
    if not isinstance(value, str) or value not in LANGUAGES:
        raise ConfigError(
            f"{where}: language {value!r} is not available"
            f"{did_you_mean(str(value), LANGUAGES)}. Allowed: {', '.join(LANGUAGES)}."
        )
    return value


def read_yaml(path: Path) -> dict:
    """The configuration file as a mapping; syntax errors name the file and the line."""
    if not path.exists():
        raise ConfigError(
            f"No report configuration at {path}: create reports.yaml or pass --config."
        )
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{at}: {problem}.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    cfg = {} if cfg is None else cfg
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: the file must be a mapping with a 'reports' list.")
    _unknown_keys(cfg, TOP_KEYS, str(path))
    defaults = cfg.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: 'defaults' must be a mapping of {', '.join(DEFAULT_KEYS)}.")
    _unknown_keys(defaults, DEFAULT_KEYS, f"{path}: defaults")
    if not isinstance(cfg.get("reports") or [], list):  # `reports:` alone is an empty list
        raise ConfigError(f"{path}: 'reports' must be a list of report entries.")
    return cfg


def resolve_data(data: str | Path | None, base: Path, where: str) -> str | None:
    """``None`` for the synthetic sample; otherwise an absolute path that exists."""
    if data in (None, "", "sample"):
        return None
    p = Path(str(data)).expanduser()
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise ConfigError(
            f"{where}: data {str(data)!r} does not exist ({p}). Fix: pass an existing folder "
            "or DuckDB file (a relative --data is read from the current directory)."
        )
    return str(p.resolve())


_LOADED: dict[tuple, tuple] = {}  # (path, engine) -> (files signature, data)


def data_engine(parameters: dict) -> str:
    """The engine a report's notebook reads its data with (its ``engine`` parameter)."""
    engine = parameters.get("engine", "pandas")
    return engine if engine in ("pandas", "duckdb") else "pandas"


def load_data(spec_data: str | None, engine: str = "pandas"):
    """The data set exactly as ``cxmodels validate`` and ``cx.load`` read it, once per process.

    The same function (:func:`cxmodels.data.load`) with the same options (encoding, separator,
    decimal mark, sheets, Jalali dates, digits, ``meta.json``) reads the data for ``matrix:
    all``, the privacy gate's identifiers and ``--data``; it is read again when a file changes.

    Raises
    ------
    ConfigError
        When validate refuses the data: its first error in one line, and how many there are.
    """
    path = ensure_sample() if spec_data is None else Path(spec_data)
    key, sig = (str(path), engine), files_signature(path)
    if key not in _LOADED or _LOADED[key][0] != sig:
        _LOADED.pop(key, None)
        try:
            with data_warnings_collected() as caught:  # each report shows its own
                _LOADED[key] = (sig, cxdata.load(path, engine=engine))
            if caught:
                print(
                    f"data {path}: {len(caught)} data quality warning(s); each report lists "
                    f"them as caveats, and `cxmodels validate {path}` prints them",
                    file=sys.stderr,
                )
        except DataValidationError as exc:
            raise ConfigError(_refused(path, exc.report)) from None
        except Exception as exc:  # as validate says it: one line, never a traceback
            raise ConfigError(
                f"data {path}: cxmodels validate cannot read it: unexpected "
                f"{type(exc).__name__}: {_first(exc)} (please report this as a cxmodels bug)"
            ) from None
    return _LOADED[key][1]


def _first(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _refused(path: Path, report) -> str:
    errors = report.errors
    first = str(errors[0]).splitlines()[0] if errors else "unreadable"
    return (
        f"data {path}: cxmodels validate refuses it ({len(errors)} error(s)), so no report ran. "
        f"{first} (every problem: cxmodels validate {path})"
    )


def table_columns(data, table: str, columns: tuple[str, ...]):
    """The given columns of one table of loaded data (only those present), or ``None``."""
    if hasattr(data, "views"):  # DuckData: only these columns are read out of DuckDB
        use = [c for c in columns if c in data.views.get(table, ())]
        return data.select(**{table: use}).table(table) if use else None
    df = data.tables.get(table)
    use = [c for c in columns if df is not None and c in df.columns]
    return df[use] if use else None


_PARAMS_CACHE: dict[tuple, dict] = {}


def notebook_parameters(nb: Path) -> dict:
    """The notebook's declared parameters (name -> inferred type and default), by papermill."""
    key = (str(nb), nb.stat().st_mtime_ns)
    if key not in _PARAMS_CACHE:
        _PARAMS_CACHE[key] = dict(pm.inspect_notebook(str(nb)))
    return _PARAMS_CACHE[key]


def _notebook(entry: dict, base: Path, where: str) -> Path:
    raw = entry.get("notebook")
    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{where}: missing key 'notebook'. Fix: name the notebook to run.")
    for b in (base, project_root()):
        p = (b / raw).resolve()
        if p.is_file():
            return p
    raise ConfigError(f"{where}: notebook {raw} does not exist.")


def _check_parameters(keys, nb: Path, where: str) -> None:
    declared = notebook_parameters(nb)
    for k in keys:
        if k in RESERVED_PARAMETERS:
            raise ConfigError(f"{where}: {k!r} is set by the runner. Fix: use the key 'data'.")
        if k in RUNNER_PARAMETERS:
            continue
        if k not in declared:
            allowed = [p for p in declared if p not in RESERVED_PARAMETERS]
            raise ConfigError(
                f"{where}: {nb.name} has no parameter {k!r}{did_you_mean(str(k), allowed)}. "
                f"Its parameters: {', '.join(allowed)}."
            )


def _default(nb: Path, key: str) -> Any:
    """The notebook's default of ``key`` as a value (``None`` when it is not a literal)."""
    try:
        return ast.literal_eval(notebook_parameters(nb)[key]["default"])
    except (KeyError, ValueError, SyntaxError, TypeError):
        return None


def _expected(default: Any, value: Any) -> str | None:
    """What the notebook expects when ``value`` does not fit its ``default``; else ``None``.

    The default tells the kind: yes/no, a number (not below 0 when the default is not), a
    list, or text (a number is accepted as text: segments and branches may be codes).
    """
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if default is None or value is None and not isinstance(default, bool | int | float):
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "true or false"
    if isinstance(default, int | float):
        if not number:
            return "a number"
        return "a number of 0 or more" if default >= 0 > value else None
    if isinstance(default, list | tuple):
        return None if isinstance(value, list) else "a list, e.g. [a, b]"
    if isinstance(default, str):
        return None if isinstance(value, str) or number else "one value (text)"
    return None


def _check_values(params: dict, matrix: dict, nb: Path, where: str) -> None:
    """Refuse a parameter or matrix value the notebook cannot take, before any report runs."""
    pairs = [*params.items()]
    pairs += [(k, one) for k, v in matrix.items() if not _from_data(v) for one in v]
    for k, v in pairs:
        want = None if k in RUNNER_PARAMETERS else _expected(_default(nb, k), v)
        if want:
            raise ConfigError(
                f"{where}, key '{k}': {nb.name} takes {want} (its default is "
                f"{_default(nb, k)!r}), got {v!r}."
            )


def _matrix(entry: dict, where: str) -> dict:
    matrix = entry.get("matrix") or {}
    if not isinstance(matrix, dict):
        raise ConfigError(f"{where}: 'matrix' must map parameter names to lists of values.")
    for k, v in matrix.items():
        if _from_data(v):
            continue
        if not isinstance(v, list) or not v:
            raise ConfigError(
                f"{where}: matrix values are lists, 'all' or {{largest: N}}, got {k}: {v!r}. "
                f"Fix: write {k}: [{v}]"
            )
    return matrix


def _name_pattern(entry: dict, nb: Path, keys, where: str) -> str:
    pattern = entry.get("name", nb.stem)
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}: name must be text, got {pattern!r}.")
    fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    unknown = [f for f in fields if f not in keys]
    if unknown:
        raise ConfigError(
            f"{where}: the name uses {{{unknown[0]}}}, which is neither a parameter nor a "
            f"matrix variable{did_you_mean(unknown[0], [*keys, *notebook_parameters(nb)])}. "
            "Fix: set it under parameters or matrix."
        )
    literal = "".join(t for t, *_ in string.Formatter().parse(pattern))
    if re.search(r"[^A-Za-z0-9._-]", literal) or ".." in literal:
        check_name(literal, f"{where}: name")
    return pattern


def _from_data(v: Any) -> bool:
    """Whether a matrix value is read from the data: ``all``, or ``{largest: N}`` (N >= 1)."""
    if isinstance(v, dict) and list(v) == [MATRIX_LARGEST]:
        n = v[MATRIX_LARGEST]
        return isinstance(n, int) and not isinstance(n, bool) and n >= 1
    return v == MATRIX_ALL


def _all_values(key: str, spec_data: str | None, engine: str, largest: int | None = None) -> list:
    """Distinct values of the column ``key`` (or ``key_id``) in the data, for ``key: all``;
    with ``largest``, the ``largest`` values with the most rows, the largest first."""
    data = load_data(spec_data, engine)
    for table in ("customers", "responses", "interactions", "branches"):
        df = table_columns(data, table, (key, f"{key}_id"))
        if df is not None:
            col = df[df.columns[0]].dropna().astype(str)
            if largest:
                counts = col.value_counts()
                order = sorted(counts.index, key=lambda x: (-counts[x], x))
                return order[:largest]
            return sorted(col.unique())
    return []


def _contract_column(key: str) -> bool:
    """Whether ``key`` (or ``key_id``) is a column of the data contract (optional in the data)."""
    return any(c.name in (key, f"{key}_id") for tab in CONTRACT.values() for c in tab.columns)


def _expand(entry: dict, base: Path, path: Path, i: int, data, timeout) -> list[ReportSpec]:
    where = _where(path, i, entry.get("name") if isinstance(entry, dict) else None)
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each report is a mapping with at least 'notebook'.")
    _unknown_keys(entry, ENTRY_KEYS, where)
    nb = _notebook(entry, base, where)
    params = entry.get("parameters") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{_where(path, i, key='parameters')}: must be a mapping.")
    matrix = _matrix(entry, _where(path, i, entry.get("name"), "matrix"))
    _check_parameters([*params, *matrix], nb, _where(path, i, entry.get("name"), "parameters"))
    _check_values(params, matrix, nb, _where(path, i, entry.get("name")))
    pattern = _name_pattern(entry, nb, [*params, *matrix], _where(path, i, key="name"))
    spec_data = data
    if data is _UNSET:
        spec_data = resolve_data(entry.get("data"), base, _where(path, i, key="data"))
    t = timeout if timeout is not None else entry.get("timeout", DEFAULT_TIMEOUT)
    t = _timeout(t, _where(path, i, entry.get("name"), "timeout"))
    lang = _language(entry.get("language"), _where(path, i, entry.get("name"), "language"))
    if lang != "en" and LANGUAGE_PARAMETER in notebook_parameters(nb):
        params = {**params, LANGUAGE_PARAMETER: lang}
    engine = data_engine(params)
    values = {
        k: (_all_values(k, spec_data, engine, v.get(MATRIX_LARGEST) if isinstance(v, dict) else None)
            if _from_data(v) else v)
        for k, v in matrix.items()
    }  # fmt: skip
    for k, v in values.items():
        if not v and _contract_column(k):
            return []  # the data has no such values (e.g. no branches): no report of this entry
        if not v:
            raise ConfigError(
                f"{_where(path, i, key='matrix')}: {k}: all found no column {k!r} "
                f"(or {k}_id) with values in the data."
            )
    specs = []
    for combo in itertools.product(*values.values()):
        p = {**params, **dict(zip(values, combo))}
        name = pattern.format(**{k: slug(v) for k, v in p.items()})
        name = _not_reserved(check_name(name, where), where)
        specs.append(ReportSpec(name, nb, p, spec_data, t, lang))
    return specs


def load_config(
    config: str | Path | None = None,
    data: str | Path | None = None,
    timeout: float | None = None,
) -> list[ReportSpec]:
    """Read and validate ``reports.yaml``; expand every ``matrix`` into one spec per combination.

    Parameters
    ----------
    config : path, optional
        The configuration file (default ``reports.yaml`` in the project root).
    data : path, optional
        Data folder or DuckDB file for every report (overrides the file); a relative path is
        read from the current directory. ``"sample"`` is the synthetic sample.
    timeout : float, optional
        Seconds per report for every report (overrides the file).

    Returns
    -------
    list of ReportSpec
        One per report, in the file's order.

    Raises
    ------
    ConfigError
        For every problem, naming the file, the report and the key.
    """
    path = Path(config).resolve() if config else project_root() / "reports.yaml"
    cfg = read_yaml(path)
    defaults = cfg.get("defaults") or {}
    override = _UNSET if data is None else resolve_data(data, Path.cwd(), "--data")
    if timeout is not None:
        timeout = _timeout(timeout, "--timeout")
    if not cfg.get("reports"):
        what = "the file is empty" if not cfg else "'reports' lists no report"
        raise ConfigError(
            f"{path}: nothing to run: {what}. Fix: add entries under 'reports:', e.g. "
            "'- notebook: notebooks/00_cx_overview.ipynb'."
        )
    specs = []
    for i, entry in enumerate(cfg["reports"]):
        e = entry
        if isinstance(entry, dict):
            e = {k: defaults[k] for k in ("data", "timeout", "language") if k in defaults} | entry
        specs += _expand(e, path.parent, path, i, override, timeout)
    names = [s.name.casefold() for s in specs]  # one file on Windows and macOS
    dup = sorted({s.name for s in specs if names.count(s.name.casefold()) > 1})
    if dup:
        raise ConfigError(
            f"{path}: report names repeat ({', '.join(dup)}). Fix: put the matrix "
            "variables in the name pattern, e.g. name: 'overview_{segment}'."
        )
    return specs


def config_executor(config: str | Path | None = None) -> str | None:
    """The ``executor:`` of the configuration file (top level or in ``defaults``), if any."""
    path = Path(config).resolve() if config else project_root() / "reports.yaml"
    cfg = read_yaml(path)
    return cfg.get("executor") or (cfg.get("defaults") or {}).get("executor")


# ------------------------------------------------------------------ executors
EXECUTOR_RE = re.compile(r"^(serial|process(?::(\d+))?|dask\+local(?::(\d+))?|dask://(.+))$")
EXECUTORS = "serial, process:N, dask+local:N, dask://HOST:PORT"


@dataclass(frozen=True)
class Executor:
    """A parsed ``--executor`` value."""

    kind: str  # serial, process, dask-local, dask
    workers: int = 1
    address: str = ""

    def __str__(self) -> str:
        if self.kind == "dask":
            return f"dask://{self.address}"
        return (
            "serial" if self.kind == "serial" else f"{self.kind.replace('-', '+')}:{self.workers}"
        )


def parse_executor(value: str | None, jobs: int | None = None) -> Executor:
    """Parse an executor name.

    Parameters
    ----------
    value : str or None
        ``serial``, ``process:N``, ``dask+local:N`` or ``dask://HOST:PORT``; ``None`` gives
        ``process:jobs``. ``process`` and ``dask+local`` without ``:N`` use ``jobs`` (or the
        number of cores).
    jobs : int, optional
        Default number of workers.

    Returns
    -------
    Executor
        ``kind`` (serial, process, dask-local, dask), ``workers`` and ``address``.
    """
    default_n = max(1, jobs or os.cpu_count() or 1)
    m = EXECUTOR_RE.match(str(value if value is not None else "process").strip())
    if not m:
        raise ConfigError(f"executor {value!r} is not one of {EXECUTORS}.")
    if not m.group(4) and not hasattr(os, "fork"):  # kernels are forked from a warm template
        raise ConfigError(
            f"executor {value or 'process'!r}: the report runner forks its kernels, which this "
            "system cannot (Windows). Fix: run cxmodels report under WSL, Linux or macOS, or "
            "on a dask://HOST:PORT scheduler there; the notebooks themselves run anywhere."
        )
    if value is None:
        return Executor("process", default_n)
    if m.group(1) == "serial":
        return Executor("serial")
    if m.group(4):
        return Executor("dask", 0, m.group(4))
    n = int(m.group(2) or m.group(3) or default_n)
    if n < 1:
        raise ConfigError(f"executor {value!r}: the number of workers must be at least 1.")
    return Executor("process" if m.group(1).startswith("process") else "dask-local", n)
