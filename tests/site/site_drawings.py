"""Helpers for the browser tests: diagrams are drawn only near the viewport."""

from __future__ import annotations

# diagrams.js draws a diagram only when it comes near the viewport (math is typeset at build
# time): scroll each one into view, a frame apiece, then back to the top.
REVEAL = """
async () => {
  const drawings = document.querySelectorAll("pre.mermaid");
  for (const element of drawings) {
    element.scrollIntoView();
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  }
  window.scrollTo(0, 0);
}
"""
DIAGRAMS_DRAWN = "() => !document.querySelector('pre.mermaid')"


def reveal_drawings(page) -> None:
    """Bring every diagram of `page` into view and wait until all are drawn."""
    page.evaluate(REVEAL)
    if page.locator(".mermaid").count():
        page.wait_for_function(DIAGRAMS_DRAWN, timeout=20_000)


def render_every_cell(page) -> None:
    """Render every lesson cell, also those off the screen (content-visibility: auto skips
    them), and load every figure now rather than lazily: for a full-page screenshot, which
    Chromium captures without rendering skipped cells (and whose figures would still be
    loading when the page closes), and for axe-core, which cannot compute the colours of
    text it cannot see."""
    page.add_style_tag(
        content=".jp-Notebook > .jp-Cell { content-visibility: visible !important; }"
    )
    page.evaluate(
        "document.querySelectorAll('img[loading=lazy]').forEach((i) => (i.loading = 'eager'))"
    )
    page.wait_for_function("[...document.images].every((i) => i.complete)", timeout=20_000)
