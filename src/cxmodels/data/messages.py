"""The contract checks' messages and fixes, shared by the pandas and the DuckDB engines.

Both engines find the same faults in different ways (pandas on arrays, DuckDB in SQL) and report
them with the same words: ``message(name, **values)`` gives the ``(message, fix)`` pair of one
check, so a message is written once and both engines' reports compare equal.

The words live in the i18n catalogue (``i18n/<language>/intake.json``: ``intake.<name>`` and
``intake.<name>.fix``), so the language in force when the check runs decides them. The values
(names, dates, bounds, shares) are filled in as they are: no digit shaping, so a user can find
them in the file.
"""

from __future__ import annotations

from ..i18n import t

#: The checks both engines report (some by computed names, ``"not_" + kind``): each has
#: ``intake.<name>`` and ``intake.<name>.fix`` in both catalogues (``tests/test_i18n.py``).
MESSAGES: tuple[str, ...] = tuple(
    """
    missing_table no_rows no_columns empty_keys empty_ids duplicate_keys not_numbers
    decimal_comma not_dates not_booleans not_kano unknown_customers outside_scale row_number
    after_end before_1900 churn_before_signup before_signup unknown_values negative_minutes
    negative_amount nps_from_one nps_thin_floor kano_whole kano_twice survey_twice other_currency
    near_duplicates spellings far_beyond end_inferred half_empty
    """.split()
)


def say(key: str, /, **values) -> str:
    """The catalogue text ``intake.<key>`` in the current language, filled with ``values``.

    Unlike :func:`cxmodels.i18n.t`, digits are left as they are (values name what is in the
    file) and the template is always formatted, so ``{{`` in a template is one brace.
    """
    return t(f"intake.{key}").format(**values)


def shown(values) -> str:
    """The first five distinct values as they are written (quoted), for a message."""
    return say("separator").join(repr(str(v)) for v in list(dict.fromkeys(values))[:5])


def opening(name: str) -> str:
    """The fixed start of the message of check ``name`` (up to its first value)."""
    return t(f"intake.{name}").split("{")[0]


def message(name: str, **values) -> tuple[str, str]:
    """``(message, fix)``: ``intake.<name>`` and ``intake.<name>.fix``, filled with ``values``."""
    return say(name, **values), say(f"{name}.fix", **values)
