#!/usr/bin/env bash
# Re-pin the Go modules that build the control-plane binaries, e.g.
#   tools/k8s-binaries/pin.sh v1.37.2 v3.6.16
# Rewrites kubernetes/go.mod (+ go.sum) and etcd/go.mod (+ go.sum). Run it only to change versions;
# build.sh reads the pinned files and never resolves versions itself.
#
# Why the replace block: k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver, ...)
# at the placeholder version v0.0.0 and points them at ./staging/src/... with replace directives. Replace
# directives only apply in the main module, so this module repeats them, mapping each staging module to the
# published v0.X.Y that matches Kubernetes v1.X.Y.
set -euo pipefail
K8S=${1:?Kubernetes version, e.g. v1.37.2}
ETCD=${2:?etcd version, e.g. v3.6.16}
STAGING="v0.${K8S#v1.}"
here=$(cd "$(dirname "$0")" && pwd)

# Commands built from k8s.io/kubernetes; build.sh builds every `tool` listed in go.mod. The kubelet,
# kube-scheduler and kube-controller-manager are for the real-node tests (podnotes.node).
KUBE_COMMANDS=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
               k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet)

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
echo "pinned Kubernetes $K8S (staging $STAGING) and etcd $ETCD"
