#!/usr/bin/env bash
# Build the Kubernetes control plane binaries that ksetl's e2e tests run:
# kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes,
# and etcd from go.etcd.io/etcd/server/v3, all through the Go module proxy.
# Nothing is downloaded but Go modules; nothing is written into the repo.
#
#   build.sh [all|kube|etcd|paths]     default: all; `paths` prints the bin dirs
#
# Environment:
#   KSETL_KUBE_VERSION   k8s.io/kubernetes release (default below, without the "v")
#   KSETL_ETCD_VERSION   go.etcd.io/etcd/server/v3 release (default below)
#   KSETL_CACHE          cache root (default: ~/.cache/ksetl)
#   KSETL_BUILD_P        go build -p (default: number of cores)
#
# Binaries go to $KSETL_CACHE/kube-<version>/bin/{kube-apiserver,kube-controller-manager,kubectl}
# and $KSETL_CACHE/etcd-<version>/bin/etcd; when they are there the build is
# skipped. The scratch Go modules live in .../src beside bin (not in git);
# build logs in .../build.log.
set -euo pipefail

KUBE_VERSION="${KSETL_KUBE_VERSION:-1.37.2}"
ETCD_VERSION="${KSETL_ETCD_VERSION:-3.7.3}"
cache="${KSETL_CACHE:-$HOME/.cache/ksetl}"
kube_dir="$cache/kube-$KUBE_VERSION"
etcd_dir="$cache/etcd-$ETCD_VERSION"
kube_bins=(kube-apiserver kube-controller-manager kubectl)

export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

die() { echo "build.sh: $*" >&2; exit 1; }
log() { echo "build.sh: $*" >&2; }

[[ "$KUBE_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad kube version: '$KUBE_VERSION'"
[[ "$ETCD_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad etcd version: '$ETCD_VERSION'"

have_kube() { local b; for b in "${kube_bins[@]}"; do [ -x "$kube_dir/bin/$b" ] || return 1; done; }
have_etcd() { [ -x "$etcd_dir/bin/etcd" ]; }

need_go() { command -v go >/dev/null || die "go not found (Go 1.24+ needed to build the control plane)"; }

build_etcd() {
  if have_etcd; then log "etcd $ETCD_VERSION cached in $etcd_dir/bin"; return; fi
  need_go
  local src="$etcd_dir/src" t0=$SECONDS
  log "building etcd $ETCD_VERSION (log: $etcd_dir/build.log)"
  rm -rf "$src" "$etcd_dir/bin.tmp"; mkdir -p "$src" "$etcd_dir/bin.tmp"
  (
    cd "$src"
    cat > go.mod <<MOD
module ksetl.local/etcd-build

go 1.24
MOD
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    go build -trimpath -ldflags='-s -w' -o "$etcd_dir/bin.tmp/etcd" go.etcd.io/etcd/server/v3
  ) > "$etcd_dir/build.log" 2>&1 || { tail -n 40 "$etcd_dir/build.log" >&2; die "etcd build failed (log: $etcd_dir/build.log)"; }
  rm -rf "$etcd_dir/bin"; mv "$etcd_dir/bin.tmp" "$etcd_dir/bin"
  log "etcd $ETCD_VERSION built in $((SECONDS - t0)) s"
}

build_kube() {
  if have_kube; then log "kubernetes $KUBE_VERSION cached in $kube_dir/bin"; return; fi
  need_go
  local src="$kube_dir/src" t0=$SECONDS minor staging gomod
  minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
  staging="0.${KUBE_VERSION#*.}"   # 1.37.2 -> 0.37.2
  log "building kube-apiserver, kube-controller-manager, kubectl $KUBE_VERSION (log: $kube_dir/build.log)"
  rm -rf "$src" "$kube_dir/bin.tmp"; mkdir -p "$src" "$kube_dir/bin.tmp"
  (
    set -euo pipefail
    cd "$src"
    # k8s.io/kubernetes's own go.mod replaces every staging module
    # (k8s.io/api, k8s.io/apiserver, ...) with ./staging/src/k8s.io/...;
    # replaces in a dependency are ignored, so mirror them here with the
    # published v0.Y.Z of each staging module.
    gomod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@v$KUBE_VERSION" >&2; exit 1; }
    goline="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod" | head -n1)"
    cat > go.mod <<MOD
module ksetl.local/kube-build

go ${goline:-1.24}
MOD
    sed -n 's:^[[:space:]]*\(replace[[:space:]]\+\)\{0,1\}\(k8s\.io/[^[:space:]]*\)[[:space:]]\+=>[[:space:]]\+\./staging/src/k8s\.io/.*$:\2:p' "$gomod" \
      | sort -u > staging.txt
    [ -s staging.txt ] || { echo "found no staging replaces in $gomod" >&2; exit 1; }
    echo "staging modules: $(wc -l < staging.txt)"
    args=()
    while read -r m; do args+=("-replace=$m=$m@v$staging"); done < staging.txt
    go mod edit "${args[@]}"
    go mod edit -require="k8s.io/kubernetes@v$KUBE_VERSION"
    ldflags="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    go build -p "${KSETL_BUILD_P:-$(nproc)}" -trimpath -ldflags="$ldflags" -o "$kube_dir/bin.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl
  ) > "$kube_dir/build.log" 2>&1 || { tail -n 40 "$kube_dir/build.log" >&2; die "kubernetes build failed (log: $kube_dir/build.log)"; }
  rm -rf "$kube_dir/bin"; mv "$kube_dir/bin.tmp" "$kube_dir/bin"
  log "kubernetes $KUBE_VERSION built in $((SECONDS - t0)) s"
}

# One build at a time per cache (e.g. `kube.sh build` and a test run's
# globalSetup): the second waits, then finds the binaries.
lock() {
  mkdir -p "$cache"
  exec 9> "$cache/.build.lock"
  if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
}

case "${1:-all}" in
  all|kube|etcd) have_kube && have_etcd || lock ;;
esac
case "${1:-all}" in
  all) build_etcd; build_kube ;;
  kube) build_kube ;;
  etcd) build_etcd ;;
  paths) echo "$kube_dir/bin"; echo "$etcd_dir/bin" ;;
  *) die "usage: build.sh [all|kube|etcd|paths]" ;;
esac
