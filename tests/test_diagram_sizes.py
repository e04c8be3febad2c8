"""Diagram sizes (docs/hooks/diagram_sizes.py, docs/data/diagram_sizes.json): every diagram of
the course has its drawing's size recorded, and the hook writes it into the page, so that the
page does not move when Mermaid draws the diagram. The browser check that the reserved place
and the drawing have the same size is in tests/site/test_layout.py."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


diagram_sizes = _load("diagram_sizes", ROOT / "docs" / "hooks" / "diagram_sizes.py")
measure_diagrams = _load("measure_diagrams", ROOT / "scripts" / "measure_diagrams.py")
# A ```mermaid fence of a Markdown page; the browser reads its text without the last newline.
FENCE = re.compile(r"^```mermaid\n(.*?)\n```", re.DOTALL | re.MULTILINE)
MEASURE = "`make diagram-sizes` (scripts/measure_diagrams.py)"


def _diagrams_in_the_docs() -> list[tuple[str, str]]:
    """(page, source) of every diagram in docs/**/*.md."""
    return [
        (path.relative_to(ROOT).as_posix(), source)
        for path in sorted((ROOT / "docs").rglob("*.md"))
        for source in FENCE.findall(path.read_text())
    ]


def test_every_diagram_of_the_course_has_its_size_recorded():
    diagrams = _diagrams_in_the_docs()
    assert len(diagrams) >= 4, "the module pages' diagrams were not found"
    sizes = diagram_sizes.load_sizes()
    missing = [
        f"{page}: the diagram that starts {source.splitlines()[0]!r}"
        for page, source in diagrams
        if diagram_sizes.diagram_key(source) not in sizes
    ]
    assert not missing, f"no recorded size (new or changed diagram?): {missing}; run {MEASURE}"


def test_no_recorded_size_outlives_its_diagram():
    keys = {diagram_sizes.diagram_key(source) for _, source in _diagrams_in_the_docs()}
    stale = {key: size["page"] for key, size in diagram_sizes.load_sizes().items()}
    stale = {key: page for key, page in stale.items() if key not in keys}
    assert not stale, f"sizes of diagrams that no page has any more: {stale}; run {MEASURE}"


def test_the_key_of_a_docs_diagram_is_the_key_of_the_text_the_browser_reads():
    """The hook reads the source back from the built HTML (escaped, without the fence)."""
    source = 'flowchart LR\n    A["x<br>y"] --> B & C'
    built = (
        '<pre class="mermaid" data-search-exclude><code>flowchart LR\n'
        "    A[&quot;x&lt;br&gt;y&quot;] --&gt; B &amp; C</code></pre>"
    )
    assert diagram_sizes.diagram_sources(built) == [source]


def test_a_diagram_of_known_size_gets_it_as_css_variables():
    source = "flowchart TD\n    A --> B"
    built = '<p>Before.</p>\n<pre class="mermaid"><code>flowchart TD\n    A --&gt; B</code></pre>'
    sizes = {diagram_sizes.diagram_key(source): {"width": 209.42, "height": 894.0}}
    sized = diagram_sizes.with_sizes(built, sizes)
    assert sized == (
        '<p>Before.</p>\n<pre class="mermaid" style="--diagram-width: 209.42; '
        '--diagram-height: 894"><code>flowchart TD\n    A --&gt; B</code></pre>'
    )


def test_a_diagram_of_unknown_size_and_other_pages_are_left_as_they_were():
    built = '<pre class="mermaid"><code>flowchart TD\n    A --&gt; C</code></pre>'
    other_key = diagram_sizes.diagram_key("flowchart TD\n    A --> B")
    assert diagram_sizes.with_sizes(built, {other_key: {"width": 1, "height": 1}}) == built
    plain = "<p>No diagram here.</p>"
    assert diagram_sizes.on_page_content(plain, page=None, config={}, files=None) == plain


def test_the_measured_size_is_the_drawing_at_its_natural_width():
    """Mermaid gives an SVG its natural width as max-width and its proportions as viewBox."""
    size = measure_diagrams.natural_size("0 0 842.40625 314", "842.40625px", "page, diagram 1")
    assert size == {"width": 842.41, "height": 314.0}
    half = measure_diagrams.natural_size("-8 -8 400 1000", "200px", "page, diagram 1")
    assert half == {"width": 200.0, "height": 500.0}


@pytest.mark.parametrize(("view_box", "max_width"), [("0 0 0 10", "5px"), ("0 0 10 10", "")])
def test_a_drawing_without_a_size_is_named(view_box, max_width):
    with pytest.raises(SystemExit, match="modules/2-inside-the-cell/, diagram 1"):
        measure_diagrams.natural_size(view_box, max_width, "modules/2-inside-the-cell/, diagram 1")
