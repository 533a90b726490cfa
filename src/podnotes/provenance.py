"""What this copy of the book ran for real, what it could not, and why.

Some sections need more than Python: root (the kernel experiments of chapters 2-6), a real API server
(chapter 11) or a real kubelet (the observations chapters 7, 8 and 11 overlay on their simulations). Each
such section asks here, once, whether its real part ran, and shows the answer with :func:`show`:

- where it ran, one sentence naming what it ran on (versions);
- where it could not, one note for the reader: what this copy could not run, why, the one command that
  runs it, and that the published site shows the real result.

During a site build (the Sphinx extension :mod:`podnotes.book.sphinxext` sets ``PODNOTES_PROVENANCE_DIR``) every
answer is also written to ``_build/provenance/<chapter>.json``, and the status page ("How this copy was
built") lists them with :func:`status_markdown`.

With ``CI=true`` or ``PODNOTES_REQUIRE_REAL=1`` a part that could not run raises :class:`RealPartMissing`:
the published copy must show real results.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

RECORDS_ENV = "PODNOTES_PROVENANCE_DIR"
REQUIRE_ENV = "PODNOTES_REQUIRE_REAL"
REPO_ROOT = Path(__file__).resolve().parents[2]

BOOK_COMMAND = "make book"
ROOT_BOOK_COMMAND = "sudo make book"


class RealPartMissing(RuntimeError):
    """A section's real part could not run where real results are required (CI)."""


@dataclass(frozen=True)
class Part:
    """One section's real part in this copy.

    ``chapter`` is the notebook's name (``08-probes``); ``what`` says what runs for real, as a noun phrase
    ("the examples on a real kubelet"); ``reason`` why it did not run (empty when it did); ``command`` the
    one command that runs it; ``used`` what the real part ran on (name -> version), for the status page.
    """

    chapter: str
    what: str
    real: bool
    reason: str = ""
    command: str = ""
    used: dict = field(default_factory=dict)
    fallback: str = ""  # what the section shows instead, when not real
    kind: str = "kubelet"  # "kubelet", "api server" or "privileged": which switch makes it required

    def sentence(self) -> str:
        """The reader-facing Markdown for the top of the section."""
        if self.real:
            used = ", ".join(f"{name} {version}" for name, version in self.used.items())
            return f"In this copy, {self.what} ran for real" + (f" ({used})." if used else ".")
        return (f"**This copy could not run {self.what}.** {self.reason}. {self.fallback} "
                f"To run them: `{self.command}`. "
                "The published site shows the real result.")

    def sentence_zh(self) -> str:
        """:meth:`sentence` in the Chinese edition's words (:mod:`podnotes.notices`)."""
        from .notices import sentence, zh

        if self.real:
            used = "、".join(_zh_used(name, str(version)) for name, version in self.used.items())
            return sentence("ran", what=zh(self.what), used=f"（{used}）" if used else "")
        return sentence("not_run", what=zh(self.what), reason=zh(self.reason), fallback=zh(self.fallback),
                        command=self.command)

    def notice(self):
        """The sentence in both editions' languages (:class:`podnotes.notices.Notice`)."""
        from .notices import Notice

        return Notice(self.sentence(), self.sentence_zh())


def _zh_used(name: str, value: str) -> str:
    from .notices import phrase

    label = phrase(name)  # "Kubernetes", or a template such as "应答来自{value}"
    return label.format(value=phrase(value)) if "{value}" in label else f"{label} {phrase(value)}"


KIND_LABELS = {"kubelet": "examples on a real kubelet", "api server": "commands against a real API server",
               "privileged": "kernel experiments (root)"}


def required(kind: str = "kubelet") -> bool:
    """Whether a part of this kind must run for real: privileged experiments when
    ``PODNOTES_REQUIRE_PRIVILEGED`` is set (:mod:`podnotes.linux.privileges`), the rest with ``CI=true`` or
    ``PODNOTES_REQUIRE_REAL=1``."""
    if kind == "privileged":
        from .linux import privileges

        return privileges.required()
    return any(os.environ.get(name, "").lower() in ("1", "true", "yes") for name in ("CI", REQUIRE_ENV))


