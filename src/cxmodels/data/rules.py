"""The contract's row rules, each stated once with its pandas form and its SQL form side by side.

A row rule is a condition on the columns of one typed row (a negative amount, a churn date
before the signup date): the pandas engine evaluates :attr:`RowRule.rows` on the typed frame,
the DuckDB engine puts :attr:`RowRule.sql` into its one scan of the typed view, and both report
the rows with the message of :attr:`RowRule.name` (:mod:`.messages`). A parity test runs a fault
for every rule here on both engines (``tests/test_intake_fuzz.py``).

Rules that need more than one row (keys, references, the observation end, waves, Kano pairs)
are still written per engine in :mod:`.checks`, :mod:`.consistency` and :mod:`.duck`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RowRule:
    """One row rule: the rows of ``table`` for which it fails are reported on ``column``."""

    name: str  # the check's message (``intake.<name>`` in the catalogue)
    table: str
    column: str
    needs: tuple[str, ...]  # typed columns the rule reads (it runs when all are present)
    rows: Callable[[pd.DataFrame], pd.Series]  # pandas: True where a row breaks the rule
    sql: str  # the same condition on the typed view
    severity: str = "error"

    def applies(self, table: str, columns) -> bool:
        return table == self.table and set(self.needs) <= set(columns)


def _below_zero(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: d[col] < 0


def _not_whole(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: d[col].notna() & (d[col] % 1 != 0)


ROW_RULES: tuple[RowRule, ...] = (
    RowRule(
        "churn_before_signup",
        "customers",
        "churn_date",
        ("churn_date", "signup_date"),
        lambda d: d["churn_date"] < d["signup_date"],
        '"churn_date" < "signup_date"',
    ),
    RowRule(
        "negative_minutes",
        "interactions",
        "response_minutes",
        ("response_minutes",),
        _below_zero("response_minutes"),
        '"response_minutes" < 0',
    ),
    RowRule(
        "negative_amount",
        "interactions",
        "amount",
        ("amount",),
        _below_zero("amount"),
        '"amount" < 0',
    ),
    *(
        RowRule("kano_whole", "kano_answers", c, (c,), _not_whole(c), f'"{c}" % 1 <> 0')
        for c in ("functional", "dysfunctional")
    ),
)


def typed_for(rule: RowRule, df: pd.DataFrame) -> bool:
    """Whether ``df`` holds the rule's columns typed (numbers or dates; a column whose typing
    failed was reported already and is not checked again)."""
    return all(
        c in df
        and (
            pd.api.types.is_datetime64_any_dtype(df[c])
            or (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
        )
        for c in rule.needs
    )
