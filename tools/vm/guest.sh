#!/bin/sh
# Runs inside the cgroup v2 machine (tools/vm/init starts it): the Linux tests as root, the rootless
# tests as a normal user in a subtree delegated the way systemd's Delegate=yes does it (cgroups(7),
# "Delegation": the group, its cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to the
# user), and chapters 2-6. JUnit XML and one line per part go to the share given as $1; exits 1 when
# any part fails.
set -u
share=$1
results=$share/results
mkdir -p "$results"
cd /srv/podnotes
venv=/opt/podnotes/venv
export PATH=$venv/bin:$PATH PYTHONPATH=/srv/podnotes/src PYTHONDONTWRITEBYTECODE=1 TMPDIR=/tmp
export PODNOTES_TEST_USER=podnotes-reader MPLBACKEND=Agg
user=$PODNOTES_TEST_USER
uid=$(id -u "$user")
failed=0

# An Ethernet card besides loopback, as a reader's machine has (the chapters compare with the host's
# interfaces); qemu's restricted network forwards nothing, and there is no route.
modprobe virtio_net
for _ in 1 2 3 4 5 6 7 8 9 10; do
    card=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
    [ -n "$card" ] && break
    sleep 1
done
if [ -n "$card" ]; then ip link set "$card" up && ip address add 10.0.2.15/24 dev "$card"; fi
echo "podnotes-vm: network interfaces: $(ls /sys/class/net | tr '\n' ' ')"

for controller in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$controller" > /sys/fs/cgroup/cgroup.subtree_control
done
echo "podnotes-vm: cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)" | tee "$results/controllers"
grep -c cgroup /proc/mounts | xargs echo "podnotes-vm: cgroup mounts:"
uname -r > "$results/kernel-release"

part() {  # part NAME COMMAND...: runs one part, prints and records its time and result
    name=$1; shift
    started=$(cut -d' ' -f1 /proc/uptime)
    echo "podnotes-vm: == $name"
    "$@" > "$results/$name.log" 2>&1
    status=$?
    tail -n 15 "$results/$name.log"
    seconds=$(awk -v a="$started" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }')
    verdict=passed; [ "$status" = 0 ] || { verdict="FAILED (exit $status)"; failed=1; }
    echo "$name: $verdict in $seconds s" | tee -a "$results/summary"
}

pytest_args="-p no:cacheprovider -v -rfEs --durations=10"

# The Linux tests that do not execute whole chapters first: the cgroup v2 code paths themselves.
chapter_runs="tests/linux/test_chapters_elsewhere.py tests/linux/test_chapter_on_a_busy_machine.py"
rootless_files="tests/linux/test_rootless.py tests/linux/test_chapters_without_privileges.py"
deselect() { for file in "$@"; do printf -- "--deselect %s " "$file"; done; }
part linux-root python -m pytest $pytest_args --junitxml="$results/linux-root.xml" tests/linux \
    $(deselect $chapter_runs $rootless_files)

# The account's own subtree, where systemd would put its user manager: user@UID.service, delegated.
manager=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service
mkdir -p "$manager/app.slice/podnotes-tests.scope"
for level in /sys/fs/cgroup/user.slice /sys/fs/cgroup/user.slice/user-$uid.slice; do
    for controller in $(cat "$level/cgroup.controllers"); do echo "+$controller" > "$level/cgroup.subtree_control"; done
done
chown "$user" "$manager" "$manager/cgroup.procs" "$manager/cgroup.subtree_control" "$manager/cgroup.threads"
chown -R "$user" "$manager/app.slice"
in_scope() {  # in_scope COMMAND...: runs the command in the delegated scope, as every process runuser starts
    sh -c 'echo $$ > "$1" && shift && exec "$@"' sh "$manager/app.slice/podnotes-tests.scope/cgroup.procs" "$@"
}
part linux-rootless in_scope python -m pytest $pytest_args --junitxml="$results/linux-rootless.xml" \
    tests/linux/test_rootless.py

part chapters python -m pytest $pytest_args --junitxml="$results/chapters.xml" tests/test_notebooks.py \
    -k "02-chroot or 03-namespaces or 04-cgroups or 05-container or 06-pod"

part chapters-rootless in_scope python -m pytest $pytest_args --junitxml="$results/chapters-rootless.xml" \
    tests/linux/test_chapters_without_privileges.py

part linux-root-chapters python -m pytest $pytest_args --junitxml="$results/linux-root-chapters.xml" $chapter_runs

exit $failed
