"""A contributor's broken lesson stops the real site build with a message they can act on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "site", "test-artifacts", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def test_mkdocs_build_fails_naming_the_broken_lesson_cell_and_error(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=lambda d, names: [n for n in names if n in SKIP])
    # "m0_" sorts first, so the build reaches it before executing any other lesson.
    (copy / "lessons_src" / "m0_broken.py").write_text(
        "# %% [markdown]\n# # A broken lesson\n\n# %%\nx = 1\n\n# %%\nprint(undefined_name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")],
        cwd=copy,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, "a broken lesson must fail the build"
    assert "lessons_src/m0_broken.py failed in cell 3 (line 7 of the file)" in output
    assert "NameError" in output and "undefined_name" in output
    assert "Traceback" not in output.split("m0_broken.py failed")[0][-2000:]
    assert not (tmp_path / "s" / "index.html").exists(), "nothing half-written"


def test_printed_text_split_into_several_messages_is_stored_as_one():
    """Two runs that print the same text must store the same outputs, however the kernel
    happened to split the text into messages."""
    import nbformat

    from course_site import lessons as from_lessons

    def stream(name, text):
        return nbformat.v4.new_output("stream", name=name, text=text)

    split = [
        stream("stdout", "a table\n"),
        stream("stdout", "\n"),
        stream("stderr", "a warning\n"),
        stream("stdout", "more\n"),
    ]
    cell = nbformat.v4.new_code_cell("print(table)", outputs=split)
    merged = from_lessons.merge_streams(nbformat.v4.new_notebook(cells=[cell]))
    assert merged.cells[0].outputs == [
        stream("stdout", "a table\n\n"),
        stream("stderr", "a warning\n"),
        stream("stdout", "more\n"),
    ]
