"""The runner's data read counts the data quality warnings in one console line (issue 25)."""

import warnings

from cxmodels._validation import DataQualityWarning
from cxmodels.reports import config


def test_data_warnings_are_counted_in_one_line_and_other_warnings_pass(
    tmp_path, monkeypatch, capsys
):
    def load(path, engine="pandas"):
        warnings.warn("3 rows straight-lined", DataQualityWarning, stacklevel=1)
        warnings.warn("12 answers out of range", DataQualityWarning, stacklevel=1)
        warnings.warn("a library deprecation", DeprecationWarning, stacklevel=1)
        return "the data"

    monkeypatch.setattr("cxmodels.data.load", load)
    monkeypatch.setattr(config, "_LOADED", {})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert config.load_data(str(tmp_path)) == "the data"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 data quality warning(s)" in err[0] and str(tmp_path) in err[0]
    assert [w.category for w in seen] == [DeprecationWarning]
