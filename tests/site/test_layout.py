"""Reading on any screen: width at 390 px, light pages, scripts only where needed, a table of
contents and edit links that lead somewhere, and a search index without code or launch bars.

The browser checks open every page of the built site in headless Chromium; the static ones
read the built HTML and search index.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from site_drawings import render_every_cell, reveal_drawings

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}

# Bytes a page transfers on first load, gzip-compressed as a web server sends them.
BUDGET_KB = {
    "page": 400,  # a markdown page without a diagram (the target)
    "diagram": 1_400,  # Mermaid alone is about 0.9 MB compressed
    "lesson": 900,  # figures load as they scroll into view; the first screen's count
}

# In the page's content: every element cut off at the right, either past the viewport or
# past a box that hides its overflow, unless a box that scrolls sideways holds it.
CUT_OFF = """
() => {
  const limit = window.innerWidth + 1;
  const found = [];
  const content = document.querySelector(".md-content");
  for (const el of content.querySelectorAll("*")) {
    // KaTeX draws a square root's tail as a wide SVG path that it clips on purpose.
    const skipped = ".katex-mathml, .katex svg, [hidden], .md-visually-hidden, .md-clipboard";
    if (el.closest(skipped)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    let problem = null;
    const stop = content.parentElement;
    for (let box = el.parentElement; box && box !== stop; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === "auto" || style.overflowX === "scroll") break;
      if ((style.overflowX === "hidden" || style.overflowX === "clip")
          && style.textOverflow !== "ellipsis"
          && rect.right > box.getBoundingClientRect().right + 1) {
        problem = "cut off by " + box.tagName.toLowerCase() + "." + [...box.classList].join(".");
        break;
      }
      if (box === content && rect.right > limit) problem = "past the screen";
    }
    if (problem) {
      const name = `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`;
      const text = (el.textContent || "").trim().slice(0, 30);
      found.push(`${name} ${problem} (right ${Math.round(rect.right)}): "${text}"`);
    }
  }
  return found;
}
"""


def _open(browser, url: str, viewport: dict, scheme: str = "light"):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="networkidle")
    return page, requests


def _wait_for_drawings(page) -> None:
    reveal_drawings(page)


@pytest.mark.slow
def test_no_page_is_wider_than_a_phone(browser, site_server, site_pages, artifacts):
    problems = []
    for path in site_pages:
        page, _ = _open(browser, site_server + path, PHONE)
        try:
            _wait_for_drawings(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            overflowing = page.evaluate(CUT_OFF)
            name = path.strip("/").replace("/", "__") or "home"
            render_every_cell(page)
            page.screenshot(path=str(artifacts / f"phone-{name}.png"), full_page=True)
        finally:
            page.context.close()
        if width > PHONE["width"] or overflowing:
            problems.append(f"{path}: {width} px wide; " + "; ".join(overflowing[:5]))
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_pages_fetch_mermaid_and_katex_only_when_they_use_them(browser, site_server, site_pages):
    """Mermaid only on a page with a diagram; KaTeX's stylesheet and fonts only on a page with
    math, and KaTeX's scripts on none (math is typeset at build time)."""
    checked = {"mermaid": 0, "katex": 0}
    for path in site_pages:
        page, requests = _open(browser, site_server + path, {"width": 1280, "height": 900})
        try:
            _wait_for_drawings(page)
            has_diagram = page.locator("div.mermaid, pre.mermaid").count() > 0
            has_math = page.locator(".katex").count() > 0
        finally:
            page.context.close()
        fetched_mermaid = any("mermaid" in urlparse(u).path for u in requests)
        fetched_katex = any("katex" in urlparse(u).path for u in requests)
        katex_scripts = [u for u in requests if re.search(r"katex.*\.js$", urlparse(u).path)]
        assert fetched_mermaid == has_diagram, f"{path}: diagram {has_diagram}, Mermaid fetched"
        assert fetched_katex == has_math, f"{path}: math {has_math}, KaTeX fetched"
        assert not katex_scripts, f"{path}: fetched {katex_scripts}"
        checked["mermaid"] += has_diagram
        checked["katex"] += has_math
    # Guard the guard: both kinds of page exist, and so do pages with neither.
    assert checked["mermaid"] >= 3 and checked["katex"] >= 3
    assert checked["mermaid"] < len(site_pages) and checked["katex"] < len(site_pages)


