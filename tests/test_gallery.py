"""A gallery of user-shaped exports: every report of the default ``reports.yaml`` on each.

The exports are built by code from the synthetic world (small, so the module stays fast) in the
shapes users send: an Iranian Excel workbook with one sheet per survey wave, Jalali dates and
Persian digits; a European semicolon CSV with decimal commas and day-first dates in
Windows-1252; a five-month history; no Kano and no branches; no purchases; a single wave; a
single segment; SPSS files with value labels. Each is rendered through ``cxmodels report
--data ... --out ...`` with the default report set (bootstraps made small, Persian for the
overview, the churn, the comments and the service-profit chain reports only); every report
must come out ``ok``, with no traceback, and every section a report leaves out must say so in
the page (``cx-skip`` boxes).
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
N = 400  # customers per export
SMALL = {"bootstrap": 10}  # the test config's only change to a report's parameters
FA_REPORTS = (
    "00_cx_overview_fa",
    "02_churn_survival_fa",
    "06_voice_of_customer_fa",
    "07_service_profit_chain_fa",
)
FA_EXPORTS = ("iran_excel", "single_wave")  # rendered in Persian too
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DERIVED = {"customers": ["tenure_days", "churned"]}


def _world(seed: int = 7, **kw):
    import cxmodels as cx

    kw = {"n_branches": 2, "purchases": True, "start": "2023-01-01", "exit_causes": True, **kw}
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
            pd.DataFrame({"گزارش": ["نظرسنجی مشتریان"]}).to_excel(
                xl, sheet_name="cover", index=False
            )
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
    """No Kano answers, no branches, and no income band (a control of the value models)."""
    world = _world(seed=10)
    tables = _tables(world)
    del tables["kano_answers"], tables["branches"]
    tables["customers"] = tables["customers"].drop(columns=["branch_id", "income_band"])
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


def gallery_config(folder: Path, persian: bool = True) -> Path:
    """The default ``reports.yaml`` with small bootstraps and two Persian reports (or none)."""
    from cxmodels.reports.config import notebook_parameters

    cfg = yaml.safe_load((ROOT / "reports.yaml").read_text("utf-8"))
    keep = []
    for entry in cfg["reports"]:
        if entry.get("language", "en") != "en" and (entry["name"] not in FA_REPORTS or not persian):
            continue
        entry["notebook"] = str(ROOT / entry["notebook"])
        declared = notebook_parameters(Path(entry["notebook"]))
        small = {k: v for k, v in SMALL.items() if k in declared}
        entry["parameters"] = {**(entry.get("parameters") or {}), **small}
        keep.append(entry)
    cfg["reports"] = keep
    path = folder / ("reports.yaml" if persian else "reports-en.yaml")
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), "utf-8")
    return path


def render(data: Path, out: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "cxmodels.cli", "report", "--config", str(config)]
    cmd += ["--data", str(data), "--out", str(out), "--force", "--jobs", "2"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=out.parent)


# ------------------------------------------------------------------ the gallery, rendered
#: per export: (report, words of the section its page must announce as left out)
SKIPS = {
    "iran_excel": [],
    "euro_csv": [],
    "short_history": [
        ("00_cx_overview", "Does following up work? is left out: the data covers"),
        ("00_cx_overview", "Complaint response time is left out: the data covers"),
        ("02_churn_survival", "The horizon of 12 months is past what the data can show"),
        ("05_value_of_loyalty", "the calibration period ends half-way"),
        ("08_follow_up_targeting", "Whom to follow up is left out: the data covers"),
    ],
    "no_kano_no_branches": [
        ("03_kano_analysis", "Kano analysis is left out: the data has no Kano"),
        ("05_value_of_loyalty", "Left out of the controls because the customers table lacks them"),
    ],
    "no_purchases": [
        (
            "05_value_of_loyalty",
            "The value of loyalty is left out: the interactions hold no purchase",
        ),
    ],
    "single_wave": [
        (
            "00_cx_overview",
            "Trends by wave is left out: the survey answers come from 1 wave (2025)",
        ),
        ("00_cx_overview_fa", "بخش «روند در موج‌های نظرسنجی» کنار گذاشته شد"),
        ("02_churn_survival", "The horizon of 12 months is past what the data can show"),
        ("02_churn_survival_fa", "افق ۱۲ ماه فراتر از چیزی است"),
        ("06_voice_of_customer", "Themes over time is left out: the survey answers come from 1"),
        ("06_voice_of_customer_fa", "بخش «موضوع‌ها در گذر زمان» کنار گذاشته شد"),
    ],
    "single_segment": [
        ("01_satisfaction_drivers", "Segment differences is left out: every customer is in one"),
        ("03_kano_analysis", "Segment differences is left out: every Kano respondent is in one"),
        ("05_value_of_loyalty", "they take one value only in this data: segment"),
        ("06_voice_of_customer", "Themes by segment is left out: every customer is in one"),
    ],
    "spss": [],
}
# The gallery's worlds have 2 branches: too few for the multilevel sections (issue 29).
_CHAIN, _SHRUNK = "Staff satisfaction and customer satisfaction", "Shrunken branch effects"
# 400 customers: a delay band has fewer than 20 units in a cross-fitting fold (issue 30).
_TIMING = "The right time to follow up is left out:"
for _export, _skips in SKIPS.items():
    if _export != "short_history":  # there the whole targeting section is left out
        _skips.append(("08_follow_up_targeting", _TIMING))
    if _export == "no_kano_no_branches":
        _skips.append(
            ("07_service_profit_chain", f"{_CHAIN} is left out: the data has no branches")
        )
        continue
    _few = "is left out: the data has 2 branch(es)"
    _pages = (("07_service_profit_chain", _CHAIN), ("branch_B01", _SHRUNK), ("branch_B02", _SHRUNK))
    _skips += [(p, f"{s} {_few}") for p, s in _pages]
    if _export in FA_EXPORTS:
        _skips.append(
            ("07_service_profit_chain_fa", "بخش «رضایت کارکنان و رضایت مشتریان» کنار گذاشته شد")
        )


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gallery")
    return folder, {True: gallery_config(folder), False: gallery_config(folder, persian=False)}


@pytest.fixture(scope="module", params=sorted(EXPORTS))
def rendered(request, gallery):
    """One export, built and rendered once with the gallery's report set."""
    folder, configs = gallery
    config = configs[request.param in FA_EXPORTS]
    data = EXPORTS[request.param](folder / request.param)
    out = folder / f"{request.param}-reports"
    proc = render(data, out, config)
    pages = {p.stem: p.read_text("utf-8") for p in out.glob("*.html") if p.stem != "index"}
    return request.param, data, out, proc, pages, config


