#!/usr/bin/env bash
# Install axe-core (the accessibility checker the browser tests run inside Chromium) into var/axe,
# pinned, once; print the path of axe.min.js. Exits non-zero when npm is missing or offline, so the
# accessibility test can skip with the reason.
set -euo pipefail
AXE_VERSION="4.10.2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/var/axe"
js="$dest/node_modules/axe-core/axe.min.js"
if [[ ! -f "$js" ]] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$dest/node_modules/axe-core/package.json" 2>/dev/null; then
  command -v npm >/dev/null 2>&1 || { echo "axe.sh: npm is not installed" >&2; exit 2; }
  mkdir -p "$dest"
  npm install --prefix "$dest" --no-audit --no-fund --silent "axe-core@$AXE_VERSION" >&2
fi
echo "$js"