@pytest.mark.slow
def test_each_page_stays_under_its_byte_budget(browser, site_server, site_pages, site_dir):
    over = []
    sizes = {}
    for path in site_pages:
        page, requests = _open(browser, site_server + path, {"width": 1280, "height": 900})
        try:
            _wait_for_drawings(page)
            kind = (
                "lesson"
                if page.locator(".jupyter-wrapper").count()
                else "diagram"
                if page.locator("div.mermaid").count()
                else "page"
            )
        finally:
            page.context.close()
        total = 0
        for url in set(requests):
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https"):
                continue
            local = site_dir / unquote(parsed.path).lstrip("/")
            if local.is_dir():
                local = local / "index.html"
            total += len(gzip.compress(local.read_bytes(), compresslevel=6))
        sizes[path] = total // 1024
        if total > BUDGET_KB[kind] * 1024:
            over.append(f"{path} ({kind}): {total // 1024} KB > {BUDGET_KB[kind]} KB")
    assert not over, "\n".join(over) + f"\nall pages (KB): {sizes}"


def test_no_script_blocks_the_first_paint(site_dir, site_pages):
    """Scripts in <head> are async or deferred; KaTeX and Mermaid are not in the HTML at all
    (math.js and diagrams.js fetch them when a page needs them)."""
    for path in site_pages:
        text = (site_dir / path.strip("/") / "index.html").read_text()
        head = text.split("</head>", 1)[0]
        for tag in re.findall(r"<script\b[^>]*\bsrc=[^>]*>", head):
            assert re.search(r"\b(defer|async)\b", tag), f"{path}: blocking {tag}"
        for tag in re.findall(r"<script\b[^>]*\bsrc=\"[^\"]*\"[^>]*>", text):
            assert "mermaid.min.js" not in tag and "katex" not in tag, f"{path}: {tag}"
        for tag in re.findall(
            r"<script\b[^>]*\bsrc=\"[^\"]*assets/javascripts/(?!bundle)[^>]*>", text
        ):
            assert re.search(r"\bdefer\b", tag), f"{path}: course script without defer: {tag}"


def test_lesson_pages_embed_no_figure_and_only_the_notebook_css_they_use(site_dir):
    lessons = sorted((site_dir / "lessons").glob("*/index.html"))
    assert lessons, "no lesson page built"
    for page in lessons:
        text = page.read_text()
        assert "data:image/png;base64" not in text, f"{page}: a figure is inlined"
        figures = re.findall(r"<img\b[^>]*\bclass=\"finlstm-(?:light|dark)\"[^>]*>", text)
        assert figures, f"{page}: no figure"
        assert all('loading="lazy"' in tag for tag in figures), f"{page}: eager figure"
        styles = "".join(re.findall(r"<style[^>]*>(.*?)</style>", text, re.S))
        linked = re.findall(r"href=\"([^\"]*assets/jupyter/[^\"]+\.css)\"", text)
        shared = sum(len((page.parent / href).read_bytes()) for href in linked)
        assert len(styles) + shared < 120_000, f"{page}: {len(styles) + shared} bytes of CSS"


def _toc_links(text: str) -> list[tuple[str, str]]:
    nav = re.search(
        r'<nav class="md-nav md-nav--secondary".*?</nav>\s*</div>|'
        r'<nav class="md-nav md-nav--secondary".*?</nav>',
        text,
        re.S,
    )
    if not nav:
        return []
    return re.findall(
        r'<a href="#([^"]+)" class="md-nav__link">\s*<span class="md-ellipsis">(.*?)</span>',
        nav.group(0),
        re.S,
    )


def test_every_table_of_contents_entry_names_its_heading_and_leads_to_it(site_dir, site_pages):
    entries = 0
    for path in site_pages:
        text = (site_dir / path.strip("/") / "index.html").read_text()
        ids = set(re.findall(r'\bid="([^"]+)"', text))
        for anchor, label in _toc_links(text):
            entries += 1
            label = re.sub(r"\s+", " ", label).strip()
            assert unquote(anchor) in ids, (
                f"{path}: TOC entry {label!r} links to a missing #{anchor}"
            )
            assert "$" not in label and label, f"{path}: TOC entry {label!r}"
    assert entries > 20


def test_lesson_headings_with_code_keep_it_in_the_table_of_contents(site_dir):
    """Lesson 2's "what `jit` buys" heading once lost its code word in the TOC."""
    for page in sorted((site_dir / "lessons").glob("*/index.html")):
        text = page.read_text()
        headings = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", text, re.S)
        labels = " ".join(label for _, label in _toc_links(text))
        for heading in headings:
            for code in re.findall(r"<code>(.*?)</code>", heading):
                assert f"<code>{code}</code>" in labels, f"{page}: TOC drops {code!r}"


