"""MkDocs hook: each Mermaid diagram's place on the page holds the size of its drawing.

Mermaid draws a diagram in the reader's browser, after the page has loaded and only when the
reader comes near it (docs/assets/javascripts/diagrams.js); until then the page shows the
diagram's source, a few lines of text, and the drawing that replaces it pushed everything
below it down (a reader who had followed a link to a section below a diagram lost it).

The drawn size of every diagram is recorded in docs/data/diagram_sizes.json, keyed by a hash
of its source and written by `make diagram-sizes` (scripts/measure_diagrams.py, which draws
every diagram of the built site in Chromium). This hook writes a diagram's size into its
<pre> as two CSS variables, and course.css makes the <pre> that size: as wide as the column
but no wider than the drawing's natural width (nor narrower than diagrams.js lets it
shrink), in the drawing's proportions. A diagram whose source has no recorded size keeps the
old behaviour; tests/test_diagram_sizes.py names it and the command that measures it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

SIZES = Path(__file__).resolve().parents[1] / "data" / "diagram_sizes.json"
# A diagram as pymdownx.superfences writes it (lesson_pages.py may add attributes).
DIAGRAM = re.compile(r"<pre class=\"mermaid\"([^>]*)><code>(.*?)</code></pre>", re.DOTALL)


def diagram_key(source: str) -> str:
    """The key of a diagram's source (the text Mermaid is given) in diagram_sizes.json."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def diagram_sources(page_html: str) -> list[str]:
    """Every diagram's source in `page_html`, in page order, as the browser reads it."""
    return [html.unescape(match.group(2)) for match in DIAGRAM.finditer(page_html)]


def load_sizes(path: Path = SIZES) -> dict[str, dict]:
    """key -> {"width", "height" (the drawing's natural size, CSS px), "page", "diagram"}."""
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def with_sizes(page_html: str, sizes: dict[str, dict]) -> str:
    """`page_html` with each diagram of known size carrying it as --diagram-width/height."""

    def sized(match: re.Match) -> str:
        attributes, code = match.groups()
        size = sizes.get(diagram_key(html.unescape(code)))
        if size is None:
            return match.group(0)
        style = f"--diagram-width: {size['width']:g}; --diagram-height: {size['height']:g}"
        return f'<pre class="mermaid"{attributes} style="{style}"><code>{code}</code></pre>'

    return DIAGRAM.sub(sized, page_html)


def on_page_content(html_text, page, config, files):
    """Give every diagram on the page whose size is recorded that size before it is drawn."""
    if 'class="mermaid"' not in html_text:
        return html_text
    return with_sizes(html_text, load_sizes())
