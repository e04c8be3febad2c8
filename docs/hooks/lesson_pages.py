"""MkDocs hook: lesson pages that read well, load light and index well.

On every lesson page (a notebook rendered by mkdocs-jupyter):

* the table of contents is rebuilt from the page's own headings, so every entry links to
  an anchor that exists and shows its words (inline code kept, $math$ as plain text);
* "edit this page" opens the lesson's source, lessons_src/NAME.py, not the generated
  notebook;
* code cells, printed outputs, the launch bar and copy buttons are left out of the search
  index;
* figures are written once to assets/figures/<hash>.png and loaded lazily, instead of two
  base64 copies (light and dark) inside the HTML; each opens at full size when clicked;
* of the ~600 KB of Jupyter CSS, only the rules whose classes the page uses are kept;
* coloured text in outputs (rich's tables, JAX's sharding diagrams) gets black or white
  text, whichever reads better on its background, where its own colour is under 4.5:1;
* the notebook HTML is trimmed of elements that draw nothing (the hidden collapsers, the
  syntax-highlight spans that colour nothing, runs of same-coloured spans merged), and each
  cell gets an estimated height, so that course.css can let the browser skip the style and
  layout of cells off the screen (content-visibility) without the scroll bar jumping.

On every page, Mermaid diagram source is left out of the search index.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import struct
from pathlib import Path

LESSON_PREFIX = "lessons/"
SOURCE_FOLDER = "lessons_src"
SOURCE_BRANCH = "main"

HEADING = re.compile(r"<h([1-6])\b([^>]*)\bid=\"([^\"]+)\"([^>]*)>(.*?)</h\1>", re.DOTALL)
ANCHOR_LINK = re.compile(r"<a class=\"anchor-link\".*?</a>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")
INLINE_MATH = re.compile(r"\$([^$]+)\$")
# Blocks that would fill search results with code, numbers, launch bars or diagram source.
# Material's search parser ends an exclusion at the first closing tag of the same name, so
# the attribute goes on elements with no descendant of their own tag: <pre> (code cells,
# printed outputs, Mermaid source), <table> (printed DataFrames), the launch bar's <nav>,
# and the copy button's hidden copy of each code cell.
SEARCH_EXCLUDED = re.compile(
    r"<(pre|nav class=\"lesson-launch\"|table class=\"dataframe\"|div class=\"clipboard-copy-txt\")"
    r"(?=[\s>])"
)
CLIPBOARD = re.compile(r"<clipboard-copy\b")
MERMAID = re.compile(r"<pre class=\"mermaid\"")
EMBEDDED_IMAGE = re.compile(r"\b(src|srcset)=\"data:image/png;base64,([A-Za-z0-9+/=\s]+)\"")
STYLE = re.compile(r"<style type=\"text/css\">(.*?)</style>", re.DOTALL)
CLASS_ATTRIBUTE = re.compile(r"\bclass=\"([^\"]*)\"")
# A figure's variant for one theme: a <picture> (wide and narrow PNGs) or a single <img>.
FIGURE_VARIANT = re.compile(
    r"<picture class=\"finlstm-picture[^\"]*\">.*?</picture>"
    r"|<img\b[^>]*\bclass=\"finlstm-(?:light|dark)\"[^>]*>",
    re.DOTALL,
)


def is_lesson(page) -> bool:
    src = page.file.src_uri
    return src.startswith(LESSON_PREFIX) and src.endswith(".ipynb")


def lesson_stem(page) -> str:
    return page.file.src_uri.rsplit("/", 1)[-1][: -len(".ipynb")]


# ---- hook events --------------------------------------------------------------------------


def on_page_content(html_text: str, page, config, **kwargs) -> str:
    if not is_lesson(page):
        return MERMAID.sub(r"\g<0> data-search-exclude", html_text)
    html_text = SEARCH_EXCLUDED.sub(r"\g<0> data-search-exclude", html_text)
    html_text = CLIPBOARD.sub(r"\g<0> data-search-exclude", html_text)
    html_text = COLOURED_TEXT.sub(_readable_colours, html_text)
    html_text = trim_notebook_html(html_text)
    page.toc = table_of_contents(html_text)
    return html_text


def on_page_context(context, page, config, **kwargs):
    if is_lesson(page) and config.get("repo_url"):
        page.edit_url = source_edit_url(config["repo_url"], lesson_stem(page))
    return context


def on_post_page(output: str, page, config, **kwargs) -> str:
    if not is_lesson(page):
        return output
    output = extract_figures(output, page, Path(config["site_dir"]))
    output = with_cell_heights(output)
    used = used_classes(output)
    return STYLE.sub(lambda m: m.group(0).replace(m.group(1), prune_css(m.group(1), used)), output)


# ---- coloured output text -----------------------------------------------------------------

COLOURED_TEXT = re.compile(
    r"style=\"color: (#[0-9a-fA-F]{6});(?: text-decoration-color: #[0-9a-fA-F]{6};)?"
    r" background-color: (#[0-9a-fA-F]{6})"
)
AA_CONTRAST = 4.5


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _readable_colours(match: re.Match) -> str:
    text, background = match.group(1), match.group(2)
    if contrast(text, background) >= AA_CONTRAST:
        return match.group(0)
    best = max(("#000000", "#ffffff"), key=lambda c: contrast(c, background))
    return f'style="color: {best}; text-decoration-color: {best}; background-color: {background}'


# ---- fewer elements ------------------------------------------------------------------------

# Jupyter's collapsers, which course.css hides (display: none), as nbconvert writes them.
COLLAPSER = re.compile(r"<div class=\"jp-Collapser[^\"]*\">\s*</div>\s*")
# A code cell's highlighted source, the only place the spans below are trimmed (Material
# colours the same classes inside a Markdown cell's <div class="highlight">).
NOTEBOOK_CODE = re.compile(r"<div class=\"highlight-ipynb[^\"]*\"><pre\b.*?</pre>", re.DOTALL)
# Pygments spans that no stylesheet colours in a code cell: names (.n) and whitespace (.w);
# the empty span Pygments opens each block with.
PLAIN_TOKEN = re.compile(r"<span class=\"(?:n|w)\">([^<]*)</span>|<span></span>")
# Two neighbouring tokens of the same class, e.g. the brackets of `f()` or `[0])`.
SAME_CLASS_PAIR = re.compile(r"<span class=\"([\w-]+)\">([^<]*)</span><span class=\"\1\">")


def trim_notebook_html(html_text: str) -> str:
    """The notebook HTML with the same text and colours in fewer elements."""
    return NOTEBOOK_CODE.sub(lambda m: _trim_code(m.group(0)), COLLAPSER.sub("", html_text))


def _trim_code(code_html: str) -> str:
    code_html = PLAIN_TOKEN.sub(lambda m: m.group(1) or "", code_html)
    previous = None
    while previous != code_html:
        previous = code_html
        code_html = SAME_CLASS_PAIR.sub(r'<span class="\1">\2', code_html)
    return code_html


# ---- cell heights -------------------------------------------------------------------------

CELL = re.compile(r"<div class=\"jp-Cell jp-(?:Code|Markdown)Cell[^\"]*\"")
IMAGE_SIZE = re.compile(r"<img\b[^>]*\bwidth=\"(\d+)\"[^>]*\bheight=\"(\d+)\"")
# What a cell's HTML holds that takes no room: the copy button's hidden copy of the code,
# and the stylesheets and scripts nbconvert writes after the last cell.
NOT_SHOWN = re.compile(
    r"<div class=\"clipboard-copy-txt\".*?</div>|<(style|script)\b.*?</\1>", re.DOTALL
)
LINE_PX = 20  # a line of code or printed output
TEXT_LINE_PX = 26  # a line of prose, about 80 characters at the desktop column's width
COLUMN_PX = 700  # the widest a figure is shown


def estimated_height(cell_html: str) -> int:
    """A rough height in CSS pixels of one rendered cell, used until the browser lays it
    out: lines of code and output, prose at about 80 characters a line, figures scaled to
    the column."""
    cell_html = NOT_SHOWN.sub("", cell_html)
    pre = "".join(re.findall(r"<pre\b.*?</pre>", cell_html, re.DOTALL))
    code_lines = pre.count("\n") + pre.count("<pre")
    text = TAG.sub("", re.sub(r"<pre\b.*?</pre>", "", cell_html, flags=re.DOTALL))
    text_lines = len(html.unescape(" ".join(text.split()))) / 80
    figures = 0
    # Each figure appears twice (light and dark variants); one of them is shown.
    for index, (width, height) in enumerate(IMAGE_SIZE.findall(cell_html)):
        if index % 2 == 0:
            figures += int(height) * min(1.0, COLUMN_PX / int(width))
    return round(code_lines * LINE_PX + text_lines * TEXT_LINE_PX + figures + 24)


def with_cell_heights(page_html: str) -> str:
    """Each notebook cell's opening tag with its estimated height as contain-intrinsic-size
    ("auto": once laid out, the browser remembers the real height). nbconvert nests a code
    cell's <div class="jp-Cell ..."> in another; the outer one gets the estimate."""
    outer, previous_end = [], None
    for match in CELL.finditer(page_html):
        nested = previous_end is not None and not page_html[previous_end : match.start()].strip(
            ">\n "
        )
        if not nested:
            outer.append(match.end())
        previous_end = match.end()
    last = page_html.find("</article>", outer[-1]) if outer else -1
    ends = [*outer[1:], last if last > 0 else len(page_html)]
    out, done = [], 0
    for start, end in zip(outer, ends, strict=True):
        height = estimated_height(page_html[start:end])
        out += [page_html[done:start], f' style="contain-intrinsic-size: auto {height}px"']
        done = start
    return "".join(out) + page_html[done:]


