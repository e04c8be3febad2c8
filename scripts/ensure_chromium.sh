#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# download does not work offline). Install it when missing and we are allowed to.
set -euo pipefail
CHROMIUM=${FINLSTM_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing chromium (Debian package) for the browser tests ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "error: the browser tests need Chromium at $CHROMIUM." >&2
echo "  Debian/Ubuntu: sudo apt-get install chromium; or set FINLSTM_CHROMIUM to a Chromium binary." >&2
exit 1
