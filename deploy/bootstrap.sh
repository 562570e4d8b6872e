#!/usr/bin/env bash
# Installs what a fresh machine lacks for the Python side: uv (from PyPI) and the locked
# virtual environment (.venv, from uv.lock). Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.9"
cd "$ROOT"

find_uv() {
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  local p
  for p in "$HOME/.local/bin/uv" "$(python3 -m site --user-base 2>/dev/null)/bin/uv"; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
  return 1
}

UV="$(find_uv || true)"
if [ -z "$UV" ]; then
  echo "[setup] installing uv $UV_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
    || python3 -m pip install --quiet --user --disable-pip-version-check "uv==$UV_VERSION"
  UV="$(find_uv)"
fi
echo "[setup] $("$UV" --version); syncing .venv from uv.lock"
"$UV" sync --frozen --all-packages --quiet
echo "[setup] python environment ready: $ROOT/.venv"
