#!/usr/bin/env bash
# Re-pin the Go modules that build the Kubernetes binaries, e.g.
#   tools/k8s-binaries/pin.sh v1.37.2 v3.6.16 v1.37.0
# (Kubernetes, etcd, cri-tools: the cri-tools release whose minor matches Kubernetes'.)
# Rewrites kubernetes/go.mod (+ go.sum), etcd/go.mod (+ go.sum) and cri-tools/go.mod (+ go.sum). Run it only to change versions;
# build.sh reads the pinned files and never resolves versions itself.
#
# Why the replace block: k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver, ...)
# at the placeholder version v0.0.0 and points them at ./staging/src/... with replace directives. Replace
# directives only apply in the main module, so this module repeats them, mapping each staging module to the
# published v0.X.Y that matches Kubernetes v1.X.Y.
set -euo pipefail
K8S=${1:?Kubernetes version, e.g. v1.37.2}
ETCD=${2:?etcd version, e.g. v3.6.16}
CRI_TOOLS=${3:?cri-tools version, e.g. v1.37.0}
STAGING="v0.${K8S#v1.}"
here=$(cd "$(dirname "$0")" && pwd)

# Commands built from k8s.io/kubernetes; build.sh builds every `tool` listed in go.mod. The kubelet,
# kube-scheduler and kube-controller-manager are for the real-node tests (podnotes.node); kubectl is the
# client the chapters show.
KUBE_COMMANDS=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
               k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
               k8s.io/kubernetes/cmd/kubelet)

cd "$here/kubernetes"
rm -f go.mod go.sum
go mod init podnotes.invalid/k8s-binaries/kubernetes >/dev/null 2>&1
upstream_gomod=$(go mod download -json "k8s.io/kubernetes@$K8S" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')
for module in $(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$upstream_gomod"); do
    go mod edit -replace="$module=$module@$STAGING"
done
# godebug settings take effect only from the main module.
grep '^godebug' "$upstream_gomod" >> go.mod || true
for command in "${KUBE_COMMANDS[@]}"; do
    go get -tool "$command@$K8S"
done
go mod tidy

cd "$here/etcd"
rm -f go.mod go.sum
go mod init podnotes.invalid/k8s-binaries/etcd >/dev/null 2>&1
go get -tool "go.etcd.io/etcd/server/v3@$ETCD"
go mod tidy

# crictl, the CRI client, in its own module: cri-tools requires the staging modules at their published
# versions, which must not move the versions the Kubernetes module uses.
cd "$here/cri-tools"
rm -f go.mod go.sum
go mod init podnotes.invalid/k8s-binaries/cri-tools >/dev/null 2>&1
go get -tool "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS"
go mod tidy
echo "pinned Kubernetes $K8S (staging $STAGING), etcd $ETCD and cri-tools $CRI_TOOLS"
