"""Figures for the lessons, drawn twice: once for the site's light theme, once for dark.

`show(draw, alt=...)` calls `draw(fig)` under a light and a dark matplotlib style and
displays both PNGs in one output; the site's CSS shows the one that matches the reader's
colour scheme (a plain Jupyter front end shows the light one). Both have transparent
backgrounds, so no white box sits on a dark page.
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

__all__ = [
    "PALETTE",
    "THEMES",
    "figure_html",
    "render_png",
    "show",
]

# Okabe & Ito's colour-blind-safe palette, readable on white and on near-black.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]

_COMMON = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
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


def render_png(draw: Callable[[Figure], None], theme: str, figsize=(8.0, 4.0)) -> bytes:
    """Draw one figure under `theme` ("light" or "dark") and return it as PNG bytes."""
    with plt.style.context(THEMES[theme]):
        fig = plt.figure(figsize=figsize, layout="constrained")
        try:
            draw(fig)
            buffer = io.BytesIO()
            # No metadata: the same figure gives the same bytes on every run.
            fig.savefig(buffer, format="png", metadata={"Software": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def figure_html(light_png: bytes, dark_png: bytes, alt: str) -> str:
    """Both variants in one <figure>; the dark one hidden unless the site's CSS shows it."""
    alt = html.escape(alt, quote=True)

    def img(data: bytes, theme: str, style: str = "") -> str:
        encoded = base64.b64encode(data).decode()
        return (
            f'<img class="finlstm-{theme}" alt="{alt}"{style} '
            f'src="data:image/png;base64,{encoded}">'
        )

    return (
        '<figure class="finlstm-figure">'
        + img(light_png, "light")
        + img(dark_png, "dark", ' style="display:none"')
        + "</figure>"
    )


def show(draw: Callable[[Figure], None], *, alt: str, figsize=(8.0, 4.0)) -> None:
    """Display `draw`'s figure in light and dark variants (in a notebook).

    Args:
      draw: a function that draws on the given matplotlib Figure (add axes, plot, title,
        axis labels with units, legend).
      alt: a sentence describing the figure, for screen readers.
      figsize: (width, height) in inches.
    """
    from IPython.display import display

    light = render_png(draw, "light", figsize)
    dark = render_png(draw, "dark", figsize)
    bundle = {
        "text/html": figure_html(light, dark, alt),
        "image/png": base64.b64encode(light).decode(),
        "text/plain": f"<figure: {alt}>",
    }
    display(bundle, raw=True)
