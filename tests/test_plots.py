"""finlstm.plots: both themes, a phone-width variant, readable text, same bytes every run."""

from __future__ import annotations

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
    seen = []

    def draw_and_record(fig):
        _draw(fig)
        seen.append(fig)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots.plt, "close", lambda fig: None)
        plots.render_png(draw_and_record, "light", (8.0, 4.0))
    sizes = [t.get_fontsize() for t in seen[0].findobj(plots.Text) if t.get_text()]
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
