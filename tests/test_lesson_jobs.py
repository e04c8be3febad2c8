"""Executing lessons several at a time: they really run at once, `jobs=1` runs them one by
one, and a failure starts no later lesson but keeps the ones that finished."""

from __future__ import annotations

import threading
import time

import nbformat
import pytest

from course_site import lessons

NAMES = ["m1_a", "m2_b", "m3_c", "m4_d"]


@pytest.fixture
def project(tmp_path):
    """A checkout in tmp_path with four tiny lessons and no library."""
    project = lessons.Project.at(tmp_path)
    project.sources.mkdir()
    for name in NAMES:
        (project.sources / f"{name}.py").write_text(f"# %%\nprint({name!r})\n")
    return project


def test_two_jobs_run_two_lessons_at_the_same_time(project, monkeypatch):
    both_running = threading.Barrier(2, timeout=10)  # breaks unless two lessons meet

    def execute(source):
        both_running.wait()
        return nbformat.v4.new_notebook(), 0.0

    monkeypatch.setattr(lessons, "execute_timed", execute)
    written = lessons.build(log=lambda message: None, project=project, jobs=2)
    assert [path.stem for path in written] == NAMES  # published in course order
    assert len(list(project.cache.glob("*.ipynb"))) == len(NAMES)


def test_one_job_runs_one_lesson_at_a_time(project, monkeypatch):
    running, most, lock = [0], [0], threading.Lock()

    def execute(source):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return nbformat.v4.new_notebook(), 0.0

    monkeypatch.setattr(lessons, "execute_timed", execute)
    lessons.build(log=lambda message: None, project=project, jobs=1)
    assert most[0] == 1


def test_a_failure_starts_no_later_lesson_and_keeps_the_finished_ones(project, monkeypatch):
    executed, failed = [], threading.Event()
    both_started = threading.Barrier(2, timeout=10)

    def execute(source):
        executed.append(source.stem)
        if source.stem in ("m1_a", "m2_b"):
            both_started.wait()
        if source.stem == "m1_a":
            failed.set()
            raise lessons.LessonError("lesson lessons_src/m1_a.py failed in cell 1")
        failed.wait(timeout=10)  # m2_b runs beside m1_a and finishes after it failed
        return nbformat.v4.new_notebook(), 0.0

    monkeypatch.setattr(lessons, "execute_timed", execute)
    with pytest.raises(lessons.LessonError, match=r"m1_a\.py failed in cell 1"):
        lessons.build(log=lambda message: None, project=project, jobs=2)
    assert sorted(executed) == ["m1_a", "m2_b"]
    assert [p.name.split("-")[0] for p in project.cache.glob("*.ipynb")] == ["m2_b"]
    assert not list(project.output.glob("*.ipynb")), "nothing is published after a failure"


def test_the_command_refuses_a_job_count_below_one(capsys):
    with pytest.raises(SystemExit):
        lessons.main(["--jobs", "0"])
    assert "--jobs must be at least 1" in capsys.readouterr().err
