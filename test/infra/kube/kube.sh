#!/usr/bin/env bash
# Start and stop a Kubernetes control plane (etcd + kube-apiserver +
# kube-controller-manager) on free loopback ports, for ksetl's e2e tests and
# for use by hand. See cli.ts for the commands and README.md for details.
#
#   kube.sh start    prints the admin kubeconfig path (export KUBECONFIG=...)
#   kube.sh stop
#   kube.sh status
#   kube.sh build    builds (or finds cached) binaries, prints their dirs
#
# Environment: KSETL_KUBE_DIR (state dir, default $TMPDIR/ksetl-kube),
# KSETL_KUBE_VERSION, KSETL_ETCD_VERSION, KSETL_CACHE (see build.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
exec "$root/node_modules/.bin/tsx" "$here/cli.ts" "$@"
