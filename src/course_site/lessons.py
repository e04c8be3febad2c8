"""Execute the lessons (lessons_src/*.py, jupytext percent format) into docs/lessons/*.ipynb.

Used by the MkDocs hook docs/hooks/lessons.py (before every build), by
`python -m course_site.lessons [lesson names...] [--force]` (`make lessons`), by the tests
and by the benchmark.

A lesson is cached under .cache/lessons/ by a hash of its own text, the library's code
(src/finlstm/, as syntax trees without docstrings, so a change of wording or comments
re-executes nothing) and requirements/lock.txt; an unchanged lesson is not re-run and a
change of the library's code re-runs them all. A lesson that fails stops the build with its
file, the failing cell and its line in the .py file, and the error.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PROJECT",
    "LessonError",
    "Project",
    "build",
    "default_jobs",
    "execute",
    "execute_timed",
    "lesson_sources",
    "library_fingerprint",
    "main",
]

CELL_TIMEOUT_S = 900


@dataclass(frozen=True)
class Project:
    """Where a checkout of the course keeps its lessons, library, outputs and cache."""

    sources: Path
    library: Path
    lock: Path
    output: Path
    cache: Path

    @classmethod
    def at(cls, root: Path) -> Project:
        """The folders of the checkout at `root`."""
        return cls(
            sources=root / "lessons_src",
            library=root / "src" / "finlstm",
            lock=root / "requirements" / "lock.txt",
            output=root / "docs" / "lessons",
            cache=root / ".cache" / "lessons",
        )


# The checkout this package is installed from (`make install` installs it editable).
PROJECT = Project.at(Path(__file__).resolve().parents[2])


class LessonError(RuntimeError):
    """A lesson failed to execute; the message is written for the lesson's author."""


def lesson_sources(project: Project = PROJECT) -> list[Path]:
    """Every lesson file, in course order (file names start with the module number)."""
    return sorted(p for p in project.sources.glob("*.py") if not p.name.startswith("_"))


def library_fingerprint(project: Project = PROJECT) -> str:
    """Hash of everything a lesson's outputs depend on besides its own text: the code of
    every library file (not its docstrings or comments) and the pinned versions."""
    digest = hashlib.sha256()
    for path in [*sorted(project.library.rglob("*.py")), project.lock]:
        if path.exists():
            digest.update(path.name.encode())
            text = path.read_bytes()
            digest.update(_code_only(text) if path.suffix == ".py" else text)
    return digest.hexdigest()


def _code_only(source: bytes) -> bytes:
    """The syntax tree of a Python file without its docstrings, as bytes; the tree has no
    comments, so two files that differ only in docstrings or comments give the same bytes."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


def cache_key(source: Path, fingerprint: str) -> str:
    return hashlib.sha256(source.read_bytes() + fingerprint.encode()).hexdigest()[:20]


def _cell_line(source: Path, cell_index: int) -> int:
    """1-based line in the .py file where notebook cell `cell_index` starts."""
    import jupytext

    lines = source.read_text().splitlines()
    markers = [i + 1 for i, line in enumerate(lines) if line.startswith("# %%")]
    notebook = jupytext.reads(source.read_text(), fmt="py:percent")
    # Cells before the first marker (a leading header) shift the count by one.
    offset = len(notebook.cells) - len(markers)
    position = cell_index - offset
    return markers[position] if 0 <= position < len(markers) else 1


# The flags `finlstm.devices.use_cpu_cores` sets. A lesson asks for its own devices in its
# first cell, so the kernel must not inherit the builder's (pytest's, say) choice.
DEVICE_FLAGS = (
    "xla_force_host_platform_device_count",
    "xla_cpu_enable_concurrency_optimized_scheduler",
)


def kernel_environment(environ: dict[str, str]) -> dict[str, str]:
    """`environ` for a lesson's kernel: XLA_FLAGS without the device flags of DEVICE_FLAGS,
    as in a reader's fresh notebook; every other variable and flag kept."""
    env = dict(environ)
    flags = [
        flag
        for flag in env.get("XLA_FLAGS", "").split()
        if not any(flag.lstrip("-").startswith(name) for name in DEVICE_FLAGS)
    ]
    if flags:
        env["XLA_FLAGS"] = " ".join(flags)
    else:
        env.pop("XLA_FLAGS", None)
    return env


def execute(source: Path, kernel_log: Path | None = None):
    """Run one lesson top to bottom in a fresh kernel; return the executed notebook."""
    return execute_timed(source, kernel_log)[0]


