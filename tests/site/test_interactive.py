"""The interactive layer in a real browser: quiz, flashcards, notes, checklists, export and
import, bad stored data, no storage at all, and the road to "course complete".

Answers come from the built site's own assets/course-data.json (made from docs/data/*.yml),
so these tests follow the course data instead of copying it.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

KEY = "finlstm-course:v1"


@pytest.fixture(scope="module")
def course(site_dir) -> dict:
    return json.loads((site_dir / "assets" / "course-data.json").read_text())


@pytest.fixture
def page(browser, site_server, request):
    scheme = getattr(request, "param", "light")
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.problems = []
    page.warnings = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            (page.problems if m.type == "error" else page.warnings).append(m.text)
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.base = site_server
    yield page
    context.close()
    assert not page.problems, page.problems


def open_page(page, path: str) -> None:
    page.goto(page.base + path, wait_until="networkidle")
    page.wait_for_selector(".course-xp-badge")


def xp(page) -> int:
    return int(page.locator(".course-xp-badge").inner_text().split()[0])


def module_page(course: dict, module_id: str) -> str:
    module = next(m for m in course["modules"] if m["id"] == module_id)
    return "/" + module["page"].removesuffix(".md") + "/"


CHECKBOXES = ".admonition.example .task-list-item input[type=checkbox]"


def tick(page, index: int) -> None:
    """Tick one self-check box from the keyboard (Tab to it, Space), as a reader can."""
    box = page.locator(CHECKBOXES).nth(index)
    if not box.is_checked():
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked()


def answer_quiz(page, course: dict, right: bool) -> None:
    for question in course["quiz"]["questions"]:
        choice = (
            question["answer"] if right else (question["answer"] + 1) % len(question["choices"])
        )
        block = page.locator(f'[data-question="{question["id"]}"]')
        block.locator("input[type=radio]").nth(choice).check()
        block.locator(".course-check").click()


@pytest.mark.parametrize("page", ["light", "dark"], indirect=True)
def test_quiz_wrong_then_right_gives_feedback_score_pass_and_xp(page, course, artifacts):
    open_page(page, module_page(course, course["quiz"]["module"]))
    scheme = page.evaluate("document.body.dataset.mdColorScheme")
    first = course["quiz"]["questions"][0]
    answer_quiz(page, course, right=False)
    feedback = page.locator(f'[data-question="{first["id"]}"] .course-feedback')
    assert "course-feedback--wrong" in feedback.get_attribute("class")
    assert first["explanation"][:40] in feedback.inner_text()
    total = len(course["quiz"]["questions"])
    assert page.locator(".course-quiz__score").inner_text().startswith(f"Score: 0 / {total}")
    assert "Not passed yet" in page.locator(".course-quiz__result").inner_text()
    assert xp(page) == 0
    page.screenshot(path=str(artifacts / f"feature-quiz-failed-{scheme}.png"), full_page=True)

    page.locator(".course-retry").click()
    answer_quiz(page, course, right=True)
    assert page.locator(".course-quiz__score").inner_text().startswith(f"Score: {total} / {total}")
    quiz_xp = next(m for m in course["modules"] if m["id"] == course["quiz"]["module"])["xp"][
        "quiz"
    ]
    assert f"+{quiz_xp} XP" in page.locator(".course-quiz__result").inner_text()
    assert xp(page) == quiz_xp
    page.screenshot(path=str(artifacts / f"feature-quiz-passed-{scheme}.png"), full_page=True)

    page.locator(".course-retry").click()  # a second pass earns nothing more
    answer_quiz(page, course, right=True)
    assert "Passed again" in page.locator(".course-quiz__result").inner_text()
    assert xp(page) == quiz_xp


@pytest.mark.parametrize("page", ["light", "dark"], indirect=True)
def test_flashcards_flip_and_step_with_the_keyboard(page, course, artifacts):
    deck = course["flashcards"][0]
    open_page(page, module_page(course, deck["module"]))
    card = page.locator(".course-card")
    card.focus()
    for index, expected in enumerate(deck["cards"]):
        counter = page.locator(".course-card__counter").inner_text()
        assert counter == f"Card {index + 1} of {len(deck['cards'])}"
        assert page.locator(".course-card__text").inner_text() == expected["term"]
        page.keyboard.press("Space")
        assert card.get_attribute("aria-pressed") == "true"
        assert page.locator(".course-card__text").inner_text() == expected["definition"]
        if index == 0:
            scheme = page.evaluate("document.body.dataset.mdColorScheme")
            page.screenshot(path=str(artifacts / f"feature-flashcard-{scheme}.png"))
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert (
        page.locator(".course-card__counter")
        .inner_text()
        .startswith(f"Card {len(deck['cards']) - 1} of")
    )
    module = next(m for m in course["modules"] if m["id"] == deck["module"])
    assert xp(page) == module["xp"]["flashcards"]


def test_note_is_saved_as_typed_and_survives_a_reload(page, course, artifacts):
    open_page(page, module_page(course, "module-1"))
    notes = page.locator(".course-notes textarea")
    notes.fill("The forget gate scales the gradient along the cell state.")
    expect(page.locator(".course-notes .course-saved")).to_have_text("Saved")  # debounced
    page.reload(wait_until="networkidle")
    page.wait_for_selector(".course-notes textarea")
    assert notes.input_value() == "The forget gate scales the gradient along the cell state."
    assert xp(page) == course["modules"][0]["xp"]["notes"]
    page.screenshot(path=str(artifacts / "feature-notes-light.png"), full_page=True)


def test_checklist_ticks_survive_a_reload_and_complete_the_self_check(page, course):
    open_page(page, module_page(course, "module-1"))
    boxes = page.locator(CHECKBOXES)
    assert boxes.count() >= 2
    tick(page, 0)
    page.reload(wait_until="networkidle")
    page.wait_for_selector(".course-xp-badge")
    assert boxes.nth(0).is_checked() and not boxes.nth(1).is_checked()
    assert xp(page) == 0
    for index in range(boxes.count()):
        tick(page, index)
    assert xp(page) == 0  # every box ticked, but the teach-back box is still empty
    page.locator(".admonition.example textarea").fill("The cell state carries memory.")
    assert xp(page) == course["modules"][0]["xp"]["self_check"]


def test_notes_export_then_import_round_trip(page, course, tmp_path):
    open_page(page, module_page(course, "module-2"))
    page.locator(".course-notes textarea").fill("Sigmoid gates keep a fraction in [0, 1].")
    page.locator(".admonition.example textarea").fill("My teach-back about the cell.")
    expect(page.locator(".course-notes .course-saved")).to_have_text("Saved")  # debounced
    with page.expect_download() as download:
        page.get_by_role("button", name="Export all notes (Markdown)").click()
    exported = tmp_path / "notes.md"
    download.value.save_as(exported)
    text = exported.read_text()
    assert "## Module 2 · " in text and "Sigmoid gates keep a fraction" in text
    assert "My teach-back about the cell." in text

    page.evaluate(f"localStorage.removeItem('{KEY}')")
    page.reload(wait_until="networkidle")
    page.wait_for_selector(".course-notes textarea")
    assert page.locator(".course-notes textarea").input_value() == ""
    page.locator(".course-notes input[type=file]").set_input_files(str(exported))
    page.wait_for_selector(".course-announce")
    assert page.locator(".course-notes textarea").input_value() == (
        "Sigmoid gates keep a fraction in [0, 1]."
    )
    assert page.locator(".admonition.example textarea").input_value() == (
        "My teach-back about the cell."
    )


@pytest.mark.parametrize(
    "garbage",
    [
        "{not json",
        '"a string"',
        '{"version": 99}',
        '{"version": 1, "notes": [1, 2], "quiz": "passed"}',
    ],
)
def test_garbage_in_storage_is_reset_with_a_warning(page, course, garbage):
    open_page(page, module_page(course, "module-1"))
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [KEY, garbage])
    page.reload(wait_until="networkidle")
    page.wait_for_selector(".course-notes textarea")
    assert xp(page) == 0
    assert any("finlstm course" in w for w in page.warnings), page.warnings
    page.locator(".course-notes textarea").fill("still works")
    expect(page.locator(".course-notes .course-saved")).to_have_text("Saved")  # debounced


def test_a_script_in_a_stored_note_is_shown_as_text(page, course, artifacts):
    evil = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'
    open_page(page, module_page(course, "module-1"))
    state = {"version": 1, "notes": {"module-1": evil}}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [KEY, json.dumps(state)])
    page.reload(wait_until="networkidle")
    page.wait_for_selector(".course-notes textarea")
    assert page.locator(".course-notes textarea").input_value() == evil
    assert page.evaluate("window.__pwned") is None
    assert page.locator('.md-content img[src="x"]').count() == 0


def test_without_storage_everything_works_and_a_notice_says_so(browser, site_server, course):
    context = browser.new_context()
    # Private browsing with no quota: every write is refused.
    context.add_init_script(
        "Storage.prototype.setItem = function () {"
        " throw new DOMException('quota is 0', 'QuotaExceededError'); };"
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site_server + module_page(course, course["quiz"]["module"]), wait_until="networkidle")
    page.wait_for_selector(".course-storage-notice")
    answer_quiz(page, course, right=True)
    assert xp(page) > 0  # XP still counts for this visit
    assert re.search(r"nothing|gone", page.locator(".course-storage-notice").inner_text())
    context.close()
    assert not errors, errors


@pytest.mark.parametrize("page", ["light", "dark"], indirect=True)
def test_doing_every_module_reaches_course_complete(page, course, artifacts):
    for module in course["modules"]:
        open_page(page, module_page(course, module["id"]))
        xp_kinds = module["xp"]
        if "self_check" in xp_kinds:
            page.locator(".admonition.example textarea").fill(
                f"My explanation of module {module['number']}."
            )
            for index in range(page.locator(CHECKBOXES).count()):
                tick(page, index)
        if "notes" in xp_kinds:
            page.locator(".course-notes textarea").fill(
                f"What I learned in module {module['number']}: enough words to count."
            )
        if "flashcards" in xp_kinds:
            page.locator(".course-card").focus()
            deck = next(d for d in course["flashcards"] if d["module"] == module["id"])
            for _ in deck["cards"]:
                page.keyboard.press("Space")
                page.keyboard.press("ArrowRight")
        if "quiz" in xp_kinds:
            answer_quiz(page, course, right=True)
        earned = page.locator(f'[data-course-module-xp="{module["id"]}"]').inner_text()
        assert earned == f"{sum(xp_kinds.values())} / {sum(xp_kinds.values())} XP", module["id"]
    progress_page = module_page(course, course["modules"][-1]["id"])
    open_page(page, progress_page)
    assert "Course complete" in page.locator(".course-progress").inner_text()
    total = sum(sum(m["xp"].values()) for m in course["modules"])
    assert xp(page) == total
    scheme = page.evaluate("document.body.dataset.mdColorScheme")
    page.locator(".course-progress").screenshot(
        path=str(artifacts / f"feature-progress-{scheme}.png")
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset all progress").click()
    assert xp(page) == 0