def _tracked_files() -> set[str]:
    listing = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(listing.stdout.split())


def test_every_edit_link_opens_a_tracked_file(site_dir, site_pages):
    config = (ROOT / "mkdocs.yml").read_text()
    repo_url = re.search(r"^repo_url:\s*(\S+)", config, re.M).group(1).rstrip("/")
    tracked = _tracked_files()
    for path in site_pages:
        text = (site_dir / path.strip("/") / "index.html").read_text()
        links = re.findall(r'<a href="([^"]+)"[^>]*class="md-content__button md-icon"', text)
        links += re.findall(r'<a[^>]*class="md-content__button md-icon"[^>]*href="([^"]+)"', text)
        assert links, f"{path}: no edit link"
        for link in links:
            prefix = f"{repo_url}/edit/main/"
            assert link.startswith(prefix), f"{path}: {link}"
            assert link[len(prefix) :] in tracked, f"{path}: edit link to untracked {link}"


def test_search_index_holds_prose_not_code_launch_bars_or_diagram_source(site_dir):
    index = json.loads((site_dir / "search" / "search_index.json").read_text())
    docs = index["docs"]
    lessons = [d for d in docs if d["location"].startswith("lessons/")]
    lesson_text = " ".join(d["text"] for d in lessons)
    assert "vanishing" in lesson_text.lower(), "lesson prose is missing from the index"
    for needle in ("Download notebook", "Open in Colab", "Copied!", "import numpy", "jnp."):
        hits = [d["location"] for d in lessons if needle in d["text"]]
        assert not hits, f"{needle!r} indexed in {hits[:5]}"
    diagrams = [d["location"] for d in docs if re.search(r"-->|---|\bflowchart\b", d["text"])]
    assert not diagrams, f"diagram source indexed in {diagrams[:5]}"


def test_lesson_html_keeps_only_elements_that_draw_something(site_dir):
    """Hidden collapsers and uncoloured syntax spans are gone; the code's text is whole."""
    lessons = sorted((site_dir / "lessons").glob("*/index.html"))
    assert lessons, "no lesson page built"
    markdown_names = 0
    for page in lessons:
        text = page.read_text()
        assert "jp-Collapser" not in re.sub(r"<style.*?</style>", "", text, flags=re.S), page
        highlighted = "".join(re.findall(r"<div class=\"highlight-ipynb.*?</pre>", text, re.S))
        assert not re.search(r"<span class=\"[nw]\">", highlighted), f"{page}: an uncoloured span"
        same_class_pair = r"<span class=\"([\w-]+)\">[^<]*</span><span class=\"\1\">"
        assert not re.search(same_class_pair, highlighted), f"{page}: spans left to merge"
        # Material colours names in a Markdown cell's code block: those spans stay.
        markdown = "".join(re.findall(r"<div class=\"highlight\">.*?</pre>", text, re.S))
        markdown_names += markdown.count('<span class="n">')
        # Every code cell's highlighted text equals its copy button's plain copy.
        for code, copy in re.findall(
            r"<div class=\"highlight-ipynb[^\"]*\"><pre[^>]*>(.*?)</pre></div>\s*"
            r"<div class=\"clipboard-copy-txt\"[^>]*>(.*?)</div>",
            text,
            re.S,
        ):
            assert re.sub(r"<[^>]+>", "", code).strip() == copy.strip(), page
    assert markdown_names > 0, "no Markdown code block in a lesson: the check above is idle"


def test_lesson_cells_off_the_screen_cost_no_layout(site_dir, browser, site_server):
    """Each cell has content-visibility: auto and a height estimate from the build; cells far
    below the first screen are not rendered on load."""
    lessons = sorted((site_dir / "lessons").glob("*/index.html"))
    for page in lessons:
        cells = re.findall(r"<div class=\"jp-Cell jp-(?:Code|Markdown)Cell[^>]*>", page.read_text())
        assert any("contain-intrinsic-size: auto" in c for c in cells), f"{page}: no estimate"
    path = "/" + lessons[0].parent.relative_to(site_dir).as_posix() + "/"
    page, _ = _open(browser, site_server + path, PHONE)
    try:
        styles = page.evaluate(
            "[...document.querySelectorAll('.jp-Notebook > .jp-Cell')]"
            ".map((c) => getComputedStyle(c).contentVisibility)"
        )
        # A cell far down the page is skipped: the browser has not rendered what is inside.
        skipped = page.evaluate(
            "() => { const cells = [...document.querySelectorAll('.jp-Notebook > .jp-Cell')];"
            " const last = cells[cells.length - 1];"
            " return last.getBoundingClientRect().top > 3 * innerHeight &&"
            " !last.firstElementChild.checkVisibility({ contentVisibilityAuto: true }) }"
        )
    finally:
        page.context.close()
    assert styles and set(styles) == {"auto"}, styles
    assert skipped, f"{path}: the last cell was laid out on load"