def show(part: Part):
    """Record ``part`` and return what the section shows (a cell tagged ``remove-input`` displays it): its
    sentence as a :class:`podnotes.notices.Notice`, in English and Chinese."""
    record(part)
    if not part.real and required(part.kind):
        raise RealPartMissing(f"{part.chapter}: {part.what} must run for real here, but: {part.reason}")
    return part.notice()


# ---------------------------------------------------------------------------------------------------------
# The three kinds of real part.

def kubelet_part(chapter: str, examples: list[str], folder: Path | None = None) -> tuple[dict, Part]:
    """``(overlays, part)``: the observations of ``examples`` (name -> :class:`podnotes.node.overlays.Overlay`,
    empty unless every one of them is there and current) and whether they are real."""
    from .node.observe import observations_state
    from .node.overlays import load_overlays

    what = "these examples on a real kubelet"
    fallback = "No observed timeline is drawn here; the simulations in this chapter stand alone."
    state = observations_state(folder)
    overlays = load_overlays(state.folder) if state.current else {}
    missing = [name for name in examples if name not in overlays]
    if not missing:
        return {name: overlays[name] for name in examples}, Part(chapter, what, True, used=_node_used(state.folder))
    failed = f"The example{'s' if len(missing) > 1 else ''} {', '.join(missing)} failed on the node"
    return {}, _node_part_missing(
        chapter, what, fallback, state, failed,
        "This machine could run them, but they were not run before this copy was built")


def scene_part(chapter: str, scene: str, what: str, fallback: str,
               folder: Path | None = None) -> tuple[dict | None, Part]:
    """``(record, part)``: the real node's recording of ``scene`` (:func:`podnotes.node.scenes.load_scene`,
    None unless it is there, current and without error) and whether this section's node part is real.
    ``what`` names the node part as a noun phrase; ``fallback`` says what the section shows without it."""
    from .node.observe import observations_state
    from .node.scenes import load_scene

    state = observations_state(folder)
    record = load_scene(scene, state.folder) if state.current else None
    if record and "error" not in record:
        return record, Part(chapter, what, True, used=_node_used(state.folder))
    failed = f"The node ran, but this part failed there ({record['error'] if record else 'no recording'})"
    return None, _node_part_missing(
        chapter, what, fallback, state, failed,
        "This machine could run it, but the node was not run before this copy was built")


def _node_used(folder: Path) -> dict[str, str]:
    """What the node's observations were recorded on, for a real part's line (empty values left out)."""
    from .node.overlays import node_setup

    setup = node_setup(folder)
    used = {"Kubernetes": setup.get("kubernetes"), "containerd": _version_only(setup.get("containerd")),
            "runc": _version_only(setup.get("runc")), "Linux": setup.get("kernel"), "cgroups": setup.get("cgroups")}
    return {name: value for name, value in used.items() if value}


def _node_part_missing(chapter: str, what: str, fallback: str, state, failed: str, not_run: str) -> Part:
    """A node part this copy could not show, with the reason a reader is given: the machine cannot run a
    node, ``not_run`` (the node was not run), the observations are stale, or ``failed`` (what went wrong there)."""
    from .node.observe import reasons_node_cannot_run

    cannot = reasons_node_cannot_run()
    if cannot:
        reason = _cannot_sentence(cannot)
    elif not state.present:
        reason = not_run
    elif not state.current:
        reason = "The observations on this machine belong to other examples or another Kubernetes release"
    else:
        reason = failed
    command = ROOT_BOOK_COMMAND if any(r.startswith("root") for r in cannot) else BOOK_COMMAND
    return Part(chapter, what, False, reason, command, fallback=fallback)


# What the node lacks (podnotes.node.binaries.missing_prerequisites), as a reader reads it.
_LACKS = (
    ("root", "root, which the kubelet and containerd need"),
    ("kubelet/", "the kubelet, kube-scheduler, kube-controller-manager, containerd and runc programs, which "
                 "`make book` builds with Go 1.26 (runc also with gcc and Debian's libseccomp-dev)"),
    ("CNI", "the CNI plugins (Debian package containernetworking-plugins)"),
    ("/bin/busybox", "busybox (Debian package busybox-static), which the node's images are made from"),
    ("go ", "Go 1.26, which builds the node's pause program"),
)


