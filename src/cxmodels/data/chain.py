"""The satisfaction -> loyalty chain of the synthetic world (ECSI constructs and items).

Seven latent constructs with known standardised paths; each measured by reflective items on a
1-10 scale with known loadings. The Satisfaction latent *is* the world's latent satisfaction
(the one behind ``overall_sat``), standardised, so the chain agrees with the driver ratings and
overall satisfaction. The upstream constructs (Image, Expectation, Quality, Value) are drawn
given Satisfaction so that the population regression of Satisfaction on them has exactly the
paths below; Complaints (complaint handling) and Loyalty follow from Satisfaction forward.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONSTRUCTS = ("Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty")
PREFIX = {
    "Image": "img",
    "Expectation": "exp",
    "Quality": "qual",
    "Value": "val",
    "Satisfaction": "sat",
    "Complaints": "compl",
    "Loyalty": "loy",
}
#: True standardised paths (source, target): coefficient.
PATHS = {
    ("Image", "Expectation"): 0.50,
    ("Expectation", "Quality"): 0.55,
    ("Expectation", "Value"): 0.15,
    ("Quality", "Value"): 0.55,
    ("Image", "Satisfaction"): 0.20,
    ("Expectation", "Satisfaction"): 0.10,
    ("Quality", "Satisfaction"): 0.40,
    ("Value", "Satisfaction"): 0.25,
    ("Satisfaction", "Complaints"): 0.50,
    ("Image", "Loyalty"): 0.15,
    ("Satisfaction", "Loyalty"): 0.50,
    ("Complaints", "Loyalty"): 0.15,
}
#: True loadings of each construct's items (correlation of the continuous answer with it).
LOADINGS = {
    "Image": (0.80, 0.75, 0.70, 0.78, 0.72),
    "Expectation": (0.78, 0.82, 0.70),
    "Quality": (0.85, 0.80, 0.78, 0.75, 0.82),
    "Value": (0.88, 0.85),
    "Satisfaction": (0.90, 0.85, 0.82),
    "Complaints": (0.80, 0.78, 0.75),
    "Loyalty": (0.85, 0.80, 0.76),
}
ITEM_MEAN, ITEM_SD = 6.5, 1.5  # every chain item: continuous answer mean and SD (1-10 scale)

#: The ECSI chain on the synthetic items, in the syntax of ``cx.fit_pls``.
ECSI_SYNTAX = "\n".join(
    [
        f"{c} =~ " + " + ".join(f"{PREFIX[c]}_{i + 1}" for i in range(len(LOADINGS[c])))
        for c in CONSTRUCTS
    ]
    + [
        f"{t} ~ " + " + ".join(a for (a, b) in PATHS if b == t)
        for t in CONSTRUCTS
        if any(b == t for _, b in PATHS)
    ]
)


def items_of(construct: str) -> list[str]:
    return [f"{PREFIX[construct]}_{i + 1}" for i in range(len(LOADINGS[construct]))]


def _implied_cov(names) -> np.ndarray:
    """Covariances of standardised latents of a recursive model with the paths in PATHS."""
    idx = {c: i for i, c in enumerate(names)}
    k = len(names)
    Bm = np.zeros((k, k))
    for (a, b), v in PATHS.items():
        if a in idx and b in idx:
            Bm[idx[b], idx[a]] = v
    cov = np.zeros((k, k))
    for j in range(k):  # constructs in causal order: exogenous first
        pred = Bm[j, :j]
        cov[j, :j] = cov[:j, :j] @ pred
        cov[:j, j] = cov[j, :j]
        cov[j, j] = 1.0
    return cov


def chain_items(satisfaction: np.ndarray, rng: np.random.Generator):
    """Items (DataFrame, one row per response) and their truth, given the latent satisfaction."""
    n = satisfaction.size
    s = (satisfaction - satisfaction.mean()) / satisfaction.std()
    up = ["Image", "Expectation", "Quality", "Value"]
    Sxx = _implied_cov(up)
    beta = np.array([PATHS.get((c, "Satisfaction"), 0.0) for c in up])
    sxs = Sxx @ beta  # cov(upstream, Satisfaction) implied by the paths
    resid = np.linalg.cholesky(Sxx - np.outer(sxs, sxs))
    eta = {c: v for c, v in zip(up, (s[:, None] * sxs + rng.standard_normal((n, 4)) @ resid.T).T)}
    eta["Satisfaction"] = s
    for c in ("Complaints", "Loyalty"):
        pred = [(a, v) for (a, b), v in PATHS.items() if b == c]
        lin = sum(v * eta[a] for a, v in pred)
        names = [a for a, _ in pred]
        C = _implied_cov(CONSTRUCTS)
        ix = [CONSTRUCTS.index(a) for a in names]
        b = np.array([v for _, v in pred])
        r2 = b @ C[np.ix_(ix, ix)] @ b
        eta[c] = lin + np.sqrt(1 - r2) * rng.standard_normal(n)
    cols = {}
    for c in CONSTRUCTS:
        lam = np.array(LOADINGS[c])
        e = rng.standard_normal((n, lam.size))
        x = ITEM_MEAN + ITEM_SD * (eta[c][:, None] * lam + e * np.sqrt(1 - lam**2))
        x = np.clip(np.rint(x), 1, 10).astype(np.int8)  # 1 byte per answer (1M customers)
        cols.update({f"{PREFIX[c]}_{i + 1}": x[:, i] for i in range(lam.size)})
    truth = {
        "constructs": {c: items_of(c) for c in CONSTRUCTS},
        "paths": [{"source": a, "target": b, "coef": v} for (a, b), v in PATHS.items()],
        "loadings": {
            f"{PREFIX[c]}_{i + 1}": lam for c in CONSTRUCTS for i, lam in enumerate(LOADINGS[c])
        },
        "item_mean": ITEM_MEAN,
        "item_sd": ITEM_SD,
        "satisfaction_index": 100 * (ITEM_MEAN - 1) / 9,
        "syntax": ECSI_SYNTAX,
        "note": "Satisfaction is the standardised latent satisfaction behind overall_sat; "
        "paths are standardised; the index is 100 (mean - 1) / 9 of the continuous answers.",
    }
    return pd.DataFrame(cols), truth


def chain_codebook() -> dict:
    """Codebook entries (scale 1-10) for the chain items."""
    return {
        it: {
            "min": 1,
            "max": 10,
            "labels": {},  # end labels would make SPSS export need int64 columns
            "construct": c,
        }
        for c in CONSTRUCTS
        for it in items_of(c)
    }