@pytest.mark.slow
def test_diagrams_far_down_a_page_load_only_when_the_reader_gets_near(
    browser, site_server, site_pages
):
    """A page whose first diagram is three screens down does not fetch Mermaid on load;
    scrolled to, the diagram is drawn."""
    screen = {"width": 1280, "height": 900}
    checked = 0
    for path in site_pages:
        page, requests = _open(browser, site_server + path, screen)
        try:
            top = page.evaluate(
                "() => { const el = document.querySelector('pre.mermaid');"
                " return el ? el.getBoundingClientRect().top : null }"
            )
            if top is None or top < 3 * screen["height"]:
                continue
            assert not any("mermaid" in urlparse(u).path for u in requests), (
                f"{path}: Mermaid fetched although the first diagram is {top:.0f} px down"
            )
            checked += 1
            reveal_drawings(page)
        finally:
            page.context.close()
    assert checked >= 1


# Text that still holds a formula's delimiters, outside code (a $ in code is not math).
RAW_MATH = re.compile(r"\\\(|\\\[|\$\$|\$[^$\s]+\$|\$[^$\s][^$]*\\[a-zA-Z]+[^$]*\$")


def _visible_text_outside_code(html_text: str) -> str:
    html_text = re.sub(
        r"<(pre|code|script|style|annotation)\b.*?</\1>", " ", html_text, flags=re.DOTALL
    )
    return re.sub(r"<[^>]+>", " ", html_text)


def test_math_is_typeset_in_the_built_html_with_no_delimiters_left(site_dir, site_pages):
    """Every formula of a Markdown page (arithmatex) and of a lesson's markdown cells is KaTeX
    HTML in the built page, which carries KaTeX's stylesheet; a page without math does not."""
    typeset = 0
    for path in site_pages:
        text = (site_dir / path.strip("/") / "index.html").read_text()
        content = text.split('<article class="md-content__inner', 1)[-1].split("</article>")[0]
        formulas = content.count('class="katex"')
        has_css = "<style data-katex>" in text.split("</head>", 1)[0]
        assert has_css == (formulas > 0), f"{path}: {formulas} formulas, stylesheet {has_css}"
        for element in re.findall(
            r'<(?:span|div) class="arithmatex">(.*?)</(?:span|div)>', content, flags=re.DOTALL
        ):
            assert 'class="katex' in element, f"{path}: untypeset {element[:80]!r}"
        raw = RAW_MATH.search(_visible_text_outside_code(content))
        assert not raw, f"{path}: raw math left: {raw.group(0)[:80]!r}"
        typeset += formulas
    assert typeset >= 100, typeset


