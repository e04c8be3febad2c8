"""Measure the built site with Lighthouse (simulated mobile, performance only) and write the
median of several runs per page, with the machine's load average, as JSON.

    python scripts/lighthouse.py [--site site] [--runs 3] [--out lighthouse.json] [PATH ...]

Default pages: the home page, a module page without a diagram, a lesson page and the quiz.
The site is served locally with gzip, as a static host sends it. Needs `npm install` (the
pinned lighthouse in package.json) and Chromium (CHROME_PATH, default /usr/bin/chromium).
Lighthouse's scores vary with the machine's load; this is a measurement, not a test (the
deterministic budgets, bytes and scripts per page, are in tests/site/test_layout.py).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PAGES = [
    "/",
    "/modules/2-inside-the-cell/",
    "/lessons/m3_price_model/",
    "/modules/5-quiz/",
]
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
METRICS = {
    "first-contentful-paint": "fcp_ms",
    "largest-contentful-paint": "lcp_ms",
    "total-blocking-time": "tbt_ms",
    "cumulative-layout-shift": "cls",
    "speed-index": "speed_index_ms",
    "total-byte-weight": "bytes",
}
COMPRESSED = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text ones gzip-compressed when the client accepts it."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSED):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *args):
        data, self.data = self.data, b""
        return data

    def close(self):
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run_once(url: str) -> dict:
    """One Lighthouse run (simulated mobile, performance category) -> score and metrics."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        result = subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--only-categories=performance",
                f"--chrome-flags={CHROME_FLAGS}",
                "--output=json",
                f"--output-path={report}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not report.exists():
            raise RuntimeError(f"lighthouse failed on {url}: {result.stderr[-2000:]}")
        data = json.loads(report.read_text())
    audits = data["audits"]
    run = {"score": round(100 * data["categories"]["performance"]["score"])}
    for audit, name in METRICS.items():
        run[name] = round(audits[audit]["numericValue"], 3)
    return run


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(base: str, path: str, runs: int) -> dict:
    results = []
    for _ in range(runs):
        load = load_average()
        results.append({**run_once(base + path), "load_average": load})
    median = {
        key: statistics.median(r[key] for r in results)
        for key in results[0]
        if key != "load_average"
    }
    return {"median": median, "runs": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=PAGES)
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "lighthouse.json")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print(f"{LIGHTHOUSE} not found: run `npm install` (see package.json)", file=sys.stderr)
        return 1
    missing = [p for p in args.paths if not (args.site / p.strip("/") / "index.html").exists()]
    if missing:
        print(f"not in {args.site}: {', '.join(missing)} (build the site first)", file=sys.stderr)
        return 1
    server, base = serve(args.site)
    try:
        pages = {}
        for path in args.paths:
            pages[path] = measure(base, path, args.runs)
            m = pages[path]["median"]
            print(
                f"{path}: performance {m['score']:.0f}, FCP {m['fcp_ms'] / 1000:.1f} s, "
                f"LCP {m['lcp_ms'] / 1000:.1f} s, TBT {m['tbt_ms']:.0f} ms, "
                f"{m['bytes'] / 1024:.0f} KB (median of {args.runs}; "
                f"load {pages[path]['runs'][-1]['load_average']})"
            )
    finally:
        server.shutdown()
    args.out.write_text(json.dumps({"runs_per_page": args.runs, "pages": pages}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
