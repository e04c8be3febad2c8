"""Accessibility of the built site: axe-core on every page in both colour schemes, the course's
own controls at AA contrast when hovered or focused, checklists whose sentence ticks the box.

axe-core comes from npm, pinned in package-lock.json (`make install` runs `npm ci`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from site_drawings import render_every_cell, reveal_drawings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make install` (it runs `npm ci`)")
    return AXE.read_text()


def _settle(page) -> None:
    """Wait for the drawings that scripts add after load: diagrams, math, course widgets."""
    reveal_drawings(page)
    page.wait_for_selector(".course-xp-badge")
    # layout.js marks scrolling boxes focusable in idle time, a few at a time
    page.wait_for_selector("html[data-finlstm-scroll-marked]", state="attached")
    render_every_cell(page)


def _violations(page, axe_source: str) -> list[dict]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return [v for v in json.loads(result)["violations"] if v["impact"] in BLOCKING]


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:4]]
        lines.append(
            f"  {violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): "
            + " | ".join(targets)
        )
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_any_page(
    browser, site_server, site_pages, scheme, axe_source
):
    report = []
    for path in site_pages:
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            page.goto(site_server + path, wait_until="networkidle")
            _settle(page)
            found = _violations(page, axe_source)
        finally:
            context.close()
        if found:
            report.append(f"{path} ({scheme}):\n{_describe(found)}")
    assert not report, "\n".join(report)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_course_buttons_keep_their_contrast_when_hovered_and_focused(
    browser, site_server, scheme, axe_source
):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site_server + "/lessons/m3_price_model/", wait_until="networkidle")
        page.wait_for_selector(".course-xp-badge")
        buttons = page.locator(".lesson-launch .md-button")
        assert buttons.count() == 4
        for index in range(buttons.count()):
            buttons.nth(index).hover()
            # Measure the hovered colours, not a frame of the theme's colour transition.
            buttons.nth(index).evaluate(
                "b => Promise.all(b.getAnimations({subtree: true}).map(a => a.finished))"
            )
            page.add_script_tag(content=axe_source)
            result = page.evaluate(
                "async (sel) => JSON.stringify(await axe.run(sel, {runOnly: ['color-contrast']}))",
                f".lesson-launch .md-button:nth-child({index + 1})",
            )
            assert not json.loads(result)["violations"], f"button {index + 1} hovered ({scheme})"
    finally:
        context.close()


def test_clicking_a_checklist_sentence_ticks_its_box(browser, site_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site_server + "/modules/1-why-memory/", wait_until="networkidle")
        page.wait_for_selector(".course-xp-badge")
        item = page.locator(".admonition.example .task-list-item").first
        box = item.locator("input[type=checkbox]")
        assert not box.is_checked()
        words = item.inner_text().strip().split()[2:5]
        page.get_by_text(" ".join(words)).first.click()
        assert box.is_checked()
        label = box.evaluate("b => b.labels.length ? b.labels[0].textContent.trim() : ''")
        assert " ".join(words) in label
        second = page.locator(".admonition.example .task-list-item").nth(1)
        second.click()  # the middle of the row, not only its words
        assert second.locator("input[type=checkbox]").is_checked()
    finally:
        context.close()
