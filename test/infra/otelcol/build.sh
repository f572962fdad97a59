#!/usr/bin/env bash
# Build ksetl's OpenTelemetry Collector distribution (otelcol-ksetl): the log
# shipping sidecar that the e2e tests run for real. The Go main module in
# ./collector lists exactly the components it needs, in the form that the
# collector's own builder (ocb) generates; go.mod/go.sum pin one release of
# the core and contrib modules. Nothing is downloaded but Go modules (through
# the Go module proxy); nothing is written into the repo.
#
#   build.sh [build|path]     default: build; `path` prints the binary's path
#
# Environment:
#   KSETL_CACHE          cache root (default: ~/.cache/ksetl)
#   KSETL_BUILD_P        go build -p (default: number of cores)
#
# The binary goes to $KSETL_CACHE/otelcol-<version>/bin/otelcol-ksetl, where
# <version> is the contrib release in collector/go.mod; a stamp beside it
# holds a hash of the module's files, so a changed component list rebuilds.
# The scratch module lives in .../src (not in git); the build log in .../build.log.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$here/collector"
cache="${KSETL_CACHE:-$HOME/.cache/ksetl}"

die() { echo "otelcol build.sh: $*" >&2; exit 1; }
log() { echo "otelcol build.sh: $*" >&2; }

version="$(sed -n 's:^[[:space:]]*github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver v\([0-9.]*\)$:\1:p' "$module/go.mod")"
core="$(sed -n 's:^[[:space:]]*go.opentelemetry.io/collector/otelcol v\([0-9.]*\)$:\1:p' "$module/go.mod")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no contrib version in $module/go.mod"
[[ "$core" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no core version in $module/go.mod"
dir="$cache/otelcol-$version"
bin="$dir/bin/otelcol-ksetl"
stamp="$(cd "$module" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"

have() { [ -x "$bin" ] && [ "$(cat "$dir/bin/.stamp" 2>/dev/null)" = "$stamp" ]; }

build() {
  if have; then log "otelcol-ksetl $version cached in $dir/bin"; return; fi
  command -v go >/dev/null || die "go not found (Go 1.26+ needed to build the collector)"
  local src="$dir/src" t0=$SECONDS
  log "building otelcol-ksetl $version (core v$core; log: $dir/build.log); a first build takes tens of minutes"
  rm -rf "$src" "$dir/bin.tmp"; mkdir -p "$src" "$dir/bin.tmp"
  cp "$module"/go.mod "$module"/go.sum "$module"/*.go "$src/"
  (
    set -euo pipefail
    cd "$src"
    export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
    go build -p "${KSETL_BUILD_P:-$(nproc)}" -trimpath \
      -ldflags="-s -w -X main.coreVersion=v$core -X main.contribVersion=v$version" \
      -o "$dir/bin.tmp/otelcol-ksetl" .
    "$dir/bin.tmp/otelcol-ksetl" components > "$dir/bin.tmp/components.yaml"
  ) > "$dir/build.log" 2>&1 || { tail -n 40 "$dir/build.log" >&2; die "build failed (log: $dir/build.log)"; }
  echo "$stamp" > "$dir/bin.tmp/.stamp"
  rm -rf "$dir/bin"; mv "$dir/bin.tmp" "$dir/bin"
  log "otelcol-ksetl $version built in $((SECONDS - t0)) s"
}

# One build at a time per cache (a test run's globalSetup and a build by
# hand): the second waits, then finds the binary.
lock() {
  mkdir -p "$cache"
  exec 9> "$cache/.otelcol-build.lock"
  if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
}

case "${1:-build}" in
  build) have || lock; build; echo "$bin" ;;
  path) echo "$bin" ;;
  *) die "usage: build.sh [build|path]" ;;
esac
