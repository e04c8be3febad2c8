"""The built site in a real browser: every page, light and dark, self-contained and working.

Headless Chromium (Debian's package, driven by Playwright) opens each page from a local
server and checks: no console error, no failed request, no request to any other host,
every Mermaid diagram drawn as SVG, every equation typeset, every lesson showing its
figures. Screenshots of each page in both colour schemes go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from site_drawings import render_every_cell, reveal_drawings

pytestmark = pytest.mark.slow

# Material draws Mermaid in a closed shadow root; open it so that the test can look inside.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (options) {
  return attach.call(this, Object.assign({}, options, { mode: "open" }));
};
"""

MERMAID_DRAWN = """
() => [...document.querySelectorAll("div.mermaid, pre.mermaid")].every(
  (el) => el.shadowRoot && el.shadowRoot.querySelector("svg")
)
"""


def _visit(browser, url: str, scheme: str):
    """Open `url` in a fresh context; return (page, problems) after it has settled."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    context.add_init_script(OPEN_SHADOW_ROOTS)
    page = context.new_page()
    problems: list[str] = []
    host = urlparse(url).netloc
    page.on(
        "request",
        lambda r: (
            None
            if urlparse(r.url).scheme in ("data", "blob") or urlparse(r.url).netloc == host
            else problems.append(f"request to another host: {r.url}")
        ),
    )
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(url, wait_until="networkidle")
    return page, problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_self_contained_and_renders(
    browser, site_server, site_pages, scheme, artifacts
):
    for path in site_pages:
        page, problems = _visit(browser, site_server + path, scheme)
        name = path.strip("/").replace("/", "__") or "home"
        try:
            reveal_drawings(page)
            mermaid_blocks = page.locator("div.mermaid, pre.mermaid").count()
            if mermaid_blocks:
                page.wait_for_function(MERMAID_DRAWN, timeout=20_000)
            if page.locator(".jupyter-wrapper").count():
                _check_lesson(page, scheme)
            scheme_attr = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            assert scheme_attr == ("slate" if scheme == "dark" else "default")
            render_every_cell(page)
            page.screenshot(path=str(artifacts / f"{name}-{scheme}.png"), full_page=True)
        finally:
            page.context.close()
        assert not problems, f"{path} ({scheme}):\n" + "\n".join(problems)


def _check_lesson(page, scheme: str) -> None:
    figures = page.locator(".finlstm-figure")
    assert figures.count() >= 1, "a lesson page shows no figure"
    visible = "img.finlstm-dark" if scheme == "dark" else "img.finlstm-light"
    hidden = "img.finlstm-light" if scheme == "dark" else "img.finlstm-dark"
    for index in range(figures.count()):
        figure = figures.nth(index)
        assert figure.locator(visible).is_visible()
        assert not figure.locator(hidden).is_visible()
        # Figures load lazily: bring each into view and wait for it.
        figure.locator(visible).scroll_into_view_if_needed()
        width = figure.locator(visible).evaluate(
            "img => img.complete && img.naturalWidth ? img.naturalWidth : new Promise("
            "(done) => img.addEventListener('load', () => done(img.naturalWidth), {once: true}))"
        )
        assert width > 100
    raw_math = page.evaluate(
        "[...document.querySelectorAll('.jp-MarkdownOutput')].map((el) => el.innerText).join(' ')"
    )
    assert not re.search(r"\$[^$\s][^$]*\\[a-z]+[^$]*\$", raw_math), "untypeset $...$ math"


def test_mermaid_and_math_pages_exist(site_pages, site_dir):
    """Guards the browser test itself: the pages it relies on do contain diagrams and math."""
    html = "".join((site_dir / p.strip("/") / "index.html").read_text() for p in site_pages)
    assert html.count('class="mermaid"') >= 4
    assert html.count('class="arithmatex"') >= 5
    assert "jupyter-wrapper" in html
