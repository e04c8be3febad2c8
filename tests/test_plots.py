"""finlstm.plots: both themes, a phone-width variant, readable text, same bytes every run."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from finlstm import plots


def _draw(fig):
    ax = fig.add_subplot()
    ax.plot(np.arange(10), np.arange(10) ** 2, label="squares")
    ax.set(title="A title", xlabel="step", ylabel="value")
    ax.legend(fontsize=6)  # smaller than the minimum: must be raised


def _png_width(data: bytes) -> int:
    return int.from_bytes(data[16:20], "big")


def test_small_text_is_raised_to_the_minimum():
    fig = _keep_figure(_draw, (8.0, 4.0), phone=False)
    sizes = [t.get_fontsize() for t in fig.findobj(plots.Text) if t.get_text()]
    assert sizes and min(sizes) >= plots.MIN_FONT_PT


def test_narrow_variant_is_a_phone_width_at_twice_the_pixels():
    width, height = plots.narrow_size((9.0, 4.0))
    assert width == plots.NARROW_WIDTH_IN and height > 0
    png = plots.render_png(_draw, "dark", (width, height))
    assert _png_width(png) == round(width * plots.SAVE_DPI)


def test_figure_html_offers_each_theme_wide_and_narrow():
    wide = plots.render_png(_draw, "light", (8.0, 4.0))
    narrow = plots.render_png(_draw, "light", plots.narrow_size((8.0, 4.0)))
    html = plots.figure_html(wide, wide, 'a "quoted" alt', narrow, narrow)
    assert html.count("<picture") == 2 and html.count("<source") == 2
    assert html.count(f'media="{plots.NARROW_MEDIA}"') == 2
    assert 'class="finlstm-light"' in html and 'class="finlstm-dark"' in html
    assert re.search(r'<img class="finlstm-dark"[^>]*style="display:none"', html)
    assert "&quot;quoted&quot;" in html


def test_figure_html_without_narrow_variants_is_plain_images():
    png = plots.render_png(_draw, "light", (4.0, 3.0))
    html = plots.figure_html(png, png, "alt")
    assert "<picture" not in html and html.count("<img") == 2


def test_same_figure_gives_the_same_bytes():
    assert plots.render_png(_draw, "light", (5.0, 3.0)) == plots.render_png(
        _draw, "light", (5.0, 3.0)
    )


def _keep_figure(draw, figsize, phone):
    """Render `draw` and return the matplotlib Figure itself (not closed) for inspection."""
    kept = []

    def draw_and_keep(fig):
        draw(fig)
        kept.append(fig)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots.plt, "close", lambda fig: None)
        plots.render_png(draw_and_keep, "light", figsize, phone=phone)
    return kept[0]


def _draw_dated(fig):
    import pandas as pd

    days = pd.bdate_range("1999-01-01", "2018-12-31")
    ax = fig.add_subplot()
    for k, name in enumerate(["long/flat LSTM", "long/short LSTM", "buy and hold"]):
        ax.plot(days, np.linspace(1, 2 + k, len(days)), label=f"{name}, no costs")
    ax.set(title="Walk-forward equity, S&P 500, eight yearly folds", xlabel="date")
    ax.legend(ncols=3, fontsize=8)


def _draw_side_by_side(fig):
    left, right = fig.subplots(1, 2)
    left.plot(np.arange(5), label="left")
    right.plot(np.arange(5), label="right")
    left.legend()


def _visible_tick_labels(ax) -> list:
    low, high = sorted(ax.get_xlim())
    return [t for t in ax.get_xticklabels() if t.get_text() and low <= t.get_position()[0] <= high]


def test_phone_variant_has_few_dated_ticks_that_do_not_overlap():
    fig = _keep_figure(_draw_dated, plots.narrow_size((9.0, 4.5)), phone=True)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = _visible_tick_labels(ax)
    assert 2 <= len(labels) <= plots.PHONE_MAX_DATE_TICKS
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes)), "tick labels overlap"
    # The wide variant keeps the lesson's own ticks (more of them).
    wide = _keep_figure(_draw_dated, (9.0, 4.5), phone=False)
    assert len(_visible_tick_labels(wide.axes[0])) > len(labels)


def test_phone_variant_puts_the_legend_under_the_axes_and_inside_the_figure():
    fig = _keep_figure(_draw_dated, plots.narrow_size((9.0, 4.5)), phone=True)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    axis = ax.xaxis.get_tightbbox(renderer)
    assert legend.y1 <= axis.y0 + 1, "the legend overlaps the x axis or the plot"
    assert legend.x0 >= 0 and legend.x1 <= fig.bbox.x1 and legend.y0 >= 0
    texts = ax.get_legend().get_texts()
    assert min(t.get_fontsize() for t in texts) >= plots.PHONE_MIN_FONT_PT
    title = ax.title.get_window_extent(renderer)
    assert title.x0 >= 0 and title.x1 <= fig.bbox.x1, "the title is cut off"


def test_phone_variant_stacks_side_by_side_panels():
    fig = _keep_figure(_draw_side_by_side, plots.narrow_size((10.0, 4.0)), phone=True)
    first, second = (ax.get_position() for ax in fig.axes)
    assert first.y0 > second.y1, "the panels are not one above the other"
    assert first.width > 0.7 and second.width > 0.7, "a stacked panel is not full width"
    wide = _keep_figure(_draw_side_by_side, (10.0, 4.0), phone=False)
    left, right = (ax.get_position() for ax in wide.axes)
    assert left.x1 < right.x0
