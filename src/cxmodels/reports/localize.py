"""A report in its language: translated notebook headings, ``lang``/``dir``, font and isolation.

The notebooks are written in English. A report in another language (``language: fa`` in
``reports.yaml``) gets its findings in that language from the kernel (``CXMODELS_LANGUAGE``);
this module does the rest at render time: markdown headings and paragraphs are looked up in the
catalogue (``headings.json``, keyed by the exact English text), the page is marked
``<html lang="fa" dir="rtl">``, the embedded Persian font and the right-to-left CSS go into its
head, and Latin runs and numbers in the body are isolated (``<bdi>``) so mixed text reads right.
"""

from __future__ import annotations

import re

from .. import i18n

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def heading_key(text: str) -> str:
    """The catalogue key of a notebook heading (its exact English text)."""
    return f"heading.{text.strip()}"


def paragraph_key(text: str) -> str:
    """The catalogue key of a markdown paragraph (its exact English text, spaces collapsed)."""
    return "markdown." + " ".join(text.split())


def markdown_texts(source: str) -> tuple[list[str], list[str]]:
    """The headings and the paragraphs of a markdown cell, as the catalogue keys them."""
    heads, paras, cur = [], [], []
    for line in [*source.splitlines(), ""]:
        m = _HEADING.match(line)
        if m or not line.strip():
            if cur:
                paras.append(" ".join(" ".join(cur).split()))
                cur = []
            if m:
                heads.append(m.group(2).strip())
            continue
        cur.append(line.strip())
    return heads, paras


def translate_markdown(source: str) -> str:
    """A markdown cell in the current language: headings and paragraphs the catalogue knows.

    Text the catalogue lacks stays as written (a test lists the notebooks' missing headings).
    """
    if i18n.is_english():
        return source
    out, cur = [], []

    def flush() -> None:
        if cur:
            text = " ".join(" ".join(cur).split())
            key = paragraph_key(text)
            out.append(i18n.t(key) if i18n.has(key) else "\n".join(cur))
            cur.clear()

    for line in source.splitlines():
        m = _HEADING.match(line)
        if m or not line.strip():
            flush()
            if m:
                key = heading_key(m.group(2))
                text = i18n.t(key) if i18n.has(key) else m.group(2)
                out.append(f"{m.group(1)} {text}")
            else:
                out.append(line)
            continue
        cur.append(line.strip())
    flush()
    return "\n".join(out)


def translate_notebook(nb) -> None:
    """Translate every markdown cell of ``nb`` in place (current language)."""
    for c in nb.cells:
        if c.cell_type == "markdown":
            c.source = translate_markdown(c.source)


_SKIP = re.compile(
    r"(<style\b.*?</style>|<script\b.*?</script>|<[^>]+>|&#?\w+;)", re.S | re.I
)  # tags, style and script blocks, and character references are left as they are


def _isolate_body(body: str) -> str:
    """``<bdi>`` around Latin runs and numbers in the text of ``body`` (not in tags or CSS)."""
    parts = _SKIP.split(body)
    for i in range(0, len(parts), 2):  # even parts are text between tags
        if parts[i].strip():
            parts[i] = i18n.isolate_ltr(parts[i])
    return "".join(parts)


def localize_page(page: str, lang: str) -> str:
    """The exported page in ``lang``: ``lang``/``dir`` on ``<html>``, font and RTL CSS in the
    head, Latin runs isolated in the body. English pages are returned unchanged."""
    if lang == "en":
        return page
    direction = "rtl" if i18n.is_rtl(lang) else "ltr"
    page = re.sub(r"<html[^>]*>", f'<html lang="{lang}" dir="{direction}">', page, count=1)
    page = page.replace("</head>", i18n.html_head(lang) + "\n</head>", 1)
    start = page.find("<body")
    if start < 0 or direction != "rtl":
        return page
    return page[:start] + _isolate_body(page[start:])
