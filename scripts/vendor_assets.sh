#!/usr/bin/env bash
# Re-create docs/assets/vendor/ from the npm registry at the pinned versions and check hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
MERMAID=11.17.2
KATEX=0.16.47
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$MERMAID" "katex@$KATEX" >/dev/null)
sha256sum --check <<SUMS
6ad2f42c3fc26bbf9e45cbb6d11898972573ea52b33a5f4ff51952899f950ffd  $work/mermaid-$MERMAID.tgz
ad2d1ab2f7fcc227019784320e8a2c5218ff6bb333b36df4136d10365ae29375  $work/katex-$KATEX.tgz
SUMS
out=docs/assets/vendor
mkdir -p "$work/m" "$work/k" "$out/mermaid" "$out/katex/fonts"
tar xzf "$work/mermaid-$MERMAID.tgz" -C "$work/m"
tar xzf "$work/katex-$KATEX.tgz" -C "$work/k"
cp "$work/m/package/dist/mermaid.min.js" "$work/m/package/LICENSE" "$out/mermaid/"
cp "$work/k/package/dist/katex.min.js" "$work/k/package/dist/katex.min.css" \
   "$work/k/package/LICENSE" "$out/katex/"
cp "$work/k/package/dist/fonts/"*.woff2 "$out/katex/fonts/"
echo "vendored mermaid $MERMAID and katex $KATEX into $out"