# ---- edit link ----------------------------------------------------------------------------


def source_edit_url(repo_url: str, stem: str) -> str:
    """The GitHub editor for lessons_src/<stem>.py."""
    return f"{repo_url.rstrip('/')}/edit/{SOURCE_BRANCH}/{SOURCE_FOLDER}/{stem}.py"


# ---- table of contents ----------------------------------------------------------------------


def heading_title(inner_html: str) -> str:
    """A heading's words for the TOC: tags dropped except <code>, $x$ shown as x."""
    inner = ANCHOR_LINK.sub("", inner_html)
    inner = re.sub(r"<(/?)code>", lambda m: f"\x00{m.group(1)}code\x01", inner)
    text = html.unescape(TAG.sub("", inner)).strip()
    text = INLINE_MATH.sub(lambda m: m.group(1).replace("-", "\u2212").replace("\\", ""), text)
    return html.escape(text, quote=False).replace("\x00", "<").replace("\x01", ">")


def table_of_contents(html_text: str):
    """mkdocs' TOC built from the headings in `html_text` (ids as they are in the page)."""
    from mkdocs.structure.toc import get_toc

    root: list[dict] = []
    stack: list[dict] = []
    for match in HEADING.finditer(html_text):
        level = int(match.group(1))
        token = {
            "level": level,
            "id": html.unescape(match.group(3)),
            "name": heading_title(match.group(5)),
            "children": [],
        }
        while stack and stack[-1]["level"] >= level:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(token)
        stack.append(token)
    return get_toc(root)


