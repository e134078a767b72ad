"""One visual style for every cxmodels figure.

Each function takes a tidy table from a result object and an optional matplotlib ``ax`` and
returns the ``Axes``; nothing here computes statistics. The style is applied inside each call
(``plt.rc_context``), never globally at import; :func:`style` applies it globally on request.
Every figure carries an alt text describing it (:func:`alt_text`), which :func:`show` puts in
the notebook output so exported HTML reports have a real description on every image.
Labels next to points are placed without overlaps (:func:`place_labels`).
"""

from __future__ import annotations

import base64
import functools
import io
import textwrap
from html import escape

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

from . import i18n
from ._format import KANO_CATEGORIES, join_words, label
from ._validation import check_option
from .i18n.figures import localize_axes, rc_params

PALETTE = ["#1f5a96", "#e07b39", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#d4a017", "#5f6b73"]
CATEGORY_COLORS = {
    "M": "#c0392b",
    "O": "#1f5a96",
    "A": "#3a9d5d",
    "I": "#9aa5ad",
    "R": "#7d5ba6",
    "Q": "#d4a017",
}
#: Kano category names for legends ("One-dimensional" is Kano's "performance" category).
CATEGORY_NAMES = dict(KANO_CATEGORIES, O="One-dimensional (performance)")

#: The cxmodels style, applied inside every plotting call.
STYLE = {
    "figure.figsize": (7.5, 4.5),
    "figure.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "axes.prop_cycle": plt.cycler(color=PALETTE),
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "text.parse_math": False,  # a "$" in a label from the data is a dollar, not TeX
}


def style() -> None:
    """Apply the cxmodels style to every later figure (``plt.rcParams``); not done on import."""
    plt.rcParams.update(STYLE)


def _styled(fn):
    """Run a plotting function inside the cxmodels style."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.rc_context({**STYLE, **rc_params()}):
            out = fn(*args, **kwargs)
            if not i18n.is_english():
                localize_figure(out)
            return out

    return wrapper


def _fig_text(text: str) -> str:
    """A figure text in the current language: the catalogue's ``fig.<English text>`` if any
    (:func:`cxmodels.i18n.phrase`, the one path for fixed English phrases)."""
    return i18n.phrase("fig", text) if text else text


def _fig_words(text: str) -> str:
    """A figure text as drawn in the current language: translated, digits localised, each
    number isolated (right-to-left languages)."""
    return i18n.isolate_numbers(i18n.localize_digits(_fig_text(text)))


def localize_figure(fig_or_ax) -> None:
    """Titles, axis labels, legends and notes of a figure in the current language, Persian
    digits on its ticks and the language's font on tick labels (drawn later, outside the
    plotting call's style)."""
    fig = _figure(fig_or_ax) if fig_or_ax is not None else None
    if fig is None or not hasattr(fig, "get_axes"):
        return
    family = (rc_params().get("font.family") or [None])[0]
    # only the axes this call drew on: a notebook's empty neighbour axes keep their defaults
    drawn = [fig_or_ax] if hasattr(fig_or_ax, "transData") else fig.get_axes()
    for ax in drawn:  # numbers isolated: "-35.8 to -24.1" keeps each minus on its number
        ax.set_title(_fig_words(ax.get_title()))
        ax.set_xlabel(_fig_words(ax.get_xlabel()))
        ax.set_ylabel(_fig_words(ax.get_ylabel()))
        texts = list(ax.texts)
        leg = ax.get_legend()
        if leg is not None:
            texts += [*leg.get_texts(), leg.get_title()]
        for t in texts:
            if not getattr(t, "_cx_label", False):  # point labels are drawn in the language
                t.set_text(_fig_words(i18n.range_words(t.get_text())))
        localize_axes(ax)
        if family:
            ax.tick_params(labelfontfamily=family)


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _label(name: str) -> str:
    return label(name)


def _set_alt(ax, text: str):
    """Record the alt text of what was drawn on ``ax``; returns ``ax``."""
    ax._cx_alt = text
    return ax


def _figure(fig_or_ax):
    if isinstance(fig_or_ax, np.ndarray | list | tuple):  # plt.subplots' array of axes
        fig_or_ax = np.ravel(fig_or_ax)[0]
    return getattr(fig_or_ax, "figure", None) if hasattr(fig_or_ax, "transData") else fig_or_ax


def alt_text(fig_or_ax) -> str:
    """The description of a figure for screen readers and exported reports.

    Each cxmodels plotting call records one sentence on its axes ("Importance-performance map
    of 8 drivers"); a figure with several such axes joins them. A figure not drawn by
    cxmodels is described by its axes titles.
    """
    fig = _figure(fig_or_ax)
    if getattr(fig, "_cx_alt", None):
        return fig._cx_alt
    parts = [getattr(a, "_cx_alt", "") or a.get_title() for a in fig.get_axes()]
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else "Figure"


def figure_bundle(fig_or_ax, alt: str | None = None, *, dpi: int = 110, html: bool = True):
    """The notebook output of a figure: ``(data, metadata)`` with the PNG and its alt text.

    ``data`` holds ``image/png`` (base64) and, with ``html=True``, a ``text/html`` ``<img>``
    carrying ``alt``; ``metadata`` is ``{"image/png": {"alt": text}}``. nbconvert 7's HTML
    exporters prefer ``text/html`` over ``image/png`` and do not read the alt metadata
    (they write "No description has been provided for this image"), so the ``<img>`` is
    what puts the description into exported reports; JupyterLab shows it the same way.
    """
    fig = _figure(fig_or_ax)
    text = alt or alt_text(fig)
    buf = io.BytesIO()
    for artist in fig.findobj(Text):  # labels from the data are text: "$" is not mathtext
        artist.set_parse_math(False)
    with plt.rc_context({"text.parse_math": False}):
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    data = {"image/png": b64, "text/plain": f"<Figure: {text}>"}
    if html:
        data["text/html"] = (
            f'<img src="data:image/png;base64,{b64}" alt="{escape(text, quote=True)}" '
            'style="max-width:100%;height:auto" class="cx-figure">'
        )
    return data, {"image/png": {"alt": text}}


def show(fig_or_ax, alt: str | None = None, *, dpi: int = 110, html: bool = True) -> None:
    """Display a figure in a notebook as a PNG carrying its alt text, then close it.

    Closing the figure keeps the inline backend from showing it a second time, and nothing
    returns, so no ``<Axes ...>`` repr is printed. See :func:`figure_bundle` for what is sent.

    Parameters
    ----------
    fig_or_ax : Figure or Axes
        What a plotting function or a ``plot_*`` method returned.
    alt : str, optional
        The description; default :func:`alt_text`.
    dpi : int
        Resolution of the PNG.
    html : bool
        Also send a ``text/html`` ``<img alt=...>`` (needed for nbconvert's HTML export
        unless its template reads ``output.metadata["image/png"]["alt"]``).
    """
    from IPython.display import display

    fig = _figure(fig_or_ax)
    data, metadata = figure_bundle(fig, alt, dpi=dpi, html=html)
    fig._cx_alt = metadata["image/png"]["alt"]
    plt.close(fig)
    display(data, raw=True, metadata=metadata)


def _legend_outside(ax, title: str | None = None, **kw):
    """A legend to the right of the axes, outside the data."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title=title,
        borderaxespad=0.0,
        **kw,
    )


def _legend_below(ax, ncol: int, **kw):
    """A legend in one band below the axes (and its x label), outside the data."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, **kw)


# ------------------------------------------------------------------ label placement
def _boxes_overlap(cand: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Overlap areas (K, M) of candidate boxes (K, 4) with boxes (M, 4): x0, y0, x1, y1."""
    if not len(boxes):
        return np.zeros((len(cand), 0))
    w = np.minimum(cand[:, None, 2], boxes[None, :, 2]) - np.maximum(
        cand[:, None, 0], boxes[None, :, 0]
    )
    h = np.minimum(cand[:, None, 3], boxes[None, :, 3]) - np.maximum(
        cand[:, None, 1], boxes[None, :, 1]
    )
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def _outside(cand: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Area of each candidate box outside the axes box ``frame``."""
    inside = _boxes_overlap(cand, frame[None, :])[:, 0]
    return (cand[:, 2] - cand[:, 0]) * (cand[:, 3] - cand[:, 1]) - inside


_ANGLES = np.deg2rad(
    np.array([45, 135, 315, 225, 0, 180, 90, 270, 22, 158, 338, 202, 68, 112, 292, 248])
)
_RADII = np.array([3, 6, 10, 16, 24, 34, 46, 60, 78, 100, 125, 155, 190, 230, 280], dtype=float)
#: Soft costs, in pixels of distance: per px² of label on a marker or on a reference line,
#: and per marker a leader line passes through.
_ON_MARKER, _ON_RULE, _LEADER_THROUGH = 0.3, 0.3, 100.0
#: The cost of a leader line crossing a label (or a label lying across a leader).
_LEADER_ACROSS = 1e4
#: A label this far (display px, beyond its marker) from its point gets a leader line.
_LEADER_FROM = 12.0


def _candidates(p: np.ndarray, size: np.ndarray, r0: float) -> tuple[np.ndarray, np.ndarray]:
    """Candidate boxes around point ``p`` (display px) and their distance from it."""
    d = np.column_stack([np.cos(_ANGLES), np.sin(_ANGLES)])
    r = (r0 + _RADII)[:, None, None]
    half = size / 2
    centre = p + d[None] * (r + np.abs(d[None]) * half)  # (R, A, 2)
    centre = centre.reshape(-1, 2)
    boxes = np.column_stack([centre - half, centre + half])
    return boxes, np.repeat(_RADII, len(_ANGLES))


def _crossings(a: np.ndarray, b: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether each segment ``a[k] -> b[k]`` (K, 2) passes through each box (M, 4): (K, M)
    booleans (Liang-Barsky clipping; a segment only touching a box does not cross it)."""
    if not len(boxes) or not len(a):
        return np.zeros((len(a), len(boxes)), bool)
    lo, hi = boxes[None, :, :2] + 0.5, boxes[None, :, 2:] - 0.5
    d = (b - a)[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - a[:, None, :]) / d, (hi - a[:, None, :]) / d
    flat = d == 0
    inside = (a[:, None, :] > lo) & (a[:, None, :] < hi)
    t_in = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2)).max(axis=2)
    t_out = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2)).min(axis=2)
    return (np.maximum(t_in, 0.0) < np.minimum(t_out, 1.0)) & (t_in < t_out)


def _leader_ends(p: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The point of each box nearest to ``p`` (where a leader line from ``p`` ends)."""
    return np.clip(p, boxes[:, :2], boxes[:, 2:])


def _rule_boxes(ax, renderer) -> np.ndarray:
    """Boxes (display px, 3 px thick) of the straight horizontal or vertical lines drawn on
    the axes (reference lines at 0, quadrant cross-hairs), which a label should not sit on."""
    out = []
    for line in ax.lines:
        if not line.get_visible():
            continue
        x0, y0, x1, y1 = line.get_window_extent(renderer).extents
        if min(x1 - x0, y1 - y0) < 2 and max(x1 - x0, y1 - y0) > 0:
            out.append([x0 - 1.5, y0 - 1.5, x1 + 1.5, y1 + 1.5])
    return np.array(out, float).reshape(-1, 4)


def _label_text(text, wrap: int) -> str:
    """A label as drawn: wrapped, and in a language other than English translated with its
    numbers localised and isolated (:func:`_fig_words`), so it is measured as shown."""
    text = textwrap.fill(str(text), wrap) if wrap else str(text)
    return text if i18n.is_english() else _fig_words(i18n.range_words(text))


class _Layout:
    """The boxes and leader lines placed so far, and what a candidate box would cost.

    Hard costs (on another label or its gap, on other text of the axes, outside the axes)
    leave a label out when no candidate avoids them; a leader line through a label, or a
    label across a leader, weighs far above the soft costs (a marker or a reference line under
    the label, a leader through a marker), and those above the distance from the point.
    """

    def __init__(self, frame, obstacles, markers, rules, gap):
        self.frame, self.obstacles, self.markers, self.rules = frame, obstacles, markers, rules
        self.gap = gap
        self.boxes = np.zeros((0, 4))
        self.lead_a, self.lead_b = np.zeros((0, 2)), np.zeros((0, 2))

    def hard(self, cand: np.ndarray) -> np.ndarray:
        g = np.array([-1, -1, 1, 1]) * self.gap
        return (
            _boxes_overlap(cand + g, self.boxes).sum(axis=1)
            + _boxes_overlap(cand, self.obstacles).sum(axis=1)
            + _outside(cand, self.frame)
        )

    def crossings(self, cand: np.ndarray, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Labels the candidate's leader would cross plus leaders crossing the candidate."""
        ends = _leader_ends(p, cand)
        own = _crossings(np.broadcast_to(p, ends.shape), ends, self.boxes).sum(axis=1)
        return (r > _LEADER_FROM) * own + _crossings(self.lead_a, self.lead_b, cand).sum(axis=0)

    def soft(self, cand: np.ndarray, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        ends = _leader_ends(p, cand)
        own = np.all(np.isclose(self.markers[:, :2] + self.markers[:, 2:], 2 * p), axis=1)
        through = _crossings(np.broadcast_to(p, ends.shape), ends, self.markers[~own])
        on_markers = _boxes_overlap(cand, self.markers).sum(axis=1)
        on_rules = _boxes_overlap(cand, self.rules).sum(axis=1)
        leads = (r > _LEADER_FROM) * through.sum(axis=1)
        return _ON_MARKER * on_markers + _ON_RULE * on_rules + _LEADER_THROUGH * leads

    def add(self, box: np.ndarray, p: np.ndarray, leader: bool) -> None:
        self.boxes = np.vstack([self.boxes, box])
        if leader:
            self.lead_a = np.vstack([self.lead_a, p])
            self.lead_b = np.vstack([self.lead_b, _leader_ends(p, box[None])])


def place_labels(
    ax,
    x,
    y,
    texts,
    *,
    fontsize: float = 9,
    sizes=None,
    color: str = "#222222",
    wrap: int = 28,
    gap: float = 2.0,
):
    """Write ``texts`` next to the points ``(x, y)`` without overlapping each other.

    A deterministic greedy placement in display coordinates: each label, the most crowded
    first, is measured by the renderer as it will be drawn (wrapped; in Persian translated,
    its digits Persian and its numbers isolated, shaped by the figure's font) and put at the
    nearest of 240 candidate positions around its point that keeps ``gap`` pixels from every
    label placed so far, overlaps no other text on the axes and stays inside the axes; among
    those it prefers, in this order, positions whose leader line crosses no label (nor is
    crossed by one), then positions off the markers and off straight reference lines. A label placed away from its point
    gets a thin leader line. A label with no such position is left out, and a note under the
    axes names it (the catalogue's ``fig.labels_left_out``). Call it after the axis limits
    are final.

    Parameters
    ----------
    ax : Axes
    x, y : array-like
        Data coordinates of the points.
    texts : sequence of str
    fontsize : float
    sizes : array-like, optional
        Marker areas (points^2, as ``scatter``'s ``s``) so labels keep clear of big bubbles.
    wrap : int
        Labels longer than this many characters are wrapped onto several lines.
    gap : float
        Least distance between two labels' boxes, in display pixels.

    Returns
    -------
    list of Text
        The labels drawn (also in ``ax.texts``, tagged ``_cx_label = True``); a label left
        out is not among them.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    texts = [_label_text(t, wrap) for t in texts]
    if not len(texts):
        return []
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    obstacles = np.array(
        [list(t.get_window_extent(renderer).extents) for t in ax.texts if t.get_visible()]
    ).reshape(-1, 4)
    pts = ax.transData.transform(np.column_stack([x, y]))
    s = (
        np.full(len(x), 36.0)
        if sizes is None
        else np.broadcast_to(np.asarray(sizes, float), x.shape)
    )
    rad = np.sqrt(s) / 2 * fig.dpi / 72 + 1.5
    arts = [_label_artist(ax, xi, yi, t, fontsize, color) for xi, yi, t in zip(x, y, texts)]
    size = np.array([a.get_window_extent(renderer).size for a in arts]) + 2.0
    inset = np.array([2.0, 2.0, -2.0, -2.0])  # labels keep off the spines
    frame = np.array(ax.get_window_extent(renderer).extents) + inset
    markers = np.column_stack([pts - rad[:, None], pts + rad[:, None]])
    layout = _Layout(frame, obstacles, markers, _rule_boxes(ax, renderer), gap)
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    final, far = np.full((len(x), 4), np.nan), np.zeros(len(x), bool)
    for i in np.argsort(-(dist < 60).sum(axis=1), kind="stable"):
        cand, r = _candidates(pts[i], size[i], rad[i])
        hard = layout.hard(cand)
        across = _LEADER_ACROSS * layout.crossings(cand, pts[i], r)
        k = int(np.argmin(1e6 * hard + across + layout.soft(cand, pts[i], r) + r))
        if hard[k] > 0:
            continue  # no room: left out, named in the note
        final[i], far[i] = cand[k], r[k] > _LEADER_FROM
        layout.add(cand[k], pts[i], far[i])
    return _finish(ax, arts, pts, final, far)


def _label_artist(ax, x, y, text, fontsize, color):
    art = ax.text(x, y, text, fontsize=fontsize, color=color, ha="center", va="center",
                  zorder=5, linespacing=1.0)  # fmt: skip
    art._cx_label = True  # already in the figure's language: localize_figure leaves it
    return art


def _finish(ax, arts, pts, final, far) -> list:
    """Move the labels to their boxes, draw the leaders, leave out (and name) the others."""
    inv = ax.transData.inverted()
    kept = ~np.isnan(final[:, 0])
    for a, box, ok in zip(arts, final, kept):
        if ok:
            a.set_position(inv.transform((box[:2] + box[2:]) / 2))
        else:
            a.remove()
    _leaders(ax, pts[far], final[far], inv)
    if not kept.all():
        names = join_words(a.get_text().replace("\n", " ") for a, ok in zip(arts, kept) if not ok)
        note = ax.annotate(
            i18n.t("fig.labels_left_out", names=names), (0, 0), xycoords="axes fraction",
            xytext=(0, -38), textcoords="offset points", va="top", fontsize=7.5, color="#555555",
            wrap=True,
        )  # fmt: skip
        note._cx_label = True
    return [a for a, ok in zip(arts, kept) if ok]


def _leaders(ax, pts: np.ndarray, boxes: np.ndarray, inv) -> None:
    """Thin lines from each point to the nearest edge of its (moved) label."""
    if not len(pts):
        return
    near = _leader_ends(pts, boxes)
    a, b = inv.transform(pts), inv.transform(near)
    segs = np.stack([a, b], axis=1)

    ax.add_collection(
        LineCollection(segs, colors="#6b757c", linewidths=0.7, zorder=2), autolim=False
    )


def _ratio_ticks(ax, values) -> None:
    """Plain ticks on a log axis of ratios: 0.5, 1, 2 (never 6x10^-1)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (v.min(), v.max()) if len(v) else (0.5, 2.0)
    lo, hi = min(lo, 1.0) / 1.08, max(hi, 1.0) * 1.08
    dec = 10.0 ** np.arange(np.floor(np.log10(lo)) - 1, np.ceil(np.log10(hi)) + 1)
    for steps in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)):
        ticks = np.unique(np.round(np.outer(dec, steps).ravel(), 10))
        ticks = ticks[(ticks >= lo) & (ticks <= hi)]
        if len(ticks) >= 3:
            break
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda t, _: f"{t:g}"))
    ax.xaxis.set_minor_locator(ticker.NullLocator())


def _yes_no(values) -> dict:
    """``{value: "no"/"yes"}`` when the groups are booleans or 0/1, else their own names."""
    vals = list(pd.unique(pd.Series(list(values))))
    keys = {str(v).strip().lower() for v in vals}
    if keys <= {"true", "false", "1", "0", "1.0", "0.0", "yes", "no"}:
        return {
            v: ("yes" if str(v).strip().lower() in {"true", "1", "1.0", "yes"} else "no")
            for v in vals
        }
    return {v: label(v) for v in vals}


@_styled
def importance_bars(table: pd.DataFrame, ax=None, title: str = "", value: str = "share"):
    """Horizontal bars of driver shares with bootstrap intervals when present."""
    t = table.sort_values("importance")
    ax = _ax(ax, (7.5, 0.45 * len(t) + 1.2))
    scale = t[value] / t["importance"] if value == "share" else 1.0
    ax.barh([_label(d) for d in t["driver"]], t[value], color=PALETTE[0])
    has_ci = "ci_low" in t and t["ci_low"].notna().any()
    if has_ci:
        lo = (t["importance"] - t["ci_low"]) * scale
        hi = (t["ci_high"] - t["importance"]) * scale
        ax.errorbar(
            t[value], np.arange(len(t)), xerr=[lo, hi], fmt="none", ecolor="black", capsize=3
        )
    ax.set_xlabel("share of explained variance (%)" if value == "share" else label(value))
    ax.set_title(title or "Driver importance")
    ax.grid(axis="y", visible=False)
    what = i18n.t("fig.alt.share_of_variance") if value == "share" else label(value)
    ci = i18n.t("fig.alt.with_bootstrap") if has_ci else ""
    top = _label(t["driver"].iloc[-1])
    return _set_alt(ax, i18n.t("fig.alt.importance", what=what, n=len(t), ci=ci, top=top))


@_styled
def quadrant_map(table: pd.DataFrame, ax=None, x_cross=None, y_cross=None):
    """Importance-performance map: importance share (x) against performance 0-100 (y)."""
    ax = _ax(ax, (7.5, 5.5))
    x, y = table["share"].to_numpy(float), table["performance"].to_numpy(float)
    ax.scatter(x, y, s=60, color=PALETTE[0], zorder=3)
    xc = float(np.nanmean(x)) if x_cross is None else x_cross
    yc = float(np.nanmean(y)) if y_cross is None else y_cross
    ax.axvline(xc, color="grey", ls="--", lw=1)
    ax.axhline(yc, color="grey", ls="--", lw=1)
    _pad_limits(ax, x, y, 0.18)
    kw = dict(transform=ax.transAxes, fontsize=9, color="grey")
    ax.text(0.98, 0.02, "fix first: important, weak", ha="right", **kw)
    ax.text(0.98, 0.97, "keep up: important, strong", ha="right", va="top", **kw)
    ax.text(0.02, 0.02, "low priority", **kw)
    ax.text(0.02, 0.97, "possible overkill", va="top", **kw)
    ax.set_xlabel("importance (share of explained variance, %)")
    ax.set_ylabel("performance (mean rating, 0-100)")
    ax.set_title("Importance-performance map")
    place_labels(ax, x, y, [_label(d) for d in table["driver"]], sizes=60)
    return _set_alt(ax, i18n.t("fig.alt.quadrant", n=len(table)))


def _pad_limits(ax, x, y, frac: float, lo=None, hi=None) -> None:
    """Axis limits from the data with room for labels (``frac`` of the range each side)."""
    for data, setter in ((x, ax.set_xlim), (y, ax.set_ylim)):
        d = np.asarray(data, dtype=float)
        d = d[np.isfinite(d)]
        if not len(d):
            continue
        a, b = d.min(), d.max()
        pad = max((b - a) * frac, 0.05 * max(abs(a), abs(b), 1e-9))
        a, b = a - pad, b + pad
        setter(a if lo is None else max(a, lo), b if hi is None else min(b, hi))


@_styled
def penalty_reward_bars(table: pd.DataFrame, ax=None):
    """Penalty (low rating) and reward (high rating) effects per driver, legend below."""
    t = table.iloc[::-1]
    ax = _ax(ax, (7.5, 0.45 * len(t) + 1.8))
    ylab = [_label(d) for d in t["driver"]]
    ax.barh(ylab, t["penalty"], color=CATEGORY_COLORS["M"], label="penalty (low rating)")
    ax.barh(ylab, t["reward"], color=CATEGORY_COLORS["A"], label="reward (high rating)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("effect on the outcome vs a middle rating (points)")
    ax.set_title("Penalty-reward contrast")
    ax.grid(axis="y", visible=False)
    _legend_below(ax, ncol=2)
    return _set_alt(ax, i18n.t("fig.alt.penalty_reward", n=len(t)))


@_styled
def forest(
    table: pd.DataFrame,
    est: str,
    lo: str,
    hi: str,
    label: str,
    ax=None,
    ref: float = 1.0,
    log: bool = True,
    title: str = "",
    xlabel: str = "",
):
    """Forest plot of estimates with intervals (hazard ratios, effects); plain ratio ticks."""
    t = table.iloc[::-1]
    ax = _ax(ax, (7.5, 0.4 * len(t) + 1.2))
    ypos = np.arange(len(t))
    e = t[est].to_numpy(float)
    a, b = t[lo].to_numpy(float), t[hi].to_numpy(float)
    ax.errorbar(
        e, ypos, xerr=[e - a, b - e], fmt="o", color=PALETTE[0], ecolor=PALETTE[0], capsize=3
    )
    ax.axvline(ref, color="grey", ls="--", lw=1)
    ax.set_yticks(ypos, [_label(v) for v in t[label]])
    ax.grid(axis="y", visible=False)
    if log:
        ax.set_xscale("log")
        _ratio_ticks(ax, np.r_[a, b, e, ref])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    what = _fig_text(title).lower() if title else i18n.t("fig.alt.estimates")
    return _set_alt(ax, i18n.t("fig.alt.forest", what=what, n=len(t), ref=f"{ref:g}"))


@_styled
def kano_stacked(table: pd.DataFrame, ax=None):
    """Stacked bars of the full category distribution per feature; full names in the legend."""
    t = table.iloc[::-1].copy()  # first feature on top
    lab = t["feature"].map(_label)
    extra = [c for c in t.columns if c in ("segment", "wave")]
    for c in extra:
        lab = lab + " | " + t[c].astype(str)
    ax = _ax(ax, (8, 0.4 * len(t) + 2.0))
    left = np.zeros(len(t))
    for cat in ["M", "O", "A", "I", "R", "Q"]:
        v = 100 * t[f"share_{cat}"].to_numpy()
        ax.barh(lab, v, left=left, color=CATEGORY_COLORS[cat], label=CATEGORY_NAMES[cat])
        left += v
    ax.set_xlabel("share of answers (%)")
    ax.set_title("Kano categories per feature")
    ax.grid(axis="y", visible=False)
    _legend_below(ax, ncol=3)
    return _set_alt(ax, i18n.t("fig.alt.kano_stacked", n=len(t)))


def _category_legend(ax, cats) -> None:
    """Legend of the Kano categories present, with full names, outside the axes."""
    present = [c for c in CATEGORY_COLORS if c in set(map(str, cats))]
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=CATEGORY_COLORS[c],
            markersize=8,
            label=CATEGORY_NAMES[c],
        )
        for c in present
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="category",
        borderaxespad=0.0,
    )


