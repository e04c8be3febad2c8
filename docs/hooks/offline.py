"""MkDocs hook: keep every page free of requests to other hosts, and notebook pages light.

* mkdocs-jupyter writes <script> tags that load MathJax, Mermaid and RequireJS from CDNs
  into every notebook page. The site typesets math with its own KaTeX at build time and has
  its own Mermaid, so those tags are removed.
* Any other reference to another host in a `src` (scripts, images, frames) or in a
  stylesheet <link> fails the build, naming the page and the URL.
* Each notebook page inlines ~650 KB of Jupyter CSS, the same on every page. It is written
  once to assets/jupyter/<hash>.css and linked, so a reader downloads it once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

CDN_SCRIPTS = re.compile(
    r"<script[^>]*\bsrc=\"https?://[^\"]*(mathjax|mermaid|require)[^\"]*\"[^>]*>\s*</script>\s*",
    re.IGNORECASE,
)
# A MathJax configuration block that mkdocs-jupyter writes beside its CDN script.
MATHJAX_CONFIG = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->\s*", re.DOTALL
)
MERMAID_MODULE = re.compile(
    r"<script type=\"module\">\s*document\.addEventListener\(\"DOMContentLoaded\".*?</script>",
    re.DOTALL,
)
EXTERNAL = re.compile(
    r"(?:\bsrc=|<link[^>]*rel=\"stylesheet\"[^>]*href=)\"((?:https?:)?//[^\"]+)\"", re.IGNORECASE
)
STYLE = re.compile(r"<style type=\"text/css\">(.*?)</style>", re.DOTALL)
SHARED_CSS_MIN_CHARS = 20_000  # smaller inline styles stay where they are


def on_post_page(output: str, page, config, **kwargs) -> str:
    from mkdocs.exceptions import PluginError

    if "jupyter-wrapper" in output:
        output = CDN_SCRIPTS.sub("", output)
        output = MATHJAX_CONFIG.sub("", output)
        output = MERMAID_MODULE.sub("", output)
        output = _share_notebook_css(output, page, config)
    for url in EXTERNAL.findall(output):
        raise PluginError(
            f"page {page.file.src_uri} loads {url} from another host; the site must be "
            "self-contained: vendor the file under docs/assets/vendor/ instead"
        )
    return output


def _share_notebook_css(output: str, page, config) -> str:
    styles = [m for m in STYLE.finditer(output) if len(m.group(1)) >= SHARED_CSS_MIN_CHARS]
    if not styles:
        return output
    css = "\n".join(m.group(1) for m in styles)
    name = hashlib.sha256(css.encode()).hexdigest()[:12] + ".css"
    target = Path(config["site_dir"]) / "assets" / "jupyter" / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css)
    href = "../" * (page.url or "").count("/") + f"assets/jupyter/{name}"
    pieces, position = [], 0
    for index, match in enumerate(styles):
        pieces.append(output[position : match.start()])
        if index == 0:
            pieces.append(f'<link rel="stylesheet" href="{href}">')
        position = match.end()
    pieces.append(output[position:])
    return "".join(pieces)