# Run in the kernel outside the notebook's cells: nothing is printed or bound to a name
# the lesson could see, and the kernel's execution count does not move.
START_TIMER = "__import__('course_site.compile_timer', fromlist=['start']).start()"
READ_TIMER = "__import__('course_site.compile_timer', fromlist=['seconds']).seconds()"


def execute_timed(source: Path, kernel_log: Path | None = None):
    """Run one lesson top to bottom in a fresh kernel; return (the executed notebook, the
    seconds its kernel spent compiling JAX programs: `course_site.compile_timer`, or None
    where the kernel could not run the timer, which never fails the lesson).

    The timer starts before the first cell and is read after the last code cell, through
    the kernel client, in silent requests that leave no trace in the notebook.

    kernel_log: a file for what the kernel process itself prints (its own log lines, and
    text written straight to its stdout or stderr rather than through a cell's output);
    None leaves them on this process's terminal. A kernel that dies is reported with the
    end of that file.
    """
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata.pop("jupytext", None)
    last_code_cell = max(
        (i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"), default=-1
    )
    compile_s: list[float | None] = [None]  # None: the timer could not start in the kernel

    async def silently(code: str, **requests) -> dict | None:
        reply = await client.async_wait_for_reply(
            client.kc.execute(code, silent=True, store_history=False, **requests)
        )
        ok = reply is not None and reply["content"]["status"] == "ok"
        return reply["content"] if ok else None

    async def start_timer(notebook):
        if await silently(START_TIMER) is not None:
            compile_s[0] = 0.0

    async def read_timer(cell, cell_index, execute_reply):
        if cell_index == last_code_cell and compile_s[0] is not None:
            content = await silently("", user_expressions={"seconds": READ_TIMER})
            value = content and content["user_expressions"]["seconds"]
            ok = value and value.get("status") == "ok"
            compile_s[0] = float(value["data"]["text/plain"]) if ok else None

    running = [None]  # the index of the cell executing now, for a kernel that dies

    def note_running(cell, cell_index):
        running[0] = cell_index

    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,  # no timestamps, so two runs give the same file
        resources={"metadata": {"path": str(source.parent)}},
        on_notebook_start=start_timer,
        on_cell_execute=note_running,
        on_cell_executed=read_timer,
    )
    if kernel_log is not None:
        kernel_log.parent.mkdir(parents=True, exist_ok=True)
    with kernel_log.open("w") if kernel_log else contextlib.nullcontext() as log_file:
        output = {"stdout": log_file, "stderr": log_file} if log_file else {}
        try:
            client.execute(env=kernel_environment(os.environ), **output)
        except (CellExecutionError, CellTimeoutError) as error:
            raise LessonError(_describe_failure(source, notebook, error)) from None
        except DeadKernelError as error:
            raise LessonError(
                _describe_dead_kernel(source, notebook, running[0], error, kernel_log)
            ) from None
    return merge_streams(notebook), compile_s[0]


def merge_streams(notebook):
    """Join consecutive stdout (or stderr) outputs of a cell into one.

    How a cell's printed text is split into messages depends on timing inside the kernel
    (a DataFrame and the newline after it can arrive apart), so without this two runs that
    print the same text could store it differently.
    """
    for cell in notebook.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                output.get("output_type") == "stream"
                and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")
            ):
                previous["text"] += output["text"]
            else:
                merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged
    return notebook


def _describe_dead_kernel(source: Path, notebook, index, error: Exception, kernel_log) -> str:
    """The message for a kernel that died while cell `index` ran (None: before any cell)."""
    where = source.relative_to(source.parents[1])  # lessons_src/NAME.py
    if index is None:
        message = f"lesson {where}: its kernel died ({str(error).strip()[-300:]})"
    else:
        message = f"lesson {where}: its kernel died in {_cell_and_code(source, notebook, index)}"
    if kernel_log is not None:
        tail = kernel_log.read_text(errors="replace").strip().splitlines()[-15:]
        message += f"\nthe kernel's own output ({kernel_log}), last lines:\n{_indented(tail)}"
    return message


def _describe_failure(source: Path, notebook, error: Exception) -> str:
    where = source.relative_to(source.parents[1])  # lessons_src/NAME.py
    failed = next(
        (
            (index, cell)
            for index, cell in enumerate(notebook.cells)
            if any(out.get("output_type") == "error" for out in cell.get("outputs", []))
        ),
        None,
    )
    if failed is None:  # a timeout leaves no error output
        return f"lesson {where} failed: {str(error).strip()[-800:]}"
    index, cell = failed
    output = next(out for out in cell.outputs if out.output_type == "error")
    return (
        f"lesson {where} failed in {_cell_and_code(source, notebook, index)}\n"
        f"{output.ename}: {output.evalue}"
    )


