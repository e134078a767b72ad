"""The one design-matrix builder (cxmodels._design) and the scale-free rank checks (_linalg)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels._design import build_design, column_name
from cxmodels._linalg import collinear_columns


def _df():
    return pd.DataFrame(
        {
            "sat": [3.0, 7, np.nan, 9, 5, 6, 8, 2],
            "member": [True, False, True, True, False, False, True, False],
            "segment": ["b", "a", "c", "a", None, "b", "c", "a"],
        }
    )


def test_encoding_naming_reference_and_missing_policy():
    d = build_design(_df(), ["sat", "member", "segment"], reference={"segment": "b"})
    assert d.columns == ("sat", "member", "segment: a", "segment: c")
    assert d.levels == {"segment": ("b", "a", "c")} and d.reference == {"segment": "b"}
    assert d.terms["segment"] == ("segment: a", "segment: c")
    assert d.n == 6 and d.n_dropped == 2 and d.missing == {"sat": 1, "member": 0, "segment": 1}
    assert d.missing_note().startswith("2 rows with a missing covariate dropped")
    np.testing.assert_array_equal(d.keep, [1, 1, 0, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(d.X[:, 2], [0, 1, 1, 0, 0, 1])  # rows kept: b a a b c a
    assert d.label("segment: a") == "segment a" and d.level_of("sat") is None
    assert column_name("segment", "premium") == "segment: premium"
    with pytest.raises(cx.InputError, match=r"missing covariate values.*2 rows"):
        build_design(_df(), ["sat", "segment"], missing="error")


def test_transform_repeats_the_encoding_and_refuses_unseen_levels():
    d = build_design(_df(), ["sat", "segment"])
    new = pd.DataFrame({"sat": [4.0, 5.0], "segment": ["c", "a"]})
    np.testing.assert_array_equal(d.transform(new), [[4, 0, 1], [5, 0, 0]])
    with pytest.raises(cx.InputError, match=r"level\(s\) \['z'\] not seen in the fit"):
        d.transform(new.assign(segment=["z", "a"]))


def test_bad_inputs_named_with_the_fix():
    df = _df()
    with pytest.raises(cx.InputError, match=r"sat: holds infinite values"):
        build_design(df.assign(sat=np.inf), ["sat"])
    with pytest.raises(cx.InputError, match=r"reference level 'q' not found"):
        build_design(df, ["segment"], reference={"segment": "q"})
    with pytest.raises(cx.InputError, match="not categorical"):
        build_design(df, ["sat"], reference={"sat": 3})
    with pytest.raises(cx.InputError, match="listed twice"):
        build_design(df, ["sat", "sat"])
    with pytest.raises(cx.InputError, match="covariate\\(s\\) with no values"):
        build_design(df.assign(e=np.nan), ["sat", "e"])
    with pytest.raises(cx.InputError, match="missing: unknown value 'omit'"):
        build_design(df, ["sat"], missing="omit")
    with pytest.raises(cx.InputError, match="constant"):
        build_design(df.assign(k=2.0), ["sat", "k"])


def test_collinearity_is_scale_free_for_epoch_timestamps():
    # epoch nanoseconds (~1.7e18): A'A - n mu mu' has no digit left; centring by subtraction does
    rng = np.random.default_rng(0)
    n = 2000
    days = rng.integers(0, 400, n).astype(float)
    t_ns = 1.7e18 + days * 86_400e9
    x = rng.normal(size=n)
    ok = pd.DataFrame({"t": t_ns, "x": x})
    assert collinear_columns(ok) == []
    assert build_design(ok, ["t", "x"]).columns == ("t", "x")
    bad = ok.assign(d=days * 2.0 + 3.0)  # an affine copy of t on another scale
    assert collinear_columns(bad) == ["d"]
    with pytest.raises(cx.InputError, match="d: covariates are perfectly collinear"):
        build_design(bad, ["t", "x", "d"])
    tiny = pd.DataFrame({"a": x * 1e-12, "b": rng.normal(size=n) * 1e-12})
    assert collinear_columns(tiny) == []  # small scale is not "constant"
    assert collinear_columns(tiny.assign(c=tiny["a"] - 2 * tiny["b"])) == ["c"]
