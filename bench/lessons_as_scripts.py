"""Run every lesson as a plain Python script on whatever JAX finds (CPU or GPU), and time it.

    python -m bench.lessons_as_scripts [--out results.json] [--log lessons.log] [NAME ...]

The site executes lessons as notebooks (course_site.lessons, which needs Jupyter). A
lesson file is also a valid Python script (jupytext's percent format keeps prose in
comments), so on a machine without Jupyter, a GPU machine for instance, this runs each one
in a fresh process and reports its time, exit status and the JAX backend it ran on. It
checks that the lessons run there; the numbers they print may differ from the site's in
the last digits, since a GPU sums in a different order.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from course_site.lessons import PROJECT, lesson_sources  # needs only the standard library

ROOT = Path(__file__).resolve().parents[1]

# Runs the lesson as __main__, then reports the backend its JAX computations used.
RUNNER = (
    "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__'); import jax; "
    "print('jax backend:', jax.default_backend(), jax.devices()[0].device_kind)"
)


def lesson_files(names: list[str]) -> list[Path]:
    """The lessons to run: the given names (with or without .py), or every lesson."""
    if not names:
        return lesson_sources()
    files = [PROJECT.sources / (name if name.endswith(".py") else f"{name}.py") for name in names]
    missing = [str(f.relative_to(ROOT)) for f in files if not f.exists()]
    if missing:
        sys.exit(f"error: no such lesson: {', '.join(missing)}")
    return files


def run_lesson(path: Path, timeout_s: float) -> dict:
    """Run one lesson in a fresh Python; seconds, exit status, backend and full output."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        status, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as error:
        status, output = "timeout", f"{error.stdout or ''}{error.stderr or ''}"
        output = output.decode() if isinstance(output, bytes) else output
    seconds = time.perf_counter() - start
    backend = next(
        (line.split(":", 1)[1].strip() for line in output.splitlines() if "jax backend:" in line),
        None,
    )
    return {"seconds": seconds, "status": status, "backend": backend, "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="lessons to run (default: all)")
    parser.add_argument("--out", type=Path, help="write the timings as JSON here")
    parser.add_argument("--log", type=Path, help="write every lesson's output here")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per lesson")
    args = parser.parse_args()
    results, failed = {}, 0
    log = args.log.open("w") if args.log else None
    for path in lesson_files(args.names):
        result = run_lesson(path, args.timeout)
        ok = result["status"] == 0
        failed += not ok
        print(
            f"{path.stem:<24}{result['seconds']:>7.1f} s  "
            f"{'ok' if ok else 'FAILED (' + str(result['status']) + ')'}  {result['backend']}",
            flush=True,
        )
        if not ok:
            print(result["output"][-3000:], flush=True)
        if log:
            log.write(f"===== {path.name}: {result['status']} =====\n{result['output']}\n")
            log.flush()
        results[path.stem] = {k: v for k, v in result.items() if k != "output"}
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    total = sum(r["seconds"] for r in results.values())
    print(f"{len(results)} lessons in {total:.0f} s, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
