"""Figures a presenter can show: labels that do not overprint, legends off the data, full names,
plain ratio ticks, an alt text on every figure, no global style at import (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import cxmodels as cx  # noqa: E402
from cxmodels import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def kano8(world):
    return cx.analyze_kano(world.kano_answers, bootstrap=30, seed=1)


@pytest.fixture(scope="module")
def kano20(world):
    """20 features, 12 of them near-copies of the sample's with long names (crowded points)."""
    ans = world.kano_answers
    rng = np.random.default_rng(0)
    parts = [ans]
    for suffix in (" in the mobile app", " for business customers on long contracts"):
        a = ans.copy()
        a["feature"] = a["feature"] + suffix
        m = rng.random(len(a)) < 0.3
        a.loc[m, "functional"] = rng.integers(1, 6, int(m.sum()))
        parts.append(a)
    big = pd.concat(parts, ignore_index=True)
    feats = big["feature"].unique()[:20]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.analyze_kano(big[big["feature"].isin(feats)], bootstrap=30, seed=1)


@pytest.fixture(scope="module")
def drivers(world):
    return cx.fit_drivers(world, "overall_sat", bootstrap=30, seed=1)


def _drivers20(res) -> pd.DataFrame:
    """A 20-driver table: the sample's eight plus twelve jittered copies with long names."""
    t = res.table
    rng = np.random.default_rng(1)
    extra = pd.concat([t, t], ignore_index=True).iloc[:12].copy()
    extra["driver"] = [
        f"{d}_of_the_regional_service_team_{i}" for i, d in enumerate(extra["driver"])
    ]
    extra["share"] = extra["share"] * rng.uniform(0.9, 1.1, len(extra))
    extra["performance"] = extra["performance"] + rng.normal(0, 1.0, len(extra))
    return pd.concat([t, extra], ignore_index=True)


def _text_boxes(ax) -> np.ndarray:
    ax.figure.canvas.draw()
    r = ax.figure.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    return np.array([t.get_window_extent(r).extents for t in texts]).reshape(-1, 4)


def _overlaps(boxes: np.ndarray, tol: float = 0.5) -> list[tuple[int, int]]:
    w = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(
        boxes[:, None, 0], boxes[None, :, 0]
    )
    h = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(
        boxes[:, None, 1], boxes[None, :, 1]
    )
    hit = (w > tol) & (h > tol)
    i, j = np.nonzero(np.triu(hit, 1))
    return list(zip(i.tolist(), j.tolist()))


