"""What travels from a report notebook to its page: the MIME types of shown tables and
snapshots, and the one path from a sentence to HTML (light: the exporter imports it without the
notebook helpers of :mod:`.widgets`), and a parameter as words (the index and the pages)."""

from __future__ import annotations

import ast
import html
import re

from .. import i18n
from .._format import label
from ..i18n import t

#: The MIME type under which a report's snapshot (KPIs, findings) travels in the executed notebook.
SNAPSHOT_MIME = "application/vnd.cxmodels.snapshot+json"
#: The MIME type under which a shown table's data travels in the executed notebook.
TABLE_MIME = "application/vnd.cxmodels.table+json"


def md_inline(text: str) -> str:
    """Escape ``text`` for HTML, then render ``**bold**``, ``*italics*`` and ```code```.

    The one path from a sentence to HTML: every value in it (labels from the data included)
    is escaped first, so only the marks above become tags.
    """
    text = html.escape(str(text))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<i>\1</i>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def param_value(key: str, value, fmt) -> str:
    """A parameter as words: lists of column names as their labels, strings unquoted."""
    if key == "language" and not i18n.is_english():
        name = f"index.language.{str(value).strip(chr(39) + chr(34))}"
        return t(name) if i18n.has(name) else str(value)
    if isinstance(value, str):
        try:  # papermill keeps defaults as source text ('"en"', "['a', 'b']", 'None')
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    if isinstance(value, list | tuple):
        return fmt([label(v) if isinstance(v, str) else v for v in value])
    return fmt(value)
