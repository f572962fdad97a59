#!/usr/bin/env bash
# Installs Debian's `prometheus` package when no `prometheus` binary is on the
# PATH (or at $KSETL_PROMETHEUS_BIN), and prints the binary's path. The tests
# never use the packaged system service: they start their own Prometheus with
# their own config, storage dir and port (see prometheus.ts). Needs root (or
# sudo) and apt the first time; a no-op afterwards.
#
# The package's postinst would start its service through invoke-rc.d; a
# temporary policy-rc.d (only when none exists) keeps it from doing so, so no
# stray Prometheus listens on :9090 after the install.
set -euo pipefail

if [ -n "${KSETL_PROMETHEUS_BIN:-}" ] && [ -x "$KSETL_PROMETHEUS_BIN" ]; then
  echo "$KSETL_PROMETHEUS_BIN"; exit 0
fi
if command -v prometheus >/dev/null 2>&1; then
  command -v prometheus; exit 0
fi

command -v apt-get >/dev/null || { echo "install.sh: no prometheus and no apt-get; install Prometheus 2.x and set KSETL_PROMETHEUS_BIN" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

start=$(date +%s)
echo "install.sh: installing Debian's prometheus package (apt-get)..." >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
echo "install.sh: installed in $(( $(date +%s) - start )) s: $(prometheus --version 2>&1 | head -n1)" >&2
command -v prometheus
