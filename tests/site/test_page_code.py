"""Every Python block a reader can copy from a page either comes from a tested library file
(a pymdownx snippet include) or is run here."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize(
    ("page", "line", "code"), RUNNABLE, ids=[f"{p}:{n}" for p, n, _ in RUNNABLE]
)
def test_page_python_block_runs(page, line, code):
    namespace: dict = {"__name__": "__page__"}
    try:
        exec(compile(code, f"{page}:{line}", "exec"), namespace)
    except Exception as error:  # report the page and line, not this test's frame
        pytest.fail(f"{page}, block at line {line} raised {type(error).__name__}: {error}")


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
