"""Command line: ``cxmodels sample-data``, ``cxmodels validate``, ``cxmodels report``.

Exit codes: 0 success, 1 failure (invalid data, a failed report), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path


def _sample_data(args) -> int:
    from .data import generate, save

    data = generate(args.customers, seed=args.seed)
    out = save(data, args.out, fmt=args.format)
    print(f"Wrote {data!r} to {out} (with truth.json, codebook.json, meta.json)")
    return 0


def _validate(args) -> int:
    from .data import load

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = load(args.path, as_of=args.as_of)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # DataValidationError and unreadable inputs
        print(str(exc), file=sys.stderr)
        return 1
    print(f"{data!r}\nobservation end: {data.observation_end.date()}")
    for w in caught:
        print(str(w.message))
    print("Valid: no errors." + (f" {len(caught)} warning(s)." if caught else ""))
    return 0


def _report(args) -> int:
    from . import reports

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
    return 0 if outcome.ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cxmodels", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample-data", help="write the synthetic CX world with truth.json")
    s.add_argument("--customers", type=int, default=4000)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--out", type=Path, default=Path("data/sample"))
    s.add_argument(
        "--format", default="parquet", choices=["parquet", "csv", "excel", "spss", "duckdb"]
    )
    s.set_defaults(fn=_sample_data)
    v = sub.add_parser("validate", help="check a data folder or DuckDB file against the contract")
    v.add_argument("path", type=Path)
    v.add_argument("--as-of", default=None, help="observation end date (YYYY-MM-DD)")
    v.set_defaults(fn=_validate)
    r = sub.add_parser(
        "report",
        help="build the report set (reports.yaml)",
        description="Render the reports of reports.yaml whose inputs changed. Exit codes: 0 all "
        "ok or up to date, 1 a report failed or a file could not be written, 2 a configuration "
        "error or another run on the same output folder.",
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
