"""Module pages quote the lessons' results: `{{ fact("m3_price_model.rmse_ratio", ".2f") }}`.

The facts come from the published notebooks (docs/lessons/*.ipynb, written by
`course_site.lessons`, which runs first), so a page always quotes the run it is built with.
A name that no lesson recorded is an error naming the page and the fact.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["lesson_facts", "quote_facts"]


def lesson_facts(folder: Path) -> dict[str, object]:
    """Every published lesson's facts in `folder`, under `lesson_name.fact_name`."""
    import nbformat

    from finlstm.facts import METADATA_KEY

    known = {}
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for name, value in notebook.metadata.get(METADATA_KEY, {}).items():
            known[f"{path.stem}.{name}"] = value
    return known


def quote_facts(markdown: str, known: dict[str, object], page: str) -> str:
    """`markdown` with its fact placeholders filled from `known`; raises
    `finlstm.facts.FactError` naming `page` and the fact when a name is unknown."""
    from finlstm.facts import fill

    return fill(markdown, known, f"page {page}")
