#!/bin/sh
# The cgroup v2 test tier: boots the Debian machine tools/vm/build.sh makes (cached) under qemu's
# software emulation (TCG), with every cgroup controller on v2 (cgroup_no_v1=all), hands it this
# working tree over 9p, and runs there the Linux tests as root, the rootless tests as a normal user
# with a delegated subtree, and chapters 2-6 (tools/vm/guest.sh). Prints the boot time and each
# part's time; JUnit XML, logs and the summary land in _build/vm/. Exit 0 when every part passed,
# 1 when one failed or the machine died, 5 when the image cannot be built or qemu is missing.
# The machine has a network card as readers' machines do, on a restricted qemu network: nothing
# it sends leaves the machine (restrict=on), and it has no route anyway.
# Results that are current (the same image and the same files of the working tree that it runs, recorded in
# _build/vm/digest) are reused and printed again: `make book` and `make test` both ask, and the machine
# boots once; --force runs it anyway.
# PODNOTES_VM_TIMEOUT (seconds, default 1500) bounds the whole run; PODNOTES_VM_MEMORY (MiB, 3072).
set -u
force=
case ${1:-} in
    --force) force=1;;
    "") ;;
    *) echo "usage: tools/vm/run.sh [--force]" >&2; exit 4;;
esac
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$repo/_build/vm
command -v qemu-system-x86_64 >/dev/null || { echo "vm-test: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 5; }
started=$(date +%s)
image=$("$here/build.sh") || { echo "vm-test: the image could not be built" >&2; exit 5; }
echo "vm-test: image $image ($(cat "$image/ready")), ready after $(( $(date +%s) - started )) s"

figures() {  # boot time, each part's and each chapter's, from a finished run's records
    [ -f "$out/boot-seconds" ] && echo "vm-test: booted to userspace in $(cat "$out/boot-seconds") s (host clock)"
    cat "$out/host-share" "$out/summary" 2>/dev/null
    python3 - "$out" <<'PY'
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

for part in ("chapters", "chapters-rootless"):
    report = Path(sys.argv[1]) / f"{part}.xml"
    if report.is_file():
        for case in ET.parse(report).iter("testcase"):
            chapter = case.get("name", "").split("[")[-1].rstrip("]").split("/")[-1]
            verdict = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
            print(f"vm-test: {part:<18} {chapter:<34} {float(case.get('time', 0)):6.0f} s {verdict}")
PY
}
# The files a run depends on besides the image (podnotes.book.cgroup_v2.RUN_INPUTS says the same).
run_inputs="chapters src tests tools pyproject.toml requirements.txt"
digest=$( { basename "$image"; cd "$repo" && git ls-files -z -co --exclude-standard -- $run_inputs | xargs -0 sha256sum 2>/dev/null; } \
    | sha256sum | cut -c1-16)
if [ -z "$force" ] && [ "$(cat "$out/digest" 2>/dev/null)" = "$digest" ] && [ "$(cat "$out/status" 2>/dev/null)" = 0 ]; then
    echo "vm-test: results current (digest $digest, recorded $(date -u -r "$out/status" '+%Y-%m-%d %H:%M UTC')); --force runs the machine again"
    figures
    echo "vm-test: passed (JUnit XML in $out)"
    exit 0
fi

share=$(mktemp -d /tmp/podnotes-vm.XXXXXX)
qemu_pid=
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
    rm -rf "$share"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
( cd "$repo" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf "$share/tree.tar" ) 2>/dev/null
rm -rf "$out" && mkdir -p "$out"

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
boot=$(date +%s.%N)
qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m "${PODNOTES_VM_MEMORY:-3072}" \
    -nographic -no-reboot -netdev user,id=net0,restrict=on -device virtio-net-pci,netdev=net0,romfile= \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rw init=/sbin/podnotes-vm-init systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all panic=-1 quiet loglevel=3" \
    -drive "file=$image/root.img,format=raw,if=virtio,snapshot=on" \
    -virtfs "local,path=$share,mount_tag=podnotes,security_model=none" \
    > "$out/console.log" 2>&1 < /dev/null &
qemu_pid=$!
( timeout_at=$(( $(date +%s) + ${PODNOTES_VM_TIMEOUT:-1500} ))
  while kill -0 "$qemu_pid" 2>/dev/null; do
      [ "$(date +%s)" -lt "$timeout_at" ] || { echo "vm-test: timed out after ${PODNOTES_VM_TIMEOUT:-1500} s" >&2; kill "$qemu_pid"; }
      # qemu's own CPU time (proc(5): utime + stime, fields 14 and 15): how much of the host it got
      ticks=$(cut -d')' -f2 "/proc/$qemu_pid/stat" 2>/dev/null | awk '{ print $12 + $13 }')
      [ -n "$ticks" ] && echo "$ticks" > "$out/qemu-ticks"
      sleep 2
  done ) &
watchdog=$!
tail -n +1 -f --pid="$qemu_pid" "$out/console.log" | while IFS= read -r line; do
    case $line in
        *"podnotes-vm: kernel"*) since "$boot" > "$out/boot-seconds"
                                 echo "vm-test: booted to userspace in $(cat "$out/boot-seconds") s (host clock)";;
    esac
    echo "$line"
done
wait "$qemu_pid"
qemu_pid=
kill "$watchdog" 2>/dev/null
cp -r "$share/results/." "$out/" 2>/dev/null
ran=$(since "$boot")
echo "vm-test: the machine ran for $ran s; whole tier $(( $(date +%s) - started )) s"
if [ -f "$out/qemu-ticks" ]; then  # on a busy host the wall-clock figures above include waiting for a core
    awk -v ticks="$(cat "$out/qemu-ticks")" -v hz="$(getconf CLK_TCK)" -v ran="$ran" -v cores="$(nproc)" \
        'BEGIN { cpu = ticks / hz; printf "vm-test: qemu used %.0f CPU-seconds in those %.0f s: %.0f%% of the %d host cores it could use (other programs had the rest)\n", cpu, ran, 100 * cpu / (ran * (cores < 2 ? cores : 2)), cores < 2 ? cores : 2 }' \
        | tee "$out/host-share"
fi
if [ ! -f "$share/status" ]; then
    figures
    echo "vm-test: FAILED: the machine stopped before the tests finished (see $out/console.log)"
    exit 1
fi
echo "$digest" > "$out/digest"
cp "$share/status" "$out/status"
figures
if [ "$(cat "$share/status")" != 0 ]; then
    echo "vm-test: FAILED (logs and JUnit XML in $out)"
    exit 1
fi
echo "vm-test: passed (JUnit XML in $out)"
