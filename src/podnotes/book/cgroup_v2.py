"""What the cgroup v2 machine recorded: ``tools/vm/run.sh`` (``make vm-test``) boots Debian's kernel under
qemu with every controller on cgroup v2 (``cgroup_no_v1=all``) and runs there the Linux tests that touch
the kernel and chapters 2-6, as root and as a normal user in a delegated subtree. Its results land in
``_build/vm/``: ``summary`` (one line per part), ``kernel-release``, ``controllers``, JUnit XML per part
and ``digest``, which names the image and the working tree's files the run was for.

The status page ("How this copy was built") lists them with :func:`markdown`; a run counts as current
only while :func:`current_digest` still equals its ``digest``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
RESULTS = REPO_ROOT / "_build" / "vm"
COMMAND = "sudo make vm-test"
CHAPTERS = ["02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch", "06-pod-and-pause"]
IMAGE_INPUTS = ["tools/vm/build.sh", "tools/vm/wheels.sh", "tools/vm/init", "tools/vm/initramfs-init",
                "requirements.txt"]
# What a run depends on besides the image: the files it runs (tools/vm/run.sh, RUN_INPUTS there).
RUN_INPUTS = ["chapters", "src", "tests", "tools", "pyproject.toml", "requirements.txt"]


@dataclass(frozen=True)
class ChapterRun:
    """One chapter on the machine: ``passed``, ``failed`` or ``None`` (did not run) for each account,
    with its execution time in seconds."""

    chapter: str
    as_root: str | None = None
    as_user: str | None = None
    root_seconds: float = 0.0
    user_seconds: float = 0.0


@dataclass(frozen=True)
class MachineRun:
    """A recorded run: the kernel release, the cgroup v2 controllers enabled at the root, each part's
    summary line, each chapter's outcome, when it finished (UTC) and whether it is current."""

    kernel: str
    controllers: list[str]
    parts: list[str]
    chapters: list[ChapterRun] = field(default_factory=list)
    recorded_at: str = ""
    current: bool = False

    @property
    def passed(self) -> bool:
        return bool(self.parts) and all(": passed in " in line for line in self.parts)

    def verified_chapters(self) -> list[str]:
        """Chapters that passed both as root and as the normal user."""
        return [run.chapter for run in self.chapters if run.as_root == run.as_user == "passed"]


def current_digest(repo: Path = REPO_ROOT) -> str | None:
    """The digest ``tools/vm/run.sh`` records: the image's folder name (a digest of what builds the image)
    and the SHA-256 of every file under :data:`RUN_INPUTS` git knows or would add, as ``sha256sum`` lists them
    (a change to the README or the site's configuration does not make a run stale).
    ``None`` outside a git working tree (an unpacked site or package), where no run can be current."""
    try:
        image = hashlib.sha256(b"".join((repo / name).read_bytes() for name in IMAGE_INPUTS)).hexdigest()[:10]
        command = ["git", "-C", str(repo), "ls-files", "-z", "-co", "--exclude-standard", "--", *RUN_INPUTS]
        listed = subprocess.run(command, capture_output=True, timeout=60, check=True).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [f"vm-{image}\n"]
    for name in filter(None, listed.split("\0")):
        path = repo / name
        if path.is_file():
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:16]


def recorded_digest(folder: Path = RESULTS) -> str | None:
    """The digest a finished run recorded (``None`` without one): the book's chapters that show the run are
    executed again when it changes."""
    digest = folder / "digest"
    return digest.read_text().strip() if digest.is_file() else None


def reasons_machine_cannot_run() -> list[str]:
    """Why this machine cannot boot the cgroup v2 machine (empty when it can): it needs Linux on x86_64,
    root (mmdebstrap builds the image, 9p shares the tree as root) and qemu-system-x86_64; building the image
    also needs mmdebstrap and mke2fs, unless a built image is cached."""
    reasons = []
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        reasons.append(f"it needs Linux on x86_64, not {platform.system()} on {platform.machine()}")
    elif os.geteuid() != 0:
        reasons.append("it needs root")
    if shutil.which("qemu-system-x86_64") is None:
        reasons.append("qemu-system-x86_64 is missing (Debian package qemu-system-x86)")
    return reasons


