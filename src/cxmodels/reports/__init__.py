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

import importlib

#: Where each name of the package lives. The package imports a module on first use (PEP 562),
#: so ``cxmodels validate`` does not load the report machinery (papermill, nbconvert, the
#: kernel) and a notebook's ``rp.setup`` does not load the runner.
_WHERE = {
    "ConfigError": "config",
    "ReportSpec": "config",
    "check_name": "config",
    "load_config": "config",
    "load_data": "config",
    "Executor": "config",
    "parse_executor": "config",
    "export_html": "export",
    "write_index": "index",
    "COMMENT_COLUMNS": "privacy",
    "DATA_URI_RE": "privacy",
    "EMAIL_RE": "privacy",
    "IDENTIFIER_COLUMNS": "privacy",
    "MIN_COMMENT_CHARS": "privacy",
    "PHONE_RE": "privacy",
    "TOKEN_RE": "privacy",
    "comment_values": "privacy",
    "identifier_values": "privacy",
    "privacy_hits": "privacy",
    "RenderSpec": "render",
    "render": "render",
    "render_spec": "render",
    "RunOutcome": "runner",
    "run": "runner",
    "select": "runner",
    "OutputError": "state",
    "RunInProgress": "state",
    "data_path": "state",
    "fingerprint": "state",
    "SNAPSHOT_MIME": "widgets",
    "TABLE_MIME": "widgets",
    "displayed_tables": "widgets",
    "finding": "widgets",
    "needs": "widgets",
    "publish_snapshot": "widgets",
    "say": "widgets",
    "setup": "widgets",
    "show_findings": "widgets",
    "show_summary": "widgets",
    "show_table": "widgets",
    "skip": "widgets",
    "table": "widgets",
    "tiles": "widgets",
    "_data_path": "state",  # the old private name of data_path, used by older bench scripts
}
#: Submodules by name. ``render`` is also a function: ``reports.render`` gives the function until
#: the module ``cxmodels.reports.render`` is imported (Python then sets the name to the module),
#: so code that needs one or the other imports it by its full name.
_SUBMODULES = {
    "config",
    "executors",
    "export",
    "index",
    "kernel",
    "localize",
    "locks",
    "markup",
    "privacy",
    "runner",
    "state",
    "widgets",
}

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


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _WHERE:
        module = importlib.import_module(f".{_WHERE[name]}", __name__)
        return getattr(module, name.lstrip("_") if name == "_data_path" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | _SUBMODULES)
