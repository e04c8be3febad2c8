"""The build-time math hook (docs/hooks/typeset_math.py): formulas found where KaTeX's
auto-render would find them, typeset by the vendored KaTeX, and a bad one named."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "typeset_math", ROOT / "docs" / "hooks" / "typeset_math.py"
)
typeset_math = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(typeset_math)


def fake(tex: str, display: bool) -> str:
    return f"[{'D' if display else 'I'}:{tex}]"


def test_split_follows_auto_render():
    split = typeset_math.split_math
    notebook = typeset_math.NOTEBOOK
    assert split("a $x$ and $$y_{1}$$ b", notebook) == [
        ("text", "a ", False),
        ("math", "x", False),
        ("text", " and ", False),
        ("math", "y_{1}", True),
        ("text", " b", False),
    ]
    # Braces and escapes: the $ inside \text{...} or after a backslash does not close it.
    assert split(r"$\text{a $ b}$", notebook) == [("math", r"\text{a $ b}", False)]
    assert split(r"$a\$b$", notebook) == [("math", r"a\$b", False)]
    # An unclosed delimiter leaves the rest as text.
    assert split("costs $5 today", notebook) == [
        ("text", "costs ", False),
        ("text", "$5 today", False),
    ]
    assert split(r"\(x\) and \[y\]", typeset_math.BRACKETS) == [
        ("math", "x", False),
        ("text", " and ", False),
        ("math", "y", True),
    ]


def test_code_and_other_skipped_elements_keep_their_dollars():
    html = "<p>a $x &lt; 1$ b <code>$HOME$</code></p><pre>$y$</pre><p>$z$</p>"
    out = typeset_math.typeset_fragment(html, typeset_math.NOTEBOOK, fake)
    assert out == (
        "<p>a <span>[I:x < 1]</span> b <code>$HOME$</code></p><pre>$y$</pre>"
        "<p><span>[I:z]</span></p>"
    )


def test_pages_typeset_arithmatex_and_notebook_markdown_only():
    page = (
        '<span class="arithmatex">\\(a\\)</span><div class="arithmatex">\\[b\\]</div>'
        '<div class="jp-Cell"><div class="jp-RenderedHTMLCommon jp-MarkdownOutput" x="1">'
        "<div><p>$c$</p></div><p>$$d$$</p></div>"
        '<div class="jp-OutputArea-output"><pre>$e$</pre>$f$</div></div>'
    )
    out, count = typeset_math.typeset_page(page, fake)
    assert count == 4
    assert '<span class="arithmatex"><span>[I:a]</span></span>' in out
    assert '<div class="arithmatex"><span>[D:b]</span></div>' in out
    assert "<p><span>[I:c]</span></p></div><p><span>[D:d]</span></p></div>" in out
    assert "<pre>$e$</pre>$f$" in out  # a cell's output is not markdown


def test_katex_typesets_and_names_a_bad_formula():
    pytest.importorskip("py_mini_racer")
    typesetter = typeset_math.Typesetter()
    html = typesetter.html(r"\frac{a}{b}", False)
    assert html.startswith('<span class="katex">') and "mfrac" in html
    assert typesetter.html("x", True).startswith('<span class="katex-display">')
    page = SimpleNamespace(file=SimpleNamespace(src_uri="lessons/m9_demo.ipynb"), url="x/")
    from mkdocs.exceptions import PluginError

    bad = '<div class="jp-MarkdownOutput"><p>see $\\frac{1}$ here</p></div>'
    with pytest.raises(PluginError) as error:
        typeset_math.on_post_page(bad, page, {})
    message = str(error.value)
    assert "lessons_src/m9_demo.py" in message and "\\\\frac{1" in message
    assert "KaTeX parse error" in message


def test_a_page_with_math_carries_the_stylesheet_and_one_without_does_not():
    pytest.importorskip("py_mini_racer")
    page = SimpleNamespace(file=SimpleNamespace(src_uri="modules/x.md"), url="modules/x/")
    with_math = typeset_math.on_post_page(
        '<head></head><span class="arithmatex">\\(x\\)</span>', page, {}
    )
    head = with_math.split("</head>")[0]
    assert head.count("<style data-katex>") == 1 and ".katex{" in head
    assert "url(../../assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2)" in head
    assert "url(fonts/" not in head
    assert "katex" not in typeset_math.on_post_page("<head></head><p>$x$</p>", page, {})
