"""Validate the course data (docs/data/*.yml) and publish it as assets/course-data.json.

The interactive layer (XP, quiz, flashcards, progress) reads that JSON; contributors edit
the YAML. Each module page also gets its banner ("Module 4 of 6" and a place for its XP),
the box of its Feynman block and its notes section here, in the HTML, and the summary page
its progress bars,
so that a page does not move when the script fills them in. A mistake stops the build with
the file, the line and what is wrong: a question with no correct answer or two, an empty
explanation, a duplicate id, an unknown module.

Run alone: `python docs/hooks/course_data.py` validates and prints a summary.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
XP_KINDS = {"self_check", "notes", "flashcards", "quiz"}


class CourseDataError(ValueError):
    """A mistake in the course data; the message starts with file:line."""


@dataclass
class Located:
    """A YAML value with the file and 1-based line it came from."""

    value: object
    file: str
    line: int

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _load_located(path: Path) -> Located:
    """Parse YAML keeping line numbers: mappings and lists become Located trees."""
    try:
        node = yaml.compose(path.read_text(), Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise CourseDataError(f"{path.name}:{line}: not valid YAML ({error})") from None
    if node is None:
        raise CourseDataError(f"{path.name}:1: the file is empty")

    def convert(n) -> Located:
        line = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            return Located({k.value: convert(v) for k, v in n.value}, path.name, line)
        if isinstance(n, yaml.SequenceNode):
            return Located([convert(v) for v in n.value], path.name, line)
        value = yaml.SafeLoader(path.read_text()).construct_object(n)  # typed scalar
        return Located(value, path.name, line)

    return convert(node)


def _field(parent: Located, key: str, kind: type, what: str) -> Located:
    if not isinstance(parent.value, dict) or key not in parent.value:
        raise CourseDataError(f"{parent.where()}: {what} has no '{key}'")
    item = parent.value[key]
    if not isinstance(item.value, kind) or (isinstance(item.value, bool) and kind is not bool):
        raise CourseDataError(
            f"{item.where()}: '{key}' of {what} must be {kind.__name__}, "
            f"got {type(item.value).__name__}"
        )
    if kind is str and not item.value.strip():
        raise CourseDataError(f"{item.where()}: '{key}' of {what} is empty")
    return item


def _unique(items: list[Located], seen: dict[str, Located], label: str) -> None:
    for item in items:
        identifier = _field(item, "id", str, label).value
        if identifier in seen:
            raise CourseDataError(
                f"{item.where()}: duplicate {label} id '{identifier}' "
                f"(first at {seen[identifier].where()})"
            )
        seen[identifier] = item


def validate_modules(root: Located) -> list[dict]:
    modules = _field(root, "modules", list, "course.yml").value
    _unique(modules, {}, "module")
    out = []
    for module in modules:
        xp = _field(module, "xp", dict, f"module {module.value['id'].value}")
        for kind, points in xp.value.items():
            if kind not in XP_KINDS:
                raise CourseDataError(f"{points.where()}: unknown XP kind '{kind}'")
            if not isinstance(points.value, int) or points.value <= 0:
                raise CourseDataError(f"{points.where()}: XP must be a positive whole number")
        out.append(
            {
                "id": module.value["id"].value,
                "number": _field(module, "number", int, "a module").value,
                "title": _field(module, "title", str, "a module").value,
                "page": _field(module, "page", str, "a module").value,
                "xp": {k: v.value for k, v in xp.value.items()},
            }
        )
    return out


def validate_quiz(root: Located, module_ids: set[str]) -> dict:
    quiz = _field(root, "quiz", dict, "quiz.yml")
    module = _field(quiz, "module", str, "the quiz")
    if module.value not in module_ids:
        raise CourseDataError(f"{module.where()}: unknown module '{module.value}'")
    pass_mark = _field(quiz, "pass_mark", float, "the quiz")
    if not 0 < pass_mark.value <= 1:
        raise CourseDataError(f"{pass_mark.where()}: pass_mark must be in (0, 1]")
    questions = _field(quiz, "questions", list, "the quiz").value
    _unique(questions, {}, "question")
    out = []
    for question in questions:
        label = f"question '{question.value['id'].value}'"
        choices = _field(question, "choices", list, label).value
        if len(choices) < 2:
            raise CourseDataError(f"{question.where()}: {label} needs at least two choices")
        correct = [c for c in choices if "correct" in c.value and c.value["correct"].value]
        for choice in choices:
            if "correct" in choice.value and not isinstance(choice.value["correct"].value, bool):
                raise CourseDataError(f"{choice.value['correct'].where()}: 'correct' must be true")
        if not correct:
            raise CourseDataError(f"{question.where()}: {label} has no correct answer")
        if len(correct) > 1:
            raise CourseDataError(
                f"{correct[1].where()}: {label} has {len(correct)} correct answers; a "
                "single-choice question needs exactly one"
            )
        out.append(
            {
                "id": question.value["id"].value,
                "topic": _field(question, "topic", str, label).value,
                "prompt": _field(question, "prompt", str, label).value,
                "choices": [_field(c, "text", str, f"a choice of {label}").value for c in choices],
                "answer": choices.index(correct[0]),
                "explanation": _field(question, "explanation", str, label).value,
            }
        )
    return {
        "id": _field(quiz, "id", str, "the quiz").value,
        "module": module.value,
        "pass_mark": pass_mark.value,
        "questions": out,
    }


def validate_flashcards(root: Located, module_ids: set[str]) -> list[dict]:
    decks = _field(root, "decks", list, "flashcards.yml").value
    out, seen = [], {}
    for deck in decks:
        module = _field(deck, "module", str, "a deck")
        if module.value not in module_ids:
            raise CourseDataError(f"{module.where()}: unknown module '{module.value}'")
        cards = _field(deck, "cards", list, f"deck of {module.value}").value
        _unique(cards, seen, "card")
        out.append(
            {
                "module": module.value,
                "title": _field(deck, "title", str, "a deck").value,
                "cards": [
                    {
                        "id": c.value["id"].value,
                        "term": _field(c, "term", str, "a card").value,
                        "definition": _field(c, "definition", str, "a card").value,
                    }
                    for c in cards
                ],
            }
        )
    return out


def load_course(folder: Path = DATA) -> dict:
    """Read, validate and combine course.yml, quiz.yml and flashcards.yml."""
    modules = validate_modules(_load_located(folder / "course.yml"))
    module_ids = {m["id"] for m in modules}
    return {
        "version": 1,
        "modules": modules,
        "quiz": validate_quiz(_load_located(folder / "quiz.yml"), module_ids),
        "flashcards": validate_flashcards(_load_located(folder / "flashcards.yml"), module_ids),
    }


# ---- MkDocs hook events -------------------------------------------------------------------

_course: dict | None = None


def on_pre_build(config, **kwargs):
    from mkdocs.exceptions import PluginError

    global _course
    try:
        _course = load_course()
    except CourseDataError as error:
        raise PluginError(f"course data: {error}") from None


def banner_html(module: dict, modules: int) -> str:
    """The line under a module page's title: its number, and an empty XP slot that
    course.js fills with what this browser has earned."""
    return (
        '<p class="course-banner" data-search-exclude>'
        f'<span class="course-banner__module">Module {module["number"]} of {modules}</span>'
        '<span class="course-banner__xp"'
        f' data-course-module-xp="{escape(module["id"])}"></span></p>'
    )


PROGRESS_BOX = '<div class="course-progress"></div>'
FEYNMAN_BLOCK, TASK_LIST = '<div class="admonition example">', '<ul class="task-list">'
FEYNMAN_LABEL = (
    "Your explanation (kept with your notes; the checklist earns XP once this box has text)"
)


def feynman_box(module: dict) -> str:
    """The box for the reader's explanation in a module's Feynman block, before its
    checklist; course.js swaps it for one that keeps what is typed."""
    box_id = f"course-feynman-{escape(module['id'])}"
    return (
        '<div class="course-textarea">'
        f'<label class="course-textarea__label" for="{box_id}">{FEYNMAN_LABEL}</label>'
        f'<textarea id="{box_id}" rows="5" disabled></textarea>'
        '<span class="course-saved" aria-live="polite"></span></div>\n'
    )


NOTES_LABEL = "Notes for this module (kept in this browser only)"


def notes_section(module: dict) -> str:
    """The reader's notes at the end of a module page, its box and buttons disabled until
    course.js swaps in a box that keeps what is typed and wires the buttons."""
    box_id = f"course-notes-{escape(module['id'])}"
    return (
        '<section class="course-notes" data-search-exclude>'
        f"<h2>My notes · Module {module['number']}</h2>"
        '<div class="course-textarea">'
        f'<label class="course-textarea__label" for="{box_id}">{NOTES_LABEL}</label>'
        f'<textarea id="{box_id}" rows="5" disabled></textarea>'
        '<span class="course-saved" aria-live="polite"></span></div>'
        '<div class="course-actions">'
        '<button class="md-button" type="button" disabled>Export all notes (Markdown)</button>'
        '<button class="md-button" type="button" disabled>Import notes</button>'
        '<input type="file" accept=".md,text/markdown,text/plain" hidden></div></section>\n'
    )


def with_feynman_box(html: str, module: dict, page_name: str) -> str:
    """html with the box put before the checklist of its Feynman block (the first
    `!!! example`), if it has one."""
    start = html.find(FEYNMAN_BLOCK)
    if start < 0:
        return html
    checklist = html.find(TASK_LIST, start)
    if checklist < 0 or "</div>" in html[start:checklist]:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"{page_name}: the Feynman block (!!! example) needs a checklist")
    return html[:checklist] + feynman_box(module) + html[checklist:]


def progress_html(modules: list[dict]) -> str:
    """The summary page's progress box: the total, one bar per module (its track as long as
    its XP is large next to the largest module's) and the reset button. course.js fills in
    what this browser has earned; until then the numbers read "…" and the bars are empty."""
    possible = [sum(m["xp"].values()) for m in modules]
    rows = "".join(
        f'<li class="course-bar" data-course-bar="{escape(m["id"])}">'
        f'<span class="course-bar__label">{m["number"]} · {escape(m["title"])}</span>'
        f'<span class="course-bar__track" style="width: {100 * xp / max(possible):.1f}%"'
        ' aria-hidden="true"><span class="course-bar__fill"></span></span>'
        f'<span class="course-bar__value"><span class="course-bar__earned">…</span> / {xp} XP'
        "</span></li>"
        for m, xp in zip(modules, possible, strict=True)
    )
    return (
        '<div class="course-progress">'
        '<p class="course-progress__total">Total: <span class="course-progress__earned">…</span>'
        f" of {sum(possible)} XP</p>"
        '<p class="course-complete" hidden>✓ Course complete: every module\'s work is done.</p>'
        f'<ul class="course-bars">{rows}</ul>'
        '<button class="md-button course-reset" type="button" disabled>Reset all progress'
        "</button></div>"
    )


def on_page_content(html, page, config, files, **kwargs):
    html = html.replace(PROGRESS_BOX, progress_html(_course["modules"]))
    module = next((m for m in _course["modules"] if m["page"] == page.file.src_uri), None)
    if module is None:
        return html
    title, closed, rest = html.partition("</h1>")
    if not closed:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"{page.file.src_uri}: a module page needs a '# title' line")
    html = title + closed + banner_html(module, len(_course["modules"])) + rest
    if module["xp"].get("notes"):
        html += notes_section(module)
    return with_feynman_box(html, module, page.file.src_uri)


def on_post_build(config, **kwargs):
    target = Path(config["site_dir"]) / "assets" / "course-data.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(_course, ensure_ascii=False, indent=1))


def on_serve(server, config, builder, **kwargs):
    server.watch(str(DATA))
    return server


if __name__ == "__main__":
    try:
        course = load_course()
    except CourseDataError as error:
        sys.exit(f"error: {error}")
    cards = sum(len(d["cards"]) for d in course["flashcards"])
    print(
        f"ok: {len(course['modules'])} modules, {len(course['quiz']['questions'])} quiz "
        f"questions, {cards} flashcards"
    )
