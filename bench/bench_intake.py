"""Intake speed: load + validate the 1,000,000-customer synthetic world from CSV and Parquet,
against the floor of a bare pyarrow read of the same files in the same process (issue 32).

Four variants: CSV and Parquet, each with Gregorian ISO dates and with Jalali dates (the
customers' signup/churn dates and the survey dates written as ``1403/05/12``, as an Iranian CRM
exports them). Each variant runs in one fresh process, where the floor and ``cx.load`` (read,
typing and every check) alternate three times; each figure is the median of its three.

The floor is ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` of every table file with
pyarrow's defaults (no dialect sniffing, typing or checks), the tables held as a load holds the
tables it returns. The floor that drops each table once its rows are counted (what this bench
first measured) is printed beside ("1-file"): its peak is the biggest file's alone, not
the data set's, so the load is not judged against it.

Peak memory is each step's rise of the process's resident memory over what it held before the
step, freed memory given back first (sampled every 2 ms). Prints time, CPU seconds (all
threads) and their ratio, peak memory and both ratios to the floor, the one-file floor's peak
and the load's ratio to it, the machine's load average, and the targets (load <= 2x the floor's
time and <= 1.5x its peak memory; < 60 s and < 4 GB absolute); a missed target prints MISSED
and the script exits 1.

On this machine (a virtual machine) memory a process touches for the first time since the host
took it back costs about 1.5 s per GB of system time, and when that happens varies from run to
run: hence the three repeats, their medians and the CPU seconds beside the wall time.

    python bench/bench_intake.py [--customers 1000000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

TARGET_S, TARGET_GB = 60.0, 4.0
TARGET_TIME_RATIO, TARGET_MEMORY_RATIO = 2.0, 1.5


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


def _rss() -> int:
    """Resident memory of this process in bytes (/proc; the peak so far where there is none)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _step(fn) -> dict:
    """Run ``fn``: wall and CPU seconds and the peak rise of resident memory (GB) while it ran."""
    gc.collect()
    base, peak, done = _rss(), [0], threading.Event()

    def sample():
        while not done.wait(0.002):
            peak[0] = max(peak[0], _rss())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    took, cpu = time.perf_counter() - t, time.process_time() - c
    done.set()
    watcher.join()
    peak[0] = max(peak[0], _rss())
    return {"s": took, "cpu_s": cpu, "peak_gb": (peak[0] - base) / 1024**3, "out": out}


REPEATS = 3  # floor and load alternate this many times in each variant's process


def child(folder: str, fmt: str) -> None:
    """The floor and the load, alternating :data:`REPEATS` times in this (fresh) process, and
    the floor that reads one file at a time once (printed beside, not judged)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    import cxmodels as cx
    from cxmodels.data.core import release_memory

    root = Path(folder)
    read = pacsv.read_csv if fmt == "csv" else pq.read_table
    files = sorted(root.glob(f"*.{fmt}"))

    def floor():  # every table read and held, as a load holds what it returns
        tables = [read(p) for p in files]
        return sum(t.num_rows for t in tables)

    def one_at_a_time():  # each table dropped once its rows are counted
        return sum(read(p).num_rows for p in files)

    def load():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = cx.load(root)
        return {"customers": len(data.customers), "interactions": len(data.interactions)}

    def step(fn) -> dict:
        gc.collect()
        release_memory()  # else a step's rise is over memory the step before freed but kept
        return _step(fn)

    runs = {"floor": [], "load": []}
    for _ in range(REPEATS):
        runs["floor"].append({**step(floor), "out": None})
        runs["load"].append(step(load))
    runs["one_at_a_time"] = [{**step(one_at_a_time), "out": None}]
    print(json.dumps(runs))


def _median(runs: list[dict], key: str) -> float:
    return float(sorted(r[key] for r in runs)[len(runs) // 2])


def measure(folder: Path, fmt: str) -> dict:
    """:func:`child` in a fresh process (so nothing read before counts in its memory); the
    median of each step's repeats."""
    here = str(Path(__file__).parent)
    code = f"import sys; sys.path.insert(0, {here!r}); import bench_intake as b; "
    code += f"b.child({str(folder)!r}, {fmt!r})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{folder.name}: failed\n{out.stderr[-3000:]}")
    runs = json.loads(out.stdout.strip().splitlines()[-1])
    found = {
        step: {key: _median(r, key) for key in ("s", "cpu_s", "peak_gb")}
        for step, r in runs.items()
    }
    found["load"]["out"] = runs["load"][0]["out"]
    found["load_avg"] = os.getloadavg()[0]  # the machine's load over the last minute
    return found


def _line(variant: str, m: dict) -> tuple[str, bool]:
    own, bare, single = m["load"], m["floor"], m["one_at_a_time"]
    t_ratio = own["s"] / bare["s"]
    m_ratio = own["peak_gb"] / max(bare["peak_gb"], 1e-9)
    miss = (
        t_ratio > TARGET_TIME_RATIO
        or m_ratio > TARGET_MEMORY_RATIO
        or own["s"] > TARGET_S
        or own["peak_gb"] > TARGET_GB
    )
    n = own["out"]
    cpu_ratio = own["cpu_s"] / max(bare["cpu_s"], 1e-9)
    single_ratio = own["peak_gb"] / max(single["peak_gb"], 1e-9)
    text = (
        f"{variant:<16}{own['s']:>8.1f}s{own['peak_gb']:>8.2f}GB{bare['s']:>8.1f}s"
        f"{bare['peak_gb']:>8.2f}GB{t_ratio:>7.1f}x{m_ratio:>7.1f}x"
        f"{own['cpu_s']:>9.1f}s{bare['cpu_s']:>9.1f}s{cpu_ratio:>7.1f}x"
        f"{single['peak_gb']:>8.2f}GB{single_ratio:>7.1f}x{m['load_avg']:>6.1f}"
        f"  <= {TARGET_TIME_RATIO:g}x, <= {TARGET_MEMORY_RATIO:g}x, < {TARGET_S:.0f} s, "
        f"< {TARGET_GB:.0f} GB {'MISSED' if miss else 'ok'}"
        f"  ({n['customers']:,} customers, {n['interactions']:,} interactions)"
    )
    return text, miss


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args()
    cache = args.cache or Path("/tmp") / f"cxmodels_bench_intake_{args.customers}"
    prepare(args.customers, cache)
    ok = True
    print(
        f"{'variant':<16}{'load':>9}{'peak':>10}{'floor':>9}{'peak':>10}{'time':>8}{'memory':>8}"
        f"{'load CPU':>10}{'floor CPU':>10}{'CPU':>8}{'1-file':>10}{'memory':>8}{'load':>6}  target"
    )
    for variant in ("csv", "parquet", "csv_jalali", "parquet_jalali"):
        text, miss = _line(variant, measure(cache / variant, variant.split("_")[0]))
        ok &= not miss
        print(text, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
