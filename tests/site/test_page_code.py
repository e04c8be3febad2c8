"""Every Python block a reader can copy from a page runs as pasted: alone, in a fresh
interpreter, with any library excerpt it includes (a pymdownx snippet) expanded in place."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?:python|py)\b[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
SNIPPET = re.compile(r'--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"')


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            body = "\n".join(row[len(match["indent"]) :] for row in match["body"].splitlines())
            blocks.append((page.relative_to(ROOT).as_posix(), line, body))
    return blocks


BLOCKS = _python_blocks()
RUNNABLE = [b for b in BLOCKS if not SNIPPET.search(b[2])]
INCLUDED = [b for b in BLOCKS if SNIPPET.search(b[2])]


def test_pages_have_python_blocks_to_check():
    assert BLOCKS, "no ```python block found under docs/: is the pattern still right?"


def expand(code: str) -> str:
    """The block as a reader copies it from the page: each snippet include replaced by the
    lines it includes (a section between its markers, or the whole file)."""

    def included(match: re.Match) -> str:
        text = (ROOT / match["path"]).read_text()
        if not match["section"]:
            return text
        start = re.search(rf"^.*--8<-- \[start:{match['section']}\].*\n", text, re.M)
        end = re.search(rf"^.*--8<-- \[end:{match['section']}\]", text, re.M)
        return text[start.end() : end.start()]

    return SNIPPET.sub(included, code)


ALONE_TIMEOUT_S = 300


def test_every_block_is_checked():
    """The count of blocks run alone, printed with -s: every block, included or not."""
    print(f"\n{len(BLOCKS)} Python blocks ({len(INCLUDED)} with an include) run alone")
    assert len(RUNNABLE) + len(INCLUDED) == len(BLOCKS)


@pytest.mark.parametrize(("page", "line", "code"), BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_page_python_block_runs_alone_in_a_fresh_interpreter(page, line, code, tmp_path):
    """A reader copies one block, not the page around it: each block, with its includes
    expanded, runs by itself in a new Python process (in an empty folder)."""
    script = tmp_path / "block.py"
    script.write_text(expand(code))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=ALONE_TIMEOUT_S,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no error output)"])[-1]
        pytest.fail(f"{page}, block at line {line}, run alone: {last}")


@pytest.mark.parametrize(
    ("page", "line", "code"), INCLUDED, ids=[f"{p}:{n}" for p, n, _ in INCLUDED]
)
def test_snippet_includes_name_a_real_section(page, line, code):
    for match in SNIPPET.finditer(code):
        source = ROOT / match["path"]
        assert source.is_file(), f"{page}:{line} includes missing file {match['path']}"
        if match["section"]:
            text = source.read_text()
            for marker in ("start", "end"):
                assert f"--8<-- [{marker}:{match['section']}]" in text, (
                    f"{page}:{line}: {match['path']} has no [{marker}:{match['section']}] marker"
                )
