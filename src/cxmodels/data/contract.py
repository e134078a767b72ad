"""The cxmodels data contract: tables, columns, types, scales and keys.

A CX data set is a folder (or DuckDB file) of these tables. Columns marked *required* must be
present; the others are used when present. Rating columns are checked against the codebook,
which travels with the data (``codebook.json`` or ``codebook.yaml``; SPSS value labels are read
into it), so a 1-5 survey and a 1-10 survey are both valid.

customers (key ``customer_id``)
    ``customer_id`` str, ``signup_date`` date, ``churn_date`` date (empty while active),
    ``segment`` category, ``region`` category, ``branch_id`` str, ``age_band``, ``income_band``,
    ``marital_status`` category, ``loyalty_member`` bool (customer-club membership),
    ``acquisition_channel`` category. Loaders derive ``tenure_days`` and ``churned`` from the
    observation end date.
responses (key ``response_id``; survey answers)
    ``response_id`` str, ``customer_id`` str, ``survey_date`` date, ``wave`` str (``2025Q3``),
    ``overall_sat`` 1-10, ``nps`` 0-10 (likelihood to recommend), ``csat`` 1-5,
    ``ces`` 1-7 (customer effort; lower is easier), driver ratings ``attr_*`` 1-10, the
    satisfaction-loyalty chain items ``img_*``, ``exp_*``, ``qual_*``, ``val_*``, ``sat_*``,
    ``compl_*``, ``loy_*`` 1-10 (scales from the codebook when it declares them),
    ``comment_liked`` and ``comment_disliked`` free text (never shown in reports by default).
interactions (key ``interaction_id``; CRM touchpoints)
    ``interaction_id`` str, ``customer_id`` str, ``timestamp`` datetime, ``channel``
    (phone, email, sms, chat, social, web, store), ``kind`` (purchase, support, complaint,
    follow_up, survey_invite), ``topic`` str, ``sentiment`` -1..1, ``response_minutes``
    >= 0 (support and complaints), ``resolved`` bool, ``amount`` >= 0 (purchases; optional).
kano_answers (one row per respondent and feature)
    ``respondent_id`` str, ``feature`` str, ``functional`` and ``dysfunctional`` answer positions
    1-5 (1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike), ``importance`` 1-9 (optional),
    ``segment`` (optional).
branches (optional; key ``branch_id``)
    ``branch_id`` str, ``employee_sat`` mean staff satisfaction (1-10).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "str", "date", "datetime", "num", "bool", "cat"
    required: bool = False
    sparse: bool = False  # structurally empty for many rows (no "half empty" warning)
    identifier: bool = False  # never shown in reports
    free_text: bool = False  # never shown in reports


@dataclass(frozen=True)
class Table:
    name: str
    key: str | None
    columns: tuple[Column, ...]
    optional: bool = False
    prefix_kind: dict | None = None  # e.g. {"attr_": "num"} for driver ratings

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


C = Column
CONTRACT: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "customers",
            "customer_id",
            (
                C("customer_id", "str", True, identifier=True),
                C("signup_date", "date", True),
                C("churn_date", "date", sparse=True),
                C("exit_cause", "cat", sparse=True),
                C("segment", "cat"),
                C("region", "cat"),
                C("branch_id", "str"),
                C("age_band", "cat"),
                C("income_band", "cat"),
                C("marital_status", "cat"),
                C("loyalty_member", "bool"),
                C("acquisition_channel", "cat"),
                C("email", "str", identifier=True, sparse=True),
                C("phone", "str", identifier=True, sparse=True),
            ),
        ),
        Table(
            "responses",
            "response_id",
            (
                C("response_id", "str", True, identifier=True),
                C("customer_id", "str", True, identifier=True),
                C("survey_date", "date", True),
                C("wave", "str"),
                C("overall_sat", "num"),
                C("nps", "num"),
                C("csat", "num"),
                C("ces", "num"),
                C("comment_liked", "str", sparse=True, free_text=True),
                C("comment_disliked", "str", sparse=True, free_text=True),
            ),
            prefix_kind={
                p: "num"
                for p in ("attr_", "img_", "exp_", "qual_", "val_", "sat_", "compl_", "loy_")
            },
        ),
        Table(
            "interactions",
            "interaction_id",
            (
                C("interaction_id", "str", True, identifier=True),
                C("customer_id", "str", True, identifier=True),
                C("timestamp", "datetime", True),
                C("channel", "cat"),
                C("kind", "cat", True),
                C("topic", "str", sparse=True),
                C("sentiment", "num", sparse=True),
                C("response_minutes", "num", sparse=True),
                C("resolved", "bool", sparse=True),
                C("amount", "num", sparse=True),
            ),
            optional=True,
        ),
        Table(
            "kano_answers",
            None,
            (
                C("respondent_id", "str", True, identifier=True),
                C("feature", "cat", True),
                C("functional", "num", True),
                C("dysfunctional", "num", True),
                C("importance", "num", sparse=True),
                C("segment", "cat"),
            ),
            optional=True,
        ),
        Table(
            "branches",
            "branch_id",
            (C("branch_id", "str", True), C("employee_sat", "num")),
            optional=True,
        ),
    ]
}

TABLES = tuple(CONTRACT)
#: Columns the loaders derive from the observation end (never read from a file).
DERIVED = {"customers": ("tenure_days", "churned")}
REQUIRED_TABLES = tuple(n for n, t in CONTRACT.items() if not t.optional)

# customer columns that describe who a customer is (joined onto events and survival rows)
CUSTOMER_ATTRIBUTES = (
    "segment",
    "region",
    "age_band",
    "income_band",
    "marital_status",
    "loyalty_member",
    "acquisition_channel",
    "branch_id",
)

CHANNELS = ("phone", "email", "sms", "chat", "social", "web", "store")
KINDS = ("purchase", "support", "complaint", "follow_up", "survey_invite")

ATTRIBUTES = (
    "attr_product_quality",
    "attr_value_for_money",
    "attr_staff_competence",
    "attr_responsiveness",
    "attr_delivery_reliability",
    "attr_follow_up_care",
    "attr_digital_experience",
    "attr_complaint_handling",
)

#: Rating-item prefixes on the responses table: driver ratings ``attr_*`` and the items of the
#: satisfaction-loyalty chain (image, expectations, quality, value, satisfaction, complaints,
#: loyalty); each has the default 1-10 scale unless the codebook says otherwise.
RATING_PREFIXES = ("attr_", "img_", "exp_", "qual_", "val_", "sat_", "compl_", "loy_")

KANO_LABELS = {1: "like", 2: "must-be", 3: "neutral", 4: "live-with", 5: "dislike"}


def default_codebook(attributes=ATTRIBUTES) -> dict[str, dict]:
    """Scales of the rating columns: ``{column: {"min", "max", "labels"}}``."""
    cb = {
        "overall_sat": {
            "min": 1,
            "max": 10,
            "labels": {1: "very dissatisfied", 10: "very satisfied"},
        },
        "nps": {"min": 0, "max": 10, "labels": {0: "not at all likely", 10: "extremely likely"}},
        "csat": {"min": 1, "max": 5, "labels": {1: "very dissatisfied", 5: "very satisfied"}},
        "ces": {"min": 1, "max": 7, "labels": {1: "very easy", 7: "very difficult"}},
        "sentiment": {"min": -1, "max": 1, "labels": {}},
        "functional": {"min": 1, "max": 5, "labels": dict(KANO_LABELS)},
        "dysfunctional": {"min": 1, "max": 5, "labels": dict(KANO_LABELS)},
        "importance": {"min": 1, "max": 9, "labels": {}},
        "employee_sat": {"min": 1, "max": 10, "labels": {}},
    }
    for a in attributes:
        cb[a] = {"min": 1, "max": 10, "labels": {1: "very poor", 10: "excellent"}}
    return cb


def default_scale(column: str) -> dict:
    """The contract's scale of a rating column: the named default, else 1-10 (rating items)."""
    cb = default_codebook(())
    if column in cb:
        return dict(cb[column])
    return {"min": 1, "max": 10, "labels": {1: "very poor", 10: "excellent"}}


def column_kind(table: str, column: str) -> str | None:
    """The contract's kind of ``table.column`` (``"num"``, ``"date"``, ...; a rating item by its
    prefix), or None for a column the contract does not know."""
    spec = CONTRACT[table]
    c = spec.column(column)
    if c is not None:
        return c.kind
    prefixes = (spec.prefix_kind or {}).items()
    return next((k for p, k in prefixes if str(column).startswith(p)), None)


def is_id(column: str) -> bool:
    """An identifier or key column (``*_id``): both engines compare its values as
    :func:`~cxmodels.data.text.normalize_id` spells them."""
    return str(column).endswith("_id")


def identifier_columns(table: str) -> tuple[str, ...]:
    """Columns of ``table`` that identify or contact a person (never shown in reports)."""
    return tuple(c.name for c in CONTRACT[table].columns if c.identifier)


def free_text_columns(table: str) -> tuple[str, ...]:
    """Free-text columns of ``table`` (shown in reports only when a report asks)."""
    return tuple(c.name for c in CONTRACT[table].columns if c.free_text)
