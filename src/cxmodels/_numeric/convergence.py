"""The one warning class of every iterative fit in cxmodels."""

from __future__ import annotations


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before it converged; the message (or the result) says which.

    Raised by the logistic fits of :mod:`cxmodels.effects`, the value models'
    optimiser (:mod:`cxmodels.value`) and every other user of :mod:`cxmodels._numeric`; filter
    it once (``warnings.simplefilter("error", cx.ConvergenceWarning)``) for all of them.
    """
