"""The voice of the customer: themes, sentiment and impact of survey comments, offline.

``cx.analyze_comments(data)`` masks every comment (:func:`mask_text`), normalises Persian and
English (:func:`normalize_text`), finds or assigns themes (:mod:`.themes`), scores sentiment
from shipped lexicons calibrated on the survey's rating (:mod:`.sentiment`) and credits each
theme with its "remove the theme" impact on NPS (:mod:`.impact`). Nothing is downloaded.
"""

from __future__ import annotations

from ..pii import mask_text
from .analysis import MIN_REPORT_COMMENTS, analyze_comments, analyze_report
from .normalize import normalize_text
from .result import CommentsResult

__all__ = [
    "MIN_REPORT_COMMENTS",
    "CommentsResult",
    "analyze_comments",
    "analyze_report",
    "mask_text",
    "normalize_text",
]
