#!/bin/sh
# Builds, once, a small Debian 12 machine that boots with every cgroup controller on v2:
# Debian's linux-image-amd64 kernel and initrd, python3, busybox-static, util-linux, uidmap and a
# virtual environment with the pinned requirements (wheels the host's pip fetches for the image's
# Python version, through its own cache and configuration).
# The project itself is not in the image: tools/vm/run.sh hands the working tree to each boot.
# Prints the image folder: ~/.cache/podnotes/vm-<digest>/ with vmlinuz, initrd.img and root.img.
# Needs root, mmdebstrap, e2fsprogs and network access to the Debian and PyPI registries only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PODNOTES_CACHE:-$HOME/.cache/podnotes}
suite=bookworm
mirror=${PODNOTES_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=linux-image-amd64,mount,initramfs-tools,kmod,udev,python3,python3-venv,busybox-static,util-linux,uidmap,passwd,procps,iproute2,strace,ca-certificates
digest=$(cat "$here/build.sh" "$here/wheels.sh" "$here/init" "$here/initramfs-init" "$repo/requirements.txt" | sha256sum | cut -c1-10)
out=$cache/vm-$digest
if [ -f "$out/ready" ]; then
    echo "$out"
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "tools/vm/build.sh: building the image needs root (mmdebstrap, mke2fs -d)" >&2; exit 5; }
for tool in mmdebstrap mke2fs; do
    command -v "$tool" >/dev/null || { echo "tools/vm/build.sh: $tool missing (apt-get install mmdebstrap e2fsprogs)" >&2; exit 5; }
done
mkdir -p "$cache"
work=$(mktemp -d "$cache/vm-build.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
start=$(date +%s)

# The boot's initramfs: busybox and the modules the root disk needs, each after what it depends on
# (the kernel's modules.dep; ext4 and jbd2 ask for crc32c with a soft dependency).
initramfs() {  # initramfs ROOT KERNEL_RELEASE OUTPUT
    modules=$1/lib/modules/$2
    tree=$(mktemp -d "$work/initramfs.XXXXXX")
    mkdir -p "$tree/bin" "$tree/lib/modules"
    cp "$1/bin/busybox" "$tree/bin/busybox"
    cp "$here/initramfs-init" "$tree/init"
    for wanted in crc32c_generic virtio_pci virtio_blk ext4; do
        path=$(grep -o "^[^:]*/$wanted\.ko[^:]*" "$modules/modules.dep")
        deps=$(grep "^$path:" "$modules/modules.dep" | cut -d: -f2)
        for module in $(echo $deps | tr ' ' '\n' | tac) $path; do
            grep -qx "$(basename "$module")" "$tree/modules" 2>/dev/null && continue
            cp "$modules/$module" "$tree/lib/modules/"
            basename "$module" >> "$tree/modules"
        done
    done
    ( cd "$tree" && find . | "$1/bin/busybox" cpio -o -H newc 2>/dev/null ) | gzip -1 > "$3"  # the image's static busybox
    rm -rf "$tree"
}

mmdebstrap --variant=apt --include="$packages" \
    --customize-hook=''"$here"'/wheels.sh '"$repo"'/requirements.txt \
        "$(chroot "$1" python3 -c "import platform; print(platform.python_version())")" "$1/opt/podnotes/wheels"' \
    --customize-hook='cp '"$here"'/init "$1/sbin/podnotes-vm-init" && chmod 755 "$1/sbin/podnotes-vm-init"' \
    --customize-hook='cp '"$repo"'/requirements.txt "$1/opt/podnotes/requirements.txt"' \
    --customize-hook='chroot "$1" python3 -m venv /opt/podnotes/venv' \
    --customize-hook='chroot "$1" /opt/podnotes/venv/bin/pip install --quiet --no-index --find-links /opt/podnotes/wheels -r /opt/podnotes/requirements.txt' \
    --customize-hook='rm -rf "$1/opt/podnotes/wheels" "$1/var/cache/apt/archives/"*.deb' \
    --customize-hook='chroot "$1" useradd --create-home --shell /bin/sh podnotes-reader' \
    --customize-hook='echo podnotes-vm > "$1/etc/hostname"' \
    --customize-hook='printf "127.0.0.1 localhost podnotes-vm\n::1 localhost\n" > "$1/etc/hosts"' \
    "$suite" "$work/root" "$mirror" >&2

cp "$work"/root/boot/vmlinuz-* "$work/vmlinuz"
basename "$work"/root/lib/modules/* > "$work/kernel-release"
initramfs "$work/root" "$(cat "$work/kernel-release")" "$work/initrd.img"
mke2fs -q -t ext4 -L podnotes-vm -d "$work/root" "$work/root.img" 4G >&2
rm -rf "$work/root"
echo "built in $(( $(date +%s) - start )) s from $suite ($mirror), kernel $(cat "$work/kernel-release")" > "$work/ready"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT INT TERM
chmod 755 "$out"
echo "$out"
