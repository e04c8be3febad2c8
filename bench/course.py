"""How long the whole course takes to build: every lesson executed from scratch, then a
rebuild of the site with nothing changed (every lesson from the cache).

    python -m bench.course        (also run by `make bench`; --skip-course skips it)

Runs the same commands a reader runs (`python -m course_site.lessons --force`, `mkdocs build
--strict`) in subprocesses, so that the timings include starting Python and the kernels.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed, done.stdout + done.stderr


DONE = re.compile(r"lessons: (\S+)\.py done in ([\d.]+) s(?: \(compile ([\d.]+) s\))?")


def lesson_times(log: str) -> dict[str, float]:
    """Seconds per executed lesson, from the executor's "lessons: NAME.py done in S s" lines."""
    return {name: float(seconds) for name, seconds, _ in DONE.findall(log)}


def compile_times(log: str) -> dict[str, float]:
    """Seconds each executed lesson's kernel spent compiling JAX programs, from the "(compile
    C s)" the executor adds to its "done" lines; lessons without it are left out."""
    return {name: float(compile_s) for name, _, compile_s in DONE.findall(log) if compile_s}


def time_course() -> dict:
    """Seconds for: executing every lesson (cold, --force), and `mkdocs build --strict` with
    every lesson cached. Also the time of each lesson, and of its compiling, from the
    executor's log."""
    cold_s, log = _timed([str(BIN / "python"), "-m", "course_site.lessons", "--force"])
    lessons, compiling = lesson_times(log), compile_times(log)
    with tempfile.TemporaryDirectory() as site:
        rebuild_s, log = _timed([str(BIN / "mkdocs"), "build", "--strict", "-d", site])
    executed_again = re.findall(r"lessons: executing (\S+)", log)
    return {
        "lessons_cold_s": cold_s,
        "lessons": lessons,
        "lessons_compile": compiling,
        "rebuild_unchanged_s": rebuild_s,
        "lessons_executed_in_rebuild": len(executed_again),
    }


if __name__ == "__main__":
    print(json.dumps(time_course(), indent=2))
