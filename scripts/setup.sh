#!/usr/bin/env bash
# Installs what ismon needs on a fresh Debian/Ubuntu machine: Chromium (Debian's package) and a
# virtualenv in .venv with ismon and its Python packages. Safe to run again.
#   bash scripts/setup.sh          # to run ismon
#   bash scripts/setup.sh --dev    # also the test, lint and PostgreSQL tools
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=()
command -v chromium-headless-shell >/dev/null 2>&1 || packages+=(chromium-headless-shell)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
if [ "$dev" = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  packages+=(postgresql)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing ${packages[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    sudo_ apt-get update -qq
    sudo_ apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "no apt-get here: install Chromium yourself (or: .venv/bin/playwright install chromium)" >&2
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[dev]'
else
  .venv/bin/python -m pip install -q -e .
fi
echo "ready: .venv/bin/ismon --help"
