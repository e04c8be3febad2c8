"""Compare the outputs of two sets of executed lessons, cell by cell (timing cells exempt).

    python scripts/compare_lessons.py BEFORE_DIR AFTER_DIR

For a change that should change no lesson's numbers (a refactor of the library): copy
docs/lessons/*.ipynb aside before it, run `make lessons FORCE=1` after it, and compare.
Prints, per lesson, how many code cells were compared and a diff of each that differs;
exits 1 when any differs.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import nbformat


def code_outputs(path: Path) -> list[tuple[bool, list[dict], str]]:
    """(is a timing cell, its outputs without execution counts, its first line) per code cell."""
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        outputs = [
            {k: v for k, v in output.items() if k != "execution_count"}
            for output in cell.get("outputs", [])
        ]
        timing = "timing" in cell.metadata.get("tags", [])
        cells.append((timing, outputs, cell.source.splitlines()[0] if cell.source else ""))
    return cells


def text_of(output: dict) -> list[str]:
    return str(output.get("text") or output.get("data", ""))[:2000].splitlines()


def compare(before: Path, after: Path) -> int:
    """Print the comparison; return the number of differing cells (or missing lessons)."""
    problems = 0
    for old in sorted(before.glob("*.ipynb")):
        new = after / old.name
        if not new.exists():
            print(f"{old.stem}: missing in {after}")
            problems += 1
            continue
        cells_old, cells_new = code_outputs(old), code_outputs(new)
        if len(cells_old) != len(cells_new):
            print(f"{old.stem}: {len(cells_old)} code cells before, {len(cells_new)} after")
            problems += 1
            continue
        compared = differ = 0
        for index, ((timing, out_old, first), (_, out_new, _)) in enumerate(
            zip(cells_old, cells_new, strict=True)
        ):
            if timing:
                continue
            compared += 1
            if out_old != out_new:
                differ += 1
                print(f"  {old.stem}, code cell {index + 1} ({first}):")
                for a, b in zip(out_old, out_new, strict=False):
                    diff = difflib.unified_diff(text_of(a), text_of(b), lineterm="")
                    for line in list(diff)[:12]:
                        print("    " + line[:160])
        print(f"{old.stem}: {compared} code cells compared, {differ} differ")
        problems += differ
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(1 if compare(Path(sys.argv[1]), Path(sys.argv[2])) else 0)
