"""Draw every Mermaid diagram of the built site in Chromium and record its natural size in
docs/data/diagram_sizes.json; docs/hooks/diagram_sizes.py writes those sizes into the pages,
so that a diagram's place holds the size of its drawing before Mermaid draws it.

    python scripts/measure_diagrams.py [--site site]    (`make diagram-sizes` builds first)

Run it after adding or changing a diagram: tests/test_diagram_sizes.py fails, naming the
diagram, until its size is recorded. Needs Playwright and Chromium (FINLSTM_CHROMIUM, default
/usr/bin/chromium), as the browser tests do. Sizes depend on the fonts that draw the labels
(the site uses the reader's system fonts), so on another system a diagram may come out a few
pixels larger or smaller than recorded.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib.util
import json
import os
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FINLSTM_CHROMIUM", "/usr/bin/chromium")
_spec = importlib.util.spec_from_file_location(
    "diagram_sizes", ROOT / "docs" / "hooks" / "diagram_sizes.py"
)
diagram_sizes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(diagram_sizes)

# Material draws each diagram into a closed shadow root; open it so that the SVG can be read.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (options) {
  return attach.call(this, Object.assign({}, options, { mode: "open" }));
};
"""
# diagrams.js draws a diagram when it comes near the viewport: bring each one there.
DRAW_ALL = """
async () => {
  for (const element of document.querySelectorAll("pre.mermaid")) {
    element.scrollIntoView();
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  }
}
"""
DRAWN = "() => !document.querySelector('pre.mermaid')"
# Each drawing's viewBox and its natural width (the max-width Mermaid gives the SVG).
DRAWINGS = """
() => [...document.querySelectorAll("div.mermaid")].map((element) => {
  const svg = element.shadowRoot.querySelector("svg");
  return [svg.getAttribute("viewBox"), svg.style.maxWidth];
})
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def natural_size(view_box: str, max_width: str, where: str) -> dict:
    """{"width", "height"} in CSS px of a drawing shown at its natural width."""
    box = [float(v) for v in view_box.split()]
    width = re.fullmatch(r"([\d.]+)px", max_width or "")
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0 or width is None:
        raise SystemExit(
            f"{where}: the drawing has no usable size (viewBox {view_box!r}, "
            f"max-width {max_width!r})"
        )
    natural = float(width.group(1))
    return {"width": round(natural, 2), "height": round(natural * box[3] / box[2], 2)}


def measure(site: Path) -> dict[str, dict]:
    """key -> {"page", "diagram" (its number on the page), "width", "height"} for every
    diagram of the site."""
    from playwright.sync_api import sync_playwright

    pages = sorted(p for p in site.rglob("*.html") if 'class="mermaid"' in p.read_text())
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sizes = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for path in pages:
                relative = path.relative_to(site).as_posix()
                address = relative.removesuffix("index.html")
                sources = diagram_sizes.diagram_sources(path.read_text())
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(OPEN_SHADOW_ROOTS)
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{address}")
                page.evaluate(DRAW_ALL)
                page.wait_for_function(DRAWN, timeout=30_000)
                drawings = page.evaluate(DRAWINGS)
                context.close()
                if len(drawings) != len(sources):
                    raise SystemExit(f"{address}: {len(sources)} diagrams, {len(drawings)} drawn")
                for number, (source, (view_box, max_width)) in enumerate(
                    zip(sources, drawings, strict=True), start=1
                ):
                    where = f"{address}, diagram {number}"
                    sizes[diagram_sizes.diagram_key(source)] = {
                        "page": address,
                        "diagram": number,
                        **natural_size(view_box, max_width, where),
                    }
            browser.close()
    finally:
        server.shutdown()
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        raise SystemExit(f"{args.site}: no built site here; run `make build` first")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: install it or set FINLSTM_CHROMIUM")
    sizes = measure(args.site)
    ordered = dict(sorted(sizes.items(), key=lambda item: (item[1]["page"], item[1]["diagram"])))
    diagram_sizes.SIZES.write_text(json.dumps(ordered, indent=2) + "\n")
    print(f"{len(sizes)} diagrams measured -> {diagram_sizes.SIZES.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
