"""The satisfaction -> loyalty chain: PLS path modelling (the ACSI/ECSI method).

``cx.PLSModel`` / :func:`parse` specify a model, :func:`fit_pls` fits it (Wold's algorithm,
PLSc, bootstrap), :func:`compare_pls` compares groups by permutation. Results carry
reliability, validity, effects, the satisfaction index, IPMA and PLSpredict.
"""

from __future__ import annotations

from ..data.chain import ECSI_SYNTAX
from .fit import fit_pls
from .multigroup import MultigroupResult, compare_pls
from .result import PLSResult
from .spec import PLSModel, parse

__all__ = [
    "ECSI_SYNTAX",
    "PLSModel",
    "PLSResult",
    "MultigroupResult",
    "compare_pls",
    "fit_pls",
    "parse",
]
