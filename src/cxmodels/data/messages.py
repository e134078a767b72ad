"""The contract checks' messages and fixes, shared by the pandas and the DuckDB engines.

Both engines find the same faults in different ways (pandas on arrays, DuckDB in SQL) and report
them with the same words: ``message(name, **values)`` gives the ``(message, fix)`` pair of one
check, so a message is written once and both engines' reports compare equal.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "missing_table": (
        "required table is missing",
        "add a file named {table}.csv/.parquet/.xlsx/.sav to the folder",
    ),
    "no_rows": ("the table has no rows", "export the table again with its rows"),
    "no_columns": ("the table is empty", "export the table again with its rows"),
    "empty_keys": ("empty keys", "give every row its id (blank ids match nobody)"),
    "empty_ids": ("empty ids", "give every row its id (blank ids match nobody)"),
    "duplicate_keys": ("duplicate keys", "make the key unique (drop or renumber duplicates)"),
    "not_numbers": (
        "values that are not numbers",
        "use numeric codes (put labels in the codebook)",
    ),
    "decimal_comma": (
        "values that are not numbers",
        'these use a decimal comma: declare "decimal": "," in meta.json',
    ),
    "not_dates": (
        "values that are not dates",
        "write dates as YYYY-MM-DD, or declare `date_format` for {table}.{column} in meta.json",
    ),
    "not_booleans": ("values that are not true/false values", "use true/false, yes/no or 1/0"),
    "unknown_customers": (
        "customer ids not in the customers table",
        "add the customers or drop these rows",
    ),
    "outside_scale": (
        "values outside the scale {lo:g}-{hi:g}",
        "correct the values, or declare the scale of {column!r} in codebook.json",
    ),
    "row_number": (
        "values outside the scale {lo:g}-{hi:g}",
        "{column!r} looks like a row number, not a rating: rename it without the rating prefix",
    ),
    "after_end": (
        "dates after the observation end {end}",
        "correct the dates or pass a later observation end (as_of=...)",
    ),
    "churn_before_signup": ("churn before signup", "correct churn_date or signup_date"),
    "before_signup": (
        "dated before the customer's signup ({rows} rows)",
        "correct the dates or the customer's signup_date",
    ),
    "unknown_values": ("unknown values {values}{hint}", "use one of {known}"),
    "negative_minutes": (
        "negative response times",
        "response time is minutes from contact to first response; fix the timestamps",
    ),
    "kano_whole": (
        "answer positions must be whole numbers 1-5",
        "code answers 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike",
    ),
    "kano_twice": (
        "the same respondent answered the same feature twice (double submission)",
        "keep one answer per respondent and feature",
    ),
    "near_duplicates": (
        "labels that differ only in case or spacing: {shown}",
        "spell each label one way; they are counted as separate groups",
    ),
    "spellings": (
        "{n} spelling(s) normalised ({shown})",
        "write the values as the contract spells them to silence this",
    ),
    "far_beyond": (
        "dates far beyond all others ({first}; the other dates end {ref}): they would set the "
        "observation end",
        "correct these dates, or declare observation_end in meta.json",
    ),
    "end_inferred": (
        "observation end inferred from the latest date: {end}",
        'declare "observation_end" in meta.json',
    ),
    "half_empty": (
        "more than half empty ({share:.0%})",
        "check the export; models will drop rows missing this column",
    ),
}


def message(name: str, **values) -> tuple[str, str]:
    """``(message, fix)`` of the check ``name``, filled with ``values``."""
    text, fix = MESSAGES[name]
    return text.format(**values), fix.format(**values)
