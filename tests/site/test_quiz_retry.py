"""The quiz's words after a failed retry: a reader who passed before is told so, not
"Not passed yet"."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def _answer(page, questions: list[dict], right: bool) -> None:
    for question in questions:
        choice = (
            question["answer"] if right else (question["answer"] + 1) % len(question["choices"])
        )
        block = page.locator(f'[data-question="{question["id"]}"]')
        block.locator("input[type=radio]").nth(choice).check()
        block.locator(".course-check").click()


def test_a_failed_retry_after_a_pass_says_the_pass_still_counts(browser, site_server, site_dir):
    course = json.loads((site_dir / "assets" / "course-data.json").read_text())
    quiz = course["quiz"]
    module = next(m for m in course["modules"] if m["id"] == quiz["module"])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site_server + "/" + module["page"].removesuffix(".md") + "/")
        page.wait_for_selector(".course-quiz input")
        _answer(page, quiz["questions"], right=True)
        assert "Passed!" in page.locator(".course-quiz__result").inner_text()
        page.locator(".course-retry").click()
        _answer(page, quiz["questions"], right=False)
        result = page.locator(".course-quiz__result").inner_text()
        assert "Not passed this time" in result and "Not passed yet" not in result
        assert "earlier try" in result
    finally:
        context.close()
