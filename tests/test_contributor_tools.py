"""The contributor's tools: new_lesson, check_lessons, the launch links, publish_notebooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_site import launch
from scripts import check_lessons, new_lesson, publish_notebooks

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what new_lesson touches: mkdocs.yml and the lesson template."""
    (tmp_path / "lessons_src").mkdir()
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copy(ROOT / "lessons_src" / "_template.py", tmp_path / "lessons_src")
    return tmp_path


def test_new_lesson_writes_the_template_and_adds_it_under_its_module(project, monkeypatch):
    path = new_lesson.create("m4_my_topic", "My topic, measured", 4, root=project)
    assert path.read_text().splitlines()[13] == "# # My topic, measured"
    nav = (project / "mkdocs.yml").read_text()
    entry = '      - "Lesson: My topic, measured": lessons/m4_my_topic.ipynb\n'
    assert entry in nav
    # It lands inside module 4's section, after its existing lessons, before module 5.
    assert nav.index("lessons/m4_regime.ipynb") < nav.index(entry) < nav.index('"5 · ')
    monkeypatch.setattr(check_lessons, "ROOT", project)
    assert check_lessons.problems_in(path, nav) == []


def test_new_lesson_turns_a_single_page_module_into_a_section(project):
    new_lesson.create("m5_extra_practice", "Extra practice", 5, root=project)
    nav = (project / "mkdocs.yml").read_text()
    assert (
        '  - "5 · Knowledge check":\n      - modules/5-quiz.md\n'
        '      - "Lesson: Extra practice": lessons/m5_extra_practice.ipynb\n'
    ) in nav


@pytest.mark.parametrize(
    ("name", "title", "module", "message"),
    [
        ("my_topic", "T", 4, "must look like m<module>_<words>"),
        ("m3_topic", "T", 4, "must start with m4_"),
        ("m4_topic", "", 4, "title must be non-empty"),
        ("m9_topic", "T", 9, "no nav entry for module 9"),
        ("m3_price_model", "T", 3, "already lists lessons/m3_price_model.ipynb"),
    ],
)
def test_new_lesson_refuses_bad_requests_and_writes_nothing(project, name, title, module, message):
    before = (project / "mkdocs.yml").read_text()
    with pytest.raises(new_lesson.NewLessonError, match=message):
        new_lesson.create(name, title, module, root=project)
    assert (project / "mkdocs.yml").read_text() == before
    assert not (project / "lessons_src" / f"{name}.py").exists()


def test_check_lessons_names_the_file_and_the_problem(tmp_path):
    bad = tmp_path / "m4_bad.py"
    bad.write_text("print('no cell markers, no title')\n")
    problems = check_lessons.problems_in(bad, nav_text="")
    text = "\n".join(problems)
    assert "m4_bad.py:1: no '# %%' cell markers" in text
    assert "first cell must be markdown" in text
    assert "not in mkdocs.yml's nav" in text


def test_every_real_lesson_passes_the_check():
    nav = (ROOT / "mkdocs.yml").read_text()
    lessons = [p for p in (ROOT / "lessons_src").glob("*.py") if not p.name.startswith("_")]
    assert lessons
    for path in lessons:
        assert check_lessons.problems_in(path, nav) == [], path.name


def test_launch_links_come_from_repo_url():
    links = launch.launch_links("https://github.com/acme/course/", "m3_price_model")
    assert links["download"] == "m3_price_model.ipynb"
    assert (
        links["source"] == "https://github.com/acme/course/blob/main/lessons_src/m3_price_model.py"
    )
    assert links["colab"] == (
        "https://colab.research.google.com/github/acme/course/blob/notebooks/m3_price_model.ipynb"
    )
    assert links["binder"] == (
        "https://mybinder.org/v2/gh/acme/course/notebooks?labpath=m3_price_model.ipynb"
    )
    with pytest.raises(ValueError, match=r"repo_url must be https://github\.com/<owner>/<name>"):
        launch.github_repo("https://gitlab.com/acme/course")


def test_publish_notebooks_adds_an_install_cell_and_binder_requirements(tmp_path):
    publish = publish_notebooks
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A lesson")])
    nbformat.write(notebook, lessons / "m1_demo.ipynb")
    written = publish.publish(tmp_path / "out", lessons=lessons)
    assert [p.name for p in written] == ["m1_demo.ipynb"]
    cells = nbformat.read(written[0], as_version=4).cells
    assert "%pip install" in cells[1].source and cells[2].source == "# A lesson"
    requirement = (tmp_path / "out" / "requirements.txt").read_text()
    repo = launch.github_repo(
        next(
            line
            for line in (ROOT / "mkdocs.yml").read_text().splitlines()
            if line.startswith("repo_url:")
        ).split()[1]
    )
    assert requirement == f"finlstm[docs] @ git+https://github.com/{repo}@main\n"
    assert requirement.strip() in cells[1].source
