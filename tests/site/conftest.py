"""Fixtures for the site tests: one strict build, a local server, one headless Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FINLSTM_CHROMIUM", "/usr/bin/chromium")
# Flags for a sandboxed machine with no network: no background requests of Chromium's own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """`mkdocs build --strict` into a temporary folder (lessons come from their cache).

    FINLSTM_SITE_DIR=path tests an already built site instead (for a quick re-run)."""
    if os.environ.get("FINLSTM_SITE_DIR"):
        return Path(os.environ["FINLSTM_SITE_DIR"])
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    return target


@pytest.fixture(scope="session")
def site_pages(site_dir) -> list[str]:
    """URL paths of every HTML page of the built site, home first."""
    paths = []
    for page in site_dir.rglob("index.html"):
        relative = page.parent.relative_to(site_dir).as_posix()
        if not relative.startswith("assets"):
            paths.append("/" if relative == "." else f"/{relative}/")
    return sorted(paths)


@pytest.fixture(scope="session")
def site_server(site_dir):
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install "
            "chromium) or set FINLSTM_CHROMIUM; the Makefile's `test` target does this."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ROOT / "test-artifacts" / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
