"""A gallery of user-shaped exports: every report of the default ``reports.yaml`` on each.

The exports are built by code from the synthetic world (small, so the module stays fast) in the
shapes users send: an Iranian Excel workbook with one sheet per survey wave, Jalali dates and
Persian digits; a European semicolon CSV with decimal commas and day-first dates in
Windows-1252; a five-month history; no Kano and no branches; no purchases; a single wave; a
single segment; SPSS files with value labels. Each is rendered through ``cxmodels report
--data ... --out ...`` with the default report set (bootstraps made small, Persian for the
overview and the churn report only); every report must come out ``ok``, with no traceback, and
every section a report leaves out must say so in the page (``cx-skip`` boxes).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
N = 500  # customers per export
SMALL = {"bootstrap": 20}  # the test config's only change to a report's parameters
FA_REPORTS = ("00_cx_overview_fa", "02_churn_survival_fa")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DERIVED = {"customers": ["tenure_days", "churned"]}

pytestmark = pytest.mark.slow


def _world(seed: int = 7, **kw):
    import cxmodels as cx

    kw = {"n_branches": 3, "purchases": True, "start": "2023-01-01", **kw}
    return cx.generate(N, seed=seed, **kw)


def _tables(world) -> dict[str, pd.DataFrame]:
    """The world's tables as a user's export holds them (no derived columns)."""
    return {
        name: df.drop(columns=[c for c in DERIVED.get(name, []) if c in df])
        for name, df in world.tables.items()
        if df is not None
    }


def _codebook(folder: Path, world) -> None:
    (folder / "codebook.json").write_text(json.dumps(world.codebook, default=str), "utf-8")


def _parquet(folder: Path, tables: dict, world, meta: dict | None = None) -> Path:
    folder.mkdir(parents=True)
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    _codebook(folder, world)
    meta = {"observation_end": str(world.observation_end.date()), **(meta or {})}
    (folder / "meta.json").write_text(json.dumps(meta), "utf-8")
    return folder


def _jalali(values: pd.Series, with_time: bool) -> pd.Series:
    """Dates as an Iranian export writes them: Jalali ``YYYY/MM/DD`` in Persian digits."""
    from persiantools.jdatetime import JalaliDate

    def one(ts):
        if pd.isna(ts):
            return None
        text = JalaliDate(ts.date()).strftime("%Y/%m/%d")
        return (text + ts.strftime(" %H:%M") if with_time else text).translate(PERSIAN_DIGITS)

    return values.map(one).astype(object)


def build_iran_excel(folder: Path) -> Path:
    """Excel, one sheet per wave named in Jalali quarters, Jalali dates, Persian digits."""
    world = _world()
    folder.mkdir(parents=True)
    for name, df in _tables(world).items():
        df = df.copy()
        for c in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = _jalali(df[c], with_time=c == "timestamp")
        if name != "responses":
            df.to_excel(folder / f"{name}.xlsx", index=False)
            continue
        with pd.ExcelWriter(folder / "responses.xlsx") as xl:
            pd.DataFrame({"گزارش": ["نظرسنجی مشتریان"]}).to_excel(xl, sheet_name="cover", index=False)
            for wave, part in df.groupby("wave", sort=True, observed=True):
                year, q = str(wave).split("Q")
                sheet = f"{int(year) - 621}-Q{q}"  # a Jalali year label per wave
                part.drop(columns="wave").to_excel(xl, sheet_name=sheet, index=False)
    _codebook(folder, world)
    return folder


def build_euro_csv(folder: Path) -> Path:
    """Semicolons, decimal commas, day-first dates, Windows-1252 with accented labels."""
    world = _world(seed=8)
    folder.mkdir(parents=True)
    accents = {"north": "Nord-Île", "south": "Süd", "east": "Österreich", "west": "Côte"}
    for name, df in _tables(world).items():
        df = df.copy()
        for c in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                fmt = "%d/%m/%Y %H:%M" if c == "timestamp" else "%d/%m/%Y"
                df[c] = df[c].dt.strftime(fmt)
        if "region" in df:
            df["region"] = df["region"].astype(str).map(lambda r: accents.get(r, r + "é"))
        df.to_csv(folder / f"{name}.csv", sep=";", decimal=",", index=False, encoding="cp1252")
    _codebook(folder, world)
    return folder


def build_short_history(folder: Path) -> Path:
    """Five months of data: shorter than the churn report's default 12-month horizon."""
    world = _world(seed=9, start="2025-08-01")
    return _parquet(folder, _tables(world), world)


def build_no_kano_no_branches(folder: Path) -> Path:
    world = _world(seed=10)
    tables = _tables(world)
    del tables["kano_answers"], tables["branches"]
    tables["customers"] = tables["customers"].drop(columns="branch_id")
    return _parquet(folder, tables, world)


def build_no_purchases(folder: Path) -> Path:
    """No purchase rows and no amounts: complaints and support only."""
    world = _world(seed=11)
    tables = _tables(world)
    inter = tables["interactions"]
    inter = inter[inter["kind"] != "purchase"].drop(columns="amount")
    tables["interactions"] = inter.reset_index(drop=True)
    return _parquet(folder, tables, world)


def build_single_wave(folder: Path) -> Path:
    """One survey campaign: every answer in the wave ``2025``."""
    world = _world(seed=12, start="2025-01-01")
    tables = _tables(world)
    tables["responses"] = tables["responses"].assign(wave="2025")
    return _parquet(folder, tables, world)


def build_single_segment(folder: Path) -> Path:
    world = _world(seed=13)
    tables = _tables(world)
    for name in ("customers", "kano_answers"):
        tables[name] = tables[name].assign(segment="retail")
    return _parquet(folder, tables, world)


def build_spss(folder: Path) -> Path:
    """SPSS ``.sav`` files with value labels (and the codebook they carry)."""
    import cxmodels as cx

    world = _world(seed=14)
    world = world.__class__(**{**world.__dict__, "truth": None})
    cx.save(world, folder, fmt="spss")
    (folder / "codebook.json").unlink()  # the scales come from the value labels
    return folder


EXPORTS = {
    "iran_excel": build_iran_excel,
    "euro_csv": build_euro_csv,
    "short_history": build_short_history,
    "no_kano_no_branches": build_no_kano_no_branches,
    "no_purchases": build_no_purchases,
    "single_wave": build_single_wave,
    "single_segment": build_single_segment,
    "spss": build_spss,
}


def gallery_config(folder: Path) -> Path:
    """The default ``reports.yaml`` with small bootstraps and two Persian reports."""
    from cxmodels.reports.config import notebook_parameters

    cfg = yaml.safe_load((ROOT / "reports.yaml").read_text("utf-8"))
    keep = []
    for entry in cfg["reports"]:
        if entry.get("language", "en") != "en" and entry["name"] not in FA_REPORTS:
            continue
        entry["notebook"] = str(ROOT / entry["notebook"])
        declared = notebook_parameters(Path(entry["notebook"]))
        small = {k: v for k, v in SMALL.items() if k in declared}
        entry["parameters"] = {**(entry.get("parameters") or {}), **small}
        keep.append(entry)
    cfg["reports"] = keep
    path = folder / "reports.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), "utf-8")
    return path


def render(data: Path, out: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "cxmodels.cli", "report", "--config", str(config)]
    cmd += ["--data", str(data), "--out", str(out), "--force", "--jobs", "2"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=out.parent)
