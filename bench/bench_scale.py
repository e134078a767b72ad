"""Data bigger than memory: validate a 10,000,000-customer, 100,000,000-interaction world in DuckDB.

Generates the world in chunks straight into Parquet files (numpy and pyarrow, seeded; never held
in pandas), or into a DuckDB file with ``--format duckdb``, then times ``cx.load(path,
engine="duckdb")`` in a fresh process and prints its time and peak RSS beside the targets
(< 5 minutes, < 4 GB); exits 1 on a miss. Also times one segment read through
``data.subset(segment=...).select(responses=[...])`` (the way a report reads it).

    python bench/bench_scale.py [--customers 10000000] [--format parquet|duckdb] [--cache DIR]

Interactions are ten per customer, survey answers one and a half. Try it small first
(``--customers 100000``); the full size writes ~4 GB to the cache folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TARGET_S, TARGET_GB = 300.0, 4.0
CHUNK = 2_000_000
START, END = np.datetime64("2021-01-01"), np.datetime64("2025-12-31")
SEGMENTS = np.array(["consumer", "premium", "small_business", "enterprise"])
REGIONS = np.array(["north", "south", "east", "west", "central"])
CHANNELS = np.array(["phone", "email", "sms", "chat", "social", "web", "store"])
KINDS = np.array(["purchase", "support", "complaint", "follow_up", "survey_invite"])
ATTRS = ["attr_product_quality", "attr_value_for_money", "attr_responsiveness"]


def _ids(prefix: str, numbers: np.ndarray, width: int):
    """``C000000042``-style ids, vectorized in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    num = pc.cast(pa.array(numbers.astype(np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(num, width, "0"), "")


def _labels(values: np.ndarray, codes: np.ndarray):
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values))


def _writer(path: Path, batch):
    import pyarrow.parquet as pq

    return pq.ParquetWriter(path, batch.schema, compression="snappy")


def _customers(rng, n: int, folder: Path) -> np.ndarray:
    """Write customers.parquet in chunks; returns each customer's signup day (int32, days)."""
    import pyarrow as pa

    span = int((END - START) / np.timedelta64(1, "D"))
    signup = rng.integers(0, span - 30, n).astype(np.int32)
    writer = None
    for s in range(0, n, CHUNK):
        k = min(CHUNK, n - s)
        day = signup[s : s + k]
        churn = day + rng.exponential(900, k).astype(np.int32) + 1
        churned = churn < span
        batch = pa.table(
            {
                "customer_id": _ids("C", np.arange(s, s + k), 9),
                "signup_date": pa.array(START + day.astype("timedelta64[D]")),
                "churn_date": pa.array(
                    START + churn.astype("timedelta64[D]"), mask=~churned, type=pa.date32()
                ),
                "segment": _labels(SEGMENTS, rng.integers(0, len(SEGMENTS), k)),
                "region": _labels(REGIONS, rng.integers(0, len(REGIONS), k)),
                "branch_id": _labels(
                    np.array([f"B{b:03d}" for b in range(100)]), rng.integers(0, 100, k)
                ),
                "loyalty_member": pa.array(rng.random(k) < 0.3),
            }
        )
        writer = writer or _writer(folder / "customers.parquet", batch)
        writer.write_table(batch)
    writer.close()
    return signup


def _after_signup(rng, signup: np.ndarray, who: np.ndarray, seconds: bool):
    span = int((END - START) / np.timedelta64(1, "D"))
    base = signup[who].astype(np.int64)
    off = (rng.random(len(who)) * (span - base)).astype(np.int64)
    if not seconds:
        return START + (base + off).astype("timedelta64[D]")
    secs = (base + off) * 86400 + rng.integers(0, 86400, len(who))
    return START.astype("datetime64[s]") + secs.astype("timedelta64[s]")


def _responses(rng, signup: np.ndarray, n: int, folder: Path) -> None:
    import pyarrow as pa

    writer = None
    for s in range(0, n, CHUNK):
        k = min(CHUNK, n - s)
        who = rng.integers(0, len(signup), k)
        day = _after_signup(rng, signup, who, seconds=False)
        year = day.astype("datetime64[Y]").astype(int) + 1970
        quarter = (day.astype("datetime64[M]").astype(int) % 12) // 3 + 1
        waves = np.array([f"{y}Q{q}" for y in range(2021, 2026) for q in range(1, 5)])
        cols = {
            "response_id": _ids("R", np.arange(s, s + k), 10),
            "customer_id": _ids("C", who, 9),
            "survey_date": pa.array(day),
            "wave": _labels(waves, (year - 2021) * 4 + quarter - 1),
            "overall_sat": pa.array(rng.integers(1, 11, k).astype(np.float64)),
            "nps": pa.array(rng.integers(0, 11, k).astype(np.float64)),
            "csat": pa.array(rng.integers(1, 6, k).astype(np.float64)),
            "ces": pa.array(rng.integers(1, 8, k).astype(np.float64)),
            **{a: pa.array(rng.integers(1, 11, k).astype(np.float64)) for a in ATTRS},
        }
        batch = pa.table(cols)
        writer = writer or _writer(folder / "responses.parquet", batch)
        writer.write_table(batch)
    writer.close()