# ---- figures ------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def extract_figures(output: str, page, site_dir: Path) -> str:
    """Write each embedded PNG to assets/figures/<hash>.png and point its <img> or
    <source> there; images load lazily, so a reader fetches only the variant shown."""
    prefix = "../" * (page.url or "").count("/")

    def replace(match: re.Match) -> str:
        data = base64.b64decode(match.group(2))
        name = hashlib.sha256(data).hexdigest()[:16] + ".png"
        target = site_dir / "assets" / "figures" / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        url = f"{prefix}assets/figures/{name}"
        if match.group(1) == "srcset":
            return f'srcset="{url}"'
        width, height = png_size(data)
        return f'src="{url}" width="{width}" height="{height}" loading="lazy" decoding="async"'

    output = EMBEDDED_IMAGE.sub(replace, output)
    # A click opens the wide figure at full size (the browser zooms it on a phone).
    return FIGURE_VARIANT.sub(_zoom_link, output)


def _zoom_link(match: re.Match) -> str:
    variant = match.group(0)
    image = re.search(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", variant)
    if not image or image.group(1).startswith("data:"):
        return variant
    theme = "dark" if "finlstm-dark" in variant else "light"
    return (
        f'<a class="finlstm-zoom finlstm-zoom--{theme}" href="{image.group(1)}" '
        f'title="Open the figure at full size">{variant}</a>'
    )


# ---- notebook CSS -------------------------------------------------------------------------


def used_classes(page_html: str) -> set[str]:
    return {name for value in CLASS_ATTRIBUTE.findall(page_html) for name in value.split()}


def _split_selectors(prelude: str) -> list[str]:
    """'a, b:is(c, d)' -> ['a', 'b:is(c, d)']: commas inside brackets do not split."""
    parts, depth, current = [], 0, []
    for char in prelude:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _selector_applies(selector: str, used: set[str]) -> bool:
    """False when the selector needs a class that no element of the page has."""
    positive = re.sub(r":(?:not|where|is|has)\((?:[^()]|\([^()]*\))*\)", "", selector)
    return all(name in used for name in re.findall(r"\.(-?[_a-zA-Z][\w-]*)", positive))


def prune_css(css: str, used: set[str]) -> str:
    """Keep the rules of `css` that can match an element with one of the `used` classes,
    and the custom properties (--jp-...) that those rules read, directly or through others."""
    import tinycss2

    def prune_rules(rules) -> list:
        kept = []
        for rule in rules:
            if rule.type == "qualified-rule":
                selectors = [
                    s
                    for s in _split_selectors(tinycss2.serialize(rule.prelude))
                    if _selector_applies(s, used)
                ]
                declarations = _declarations(rule.content)
                if selectors and declarations:
                    kept.append([", ".join(selectors), declarations])
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports"):
                inner = prune_rules(
                    tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
                )
                if inner:
                    head = f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}"
                    kept.append([head, inner])
            elif rule.type == "at-rule" and rule.content is not None:
                kept.append([f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}", rule])
        return kept

    rules = prune_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    needed = _needed_properties(rules)
    return _serialize(rules, needed)


VAR = re.compile(r"var\(\s*(--[\w-]+)")


def _declarations(content) -> list:
    import tinycss2

    return [
        d
        for d in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True)
        if d.type == "declaration"
    ]