@pytest.mark.slow
def test_nothing_on_the_quiz_pages_first_screen_waits_to_be_pushed_down(
    browser, site_server, site_dir
):
    """course.js builds the quiz after the first paint; until it does, the empty quiz holds a
    screen's height, so what follows it is off the first screen and cannot jump (layout shift,
    Lighthouse's CLS). Checked with course.js blocked, i.e. the moment before the quiz arrives."""
    course = json.loads((site_dir / "assets" / "course-data.json").read_text())
    module = next(m for m in course["modules"] if m["id"] == course["quiz"]["module"])
    context = browser.new_context(viewport=PHONE)
    context.route("**/course.js", lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(site_server + "/" + module["page"].removesuffix(".md") + "/")
        quiz = page.locator(".course-quiz")
        assert quiz.evaluate("(el) => el.children.length") == 0, "course.js ran"
        top = quiz.evaluate("(el) => el.getBoundingClientRect().top")
        after = quiz.evaluate(
            "(el) => { const next = el.nextElementSibling;"
            " return next ? next.getBoundingClientRect().top : null; }"
        )
    finally:
        context.close()
    assert top < PHONE["height"], "the quiz should start on the first screen"
    assert after is not None and after >= top + PHONE["height"], (
        f"the element after the empty quiz starts at {after} px, on the first screen: "
        "it would jump when the questions arrive"
    )


def _with_script_blocked_and_run(
    browser, url: str, viewport: dict, measure, script: str, ready: str | None = None
) -> dict:
    """{"blocked": measure(page), "run": measure(page)}: the page measured once with the
    script matching `script` blocked (the moment before it runs) and once after it ran: when
    the JavaScript expression `ready` is true, or else when the network is idle. Mermaid is
    blocked in both, so that no diagram is drawn in one and not the other."""
    measured = {}
    for mode in ("blocked", "run"):
        context = browser.new_context(viewport=viewport)
        context.route("**/mermaid.min.js", lambda route: route.abort())
        if mode == "blocked":
            context.route(script, lambda route: route.abort())
        page = context.new_page()
        try:
            page.goto(url, wait_until="load" if ready else "networkidle")
            if ready and mode == "run":
                page.wait_for_function(ready)
            measured[mode] = measure(page)
        finally:
            context.close()
    return measured


def _with_and_without_course_js(browser, url: str, viewport: dict, measure) -> dict:
    """The page measured with course.js blocked and after it has filled in the XP."""
    return _with_script_blocked_and_run(
        browser,
        url,
        viewport,
        measure,
        "**/course.js",
        ready="document.querySelector('[data-course-module-xp]')?.textContent.endsWith(' XP')",
    )


# Where each element that starts on the first screen of a page's content begins, by a key
# that does not change when course.js fills it in.
FIRST_SCREEN_TOPS = """
() => Object.fromEntries(
  [...document.querySelector(".md-content__inner").children]
    .map((el) => [el.id || el.className || el.textContent.trim().slice(0, 40),
                  Math.round(el.getBoundingClientRect().top)])
    .filter(([, top]) => top < window.innerHeight))
"""


@pytest.mark.slow
def test_a_module_pages_first_screen_stays_put_when_course_js_runs(browser, site_server, site_dir):
    """The line under a module's title ("Module 4 of 6" and its XP) comes with the page and
    course.js only fills in the XP: were the script to add the line, everything under the
    title would move down when it ran (layout shift, Lighthouse's CLS)."""
    course = json.loads((site_dir / "assets" / "course-data.json").read_text())
    for module in course["modules"]:
        url = site_server + "/" + module["page"].removesuffix(".md") + "/"
        seen = _with_and_without_course_js(
            browser,
            url,
            PHONE,
            lambda page: (
                page.evaluate(FIRST_SCREEN_TOPS),
                page.locator(".course-banner").all_inner_texts(),
            ),
        )
        tops = {script: found[0] for script, found in seen.items()}
        banners = {script: found[1] for script, found in seen.items()}
        number = f"Module {module['number']} of {len(course['modules'])}"
        assert [text.split("\n")[0] for text in banners["blocked"]] == [number], banners
        assert len(banners["run"]) == 1 and banners["run"][0].endswith(" XP"), banners
        moved = {k: (top, tops["run"].get(k)) for k, top in tops["blocked"].items()}
        moved = {k: v for k, v in moved.items() if v[0] != v[1]}
        assert not moved, f"{module['page']}: moved when course.js ran: {moved}"


# The heights of what course.js builds into a module page below its first screen.
FILLED_IN_HEIGHTS = """
() => [".admonition.example", ".course-flashcards", ".course-notes"].flatMap((selector) =>
  [...document.querySelectorAll(".md-content__inner " + selector)].map((el) =>
    [selector, Math.round(el.getBoundingClientRect().height)]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_what_course_js_builds_lower_on_a_module_page_keeps_its_height(
    browser, site_server, site_dir, width
):
    """The Feynman block and the notes section come with their boxes and a flashcard
    deck's place holds a deck's height, so a reader who arrives at a section below them (from
    a search result or a link, the references at the end) is not pushed away from it when
    course.js builds them."""
    course = json.loads((site_dir / "assets" / "course-data.json").read_text())
    for module in course["modules"]:
        url = site_server + "/" + module["page"].removesuffix(".md") + "/"
        heights = _with_and_without_course_js(
            browser,
            url,
            {"width": width, "height": 844},
            lambda page: page.evaluate(FILLED_IN_HEIGHTS),
        )
        assert heights["blocked"] == heights["run"], f"{module['page']} at {width} px: {heights}"


# Each diagram's box: its <pre> until Mermaid draws it, Material's <div> after.
DIAGRAM_BOXES = """
() => [...document.querySelectorAll(".md-content .mermaid")].map((el) => {
  const box = el.getBoundingClientRect();
  return [el.tagName.toLowerCase(), Math.round(box.width), box.height];
})
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_a_diagrams_place_is_the_size_of_its_drawing(browser, site_server, site_dir, width):
    """Mermaid draws a diagram after the page has loaded, and only when the reader comes near
    it; until then its place (docs/hooks/diagram_sizes.py, course.css) is as large as the
    drawing, so that nothing below it moves when the drawing arrives. The place is measured
    with Mermaid blocked, the drawing after it is drawn."""
    pages = sorted(
        path.parent.relative_to(site_dir).as_posix()
        for path in site_dir.rglob("index.html")
        if 'class="mermaid"' in path.read_text()
    )
    assert len(pages) >= 4, pages
    viewport = {"width": width, "height": 844}
    for path in pages:
        url = f"{site_server}/{path}/"
        context = browser.new_context(viewport=viewport)
        context.route("**/mermaid.min.js", lambda route: route.abort())
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        places = page.evaluate(DIAGRAM_BOXES)
        context.close()
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(url)
        reveal_drawings(page)
        drawings = page.evaluate(DIAGRAM_BOXES)
        context.close()
        assert [kind for kind, *_ in places] == ["pre"] * len(places), f"{path}: {places}"
        assert [kind for kind, *_ in drawings] == ["div"] * len(places), f"{path}: {drawings}"
        for number, (place, drawing) in enumerate(zip(places, drawings, strict=True), start=1):
            _, place_width, place_height = place
            _, drawing_width, drawing_height = drawing
            # The labels are drawn in the system's fonts: a little room for other fonts.
            tolerance = max(2.0, 0.02 * drawing_height)
            assert abs(place_width - drawing_width) <= 1 and (
                abs(place_height - drawing_height) <= tolerance
            ), (
                f"{path}/, diagram {number}, {width} px: the place is {place_width} x "
                f"{place_height:.1f} px, the drawing {drawing_width} x {drawing_height:.1f}; "
                "after changing a diagram, run `make diagram-sizes`"
            )


# Where each part of the header begins: the title, the light/dark toggle, the XP badge, search.
HEADER_LEFTS = """
() => [...document.querySelector(".md-header__inner").children].map((el) =>
  [el.className, Math.round(el.getBoundingClientRect().left)])
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_the_headers_buttons_stay_put_when_the_xp_badge_is_filled_in(
    browser, site_server, site_dir, width
):
    """The XP badge comes with the page (partials/search.html), as wide as the course's
    most XP: were course.js to add it, or to widen it, the buttons beside it would move."""
    course = json.loads((site_dir / "assets" / "course-data.json").read_text())
    url = site_server + "/" + course["modules"][3]["page"].removesuffix(".md") + "/"
    seen = _with_and_without_course_js(
        browser, url, {"width": width, "height": 844}, lambda page: page.evaluate(HEADER_LEFTS)
    )
    assert seen["blocked"] == seen["run"], f"at {width} px: {seen}"
    assert any("course-xp-badge" in name for name, _ in seen["run"]), seen["run"]


# Where each element of a page's content begins.
CONTENT_TOPS = """
() => [...document.querySelector(".md-content__inner").children].map((el) =>
  Math.round(el.getBoundingClientRect().top + window.scrollY))
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_a_module_pages_content_stays_put_when_materials_script_runs(
    browser, site_server, site_dir, width
):
    """Material's script wraps tables in scrolling boxes after load; course.css gives a table
    inside a content tab that room beforehand, so nothing below it moves. Every element of
    the content begins at the same height with Material's script blocked and run."""
    course = json.loads((site_dir / "assets" / "course-data.json").read_text())
    for module in course["modules"]:
        url = site_server + "/" + module["page"].removesuffix(".md") + "/"
        tops = _with_script_blocked_and_run(
            browser,
            url,
            {"width": width, "height": 844},
            lambda page: page.evaluate(CONTENT_TOPS),
            "**/bundle.*.min.js",
        )
        moved = [
            (number, before, after)
            for number, (before, after) in enumerate(zip(*tops.values(), strict=True))
            if abs(before - after) > 1
        ]
        assert not moved, f"{module['page']} at {width} px: (element, top before, after) {moved}"
