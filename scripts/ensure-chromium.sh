#!/usr/bin/env bash
# Make sure a headless Chromium is on this machine (idempotent): the audit report's browser test
# (tests/audit) takes a screenshot of audit.html with `chromium --headless --screenshot`.
#
#   scripts/ensure-chromium.sh        prints the browser's path; installs the Debian package if missing
#
# Needs root (or passwordless sudo) and apt; exits 2 with a message when it cannot install.
set -euo pipefail

find_browser() {
  local name
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if find_browser; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no chromium and no apt-get on this machine; install Chromium by hand" >&2
  exit 2
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "ensure-chromium: chromium is missing and installing it needs root (apt-get install chromium)" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# The package may already sit in apt's cache: try without a refresh first, then refresh once.
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium >&2; then
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium >&2
fi
find_browser || { echo "ensure-chromium: chromium installed but not found on PATH" >&2; exit 2; }
