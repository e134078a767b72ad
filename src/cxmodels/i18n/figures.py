"""The language of figures: the Persian font and Persian digits on matplotlib axes.

Apart from :mod:`cxmodels.i18n` so that the catalogue does not import matplotlib: only the
modules that draw (:mod:`cxmodels.plots`) need it.
"""

from __future__ import annotations

from functools import cache

from matplotlib import font_manager
from matplotlib.ticker import FuncFormatter

from . import FONTS, digits, get_language, localize_digits, range_words


@cache
def register_fonts() -> str:
    """Register the shipped Vazirmatn TTFs with matplotlib; return the family name."""
    for weight in ("Regular", "Bold"):
        font_manager.fontManager.addfont(str(FONTS / f"Vazirmatn-{weight}.ttf"))
    return "Vazirmatn"


def rc_params() -> dict:
    """matplotlib rc settings for the current language (the Persian font for ``fa``)."""
    if get_language() != "fa":
        return {}
    family = register_fonts()
    return {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False}


def localize_axes(ax) -> None:
    """Persian digits on the tick labels of a matplotlib Axes (no-op for Latin digits)."""
    if digits() != "persian":
        return

    for axis in (ax.xaxis, ax.yaxis):
        fmt = axis.get_major_formatter()
        if getattr(fmt, "_cx_localized", False):
            continue

        def f(v, pos, _fmt=fmt):  # bands read "۳۰ تا ۴۴", never "۴۴-۳۰"
            return localize_digits(range_words(_fmt(v, pos) if callable(_fmt) else str(v)))

        new = FuncFormatter(f)
        new._cx_localized = True
        if hasattr(fmt, "set_locs"):
            new.set_locs = fmt.set_locs  # keep the base formatter's offset handling
        axis.set_major_formatter(new)
