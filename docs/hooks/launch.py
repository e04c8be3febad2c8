"""MkDocs hook: the launch and download bar on every lesson page (see `course_site.launch`)."""

from __future__ import annotations

from course_site.launch import launch_bar


def on_page_content(html_text: str, page, config, **kwargs) -> str:
    src = page.file.src_uri
    if not (src.startswith("lessons/") and src.endswith(".ipynb")):
        return html_text
    stem = src.rsplit("/", 1)[-1][: -len(".ipynb")]
    return launch_bar(config["repo_url"], stem) + html_text
