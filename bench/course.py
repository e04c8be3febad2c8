"""How long the whole course takes to build: every lesson executed from scratch (one at a
time, for each lesson's own time; then as many at a time as `make lessons` runs, for the
time a reader waits), executed again with the compiled programs on disk, then a rebuild of
the site with nothing changed (every lesson from the cache).

    python -m bench.course [--out STEM]   (also run by `make bench`; --skip-course skips it)

Writes bench/results/course.json and course.md (the table on the "How fast is it?" page).

Runs the same commands a reader runs (`python -m course_site.lessons --force`, `mkdocs build
--strict`) in subprocesses, so that the timings include starting Python and the kernels.
"From scratch" means an empty JAX compilation cache (a temporary FINLSTM_JAX_CACHE), as on
a reader's first build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results"


def _timed(command: list[str], jax_cache: str | None = None) -> tuple[float, str]:
    env = dict(os.environ)
    if jax_cache is not None:
        env["FINLSTM_JAX_CACHE"] = jax_cache
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
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
    """Seconds for: executing every lesson from scratch one at a time (with each lesson's
    time and compiling), then `default_jobs()` at a time, then again with the compiled
    programs kept on disk by that run, and `mkdocs build --strict` with every lesson cached."""
    from course_site.lessons import default_jobs

    execute = [str(BIN / "python"), "-m", "course_site.lessons", "--force"]
    with tempfile.TemporaryDirectory() as jax_cache:
        cold_s, log = _timed([*execute, "--jobs", "1"], jax_cache)
    lessons, compiling = lesson_times(log), compile_times(log)
    jobs = default_jobs()
    with tempfile.TemporaryDirectory() as jax_cache:
        cold_at_once_s, _ = _timed(execute, jax_cache)
        warm_at_once_s, warm_log = _timed(execute, jax_cache)
    with tempfile.TemporaryDirectory() as site:
        rebuild_s, log = _timed([str(BIN / "mkdocs"), "build", "--strict", "-d", site])
    executed_again = re.findall(r"lessons: executing (\S+)", log)
    return {
        "lessons_cold_s": cold_s,
        "lessons": lessons,
        "lessons_compile": compiling,
        "jobs": jobs,
        "lessons_cold_at_once_s": cold_at_once_s,
        "lessons_warm_at_once_s": warm_at_once_s,
        "lessons_warm_compile": compile_times(warm_log),
        "rebuild_unchanged_s": rebuild_s,
        "lessons_executed_in_rebuild": len(executed_again),
    }


def markdown(summary: dict) -> str:
    """The course table with a line naming the machine, as Markdown."""
    from bench.report import course_table

    machine = summary["machine"]
    return "\n".join(
        [
            f"Measured by `python -m bench.course` (part of `make bench`) on {machine['cores']} "
            f"CPU cores ({machine['cpu']}), JAX {machine['jax']}.",
            "",
            *course_table(summary["course"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    from importlib.metadata import version

    from bench.report import course_line

    parser = argparse.ArgumentParser(description="Time the whole course's build.")
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "course", help="STEM of STEM.json and STEM.md"
    )
    args = parser.parse_args(argv)
    summary = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "jax": version("jax"),
        },
        "course": time_course(),
    }
    json_path, md_path = args.out.with_suffix(".json"), args.out.with_suffix(".md")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(summary, indent=2))
    md_path.write_text(markdown(summary))
    print(course_line(summary["course"]))
    print(f"written: {json_path} and {md_path} (docs/performance.md includes {md_path.name})")


if __name__ == "__main__":
    main()
