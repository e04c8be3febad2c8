"""The course-data hook's HTML (docs/hooks/course_data.py): what course.js fills in later
comes with the page, at its final size, so the page does not move when the script runs."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "course_data", ROOT / "docs" / "hooks" / "course_data.py"
)
course_data = importlib.util.module_from_spec(_spec)
sys.modules["course_data"] = course_data  # its dataclass looks itself up there
_spec.loader.exec_module(course_data)
course_data.on_pre_build(config={})
MODULES = course_data._course["modules"]


def page(src_uri: str) -> SimpleNamespace:
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri))


def content(html: str, src_uri: str) -> str:
    return course_data.on_page_content(html, page=page(src_uri), config={}, files=None)


def test_a_module_page_gets_its_banner_right_under_its_title():
    module = MODULES[3]
    html = content('<h1 id="m">Title</h1>\n<p>First.</p>', module["page"])
    banner, rest = re.match(
        r"<h1.*?</h1>(<p class=\"course-banner\".*?</p>)(.*)", html, flags=re.DOTALL
    ).groups()
    assert f"Module {module['number']} of {len(MODULES)}" in banner
    assert f'data-course-module-xp="{module["id"]}"' in banner
    assert "data-search-exclude" in banner  # "Module 4 of 6" is not what a search is for
    assert rest == "\n<p>First.</p>" + course_data.notes_section(module)


def test_other_pages_are_left_as_they_are():
    html = '<h1 id="l">Library</h1><p>Text.</p>'
    assert content(html, "library.md") == html


def test_a_module_page_without_a_title_is_named():
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match=re.escape(MODULES[0]["page"]) + ".*# title"):
        content("<p>No title.</p>", MODULES[0]["page"])


def test_the_progress_box_comes_with_a_bar_per_module_for_the_script_to_fill():
    html = content('<h2>Your progress</h2>\n<div class="course-progress"></div>', "x.md")
    possible = [sum(m["xp"].values()) for m in MODULES]
    assert f'Total: <span class="course-progress__earned">…</span> of {sum(possible)} XP' in html
    bars = re.findall(r'<li class="course-bar" data-course-bar="([^"]+)">(.*?)</li>', html)
    assert [module_id for module_id, _ in bars] == [m["id"] for m in MODULES]
    for (_, bar), module, xp in zip(bars, MODULES, possible, strict=True):
        assert f"{module['number']} · {module['title']}" in bar
        assert f'style="width: {100 * xp / max(possible):.1f}%"' in bar  # the track
        assert f'<span class="course-bar__earned">…</span> / {xp} XP' in bar
    assert "<button" in html and "disabled" in html  # until course.js wires it
    assert '<div class="course-progress"></div>' not in html


def test_a_module_title_is_escaped_in_the_progress_box():
    module = {**MODULES[0], "title": "Gates <b> & cells"}
    html = course_data.progress_html([module])
    assert "Gates &lt;b&gt; &amp; cells" in html and "<b>" not in html


FEYNMAN = (
    '<div class="admonition example">\n<p class="admonition-title">Feynman teach-back</p>\n'
    '<p>Explain it.</p>\n<ul class="task-list">\n<li>I said it.</li>\n</ul>\n</div>'
)


def test_the_feynman_block_gets_its_box_before_its_checklist():
    module = MODULES[1]
    html = content(f'<h1 id="m">Title</h1>\n{FEYNMAN}', module["page"])
    found = re.search(r'<p>Explain it.</p>\n(<div class="course-textarea">.*?</div>\n)<ul', html)
    box = found.group(1)
    assert f'for="course-feynman-{module["id"]}"' in box
    assert f'<textarea id="course-feynman-{module["id"]}" rows="5" disabled>' in box
    assert "the checklist earns XP once this box has text" in box


def test_a_feynman_block_without_a_checklist_is_named():
    from mkdocs.exceptions import PluginError

    block = FEYNMAN.replace('<ul class="task-list">\n<li>I said it.</li>\n</ul>\n', "")
    with pytest.raises(PluginError, match=r"Feynman block .* needs a checklist"):
        content(f'<h1 id="m">Title</h1>\n{block}\n<ul class="task-list"></ul>', MODULES[1]["page"])


def test_a_module_page_ends_with_its_notes_section():
    """The notes section (heading, box, export and import buttons) comes with the page, after
    everything else on it, disabled until course.js wires it."""
    module = MODULES[2]
    assert module["xp"].get("notes"), "the test needs a module that gives XP for notes"
    html = content(
        '<h1 id="m">Title</h1>\n<h2 id="references">References</h2>\n<p>R.</p>', module["page"]
    )
    section = re.search(r'<p>R.</p>(<section class="course-notes".*</section>)\n$', html, re.DOTALL)
    assert section, html[-600:]
    notes = section.group(1)
    assert f"<h2>My notes · Module {module['number']}</h2>" in notes
    assert f'<textarea id="course-notes-{module["id"]}" rows="5" disabled>' in notes
    assert notes.count("disabled>") == 3  # the box and both buttons
    assert '<input type="file"' in notes and "data-search-exclude" in notes


def test_a_module_without_notes_xp_gets_no_notes_section(monkeypatch):
    module = MODULES[2]
    monkeypatch.setitem(module["xp"], "notes", 0)
    assert "course-notes" not in content('<h1 id="m">Title</h1>\n<p>R.</p>', module["page"])