def _outcomes(report: Path) -> dict[str, tuple[str, float]]:
    if not report.is_file():
        return {}
    found = {}
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name", "")
        chapter = next((chapter for chapter in CHAPTERS if chapter in name), None)
        if chapter is None or case.find("skipped") is not None:
            continue
        failed = case.find("failure") is not None or case.find("error") is not None
        found[chapter] = ("failed" if failed else "passed", float(case.get("time", 0)))
    return found


def read_run(folder: Path = RESULTS, repo: Path = REPO_ROOT) -> MachineRun | None:
    """The run recorded in ``folder``, or ``None`` when none finished there."""
    status = folder / "status"
    if not status.is_file() or not (folder / "summary").is_file():
        return None
    as_root, as_user = _outcomes(folder / "chapters.xml"), _outcomes(folder / "chapters-rootless.xml")
    chapters = [ChapterRun(chapter, as_root.get(chapter, (None, 0.0))[0], as_user.get(chapter, (None, 0.0))[0],
                           as_root.get(chapter, (None, 0.0))[1], as_user.get(chapter, (None, 0.0))[1])
                for chapter in CHAPTERS]
    recorded = (folder / "digest").read_text().strip() if (folder / "digest").is_file() else ""
    return MachineRun(
        kernel=(folder / "kernel-release").read_text().strip() if (folder / "kernel-release").is_file() else "",
        controllers=(folder / "controllers").read_text().split(": ")[-1].split()
        if (folder / "controllers").is_file() else [],
        parts=(folder / "summary").read_text().splitlines(),
        chapters=chapters,
        recorded_at=datetime.fromtimestamp(status.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        current=bool(recorded) and recorded == current_digest(repo),
    )


_OUTCOMES = {"en": {"passed": "passed ({seconds:.0f} s)", "failed": "failed ({seconds:.0f} s)", None: "did not run"},
             "zh": {"passed": "通过（{seconds:.0f} 秒）", "failed": "失败（{seconds:.0f} 秒）", None: "未运行"}}
_LIST_SEPARATORS = {"en": ", ", "zh": "、"}


def _cell(outcome: str | None, seconds: float, language: str = "en") -> str:
    return _OUTCOMES[language][outcome].format(seconds=seconds)


# The section's sentences in each edition's language; {fields} are filled in by markdown().
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "no run": "This copy has no run on cgroup v2. `{command}` boots Debian's kernel under qemu with every "
                  "controller on cgroup v2 and runs chapters 2-6 there, as root and as a normal user.",
        "other files": "The last run on cgroup v2 ({at}) was for other files than this copy's, so this copy does "
                       "not claim it; `{command}` runs it again.",
        "failed": "The last run on cgroup v2 (Linux {kernel}, {at}) did not pass: {parts}. `{command}` runs it "
                  "again.",
        "none verified": "No chapter passed on cgroup v2 both as root and as a normal user in the last run "
                         "(Linux {kernel}, {at}): {parts}. `{command}` runs it again.",
        "verified": "Chapters {chapters} also ran, as root and as a normal user with a delegated subtree, on Linux "
                    "{kernel} with cgroup v2 alone (controllers {controllers}), in a machine booted under qemu; the "
                    "run finished at {at}. The other chapters ran on the build machine only. To run it yourself as "
                    "root from a clone of the repository: `{command}` (it needs qemu and mmdebstrap, and takes about "
                    "ten minutes, plus up to ten the first time, to build the machine's image).",
    },
    "zh": {
        "no run": "这份副本没有在 cgroup v2 上运行过。`{command}` 会在 qemu 下启动 Debian 的内核（所有控制器都在 "
                  "cgroup v2 上），并在其中以 root 和普通用户身份运行第 2-6 章。",
        "other files": "最近一次在 cgroup v2 上的运行（{at}）针对的是与这份副本不同的文件，所以这份副本不引用它；"
                       "`{command}` 会重新运行。",
        "failed": "最近一次在 cgroup v2 上的运行（Linux {kernel}，{at}）没有通过：{parts}。`{command}` 会重新运行。",
        "none verified": "最近一次运行（Linux {kernel}，{at}）中，没有哪一章在 cgroup v2 上以 root 和普通用户身份都"
                         "通过：{parts}。`{command}` 会重新运行。",
        "verified": "以下各章（{chapters}）也在只有 cgroup v2 的 Linux {kernel} 上运行过（控制器 {controllers}），以 "
                    "root 和拥有委派子树的普通用户身份各运行一次，该机器在 qemu 下启动；这次运行结束于 {at}。其余各章"
                    "只在构建机器上运行。要自己运行，请在仓库的克隆中以 root 身份执行 `{command}`（需要 qemu 和 "
                    "mmdebstrap，约需十分钟；第一次还要多花至多十分钟来构建这台机器的镜像）。",
    },
}
_HEADERS = {"en": ("chapter", "as root", "as a normal user"), "zh": ("章节", "以 root 身份", "以普通用户身份")}


