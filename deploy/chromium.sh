#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver are installed (Debian's `chromium` and
# `chromium-driver` packages) and print the two paths, one per line: browser, driver.
# Idempotent and quick when both are already there; exits non-zero when they cannot be installed
# (no apt-get, no root, no network), so callers can skip browser tests with a clear message.
set -euo pipefail

find_browser() { command -v chromium || command -v chromium-browser || true; }
find_driver() { command -v chromedriver || command -v chromium-driver || ls /usr/lib/chromium/chromedriver 2>/dev/null || true; }

browser="$(find_browser)"
driver="$(find_driver)"
if [[ -z "$browser" || -z "$driver" ]]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium.sh: chromium is not installed and apt-get is not available" >&2
    exit 2
  fi
  sudo=""
  if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "chromium.sh: installing chromium needs root (run: sudo apt-get install chromium chromium-driver)" >&2
      exit 2
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when the install fails on stale ones.
  $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >&2 \
    || { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >&2; }
  browser="$(find_browser)"
  driver="$(find_driver)"
fi
if [[ -z "$browser" || -z "$driver" ]]; then
  echo "chromium.sh: chromium or chromium-driver still missing after install" >&2
  exit 3
fi
echo "$browser"
echo "$driver"
