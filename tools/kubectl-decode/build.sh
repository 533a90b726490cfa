#!/usr/bin/env bash
# Build (or reuse) kubectl-decode, the client-side reading step of `kubectl create/apply -f`, from the Go
# module proxy at the versions pinned in go.mod/go.sum (k8s.io/apimachinery of the same release as the
# binaries in ../k8s-binaries). Output: $PODNOTES_K8S_CACHE (default ~/.cache/podnotes)/kubectl-decode-<hash>/,
# the hash covering main.go, go.mod and go.sum; the binary's path is printed on the last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
digest=$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-10)
cache_root=${PODNOTES_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podnotes}
out="$cache_root/kubectl-decode-$digest"
mkdir -p "$cache_root"
if command -v flock >/dev/null; then exec 9>"$cache_root/.kubectl-decode.lock"; flock 9; fi
if [ ! -x "$out/kubectl-decode" ]; then
    command -v go >/dev/null || { echo "build.sh: Go is not installed (https://go.dev/dl/, Go >= 1.26 needed)" >&2; exit 2; }
    mkdir -p "$out"
    (cd "$here" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" \
        -o "$out/kubectl-decode.tmp" .)
    mv "$out/kubectl-decode.tmp" "$out/kubectl-decode"
    echo "built $out/kubectl-decode" >&2
fi
echo "$out/kubectl-decode"