def _text(html: str) -> str:
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.slow
def test_every_report_ok(rendered):
    name, _, out, proc, pages, config = rendered
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    manifest = json.loads((out / "_manifest.json").read_text("utf-8"))
    assert {r["status"] for r in manifest.values()} == {"ok"}
    expected = _expected_reports(config, name)
    assert sorted(manifest) == sorted(expected)
    assert sorted(pages) == sorted(expected)
    # matrix values from the data: a branch page per branch, the two largest segments
    assert sum(p.startswith("branch_") for p in pages) == (name != "no_kano_no_branches") * 2
    per_segment = [p for p in pages if p.endswith("_churn_within")]
    assert len(per_segment) == (1 if name == "single_segment" else 2), per_segment
    assert re.search(r"<div class=[\"']v[\"']>", pages["00_cx_overview"]), "no KPI tiles"
    for page, html in pages.items():
        assert "Traceback" not in html and "Error:" not in _text(html), (name, page)


def _expected_reports(config: Path, export: str) -> list[str]:
    """Report names the configuration gives on this export (``matrix`` values from the data)."""
    from cxmodels.reports.config import load_config

    return [s.name for s in load_config(config, data=Path(config.parent / export))]


@pytest.mark.slow
def test_skipped_sections_are_announced(rendered):
    """Each export's missing parts are said in its pages, and no other page leaves anything out."""
    name, _, _, _, pages, _ = rendered
    for report, words in SKIPS[name]:
        assert words in _text(pages[report]).replace("\n", " "), (name, report, words)
    announced = {r.removesuffix("_fa") for r, w in SKIPS[name] if "left out" in w or "کنار" in w}
    with_skips = {r for r, html in pages.items() if "cx-skip" in html}
    assert all(any(r.startswith(a) for a in announced) for r in with_skips), (name, with_skips)
    assert all(any(r.startswith(a) for r in with_skips) for a in announced), (name, announced)


@pytest.mark.slow
def test_privacy_gate_sees_every_customer(rendered):
    """The privacy gate reads the export as validate does: every customer id to look for."""
    import cxmodels as cx
    from cxmodels.reports import identifier_values

    _, data, *_ = rendered
    customers = cx.load(data).customers["customer_id"]
    assert customers.nunique() == N and set(customers) <= identifier_values(data)


