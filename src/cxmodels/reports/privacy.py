"""The privacy gate: no customer identifier, contact detail or free-text comment is published.

The gate reads the exported HTML (without its inline images) **and** every text drawn in every
figure (titles, labels, tick labels, legends, annotations: the kernel records each figure's
``Text`` artists as the figure is rasterised, see :mod:`cxmodels.reports.kernel`). A blocked
report is not published, and its kept notebook ``_notebooks/NAME.failed.ipynb`` is scrubbed: the
outputs are withheld and every value found is replaced by ``[withheld]``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from ..data.contract import free_text_columns, identifier_columns
from ..data.text import to_ascii_digits
from ..pii import contact_details
from .config import _LOADED, load_data, table_columns

IDENTIFIER_COLUMNS = identifier_columns("customers")  # customer_id, email, phone
COMMENT_COLUMNS = free_text_columns("responses")  # comment_liked, comment_disliked
MIN_COMMENT_CHARS = 20  # shorter answers ("Good.") would match ordinary words
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
PHONE_RE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[ -]?\d{2,4}|0\d{2,4})[ -]\d{3,4}[ -]?\d{3,4}(?![\w.])"
)
DATA_URI_RE = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")
TOKEN_RE = re.compile(r"[A-Za-z0-9_.+@-]{4,}")
WITHHELD = "[withheld]"


def _values(data, table: str, columns: tuple[str, ...]) -> list:
    """The non-empty values of each given column, from a data set read as ``cx.load`` reads it
    (a path is read through :func:`.config.load_data`, the loader ``cxmodels validate`` uses)."""
    if isinstance(data, str | Path):
        data = load_data(str(data))
    df = table_columns(data, table, columns)
    if df is None:
        return []
    return [df[c].dropna().astype(str).map(to_ascii_digits).str.strip() for c in df.columns]


def identifier_values(data, columns: tuple[str, ...] = IDENTIFIER_COLUMNS) -> set[str]:
    """Values of the identifier columns (customer_id, email, phone) of a data set's customers.

    Parameters
    ----------
    data : CXData, DuckData or path
        Loaded data, or a data folder / DuckDB file (loaded as ``cxmodels validate`` does).
    columns : tuple of str
        The columns (default all three; ``("customer_id",)`` gives one value per customer).
    """
    vals: set[str] = set()
    for v in _values(data, "customers", columns):
        # short or purely numeric small ids would match ordinary numbers in tables
        v = v[(v.str.len() >= 5) & ~(v.str.isdigit() & (v.str.len() < 7))]
        vals |= set(v.unique())
    return vals


def comment_values(data) -> set[str]:
    """Free-text comments of a data set's responses (at least ``MIN_COMMENT_CHARS`` long)."""
    out: set[str] = set()
    for v in _values(data, "responses", COMMENT_COLUMNS):
        out |= set(v[v.str.len() >= MIN_COMMENT_CHARS].unique())
    return out


