"""Executing lessons several at a time: they really run at once, `jobs=1` runs them one by
one, and a failure starts no later lesson but keeps the ones that finished; what a kernel
prints outside its cells goes to a log file, not the terminal."""

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

    def execute(source, kernel_log=None):
        both_running.wait()
        return nbformat.v4.new_notebook(), 0.0

    monkeypatch.setattr(lessons, "execute_timed", execute)
    written = lessons.build(log=lambda message: None, project=project, jobs=2)
    assert [path.stem for path in written] == NAMES  # published in course order
    assert len(list(project.cache.glob("*.ipynb"))) == len(NAMES)


def test_lines_logged_by_lessons_running_at_once_never_overlap(project, monkeypatch):
    """print writes a line and its newline apart: two lessons logging at once without a
    lock ran "executing m1_a.py ...executing m2_b.py ..." together on one line."""
    inside, overlapped = [0], []

    def slow_log(message):
        inside[0] += 1
        overlapped.append(inside[0] > 1)
        time.sleep(0.05)
        inside[0] -= 1

    def execute(source, kernel_log=None):
        return nbformat.v4.new_notebook(), 0.0

    monkeypatch.setattr(lessons, "execute_timed", execute)
    lessons.build(log=slow_log, project=project, jobs=2)
    assert len(overlapped) == 2 * len(NAMES) + 1 and not any(overlapped)


def test_one_job_runs_one_lesson_at_a_time(project, monkeypatch):
    running, most, lock = [0], [0], threading.Lock()

    def execute(source, kernel_log=None):
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

    def execute(source, kernel_log=None):
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


def test_a_kernels_own_output_goes_to_its_log_not_the_terminal(tmp_path, capfd):
    """ipykernel logs to its process's stderr (a warning about TCP, a KeyboardInterrupt when
    jupyter_client interrupts it on shutdown): noise a reader of `make lessons` takes for
    an error. The cell's own print still reaches the notebook."""
    project = lessons.Project.at(tmp_path)
    project.sources.mkdir()
    (project.sources / "m1_noise.py").write_text(
        "# %%\nimport os, time\nos.write(2, b'straight to fd 2\\n')\ntime.sleep(0.5)\n"
        "print('in the notebook')\n"
    )
    capfd.readouterr()
    (written,) = lessons.build(log=lambda message: None, project=project, jobs=1)
    terminal = capfd.readouterr()
    assert "straight to fd 2" not in terminal.out + terminal.err
    assert "straight to fd 2" in (project.cache / "m1_noise.log").read_text()
    assert "in the notebook" in written.read_text()


def test_a_dead_kernel_is_reported_with_the_end_of_its_log(tmp_path):
    project = lessons.Project.at(tmp_path)
    project.sources.mkdir()
    (project.sources / "m1_dies.py").write_text(
        "# %%\nx = 1\n\n# %%\nimport os, time\nos.write(2, b'last words\\n')\ntime.sleep(0.5)\n"
        "os._exit(3)\n"
    )
    with pytest.raises(lessons.LessonError) as raised:
        lessons.build(log=lambda message: None, project=project, jobs=1)
    message = str(raised.value)
    assert "lessons_src/m1_dies.py: its kernel died in cell 2 (line 4 of the file)" in message
    assert "os._exit(3)" in message  # the cell's code
    assert "last words" in message and "m1_dies.log" in message
    assert not list(project.cache.glob("*.ipynb")), "nothing cached for the dead lesson"
