#!/usr/bin/env bash
# Debian's Chromium for the page tests (driven by Playwright from PyPI; Playwright's own
# browser download is not used). Idempotent.
#   ensure   install the `chromium` package when /usr/bin/chromium is missing
#   path     print the executable's path
set -euo pipefail
CHROMIUM="${EK_CHROMIUM:-/usr/bin/chromium}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

case "${1:-ensure}" in
  ensure)
    if [ -x "$CHROMIUM" ]; then
      echo "[browser] $("$CHROMIUM" --version 2>/dev/null || echo chromium) at $CHROMIUM"
      exit 0
    fi
    echo "[browser] installing Debian's chromium package"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-dejavu-core >/dev/null
    echo "[browser] $("$CHROMIUM" --version) at $CHROMIUM"
    ;;
  path) echo "$CHROMIUM" ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
