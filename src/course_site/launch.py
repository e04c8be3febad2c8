"""Launch and download buttons on every lesson page.

Each lesson page gets a bar with: the executed notebook (the file mkdocs-jupyter publishes
next to the page), the lesson's source on GitHub, and the published notebook opened in
Colab or Binder. Every address comes from `repo_url` in mkdocs.yml, set once there.

The Pages workflow publishes the executed notebooks to the repository's `notebooks`
branch (scripts/publish_notebooks.py), which is where Colab and Binder open them.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

__all__ = ["NOTEBOOK_BRANCH", "SOURCE_BRANCH", "github_repo", "launch_bar", "launch_links"]

NOTEBOOK_BRANCH = "notebooks"
SOURCE_BRANCH = "main"


def github_repo(repo_url: str) -> str:
    """'https://github.com/owner/name(.git)(/)' -> 'owner/name'."""
    match = re.match(r"^https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?$", repo_url or "")
    if not match:
        raise ValueError(
            f"mkdocs.yml: repo_url must be https://github.com/<owner>/<name>, got {repo_url!r}"
        )
    return match.group(1)


def launch_links(repo_url: str, stem: str) -> dict[str, str]:
    """The bar's addresses for lesson `stem` (e.g. 'm3_price_model')."""
    repo = github_repo(repo_url)
    notebook = f"{stem}.ipynb"
    return {
        "download": notebook,  # relative: mkdocs-jupyter copies it next to the page
        "source": f"https://github.com/{repo}/blob/{SOURCE_BRANCH}/lessons_src/{stem}.py",
        "colab": f"https://colab.research.google.com/github/{repo}/blob/{NOTEBOOK_BRANCH}/{notebook}",
        "binder": f"https://mybinder.org/v2/gh/{repo}/{NOTEBOOK_BRANCH}?labpath={quote(notebook)}",
    }


def launch_bar(repo_url: str, stem: str) -> str:
    links = launch_links(repo_url, stem)
    labels = {
        "download": "Download notebook",
        "source": "Source (.py)",
        "colab": "Open in Colab",
        "binder": "Open in Binder",
    }
    items = []
    for key, label in labels.items():
        extra = f' download="{html.escape(links[key])}"' if key == "download" else ""
        target = "" if key == "download" else ' rel="noopener"'
        items.append(
            f'<a class="md-button lesson-launch__{key}" href="{html.escape(links[key])}"'
            f"{extra}{target}>{label}</a>"
        )
    return '<nav class="lesson-launch" aria-label="Run this lesson">' + "".join(items) + "</nav>"
