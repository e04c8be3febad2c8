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
import textwrap
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import ScaledTranslation

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
# The narrow variant: a phone's column (about 360 px CSS) shows a 4.4-inch figure at about
# 0.8 of its size, so its text is set larger (PHONE_MIN_FONT_PT) to read like body text.
NARROW_WIDTH_IN = 4.4
PHONE_MIN_FONT_PT = 10.5
PHONE_MAX_DATE_TICKS = 6
PHONE_MAX_NUMBER_TICKS = 5
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


def _enforce_min_font(fig: Figure, minimum: float = MIN_FONT_PT) -> None:
    """Raise every text smaller than `minimum` points (legends, tick labels) to `minimum`."""
    for text in fig.findobj(Text):
        if text.get_fontsize() < minimum:
            text.set_fontsize(minimum)


def _is_date_axis(axis) -> bool:
    return isinstance(axis.get_major_locator(), mdates.DateLocator)


def _thin_ticks(ax) -> None:
    """Few ticks on a phone: at most PHONE_MAX_DATE_TICKS dates, labelled concisely
    (year once, then months), and at most PHONE_MAX_NUMBER_TICKS numbers on a linear axis;
    ticks a lesson placed itself (a heat map's labels) are kept."""
    for axis in (ax.xaxis, ax.yaxis):
        if _is_date_axis(axis):
            locator = mdates.AutoDateLocator(minticks=2, maxticks=PHONE_MAX_DATE_TICKS)
            axis.set_major_locator(locator)
            axis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        elif isinstance(axis.get_major_locator(), mticker.AutoLocator):
            axis.set_major_locator(mticker.MaxNLocator(nbins=PHONE_MAX_NUMBER_TICKS - 1))
    for label in ax.get_xticklabels():
        label.set_rotation(0)
        label.set_horizontalalignment("center")


def _legend_columns(labels: list[str], width_in: float) -> int:
    """As many columns as fit `width_in` inches of legend text at PHONE_MIN_FONT_PT."""
    char_in = PHONE_MIN_FONT_PT * 0.55 / 72
    entry_in = max(len(label) for label in labels) * char_in + 0.55  # text + line + gap
    return max(1, min(len(labels), int(width_in // entry_in), 3))


def _wrap_titles(fig: Figure) -> None:
    """Break a title too long for a phone's width into lines."""
    width_in = fig.get_figwidth()
    titles = [ax.title for ax in fig.axes] + [getattr(fig, "_suptitle", None)]
    for title in titles:
        if title is not None and title.get_text():
            per_line = int(width_in * 72 / (title.get_fontsize() * 0.7))  # bold glyphs
            title.set_text(textwrap.fill(title.get_text(), per_line))


def _legends_below(fig: Figure) -> None:
    """Move each axes' legend under its x axis (tick labels and label), in as many columns
    as fit, and make the figure taller by the legends' height, so that no legend covers a
    line and the plot keeps its height."""
    # The lesson's legends come off first: one sized for the wide figure can be wider than
    # the phone's and would collapse the layout of the draw that measures the axes.
    legends = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            labels = [t.get_text() for t in legend.get_texts()]
            legends.append((ax, legend.legend_handles, labels, legend.get_title().get_text()))
            legend.remove()
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    added_in = 0.0
    for ax, handles, labels, title in legends:
        title = title or None
        axis_box = ax.xaxis.get_tightbbox(renderer)
        below_axis_in = 0.05 + (0 if axis_box is None else (ax.bbox.y0 - axis_box.y0) / fig.dpi)
        columns = _legend_columns(labels, fig.get_figwidth() - 0.2)
        ax.legend(
            handles,
            labels,
            title=title,
            loc="upper center",
            ncols=columns,
            fontsize=PHONE_MIN_FONT_PT,
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=ax.transAxes + ScaledTranslation(0, -below_axis_in, fig.dpi_scale_trans),
            borderaxespad=0.0,
            columnspacing=1.0,
            handlelength=1.6,
        )
        rows = -(-len(labels) // columns) + (1 if title else 0)
        added_in += rows * PHONE_MIN_FONT_PT * 1.45 / 72 + 0.1
    if added_in:
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height + added_in)


def _stack_side_by_side(fig: Figure) -> None:
    """Panels drawn side by side (one row of a grid) are stacked in one column, each at
    the phone's full width; the figure grows by the panels' height."""
    panels = fig.axes
    specs = [ax.get_subplotspec() for ax in panels]
    if len(panels) < 2 or any(spec is None for spec in specs):
        return
    grid = specs[0].get_gridspec()
    if grid.nrows != 1 or any(spec.get_gridspec() is not grid for spec in specs):
        return
    column = fig.add_gridspec(len(panels), 1)
    for row, ax in enumerate(panels):
        ax.set_subplotspec(column[row, 0])
        ax.tick_params(labelleft=True, labelbottom=True)
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height * len(panels) * 0.8)


def fit_for_phone(fig: Figure) -> None:
    """Adapt a drawn figure to a phone: panels stacked, larger text, few ticks, wrapped
    titles, legends below the axes instead of over the data."""
    _stack_side_by_side(fig)
    _enforce_min_font(fig, PHONE_MIN_FONT_PT)
    for ax in fig.axes:
        _thin_ticks(ax)
    _wrap_titles(fig)
    _legends_below(fig)


def render_png(
    draw: Callable[[Figure], None], theme: str, figsize=(8.0, 4.0), *, phone: bool = False
) -> bytes:
    """Draw one figure under `theme` ("light" or "dark") and return it as PNG bytes;
    `phone=True` adapts it to a phone's width (`fit_for_phone`)."""
    with plt.style.context(THEMES[theme]):
        fig = plt.figure(figsize=figsize, layout="constrained")
        try:
            draw(fig)
            _enforce_min_font(fig)
            if phone:
                fit_for_phone(fig)
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
    light_narrow = render_png(draw, "light", narrow, phone=True)
    dark_narrow = render_png(draw, "dark", narrow, phone=True)
    bundle = {
        "text/html": figure_html(light, dark, alt, light_narrow, dark_narrow),
        "image/png": base64.b64encode(light).decode(),
        "text/plain": f"<figure: {alt}>",
    }
    display(bundle, raw=True)
