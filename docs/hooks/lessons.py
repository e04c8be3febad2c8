"""Execute the lessons (lessons_src/*.py, jupytext percent format) into docs/lessons/*.ipynb.

Used two ways:
  * as an MkDocs hook (mkdocs.yml `hooks:`): before every build, each lesson whose source or
    library changed is executed; the others come from the cache;
  * as a script: `python docs/hooks/lessons.py [lesson names...]` executes lessons without
    building the site (`--force` ignores the cache).

A lesson is cached under .cache/lessons/ by a hash of its own text, every file of the
library (src/finlstm/) and requirements/lock.txt, so an unchanged lesson is not re-run and
a library change re-runs them all. A lesson that fails stops the build with its file, the
failing cell and its line in the .py file, and the error.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "lessons_src"
LIBRARY = ROOT / "src" / "finlstm"
OUTPUT = ROOT / "docs" / "lessons"
CACHE = ROOT / ".cache" / "lessons"
LOCK = ROOT / "requirements" / "lock.txt"
CELL_TIMEOUT_S = 900


class LessonError(RuntimeError):
    """A lesson failed to execute; the message is written for the lesson's author."""


def lesson_sources() -> list[Path]:
    """Every lesson file, in course order (file names start with the module number)."""
    return sorted(p for p in SOURCES.glob("*.py") if not p.name.startswith("_"))


def library_fingerprint() -> str:
    """Hash of everything a lesson's outputs depend on besides its own text."""
    digest = hashlib.sha256()
    for path in [*sorted(LIBRARY.rglob("*.py")), LOCK]:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


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


def execute(source: Path):
    """Run one lesson top to bottom in a fresh kernel; return the executed notebook."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata.pop("jupytext", None)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,  # no timestamps, so two runs give the same file
        resources={"metadata": {"path": str(SOURCES)}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        raise LessonError(_describe_failure(source, notebook, error)) from None
    return merge_streams(notebook)


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


def _describe_failure(source: Path, notebook, error: Exception) -> str:
    failed = next(
        (
            (index, cell)
            for index, cell in enumerate(notebook.cells)
            if any(out.get("output_type") == "error" for out in cell.get("outputs", []))
        ),
        None,
    )
    if failed is None:  # a timeout leaves no error output
        return f"lesson {source.relative_to(ROOT)} failed: {str(error).strip()[-800:]}"
    index, cell = failed
    output = next(out for out in cell.outputs if out.output_type == "error")
    code = "\n".join("    " + line for line in cell.source.splitlines()[:15])
    return (
        f"lesson {source.relative_to(ROOT)} failed in cell {index + 1} "
        f"(line {_cell_line(source, index)} of the file):\n{code}\n"
        f"{output.ename}: {output.evalue}"
    )


def build(names: list[str] | None = None, force: bool = False, log=print) -> list[Path]:
    """Execute (or take from the cache) the lessons; write them to docs/lessons/."""
    import nbformat

    OUTPUT.mkdir(parents=True, exist_ok=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    fingerprint = library_fingerprint()
    written = []
    for source in lesson_sources():
        if names and source.stem not in names:
            continue
        cached = CACHE / f"{source.stem}-{cache_key(source, fingerprint)}.ipynb"
        if force or not cached.exists():
            started = time.perf_counter()
            log(f"lessons: executing {source.name} ...")
            notebook = execute(source)
            partial = cached.with_suffix(".partial")
            nbformat.write(notebook, partial)
            partial.replace(cached)  # never a half-written cache entry
            log(f"lessons: {source.name} done in {time.perf_counter() - started:.1f} s")
            for stale in CACHE.glob(f"{source.stem}-*.ipynb"):
                if stale != cached:
                    stale.unlink()
        target = OUTPUT / f"{source.stem}.ipynb"
        published = publish(cached, source)
        if not target.exists() or target.read_text() != published:
            target.write_text(published)
        written.append(target)
    return written


def publish(cached: Path, source: Path) -> str:
    """The executed notebook as published: its prose's fact placeholders filled (finlstm.facts)."""
    import nbformat

    from finlstm import facts

    try:
        notebook = facts.publish(nbformat.read(cached, as_version=4), str(source.relative_to(ROOT)))
    except facts.FactError as error:
        raise LessonError(str(error)) from None
    return nbformat.writes(notebook) + "\n"


# ---- MkDocs hook events -------------------------------------------------------------------


def on_pre_build(config, **kwargs):
    import logging

    from mkdocs.exceptions import PluginError

    logger = logging.getLogger("mkdocs.hooks.lessons")
    try:
        build(log=logger.info)
    except LessonError as error:
        raise PluginError(str(error)) from None


def on_serve(server, config, builder, **kwargs):
    server.watch(str(SOURCES))
    server.watch(str(LIBRARY))
    return server


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    try:
        build(args or None, force="--force" in sys.argv)
    except LessonError as error:
        sys.exit(f"error: {error}")