def markdown(folder: Path = RESULTS, repo: Path = REPO_ROOT, language: str = "en") -> str:
    """The status page's section on cgroup v2: which chapters also ran there, on which kernel, or why
    this copy cannot say (no run, or a run for other files), with the command that runs it; ``language``
    ``en`` or ``zh`` (the Chinese edition's words)."""
    words = _WORDS[language]
    run = read_run(folder, repo)
    if run is None:
        return words["no run"].format(command=COMMAND)
    facts = {"command": COMMAND, "at": run.recorded_at, "kernel": run.kernel, "parts": "; ".join(run.parts)}
    if not run.current:
        return words["other files"].format(**facts)
    if not run.passed:
        return words["failed"].format(**facts)
    verified = run.verified_chapters()
    if not verified:
        return words["none verified"].format(**facts)
    separator = _LIST_SEPARATORS[language]
    lines = [words["verified"].format(chapters=separator.join(verified), controllers=separator.join(run.controllers),
                                      **facts),
             "", "```{list-table}", ":header-rows: 1", ":class: podnotes-stack", ""]
    for row in [_HEADERS[language], *((chapter.chapter, _cell(chapter.as_root, chapter.root_seconds, language),
                                    _cell(chapter.as_user, chapter.user_seconds, language))
                                   for chapter in run.chapters)]:
        lines += [f"* - {row[0]}", f"  - {row[1]}", f"  - {row[2]}"]
    lines.append("```")
    return "\n".join(lines)


@dataclass(frozen=True)
class Recording:
    """A chapter as the cgroup v2 machine executed it: ``outputs`` maps a cell tag to what that cell
    printed there; ``kernel`` and ``recorded_at`` say where and when."""

    chapter: str
    kernel: str
    recorded_at: str
    outputs: dict[str, str]

    def output(self, tag: str) -> str:
        """What the cell tagged ``tag`` printed on the machine (``KeyError`` when no such cell ran)."""
        return self.outputs[tag]


def _printed(cell: dict) -> str:
    return "".join("".join(output.get("text", "")) for output in cell.get("outputs", [])
                   if output.get("output_type") == "stream" and output.get("name") == "stdout")


def recording(chapter: str, folder: Path = RESULTS, repo: Path = REPO_ROOT) -> Recording | None:
    """``chapter`` as the current run executed it as root (``notebooks/<chapter>.ipynb``), or ``None``
    without a current run whose every part passed."""
    run = read_run(folder, repo)
    notebook = folder / "notebooks" / f"{chapter}.ipynb"
    if run is None or not (run.current and run.passed) or chapter not in run.verified_chapters() \
            or not notebook.is_file():
        return None
    outputs = {}
    for cell in json.loads(notebook.read_text()).get("cells", []):
        for tag in cell.get("metadata", {}).get("tags", []):
            outputs[tag] = _printed(cell)
    return Recording(chapter, run.kernel, run.recorded_at, outputs)
