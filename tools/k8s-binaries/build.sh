#!/usr/bin/env bash
# Build (or reuse) the Kubernetes programs the cluster and node tests run and the book shows: kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet and kubectl, etcd, crictl, and the node's container runtime
# (containerd, containerd-shim-runc-v2 and ctr; runc), compiled from the Go module proxy at the versions
# pinned in kubernetes/go.mod, etcd/go.mod, cri-tools/go.mod, containerd/go.mod and runc/go.mod.
# runc is built with cgo and the `seccomp` tag, as its release is: it needs gcc and libseccomp-dev.
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
CONTAINERD=$(pinned_version containerd github.com/containerd/containerd/v2)
RUNC=$(pinned_version runc github.com/opencontainers/runc)
# Same files, same order as podnotes.cluster.binaries.PIN_FILES, which finds this folder from Python.
digest=$(cat "$here"/kubernetes/go.mod "$here"/kubernetes/go.sum "$here"/etcd/go.mod "$here"/etcd/go.sum "$here"/cri-tools/go.mod "$here"/cri-tools/go.sum "$here"/containerd/go.mod "$here"/containerd/go.sum "$here"/runc/go.mod "$here"/runc/go.sum |
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
if ! pkg-config --exists libseccomp 2>/dev/null; then
    echo "build.sh: runc $RUNC needs gcc and libseccomp's headers (apt-get install gcc pkg-config libseccomp-dev)" >&2
    exit 2
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
runtime_start=$SECONDS
(
    cd "$here/containerd"
    echo "building containerd $CONTAINERD (containerd, containerd-shim-runc-v2, ctr)" >&2
    go mod download
    # The variables containerd's Makefile sets; no_btrfs as its static release builds (no btrfs headers).
    version_flags="-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD"
    for package in $(go list tool); do
        go build -trimpath -tags no_btrfs -ldflags "-s -w $version_flags" -o "$out/${package##*/}" "$package"
    done
)
(
    cd "$here/runc"
    echo "building runc $RUNC (cgo, seccomp)" >&2
    go mod download
    # runc's nsenter is C, and seccomp profiles need libseccomp: its Makefile's default tags, without libpathrs
    # (a Rust library; the pure-Go path resolution is used instead).
    CGO_ENABLED=1 go build -trimpath -tags "seccomp urfave_cli_no_docs" -ldflags "-s -w" -o "$out/runc" \
        github.com/opencontainers/runc
)
echo "built the container runtime in $((SECONDS - runtime_start)) s" >&2
touch "$out/.complete"
echo "built into $out in $((SECONDS - start)) s" >&2
echo "$out"