def _cell_and_code(source: Path, notebook, index: int) -> str:
    """'cell N (line L of the file):' and the cell's first 15 lines, indented."""
    code = _indented(notebook.cells[index].source.splitlines()[:15])
    return f"cell {index + 1} (line {_cell_line(source, index)} of the file):\n{code}"


def _indented(lines: list[str]) -> str:
    return "\n".join("    " + line for line in lines)


def default_jobs() -> int:
    """How many lessons to execute at once: one per CPU core this process may use, at most
    four (each kernel holds its own JAX runtime in memory)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


def build(
    names: list[str] | None = None,
    force: bool = False,
    log=print,
    project: Project = PROJECT,
    jobs: int | None = None,
) -> list[Path]:
    """Execute (or take from the cache) the lessons, `jobs` at a time (default_jobs()); write
    them to docs/lessons/.

    Lessons are independent processes, and much of a lesson's time is XLA compiling on one
    core, so two lessons at once keep two cores busy. If a lesson fails, none is started
    after it, the ones running finish (and are cached), and the first failure is raised.
    """
    project.output.mkdir(parents=True, exist_ok=True)
    project.cache.mkdir(parents=True, exist_ok=True)
    fingerprint = library_fingerprint(project)
    sources = [s for s in lesson_sources(project) if not names or s.stem in names]
    cached = {
        source: project.cache / f"{source.stem}-{cache_key(source, fingerprint)}.ipynb"
        for source in sources
    }
    stale = [source for source in sources if force or not cached[source].exists()]
    if stale:
        _execute_all(stale, cached, jobs or default_jobs(), log, project)
    written = []
    for source in sources:
        target = project.output / f"{source.stem}.ipynb"
        published = publish(cached[source], source, project)
        if not target.exists() or target.read_text() != published:
            target.write_text(published)
        written.append(target)
    return written


def _execute_all(sources, cached, jobs, log, project) -> None:
    """Execute `sources` (in course order, `jobs` at a time) into their `cached` files."""
    import nbformat

    failed, one_line_at_a_time = threading.Event(), threading.Lock()

    def say(message: str) -> None:  # lines from two lessons never run into each other
        with one_line_at_a_time:
            log(message)

    def run(source: Path) -> None:
        if failed.is_set():
            return  # a lesson has failed: start no other
        started = time.perf_counter()
        say(f"lessons: executing {source.name} ...")
        try:
            notebook, compile_s = execute_timed(source, project.cache / f"{source.stem}.log")
        except BaseException:
            failed.set()
            raise
        partial = cached[source].with_suffix(".partial")
        nbformat.write(notebook, partial)
        partial.replace(cached[source])  # never a half-written cache entry
        compiling = "" if compile_s is None else f" (compile {compile_s:.1f} s)"
        say(f"lessons: {source.name} done in {time.perf_counter() - started:.1f} s{compiling}")
        for old in project.cache.glob(f"{source.stem}-*.ipynb"):
            if old != cached[source]:
                old.unlink()

    started = time.perf_counter()
    jobs = min(jobs, len(sources))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run, source) for source in sources]
    failures = [future.exception() for future in futures if future.exception()]
    if failures:
        raise failures[0]  # the first in course order
    log(
        f"lessons: {len(sources)} executed in {time.perf_counter() - started:.1f} s, "
        f"{jobs} at a time"
    )


def publish(cached: Path, source: Path, project: Project = PROJECT) -> str:
    """The executed notebook as published: its prose's fact placeholders filled (finlstm.facts)."""
    import nbformat

    from finlstm import facts

    name = str(source.relative_to(project.sources.parent))
    try:
        notebook = facts.publish(nbformat.read(cached, as_version=4), name)
    except facts.FactError as error:
        raise LessonError(str(error)) from None
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str] | None = None) -> None:
    """`python -m course_site.lessons [lesson names...] [--force] [--jobs N]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_site.lessons")
    parser.add_argument("names", nargs="*", help="lessons to execute (default: all)")
    parser.add_argument("--force", action="store_true", help="ignore the cache")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="lessons executed at once (default: CPU cores, at most 4)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        build(args.names or None, force=args.force, jobs=args.jobs)
    except LessonError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
