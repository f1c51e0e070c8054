#!/usr/bin/env bash
# Install the Debian packages the integration tests start by themselves: PostgreSQL
# (tests/integration_tests/test_postgres.py runs its own server from a temporary
# initdb; no system service is used or started) and Chromium
# (tests/integration_tests/test_report_browser.py opens report.html headless).
# Idempotent: when everything is installed it returns at once, without apt-get update.
# Skipped (with a note) when not root or when apt-get is missing; the tests then skip.
set -euo pipefail
packages=(postgresql chromium)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: not root or no apt-get; not installing ${missing[*]} (their tests will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
