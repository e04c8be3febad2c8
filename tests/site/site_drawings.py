"""Helpers for the browser tests: diagrams and equations are drawn only near the viewport."""

from __future__ import annotations

# math.js and diagrams.js draw an equation or a diagram only when it comes near the
# viewport: scroll each one into view, a frame apiece, then back to the top.
REVEAL = """
async () => {
  const drawings = document.querySelectorAll(
    "pre.mermaid, .arithmatex, .jupyter-wrapper .jp-MarkdownOutput"
  );
  for (const element of drawings) {
    element.scrollIntoView();
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  }
  window.scrollTo(0, 0);
}
"""
DIAGRAMS_DRAWN = "() => !document.querySelector('pre.mermaid')"
# Math in a closed <details> is typeset when the reader opens it.
MATH_TYPESET = """
() => [...document.querySelectorAll(".arithmatex")]
  .filter((el) => el.checkVisibility())
  .every((el) => el.querySelector(".katex"))
"""


def reveal_drawings(page) -> None:
    """Bring every diagram and equation of `page` into view and wait until all are drawn."""
    page.evaluate(REVEAL)
    if page.locator(".mermaid").count():
        page.wait_for_function(DIAGRAMS_DRAWN, timeout=20_000)
    if page.locator(".arithmatex").count():
        page.wait_for_function(MATH_TYPESET, timeout=10_000)


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
