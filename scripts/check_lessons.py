"""Check lesson sources before a commit: each lessons_src/*.py parses as a jupytext percent
notebook, opens with a markdown title cell, has code, and is listed in mkdocs.yml's nav.

    python scripts/check_lessons.py [files...]   (default: every lesson)

Exit status 1 with one line per problem, naming the file (and line where there is one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]


def problems_in(path: Path, nav_text: str) -> list[str]:
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    try:
        text = path.read_text()
        notebook = jupytext.reads(text, fmt="py:percent")
    except Exception as error:  # jupytext raises many kinds; report them all the same way
        return [f"{name}: does not parse as a jupytext percent notebook: {error}"]
    found = []
    if "# %%" not in text:
        found.append(f"{name}:1: no '# %%' cell markers; write the lesson in percent format")
    cells = notebook.cells
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.startswith("# "):
        found.append(f"{name}: the first cell must be markdown starting with '# <title>'")
    if not any(cell.cell_type == "code" for cell in cells):
        found.append(f"{name}: has no code cell")
    if f"lessons/{path.stem}.ipynb" not in nav_text:
        found.append(
            f"{name}: not in mkdocs.yml's nav; add it with scripts/new_lesson.py or by hand "
            f"as lessons/{path.stem}.ipynb"
        )
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted((ROOT / "lessons_src").glob("*.py"))
    paths = [p for p in paths if p.suffix == ".py" and not p.name.startswith("_")]
    nav_text = (ROOT / "mkdocs.yml").read_text()
    problems = [line for path in paths for line in problems_in(path, nav_text)]
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"ok: {len(paths)} lesson(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