def _points_px(ax) -> np.ndarray:
    pts = [c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets")]
    pts = [np.asarray(p, float) for p in pts if len(p)]
    xy = np.vstack(pts)
    return ax.transData.transform(xy)


def _legend_covers_points(ax) -> int:
    leg = ax.get_legend()
    if leg is None:
        return 0
    ax.figure.canvas.draw()
    b = leg.get_window_extent(ax.figure.canvas.get_renderer())
    p = _points_px(ax)
    return int(
        ((p[:, 0] >= b.x0) & (p[:, 0] <= b.x1) & (p[:, 1] >= b.y0) & (p[:, 1] <= b.y1)).sum()
    )


def _check_labels(ax, n_labels: int):
    boxes = _text_boxes(ax)
    assert len(boxes) >= n_labels
    assert _overlaps(boxes) == [], "text labels overlap"
    frame = ax.get_window_extent(ax.figure.canvas.get_renderer()).extents
    placed = [t for t in ax.texts if getattr(t, "_cx_label", False)]
    assert len(placed) == n_labels
    r = ax.figure.canvas.get_renderer()
    for t in placed:  # every point label lies inside the axes
        x0, y0, x1, y1 = t.get_window_extent(r).extents
        assert (
            x0 >= frame[0] - 1 and x1 <= frame[2] + 1 and y0 >= frame[1] - 1 and y1 <= frame[3] + 1
        )
    assert _legend_covers_points(ax) == 0


@pytest.mark.parametrize("which", ["kano8", "kano20"])
def test_better_worse_labels_do_not_overlap(which, request):
    res = request.getfixturevalue(which)
    ax = res.plot_better_worse()
    _check_labels(ax, len(res.table))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Must-be" in legend and "Attractive" in legend and not any(len(x) == 1 for x in legend)
    assert plots.alt_text(ax).startswith(f"Better-Worse map of {len(res.table)} features")


@pytest.mark.parametrize("which", ["kano8", "kano20"])
def test_dumouchel_labels_do_not_overlap_and_whiskers_clip_visibly(which, request):
    res = request.getfixturevalue(which)
    ax = res.plot_continuous()
    _check_labels(ax, len(res.table))
    t = res.table
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    # limits come from the data (not the fixed -2..4 square) and hold every mean
    assert x0 > -2 and x1 < 4 and y1 < 4
    assert t["dys_mean"].between(x0, x1).all() and t["fun_mean"].between(y0, y1).all()
    # every whisker end past the limits is marked by an arrowhead at the edge
    past = int((t["dys_mean"] - t["dys_sd"] < x0).sum() + (t["dys_mean"] + t["dys_sd"] > x1).sum())
    past += int((t["fun_mean"] - t["fun_sd"] < y0).sum() + (t["fun_mean"] + t["fun_sd"] > y1).sum())
    marks = sum(len(line.get_xdata()) for line in ax.lines if line.get_marker() in "<>^v")
    assert past > 0 and marks == past
    assert "clipped" in plots.alt_text(ax)


def test_dumouchel_whisker_option(kano8):
    ax = plots.kano_dumouchel(kano8.table, whiskers="ci")
    assert "95% intervals" in plots.alt_text(ax)
    with pytest.raises(cx.InputError, match="whiskers"):
        plots.kano_dumouchel(kano8.table, whiskers="sds")


@pytest.mark.parametrize("n", [8, 20])
def test_importance_performance_map_labels_do_not_overlap(drivers, n):
    table = drivers.table if n == 8 else _drivers20(drivers)
    ax = plots.quadrant_map(table)
    _check_labels(ax, n)
    labels = [t.get_text() for t in ax.texts if getattr(t, "_cx_label", False)]
    assert "product quality" in labels  # labels, not column names
    assert plots.alt_text(ax) == (
        f"Importance-performance map of {n} drivers: importance share against mean "
        "performance, split at the means"
    )


def test_hazard_ratio_ticks_are_plain(world):
    ch = cx.fit_churn(cx.survival_table(world), ["overall_sat", "loyalty_member", "segment"])
    ax = ch.plot_forest()
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 3 and "1" in ticks
    assert all(float(t) > 0 for t in ticks)  # "0.5", "1", "2": no 10^x mathtext
    assert not any("$" in t or "10^" in t for t in ticks)
    ylab = [t.get_text() for t in ax.get_yticklabels()]
    assert "club membership" in ylab and "segment: premium" in ylab


def test_survival_legend_says_no_yes_with_the_variable(world):
    km = cx.kaplan_meier(cx.survival_table(world), by="loyalty_member")
    ax = km.plot()
    leg = ax.get_legend()
    assert sorted(t.get_text() for t in leg.get_texts()) == ["no", "yes"]
    assert leg.get_title().get_text() == "club membership"
    assert ax.get_title() == "Retention by club membership"
    # the legend sits outside the axes
    ax.figure.canvas.draw()
    r = ax.figure.canvas.get_renderer()
    assert leg.get_window_extent(r).x0 >= ax.get_window_extent(r).x1


def test_kano_stacked_legend_has_full_names(kano8):
    ax = kano8.plot_distribution()
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names == [plots.CATEGORY_NAMES[c] for c in "MOAIRQ"]
    assert ax.get_yticklabels()[-1].get_text() == kano8.table["feature"].iloc[0].replace("_", " ")


@pytest.fixture(scope="module")
def effect(world):
    """``cx.follow_up_effect(world)`` with its defaults, fitted once for the plot tests."""
    return cx.follow_up_effect(world)


def test_every_plot_has_a_describing_alt_text(world, drivers, kano8, effect):
    ch = cx.fit_churn(cx.survival_table(world), ["overall_sat", "loyalty_member"])
    eff = effect
    axes = [
        drivers.plot_importance(),
        drivers.plot_quadrants(),
        kano8.plot_distribution(),
        ch.plot_forest(),
        eff.plot_overlap(),
        eff.plot_balance(),
        eff.plot_estimates(),
        plots.risk_hist(np.linspace(0, 1, 50)),
    ]
    for ax in axes:
        text = plots.alt_text(ax)
        assert len(text) > 25 and "No description" not in text, text
    assert plots.alt_text(axes[0]).startswith("Bar chart of the share of explained variance of 8")
    fig, (a, b) = plt.subplots(1, 2)
    plots.risk_hist(np.linspace(0, 1, 10), ax=a)
    plots.risk_hist(np.linspace(0, 1, 5), ax=b)
    assert plots.alt_text(fig).count("Histogram") == 2


def test_legends_stay_off_the_data(effect):
    eff = effect
    for ax in (eff.plot_overlap(), eff.plot_balance()):
        ax.figure.canvas.draw()
        r = ax.figure.canvas.get_renderer()
        assert ax.get_legend().get_window_extent(r).x0 >= ax.get_window_extent(r).x1


def test_show_sends_png_with_alt_text(monkeypatch, drivers):
    import IPython.display

    sent = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: sent.append((a, k)))
    ax = drivers.plot_quadrants()
    assert plots.show(ax) is None
    (data,), kw = sent[0]
    alt = kw["metadata"]["image/png"]["alt"]
    assert alt.startswith("Importance-performance map of 8 drivers")
    assert data["image/png"][:8] == "iVBORw0K"  # base64 of the PNG signature
    assert f'alt="{alt}"' in data["text/html"] and kw["raw"] is True
    assert not plt.fignum_exists(ax.figure.number)  # closed: the inline backend shows it once
    plots.show(plots.risk_hist(np.linspace(0, 1, 9)), alt="Risk of nine customers")
    assert sent[1][1]["metadata"]["image/png"]["alt"] == "Risk of nine customers"


