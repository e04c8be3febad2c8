"""MkDocs hook: math typeset at build time, so that pages ship KaTeX's HTML and stylesheet
and no math JavaScript.

The site's own KaTeX (docs/assets/vendor/katex/katex.min.js) runs in an embedded V8 engine
(mini-racer) and turns every formula into the HTML that its auto-render would have made in
the reader's browser, with the same delimiters:

* Markdown pages: pymdownx.arithmatex (generic mode) wraps math in .arithmatex elements,
  inline as \\( \\) and display as \\[ \\];
* lesson pages: inside a notebook's markdown cells, $$ $$ and $ $ as well as \\( \\) and
  \\[ \\]; never in code, printed outputs or other elements that auto-render skips.

A page with math carries katex.min.css inline in its <head> (a linked stylesheet would be
one more request before the first paint; the browser fetches the woff2 fonts it names as it
needs them); a page without math has nothing of KaTeX. A formula KaTeX cannot parse stops the
build, naming the page and the formula.

Runs in on_post_page, after the search index and the lesson table of contents are made from
the page's content, so that both keep the formula's source rather than KaTeX's markup.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

KATEX_DIR = Path(__file__).resolve().parents[1] / "assets" / "vendor" / "katex"
STYLESHEET = KATEX_DIR / "katex.min.css"
FONT_URL = re.compile(r"url\(fonts/")

BRACKETS = [(r"\(", r"\)", False), (r"\[", r"\]", True)]
NOTEBOOK = [("$$", "$$", True), ("$", "$", False), *BRACKETS]
# Elements whose text auto-render leaves alone.
IGNORED = {"script", "noscript", "style", "textarea", "pre", "code", "option"}

ARITHMATEX = re.compile(r"<(span|div) class=\"arithmatex\">(.*?)</\1>", re.DOTALL)
NOTEBOOK_MARKDOWN = re.compile(r"<div class=\"[^\"]*\bjp-MarkdownOutput\b[^\"]*\"[^>]*>")
DIV_TAG = re.compile(r"<(/?)div\b[^>]*>")
TOKEN = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
TAG_NAME = re.compile(r"<(/?)([a-zA-Z][\w-]*)")
AMS_ENVIRONMENT = re.compile(r"^\\begin\{")

# renderToString with auto-render's options, except that an error is returned, not drawn.
TYPESET_JS = """
function finlstmTypeset(tex, display) {
  try {
    return JSON.stringify({html: katex.renderToString(tex, {displayMode: display,
                                                            throwOnError: true})});
  } catch (error) {
    return JSON.stringify({error: String(error && error.message || error)});
  }
}
"""


class MathError(ValueError):
    """A formula that KaTeX cannot typeset."""


class Typesetter:
    """KaTeX in an embedded V8: `html(tex, display)` is what katex.renderToString returns."""

    def __init__(self, katex_js: Path = KATEX_DIR / "katex.min.js"):
        from py_mini_racer import MiniRacer

        self._context = MiniRacer()
        self._context.eval(katex_js.read_text(encoding="utf-8"))
        self._context.eval(TYPESET_JS)
        self._cache: dict[tuple[str, bool], str] = {}

    def html(self, tex: str, display: bool) -> str:
        key = (tex, display)
        if key not in self._cache:
            result = json.loads(str(self._context.call("finlstmTypeset", tex, display)))
            if "error" in result:
                raise MathError(result["error"])
            self._cache[key] = result["html"]
        return self._cache[key]


_typesetter: Typesetter | None = None


def typesetter() -> Typesetter:
    global _typesetter
    if _typesetter is None:
        _typesetter = Typesetter()
    return _typesetter


# ---- auto-render's splitting, in Python ---------------------------------------------------


def _end_of_math(delimiter: str, text: str, start: int) -> int:
    """Index of the closing `delimiter` at brace level 0, skipping escaped characters
    (auto-render's findEndOfMath); -1 when there is none."""
    index, braces = start, 0
    while index < len(text):
        if braces <= 0 and text.startswith(delimiter, index):
            return index
        if text[index] == "\\":
            index += 1
        elif text[index] == "{":
            braces += 1
        elif text[index] == "}":
            braces -= 1
        index += 1
    return -1


def split_math(text: str, delimiters) -> list[tuple[str, str, bool]]:
    """`text` as ("text", words, False) and ("math", tex, display) pieces, split as KaTeX's
    auto-render splits a text node (splitAtDelimiters): the earliest opening delimiter wins,
    earlier-listed delimiters first at the same place, and an unclosed one leaves the rest as
    text. An AMS environment (\\begin{...}) keeps its delimiters."""
    left = re.compile("|".join(re.escape(d[0]) for d in delimiters))
    pieces: list[tuple[str, str, bool]] = []
    while True:
        match = left.search(text)
        if not match:
            break
        if match.start() > 0:
            pieces.append(("text", text[: match.start()], False))
            text = text[match.start() :]
        opening, closing, display = next(d for d in delimiters if text.startswith(d[0]))
        end = _end_of_math(closing, text, len(opening))
        if end == -1:
            break
        raw = text[: end + len(closing)]
        tex = raw if AMS_ENVIRONMENT.match(raw) else text[len(opening) : end]
        pieces.append(("math", tex, display))
        text = text[end + len(closing) :]
    if text:
        pieces.append(("text", text, False))
    return pieces


def typeset_text(escaped: str, delimiters, typeset) -> str:
    """An HTML text run (entities escaped) with its formulas replaced by KaTeX's HTML, each
    in a <span> as auto-render inserts it."""
    if not any(d[0] in html.unescape(escaped) for d in delimiters):
        return escaped
    out = []
    for kind, data, display in split_math(html.unescape(escaped), delimiters):
        if kind == "text":
            out.append(html.escape(data, quote=False))
        else:
            out.append(f"<span>{typeset(data, display)}</span>")
    return "".join(out)


def typeset_fragment(fragment: str, delimiters, typeset) -> str:
    """The text of an HTML fragment typeset, outside the elements auto-render skips."""
    out, position, skipped = [], 0, 0
    for token in TOKEN.finditer(fragment):
        text = fragment[position : token.start()]
        out.append(typeset_text(text, delimiters, typeset) if text and not skipped else text)
        out.append(token.group(0))
        position = token.end()
        tag = TAG_NAME.match(token.group(0))
        if tag and tag.group(2).lower() in IGNORED and not token.group(0).endswith("/>"):
            skipped += -1 if tag.group(1) else 1
            skipped = max(skipped, 0)
    text = fragment[position:]
    out.append(typeset_text(text, delimiters, typeset) if text and not skipped else text)
    return "".join(out)


def _element_end(page_html: str, start: int) -> int:
    """Index just past the </div> that closes the <div> opened at `start`."""
    depth = 0
    for tag in DIV_TAG.finditer(page_html, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return len(page_html)


def typeset_page(page_html: str, typeset) -> tuple[str, int]:
    """(page with every formula typeset, number of formulas): .arithmatex elements and the
    markdown cells of a notebook."""
    count = 0

    def counted(tex: str, display: bool) -> str:
        nonlocal count
        count += 1
        return typeset(tex, display)

    def arithmatex(match: re.Match) -> str:
        inner = typeset_fragment(match.group(2), BRACKETS, counted)
        return f'<{match.group(1)} class="arithmatex">{inner}</{match.group(1)}>'

    page_html = ARITHMATEX.sub(arithmatex, page_html)
    out, position = [], 0
    for match in NOTEBOOK_MARKDOWN.finditer(page_html):
        if match.start() < position:
            continue
        end = _element_end(page_html, match.start())
        out += [
            page_html[position : match.end()],
            typeset_fragment(page_html[match.end() : end], NOTEBOOK, counted),
        ]
        position = end
    out.append(page_html[position:])
    return "".join(out), count


@functools.cache
def _read(path: Path) -> str:
    """A file's text, read once per build (every page with math inlines the stylesheet)."""
    return path.read_text("utf-8")


def inline_stylesheet(page_url: str, css_path: Path = STYLESHEET) -> str:
    """katex.min.css as a <style> element, its font URLs made relative to the page."""
    prefix = "../" * page_url.count("/")
    css = FONT_URL.sub(f"url({prefix}assets/vendor/katex/fonts/", _read(css_path))
    return f"<style data-katex>{css}</style>"


def page_source(page) -> str:
    src = page.file.src_uri
    match = re.fullmatch(r"lessons/(\w+)\.ipynb", src)
    return f"{src} (from lessons_src/{match.group(1)}.py)" if match else f"docs/{src}"


# ---- hook event ---------------------------------------------------------------------------


def on_post_page(output: str, page, config, **kwargs) -> str:
    from mkdocs.exceptions import PluginError

    def typeset(tex: str, display: bool) -> str:
        try:
            return typesetter().html(tex, display)
        except MathError as error:
            raise PluginError(
                f"page {page_source(page)}: KaTeX cannot typeset the formula {tex!r}: {error}"
            ) from None

    output, count = typeset_page(output, typeset)
    if count:
        output = output.replace("</head>", inline_stylesheet(page.url or "") + "\n</head>", 1)
    return output
