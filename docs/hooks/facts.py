"""Let the module pages quote the lessons' results: an MkDocs hook.

A page writes `{{ fact("m3_price_model.rmse_ratio", ".2f") }}`: the fact `rmse_ratio` that
the lesson `m3_price_model` recorded with `finlstm.facts.record`, formatted with ".2f". The
facts come from the published notebooks (docs/lessons/*.ipynb, written by the lessons hook,
which runs first), so a page always quotes the run it is built with. A name that no lesson
recorded stops the build, naming the page and the fact.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "docs" / "lessons"

_known: dict[str, object] = {}


def lesson_facts(folder: Path = PUBLISHED) -> dict[str, object]:
    """Every published lesson's facts under `lesson_name.fact_name`."""
    import nbformat

    from finlstm.facts import METADATA_KEY

    known = {}
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for name, value in notebook.metadata.get(METADATA_KEY, {}).items():
            known[f"{path.stem}.{name}"] = value
    return known


def on_pre_build(config, **kwargs):
    _known.clear()
    _known.update(lesson_facts())


def on_page_markdown(markdown, page, config, files, **kwargs):
    from mkdocs.exceptions import PluginError

    from finlstm.facts import FactError, fill

    if page.file.src_uri.endswith(".ipynb"):  # lessons are filled when they are published
        return markdown
    try:
        return fill(markdown, _known, f"page {page.file.src_uri}")
    except FactError as error:
        raise PluginError(str(error)) from None
