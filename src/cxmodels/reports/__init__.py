"""Report regeneration: the parameterised notebooks become a shareable HTML report set.

``cxmodels report`` (or :func:`run`) reads ``reports.yaml``, validates it against its schema
(:mod:`.config`), expands each entry's ``matrix`` into reports, and for every report whose
inputs changed renders it as one task on an executor (:mod:`.executors`: ``serial``,
``process:N``, ``dask+local:N``, ``dask://HOST:PORT``):

1. the notebook runs with papermill on a fresh IPython kernel forked from a warm, pre-imported
   template (:mod:`.kernel`), IPC transport, one BLAS thread, the per-report timeout enforced
   from outside the kernel;
2. the HTML is exported without code or parameters cells, self-contained, with a header,
   contents and method notes (:mod:`.export`);
3. the privacy gate reads the page and every text drawn in its figures (:mod:`.privacy`);
4. the parent publishes atomically inside the output folder (:mod:`.state`): a failed report
   never replaces the last good HTML; its notebook is kept as ``_notebooks/NAME.failed.ipynb``
   (scrubbed when the privacy gate blocked it).

Each report's fingerprint is kept in ``_manifest.json``; an unchanged report is skipped unless
``force``. ``index.html`` lists every report, grouped by notebook (:mod:`.index`). Notebook
helpers (:func:`setup`, :func:`publish_snapshot`, :func:`tiles`, :func:`show_table`,
:func:`show_summary`, :func:`show_findings`, :func:`say`) live in :mod:`.widgets`; every table
shown through them is also written to the report's workbook ``NAME.xlsx``.
"""

from __future__ import annotations

from .config import ConfigError, ReportSpec, check_name, load_config, load_data
from .executors import Executor, parse_executor
from .export import export_html
from .index import write_index
from .privacy import (
    COMMENT_COLUMNS,
    DATA_URI_RE,
    EMAIL_RE,
    IDENTIFIER_COLUMNS,
    MIN_COMMENT_CHARS,
    PHONE_RE,
    TOKEN_RE,
    comment_values,
    identifier_values,
    privacy_hits,
)
from .render import RenderSpec, render, render_spec
from .runner import RunOutcome, run, select
from .state import OutputError, RunInProgress, data_path, fingerprint
from .widgets import (
    SNAPSHOT_MIME,
    TABLE_MIME,
    displayed_tables,
    finding,
    needs,
    publish_snapshot,
    say,
    setup,
    show_findings,
    show_summary,
    show_table,
    skip,
    table,
    tiles,
)

_data_path = data_path  # the old private name, used by older bench scripts

__all__ = [
    "COMMENT_COLUMNS",
    "DATA_URI_RE",
    "EMAIL_RE",
    "IDENTIFIER_COLUMNS",
    "MIN_COMMENT_CHARS",
    "PHONE_RE",
    "SNAPSHOT_MIME",
    "TABLE_MIME",
    "TOKEN_RE",
    "ConfigError",
    "Executor",
    "OutputError",
    "RenderSpec",
    "ReportSpec",
    "RunInProgress",
    "RunOutcome",
    "check_name",
    "comment_values",
    "data_path",
    "displayed_tables",
    "export_html",
    "finding",
    "fingerprint",
    "identifier_values",
    "load_config",
    "load_data",
    "needs",
    "parse_executor",
    "privacy_hits",
    "publish_snapshot",
    "render",
    "render_spec",
    "run",
    "say",
    "select",
    "setup",
    "show_findings",
    "show_summary",
    "show_table",
    "skip",
    "table",
    "tiles",
    "write_index",
]
