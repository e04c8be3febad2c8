"""Saved progress in a real browser when storage misbehaves: an unreadable stored value is
kept and offered back, a save over the quota is retried and reported, typing does not save
on every keystroke, and with site data blocked the theme's toggle and search still work.

Storage failures are made with an init script that replaces localStorage's methods (or the
property itself) before any of the page's scripts run, as a browser that refuses them would.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

KEY = "finlstm-course:v1"
BACKUP_PREFIX = KEY + ":unreadable:"
NOTES = ".course-notes textarea"
SAVED = ".course-notes .course-saved"


@pytest.fixture(scope="module")
def course(site_dir) -> dict:
    return json.loads((site_dir / "assets" / "course-data.json").read_text())


@pytest.fixture
def open_browser(browser, site_server):
    """open_browser(init_script=None) -> a page whose scripts ran after init_script; any
    uncaught error or console error fails the test."""
    contexts, problems = [], []

    def start(init_script: str | None = None):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.base = site_server
        return page

    yield start
    for context in contexts:
        context.close()
    assert not problems, problems


def module_one(page, course) -> None:
    module = course["modules"][0]
    page.goto(page.base + "/" + module["page"].removesuffix(".md") + "/", wait_until="networkidle")
    page.wait_for_selector(NOTES)


def stored(page, key: str = KEY):
    return page.evaluate("key => localStorage.getItem(key)", key)


def backup_keys(page) -> list[str]:
    return page.evaluate(
        "prefix => Object.keys(localStorage).filter(k => k.startsWith(prefix))", BACKUP_PREFIX
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"version": 1, "notes": {"module-1": "my long no', "not valid JSON"),
        ('{"version": 1, "notes": [1, 2], "feynman": {"module-1": "kept"}}', "notes"),
    ],
)
def test_an_unreadable_value_is_kept_shown_and_offered_for_download(
    open_browser, course, tmp_path, raw, problem
):
    page = open_browser()
    module_one(page, course)
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [KEY, raw])
    page.reload(wait_until="networkidle")
    notice = page.locator(".course-backup-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("could not be read")
    expect(notice).to_contain_text(problem)
    [backup] = backup_keys(page)
    assert stored(page, backup) == raw
    with page.expect_download() as download:
        notice.get_by_role("link", name="Download the saved value").click()
    saved = tmp_path / "backup.json"
    download.value.save_as(saved)
    assert saved.read_text() == raw
    # The page starts afresh beside the copy: new work saves, the copy stays.
    page.locator(NOTES).fill("a fresh note")
    expect(page.locator(SAVED)).to_have_text("Saved")
    assert json.loads(stored(page))["notes"]["module-1"] == "a fresh note"
    assert stored(page, backup) == raw
    page.reload(wait_until="networkidle")
    expect(page.locator(".course-backup-notice")).to_contain_text("earlier visit")


def test_an_unreadable_value_without_room_for_a_copy_is_left_untouched(open_browser, course):
    raw = "{not json, but the learner's only copy"
    # Room for nothing longer than the probe: the copy cannot be written.
    page = open_browser(
        "const setItem = Storage.prototype.setItem;"
        "Storage.prototype.setItem = function (key, value) {"
        "  if (String(value).length > 1 && !window.__seeding) {"
        "    throw new DOMException('full', 'QuotaExceededError'); }"
        "  return setItem.call(this, key, value); };"
    )
    module_one(page, course)
    page.evaluate(
        "([key, value]) => { window.__seeding = true; localStorage.setItem(key, value); }",
        [KEY, raw],
    )
    page.reload(wait_until="networkidle")
    expect(page.locator(".course-backup-notice")).to_contain_text("left untouched")
    page.locator(NOTES).fill("typed during the visit")
    expect(page.locator(SAVED)).to_have_text("Not saved (unreadable progress kept)")
    expect(page.locator(".course-storage-notice")).to_contain_text("1 change(s)")
    assert stored(page) == raw and backup_keys(page) == []


QUOTA_50K = (
    "const setItem = Storage.prototype.setItem;"
    "Storage.prototype.setItem = function (key, value) {"
    "  if (String(value).length > 50000) {"
    "    throw new DOMException('quota exceeded', 'QuotaExceededError'); }"
    "  return setItem.call(this, key, value); };"
)


def test_a_save_over_the_quota_is_reported_then_a_short_note_saves(open_browser, course):
    page = open_browser(QUOTA_50K)
    module_one(page, course)
    page.locator(NOTES).fill("x" * 100_000)
    expect(page.locator(SAVED)).to_have_text("Not saved: storage full")
    notice = page.locator(".course-storage-notice")
    expect(notice).to_contain_text("storage for the site is full")
    expect(notice).to_contain_text("98 KB of progress did not fit")
    expect(notice).to_contain_text("1 change(s) made since")
    assert "private" not in notice.inner_text()

    page.locator(NOTES).fill("Cut back to one line.")
    expect(page.locator(SAVED)).to_have_text("Saved")
    expect(notice).to_have_count(0)
    page.reload(wait_until="networkidle")
    expect(page.locator(NOTES)).to_have_value("Cut back to one line.")


def test_typing_in_a_large_note_saves_once_after_the_typing(open_browser, course):
    page = open_browser(
        "window.__saves = 0;"
        "const setItem = Storage.prototype.setItem;"
        "Storage.prototype.setItem = function (key, value) {"
        f"  if (key === '{KEY}') {{ window.__saves += 1; }}"
        "  return setItem.call(this, key, value); };"
    )
    module_one(page, course)
    notes = page.locator(NOTES)
    notes.fill("n" * 1_000_000)
    expect(page.locator(SAVED)).to_have_text("Saved")
    before = page.evaluate("window.__saves")
    notes.press("End")
    page.keyboard.type(" and twenty more keys")
    expect(page.locator(SAVED)).to_have_text("Saved")
    # One save when the typing stops (two if the browser paused mid-way), not one a key.
    assert page.evaluate("window.__saves") - before <= 2
    assert json.loads(stored(page))["notes"]["module-1"].endswith(" and twenty more keys")


BLOCKED = """
for (const name of ["localStorage", "sessionStorage"]) {
  Object.defineProperty(window, name, {
    configurable: true,
    get() { throw new DOMException("The operation is insecure.", "SecurityError"); },
  });
}
"""


def test_with_site_data_blocked_the_toggle_search_and_course_still_work(open_browser, course):
    page = open_browser(BLOCKED)
    page.goto(page.base + "/", wait_until="networkidle")
    page.wait_for_selector(".course-xp-badge")
    expect(page.locator(".course-storage-notice")).to_contain_text("nothing is kept")

    scheme = page.evaluate("document.body.dataset.mdColorScheme")
    toggle = page.locator("[data-md-component=palette] label:visible")
    expect(toggle).to_have_count(1)
    toggle.click()
    assert page.evaluate("document.body.dataset.mdColorScheme") != scheme

    page.locator(".md-search__input").click()
    page.keyboard.type("forget gate")
    expect(page.locator(".md-search-result__item").first).to_be_visible()
    expect(page.locator(".md-search-result__meta")).not_to_contain_text("Initializing")

    module_one(page, course)
    page.locator(NOTES).fill("kept for this visit only")
    expect(page.locator(SAVED)).to_have_text("Not saved (storage unavailable)")