def _flat_declarations(rules) -> list:
    found = []
    for _, body in rules:
        if isinstance(body, list) and body and isinstance(body[0], list):
            found += _flat_declarations(body)
        elif isinstance(body, list):
            found += body
    return found


def _needed_properties(rules) -> set[str]:
    import tinycss2

    definitions: dict[str, list[str]] = {}
    needed: set[str] = set()
    for declaration in _flat_declarations(rules):
        value = tinycss2.serialize(declaration.value)
        if declaration.name.startswith("--"):
            definitions.setdefault(declaration.name, []).append(value)
        else:
            needed.update(VAR.findall(value))
    frontier = list(needed)
    while frontier:
        for value in definitions.get(frontier.pop(), []):
            for name in VAR.findall(value):
                if name not in needed:
                    needed.add(name)
                    frontier.append(name)
    return needed


def _serialize(rules, needed: set[str]) -> str:
    import tinycss2

    out = []
    for head, body in rules:
        if isinstance(body, list) and body and isinstance(body[0], list):
            out.append(f"{head}{{{_serialize(body, needed)}}}")
        elif isinstance(body, list):
            kept = [
                f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                + ("!important" if d.important else "")
                for d in body
                if not d.name.startswith("--") or d.name in needed
            ]
            if kept:
                out.append(f"{head}{{{';'.join(kept)}}}")
        else:  # an at-rule kept whole (@font-face, @keyframes)
            out.append(tinycss2.serialize([body]))
    return "\n".join(out)
