"""MkDocs hook: module pages quote the lessons' results (see `course_site.page_facts`)."""

from __future__ import annotations

from pathlib import Path

from course_site.page_facts import lesson_facts, quote_facts

_known: dict[str, object] = {}


def on_pre_build(config, **kwargs):
    _known.clear()
    _known.update(lesson_facts(Path(config["docs_dir"]) / "lessons"))


def on_page_markdown(markdown, page, config, files, **kwargs):
    from mkdocs.exceptions import PluginError

    from finlstm.facts import FactError

    if page.file.src_uri.endswith(".ipynb"):  # lessons are filled when they are published
        return markdown
    try:
        return quote_facts(markdown, _known, page.file.src_uri)
    except FactError as error:
        raise PluginError(str(error)) from None
