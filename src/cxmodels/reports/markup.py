"""What travels from a report notebook to its page: the MIME types of shown tables and
snapshots, and the one path from a sentence to HTML (light: the exporter imports it without the
notebook helpers of :mod:`.widgets`)."""

from __future__ import annotations

import html
import re

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
