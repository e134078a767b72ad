"""Intake speed: load + validate the 1,000,000-customer synthetic world from CSV and Parquet.

Four variants: CSV and Parquet, each with Gregorian ISO dates and with Jalali dates (the
customers' signup/churn dates and the survey dates written as ``1403/05/12``, as an Iranian CRM
exports them). The peer, reading the same files with plain ``pandas.read_csv`` / ``pandas.read_parquet`` (no
dialect sniffing, typing or validation), and the loader each run in a fresh process, one after
the other; each peak RSS is its own. Prints time, peak RSS,
ratio to the peer, CPU seconds of both (the figure that holds on a busy machine) and the targets
(< 60 s and < 4 GB for the load: read, typing and every check); exits 1 when a target is missed.

    python bench/bench_intake.py [--customers 1000000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

TARGET_S, TARGET_GB = 60.0, 4.0


def _jalali(s):
    """Dates as Jalali strings (distinct dates converted once)."""
    import pandas as pd
    from persiantools.jdatetime import JalaliDate

    day = s.dt.normalize()
    uniq = pd.Series(day.dropna().unique())
    conv = {d: JalaliDate(d.date()).strftime("%Y/%m/%d") for d in uniq}
    return day.map(conv)


def _write_csv(df, path: Path) -> None:
    """A CSV as a database export writes it (pyarrow's writer: to_csv takes minutes at 12 M)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cols = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            a = pa.array(s.astype("datetime64[s]"))
            kept = s.dropna()
            if (kept == kept.dt.normalize()).all():
                a = a.cast(pa.date32())
        elif isinstance(s.dtype, pd.CategoricalDtype):
            a = pa.array(s.astype(object), type=pa.string(), from_pandas=True)
        else:
            a = pa.array(s, from_pandas=True)
        cols[c] = a
    pacsv.write_csv(pa.table(cols), path)


def _write(data, folder: Path, fmt: str) -> None:
    import shutil

    import cxmodels as cx

    if fmt == "parquet":
        cx.save(data, folder, fmt="parquet")
        return
    folder.mkdir(parents=True, exist_ok=True)
    for t, df in data.tables.items():
        df = df.drop(columns=[c for c in ("tenure_days", "churned") if c in df])
        _write_csv(df, folder / f"{t}.csv")
    for name in ("codebook.json", "meta.json"):
        shutil.copy(folder.parent / folder.name.replace("csv", "parquet") / name, folder / name)


def prepare(n: int, cache: Path) -> None:
    """Write the world once per size: parquet/, csv/, parquet_jalali/, csv_jalali/."""
    from dataclasses import replace

    import cxmodels as cx

    if (cache / "ready.json").exists():
        return
    cache.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    data = cx.generate(n, seed=7)
    print(f"generated {n:,} customers in {time.perf_counter() - t:.1f} s", flush=True)
    cust = data.customers.assign(
        signup_date=_jalali(data.customers["signup_date"]),
        churn_date=_jalali(data.customers["churn_date"]),
    )
    resp = data.responses.assign(survey_date=_jalali(data.responses["survey_date"]))
    jal = replace(data, customers=cust, responses=resp)
    for suffix, world in (("", data), ("_jalali", jal)):
        for fmt in ("parquet", "csv"):
            t = time.perf_counter()
            _write(world, cache / f"{fmt}{suffix}", fmt)
            print(f"wrote {fmt}{suffix} in {time.perf_counter() - t:.1f} s", flush=True)
    (cache / "ready.json").write_text(json.dumps({"n": n}))


def child(folder: str, fmt: str, what: str) -> None:
    """One measurement in this (fresh) process: the peer's bare read, or ``cx.load``."""
    import pandas as pd

    import cxmodels as cx

    root = Path(folder)
    t, c = time.perf_counter(), time.process_time()
    if what == "peer":
        for p in sorted(root.glob(f"*.{fmt}")):
            pd.read_csv(p, low_memory=False) if fmt == "csv" else pd.read_parquet(p)
        n = {}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = cx.load(root)
        n = {"customers": len(data.customers), "interactions": len(data.interactions)}
    took, cpu = time.perf_counter() - t, time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    print(json.dumps({"s": took, "cpu_s": cpu, "peak_gb": rss, **n}))


def _run(folder: Path, fmt: str, what: str) -> dict:
    here = str(Path(__file__).parent)
    code = f"import sys; sys.path.insert(0, {here!r}); import bench_intake as b; "
    code += f"b.child({str(folder)!r}, {fmt!r}, {what!r})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{folder.name}: {what} failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(folder: Path, fmt: str) -> dict:
    """The peer and :func:`child` each in a fresh process, one after the other (so each peak
    RSS is its own: pandas' bare CSV read alone peaks above 4 GB at 1M)."""
    peer, own = _run(folder, fmt, "peer"), _run(folder, fmt, "load")
    return {
        "load_s": own["s"],
        "load_cpu_s": own["cpu_s"],
        "peak_gb": own["peak_gb"],
        "peer_s": peer["s"],
        "peer_cpu_s": peer["cpu_s"],
        "peer_peak_gb": peer["peak_gb"],
        "customers": own["customers"],
        "interactions": own["interactions"],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args()
    cache = args.cache or Path("/tmp") / f"cxmodels_bench_intake_{args.customers}"
    prepare(args.customers, cache)
    ok = True
    print(
        f"{'variant':<16}{'load':>9}{'peak RSS':>10}{'peer':>9}{'ratio':>7}"
        f"{'load CPU':>10}{'peer CPU':>10}  target"
    )
    for variant in ("csv", "parquet", "csv_jalali", "parquet_jalali"):
        fmt = variant.split("_")[0]
        own = measure(cache / variant, fmt)
        miss = own["load_s"] > TARGET_S or own["peak_gb"] > TARGET_GB
        ok &= not miss
        print(
            f"{variant:<16}{own['load_s']:>8.1f}s{own['peak_gb']:>8.2f}GB"
            f"{own['peer_s']:>8.1f}s{own['load_s'] / own['peer_s']:>6.1f}x"
            f"{own['load_cpu_s']:>9.1f}s{own['peer_cpu_s']:>9.1f}s"
            f"  < {TARGET_S:.0f} s, < {TARGET_GB:.0f} GB"
            f" {'MISSED' if miss else 'ok'}"
            f"  ({own['customers']:,} customers, {own['interactions']:,} interactions)",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
