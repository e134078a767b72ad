"""Command line: ``cxmodels sample-data``, ``cxmodels validate``, ``cxmodels report``.

Exit codes: 0 success, 1 failure (invalid data, a failed report), 2 usage error (for ``report``
also data that ``validate`` refuses), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import reports
from ._validation import DataValidationError, Report, _count, data_warnings_collected, problem_line
from .data import load, save
from .data.messages import say
from .data.sample import sample_world


def _sample_data(args) -> int:
    data = sample_world(n_customers=args.customers, seed=args.seed, comments=args.comments)
    out = save(data, args.out, fmt=args.format)
    print(f"Wrote {data!r} to {out} (with truth.json, codebook.json, meta.json)")
    return 0


def _report_rows(report) -> list[dict]:
    return [
        {
            "severity": p.severity,
            "table": p.table,
            "column": p.column,
            "problem": p.message,
            "rows": p.count,
            "examples": [str(e) for e in p.examples],
            "fix": p.fix,
        }
        for p in report.problems
    ]


def _print_table(rows: list[dict], title: str, file) -> None:
    """The report as a plain-text table: table, column, problem, rows, examples, fix."""
    if not rows:
        return
    cols = ["table", "column", "problem", "rows", "examples", "fix"]
    sep = _say("separator")
    cells = [[sep.join(r[c]) if c == "examples" else str(r[c] or "") for c in cols] for r in rows]
    cells = [[v if len(v) <= 90 else v[:87] + "..." for v in row] for row in cells]
    heads = [_say(f"heading.{c}") for c in cols]
    width = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(heads)]
    print(f"\n{title}", file=file)
    print("  ".join(h.ljust(w) for h, w in zip(heads, width)), file=file)
    print("  ".join("-" * w for w in width), file=file)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, width)), file=file)


def _say(key: str, /, **values) -> str:
    """The validation report's words (``intake.<key>``) in the current language."""
    return say(key, **values)


def _validate(args) -> int:
    """Load and validate; print the report as a table (or JSON); never a traceback."""
    data, report, fatal = None, Report(), ""
    try:
        with data_warnings_collected():  # the data warnings are printed in their own table
            data = load(args.path, as_of=args.as_of, engine=args.engine)
        report = data.report or report
    except DataValidationError as exc:
        report = exc.report
    except FileNotFoundError as exc:
        fatal = str(exc)
    except Exception as exc:  # a bug in cxmodels: still one line, never a traceback
        fatal = f"unexpected {type(exc).__name__}: {exc} (please report this as a cxmodels bug)"
    rows = _report_rows(report)
    errors = [r for r in rows if r["severity"] == "error"]
    ok = not fatal and not errors
    if args.json is not None:
        doc = {
            "path": str(args.path),
            "valid": ok,
            "fatal": fatal or None,
            "errors": len(errors),
            "warnings": sum(r["severity"] == "warning" for r in rows),
            "observation_end": str(data.observation_end.date()) if data is not None else None,
            "tables": _table_sizes(data),
            "problems": [r for r in rows if r["severity"] != "note"],
            "inferred": [r for r in rows if r["severity"] == "note"],
        }
        text = json.dumps(doc, indent=1, ensure_ascii=False)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.json != "-":
        _print_validation(args, data, rows, fatal)
    return 0 if ok else 1


def _table_sizes(data) -> dict[str, int]:
    """Rows per table; counted inside DuckDB for the duckdb engine (nothing read into memory)."""
    if data is None:
        return {}
    if hasattr(data, "views"):  # DuckData
        return {t: data.count(t) for t in data.views}
    return {t: len(df) for t, df in data.tables.items()}


