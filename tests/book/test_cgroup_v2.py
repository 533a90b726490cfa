"""What the status page says about the cgroup v2 machine's run (podnotes.book.cgroup_v2), from records laid
out as tools/vm/run.sh leaves them in _build/vm/."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from podnotes.book import cgroup_v2

PARTS = ["linux-root: passed in 301 s", "linux-rootless: passed in 95 s", "chapters: passed in 210 s",
         "chapters-rootless: passed in 230 s"]


def _junit(cases: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<testcase classname="t" name="{name}" time="12.5">'
        + {"passed": "", "failed": "<failure message='x'/>", "skipped": "<skipped message='x'/>"}[outcome]
        + "</testcase>"
        for name, outcome in cases)
    return f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{body}</testsuite></testsuites>'


@pytest.fixture
def repo(tmp_path):
    """A working tree with the files that make the image, under git."""
    root = tmp_path / "repo"
    for name in cgroup_v2.IMAGE_INPUTS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"contents of {name}\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _record(folder, repo, root_outcome="passed", digest=None):
    folder.mkdir(parents=True)
    (folder / "summary").write_text("\n".join(PARTS) + "\n")
    (folder / "kernel-release").write_text("6.1.0-50-amd64\n")
    (folder / "controllers").write_text("podnotes-vm: cgroup2 controllers: cpuset cpu io memory hugetlb pids\n")
    (folder / "chapters.xml").write_text(_junit(
        [(f"test_notebook_executes[chapters/{chapter}.md]", root_outcome) for chapter in cgroup_v2.CHAPTERS]))
    (folder / "chapters-rootless.xml").write_text(_junit(
        [(f"test_chapter_runs_as_a_normal_user[{chapter}]", "passed") for chapter in cgroup_v2.CHAPTERS]))
    (folder / "digest").write_text((digest or cgroup_v2.current_digest(repo)) + "\n")
    (folder / "status").write_text("0\n")


def test_the_digest_is_the_one_the_shell_script_computes(repo):
    # tools/vm/run.sh: { basename IMAGE; git ls-files -z -co --exclude-standard -- INPUTS | xargs -0 sha256sum; }
    # | sha256sum, where INPUTS are the files the run depends on; a file outside them changes nothing.
    (repo / "src").mkdir()
    (repo / "src" / "module.py").write_text("x = 1\n")
    (repo / "README.md").write_text("words\n")
    before = cgroup_v2.current_digest(repo)
    (repo / "README.md").write_text("other words\n")
    assert cgroup_v2.current_digest(repo) == before
    (repo / "src" / "module.py").write_text("x = 2\n")
    assert cgroup_v2.current_digest(repo) != before
    image = hashlib.sha256(b"".join((repo / name).read_bytes() for name in cgroup_v2.IMAGE_INPUTS)).hexdigest()[:10]
    shell = subprocess.run(
        ["sh", "-c", f"{{ echo vm-{image}; git ls-files -z -co --exclude-standard -- {' '.join(cgroup_v2.RUN_INPUTS)}"
                     " | xargs -0 sha256sum; } "
                     "| sha256sum | cut -c1-16"],
        cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    assert len(shell) == 16
    assert cgroup_v2.current_digest(repo) == shell


def test_a_file_changed_since_the_run_makes_it_not_current(repo, tmp_path):
    _record(tmp_path / "vm", repo)
    assert cgroup_v2.read_run(tmp_path / "vm", repo).current
    (repo / "requirements.txt").write_text("changed\n")
    assert not cgroup_v2.read_run(tmp_path / "vm", repo).current
    assert "was for other files" in cgroup_v2.markdown(tmp_path / "vm", repo)


def test_a_current_run_names_the_kernel_and_each_chapter(repo, tmp_path):
    _record(tmp_path / "vm", repo)
    run = cgroup_v2.read_run(tmp_path / "vm", repo)
    assert run.passed and run.kernel == "6.1.0-50-amd64" and "memory" in run.controllers
    assert run.verified_chapters() == cgroup_v2.CHAPTERS
    text = cgroup_v2.markdown(tmp_path / "vm", repo)
    assert "Linux 6.1.0-50-amd64 with cgroup v2 alone" in text
    assert text.count("passed (12 s)") == 2 * len(cgroup_v2.CHAPTERS)
    chinese = cgroup_v2.markdown(tmp_path / "vm", repo, language="zh")
    assert "只有 cgroup v2 的 Linux 6.1.0-50-amd64" in chinese and "* - 章节\n  - 以 root 身份" in chinese
    assert chinese.count("通过（12 秒）") == 2 * len(cgroup_v2.CHAPTERS) and "passed" not in chinese
    assert "02-chroot、03-namespaces" in chinese and "cpuset、cpu" in chinese
    assert chinese.count("* - ") == len(cgroup_v2.CHAPTERS) + 1


def test_a_chapter_that_failed_as_root_is_not_claimed(repo, tmp_path):
    _record(tmp_path / "vm", repo, root_outcome="failed")
    run = cgroup_v2.read_run(tmp_path / "vm", repo)
    assert run.verified_chapters() == []
    assert cgroup_v2.markdown(tmp_path / "vm", repo).startswith("No chapter passed on cgroup v2")


def test_without_a_run_the_page_gives_the_command(repo, tmp_path):
    assert cgroup_v2.read_run(tmp_path / "vm", repo) is None
    assert f"`{cgroup_v2.COMMAND}`" in cgroup_v2.markdown(tmp_path / "vm", repo)
    chinese = cgroup_v2.markdown(tmp_path / "vm", repo, language="zh")
    assert chinese.startswith("这份副本没有在 cgroup v2 上运行过") and f"`{cgroup_v2.COMMAND}`" in chinese


def _executed(folder, outputs: dict[str, str]) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for tag, text in outputs.items():
        cell = nbformat.v4.new_code_cell("print(...)", metadata={"tags": [tag]})
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        notebook.cells.append(cell)
    (folder / "notebooks").mkdir()
    nbformat.write(notebook, folder / "notebooks" / "04-cgroups.ipynb")


def test_a_recorded_chapter_gives_each_tagged_cells_output(repo, tmp_path):
    _record(tmp_path / "vm", repo)
    _executed(tmp_path / "vm", {"cgroup-layout": "layout: v2\n0::/\n"})
    recorded = cgroup_v2.recording("04-cgroups", tmp_path / "vm", repo)
    assert recorded.kernel == "6.1.0-50-amd64"
    assert recorded.output("cgroup-layout") == "layout: v2\n0::/\n"
    with pytest.raises(KeyError):
        recorded.output("no-such-cell")


def test_no_recording_from_a_stale_run_or_outside_git(repo, tmp_path):
    _record(tmp_path / "vm", repo, digest="0" * 16)
    _executed(tmp_path / "vm", {"cgroup-layout": "layout: v2\n"})
    assert cgroup_v2.recording("04-cgroups", tmp_path / "vm", repo) is None
    assert cgroup_v2.current_digest(tmp_path / "not-a-repo") is None


def test_a_run_with_a_failed_part_claims_nothing(repo, tmp_path):
    _record(tmp_path / "vm", repo)
    (tmp_path / "vm" / "summary").write_text("linux-root: FAILED (exit 1) in 1571 s\n" + "\n".join(PARTS[1:]))
    _executed(tmp_path / "vm", {"cgroup-layout": "layout: v2\n"})
    assert cgroup_v2.markdown(tmp_path / "vm", repo).startswith("The last run on cgroup v2")
    assert "did not pass: linux-root: FAILED" in cgroup_v2.markdown(tmp_path / "vm", repo)
    assert cgroup_v2.recording("04-cgroups", tmp_path / "vm", repo) is None


def test_the_file_lists_are_the_scripts_own():
    # The image's folder name comes from tools/vm/build.sh's digest line and a run's digest from run.sh's
    # run_inputs: the status page must name the same files, or a current run reads as one for other files.
    import re

    from podnotes.book.cgroup_v2 import REPO_ROOT

    build = (REPO_ROOT / "tools/vm/build.sh").read_text()
    listed = re.search(r'^digest=\$\(cat (.*?) \| sha256sum', build, re.M)
    assert listed, "build.sh computes its image digest with cat"
    names = [word.strip('"').replace("$here", "tools/vm").replace("$repo/", "") for word in listed.group(1).split()]
    assert names == cgroup_v2.IMAGE_INPUTS
    run = re.search(r'^run_inputs="(.*)"$', (REPO_ROOT / "tools/vm/run.sh").read_text(), re.M)
    assert run and run.group(1).split() == cgroup_v2.RUN_INPUTS
