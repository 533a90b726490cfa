#!/bin/sh
# Runs inside the cgroup v2 machine (tools/vm/init starts it): the Linux tests as root, the rootless
# tests as a normal user in a subtree delegated the way systemd's Delegate=yes does it (cgroups(7),
# "Delegation": the group, its cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to the
# user), and chapters 2-6 as root and as that user, root's parts beside the user's. JUnit XML, each
# part's log, one line per part (summary) and each chapter's time go to the share given as $1; exits 1
# when any part fails.
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

# Every interpreter the tests and chapters start imports podnotes; compiled once here, each reads the
# bytecode instead of compiling the package again under emulation (and the normal user could not
# write it to the tree anyway).
compile_started=$(cut -d' ' -f1 /proc/uptime)
python -m compileall -q -j 2 src tests > /dev/null
echo "podnotes-vm: compiled the package and the tests in $(awk -v a="$compile_started" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"

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
    verdict=passed; [ "$status" = 0 ] || verdict="FAILED (exit $status)"
    echo "$name: $verdict in $seconds s" | tee -a "$results/summary"
}

pytest_args="-p no:cacheprovider -v -rfEs --durations=15"

# What runs here is what reads or writes cgroups, or cleans up after experiments, where cgroup v2 makes a
# difference: the cgroup, container and Pod experiments, the namespace tests (the cgroup namespace among
# them), the machine's facts and `podnotes doctor`, and the leak checks with `podnotes cleanup`. The
# leak check that kills an experiment at every stage kills it here with SIGKILL, which runs no handler
# and leaves the groups to the watchdog and the next run; SIGINT's and SIGTERM's handlers are the same
# Python code on every kernel. The rest of tests/linux (processes and the scheduler, chroot and root file
# systems, user-namespace ID maps, call traces, privileges, quantities) reads no cgroup and runs on the
# build machine only, as do the chapters executed as on another system or as a reader without user
# namespaces (PODNOTES_PRETEND_*) and under two busy loops. Under emulation every Python process costs
# seconds, so the whole of tests/linux would take three quarters of an hour here.
root_files="tests/linux/test_cgroups.py tests/linux/test_container.py tests/linux/test_pod_sharing.py
tests/linux/test_namespaces.py tests/linux/test_machine.py tests/linux/test_doctor.py"
leak_files="tests/linux/test_leaks.py tests/linux/test_cleanup_command.py"

# The account's own subtree, where systemd would put its user manager: user@UID.service, delegated.
manager=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service
mkdir -p "$manager/app.slice/podnotes-tests.scope"
for level in /sys/fs/cgroup/user.slice /sys/fs/cgroup/user.slice/user-$uid.slice; do
    for controller in $(cat "$level/cgroup.controllers"); do echo "+$controller" > "$level/cgroup.subtree_control"; done
done
chown "$user" "$manager" "$manager/cgroup.procs" "$manager/cgroup.subtree_control" "$manager/cgroup.threads"
chown -R "$user" "$manager/app.slice"
in_scope() {  # in_scope COMMAND...: runs the command in the delegated scope, as every process runuser starts
    sh -c 'echo $$ > "$1" && shift && exec "$@"' sh "$manager/app.slice/podnotes-tests.scope/cgroup.procs" \
        $default_signals "$@"
}

# A background command of a non-interactive shell starts with SIGINT and SIGQUIT ignored, and a process
# started so keeps them ignored (Python then installs no KeyboardInterrupt handler): each part resets them,
# as the tests that interrupt experiments need (env(1), --default-signal).
default_signals="env --default-signal=INT,QUIT"

# Two streams, one on each virtual CPU: root's parts one after the other (the leak checks, the other root
# tests, chapters 2-6), beside the normal user's (the rootless tests, chapters 2-6). No part removes
# another's objects: the leak checks count only what their own runs left, a run reaps only its own
# user's orphans (the leak checks and the rootless tests leave some on purpose), and two parts of the
# same user never run side by side.
{
    part linux-root-leaks $default_signals PODNOTES_LEAK_SIGNALS=SIGKILL PODNOTES_LEAK_SETTLE_SECONDS=30 \
        python -m pytest $pytest_args --junitxml="$results/linux-root-leaks.xml" $leak_files
    part linux-root $default_signals python -m pytest $pytest_args --junitxml="$results/linux-root.xml" $root_files
    part chapters $default_signals PODNOTES_EXECUTED_DIR="$results/notebooks" \
        python -m pytest $pytest_args --junitxml="$results/chapters.xml" tests/test_notebooks.py \
        -k "02-chroot or 03-namespaces or 04-cgroups or 05-container or 06-pod"
} &
{
    part linux-rootless in_scope python -m pytest $pytest_args --junitxml="$results/linux-rootless.xml" \
        tests/linux/test_rootless.py
    part chapters-rootless in_scope python -m pytest $pytest_args --junitxml="$results/chapters-rootless.xml" \
        tests/linux/test_chapters_without_privileges.py -k test_chapter_runs_as_a_normal_user
} &
wait
cp _build/notebook-times.tsv "$results/chapter-times.tsv" 2>/dev/null

! grep -q FAILED "$results/summary"
