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
    "chroot/second-chroot-capability": ["CAP_SYS_ADMIN", "sys_ptrace"],
    "chroot/way-out-after-pivot-root": ["/proc/self/root", "/proc/1/cwd", "/", "/proc/1/root/../../etc"],
    "namespaces/runtime-kinds": [["pid", "ipc", "uts", "mnt", "net", "user"], "pid mnt uts ipc net",
                                 "pid mnt uts ipc net cgroup user"],
    "namespaces/unprivileged-first": ["pid", "mnt", "net"],
    "cgroups/quota-250m": [250, 256, 25],
    "cgroups/weight-500m": [20, 512, 50],
    "container/pid-inside": [0, 2, 4321],
    "container/kinds-not-created": [["user"], "cgroup", "cgroup user pid"],
    "pod/shared-kinds": [["net"], "net uts ipc pid", "net uts ipc mnt"],
    "pod/second-bind-error": ["ECONNREFUSED", "nothing, both listen"],
    "lifecycle/phase-onfailure": ["Succeeded", "Pending", "CrashLoopBackOff"],
    "lifecycle/backoff-4th-and-10th": [(80, 300), (40, 2560), (30, 90)],
    "probes/coredns-503-kill": [50, 45, 25],
    "probes/readiness-window": [10, 20, 5],
    "init/failing-init-phase": ["Failed", "Running", "Init:CrashLoopBackOff"],
    "init/sidecar-field": ["spec.containers", "spec.ephemeralContainers"],
    "template/pull-policy-untagged": ["IfNotPresent", "Never"],
    "template/deployment-restart-policy": ["spec.restartPolicy", "restartPolicy"],
    "kubectl/force-delete-grace": [0, 30, 1],
    "termination/prestop-overrun": [30, 75, 47, 2],
    "termination/sidecar-order": [["a", "b", "c"], "b c a", ["c", "b"], "c b a app"],
    "termination/deletion-timestamp": [30, 0, 40],
    "kubectl/resize-subresource": ["status", "scale", "patch"],
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
    unanswered = exercises.check("cgroups/weight-500m", ...)
    assert not unanswered.right and "replace ..." in str(unanswered)
    malformed = exercises.check("lifecycle/backoff-4th-and-10th", "forty")
    assert not malformed.right and "form" in str(malformed)
    with pytest.raises(exercises.UnknownExercise):
        exercises.check("no/such-exercise", 1)
