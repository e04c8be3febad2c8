"""The learner's path in a real browser: from the home page through every module and lesson
by "Next" links alone, flashcard decks with no visible giveaway, a notes box on every module
page, and the Lesson 2 exercise's solution folded.

Pages, decks and modules come from the built site's own navigation and course data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def course(site_dir) -> dict:
    return json.loads((site_dir / "assets" / "course-data.json").read_text())


@pytest.fixture
def page(browser, site_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.base = site_server
    yield page
    context.close()
    assert not page.problems, page.problems


def nav_pages() -> list[str]:
    """Every page of mkdocs.yml's nav, in order, as site URL paths."""

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                yield from walk(value)
            else:
                yield value

    text = (ROOT / "mkdocs.yml").read_text()
    nav = yaml.safe_load(text[text.index("\nnav:") :])["nav"]
    paths = []
    for source in walk(nav):
        stem = re.sub(r"\.(md|ipynb)$", "", source)
        paths.append("/" if stem == "index" else f"/{stem}/")
    return paths


def module_path(module: dict) -> str:
    return "/" + module["page"].removesuffix(".md") + "/"


def test_next_links_lead_from_home_through_every_module_and_lesson(page):
    expected = nav_pages()
    modules_and_lessons = [p for p in expected if p.startswith(("/modules/", "/lessons/"))]
    visited = []
    page.goto(page.base + "/", wait_until="domcontentloaded")
    for _ in range(len(expected) + 1):
        visited.append(page.url.removeprefix(page.base))
        following = page.locator("a.md-footer__link--next")
        if not following.count():
            break
        following.first.click()
        page.wait_for_load_state("domcontentloaded")
    reached = [p for p in visited if p in modules_and_lessons]
    assert reached == modules_and_lessons, (visited, modules_and_lessons)


def test_the_primer_comes_right_after_home(page):
    page.goto(page.base + "/", wait_until="domcontentloaded")
    target = page.locator("a.md-footer__link--next").first.get_attribute("href")
    assert "m0_jax_primer" in target


def test_every_deck_is_on_its_module_page_with_no_visible_giveaway(page, course):
    assert {d["module"] for d in course["flashcards"]} >= {"module-3", "module-4"}
    for deck in course["flashcards"]:
        module = next(m for m in course["modules"] if m["id"] == deck["module"])
        page.goto(page.base + module_path(module), wait_until="networkidle")
        page.wait_for_selector(".course-card")
        assert f"of {len(deck['cards'])}" in page.locator(".course-flashcards").inner_text()
        for card in deck["cards"][1:]:  # the deck shows one card; the rest must stay hidden
            hits = page.get_by_text(card["definition"][:40])
            visible = [hits.nth(i).is_visible() for i in range(hits.count())]
            assert not any(visible), f"{module['id']}: {card['term']!r} is given away"
        lists = page.locator(".md-content dl")  # a glossary: only inside a folded block
        assert lists.count() and not any(lists.nth(i).is_visible() for i in range(lists.count()))
        folded = page.locator("details", has_text="All terms")
        assert folded.count() == 1 and folded.get_attribute("open") is None


def test_every_module_page_has_a_notes_box(page, course):
    for module in course["modules"]:
        page.goto(page.base + module_path(module), wait_until="networkidle")
        page.wait_for_selector(".course-notes textarea")


def test_lesson_2_folds_the_solution_and_shows_the_check(page):
    page.goto(page.base + "/lessons/m2_inside_the_cell/", wait_until="domcontentloaded")
    solution = page.locator("details", has_text="def lstm_step")
    assert solution.count() == 1 and not solution.locator("pre").first.is_visible()
    code_cells = page.locator(".jp-CodeCell .jp-InputArea")
    assert not any(
        "def lstm_step" in code_cells.nth(i).inner_text() for i in range(code_cells.count())
    ), "the solution cell's input should be removed from the page"
    assert page.get_by_text("correct", exact=True).count() >= 1
