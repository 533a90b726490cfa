"""Every self-checking exercise of the book, run with the solution the chapter
shows behind its toggle (which must be judged right) and with wrong answers
(which must be judged wrong, with a hint that does not give the answer away).

The chapters are read as text, not executed: each exercise is a code cell
``exercises.check("KEY", answer)`` followed by a solution whose fenced
``python`` block sets ``answer``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podnotes import exercises
from podnotes.book.notebooks import toc_notebooks

from .conftest import ROOT

CHECK_CELL = re.compile(r'exercises\.check\("(?P<key>[^"]+)", answer\)')
SOLUTION = re.compile(r"```python\n(?P<code>answer = .*?)\n```", re.S)

# Wrong answers a reader plausibly writes, per exercise: each must be judged wrong.
WRONG = {
    "processes/share-with-two-hogs": [0.5, 1.0, "a half"],
    "processes/other-users-environ": [FileNotFoundError, "OSError", "nothing"],
    "chroot/dynamic-loader": ["libc.so.6", "busybox", "/lib/x86_64-linux-gnu/libm.so.6"],
    "chroot/second-chroot-capability": ["CAP_SYS_ADMIN", "sys_ptrace"],
    "chroot/way-out-after-pivot-root": ["/proc/self/root", "/proc/1/cwd", "/", "/proc/1/root/../../etc"],
    "namespaces/remount-proc": ["--mount", "--fork", "-p"],
    "namespaces/netns-pin-dir": ["/proc/PID/ns", "/etc/netns", "/sys/fs/cgroup"],
    "namespaces/runtime-kinds": [["pid", "ipc", "uts", "mnt", "net", "user"], "pid mnt uts ipc net",
                                 "pid mnt uts ipc net cgroup user"],
    "namespaces/unprivileged-first": ["pid", "mnt", "net"],
    "cgroups/threads-under-quota": [100, 6.25, 400, "25 each"],
    "cgroups/forks-under-pids-max": [50, 51, 20],
    "resources/quota-250m": [250, 256, 25],
    "resources/weight-500m": [20, 512, 50],
    "resources/oomkilled-exit-code": [9, 1, 128],
    "resources/pod-group-memory": [1024**3, "1Gi", 0],
    "container/clone-into-cgroup": ["CLONE_NEWCGROUP", "CLONE_NEWPID", "cgroup.procs"],
    "container/signal-that-ends-pid1": ["SIGTERM", "sigint", 15],
    "container/pid-inside": [0, 2, 4321],
    "container/kinds-not-created": [["user"], "cgroup", "cgroup user pid"],
    "pod/new-sandbox-call": ["CreateContainer", "StartContainer", "CreatePodSandbox"],
    "pod/shared-kinds": [["net"], "net uts ipc pid", "net uts ipc mnt"],
    "pod/second-bind-error": ["ECONNREFUSED", "nothing, both listen"],
    "user-namespaces/host-uid-of-1000": [196_608, 1000, 65_534],
    "user-namespaces/idmapped-owner-inside": [196_608, 65_534],
    "user-namespaces/relaxed-checks": ["runAsNonRoot", "runAsUser procMount", "capabilities seccompProfile"],
    "lifecycle/phase-onfailure": ["Succeeded", "Pending", "CrashLoopBackOff"],
    "debugging/missing-secret-status": ["ErrImagePull", "Pending", "CrashLoopBackOff", "ContainerCreating"],
    "debugging/previous-logs": ["-f", "--all-containers", "--since=1h"],
    "debugging/proc-root-as-other-user": ["ENOENT", "EPERM", "nothing"],
    "lifecycle/backoff-4th-and-10th": [(80, 300), (40, 2560), (30, 90)],
    "lifecycle/traffic-condition": ["Running", "ContainersReady", "PodScheduled"],
    "probes/largest-success-status": [400, 299, 200],
    "probes/tcp-on-failing-server": ["failure", "timeout"],
    "probes/starts-as-failure": ["liveness", "startupProbe", "all"],
    "probes/coredns-503-kill": [50, 45, 25],
    "probes/readiness-window": [10, 20, 5],
    "init/failing-init-phase": ["Failed", "Running", "Init:CrashLoopBackOff"],
    "init/sidecar-field": ["spec.containers", "spec.ephemeralContainers"],
    "init/debug-reach-app": ["pid", "ipc", "mount"],
    "template/pull-policy-untagged": ["IfNotPresent", "Never"],
    "template/deployment-restart-policy": ["spec.restartPolicy", "restartPolicy"],
    "template/probe-port": [8080, 443, "8080"],
    "kubectl/apply-port-change-reason": ["success", "Conflict", "Forbidden"],
    "kubectl/delete-ignoring-sigterm": [30, 0, 60],
    "kubectl/what-binds-pods": ["kubelet", "kube-controller-manager", "kube-apiserver"],
    "pod-on-a-node/sandboxes-and-shims": [(3, 3), (1, 3), (3, 1)],
    "pod-on-a-node/veth-peer-index": [3, 0, 18],
    "shared-storage/tmpfs-charged": [0, 32, 64],
    "shared-storage/tmpfs-over-the-limit": ["Error", "Evicted", 137],
    "pod-on-a-node/source-rewritten": ["DNAT", "ACCEPT", "NAT"],
    "shared-storage/dns-policy-none": ["Default", "ClusterFirst"],
    "kubectl/force-delete-grace": [0, 30, 1],
    "termination/prestop-overrun": [30, 75, 47, 2],
    "termination/sidecar-order": [["a", "b", "c"], "b c a", ["c", "b"], "c b a app"],
    "termination/deletion-timestamp": [30, 0, 40],
    "kubectl/resize-subresource": ["status", "scale", "patch"],
    "node-loss/eviction-time": [300, 50, 30, 400],
    "node-loss/phase-while-terminating": ["Failed", "Terminating", "Unknown"],
    "node-loss/single-node-eviction": [3, 1, "3"],
}


def _exercises_in(path: Path) -> list[tuple[str, str]]:
    """(key, solution code) of each exercise of one chapter, in order."""
    text = path.read_text()
    found = []
    for match in CHECK_CELL.finditer(text):
        solution = SOLUTION.search(text, match.end())
        assert solution, f"{path.name}: exercise {match['key']} has no solution block after it"
        found.append((match["key"], solution["code"]))
    return found


CHAPTERS = [path for path in toc_notebooks(ROOT) if path.parent.name == "chapters"]
FOUND = [(path, key, code) for path in CHAPTERS for key, code in _exercises_in(path)]


def _solution(code: str):
    namespace: dict = {}
    exec(compile(code, "<solution>", "exec"), namespace)  # the chapter's own solution text
    return namespace["answer"]


def test_the_chapters_were_found():
    assert len(CHAPTERS) >= 11, [path.name for path in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_every_chapter_has_two_checked_exercises(path):
    keys = [key for key, _code in _exercises_in(path)]
    assert len(keys) >= 2, f"{path.name} has {len(keys)} self-checking exercises"
    assert all(key in exercises.EXERCISES for key in keys), keys


EXERCISE_ADMONITION = re.compile(r"^(?:`{3,}|:{3,})\{admonition\} Exercise\b ?(?P<number>\S*)", re.M)
ADMONITION = re.compile(r"^(?:`{3,}|:{3,})\{admonition\} ?(?P<title>.*)$", re.M)
EXERCISES_SECTION = re.compile(r"^## Exercises\n(?P<body>.*?)(?=^## |\Z)", re.M | re.S)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_every_exercise_is_checked(path):
    """An exercise the reader cannot check is not one: each "Exercise N" admonition (in any fence) is
    followed, before the next one, by a check cell and its solution; the exercises are numbered 1, 2, 3, ...;
    and the Exercises section holds nothing but exercises and their solutions."""
    text = path.read_text()
    section = EXERCISES_SECTION.search(text)
    assert section, f"{path.name} has no Exercises section"
    titles = [match["title"].strip() for match in ADMONITION.finditer(section["body"])]
    others = [title for title in titles if title != "Solution" and not re.fullmatch(r"Exercise \d+", title)]
    assert not others, f"{path.name}: the Exercises section holds other admonitions: {others}"
    starts = list(EXERCISE_ADMONITION.finditer(text))
    assert starts, f"{path.name} has no exercises"
    assert [start["number"] for start in starts] == [str(n) for n in range(1, len(starts) + 1)], path.name
    for start, following in zip(starts, starts[1:] + [None], strict=True):
        body = text[start.end():following.start() if following else len(text)]
        number = start["number"]
        assert CHECK_CELL.search(body), f"{path.name}: Exercise {number} has no exercises.check cell"
        assert SOLUTION.search(body), f"{path.name}: Exercise {number} has no solution block"


@pytest.mark.parametrize("exercise", [
    "```{admonition} Exercise 1\nWhy?\n```\n\n```{admonition} Solution\n:class: dropdown\nBecause.\n```\n",
    ":::{admonition} Exercise 1\nWhy?\n:::\n",
    "```{admonition} Question\nWhy?\n```\n",
], ids=["prose-only", "colon-fence", "not-called-exercise"])
def test_an_exercise_without_a_check_is_found(tmp_path, exercise):
    chapter = tmp_path / "99-example.md"
    chapter.write_text("## Exercises\n\n" + exercise + "\n## Next\n")
    with pytest.raises(AssertionError, match="has no exercises.check cell|other admonitions"):
        test_every_exercise_is_checked(chapter)


def test_every_exercise_is_in_the_book_and_has_wrong_answers():
    in_book = [key for _path, key, _code in FOUND]
    assert in_book, "no exercise found in the chapters"
    assert sorted(in_book) == sorted(exercises.EXERCISES), "each registered exercise appears exactly once"
    assert set(WRONG) == set(exercises.EXERCISES)


@pytest.mark.parametrize("path,key,code", FOUND, ids=[key for _path, key, _code in FOUND])
def test_solution_is_right_and_wrong_answers_are_wrong(path, key, code):
    answer = _solution(code)
    verdict = exercises.check(key, answer)
    assert verdict.right, f"{path.name}: the solution of {key} was judged wrong: {verdict}"
    assert str(verdict).startswith("Right: ")
    for wrong in WRONG[key]:
        verdict = exercises.check(key, wrong)
        assert not verdict.right, f"{key}: {wrong!r} was judged right"
        assert str(verdict).startswith("Not yet: ") and len(str(verdict)) > len("Not yet: ") + 10
        assert not _reveals(str(verdict), answer), f"{key}: the hint gives the answer away: {verdict}"


def _reveals(message: str, answer) -> bool:
    if isinstance(answer, (int, float)):
        return re.search(rf"(?<![\d.]){answer:g}(?![\d.])", message) is not None
    if isinstance(answer, str):
        return answer.lower() in message.lower()
    if isinstance(answer, tuple):
        return all(_reveals(message, part) for part in answer)
    return False


def test_no_answer_yet_and_malformed_answers_get_a_hint():
    unanswered = exercises.check("resources/weight-500m", ...)
    assert not unanswered.right and "replace ..." in str(unanswered)
    malformed = exercises.check("lifecycle/backoff-4th-and-10th", "forty")
    assert not malformed.right and "form" in str(malformed)
    with pytest.raises(exercises.UnknownExercise):
        exercises.check("no/such-exercise", 1)
