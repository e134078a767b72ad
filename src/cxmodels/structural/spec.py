"""Model specification for PLS path models: measurement blocks, structural paths, modes.

Two equivalent forms: :class:`PLSModel` from Python objects, or :func:`parse` of a lavaan-like
string (``=~`` reflective / mode A, ``<~`` formative / mode B, ``~`` structural regression).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_option, did_you_mean, fail

MODES = ("A", "B")


@dataclass(frozen=True)
class PLSModel:
    """A PLS path model: which items measure which construct, and which construct drives which.

    Parameters
    ----------
    measurement : dict
        ``{construct: [item, ...]}`` in the order the constructs should be reported.
    structural : list of (source, target)
        The directed paths of the inner (structural) model; must be acyclic.
    modes : dict, optional
        ``{construct: "A" | "B"}``; mode A (reflective, correlation weights) by default,
        mode B (formative, regression weights) where given.

    Examples
    --------
    >>> m = PLSModel({"Image": ["IMAG1", "IMAG2"], "Loyalty": ["CUSL1", "CUSL2"]},
    ...              [("Image", "Loyalty")])
    >>> m.endogenous
    ('Loyalty',)
    """

    measurement: dict
    structural: list
    modes: dict = field(default_factory=dict)

    def __post_init__(self):
        _check_spec(self)

    @property
    def constructs(self) -> tuple[str, ...]:
        return tuple(self.measurement)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(i for c in self.measurement for i in self.measurement[c])

    @property
    def paths(self) -> tuple[tuple[str, str], ...]:
        return tuple((str(a), str(b)) for a, b in self.structural)

    @property
    def endogenous(self) -> tuple[str, ...]:
        targets = {b for _, b in self.paths}
        return tuple(c for c in self.constructs if c in targets)

    def mode(self, construct: str) -> str:
        return self.modes.get(construct, "A")

    def predecessors(self, construct: str) -> list[str]:
        return [a for a, b in self.paths if b == construct]

    def path_matrix(self) -> np.ndarray:
        """``P[j, k] = 1`` when construct j points to construct k."""
        idx = {c: i for i, c in enumerate(self.constructs)}
        P = np.zeros((len(idx), len(idx)))
        for a, b in self.paths:
            P[idx[a], idx[b]] = 1.0
        return P

    def block_matrix(self) -> np.ndarray:
        """``M[i, j] = 1`` when item i measures construct j (items in :attr:`items` order)."""
        M = np.zeros((len(self.items), len(self.constructs)))
        i = 0
        for j, c in enumerate(self.constructs):
            k = len(self.measurement[c])
            M[i : i + k, j] = 1.0
            i += k
        return M

    @classmethod
    def from_codebook(cls, codebook: dict, structural, modes: dict | None = None) -> PLSModel:
        """The measurement model from a codebook whose item entries name their construct
        (``{"img_1": {"min": 1, "max": 10, "construct": "Image"}, ...}``), in codebook order."""
        measurement: dict[str, list[str]] = {}
        for item, spec in (codebook or {}).items():
            if isinstance(spec, dict) and spec.get("construct"):
                measurement.setdefault(str(spec["construct"]), []).append(item)
        if not measurement:
            fail(
                "codebook",
                "construct",
                "no item names its construct",
                'add "construct": "Name" to the codebook entries of the model\'s items',
            )
        return cls(measurement, list(structural), dict(modes or {}))

    def to_syntax(self) -> str:
        """The model in the lavaan-like syntax of :func:`parse`."""
        lines = [
            f"{c} {'<~' if self.mode(c) == 'B' else '=~'} {' + '.join(self.measurement[c])}"
            for c in self.constructs
        ]
        lines += [f"{c} ~ {' + '.join(self.predecessors(c))}" for c in self.endogenous]
        return "\n".join(lines)


def _check_spec(m: PLSModel) -> None:
    if not isinstance(m.measurement, dict) or not m.measurement:
        fail("model", "measurement", "no constructs given", "pass {construct: [items]}")
    owner: dict[str, str] = {}
    for c, items in m.measurement.items():
        items = [items] if isinstance(items, str) else list(items)
        if not items:
            fail("model", str(c), "construct has no items", "give it at least one item")
        for it in items:
            if it in owner:
                fail(
                    "model",
                    str(it),
                    f"item measures two constructs ({owner[it]} and {c})",
                    "give each item to one construct only",
                )
            owner[it] = c
        object.__setattr__(m, "measurement", {**m.measurement, c: items})
    names = list(m.measurement)
    for c, mode in m.modes.items():
        if c not in m.measurement:
            fail(
                "model",
                str(c),
                f"mode for an unknown construct{did_you_mean(c, names)}",
                "use a construct of the measurement model",
            )
        check_option(f"modes[{c!r}]", mode, MODES, table="model")
    for pair in m.structural:
        if len(pair) != 2:
            fail("model", str(pair), "a path is not a (source, target) pair", "pass 2-tuples")
        for c in pair:
            if c not in m.measurement:
                fail(
                    "model",
                    str(c),
                    f"structural path to an unknown construct{did_you_mean(c, names)}",
                    "declare the construct with its items, or fix the name",
                )
        if pair[0] == pair[1]:
            fail("model", str(pair[0]), "a construct points to itself", "remove that path")
    if not m.structural:
        fail("model", "structural", "no structural paths", "give at least one (source, target)")
    cycle = _find_cycle(names, m.structural)
    if cycle:
        fail(
            "model",
            " -> ".join(cycle),
            "the structural model has a cycle (PLS path models are recursive)",
            "remove one path of the cycle",
        )


def _find_cycle(nodes: list[str], edges) -> list[str]:
    """A cycle as a list of nodes (first repeated at the end), or ``[]`` when acyclic."""
    succ = {n: [b for a, b in edges if a == n] for n in nodes}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for s in succ[n]:
            if state.get(s) == 1:
                return stack[stack.index(s) :] + [s]
            if s not in state:
                found = visit(s)
                if found:
                    return found
        state[n] = 2
        stack.pop()
        return []

    for n in nodes:
        if n not in state:
            found = visit(n)
            if found:
                return found
    return []


_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(=~|<~|~)\s*(.+?)\s*$")


def parse(syntax: str) -> PLSModel:
    """A :class:`PLSModel` from lavaan-like syntax.

    ``Image =~ IMAG1 + IMAG2`` declares a reflective (mode A) construct, ``Quality <~ PERQ1 +
    PERQ2`` a formative (mode B) one, ``Satisfaction ~ Image + Quality`` structural paths.
    Lines may also be separated by ``;``; ``#`` starts a comment.
    """
    if not isinstance(syntax, str) or not syntax.strip():
        fail("model", "", "empty model syntax", "write e.g. 'Image =~ IMAG1 + IMAG2'")
    measurement: dict[str, list[str]] = {}
    modes: dict[str, str] = {}
    paths: list[tuple[str, str]] = []
    for raw in re.split(r"[\n;]", syntax):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _LINE.match(line)
        if not m:
            fail("model", line, "cannot read this line", "use 'A =~ x1 + x2', 'A <~ x' or 'B ~ A'")
        lhs, op, rhs = m.groups()
        terms = [t.strip() for t in rhs.split("+")]
        if any(not re.fullmatch(r"[A-Za-z_][\w.]*", t) for t in terms):
            fail("model", line, "a term is not a plain name", "separate names with '+'")
        if op == "~":
            paths += [(t, lhs) for t in terms]
            continue
        if lhs in measurement:
            fail("model", lhs, "construct declared twice", "declare each construct once")
        measurement[lhs] = terms
        if op == "<~":
            modes[lhs] = "B"
    return PLSModel(measurement, paths, modes)


def as_model(model) -> PLSModel:
    """A :class:`PLSModel` from a model, a syntax string, or fail."""
    if isinstance(model, PLSModel):
        return model
    if isinstance(model, str):
        return parse(model)
    fail("argument", "model", f"got {type(model).__name__}", "pass a PLSModel or a syntax string")
