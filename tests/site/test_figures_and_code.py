"""Lesson figures open large in an overlay (figures.js), and a code cell's copy button
hides none of its code, on a desktop and on a phone."""

from __future__ import annotations

import pytest

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# For every visible copy button: the parts of its code's lines that the code box shows
# (inside the box's visible area) and that lie under the button.
CODE_UNDER_COPY_BUTTONS = """
() => {
  const found = [];
  for (const button of document.querySelectorAll(".jupyter-wrapper clipboard-copy")) {
    const b = button.getBoundingClientRect();
    if (!b.width || !b.height) continue;
    const pre = button.closest(".jp-InputArea-editor").querySelector("pre");
    const box = pre.getBoundingClientRect();
    const visibleRight = box.left + pre.clientLeft + pre.clientWidth;
    const range = document.createRange();
    range.selectNodeContents(pre);
    for (const line of range.getClientRects()) {
      const left = Math.max(line.left, box.left), right = Math.min(line.right, visibleRight);
      const top = Math.max(line.top, b.top), bottom = Math.min(line.bottom, b.bottom);
      if (right > b.left + 0.5 && left < b.right - 0.5 && bottom - top > 0.5) {
        found.push(`"${pre.textContent.trim().slice(0, 40)}" under the button at ${b.left}`);
        break;
      }
    }
  }
  return found;
}
"""


def _lesson_paths(site_pages) -> list[str]:
    return [path for path in site_pages if path.startswith("/lessons/")]


def _open(browser, url, viewport, scheme="light"):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    return page


@pytest.mark.slow
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_copy_buttons_hide_no_code(browser, site_server, site_pages, viewport):
    problems, buttons = [], 0
    for path in _lesson_paths(site_pages):
        page = _open(browser, site_server + path, viewport)
        try:
            buttons += page.locator(".jupyter-wrapper clipboard-copy").count()
            # Scrolled to the end as well as at the start: no code slides under the button.
            for scroll in ("0", "1e6"):
                page.evaluate(
                    f"() => document.querySelectorAll('.jp-InputArea-editor pre')"
                    f".forEach((pre) => {{ pre.scrollLeft = {scroll}; }})"
                )
                problems += [f"{path}: {found}" for found in page.evaluate(CODE_UNDER_COPY_BUTTONS)]
        finally:
            page.context.close()
    assert buttons > 0, "no copy button found: the check checked nothing"
    assert not problems, "\n".join(problems[:10])


def _first_lesson_with_figures(site_dir, site_pages) -> str:
    for path in _lesson_paths(site_pages):
        if "finlstm-zoom" in (site_dir / path.strip("/") / "index.html").read_text():
            return path
    pytest.fail("no lesson page has an enlargeable figure")


def _visible_zoom_link(page):
    link = page.locator("a.finlstm-zoom:visible").first
    link.scroll_into_view_if_needed()
    return link


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_click_opens_the_figure_large_and_escape_returns_focus(
    browser, site_server, site_dir, site_pages, scheme
):
    path = _first_lesson_with_figures(site_dir, site_pages)
    page = _open(browser, site_server + path, DESKTOP, scheme)
    try:
        if scheme == "dark":
            page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
        link = _visible_zoom_link(page)
        expected = link.get_attribute("href")
        assert f"finlstm-zoom--{scheme}" in link.get_attribute("class")
        shown_width = link.locator("img").bounding_box()["width"]
        link.click()
        dialog = page.locator("dialog.finlstm-lightbox")
        dialog.wait_for(state="visible")
        # (Material's navigation tracking may add the current heading's #anchor to the URL.)
        assert page.url.split("#")[0].endswith(path), "the click followed the link to the PNG"
        image = dialog.locator("img")
        assert image.get_attribute("src") == expected
        page.wait_for_function(
            "() => document.querySelector('dialog.finlstm-lightbox img').complete"
        )
        assert image.bounding_box()["width"] > shown_width * 1.05, "the figure is not larger"
        assert image.get_attribute("alt"), "the enlarged figure has no text alternative"
        close = dialog.get_by_role("button", name="Close the enlarged figure")
        assert close.evaluate("(button) => button === document.activeElement")
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        assert link.evaluate("(element) => element === document.activeElement"), (
            "focus did not return to the figure"
        )
    finally:
        page.context.close()


@pytest.mark.slow
@pytest.mark.parametrize("key", ["Enter", " "], ids=["enter", "space"])
def test_a_focused_figure_opens_from_the_keyboard_and_closes_with_its_button(
    browser, site_server, site_dir, site_pages, key
):
    path = _first_lesson_with_figures(site_dir, site_pages)
    page = _open(browser, site_server + path, PHONE)
    try:
        link = _visible_zoom_link(page)
        link.focus()
        page.keyboard.press(key)
        dialog = page.locator("dialog.finlstm-lightbox")
        dialog.wait_for(state="visible")
        # On a phone the overlay shows the wide variant at its drawn size, wider than the
        # screen, and scrolls sideways to it; the page itself stays 390 px wide.
        image = dialog.locator("img")
        assert image.get_attribute("src") == link.get_attribute("href")
        page.wait_for_function(
            "() => document.querySelector('dialog.finlstm-lightbox img').complete"
        )
        assert image.bounding_box()["width"] > PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        dialog.get_by_role("button", name="Close the enlarged figure").click()
        dialog.wait_for(state="hidden")
        assert link.evaluate("(element) => element === document.activeElement")
    finally:
        page.context.close()


@pytest.mark.slow
@pytest.mark.parametrize("font", ["default", "DejaVu Sans"])
def test_the_sidebar_title_leaves_room_for_the_first_link(browser, site_server, site_pages, font):
    """At 1280 px the site's long title wraps in the left sidebar; in the reader's fonts
    (a wide one too) it must not overlap "Home" under it."""
    for path in ["/", *_lesson_paths(site_pages)[:1]]:
        page = _open(browser, site_server + path, DESKTOP)
        try:
            if font != "default":
                page.add_style_tag(content=f'body {{ font-family: "{font}" !important }}')
            boxes = page.evaluate(
                """() => {
                  const title = document.querySelector(".md-nav--primary > .md-nav__title");
                  const first = document.querySelector(
                    ".md-nav--primary > .md-nav__list > .md-nav__item > a");
                  return [title.getBoundingClientRect().toJSON(),
                          first.getBoundingClientRect().toJSON(), title.scrollHeight];
                }"""
            )
        finally:
            page.context.close()
        title, first, title_content_height = boxes
        assert title["height"] > 0 and first["height"] > 0, f"{path}: no sidebar title or link"
        assert title["bottom"] <= first["top"], f"{path}: the title overlaps {first}"
        assert title_content_height <= title["height"] + 1, f"{path}: the title is cut off"