def test_matrix_largest_takes_the_biggest_values_first(tmp_path):
    from cxmodels.reports.config import load_config

    data = build_single_segment(tmp_path / "one")
    world = _world(seed=3)
    big = _parquet(tmp_path / "big", _tables(world), world)
    sizes = world.customers["segment"].astype(str).value_counts()
    cfg = tmp_path / "r.yaml"
    nb = ROOT / "notebooks" / "00_cx_overview.ipynb"
    cfg.write_text(
        yaml.safe_dump(
            {
                "reports": [
                    {
                        "name": "o_{segment}",
                        "notebook": str(nb),
                        "matrix": {"segment": {"largest": 2}},
                    },
                    {
                        "name": "b_{branch}",
                        "notebook": str(
                            nb.parent.parent / "src/cxmodels/templates/branch_scorecard.ipynb"
                        ),
                        "matrix": {"branch": "all"},
                    },
                ]
            }  # fmt: skip
        ),
        "utf-8",
    )
    names = [s.name for s in load_config(cfg, data=big)]
    assert names[:2] == [f"o_{s}" for s in sizes.index[:2]]
    assert [s.name for s in load_config(cfg, data=data)][0] == "o_retail"
    assert [s.name for s in load_config(cfg, data=big)][2:] == ["b_B01", "b_B02"]
    no_branch = build_no_kano_no_branches(tmp_path / "nb")  # branch: all finds no branch
    assert [s.name[:2] for s in load_config(cfg, data=no_branch)] == ["o_", "o_"]


# ------------------------------------------------------------------ the helpers, without a kernel
@pytest.fixture()
def shown(monkeypatch):
    """What the report helpers display (HTML and Markdown bodies), in order."""
    import IPython.display

    out: list[str] = []

    def keep(*objs, **_):
        out.extend(getattr(o, "data", str(o)) for o in objs)

    monkeypatch.setattr(IPython.display, "display", keep)
    return out


@pytest.fixture(scope="module")
def small_world():
    return _world(seed=5)


@pytest.mark.parametrize(
    ("requirement", "change", "sentence"),
    [
        ("kano_answers", "no_kano", "the data has no Kano answers"),
        ("responses.wave", "no_wave", "the survey answers carry no wave"),
        ("responses.wave>=2", "one_wave", "come from 1 wave (2025); a trend needs at least 2"),
        ("customers.segment>=2", "one_segment", "every customer is in one segment (retail)"),
        (
            "interactions.kind=follow_up",
            "no_follow_up",
            "the interactions hold no follow-up contacts",
        ),
        ("interactions.amount", "no_amount", "the interactions hold no purchase amounts"),
        ("history>=300", "short", "and this needs at least 300 (the follow-up window"),
    ],
)
def test_needs_says_what_is_left_out(small_world, shown, requirement, change, sentence):
    import dataclasses

    from cxmodels import reports as rp
    from cxmodels.i18n import set_language

    set_language("en")
    assert rp.needs(small_world, requirement, section="Trends by wave")
    assert shown == []
    r, c, i = small_world.responses, small_world.customers, small_world.interactions
    edits = {
        "no_wave": {"responses": r.drop(columns="wave")},
        "one_wave": {"responses": r.assign(wave="2025")},
        "one_segment": {"customers": c.assign(segment="retail")},
        "no_follow_up": {"interactions": i[i["kind"] != "follow_up"]},
        "no_amount": {"interactions": i.drop(columns="amount")},
        "no_kano": {"kano_answers": None},
        "short": {
            "interactions": i[i["timestamp"] > small_world.observation_end - pd.Timedelta(days=100)]
        },
    }[change]
    lacking = dataclasses.replace(small_world, **edits)
    assert not rp.needs(lacking, requirement, section="Trends by wave")
    assert len(shown) == 1 and "cx-skip" in shown[0]
    assert "<b>Trends by wave</b> is left out: " in shown[0] and sentence in shown[0], shown[0]


def test_needs_speaks_persian(small_world, shown):
    import dataclasses

    from cxmodels import reports as rp
    from cxmodels.i18n import set_language

    set_language("fa")
    try:
        one = dataclasses.replace(small_world, kano_answers=None)
        assert not rp.needs(one, "kano_answers", section="Kano analysis")
    finally:
        set_language("en")
    assert "بخش «تحلیل کانو» کنار گذاشته شد: داده‌ها پاسخ کانو ندارند" in shown[0]


def test_controls_left_out_are_named(small_world, shown):
    from cxmodels.i18n import set_language
    from cxmodels.reports import widgets

    set_language("en")
    cust = small_world.customers.drop(columns="income_band").assign(region="north")
    kept = widgets.controls(cust, ["segment", "region", "income_band", "age_band"])
    assert kept == ["segment", "age_band"]
    assert "lacks them: income" in shown[0] and "one value only in this data: region" in shown[1]


def test_horizon_shortened_to_the_follow_up(shown):
    from cxmodels.i18n import set_language
    from cxmodels.reports import widgets

    set_language("en")
    table = pd.DataFrame({"duration": [0.5, 2.0, 5.8]})
    assert widgets.supported_horizon(table, 3, "months") == 3 and shown == []
    assert widgets.supported_horizon(table, 12, "months") == 5.0
    assert "horizon of 12 months is past" in shown[0] and "so this report uses 5 months" in shown[0]
