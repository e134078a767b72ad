"""The shared surface of every cxmodels result: ``.table``, ``.summary()``, HTML display.

Modelled on statsmodels' ``Summary`` (text and HTML from one object) and lifelines'
``StatisticalResult`` (one kind of object for every test).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def _fmt_value(v: Any) -> str:
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return "-"
        return f"{v:.4g}"
    return str(v)


@dataclass(frozen=True)
class Summary:
    """A printable, displayable summary: a title, key facts, tables and notes."""

    title: str
    facts: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        width = max((len(k) for k in self.facts), default=0)
        lines += [f"{k:<{width}} : {_fmt_value(v)}" for k, v in self.facts.items()]
        for name, t in self.tables.items():
            lines += ["", name, "-" * len(name)]
            with pd.option_context("display.width", 120, "display.max_columns", 30):
                lines.append(t.to_string(float_format=lambda x: f"{x:.4g}"))
        if self.notes:
            lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        parts = [f"<div class='cx-summary'><h4>{html.escape(self.title)}</h4>"]
        if self.facts:
            rows = "".join(
                f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                f"<td>{html.escape(_fmt_value(v))}</td></tr>"
                for k, v in self.facts.items()
            )
            parts.append(f"<table class='cx-facts'>{rows}</table>")
        for name, t in self.tables.items():
            parts.append(f"<h5>{html.escape(name)}</h5>")
            parts.append(t.to_html(float_format=lambda x: f"{x:.4g}", border=0, na_rep="-"))
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


class ResultMixin:
    """Mixin giving result dataclasses the common interface.

    Subclasses define ``table`` (a tidy DataFrame) and ``_summary_parts()`` returning
    ``(title, facts, tables, notes)``.
    """

    table: pd.DataFrame

    def _summary_parts(self) -> tuple[str, dict, dict, list]:  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> Summary:
        title, facts, tables, notes = self._summary_parts()
        return Summary(title, dict(facts), dict(tables), tuple(notes))

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __str__(self) -> str:
        return self.summary().as_text()

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (facts and the table as records) for JSON export."""
        title, facts, _, notes = self._summary_parts()
        return {
            "title": title,
            "facts": {k: (v.item() if isinstance(v, np.generic) else v) for k, v in facts.items()},
            "table": self.table.to_dict(orient="records"),
            "notes": list(notes),
        }
