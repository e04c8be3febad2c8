"""Figures for the lessons, drawn for the site's light and dark themes, wide and narrow.

`show(draw, alt=...)` calls `draw(fig)` under a light and a dark matplotlib style, each at
the lesson's size (for a column about 700 px wide) and at a phone's width, and displays the
PNGs in one output: the site's CSS shows the theme that matches the reader's colour scheme,
and the browser picks the width (a plain Jupyter front end shows the light, wide one). All
have transparent backgrounds, so no white box sits on a dark page, and no text is smaller
than MIN_FONT_PT.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = [
    "PALETTE",
    "THEMES",
    "figure_html",
    "render_png",
    "show",
]

# Okabe & Ito's colour-blind-safe palette, readable on white and on near-black.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]

# Twice the pixels of the figure's displayed size, so that it stays sharp on a dense
# screen and when opened at full size.
SAVE_DPI = 160
MIN_FONT_PT = 9.5
# The narrow variant: a phone's column (about 360 px) at the same font sizes.
NARROW_WIDTH_IN = 4.8
NARROW_MEDIA = "(max-width: 44.98em)"  # Material's breakpoint for a one-column layout

_COMMON = {
    "figure.dpi": 100,
    "savefig.dpi": SAVE_DPI,
    "savefig.transparent": True,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.grid": True,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "svg.hashsalt": "finlstm",  # deterministic ids if a lesson saves SVG
}
THEMES = {
    "light": {
        **_COMMON,
        "text.color": "#1f2328",
        "axes.labelcolor": "#1f2328",
        "axes.edgecolor": "#57606a",
        "xtick.color": "#57606a",
        "ytick.color": "#57606a",
        "grid.color": "#d0d7de",
    },
    "dark": {
        **_COMMON,
        "text.color": "#e6edf3",
        "axes.labelcolor": "#e6edf3",
        "axes.edgecolor": "#8b949e",
        "xtick.color": "#8b949e",
        "ytick.color": "#8b949e",
        "grid.color": "#30363d",
    },
}


def narrow_size(figsize: tuple[float, float]) -> tuple[float, float]:
    """(width, height) in inches of the phone variant of a `figsize` figure."""
    _, height = figsize
    return (NARROW_WIDTH_IN, round(max(3.4, height * 0.9), 2))


def _enforce_min_font(fig: Figure) -> None:
    """Raise every text smaller than MIN_FONT_PT (legends, tick labels) to MIN_FONT_PT."""
    for text in fig.findobj(Text):
        if text.get_fontsize() < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)


def render_png(draw: Callable[[Figure], None], theme: str, figsize=(8.0, 4.0)) -> bytes:
    """Draw one figure under `theme` ("light" or "dark") and return it as PNG bytes."""
    with plt.style.context(THEMES[theme]):
        fig = plt.figure(figsize=figsize, layout="constrained")
        try:
            draw(fig)
            _enforce_min_font(fig)
            buffer = io.BytesIO()
            # No metadata: the same figure gives the same bytes on every run.
            fig.savefig(buffer, format="png", metadata={"Software": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def figure_html(
    light_png: bytes,
    dark_png: bytes,
    alt: str,
    light_narrow_png: bytes | None = None,
    dark_narrow_png: bytes | None = None,
) -> str:
    """Both themes in one <figure>; the dark one hidden unless the site's CSS shows it.

    With narrow variants, each theme is a <picture> whose narrow PNG a phone-width
    browser takes instead."""
    alt = html.escape(alt, quote=True)

    def data_url(data: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(data).decode()

    def picture(wide: bytes, narrow: bytes | None, theme: str, style: str = "") -> str:
        image = f'<img class="finlstm-{theme}" alt="{alt}"{style} src="{data_url(wide)}">'
        if narrow is None:
            return image
        return (
            f'<picture class="finlstm-picture finlstm-picture--{theme}">'
            f'<source media="{NARROW_MEDIA}" srcset="{data_url(narrow)}">{image}</picture>'
        )

    return (
        '<figure class="finlstm-figure">'
        + picture(light_png, light_narrow_png, "light")
        + picture(dark_png, dark_narrow_png, "dark", ' style="display:none"')
        + "</figure>"
    )


def show(draw: Callable[[Figure], None], *, alt: str, figsize=(8.0, 4.0)) -> None:
    """Display `draw`'s figure in light and dark variants, wide and narrow (in a notebook).

    Args:
      draw: a function that draws on the given matplotlib Figure (add axes, plot, title,
        axis labels with units, legend); it is called once per variant, so it must not
        depend on being called once.
      alt: a sentence describing the figure, for screen readers.
      figsize: (width, height) in inches of the wide variant; the narrow one is
        `narrow_size(figsize)`.
    """
    from IPython.display import display

    light = render_png(draw, "light", figsize)
    dark = render_png(draw, "dark", figsize)
    narrow = narrow_size(figsize)
    light_narrow = render_png(draw, "light", narrow)
    dark_narrow = render_png(draw, "dark", narrow)
    bundle = {
        "text/html": figure_html(light, dark, alt, light_narrow, dark_narrow),
        "image/png": base64.b64encode(light).decode(),
        "text/plain": f"<figure: {alt}>",
    }
    display(bundle, raw=True)
