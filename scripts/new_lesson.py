"""Create a lesson from lessons_src/_template.py and add it to the site's navigation.

    python scripts/new_lesson.py m4_my_topic "A title for the reader" --module 4

(or `make new-lesson NAME=m4_my_topic TITLE="A title" MODULE=4`). The lesson's page
appears under its module in mkdocs.yml's nav as "Lesson: <title>". Nothing is written if
the name is taken, malformed, or the module's nav entry cannot be found.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^m\d+_[a-z0-9_]+$")


class NewLessonError(ValueError):
    """The lesson cannot be created; the message says why."""


def add_to_nav(mkdocs_text: str, module: int, title: str, name: str) -> str:
    """Return mkdocs.yml's text with the lesson added after the module's last nav line.

    The module's entry is the top-level nav item whose label starts with "<module> · ". A
    single-page entry ("5 · Title": page.md) becomes a section holding the page and the
    lesson.
    """
    lines = mkdocs_text.splitlines(keepends=True)
    label = re.compile(rf'^  - "{module} · [^"]*":(.*)$')
    start = next((i for i, line in enumerate(lines) if label.match(line.rstrip("\n"))), None)
    if start is None:
        raise NewLessonError(
            f"mkdocs.yml: no nav entry for module {module} (a line '  - \"{module} · ...')"
        )
    entry = f'      - "Lesson: {title}": lessons/{name}.ipynb\n'
    if f"lessons/{name}.ipynb" in mkdocs_text:
        raise NewLessonError(f"mkdocs.yml already lists lessons/{name}.ipynb")
    page = label.match(lines[start].rstrip("\n")).group(1).strip()
    if page:  # a single page: turn it into a section
        head = lines[start].rstrip("\n")[: -len(page)].rstrip()
        lines[start : start + 1] = [head + "\n", f"      - {page}\n", entry]
        return "".join(lines)
    end = start + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    lines.insert(end, entry)
    return "".join(lines)


def create(name: str, title: str, module: int, root: Path = ROOT) -> Path:
    """Write lessons_src/<name>.py from the template and list it in mkdocs.yml."""
    if not NAME.match(name):
        raise NewLessonError(
            f"lesson name {name!r} must look like m<module>_<words>, e.g. m4_my_topic"
        )
    if not name.startswith(f"m{module}_"):
        raise NewLessonError(f"lesson name {name!r} must start with m{module}_ for module {module}")
    if not title.strip() or '"' in title:
        raise NewLessonError('the title must be non-empty and contain no double quote (")')
    target = root / "lessons_src" / f"{name}.py"
    if target.exists():
        raise NewLessonError(f"{target.relative_to(root)} already exists")
    mkdocs = root / "mkdocs.yml"
    new_nav = add_to_nav(mkdocs.read_text(), module, title.strip(), name)
    template = (root / "lessons_src" / "_template.py").read_text()
    target.write_text(template.replace("{title}", title.strip()))
    mkdocs.write_text(new_nav)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="file name without .py, e.g. m4_my_topic")
    parser.add_argument("title", help="the lesson's title, shown in the navigation")
    parser.add_argument("--module", type=int, required=True, help="module number, 1-6")
    args = parser.parse_args(argv)
    try:
        path = create(args.name, args.title, args.module)
    except NewLessonError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"created {path.relative_to(ROOT)} and added it to mkdocs.yml's nav")
    print(f"run it alone: make lessons NAME={args.name}; see it: make serve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