@_styled
def kano_better_worse(table: pd.DataFrame, ax=None):
    """Better-Worse map with bootstrap interval crosses and importance as bubble size."""
    ax = _ax(ax, (8.5, 6))
    x, y = (-table["worse"]).to_numpy(float), table["better"].to_numpy(float)
    size = (40 + 25 * (table["importance"] - 1)).to_numpy(float) if "importance" in table else 60
    colors = [CATEGORY_COLORS.get(c, "grey") for c in table["category"]]
    if "better_low" in table:
        ax.errorbar(
            x,
            y,
            xerr=[x - (-table["worse_high"]), (-table["worse_low"]) - x],
            yerr=[y - table["better_low"], table["better_high"] - y],
            fmt="none",
            ecolor="grey",
            alpha=0.5,
            lw=0.8,
        )
    ax.scatter(x, y, s=size, c=colors, zorder=3, edgecolor="white")
    ax.axvline(0.5, color="grey", ls="--", lw=1)
    ax.axhline(0.5, color="grey", ls="--", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    kw = dict(fontsize=9, color="grey")
    ax.text(0.02, 0.97, "attractive", va="top", **kw)
    ax.text(0.98, 0.97, "one-dimensional", va="top", ha="right", **kw)
    ax.text(0.98, 0.02, "must-be", ha="right", **kw)
    ax.text(0.02, 0.02, "indifferent", **kw)
    ax.set_xlabel("|Worse|: dissatisfaction when absent")
    ax.set_ylabel("Better: satisfaction when present")
    ax.set_title("Better-Worse map")
    _category_legend(ax, table["category"])
    place_labels(ax, x, y, [_label(f) for f in table["feature"]], sizes=size)
    present = [c for c in CATEGORY_COLORS if c in set(table["category"])]
    names = join_words(_fig_text(CATEGORY_NAMES[c]) for c in present)
    return _set_alt(ax, i18n.t("fig.alt.better_worse", n=len(table), categories=names))


@_styled
def kano_dumouchel(table: pd.DataFrame, ax=None, whiskers: str = "sd"):
    """DuMouchel's continuous view: mean dysfunctional (x) against functional (y) with whiskers.

    The limits come from the means (with room for labels, within the -2 to 4 scale); a
    whisker that runs past the limits ends in an arrowhead at the edge. ``whiskers`` is
    ``"sd"`` (one standard deviation, the spread of answers), ``"ci"`` (1.96 standard errors,
    where the mean lies) or ``"none"``.
    """
    check_option("whiskers", whiskers, ("sd", "ci", "none"), table="kano_dumouchel")
    ax = _ax(ax, (7.5, 6))
    x, y = table["dys_mean"].to_numpy(float), table["fun_mean"].to_numpy(float)
    if whiskers == "ci":
        sx, sy = 1.96 * table["dys_se"].to_numpy(float), 1.96 * table["fun_se"].to_numpy(float)
    elif whiskers == "sd":
        sx, sy = table["dys_sd"].to_numpy(float), table["fun_sd"].to_numpy(float)
    else:
        sx = sy = np.zeros(len(x))
    _pad_limits(ax, np.r_[x, 0.0], np.r_[y, 0.0], 0.25, lo=-2, hi=4)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    xa, xb = np.clip(x - sx, x0, x1), np.clip(x + sx, x0, x1)
    ya, yb = np.clip(y - sy, y0, y1), np.clip(y + sy, y0, y1)
    ax.hlines(y, xa, xb, color="#b8c0c6", lw=0.8, alpha=0.8, zorder=1)
    ax.vlines(x, ya, yb, color="#b8c0c6", lw=0.8, alpha=0.8, zorder=1)
    clipped = 0
    for mask, px, py, mk in (
        (x - sx < x0, np.full_like(x, x0), y, "<"),
        (x + sx > x1, np.full_like(x, x1), y, ">"),
        (y - sy < y0, x, np.full_like(y, y0), "v"),
        (y + sy > y1, x, np.full_like(y, y1), "^"),
    ):
        clipped += int(mask.sum())
        ax.plot(
            px[mask],
            py[mask],
            ls="",
            marker=mk,
            color="#8a949c",
            markersize=5,
            clip_on=False,
            zorder=2,
        )
    ax.scatter(x, y, s=40, color=PALETTE[0], zorder=3)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("dysfunctional score (absence hurts ->)")
    ax.set_ylabel("functional score (presence pleases ->)")
    ax.set_title("Continuous Kano scores (DuMouchel)")
    place_labels(ax, x, y, [_label(f) for f in table["feature"]], sizes=40)
    note = i18n.t("fig.alt.clipped", n=clipped) if clipped else ""
    kind = {"sd": "fig.alt.whiskers_sd", "ci": "fig.alt.whiskers_ci"}.get(whiskers)
    kind = i18n.t(kind) if kind else ""
    return _set_alt(ax, i18n.t("fig.alt.dumouchel", n=len(table), kind=kind, note=note))


@_styled
def overlap_hist(propensity: np.ndarray, treated: np.ndarray, ax=None):
    """Propensity score histograms by group (overlap check)."""
    ax = _ax(ax)
    bins = np.linspace(0, 1, 41)
    for group, lab, color in ((0, "not followed up", PALETTE[1]), (1, "followed up", PALETTE[0])):
        ax.hist(
            propensity[treated == group], bins=bins, alpha=0.6, density=True, label=lab, color=color
        )
    ax.set_xlabel("propensity of follow-up")
    ax.set_ylabel("density")
    ax.set_title("Overlap of propensity scores")
    _legend_outside(ax)
    return _set_alt(ax, i18n.t("fig.alt.overlap"))


@_styled
def balance_plot(balance: pd.DataFrame, ax=None):
    """Standardised mean differences before and after weighting (love plot)."""
    t = balance.iloc[::-1]
    ax = _ax(ax, (7.5, 0.3 * len(t) + 1.5))
    y = np.arange(len(t))
    ax.scatter(t["smd_unweighted"].abs(), y, label="before weighting", color=PALETTE[1])
    ax.scatter(t["smd_weighted"].abs(), y, label="after weighting", color=PALETTE[0])
    ax.axvline(0.1, color="grey", ls="--", lw=1)
    ax.set_yticks(y, [_label(c) for c in t["covariate"]])
    ax.set_xlabel("|standardised mean difference|")
    ax.set_title("Covariate balance")
    _legend_outside(ax)
    return _set_alt(ax, i18n.t("fig.alt.balance", n=len(t)))


@_styled
def km_curves(
    table: pd.DataFrame,
    ax=None,
    unit: str = "months",
    title: str = "Retention",
    by: str | None = None,
):
    """Kaplan-Meier step curves with confidence bands, one per group.

    Boolean and 0/1 groups read ``no``/``yes``; the legend (outside the axes) is titled with
    the label of ``by`` (taken from a ``"Retention by x"`` title when not given).
    """
    ax = _ax(ax)
    if by is None and title.startswith("Retention by "):
        by = title.removeprefix("Retention by ")
    if by:
        title = i18n.t("fig.retention_by", x=label(by))
    names = _yes_no(table["group"].unique())
    yn = set(names.values()) <= {"yes", "no"}
    for i, (g, d) in enumerate(table.groupby("group", sort=False)):
        c = (PALETTE[0] if names[g] == "yes" else PALETTE[1]) if yn else PALETTE[i % len(PALETTE)]
        ax.step(d["time"], d["survival"], where="post", color=c, label=names[g])
        ax.fill_between(d["time"], d["ci_low"], d["ci_high"], step="post", color=c, alpha=0.15)
    ax.set_xlabel(i18n.t("fig.time_since_baseline", unit=i18n.unit_word(unit)))
    ax.set_ylabel("share still active")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    if len(names) > 1 or by:
        _legend_outside(ax, title=label(by) if by else None)
    groups = i18n.t("fig.alt.km_groups", n=len(names), by=label(by)) if by else ""
    return _set_alt(ax, i18n.t("fig.alt.km", groups=groups, unit=i18n.unit_word(unit)))


@_styled
def survival_profiles(t, S, labels, ax=None):
    """Predicted retention curves, one per covariate profile."""
    ax = _ax(ax)
    for i, lab in enumerate(labels):
        ax.plot(t, S[:, i], label=str(lab), color=PALETTE[i % len(PALETTE)])
    ax.set_xlabel("time")
    ax.set_ylabel("predicted share still active")
    ax.set_ylim(0, 1.02)
    ax.set_title("Predicted retention for chosen profiles")
    _legend_outside(ax, title="profile")
    return _set_alt(ax, i18n.t("fig.alt.profiles", n=len(labels)))


@_styled
def calibration_plot(table: pd.DataFrame, ax=None):
    """Predicted against observed churn by risk decile, with the diagonal."""
    ax = _ax(ax, (5.5, 5))
    m = max(table["predicted"].max(), table["observed"].max()) * 1.1
    ax.plot([0, m], [0, m], color="grey", ls="--", lw=1)
    ax.plot(table["predicted"], table["observed"], "o-", color=PALETTE[0])
    ax.set_xlabel("predicted churn by the horizon")
    ax.set_ylabel("observed churn (Kaplan-Meier)")
    ax.set_title("Calibration by risk decile")
    return _set_alt(ax, i18n.t("fig.alt.calibration", n=len(table)))


@_styled
def risk_hist(risk: np.ndarray, ax=None, horizon_label: str = ""):
    """Histogram of predicted churn probabilities."""
    ax = _ax(ax)
    ax.hist(risk, bins=40, color=PALETTE[0])
    by = i18n.t("fig.by_horizon", x=horizon_label) if horizon_label else ""
    ax.set_xlabel(i18n.t("fig.churn_probability", by=by))
    ax.set_ylabel("customers")
    ax.set_title("Distribution of churn risk")
    return _set_alt(ax, i18n.t("fig.alt.risk_hist", by=by, n=f"{len(risk):,}"))


@_styled
def trend(table: pd.DataFrame, x: str = "wave", ax=None, title: str = "", ylabel: str = ""):
    """A metric over waves with its interval band (small cells drawn hollow)."""
    ax = _ax(ax)
    t = table.sort_values(x)
    ax.plot(t[x], t["value"], "o-", color=PALETTE[0])
    ax.fill_between(t[x], t["ci_low"], t["ci_high"], color=PALETTE[0], alpha=0.15)
    if "small" in t and t["small"].any():
        s = t[t["small"]]
        ax.plot(s[x], s["value"], "o", mfc="white", color=PALETTE[0])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=45)
    what = title or ylabel or i18n.t("fig.alt.the_metric")
    return _set_alt(ax, i18n.t("fig.alt.trend", what=what, n=len(t), x=label(x)))


