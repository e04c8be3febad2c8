"""The lesson cache: a change to the library's docstrings or comments re-executes no lesson,
a change to its code re-executes every lesson."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_site import lessons

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A checkout in tmp_path with a copy of the real library and two tiny lessons; executing
    a lesson only counts the call (the cache, not the kernel, is under test)."""
    project = lessons.Project.at(tmp_path)
    shutil.copytree(ROOT / "src" / "finlstm", project.library)
    project.lock.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "requirements" / "lock.txt", project.lock)
    project.sources.mkdir()
    for name in ("m1_a", "m2_b"):
        (project.sources / f"{name}.py").write_text(f"# %%\nprint({name!r})\n")
    executed = []

    def fake_execute(source, kernel_log=None):
        executed.append(source.stem)
        return nbformat.v4.new_notebook(), 0.0

    monkeypatch.setattr(lessons, "execute_timed", fake_execute)
    lessons.build(log=lambda message: None, project=project)
    assert sorted(executed) == ["m1_a", "m2_b"]
    executed.clear()
    return project, executed


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_a_docstring_or_comment_change_re_executes_no_lesson(project):
    project, executed = project
    train = project.library / "train.py"
    module_doc = train.read_text().split('"""')[1]
    edit(train, module_doc, "Reworded: what the module does, in other words.")
    edit(train, '    """Initialise the model', '    """Reworded: initialise the model')
    edit(project.library / "lstm.py", "import jax\n", "import jax  # a new comment\n")
    lessons.build(log=lambda message: None, project=project)
    assert executed == []


def test_a_code_change_re_executes_every_lesson(project):
    project, executed = project
    edit(project.library / "train.py", "    epochs: int = 50", "    epochs: int = 51")
    lessons.build(log=lambda message: None, project=project)
    assert sorted(executed) == ["m1_a", "m2_b"]


def test_a_lesson_change_re_executes_that_lesson_only(project):
    project, executed = project
    edit(project.sources / "m2_b.py", "print('m2_b')", "print('m2_b', 2)")
    lessons.build(log=lambda message: None, project=project)
    assert executed == ["m2_b"]