def privacy_hits(text: str, identifiers: set[str], comments: set[str] = frozenset()) -> list[str]:
    """Identifier values, emails, phone numbers and free-text comments found in ``text`` (HTML).

    Parameters
    ----------
    text : str
        The page; inline images (``data:`` URIs) are ignored: figure texts are checked by
        :func:`figure_hits` before rasterisation. Persian and Arabic-Indic digits are read as
        ASCII digits (a Persian page writes numbers, ids included, in Persian digits).
    identifiers : set of str
        Values of the identifier columns (:func:`identifier_values`).
    comments : set of str
        Free-text comments (:func:`comment_values`); empty to allow them.

    Returns
    -------
    list of str
        The values found (up to five of each kind); comments as ``"comment '...'"``. Contact
        details are found by the patterns that mask comments
        (:func:`cxmodels.pii.contact_details`: Iranian mobile and landline numbers,
        international numbers, e-mails, card numbers, national ids), so a comment shown with
        ``show_comments: true`` must still be masked.
    """
    body = to_ascii_digits(DATA_URI_RE.sub("", text))  # a Persian page writes C۰۰۱ for C001
    hits = []
    body = re.sub(r"</?bdi[^>]*>|[\u2066-\u2069]", "", body)  # right-to-left isolates hide nothing
    tokens = set(TOKEN_RE.findall(body))
    hits += sorted(tokens & identifiers)[:5]
    if comments:
        cell_text = re.findall(rf">([^<>]{{{MIN_COMMENT_CHARS},}})<", body)
        segments = {html.unescape(t).strip() for t in cell_text}
        hits += [f"comment {c!r}" for c in sorted(segments & comments)[:3]]
    hits += [m for m in EMAIL_RE.findall(body) if m not in hits][:5]
    hits += [m.strip() for m in PHONE_RE.findall(html.unescape(body))][:5]
    seen = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", body)  # what a reader sees
    text = html.unescape(re.sub(r"<[^>]+>", " ", seen))
    hits += [m for m in contact_details(text) if m not in hits][:5]
    return hits


def figure_hits(texts: list[str], identifiers: set[str], comments: set[str]) -> list[str]:
    """The same gate over the texts drawn in figures (one string per ``Text`` artist)."""
    if not texts:
        return []
    body = "".join(f"<span>{html.escape(t)}</span>" for t in texts)
    return privacy_hits(body, identifiers, comments)


def describe_hits(page_hits: list[str], fig_hits: list[str]) -> str:
    """A message for the run table, index and manifest that names kinds, never the values."""

    def kinds(hits: list[str]) -> str:
        n_mail = sum(bool(EMAIL_RE.fullmatch(h)) for h in hits)
        n_comment = sum(h.startswith("comment ") for h in hits)
        n_phone = sum(bool(PHONE_RE.fullmatch(h)) for h in hits)
        n_id = len(hits) - n_mail - n_comment - n_phone
        parts = [
            f"{n} {w}{'s' if n != 1 else ''}"
            for n, w in (
                (n_id, "customer identifier"),
                (n_mail, "email address"),
                (n_phone, "phone number"),
                (n_comment, "free-text comment"),
            )
            if n
        ]
        return ", ".join(parts)

    where = []
    if page_hits:
        where.append(f"{kinds(page_hits)} in the text or tables")
    if fig_hits:
        where.append(f"{kinds(fig_hits)} inside a figure")
    return "; ".join(where) + "; not published"


def scrub_notebook(nb_json: str, hits: list[str]) -> str:
    """A blocked report's notebook with every output withheld and every found value replaced."""
    nb = json.loads(nb_json)
    for cell in nb.get("cells", []):
        if cell.get("outputs"):
            cell["outputs"] = [
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": "[output withheld by the privacy gate]\n",
                }
            ]
    text = json.dumps(nb, indent=1)
    values = {h[len("comment ") :].strip("'\"") if h.startswith("comment ") else h for h in hits}
    for v in sorted(values, key=len, reverse=True):
        if v:
            text = text.replace(json.dumps(v)[1:-1], WITHHELD).replace(v, WITHHELD)
    return text


# ------------------------------------------------------------------ per-process values
_PRIVATE: dict[tuple, tuple] = {}  # (uri, engine) -> (data, identifiers, comments)


def private_values(uri: str, engine: str = "pandas") -> tuple[set[str], set[str]]:
    """Identifier and comment values of a data set read as ``cx.load`` reads it, per process."""
    data = load_data(uri, engine)  # cached; read again when a file changed
    held = _PRIVATE.get((uri, engine))
    if held is None or held[0] is not data:
        held = _PRIVATE[(uri, engine)] = (data, identifier_values(data), comment_values(data))
    return held[1], held[2]


def forget_data() -> None:
    """Drop the data sets read in this process (their memory, a DuckDB spill folder) and the
    identifier and comment values held from them."""
    _LOADED.clear()
    _PRIVATE.clear()
