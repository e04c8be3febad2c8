"""Prepare the executed lessons for Colab and Binder (run by the Pages workflow).

    python scripts/publish_notebooks.py OUT_DIR

Copies docs/lessons/*.ipynb (made by the build) into OUT_DIR, each with a first cell that
installs the course library where it is missing, and writes the requirements.txt that
Binder installs. The workflow pushes OUT_DIR to the repository's `notebooks` branch, which
the lesson pages' "Open in Colab" and "Open in Binder" buttons point to.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

from course_site.launch import github_repo  # one place derives the repository

ROOT = Path(__file__).resolve().parents[1]


def _repo_url() -> str:
    # mkdocs.yml uses !!python/name tags; read only the one key needed.
    for line in (ROOT / "mkdocs.yml").read_text().splitlines():
        if line.startswith("repo_url:"):
            return yaml.safe_load(line)["repo_url"]
    raise SystemExit("error: mkdocs.yml has no repo_url")


def setup_cells(requirement: str) -> list:
    return [
        nbformat.v4.new_markdown_cell(
            "**Running this outside the course's own environment** (Colab, Binder, your "
            "laptop)? Run the next cell once to install the course library `finlstm`; in "
            "the course repository (`make serve`) it is already installed."
        ),
        nbformat.v4.new_code_cell(
            "import importlib.util\n\n"
            'if importlib.util.find_spec("finlstm") is None:\n'
            f'    %pip install --quiet "{requirement}"'
        ),
    ]


def publish(out: Path, lessons: Path = ROOT / "docs" / "lessons") -> list[Path]:
    notebooks = sorted(lessons.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"error: no executed lessons in {lessons}; build the site first")
    requirement = f"finlstm[docs] @ git+https://github.com/{github_repo(_repo_url())}@main"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        notebook.cells = setup_cells(requirement) + notebook.cells
        target = out / path.name
        nbformat.write(notebook, target)
        written.append(target)
    (out / "requirements.txt").write_text(requirement + "\n")
    (out / "README.md").write_text(
        "Executed lessons of the course, published from `main` by the Pages workflow. "
        "Edit the lessons in `lessons_src/` on `main`, not here.\n"
    )
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python scripts/publish_notebooks.py OUT_DIR")
    for path in publish(Path(sys.argv[1])):
        print(f"published {path}")
