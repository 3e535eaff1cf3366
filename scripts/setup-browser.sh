#!/usr/bin/env bash
# The dashboard tests drive a real browser: Debian's Chromium, installed here when missing
# (Playwright's own browser download needs a CDN these machines cannot reach).
# Prints the browser's path.
set -euo pipefail
for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-headless-shell; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }) \
    || { echo "error: could not install Debian's chromium for the browser tests" >&2; exit 2; }
  echo /usr/bin/chromium
  exit 0
fi
echo "error: the browser tests need Chromium: install Debian's 'chromium' package or set CHROMIUM=/path/to/chromium" >&2
exit 2