def _interactions(rng, signup: np.ndarray, n: int, folder: Path) -> None:
    import pyarrow as pa

    writer = None
    for s in range(0, n, CHUNK):
        k = min(CHUNK, n - s)
        who = rng.integers(0, len(signup), k)
        kind = rng.integers(0, len(KINDS), k)
        support = (kind == 1) | (kind == 2)
        batch = pa.table(
            {
                "interaction_id": _ids("I", np.arange(s, s + k), 10),
                "customer_id": _ids("C", who, 9),
                "timestamp": pa.array(_after_signup(rng, signup, who, seconds=True)),
                "channel": _labels(CHANNELS, rng.integers(0, len(CHANNELS), k)),
                "kind": _labels(KINDS, kind),
                "sentiment": pa.array(np.round(rng.uniform(-1, 1, k), 2)),
                "response_minutes": pa.array(rng.exponential(60, k), mask=~support),
                "resolved": pa.array(rng.random(k) < 0.8, mask=~support),
            }
        )
        writer = writer or _writer(folder / "interactions.parquet", batch)
        writer.write_table(batch)
    writer.close()


def prepare(n: int, cache: Path, fmt: str) -> Path:
    """Write the world once per size (Parquet folder, and a DuckDB file from it if asked)."""
    folder = cache / "parquet"
    if not (folder / "ready.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(19)
        t = time.perf_counter()
        signup = _customers(rng, n, folder)
        _responses(rng, signup, n * 3 // 2, folder)
        _interactions(rng, signup, n * 10, folder)
        (folder / "meta.json").write_text(json.dumps({"observation_end": str(END)}))
        cb = {a: {"min": 1, "max": 10} for a in ATTRS}
        (folder / "codebook.json").write_text(json.dumps(cb))
        (folder / "ready.json").write_text(json.dumps({"n": n}))
        print(f"generated {n:,} customers in {time.perf_counter() - t:.1f} s", flush=True)
    if fmt == "parquet":
        return folder
    db = cache / "world.duckdb"
    if not db.exists():
        import duckdb

        con = duckdb.connect(str(cache / "world.tmp.duckdb"))
        for t in ("customers", "responses", "interactions"):
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet('{folder / t}.parquet')")
        con.execute(f"CREATE TABLE meta AS SELECT DATE '{END}' AS observation_end")
        con.close()
        (cache / "world.tmp.duckdb").rename(db)
    return db


def child(path: str) -> None:
    """One measurement in this (fresh) process: validate, then read one segment's answers."""
    import warnings

    import cxmodels as cx

    t, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = cx.load(path, engine="duckdb")
    took, cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    seg = data.subset(segment="premium").select(responses=["customer_id", "nps", "wave"])
    n_resp = len(seg.responses)
    read = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    counts = {t: data.count(t) for t in ("customers", "responses", "interactions")}
    out = {"load_s": took, "cpu_s": cpu, "peak_gb": rss, "segment_read_s": read}
    print(json.dumps({**out, "segment_responses": n_resp, **counts}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000_000)
    ap.add_argument("--format", choices=["parquet", "duckdb"], default="parquet")
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args()
    cache = args.cache or Path("/tmp") / f"cxmodels_bench_scale_{args.customers}"
    path = prepare(args.customers, cache, args.format)
    here = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import bench_scale as b; b.child({str(path)!r})"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr[-3000:])
        return 1
    r = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
    miss = r["load_s"] > TARGET_S or r["peak_gb"] > TARGET_GB
    print(
        f"validate {args.format} ({r['customers']:,} customers, {r['responses']:,} responses, "
        f"{r['interactions']:,} interactions): {r['load_s']:.1f} s (CPU {r['cpu_s']:.1f} s), "
        f"peak RSS {r['peak_gb']:.2f} GB; target < {TARGET_S:.0f} s, < {TARGET_GB:.0f} GB "
        f"{'MISSED' if miss else 'ok'}"
    )
    print(
        f"one segment's answers (3 columns, {r['segment_responses']:,} rows) read in "
        f"{r['segment_read_s']:.2f} s"
    )
    return 1 if miss else 0


if __name__ == "__main__":
    sys.exit(main())
