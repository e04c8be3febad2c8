"""The lessons' "Try it" exercises: every lesson has them, their check cells say "correct" for
the solved form CI executes, and the write-the-cell check of Lesson 2 names the gate a broken
`lstm_step` gets wrong.

The exercise cells are read from the lesson sources (cells tagged "exercise-solution" and
"exercise-check"), so these tests follow the lessons instead of copying them.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons_src"
CELL_LESSON = LESSONS / "m2_inside_the_cell.py"
SETUP = "import numpy as np\nimport jax.numpy as jnp\nfrom finlstm import lstm\n"


def lesson_paths() -> list[Path]:
    return sorted(p for p in LESSONS.glob("*.py") if not p.name.startswith("_"))


def cells_tagged(path: Path, tag: str) -> list:
    notebook = jupytext.reads(path.read_text(), fmt="py:percent")
    return [c for c in notebook.cells if tag in c.metadata.get("tags", [])]


def only_cell(path: Path, tag: str) -> str:
    cells = cells_tagged(path, tag)
    assert len(cells) == 1, f"{path.name}: expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0].source


def run_check(solution_source: str) -> str:
    """Define lstm_step from `solution_source`, then return the check's verdict on it."""
    namespace: dict = {}
    exec(SETUP, namespace)
    exec(solution_source.replace('print("lstm_step defined")', ""), namespace)
    check_source = only_cell(CELL_LESSON, "exercise-check")
    exec(check_source.replace("print(check_lstm_step(lstm_step))", ""), namespace)
    return namespace["check_lstm_step"](namespace["lstm_step"])


def test_the_check_says_correct_for_the_solution():
    assert run_check(only_cell(CELL_LESSON, "exercise-solution")) == "correct"


@pytest.mark.parametrize(
    ("right", "wrong", "named"),
    [
        ("i, f, o = sigmoid(z_i), sigmoid(z_f)", "i, f, o = sigmoid(z_f), sigmoid(z_i)", "input"),
        ("sigmoid(z_f), sigmoid(z_o)", "sigmoid(z_f + 1), sigmoid(z_o)", "forget"),
        ("g = np.tanh(z_g)", "g = sigmoid(z_g)", "candidate"),
        ("sigmoid(z_o)\n", "sigmoid(z_g)\n", "output"),
        ("c = f * c_prev + i * g", "c = f * c_prev + g", "cell state"),
        ("h = o * np.tanh(c)", "h = o * c", "hidden state"),
        ("[h_prev, x]", "[x, h_prev]", "input gate"),  # W's blocks in the wrong order
    ],
)
def test_the_check_names_what_a_broken_cell_gets_wrong(right, wrong, named):
    solution = only_cell(CELL_LESSON, "exercise-solution")
    assert right in solution, f"the mutation {right!r} no longer matches the solution"
    verdict = run_check(solution.replace(right, wrong, 1))
    assert verdict != "correct"
    assert named in verdict, verdict


def test_the_solution_shown_on_the_page_is_the_one_ci_executes():
    """The collapsed solution in the markdown is the tagged cell's lstm_step, line for line."""
    text = CELL_LESSON.read_text()
    shown = re.search(r"<details><summary>Solution.*?```python\n(.*?)```", text, re.S)
    assert shown, "no collapsed solution in the lesson's markdown"
    shown_code = "\n".join(line.removeprefix("# ") for line in shown.group(1).splitlines())
    executed = only_cell(CELL_LESSON, "exercise-solution")
    assert shown_code.strip() in executed


@pytest.mark.parametrize("path", lesson_paths(), ids=lambda p: p.stem)
def test_every_lesson_ends_with_try_it_tasks_and_a_check(path):
    notebook = jupytext.reads(path.read_text(), fmt="py:percent")
    headings = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and "## Try it" in cell.source
    ]
    assert headings, f"{path.name}: no '## Try it' section"
    tasks = "\n".join(c.source for c in notebook.cells[headings[-1] :] if c.cell_type == "markdown")
    assert len(re.findall(r"Predict\s+first", tasks)) >= 2, path.name
    assert len(re.findall(r"What\s+to\s+look\s+for", tasks)) >= 2, path.name
    assert cells_tagged(path, "exercise-check"), f"{path.name}: no cell tagged exercise-check"


@pytest.mark.slow
def test_every_check_cell_says_correct_when_the_lessons_execute():
    from course_site import lessons

    checked = 0
    for path in lessons.build(log=lambda message: None):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if "exercise-check" not in cell.metadata.get("tags", []):
                continue
            printed = "".join(o.get("text", "") for o in cell.get("outputs", []))
            assert "correct" in printed.splitlines()[-1], f"{path.stem}: {printed!r}"
            assert "not yet" not in printed, f"{path.stem}: {printed!r}"
            checked += 1
    assert checked >= len(lesson_paths())
