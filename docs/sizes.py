"""File and function sizes of ``src/cxmodels`` (issue 11's before/after; no function over 120 lines).

Run from the repository root::

    .venv/bin/python docs/sizes.py                 # the working tree
    .venv/bin/python docs/sizes.py --rev main      # a git revision, read with ``git show``
    .venv/bin/python docs/sizes.py --top 10

A function's size is its lines from ``def`` to its last line, docstring included (``code`` leaves
the docstring out). Nested functions count inside their parent and on their own.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = "src/cxmodels"
LIMIT = 120


def sources(rev: str | None = None) -> dict[str, str]:
    """Path -> text of every ``.py`` file under ``src/cxmodels`` (working tree or ``rev``)."""
    if rev is None:
        return {
            str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for p in sorted((ROOT / SRC).rglob("*.py"))
        }
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, SRC],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return {
        n: subprocess.run(
            ["git", "show", f"{rev}:{n}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        for n in names
        if n.endswith(".py")
    }


def functions(files: dict[str, str]) -> list[tuple[int, int, str]]:
    """``(lines, code lines, "path:name")`` of every function, largest first."""
    out = []
    for path, text in files.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = node.end_lineno - node.lineno + 1
                doc = node.body[0] if ast.get_docstring(node) is not None else None
                code = size - (doc.end_lineno - doc.lineno + 1 if doc is not None else 0)
                out.append((size, code, f"{path.removeprefix(SRC + '/')}:{node.name}"))
    return sorted(out, reverse=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=None, help="a git revision (default: the working tree)")
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args(argv)
    files = sources(args.rev)
    lines = sorted(
        ((t.count("\n"), p.removeprefix(SRC + "/")) for p, t in files.items()), reverse=True
    )
    print(f"{args.rev or 'working tree'}: {len(files)} files, {sum(n for n, _ in lines):,} lines")
    print("largest files: " + ", ".join(f"{p} {n}" for n, p in lines[: args.top]))
    fns = functions(files)
    print("largest functions: " + ", ".join(f"{n} {s}" for s, _, n in fns[: args.top]))
    over = [f for f in fns if f[0] > LIMIT]
    print(f"functions over {LIMIT} lines: {len(over)}; over 80: {sum(f[0] > 80 for f in fns)}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
