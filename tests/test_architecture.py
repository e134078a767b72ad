"""Issue 11 internals: one encoder, one bootstrap, narrow warning filters."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import _bootstrap, cli, effects
from cxmodels._design import build_design
from cxmodels._validation import DataQualityWarning
from cxmodels.data import dates
from cxmodels.structural.fit import interval


# -- one encoder ---------------------------------------------------------------------------------
def test_effects_design_is_the_one_encoder():
    df = pd.DataFrame(
        {
            "segment": ["consumer", "premium", "business", "premium"],
            "member": [True, False, True, True],
            "flat": [1.0, 1.0, 1.0, 1.0],
            "tenure": [3.0, 10.0, 2.0, 7.0],
        }
    )
    X = effects.design(df, ["segment", "member", "flat", "tenure"])
    d = build_design(df, ["segment", "member", "tenure"], check=False)
    assert list(X.columns) == list(d.columns)  # the constant column is left out
    assert list(X.columns)[:2] == ["segment: consumer", "segment: premium"]
    np.testing.assert_array_equal(X.to_numpy(), d.X)
    with pytest.raises(cx.InputError, match="missing values in covariate 'segment'"):
        effects.design(df.assign(segment=[None, "a", "b", "a"]), ["segment"])


# -- one bootstrap -------------------------------------------------------------------------------
def test_index_counts_are_the_counts_of_bootstrap_indices():
    idx = _bootstrap.bootstrap_indices(7, 5, seed=3)
    counts = _bootstrap.index_counts(7, 5, seed=3)
    want = np.stack([np.bincount(r, minlength=7) for r in idx])
    np.testing.assert_array_equal(counts, want)
    assert (counts.sum(axis=1) == 7).all()


def test_bootstrap_se_is_nanstd_without_warnings():
    d = np.random.default_rng(0).normal(size=(40, 3))
    d[:, 1] = np.nan
    d[:39, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        se = _bootstrap.bootstrap_se(d)
    assert se[0] == pytest.approx(np.nanstd(d[:, 0], ddof=1), rel=1e-14)
    assert np.isnan(se[1]) and np.isnan(se[2])


# -- narrow warning filters ----------------------------------------------------------------------
def test_pls_interval_all_nan_columns_warn_nothing():
    b = np.random.default_rng(1).normal(size=(30, 2))
    b[:, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no filter left to hide anything: none is raised
        se, lo, hi, p = interval(np.zeros(2), b, 0.95)
    assert np.isfinite([se[0], lo[0], hi[0], p[0]]).all()
    assert np.isnan([se[1], lo[1], hi[1], p[1]]).all()


def test_date_probe_hides_only_the_mixed_offset_warning(monkeypatch):
    spec = dates.DateSpec("t.c")
    mixed = pd.Series(["2024-01-01T10:00+03:30", "2024-01-02T10:00+00:00"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dates._fast_iso(mixed, spec, dates.Parsed(mixed))  # pandas' FutureWarning is hidden
    real = pd.to_datetime

    def noisy(*a, **k):
        warnings.warn("another pandas warning", UserWarning, stacklevel=2)
        return real(*a, **k)

    monkeypatch.setattr(pd, "to_datetime", noisy)
    with pytest.warns(UserWarning, match="another pandas warning"):
        dates._fast_iso(pd.Series(["2024-01-01"]), spec, dates.Parsed(mixed))


def test_validate_hides_only_data_quality_warnings(monkeypatch, tmp_path, capsys):
    import cxmodels.data

    def fake_load(path, as_of=None, engine="pandas"):
        warnings.warn("shown in the table", DataQualityWarning, stacklevel=2)
        warnings.warn("something else", RuntimeWarning, stacklevel=2)
        raise FileNotFoundError(path)

    monkeypatch.setattr(cxmodels.data, "load", fake_load)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert cli.main(["validate", str(tmp_path / "nowhere")]) == 1
    kinds = [w.category for w in seen]
    assert RuntimeWarning in kinds and DataQualityWarning not in kinds


# -- sizes ---------------------------------------------------------------------------------------
def test_no_function_over_120_lines():
    """The hard limit of the project brief (docs/sizes.py prints the largest ones)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "docs" / "sizes.py"
    spec = importlib.util.spec_from_file_location("sizes", path)
    sizes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sizes)
    over = [(n, s) for s, _, n in sizes.functions(sizes.sources()) if s > sizes.LIMIT]
    assert not over, over


def test_report_setup_keeps_data_warnings_for_the_caveats_box():
    """``rp.setup`` does not silence data-quality warnings: they wait for the next findings box
    as a counted sentence (their messages name rows); other warnings are counted too, unprinted."""
    from cxmodels import i18n
    from cxmodels.reports import widgets

    shown = []
    with warnings.catch_warnings():
        warnings.showwarning = lambda m, c, *a, **k: shown.append(c)
        widgets.setup(language="en")
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        warnings.warn("something else", RuntimeWarning, stacklevel=1)
        assert shown == []
        note, other = widgets._pending_data_notes()
        assert note.startswith("1 data-quality warning") and "cxmodels validate" in note
        assert other.startswith("1 other warning") and "something" not in other
        assert widgets._pending_data_notes() == []
        widgets.setup(language="fa")
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        (note,) = widgets._pending_data_notes()
        assert "straight" not in note and "۱" in note
    i18n.set_language("en")