def _cannot_sentence(reasons: list[str]) -> str:
    if reasons[0].startswith("this copy was built on"):
        return reasons[0][0].upper() + reasons[0][1:]
    phrases = []
    for reason in reasons:
        phrase = next((text for prefix, text in _LACKS if reason.startswith(prefix)), reason)
        if phrase not in phrases:
            phrases.append(phrase)
    return "This copy was built without " + "; and without ".join(phrases)


def _version_only(line: str | None) -> str | None:
    """``containerd containerd.io 1.7.24 ...`` or ``runc version 1.1.15`` -> the version."""
    if not line or line == "unknown":
        return None
    words = line.split()
    numbered = [word for word in words if word[:1].isdigit() or (word[:1] == "v" and word[1:2].isdigit())]
    return numbered[0] if numbered else line


def api_server_part(chapter: str, book) -> Part:
    """Whether the kubectl chapter talked to a real API server (``book``: a
    :class:`podnotes.cluster.chapter.ChapterCluster`)."""
    what = "the commands on this page against a real API server"
    if book.live:
        return Part(chapter, what, True, used={"kube-apiserver": server_version(book.cluster),
                                               "answers from": book.mode}, kind="api server")
    from .cluster.binaries import find_binaries, pretending_no_kubernetes

    command = BOOK_COMMAND
    if find_binaries() is None:
        import shutil

        if shutil.which("go") is None or pretending_no_kubernetes():
            lacks = "Go 1.26, which builds them, is not installed"
        else:
            lacks = "they were not built before this copy was"
            command = "make k8s-binaries book"
        reason = (f"No cluster was reachable, and there are no kube-apiserver and etcd programs to start one: "
                  f"{lacks}")
    else:
        reason = "No cluster was reachable, and the local kube-apiserver and etcd did not start"
    return Part(chapter, what, False, reason, command, fallback=(
        "The answers below, marked [simulated], are what podnotes predicts the API server answers."),
        kind="api server")


def server_version(cluster) -> str:
    try:
        from .cluster import api

        return api.version_api(cluster.api_client).get_code().git_version
    except Exception:  # the version is a detail for the status page; the chapter's own checks need no version
        return "unknown"


def privileged_part(chapter: str, requirement: str = "namespaces") -> Part:
    """Whether the kernel experiments of a chapter run for real (``requirement`` as in
    :mod:`podnotes.linux.privileges`)."""
    from .linux import machine, privileges

    facts = machine.detect()
    what = "the experiments on this page"
    lacking = privileges.missing(requirement, facts)
    if lacking is None:
        used = {"Linux": facts.kernel, "cgroups": facts.cgroup_version}
        if facts.rootless:
            used["without root"] = "in a user namespace of the build user's own"
        return Part(chapter, what, True, used=used, kind="privileged")
    if not facts.linux:
        reason = f"This copy was built on {platform.system()}; they need {lacking}"
    else:
        reason = f"This copy was built without {re.sub(r',? on Linux$', '', lacking)}, which they need"
    return Part(chapter, what, False, reason, ROOT_BOOK_COMMAND,
                fallback="Each experiment below says what it needs instead of showing its result.",
                kind="privileged")


# ---------------------------------------------------------------------------------------------------------
# Records, and the status page.

def records_dir() -> Path | None:
    value = os.environ.get(RECORDS_ENV)
    return Path(value) if value else None


def record(part: Part, folder: Path | None = None) -> None:
    """Add ``part`` to its chapter's record (replacing an earlier answer for the same ``what``)."""
    folder = folder or records_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{part.chapter}.json"
    parts = [entry for entry in _read(path) if entry.get("what") != part.what]
    parts.append({**asdict(part), "recorded_at": _now()})
    path.write_text(json.dumps(parts, indent=2))


