"""Chapters 2-6 as a reader without root runs them: every privileged cell must
say what it needs and the notebook must still run to the end."""

from __future__ import annotations

import os
import subprocess

import pytest

from podnotes.book.notebooks import execute_notebook, output_problems
from podnotes.linux import machine, privileges

from ..conftest import ROOT

CHAPTERS = ["02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch", "06-pod-and-pause"]


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_without_privileges(chapter, monkeypatch):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    result = execute_notebook(ROOT / "chapters" / f"{chapter}.md")
    assert result.cells > 0  # its last cell checks that it left nothing behind
    problems = output_problems(result.notebook)  # what this reader sees: no repr, wide line or machine detail
    assert not problems, "\n".join(problem.message() for problem in problems)


def test_pretending_hides_privileges(monkeypatch):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    facts = machine.detect()
    assert not facts.can_create_namespaces and not facts.can_limit_resources
    assert privileges.missing("namespaces") is not None


# As a real normal user (not root pretending): the chapters run in a copy the user owns, every
# experiment the kernel allows that user runs, and the sections that still cannot say so once.
AS_A_NORMAL_USER = """
import json, re, sys
from pathlib import Path
from podnotes.book.notebooks import NotebookFailed, execute_notebook, output_problems

try:
    execution = execute_notebook(Path(sys.argv[1]))
except NotebookFailed as err:
    print(json.dumps({"failed": err.failure.message()}))
    sys.exit(0)
notes, heading = [], "(top)"
for cell in execution.notebook.cells:
    if cell.cell_type == "markdown":
        found = re.search(r"^## (.+)$", cell.source, re.MULTILINE)
        heading = found.group(1) if found else heading
        continue
    for output in cell.get("outputs", []):
        html = output.get("data", {}).get("text/html", "")
        text = output.get("text", "")
        if "podnotes-not-run" in html:
            notes.append([heading, output["data"]["text/plain"]])
        elif "skipped: needs" in text:
            notes.append([heading, text])
problems = [problem.message() for problem in output_problems(execution.notebook)]
print(json.dumps({"cells": execution.cells, "seconds": execution.seconds, "notes": notes, "problems": problems}))
"""


@pytest.fixture(scope="module")
def reader_with_cgroups():
    """The account, with a cgroup subtree of its own where root can make one (cgroup v1 and hybrid) or one is
    delegated to it already (cgroup v2)."""
    from podnotes.linux import cgroups

    from .normal_user import delegated_v2_parent_of, normal_user

    user = normal_user()
    made = machine.cgroup_version() in ("v1", "hybrid")
    if made:
        cgroups.delegate_v1(user.uid, user.gid)
    yield user, made or delegated_v2_parent_of(user) is not None
    if made:
        cgroups.undelegate_v1(user.uid)


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_as_a_normal_user(chapter, reader_with_cgroups):
    import json
    import shutil
    import tempfile
    from pathlib import Path

    user, delegated = reader_with_cgroups
    with tempfile.TemporaryDirectory(prefix="reader-book-", dir="/tmp") as scratch:  # pytest's is root's only
        _run_as(user, delegated, chapter, Path(scratch), json, shutil)


def _run_as(user, delegated, chapter, tmp_path, json, shutil) -> None:
    from .conftest import REPORT

    os.chmod(tmp_path, 0o755)
    book = tmp_path / "chapters"
    shutil.copytree(ROOT / "chapters", book)
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(tmp_path)], check=True)
    done = user.python(AS_A_NORMAL_USER, str(book / f"{chapter}.md"), env={"TMPDIR": str(tmp_path)}, timeout=900,
                       cwd=str(book))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert "failed" not in report, report.get("failed")
    assert report["cells"] > 0 and not report["problems"], report["problems"]
    headings = [heading for heading, _ in report["notes"]]
    assert len(headings) == len(set(headings)), f"one note per section at most: {headings}"
    assert not any("skipped: needs" in text for _, text in report["notes"]), "a skip repeated under a cell"
    allowed = ["root (CAP_SYS_ADMIN in the host's own namespaces)"]  # what no user namespace gives
    if not delegated:
        allowed.append(privileges.REQUIREMENTS["cgroups"])
    for heading, text in report["notes"]:
        assert any(needs in text for needs in allowed), f"{chapter}, {heading!r} skipped as a normal user: {text}"
        assert "`" in text, "with the command that runs it"
    skipped = "; ".join(f"{heading} ({text.split(', which needs ')[1].split(',')[0]})"
                        for heading, text in report["notes"]) or "nothing"
    REPORT[f"as {user.name}: {chapter}"] = (f"{report['cells']} cells in {report['seconds']:.1f} s; "
                                            f"skipped: {skipped}")
