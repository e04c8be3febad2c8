"""Every lesson page offers its executed notebook and launch links built from repo_url."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _repo() -> str:
    line = next(
        row for row in (ROOT / "mkdocs.yml").read_text().splitlines() if row.startswith("repo_url:")
    )
    return re.match(r"repo_url:\s*https://github\.com/([^/\s]+/[^/\s]+?)/?$", line).group(1)


def _lesson_pages(site_pages) -> list[str]:
    return [p for p in site_pages if p.startswith("/lessons/")]


def test_every_lesson_page_has_download_and_launch_links(site_dir, site_pages):
    lessons = _lesson_pages(site_pages)
    assert len(lessons) == len([p for p in (ROOT / "lessons_src").glob("m*.py")])
    repo = _repo()
    for path in lessons:
        stem = path.strip("/").split("/")[-1]
        page = (site_dir / path.strip("/") / "index.html").read_text()
        bar = re.search(r'<nav class="lesson-launch".*?</nav>', page, re.S)
        assert bar, f"{path} has no launch bar"
        hrefs = dict(
            re.findall(r'class="md-button lesson-launch__(\w+)" href="([^"]+)"', bar.group(0))
        )
        hrefs = {k: html.unescape(v) for k, v in hrefs.items()}
        assert hrefs["download"] == f"{stem}.ipynb"
        notebook = site_dir / path.strip("/") / hrefs["download"]
        assert notebook.is_file(), f"{path}: the download link points at a missing file"
        assert json.loads(notebook.read_text())["cells"], "the published notebook is empty"
        assert hrefs["colab"].endswith(f"/github/{repo}/blob/notebooks/{stem}.ipynb")
        assert hrefs["binder"].endswith(f"/v2/gh/{repo}/notebooks?labpath={stem}.ipynb")
        assert hrefs["source"] == f"https://github.com/{repo}/blob/main/lessons_src/{stem}.py"


@pytest.mark.parametrize("scheme", ["light"])
def test_the_launch_bar_is_visible_and_keyboard_reachable(browser, site_server, site_pages, scheme):
    path = _lesson_pages(site_pages)[0]
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(site_server + path, wait_until="networkidle")
        bar = page.locator("nav.lesson-launch")
        assert bar.is_visible()
        assert bar.locator("a").count() == 4
        assert bar.locator("a").first.evaluate("a => a.tabIndex") == 0
    finally:
        context.close()