def _read(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []


def read_records(folder: Path | None = None) -> dict[str, list[Part]]:
    """chapter -> its parts, from a build's records."""
    folder = folder or records_dir()
    if folder is None or not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.json")):
        entries = _read(path)
        found[path.stem] = [Part(**{key: entry[key] for key in Part.__dataclass_fields__ if key in entry})
                            for entry in entries]
    return found


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def commit() -> str:
    """The checkout's commit (short hash, ``-dirty`` with uncommitted changes), or ``unknown``."""
    try:
        result = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


def book_chapters() -> list[str]:
    """The notebooks of the book, in reading order (``08-probes``)."""
    from .book.notebooks import toc_notebooks

    return [path.stem for path in toc_notebooks(REPO_ROOT)]


def chapters_with_real_parts() -> list[str]:
    """The notebooks that show a real part's answer (their code calls ``provenance.show``)."""
    from .book.notebooks import toc_notebooks

    return [path.stem for path in toc_notebooks(REPO_ROOT) if "provenance.show(" in path.read_text()]


def kernel_chapters() -> list[str]:
    """The notebooks whose experiments need root (their code uses :mod:`podnotes.linux.privileges`); their
    sections say themselves where they cannot run."""
    from .book.notebooks import toc_notebooks

    return [path.stem for path in toc_notebooks(REPO_ROOT) if "podnotes.linux.privileges" in path.read_text()]


def kernel_part(chapter: str) -> Part:
    """Whether ``chapter``'s kernel experiments ran for real in this build: they need namespaces and, for the
    cgroup experiments, the cgroup controllers, and root where a section asks for it
    (:func:`podnotes.linux.privileges.missing`)."""
    requirements = ["namespaces", "cgroups"]
    source = REPO_ROOT / "chapters" / f"{chapter}.md"
    if source.is_file() and 'section("root"' in source.read_text():  # e.g. writing another process's uid_map
        requirements.append("root")
    parts = [privileged_part(chapter, requirement) for requirement in requirements]
    return next((part for part in parts if not part.real), parts[0])


def missing_records(folder: Path | None = None) -> list[str]:
    """Chapters with real parts that left no record in this build's records folder."""
    found = read_records(folder)
    return [chapter for chapter in chapters_with_real_parts() if not found.get(chapter)]


OBSERVATIONS_ENV = "PODNOTES_OBSERVATIONS"  # set by the book build: "reused" or "recorded"


def observations_line(language: str = "en") -> str:
    """When the real-kubelet observations this copy draws were recorded, on what, and whether this build
    recorded them or reused earlier ones (``make book`` says so in ``PODNOTES_OBSERVATIONS``); ``language``
    ``en`` or ``zh`` (the Chinese edition's words)."""
    from .node.observe import observations_state
    from .node.overlays import node_setup

    zh = language == "zh"
    state = observations_state()
    if not state.current:
        return ("没有与这些示例相符的当前记录；各章只画出它们的模拟" if zh else
                "none that are current for these examples; the chapters draw their simulations alone")
    setup = node_setup(state.folder)
    when = setup.get("observed_at", "时间不明" if zh else "at an unknown time")
    mode = os.environ.get(OBSERVATIONS_ENV, "")
    version = setup.get("kubernetes", "unknown")
    if zh:
        how = {"reused": "；本次构建沿用了它们（示例相同，固定版本相同）", "recorded": "；由本次构建记录"}.get(mode, "")
        return f"{when} 记录于 Kubernetes {version}{how}"
    how = {"reused": "; this build reused them (same examples, same pins)",
           "recorded": "; this build recorded them"}.get(mode, "")
    return f"recorded {when} on Kubernetes {version}{how}"


def in_both_languages(english: str, chinese: str) -> str:
    """MyST Markdown holding both texts, each in a container of its language's class; the site's stylesheet
    (``podnotes.css``) shows each edition only its own. For outputs that are reader text made of Markdown
    directives (tables), which :class:`podnotes.notices.Notice` does not render."""
    return (f"::::{{container}} podnotes-lang-en\n{english}\n::::\n\n"
            f"::::{{container}} podnotes-lang-zh\n{chinese}\n::::")


def build_markdown(language: str = "en") -> str:
    """This build as a Markdown list: commit, version, date, the system, the real-kubelet observations
    (``language`` ``en`` or ``zh``)."""
    from . import __version__
    from .linux.machine import detect, host_facts
    from .notices import phrase

    facts = host_facts()
    root = detect().root
    if language == "zh":
        return "\n".join([
            f"- **提交**：`{commit()}`",
            f"- **podnotes 版本**：{__version__}",
            f"- **构建时间**：{_now()}",
            f"- **系统**：{facts.system} {facts.kernel}，cgroup {phrase(facts.cgroup_version)}，"
            f"{'root' if root else '非 root'}，Python {facts.python}",
            f"- **真实 kubelet 观测**：{observations_line('zh')}",
        ])
    return "\n".join([
        f"- **commit**: `{commit()}`",
        f"- **podnotes version**: {__version__}",
        f"- **built**: {_now()}",
        f"- **system**: {facts.system} {facts.kernel}, cgroups {facts.cgroup_version}, "
        f"{'root' if root else 'not root'}, Python {facts.python}",
        f"- **real-kubelet observations**: {observations_line()}",
    ])


def _cell(text: str) -> str:
    return text.replace("\n", " ") or "-"


# The status page's words in the Chinese edition (the English ones are in the code below).
_STATUS_ZH_HEADER = ("章节", "真实部分", "这份副本中", "运行环境，或未运行的原因")
_STATUS_ZH = {"ran for real": "已真实运行", "fell back": "改用替代内容",
              "examples on a real kubelet": "真实 kubelet 上的示例",
              "commands against a real API server": "针对真实 API 服务器的命令",
              "kernel experiments (root)": "内核实验（root）"}


def parts_markdown(chapters: list[str] | None = None, folder: Path | None = None, language: str = "en") -> str:
    """One row per real part of each chapter in ``chapters`` (default: the book's, in reading order), as a
    MyST list-table whose rows stack on a phone (class ``podnotes-stack``), then a line naming the
    chapters that need nothing but Python (``language`` ``en`` or ``zh``)."""
    from .notices import zh as to_zh

    chinese = language == "zh"
    chapters = chapters if chapters is not None else book_chapters()
    folder = folder or records_dir()
    if folder is None:
        return ("只有站点构建（`make book`）才保存各章的记录。" if chinese
                else "Per-chapter records are kept only by a site build (`make book`).")
    found = read_records(folder)
    kernel = kernel_chapters()
    rows, python_only = [], []
    for chapter in chapters:
        recorded = [part for part in found.get(chapter, []) if part.kind != "privileged"]  # from kernel_part
        parts = ([kernel_part(chapter)] if chapter in kernel else []) + recorded
        if not parts and chapter[:2].isdigit():  # numbered chapters; the reference pages are not listed
            python_only.append(chapter)
        for part in parts:
            outcome = "ran for real" if part.real else "fell back"
            label = KIND_LABELS.get(part.kind, part.what)
            if chinese:
                detail = ("、".join(_zh_used(name, str(version)) for name, version in part.used.items())
                          if part.real else to_zh(part.reason))
                rows.append((chapter, _STATUS_ZH.get(label, to_zh(label)), _STATUS_ZH[outcome], detail))
            else:
                detail = ", ".join(f"{name} {version}" for name, version in part.used.items()) if part.real \
                    else part.reason
                rows.append((chapter, label, outcome, detail))
    table = ["```{list-table}", ":header-rows: 1", ":class: podnotes-stack", ""]
    header: tuple[str, ...] = (_STATUS_ZH_HEADER if chinese
                               else ("chapter", "real part", "in this copy", "ran on, or why not"))
    for row in [header, *rows]:
        table += [f"* - {_cell(row[0])}", *(f"  - {_cell(cell)}" for cell in row[1:])]
    table.append("```")
    if python_only:
        names = ", ".join(python_only)
        table += ["", f"其余章节（{names}）是纯 Python 的：其中没有任何内容需要 root、API 服务器或 kubelet，"
                      "所以它们在每台机器上的运行结果都一样。" if chinese else
                      f"The other chapters ({names}) are pure Python: nothing in them needs root, an API "
                      "server or a kubelet, so they run the same on every machine."]
    return "\n".join(table)


def status_markdown(chapters: list[str] | None = None, folder: Path | None = None) -> str:
    """The status page's content: :func:`build_markdown`, then :func:`parts_markdown`."""
    return build_markdown() + "\n\n" + parts_markdown(chapters, folder)
