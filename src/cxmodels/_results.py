"""The shared surface of every cxmodels result: ``.table``, ``.summary()``, HTML display.

Modelled on statsmodels' ``Summary`` (text and HTML from one object) and lifelines'
``StatisticalResult`` (one kind of object for every test).
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import i18n
from ._format import _DASH, display_table, fmt_count, fmt_num, join_words, sig


def _fmt_value(v: Any) -> str:
    """A fact for people: no exponents, thousands separated, lists as words, yes/no."""
    if v is None or v is pd.NA:
        return _DASH
    if isinstance(v, bool | np.bool_):
        return i18n.label("yes" if v else "no", "yes" if v else "no")
    if isinstance(v, int | np.integer):
        return fmt_count(v)
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            return _DASH
        if 0 < abs(v) < 0.001:  # a p-value or a negligible number: never an exponent
            return "< 0.001" if v > 0 else "> -0.001"
        return fmt_num(v, 0) if abs(v) >= 1000 else sig(v, 3)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt_value(x)}" for k, x in v.items())
    if isinstance(v, list | tuple | set | frozenset | np.ndarray | pd.Index | pd.Series):
        return join_words(_fmt_value(x) for x in v)
    return _value_label(str(v))


def _value_label(text: str) -> str:
    """A method or category named by the catalogue (``ols``, ``shapley``, ``cox``), in a
    language other than English; the value as given otherwise."""
    if i18n.is_english() or not i18n.has(f"label.{text}"):
        return text
    return i18n.label(text)


def _localized(text: str) -> str:
    """Digits of a fact in the current language (Persian digits in a Persian summary)."""
    return i18n.localize_digits(text)


@dataclass(frozen=True)
class Summary:
    """A printable, displayable summary: a title, key facts, tables and notes.

    Tables render through the display layer (:func:`cxmodels._format.display_table`): human
    headers, p-values as ``< 0.001``, intervals in one column, no index-name rows.
    """

    title: str
    facts: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def _shown(self):
        return {name: display_table(t) for name, t in self.tables.items()}

    def as_text(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        width = max((len(str(k)) for k in self.facts), default=0)
        lines += [f"{k!s:<{width}} : {_localized(_fmt_value(v))}" for k, v in self.facts.items()]
        for name, t in self._shown().items():
            lines += ["", name, "-" * len(name), t.to_text()]
        if self.notes:
            lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        parts = [f"<div class='cx-summary'><h4>{html.escape(self.title)}</h4>"]
        if self.facts:
            rows = "".join(
                f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(str(k))}</th>"
                f"<td>{html.escape(_localized(_fmt_value(v)))}</td></tr>"
                for k, v in self.facts.items()
            )
            parts.append(f"<table class='cx-facts'>{rows}</table>")
        for name, t in self._shown().items():
            parts.append(f"<h5>{html.escape(name)}</h5>")
            parts.append(t.to_html())
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<ul class='cx-notes'>{items}</ul>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    __repr__ = __str__


@dataclass(frozen=True, eq=False)
class Findings:
    """The sentences a result says about itself: findings and caveats, in the reader's language.

    Returned by every result's ``findings()``; notebooks display it, reports print it in the
    findings and caveat boxes, and ``list(findings)`` gives the finding sentences.

    Attributes
    ----------
    findings : tuple of str
        Statements of what the numbers show, each with its interval where there is one.
    caveats : tuple of str
        What a reader should keep in mind (small groups, failed checks, assumptions).
    """

    findings: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __add__(self, other: Findings) -> Findings:
        """Both findings; a caveat both share is said once."""
        caveats = tuple(dict.fromkeys(self.caveats + other.caveats))
        return Findings(self.findings + other.findings, caveats)

    def as_text(self) -> str:
        lines = [f"- {f}" for f in self.findings]
        if self.caveats:
            lines += ["Caveats:"] + [f"- {c}" for c in self.caveats]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        md = "\n".join(f"- {f}" for f in self.findings)
        if self.caveats:
            md += "\n\n**Caveats**\n\n" + "\n".join(f"- {c}" for c in self.caveats)
        return md

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return f"<Findings: {len(self.findings)} finding(s), {len(self.caveats)} caveat(s)>"


#: The decorator for every result class: frozen, compared by identity, short repr.
result_dataclass = functools.partial(dataclass, frozen=True, eq=False, repr=False)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.DataFrame):
        return v.to_dict(orient="records")
    if isinstance(v, pd.Series):
        return v.to_dict()
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    return v


class Result:
    """Base of every cxmodels result: ``.table``, ``.summary()``, ``findings()``, display.

    Subclasses (declared with :data:`result_dataclass`) define ``table`` (a tidy DataFrame),
    ``_summary_parts()`` returning ``(title, facts, tables, notes)`` and ``findings()``.
    Results compare by identity (``eq=False``) and show a one-line ``repr``; ``to_dict()``
    carries every table of the summary.
    """

    table: pd.DataFrame

    def _summary_parts(self) -> tuple[str, dict, dict, list]:  # pragma: no cover - abstract
        raise NotImplementedError

    def findings(self) -> Findings:
        """The sentences (and caveats) this result supports; see :class:`Findings`."""
        return Findings()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result by name, ``"table"`` first."""
        _, _, tables, _ = self._summary_parts()
        return {"table": self.table, **{k: v for k, v in tables.items() if v is not self.table}}

    def summary(self) -> Summary:
        title, facts, tables, notes = self._summary_parts()

        if not i18n.is_english():  # fixed words from the catalogue (``summary.<English>``)
            title, facts, tables, notes = i18n.summary_words(title, facts, tables, notes)
        return Summary(title, dict(facts), dict(tables), tuple(notes))

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __str__(self) -> str:
        return self.summary().as_text()

    def __repr__(self) -> str:
        title = self._summary_parts()[0]
        n = len(self.table) if isinstance(self.table, pd.DataFrame) else 0
        return f"<{type(self).__name__}: {title} ({n} row{'s' if n != 1 else ''} in .table)>"

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (facts, every table as records, findings, notes) for JSON export."""
        title, facts, _, notes = self._summary_parts()
        f = self.findings()
        return {
            "title": title,
            "facts": {k: _plain(v) for k, v in facts.items()},
            "table": self.table.to_dict(orient="records"),
            "tables": {k: _plain(v) for k, v in self.tables().items()},
            "findings": list(f.findings),
            "caveats": list(f.caveats),
            "notes": list(notes),
        }


#: Old name, kept for code written against 0.1.
ResultMixin = Result