def _print_validation(args, data, rows: list[dict], fatal: str) -> None:
    out = sys.stdout
    if fatal:
        print(_say("cli.fatal", fatal=fatal), file=sys.stderr)
        return
    errors = [r for r in rows if r["severity"] == "error"]
    warns = [r for r in rows if r["severity"] == "warning"]
    if data is not None:
        end = _say("cli.observation_end", end=data.observation_end.date())
        print(f"{data!r}\n{end}", file=out)
    _print_table([r for r in rows if r["severity"] == "note"], _say("cli.inferred"), out)
    _print_table(warns, _say("cli.warnings", n=_count(len(warns))), out)
    if errors:
        _print_table(errors, _say("cli.errors", n=_count(len(errors))), sys.stderr)
        for r in errors:  # the one-line form too, for logs and grep
            where = f"{r['table']}.{r['column']}" if r["column"] else r["table"]
            print(problem_line("error", where, r["problem"], r["fix"]), file=sys.stderr)
        counts = _say("cli.invalid", errors=_count(len(errors)), warnings=_count(len(warns)))
        print(f"\n{counts}", file=sys.stderr)
    else:
        more = _say("cli.valid_warnings", n=_count(len(warns))) if warns else ""
        print("\n" + _say("cli.valid") + more, file=out)


def _report(args) -> int:
    try:
        outcome = reports.run(
            config=args.config,
            only=args.only or None,
            jobs=args.jobs,
            force=args.force,
            data=args.data,
            timeout=args.timeout,
            out_dir=args.out,
            executor=args.executor,
        )
    except (reports.ConfigError, reports.RunInProgress) as exc:  # say what and where
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except reports.OutputError as exc:  # permissions, disk full: one line naming the path
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # workers and kernels are already stopped, folders removed
        print(f"\n{INTERRUPTED.format(how='interrupted (Ctrl-C)')}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # SIGTERM, raised by the runner as 128 + SIGTERM
        if exc.code != EXIT_TERMINATED:
            raise
        print(f"\n{INTERRUPTED.format(how='stopped by SIGTERM')}", file=sys.stderr)
        return EXIT_TERMINATED
    return 0 if outcome.ok else 1


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM
INTERRUPTED = (
    "{how}: the reports finished before it are published and in the index; "
    "the others keep their last good version."
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cxmodels", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample-data", help="write the synthetic CX world with truth.json")
    s.add_argument("--customers", type=int, default=4000)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--out", type=Path, default=Path("data/sample"))
    s.add_argument(
        "--comments",
        default=None,
        choices=["both", "en", "fa", "none"],
        help="realistic survey comments in English and Persian (default both); none keeps the "
        "short template comments",
    )
    s.add_argument(
        "--format", default="parquet", choices=["parquet", "csv", "excel", "spss", "duckdb"]
    )
    s.set_defaults(fn=_sample_data)
    v = sub.add_parser("validate", help="check a data folder or DuckDB file against the contract")
    v.add_argument("path", type=Path)
    v.add_argument("--as-of", default=None, help="observation end date (YYYY-MM-DD)")
    v.add_argument(
        "--engine",
        choices=("pandas", "duckdb"),
        default="pandas",
        help="pandas (default) reads the tables into memory; duckdb validates with SQL inside "
        "DuckDB, for data bigger than memory (Parquet or UTF-8 CSV folder, or a .duckdb file)",
    )
    v.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="PATH",
        help="write the report as JSON (to PATH, or to stdout alone when no PATH is given)",
    )
    v.set_defaults(fn=_validate)
    r = sub.add_parser(
        "report",
        help="build the report set (reports.yaml)",
        description="Render the reports of reports.yaml whose inputs changed. Exit codes: 0 all "
        "ok or up to date, 1 a report failed or a file could not be written, 2 a configuration "
        "error, data that validate refuses or another run on the same output folder, 130 "
        "interrupted (Ctrl-C), 143 stopped by SIGTERM.",
    )
    r.add_argument("--config", type=Path, default=None, help="report set (default reports.yaml)")
    r.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="exact report names, notebook stems or glob patterns such as '01_*'",
    )
    r.add_argument("--jobs", type=int, default=None, help="workers of process:N (default: cores)")
    r.add_argument(
        "--executor",
        default=None,
        help="serial, process:N, dask+local:N or dask://HOST:PORT "
        "(default: executor: in reports.yaml, else process:JOBS)",
    )
    r.add_argument("--force", action="store_true", help="re-run unchanged reports too")
    r.add_argument(
        "--data",
        default=None,
        help="data folder or DuckDB file for every report (relative to the current directory)",
    )
    r.add_argument("--timeout", type=float, default=None, help="seconds per report")
    r.add_argument("--out", type=Path, default=None, help="output folder (default reports/)")
    r.set_defaults(fn=_report)
    args = p.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
