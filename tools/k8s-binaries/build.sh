#!/usr/bin/env bash
# Build (or reuse) the Kubernetes programs the cluster and node tests run and the book shows: kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet and kubectl, etcd, and crictl, compiled from the Go module
# proxy at the versions pinned in kubernetes/go.mod, etcd/go.mod and cri-tools/go.mod.
#
#   tools/k8s-binaries/build.sh            build if needed, print the binary folder on the last line
#
# Output goes outside the repository, to $PODNOTES_K8S_CACHE (default ~/.cache/podnotes), in a folder named
# after the pinned versions plus a hash of the go.mod/go.sum files, so a changed pin or an added command
# builds a new folder and an unchanged pin reuses the old one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v go >/dev/null || { echo "build.sh: Go is not installed (https://go.dev/dl/, Go >= 1.26 needed)" >&2; exit 2; }

pinned_version() {  # pinned_version DIR MODULE
    (cd "$here/$1" && go list -m -f '{{.Version}}' "$2")
}
K8S=$(pinned_version kubernetes k8s.io/kubernetes)
ETCD=$(pinned_version etcd go.etcd.io/etcd/server/v3)
CRI_TOOLS=$(pinned_version cri-tools sigs.k8s.io/cri-tools)
# Same files, same order as podnotes.cluster.binaries.PIN_FILES, which finds this folder from Python.
digest=$(cat "$here"/kubernetes/go.mod "$here"/kubernetes/go.sum "$here"/etcd/go.mod "$here"/etcd/go.sum "$here"/cri-tools/go.mod "$here"/cri-tools/go.sum |
    sha256sum | cut -c1-10)
cache_root=${PODNOTES_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podnotes}
out="$cache_root/k8s-$K8S-etcd-$ETCD-$digest"

# One build at a time per cache (make book and make test may both ask); a second caller waits, then reuses.
mkdir -p "$cache_root"
if command -v flock >/dev/null; then exec 9>"$cache_root/.build.lock"; flock 9; fi
if [ -f "$out/.complete" ]; then
    echo "reusing $out" >&2
    echo "$out"
    exit 0
fi
mkdir -p "$out"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}"

# What `kube-apiserver --version` and /version report; the variable names are those the upstream release
# build sets (hack/lib/version.sh).
minor=$(echo "$K8S" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for kv in "gitVersion=$K8S" gitMajor=1 "gitMinor=$minor" gitTreeState=clean; do
        ldflags="$ldflags -X $pkg.$kv"
    done
done

start=$SECONDS
(
    cd "$here/kubernetes"
    echo "downloading modules for Kubernetes $K8S" >&2
    go mod download
    for package in $(go list tool); do
        echo "building ${package##*/}" >&2
        go build -trimpath -tags=selinux,notest -ldflags "$ldflags" -o "$out/${package##*/}" "$package"
    done
)
(
    cd "$here/etcd"
    echo "building etcd $ETCD" >&2
    go mod download
    go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
)
(
    cd "$here/cri-tools"
    echo "building crictl $CRI_TOOLS" >&2
    go mod download
    # The version variable cri-tools' Makefile sets (without the leading v, as its release binaries print it).
    go build -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRI_TOOLS#v}" \
        -o "$out/crictl" sigs.k8s.io/cri-tools/cmd/crictl
)
touch "$out/.complete"
echo "built into $out in $((SECONDS - start)) s" >&2
echo "$out"