def test_nbconvert_html_carries_the_alt_text(drivers):
    """What a report gets: nbconvert's lab HTML of a notebook output made by show()."""
    import nbformat
    from nbconvert import HTMLExporter

    data, meta = plots.figure_bundle(drivers.plot_quadrants())
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("cx.plots.show(res.plot_quadrants())")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
    nb.cells = [cell]
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert 'alt="Importance-performance map of 8 drivers' in html
    assert "No description has been provided" not in html


def test_import_sets_no_global_style():
    code = (
        "import json, matplotlib; before = {k: str(v) for k, v in matplotlib.rcParams.items()};"
        "import cxmodels.plots as p;"
        "after = {k: str(v) for k, v in matplotlib.rcParams.items()};"
        "print(json.dumps(sorted(k for k in before if before[k] != after[k])))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    # style() still applies it explicitly, and every plotting call uses it inside rc_context
    ax = plots.risk_hist(np.linspace(0, 1, 10))
    assert not ax.spines["top"].get_visible()
    assert plt.rcParams["axes.spines.top"] is True


def test_overlap_measure_sees_the_old_fixed_offset_labels(kano20):
    """The measure used above can fail: the former fixed-offset annotations overprint."""
    fig, ax = plt.subplots(figsize=(7, 6))
    t = kano20.table
    ax.scatter(-t["worse"], t["better"])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    for xi, yi, f in zip(-t["worse"], t["better"], t["feature"]):
        ax.annotate(f, (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=9)
    assert len(_overlaps(_text_boxes(ax))) >= 3


def test_present_template_writes_metadata_alt_and_css(drivers, tmp_path):
    """The report template base for the integrator: png-only outputs keep their alt text."""
    import shutil
    from pathlib import Path

    import nbformat
    from nbconvert import HTMLExporter

    src = Path(cx.__file__).parent / "templates" / "cxreport"
    tdir = tmp_path / "cxpresent_check"
    tdir.mkdir()
    for name in ("_present_base.html.j2", "_present.css"):
        shutil.copy(src / name, tdir / name)
    (tdir / "conf.json").write_text('{"base_template": "lab", "mimetypes": {"text/html": true}}')
    (tdir / "index.html.j2").write_text("{%- extends '_present_base.html.j2' -%}")
    data, meta = plots.figure_bundle(drivers.plot_quadrants(), html=False)
    assert "text/html" not in data
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("cx.plots.show(res.plot_quadrants(), html=False)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
    nb.cells = [cell]
    ex = HTMLExporter(template_name="cxpresent_check", extra_template_basedirs=[str(tmp_path)])
    html, _ = ex.from_notebook_node(nb)
    assert 'alt="Importance-performance map of 8 drivers' in html
    assert "No description has been provided" not in html
    assert "@media print" in html and "table.cx-table" in html


def test_survival_legend_names_groups_by_their_labels():
    t = pd.DataFrame(
        {
            "group": np.repeat(["consumer", "small_business"], 3),
            "time": np.tile([0.0, 1.0, 2.0], 2),
            "survival": [1, 0.9, 0.8, 1, 0.8, 0.7],
            "ci_low": [1, 0.85, 0.75, 1, 0.75, 0.65],
            "ci_high": [1, 0.95, 0.85, 1, 0.85, 0.75],
        }
    )
    ax = plots.km_curves(t, unit="weeks", by="segment")
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["consumer", "small business"]
    assert "2 groups of segment, in weeks" in plots.alt_text(ax)


def test_labels_without_room_are_left_out_and_named_in_a_note():
    """30 labels on one crowded spot of a small figure cannot all be written apart: those
    left out are named under the axes, the others keep apart and inside the axes."""
    fig, ax = plt.subplots(figsize=(3, 2.5))
    rng = np.random.default_rng(0)
    x, y = 0.5 + rng.normal(0, 0.01, 30), 0.5 + rng.normal(0, 0.01, 30)
    ax.scatter(x, y)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    names = [f"theme number {i}" for i in range(30)]
    drawn = plots.place_labels(ax, x, y, names)
    boxes = _text_boxes(ax)
    note = [t for t in ax.texts if t.get_text().startswith("Not labelled (no room): ")]
    assert 0 < len(drawn) < 30 and len(note) == 1
    left = {n for n in names if n not in {t.get_text() for t in drawn}}
    assert len(left) == 30 - len(drawn) and all(n in note[0].get_text() for n in left)
    labels = np.array([t.get_window_extent().extents for t in drawn])
    assert _overlaps(labels) == [] and len(boxes) == len(drawn) + 1


def test_persian_labels_are_measured_as_drawn():
    """A Persian label is placed as it is drawn (a band "30-44" reads "۳۰ تا ۴۴", wider, its
    numbers isolated), so eight labels on a line keep apart once drawn."""
    from cxmodels import i18n

    bands = ["18-29", "30-44", "45-59", "60-74", "75-89", "90-104", "105-119", "120-134"]
    x, y = 0.5 + 0.04 * (np.arange(8) - 4), np.full(8, 0.5)

    @plots._styled
    def draw():
        _, ax = plt.subplots(figsize=(5, 3.5))
        ax.scatter(x, y)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        plots.place_labels(ax, x, y, bands)
        return ax

    with i18n.language("fa"):
        ax = draw()
        expected = sorted(plots._fig_words(i18n.range_words(b)) for b in bands)
    shown = sorted(t.get_text() for t in ax.texts if getattr(t, "_cx_label", False))
    assert shown == expected and "\u2066۳۰\u2069 تا \u2066۴۴\u2069" in shown
    _check_labels(ax, len(bands))
