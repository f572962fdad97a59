#!/usr/bin/env bash
# Installs Debian's `chromium` package when no Chromium binary is on the PATH
# (or at $KSETL_CHROMIUM_BIN), and prints the binary's path. The console's
# browser tests drive it headless through playwright-core (executablePath):
# no browser download from a CDN. Needs root (or sudo) and apt the first
# time; a no-op afterwards.
set -euo pipefail

if [ -n "${KSETL_CHROMIUM_BIN:-}" ] && [ -x "$KSETL_CHROMIUM_BIN" ]; then
  echo "$KSETL_CHROMIUM_BIN"; exit 0
fi
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then command -v "$b"; exit 0; fi
done

command -v apt-get >/dev/null || { echo "install.sh: no chromium and no apt-get; install Chromium and set KSETL_CHROMIUM_BIN" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

start=$(date +%s)
echo "install.sh: installing Debian's chromium package (apt-get)..." >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
echo "install.sh: installed in $(( $(date +%s) - start )) s: $(chromium --version 2>&1 | head -n1)" >&2
command -v chromium