@_styled
def heatmap(table: pd.DataFrame, row: str, col: str, ax=None, title: str = "", fmt: str = ".0f"):
    """Segment-by-wave heatmap; cells flagged small are left blank."""
    wide = table.assign(value=table["value"].where(~table["small"])).pivot(
        index=row, columns=col, values="value"
    )
    wide.index = [label(v) for v in wide.index]  # segments as readers name them
    ax = _ax(ax, (max(7, 0.6 * wide.shape[1] + 2), 0.6 * wide.shape[0] + 1.5))
    sns.heatmap(
        wide, annot=True, fmt=fmt, cmap="RdYlGn", center=0, ax=ax, cbar_kws={"label": "NPS"}
    )
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    cbar = getattr(ax.collections[0], "colorbar", None) if ax.collections else None
    if cbar is not None and not i18n.is_english():  # its own axes: digits and font too
        localize_figure(cbar.ax)
    what = title or i18n.t("fig.alt.the_metric")
    rows, cols = wide.shape
    return _set_alt(
        ax,
        i18n.t("fig.alt.heatmap", what=what, row=label(row), rows=rows, col=label(col), cols=cols),
    )


@_styled
def channel_mix_plot(mix: pd.DataFrame, ax=None):
    """Interactions per quarter by channel (stacked areas), legend outside."""
    wide = mix.groupby(["period", "channel"], observed=True)["n"].sum().unstack(fill_value=0)
    ax = _ax(ax)
    ax.stackplot(
        range(len(wide)),
        wide.T.to_numpy(),
        labels=[label(c) for c in wide.columns],
        colors=PALETTE[: wide.shape[1]],
    )
    ax.set_xticks(range(len(wide)), wide.index, rotation=45)
    ax.set_ylabel("interactions")
    ax.set_title("Interaction mix by channel")
    _legend_outside(ax, title="channel")
    return _set_alt(ax, i18n.t("fig.alt.channel_mix", channels=wide.shape[1], n=len(wide)))
