"""The book's drawings of how a Pod is built: processes, roots, namespaces, cgroups, the Pod's anatomy,
and the Pod's phases and container states.

Each function returns a ``Diagram``: a matplotlib figure drawn from the package's own data (the
steps ``podnotes.linux.launcher.setup_steps`` takes, the namespace matrix of
``podnotes.linux.pod.planned_sharing``, the kubelet's cgroup names in
``podnotes.linux.kube_resources``, the phases and states of ``podnotes.probes.timeline``), together
with an alt text written from the same data. Drawings are built offline with matplotlib, which the
book already uses for its timelines, so a reader's machine needs no other program.

They follow the timelines' rules for a phone (``podnotes.plot``): ``podnotes.plot.WIDTH_INCHES``
wide, no letter smaller than ``podnotes.plot.FONT_POINTS``, so that every letter is at least
``podnotes.plot.MIN_TEXT_PX`` high in a phone's column; laid out tall and narrow, in few words; shown as
SVG (vector, text as outlines, no raster image inside). The drawing area is measured in inches, y growing
downwards.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import re
import textwrap
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from podnotes import plot
from podnotes.kube.enums import CONTAINER_STATES, PHASES
from podnotes.linux import kube_resources, pod
from podnotes.linux.launcher import SetupStep, Spec, clone_flag, setup_steps

WIDTH = plot.WIDTH_INCHES
FONT = plot.FONT_POINTS
# Characters of FONT-point text an inch holds (DejaVu Sans; monospace is a little wider): measured at 9 pt
# (13, 12.5 and 11.5 an inch), fewer as the letters grow.
CHARS_PER_INCH = 13.0 * 9 / FONT
MONO_CHARS_PER_INCH = 12.9 * 9 / FONT
BOLD_CHARS_PER_INCH = 11.5 * 9 / FONT
# The advance of one DejaVu Sans Mono character (0.6 em), in inches.
MONO_CHAR_INCHES = 0.6 * FONT / 72
LINE_INCHES = 0.165 * FONT / 9
MONO = "DejaVu Sans Mono"
# A Chinese character (WenQuanYi Zen Hei) is one em wide, 9.35 pt at 9.5 pt measured, against the 5.85 pt a
# letter is given by CHARS_PER_INCH: a character takes the room of this many letters when wrapping.
WIDE_CHAR_COLUMNS = 1.65
INK = "#222222"
GREY = "#555555"
# Okabe-Ito hues, lightened for fills, so that text on them stays dark on light.
FILLS = {"host": "#E6E6E6", "pod": "#CFE8F7", "own": "#FBE3B8", "step": "#F4F4F4", "ok": "#CDEBDD",
         "bad": "#F6D2BF", "plain": "#FFFFFF"}
EDGES = {"host": "#7F7F7F", "pod": "#0072B2", "own": "#E69F00", "step": "#7F7F7F", "ok": "#009E73",
         "bad": "#D55E00", "plain": "#555555"}

#: What each namespace kind isolates, in the words of namespaces(7)'s table.
ISOLATES = {
    "pid": "process IDs",
    "mnt": "mount points",
    "uts": "host name and NIS domain name",
    "net": "network devices, stacks, ports",
    "ipc": "System V IPC, POSIX message queues",
    "user": "user and group IDs",
    "cgroup": "cgroup root directory",
    "time": "boot and monotonic clocks",
}
#: The words the drawings use for a cell of the Pod's namespace matrix (``podnotes.linux.pod.SHARING``).
SHARING_WORDS = {"pod": "Pod's", "own": "own", "host": "node's"}
SHARING_LEGEND = {"pod": "Pod's: held by pause, joined with setns", "own": "own: created by the container",
                  "host": "node's: not unshared"}


# ---------------------------------------------------------------------------------------------------------
# The language a drawing's labels are written in: English, or Chinese through the table
# podnotes/data/figure-labels.zh-CN.yml (terms as chapters/reference/glossary.md and data/zh-terms.yml).

LANGUAGES = ("en", "zh-CN")
_language: contextvars.ContextVar[str] = contextvars.ContextVar("podnotes_figure_language", default="en")
#: English labels a Chinese drawing asked for that the table has no Chinese for; tests look here.
untranslated: set[str] = set()


@functools.cache
def label_table() -> dict[str, Any]:
    """The figure-label table: ``labels`` (English -> Chinese), ``patterns`` (a regular expression over a
    whole label with named groups -> a Chinese format of them, for labels holding data such as a Pod's name)
    and ``kept`` (labels drawn as they are in both languages: names, code, status words, field names)."""
    from .datafiles import load

    return load("figure-labels.zh-CN.yml")


def _t(text: str) -> str:
    """``text``, a label of a drawing, in the language being drawn."""
    if _language.get() == "en" or not text.strip():
        return text
    table = label_table()
    if text in table["labels"]:
        return table["labels"][text]
    for rule in table["patterns"]:
        match = re.fullmatch(rule["en"], text)
        if match:
            return rule["zh"].format(**match.groupdict())
    if text not in table["kept"]:
        untranslated.add(text)
    return text


def _code(text: str) -> str:
    """``text``, code that may end in words (a system call and what it does), in the language being drawn:
    the table's Chinese where it has some, else as it is (code is the same in both languages)."""
    if _language.get() == "en":
        return text
    return label_table()["labels"].get(text, text)


def drawn_in(language: str, draw: Callable[..., Diagram], *args: Any, **kwargs: Any) -> Diagram:
    """``draw(*args, **kwargs)`` with its labels in ``language`` (one of ``LANGUAGES``). Raises
    ``ValueError`` for another language."""
    if language not in LANGUAGES:
        raise ValueError(f"no figure labels in {language!r}; known: {', '.join(LANGUAGES)}")
    token = _language.set("en" if language == "en" else "zh")
    try:
        diagram = draw(*args, **kwargs)
    finally:
        _language.reset(token)
    diagram.language = language
    return diagram


@dataclass
class Diagram:
    """A drawing: ``name`` (a file stem), the matplotlib ``figure``, its ``alt`` text and the ``language``
    of its labels."""

    name: str
    figure: Any  # a matplotlib Figure; matplotlib is imported only when drawing
    alt: str
    language: str = "en"

    def svg(self) -> str:
        """The drawing as SVG text, its alt text (if any) as the SVG's ``<title>`` and ``aria-label``."""
        text = plot.render(self.figure, "svg").decode("utf-8")
        if not self.alt:  # a timeline: its glue:figure gives the picture its alt text
            return text
        start = text.index("<svg")
        end = text.index(">", start)
        label = escape(self.alt, quote=True)
        return (text[:end] + f' role="img" aria-label="{label}">' + f"\n <title>{escape(self.alt)}</title>"
                + text[end + 1:])

    def image(self):
        """An IPython SVG image, for ``myst_nb.glue`` and a ``glue:figure`` with ``:alt:``."""
        from IPython.display import SVG

        return SVG(data=self.svg())

    def _repr_svg_(self) -> str:
        return self.svg()


#: The MIME type of a drawing in both languages: ``{"en": svg, "zh-CN": svg}`` (``podnotes.book.figures``).
BILINGUAL_MIME = "application/vnd.podnotes.bilingual-figure+json"


@dataclass
class BilingualDiagram:
    """One drawing in both editions' languages: ``en`` and ``zh`` (``Diagram``). In the book, both SVGs
    (``BILINGUAL_MIME``, drawn by ``podnotes.book.figures``); as HTML (Jupyter), both SVGs inline, each in a
    ``podnotes-lang-en|zh`` wrapper with its ``lang``, and the style of ``podnotes.notices`` that shows only
    the edition's own (``<html lang>``); elsewhere the English SVG."""

    en: Diagram
    zh: Diagram

    def _repr_html_(self) -> str:
        from podnotes.notices import _STYLE

        parts = [_STYLE]
        for lang, code, diagram in (("en", "en", self.en), ("zh", "zh-CN", self.zh)):
            svg = diagram.svg()
            svg = svg[svg.index("<svg"):]  # no XML declaration inside HTML
            parts.append(f'<div class="podnotes-lang-{lang}" lang="{code}">{svg}</div>')
        return "".join(parts)

    def _repr_svg_(self) -> str:
        return self.en.svg()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Both SVGs for the book (``podnotes.book.figures``), the HTML for Jupyter, the English SVG else."""
        return {BILINGUAL_MIME: {"en": self.en.svg(), "zh-CN": self.zh.svg()}, "text/html": self._repr_html_(),
                "image/svg+xml": self.en.svg()}

    def image(self) -> BilingualDiagram:
        """What a glue cell glues for a ``glue:figure``: this drawing, in both languages."""
        return self


def bilingual(draw: Callable[..., Diagram], *args: Any, **kwargs: Any) -> BilingualDiagram:
    """``draw(*args, **kwargs)`` drawn in English and in Chinese (``drawn_in``)."""
    return BilingualDiagram(drawn_in("en", draw, *args, **kwargs), drawn_in("zh-CN", draw, *args, **kwargs))


# ---------------------------------------------------------------------------------------------------------
# Drawing primitives, in inches.


def _canvas(height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, height), dpi=plot.DPI)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(height, 0)
    ax.axis("off")
    return figure, ax


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _columns(text: str) -> float:
    """How many Latin letters' room ``text`` takes (a Chinese character ``WIDE_CHAR_COLUMNS``)."""
    return sum(WIDE_CHAR_COLUMNS if _is_wide(char) else 1 for char in text)


def _wrap(text: str, width: float, mono: bool = False, bold: bool = False) -> list[str]:
    per_inch = MONO_CHARS_PER_INCH if mono else BOLD_CHARS_PER_INCH if bold else CHARS_PER_INCH
    columns = max(int((width - 0.14) * per_inch), 8)
    return [line for part in text.split("\n") for line in (_wrap_line(part, columns) or [""])]


def _wrap_line(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` letters' room: Latin text breaks at spaces, Chinese between any two
    characters except before closing punctuation."""
    if not any(_is_wide(char) for char in text):
        return textwrap.wrap(text, columns, break_on_hyphens=False)
    # Tokens: a Chinese character with any closing punctuation after it, or a Latin word with its spaces.
    tokens = re.findall(r"[\u3000-\u303f\u4e00-\u9fff][，。、：；！？）」』%]*|[^\s\u3000-\u303f\u4e00-\u9fff]+\s*"
                        r"|\s+|[^\s]", text)
    lines, line = [], ""
    for token in tokens:
        if line and _columns((line + token).rstrip()) > columns:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > 1 and len(lines[-1]) == 1 and _is_wide(lines[-1]) and _is_wide(lines[-2][-1]):
        lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]  # no character alone on the last line
    return lines


def _lines_height(lines: int) -> float:
    return lines * LINE_INCHES + 0.14


def _box(ax, x: float, y: float, w: float, h: float, kind: str = "plain", dashed: bool = False) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=FILLS[kind], edgecolor=EDGES[kind], linewidth=1.1,
                                linestyle="--" if dashed else "-"))


def _text(ax, x: float, y: float, text: str, align: str = "center", colour: str = INK, bold: bool = False,
          mono: bool = False, va: str = "center", on_line: bool = False) -> None:
    """Text at (x, y); ``on_line`` puts it on a white ground, for a label sitting on an arrow."""
    ax.text(x, y, text, ha=align, va=va, color=colour, fontsize=FONT, fontweight="bold" if bold else "normal",
            family=[MONO, *plot.installed_font_families()] if mono else None, linespacing=1.15,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5} if on_line else None)


def _label_box(ax, x: float, y: float, w: float, text: str, kind: str = "plain", bold: bool = False,
               mono: bool = False, dashed: bool = False) -> float:
    """A box ``w`` wide at (x, y) holding ``text`` wrapped to fit; returns its height."""
    lines = _wrap(text, w, mono, bold)
    h = _lines_height(len(lines))
    _box(ax, x, y, w, h, kind, dashed)
    _text(ax, x + w / 2, y + h / 2, "\n".join(lines), bold=bold, mono=mono)
    return h


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], dashed: bool = False,
           bend: float = 0.0, colour: str = INK) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": colour, "linewidth": 1.2, "shrinkA": 0, "shrinkB": 0,
                            "linestyle": "--" if dashed else "-", "mutation_scale": 12,
                            "connectionstyle": f"arc3,rad={bend}"})


def _diagram(name: str, figure, alt: str) -> Diagram:
    return Diagram(name=name, figure=figure, alt=" ".join(alt.split()))


# ---------------------------------------------------------------------------------------------------------
# Chapter 1: fork and exec.

#: The life of a child process, as (column, text) rows: the parent's column 0, the child's 1.
FORK_EXEC_ROWS = (
    (0, "parent process\nPID P"),
    (1, "child: a copy of the parent\nPID C, parent P; same memory, open files, root, namespaces"),
    (1, "child runs a new program\nsame PID C, new memory image"),
    (1, "child exits with a status\na zombie until its parent asks"),
    (0, "parent: waitpid(C) returns the status; C is gone"),
)
#: The calls that lead from one row to the next.
FORK_EXEC_CALLS = ("fork()", "execve(path, argv)", "exit(0)", "SIGCHLD, waitpid()")


def fork_exec() -> Diagram:
    """Chapter 1: how one process starts another (``fork``, ``execve``, ``exit``, ``waitpid``; fork(2),
    execve(2), wait(2)). The child inherits the parent's view and budget, which is why the later chapters
    change them between ``fork`` and ``execve``."""
    gap = 0.34
    column_w = (WIDTH - 0.4) / 2
    column_x = (0.1, 0.3 + column_w)
    heights = [_lines_height(len(_wrap(_t(text), column_w))) for _, text in FORK_EXEC_ROWS]
    tops, y = [], 0.08
    for height in heights:
        tops.append(y)
        y += height + gap
    figure, ax = _canvas(y - gap + 0.1)
    with plot._style():
        for (column, text), top in zip(FORK_EXEC_ROWS, tops, strict=True):
            _label_box(ax, column_x[column], top, column_w, _t(text), "own" if column else "pod")
        for index, call in enumerate(FORK_EXEC_CALLS):
            (from_col, _), (to_col, _) = FORK_EXEC_ROWS[index], FORK_EXEC_ROWS[index + 1]
            start = (column_x[from_col] + column_w / 2, tops[index] + heights[index])
            end = (column_x[to_col] + column_w / 2, tops[index + 1])
            _arrow(ax, start, end)
            middle_x, middle_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            if from_col == to_col:  # beside the arrow, towards the empty middle
                _text(ax, middle_x - 0.1, middle_y, call, align="right", mono=True, colour=GREY)
            else:
                _text(ax, middle_x, middle_y, call, mono=True, colour=GREY, on_line=True)
        parent_x = column_x[0] + column_w / 2
        ax.plot([parent_x] * 2, [tops[0] + heights[0], tops[-1]], color=EDGES["pod"], linestyle=":",
                linewidth=1.1)
        _text(ax, parent_x - 0.1, (tops[1] + tops[-1] + heights[1]) / 2,
              "\n".join(_wrap(_t("parent carries on"), parent_x - 0.1)), align="right", colour=GREY)
    rows = "; then ".join(f"{call} leads to: {text.splitlines()[0]}"
                          for call, (_, text) in zip(FORK_EXEC_CALLS, FORK_EXEC_ROWS[1:], strict=False))
    return _diagram("fork-exec", figure,
                    f"A parent process (left) and its child (right). {rows}. The parent keeps running meanwhile.")


# ---------------------------------------------------------------------------------------------------------
# Chapter 2: chroot against pivot_root.

#: What each way of changing the root leaves behind.
ROOT_OUTCOMES = {
    "chroot": "the old root stays mounted: a process with CAP_SYS_CHROOT can walk back out",
    "pivot_root": "the old root is unmounted: the walk up with .. ends at the new root",
}


def root_specs() -> dict[str, Spec]:
    """The two ways of entering a root file system ``ROOT`` that chapter 2 compares, as launcher specs."""
    return {"chroot": Spec(argv=["sh"], rootfs="ROOT", root_mode="chroot"),
            "pivot_root": Spec(argv=["sh"], rootfs="ROOT", unshare=["mnt"], root_mode="pivot_root",
                               mount_proc=True)}


def _step_text(step: SetupStep) -> str:
    return f"{_code(step.call)}\n$ {step.shell}"


def root_switch() -> Diagram:
    """Chapter 2: the steps of ``chroot`` and of ``pivot_root`` in a mount namespace, side by side, as
    ``podnotes.linux.launcher.setup_steps`` lists them for ``root_specs``; chroot(2), pivot_root(2)."""
    specs = root_specs()
    titles = {"chroot": "chroot", "pivot_root": "pivot_root in a mount namespace"}
    columns = {mode: setup_steps(spec) for mode, spec in specs.items()}
    column_w, gap = (WIDTH - 0.2) / 2, 0.2
    title_lines = {mode: _wrap(_t(title), column_w, bold=True) for mode, title in titles.items()}
    title_h = max(len(lines) for lines in title_lines.values()) * LINE_INCHES + 0.12
    heights = {mode: [_lines_height(len(_wrap(_step_text(step), column_w, mono=True))) for step in steps]
               + [_lines_height(len(_wrap(_t(ROOT_OUTCOMES[mode]), column_w)))] for mode, steps in columns.items()}
    total = max(sum(h) + gap * (len(h) - 1) for h in heights.values()) + title_h + 0.1
    figure, ax = _canvas(total + 0.1)
    with plot._style():
        for column, mode in enumerate(columns):
            x = 0.07 + column * (column_w + 0.06)
            _text(ax, x + column_w / 2, 0.06, "\n".join(title_lines[mode]), bold=True, va="top")
            y = 0.06 + title_h
            for step in columns[mode]:
                h = _label_box(ax, x, y, column_w, _step_text(step), "step", mono=True)
                y += h
                _arrow(ax, (x + column_w / 2, y), (x + column_w / 2, y + gap))
                y += gap
            _label_box(ax, x, y, column_w, _t(ROOT_OUTCOMES[mode]), "bad" if mode == "chroot" else "ok")
    described = " ".join(f"{titles[mode]}: {', then '.join(step.call for step in steps)}; "
                         f"{ROOT_OUTCOMES[mode]}." for mode, steps in columns.items())
    return _diagram("root-switch", figure, f"Two columns of steps, each with its shell command. {described}")


# ---------------------------------------------------------------------------------------------------------
# Chapter 3: the namespace kinds.


@dataclass(frozen=True)
class NamespaceUse:
    """Whose namespace of one kind the containers of a Pod are in: ``sharing`` is what they are in by default
    (``podnotes.linux.pod.SHARING``: the Pod's, each container's own, the node's), ``words`` says it, with
    the field or node that changes it."""

    sharing: str
    words: str


def namespace_use(kind: str) -> NamespaceUse:
    """Whose namespace of ``kind`` the non-privileged containers of a Pod without ``hostNetwork``,
    ``hostPID`` or ``hostIPC`` are in. The kubelet asks the runtime for the Pod's network and IPC
    namespaces, a PID namespace per container unless ``shareProcessNamespace`` (CRI ``NamespaceOption``,
    ``pkg/kubelet/kuberuntime/util/util.go``: ``NetworkNamespaceForPod``, ``IpcNamespaceForPod``,
    ``PidNamespaceForPod``) and a user namespace for the Pod only with ``hostUsers: false``
    (``UsernsOptions``, KEP-127); containerd adds the Pod's UTS namespace, a mount namespace per container
    and, on cgroup v2 only, a cgroup namespace per container (``internal/cri/server/container_create_linux.go``;
    ``podnotes.linux.container.runtime_namespaces``)."""
    from podnotes.linux.container import runtime_namespaces

    if kind in pod.shared_kinds():
        return NamespaceUse("pod", "the Pod's: one for all its containers")
    if kind in pod.container_own_kinds():
        if kind in pod.shared_kinds(share_process_namespace=True):
            return NamespaceUse("own", "its own; the Pod's with shareProcessNamespace")
        return NamespaceUse("own", "its own, always")
    if kind in runtime_namespaces(cgroup_v2=True):
        return NamespaceUse("own", "its own on cgroup v2, the node's on v1")
    if kind in runtime_namespaces(cgroup_v2=False, host_users=False):
        return NamespaceUse("host", "the node's; the Pod's with hostUsers: false")
    return NamespaceUse("host", "the node's, always")


NAMESPACE_USE_HEADER = "a Pod's container is in"


def namespace_kinds() -> Diagram:
    """Chapter 3: one block per namespace kind (``ISOLATES``, namespaces(7)): its ``clone`` flag (the
    package's ``podnotes.linux.syscalls.NAMESPACE_FLAGS``; ``CLONE_NEWTIME`` for time) and what it isolates
    side by side, and under them, the whole width, whose namespace of that kind a container of a Pod is in
    (``namespace_use``), shaded as in the Pod's namespace matrix: the Pod's, its own, the node's. The kind
    and its flag share a cell, one under the other, so that the table fits a phone."""
    left = 0.05
    flag_w = MONO_CHAR_INCHES * len("CLONE_NEWCGROUP") + 0.2
    widths = (flag_w, WIDTH - 2 * left - flag_w)
    full = WIDTH - 2 * left
    rows = [(kind, clone_flag(kind), ISOLATES[kind], namespace_use(kind)) for kind in ISOLATES]
    head = [_wrap(_t("kind, clone flag"), widths[0], bold=True), _wrap(_t("isolates"), widths[1], bold=True)]
    head_use = _wrap(_t(NAMESPACE_USE_HEADER), full, bold=True)
    blocks = [(_lines_height(max(2, len(_wrap(_t(isolates), widths[1])))), _wrap(_t(isolates), widths[1]),
               _wrap(_t(use.words), full)) for _, _, isolates, use in rows]
    height = 0.12 + _lines_height(len(head[0])) + _lines_height(len(head_use)) + 0.07 * len(rows)
    height += sum(top + _lines_height(len(use_lines)) for top, _, use_lines in blocks)
    figure, ax = _canvas(height)
    with plot._style():
        y = 0.06
        top = _lines_height(max(len(head[0]), len(head[1])))
        _box(ax, left, y, widths[0], top, "step")
        _text(ax, left + 0.07, y + top / 2, "\n".join(head[0]), align="left", bold=True)
        _box(ax, left + widths[0], y, widths[1], top, "step")
        _text(ax, left + widths[0] + 0.07, y + top / 2, "\n".join(head[1]), align="left", bold=True)
        y += top
        band = _lines_height(len(head_use))
        _box(ax, left, y, full, band, "step")
        _text(ax, left + 0.07, y + band / 2, "\n".join(head_use), align="left", bold=True)
        y += band
        for (kind, flag, _, use), (top, isolates_lines, use_lines) in zip(rows, blocks, strict=True):
            y += 0.07
            _box(ax, left, y, widths[0], top)
            first = y + (top - 2 * LINE_INCHES) / 2 + LINE_INCHES / 2
            _text(ax, left + 0.07, first, kind, align="left", bold=True)
            _text(ax, left + 0.07, first + LINE_INCHES, flag, align="left", mono=True)
            _box(ax, left + widths[0], y, widths[1], top)
            _text(ax, left + widths[0] + 0.07, y + top / 2, "\n".join(isolates_lines), align="left")
            y += top
            band = _lines_height(len(use_lines))
            _box(ax, left, y, full, band, use.sharing)
            _text(ax, left + 0.07, y + band / 2, "\n".join(use_lines), align="left")
            y += band
    described = "; ".join(f"{kind} ({flag}) isolates {isolates}; a Pod's container is in {use.words}"
                          for kind, flag, isolates, use in rows)
    return _diagram("namespace-kinds", figure, f"A table of the {len(rows)} namespace kinds. {described}.")


# ---------------------------------------------------------------------------------------------------------
# Chapter 4: the kubelet's cgroup tree.


@dataclass(frozen=True)
class CgroupNode:
    """One group of the drawn tree: its ``name``, ``depth`` under the root and what it holds."""

    name: str
    depth: int
    holds: str = ""


#: The name ``cgroup_nodes`` gives the Pod sandbox when it makes up its container ID.
SANDBOX = "pause"


def example_uid(pod_name: str) -> str:
    """A stable UID for a drawn Pod (a real one comes from the API server)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"podnotes/{pod_name}"))


def example_container_id(pod_name: str, container: str) -> str:
    """A stable 64-hex-digit container ID for a drawn container (a real one comes from the runtime)."""
    return hashlib.sha256(f"{pod_name}/{container}".encode()).hexdigest()


def cgroup_nodes(pods: dict[str, tuple[str, list[str]]], driver: str = "cgroupfs") -> list[CgroupNode]:
    """The groups the kubelet and containerd create for ``pods`` (Pod name -> (QoS class, container
    names)), in ``tree`` order: ``kubepods``, Guaranteed Pods directly inside it, then ``burstable`` and
    ``besteffort`` with their Pods, each Pod with a group for its sandbox (the pause container) and one per
    container
    (``podnotes.linux.kube_resources.pod_cgroup_path`` and ``container_cgroup_name``)."""
    tree: dict[tuple[str, ...], dict] = {}
    for name, (qos, containers) in pods.items():
        path = kube_resources.pod_cgroup_path(qos, example_uid(name), driver)
        node = tree
        for part in path:
            node = node.setdefault((part,), {})
        node["holds"] = f"Pod {name}" + (", Guaranteed" if qos == "Guaranteed" else "")  # type: ignore[index, assignment]
        # The Pod sandbox (containerd's pause container) gets a group beside the containers' groups.
        sandbox = kube_resources.container_cgroup_name(example_container_id(name, SANDBOX), driver)
        node[(sandbox,)] = {"holds": "pause (Pod sandbox)"}
        for container in containers:
            group = kube_resources.container_cgroup_name(example_container_id(name, container), driver)
            node[(group,)] = {"holds": f"container {container}"}
    top = tree.setdefault((kube_resources.KUBEPODS if driver == "cgroupfs" else "kubepods.slice",), {})
    top["holds"] = "every Pod"
    for qos_group, qos in zip(kube_resources.QOS_GROUPS, ("Burstable", "BestEffort"), strict=True):
        # The kubelet creates both at start, Pods or not.
        name = (qos_group if driver == "cgroupfs" else f"{kube_resources.KUBEPODS}-{qos_group}.slice",)  # type: ignore[assignment]
        top.setdefault(name, {})["holds"] = f"{qos} Pods"
    nodes: list[CgroupNode] = []

    def walk(children: dict, depth: int) -> None:
        # Guaranteed Pods first, as the kubelet nests them directly under kubepods; then the QoS groups.
        # Otherwise in the order given: a Pod's sandbox, then its containers.
        keys = sorted((key for key in children if key != "holds"),
                      key=lambda key: not key[0].startswith(("pod", "kubepods-pod")))
        for key in keys:
            nodes.append(CgroupNode(key[0], depth, children[key].get("holds", "")))
            walk(children[key], depth + 1)

    walk(tree, 1)
    return [CgroupNode("/sys/fs/cgroup", 0, "the root (on cgroup v1, one per controller)")] + nodes


def _shortened(name: str) -> str:
    """A 64-hex-digit container ID cut to its first 12 digits (crictl shows 13: truncatedIDLen), a Pod's UID to its
    first 8, so that the tree fits a phone."""
    for prefix in ("cri-containerd-", ""):
        rest = name[len(prefix):]
        if name.startswith(prefix) and len(rest.split(".")[0]) == 64:
            return f"{prefix}{rest[:12]}…{'.scope' if rest.endswith('.scope') else ''}"
    match = re.fullmatch(r"(.*pod)([0-9a-f]{8})[0-9a-f_-]{28}(\.slice)?", name)
    if match:
        return f"{match[1]}{match[2]}…{match[3] or ''}"
    return name


def cgroup_tree(pods: dict[str, tuple[str, list[str]]], driver: str = "cgroupfs") -> Diagram:
    """The resources chapter: the cgroup tree of ``cgroup_nodes``, one group a row, what each holds beside
    it (or under it, where the row has no room). Container IDs are shortened to 12 digits, Pod UIDs to 8."""
    nodes = cgroup_nodes(pods, driver)
    groups = "; ".join(f"{'  ' * node.depth}{_shortened(node.name)}" + (f" ({node.holds})" if node.holds else "")
                       for node in nodes)
    return _diagram("cgroup-tree", _tree_figure(nodes),
                    f"A tree of cgroups, one per row, children indented under their parent: {groups}.")


#: One group made by hand, as cgroup v1 and v2 lay it out: (name, depth, the files that limit it).
CGROUP_VERSION_ROWS = (
    ("/sys/fs/cgroup (v1)", 0, "one tree per controller"),
    ("cpu,cpuacct", 1, ""), ("demo", 2, "cpu.cfs_quota_us, cpu.cfs_period_us"),
    ("memory", 1, ""), ("demo", 2, "memory.limit_in_bytes"),
    ("pids", 1, ""), ("demo", 2, "pids.max"),
    ("/sys/fs/cgroup (v2)", 0, "one unified tree"),
    ("demo", 1, "cpu.max, memory.max, pids.max"),
)


def cgroup_versions() -> Diagram:
    """Chapter 4: one group ``demo`` with a CPU, memory and process limit, laid out by cgroup v1 (a
    directory in each controller's tree) and by v2 (one directory holding every controller's files)."""
    nodes = [CgroupNode(name, depth, holds) for name, depth, holds in CGROUP_VERSION_ROWS]
    v1 = "; ".join(f"{name} holding {holds}" for name, depth, holds in CGROUP_VERSION_ROWS[1:7] if holds)
    return _diagram("cgroup-versions", _tree_figure(nodes),
                    "Two trees of cgroups for one group named demo. With cgroup v1, /sys/fs/cgroup holds one "
                    f"tree per controller, and demo is a directory in each: under cpu,cpuacct, memory and pids, "
                    f"{v1.replace('demo holding', 'demo with')}. With cgroup v2 there is one unified tree, and "
                    "demo is a single directory holding cpu.max, memory.max and pids.max.")


def _tree_figure(nodes: list[CgroupNode]):
    """Rows of boxed group names indented by depth, joined to their parent by a stem, what each holds
    beside it in grey (or under it, where the row has no room on a phone-width figure)."""
    indent, box_h = 0.22, 0.24
    places = []
    y = 0.08
    for node in nodes:
        x = 0.08 + indent * node.depth
        width = len(_shortened(node.name)) * MONO_CHAR_INCHES + 0.16
        beside = x + width + 0.1 + _columns(_t(node.holds)) / CHARS_PER_INCH <= WIDTH - 0.05
        places.append((node, x, y, width, beside))
        y += box_h + 0.08 + (0 if beside or not node.holds else LINE_INCHES)
    figure, ax = _canvas(y + 0.05)
    with plot._style():
        centre_at_depth: dict[int, float] = {}
        for node, x, top, width, beside in places:
            centre = top + box_h / 2
            if node.depth:
                stem_x = x - indent + 0.08
                ax.plot([stem_x, stem_x, x], [centre_at_depth[node.depth - 1] + box_h / 2, centre, centre],
                        color=GREY, linewidth=1.0)
            centre_at_depth[node.depth] = centre
            kind = "pod" if node.holds.startswith("Pod ") else "own" if node.holds.startswith("container") \
                else "host"
            _box(ax, x, top, width, box_h, kind)
            _text(ax, x + 0.07, centre, _shortened(node.name), align="left", mono=True)
            if node.holds and beside:
                _text(ax, x + width + 0.1, centre, _t(node.holds), align="left", colour=GREY)
            elif node.holds:
                _text(ax, x + 0.07, top + box_h + 0.04 + LINE_INCHES / 2, _t(node.holds), align="left",
                      colour=GREY)
    return figure


# ---------------------------------------------------------------------------------------------------------
# Chapter 5: the steps of a container.


def container_steps(spec: Spec) -> Diagram:
    """Chapter 5: what the launcher does to make a container of ``spec``
    (``podnotes.linux.container.container_spec``), one numbered step a row: the system call, and under it
    its shell equivalent."""
    steps = setup_steps(spec)
    box_x = 0.34
    box_w = WIDTH - box_x - 0.06
    texts = [(_wrap(_code(step.call), box_w, True), _wrap("$ " + step.shell, box_w, True)) for step in steps]
    heights = [_lines_height(len(call) + len(shell)) for call, shell in texts]
    figure, ax = _canvas(0.42 + sum(heights) + 0.06 * len(steps))
    with plot._style():
        _text(ax, box_x, 0.18, _t("system call"), align="left", bold=True)
        _text(ax, WIDTH - 0.08, 0.18, _t("$ in a shell"), align="right", mono=True, colour=GREY)
        y = 0.36
        for number, (step, (call, shell), h) in enumerate(zip(steps, texts, heights, strict=True), start=1):
            _text(ax, box_x - 0.08, y + h / 2, str(number), align="right", bold=True)
            _box(ax, box_x, y, box_w, h, "own" if step.call.startswith(("unshare", "setns")) else "step")
            top = y + 0.06
            _text(ax, box_x + 0.07, top, "\n".join(call), align="left", mono=True, va="top")
            _text(ax, box_x + 0.07, top + LINE_INCHES * len(call), "\n".join(shell), align="left", mono=True,
                  colour=GREY, va="top")
            y += h + 0.06
    described = "; ".join(f"{number}. {step.call} (shell: {step.shell})" for number, step in enumerate(steps, 1))
    return _diagram("container-steps", figure,
                    f"The {len(steps)} steps that make a container, top to bottom: {described}.")


# ---------------------------------------------------------------------------------------------------------
# Chapter 6: the Pod's anatomy and its namespace matrix.


def pod_anatomy(pod_name: str, containers: list[str], share_process_namespace: bool = False) -> Diagram:
    """Chapter 6: a node holding a Pod: the pause process in the namespaces the Pod shares
    (``podnotes.linux.pod.shared_kinds``), each container with its own
    (``podnotes.linux.pod.container_own_kinds``), and the veth pair a CNI plugin (the bridge plugin,
    containernetworking/plugins) lays from the node's bridge into the Pod's network namespace."""
    shared = pod.shared_kinds(share_process_namespace)
    own = pod.container_own_kinds(share_process_namespace)
    count = len(containers)
    gap = 0.15
    inner_x, inner_w = 0.3, WIDTH - 0.6
    container_w = (inner_w - gap * (count - 1)) / count
    own_words = _t(f"own {', '.join(own)} namespaces; own root file system")
    container_text = {name: _t(f"container {name}") + "\n" + own_words for name in containers}
    container_h = max(_lines_height(len(_wrap(text, container_w))) for text in container_text.values())
    pause_text = _t(f"pause process: holds the {', '.join(shared)} namespaces; sleeps; as PID 1 of a shared PID "
                    "namespace, reaps orphans")
    pause_h = _lines_height(len(_wrap(pause_text, inner_w, bold=True)))
    setns_label = "\n".join(_wrap(f"setns: {', '.join(shared)}", min(container_w, 1.3)))
    setns_h = _lines_height(setns_label.count("\n") + 1)
    veth_x, veth_w = WIDTH - 0.2 - 1.45, 1.45
    node_h = _lines_height(len(_wrap(_t("veth (node's end)"), veth_w)))
    pod_top = 0.4 + node_h + 0.45
    pod_title = _t(f"Pod {pod_name}: shared {', '.join(shared)} namespaces")
    title_lines = _wrap(pod_title, inner_w + 0.1, bold=True)
    interfaces_top = pod_top + 0.12 + len(title_lines) * LINE_INCHES + 0.1
    interfaces_h = _lines_height(len(_wrap(_t("eth0 (veth, Pod's end)"), veth_w)))
    pause_top = interfaces_top + interfaces_h + 0.25
    containers_top = pause_top + pause_h + setns_h + 0.3
    pod_bottom = containers_top + container_h + 0.15
    figure, ax = _canvas(pod_bottom + 0.2)
    with plot._style():
        _box(ax, 0.05, 0.05, WIDTH - 0.1, pod_bottom + 0.1, "host")
        _text(ax, 0.18, 0.2, _t("node: the host's namespaces"), align="left", bold=True)
        eth_h = _label_box(ax, 0.2, 0.4, 0.6, "eth0", "plain", mono=True)
        _label_box(ax, 1.0, 0.4, veth_x - 1.2, _t("cni0 bridge"), "plain")
        _label_box(ax, veth_x, 0.4, veth_w, _t("veth (node's end)"), "plain")
        middle = 0.4 + eth_h / 2
        ax.plot([0.8, 1.0], [middle, middle], color=INK, linewidth=1.2)
        ax.plot([veth_x - 0.2, veth_x], [middle, middle], color=INK, linewidth=1.2)
        _box(ax, 0.2, pod_top, WIDTH - 0.4, pod_bottom - pod_top, "pod")
        _text(ax, 0.32, pod_top + 0.1, "\n".join(title_lines), align="left", bold=True, va="top")
        _label_box(ax, veth_x, interfaces_top, veth_w, _t("eth0 (veth, Pod's end)"), "plain")
        _label_box(ax, 0.32, interfaces_top, 0.45, "lo", "plain", mono=True)
        _label_box(ax, 0.87, interfaces_top, veth_x - 0.97, _t(f"hostname {pod_name}"), "plain")
        cable_x = veth_x + veth_w / 2
        ax.plot([cable_x, cable_x], [0.4 + node_h, interfaces_top], color=INK, linewidth=2.0)
        _text(ax, cable_x - 0.1, (0.4 + node_h + pod_top) / 2, _t("veth pair"), align="right", colour=GREY)
        _label_box(ax, inner_x, pause_top, inner_w, pause_text, "plain", bold=True)
        for index, name in enumerate(containers):
            x = inner_x + index * (container_w + gap)
            _box(ax, x, containers_top, container_w, container_h, "own")
            _text(ax, x + container_w / 2, containers_top + container_h / 2,
                  "\n".join(_wrap(container_text[name], container_w)))
            _arrow(ax, (x + container_w / 2, containers_top), (x + container_w / 2, pause_top + pause_h),
                   dashed=True)
            _text(ax, x + container_w / 2, (containers_top + pause_top + pause_h) / 2, setns_label,
                  colour=GREY, on_line=True)
    return _diagram("pod-anatomy", figure,
                    f"A node with its eth0 and a cni0 bridge; a veth pair leads from the bridge into the Pod "
                    f"{pod_name}, where its end is the Pod's eth0 next to lo and the host name {pod_name}. In the "
                    f"Pod the pause process holds the {', '.join(shared)} namespaces. Below it the containers "
                    f"{', '.join(containers)}, each with its own {', '.join(own)} namespaces and root file "
                    f"system, join the pause process's namespaces with setns.")


def namespace_matrix(matrix: dict[str, dict[str, str]]) -> Diagram:
    """Chapter 6: whose namespace each process of a Pod is in, one row per kind, one column per process,
    from ``podnotes.linux.pod.planned_sharing`` or ``podnotes.linux.pod.measured_sharing``.
    Raises ``ValueError`` when a cell is not one of ``podnotes.linux.pod.SHARING``."""
    if not matrix:
        raise ValueError("the namespace matrix is empty")
    kinds = list(matrix)
    processes = list(matrix[kinds[0]])
    for kind, row in matrix.items():
        if list(row) != processes or not set(row.values()) <= set(pod.SHARING):
            raise ValueError(f"row {kind!r} of the namespace matrix: {row!r}")
    label_w = 0.8
    cell_w = min((WIDTH - 0.2 - label_w) / len(processes), 1.3)
    row_h = 0.3
    legend_top = 0.1 + row_h * (len(kinds) + 1) + 0.12
    legend_lines = {cell: _wrap(_t(SHARING_LEGEND[cell]), WIDTH - 0.55) for cell in pod.SHARING}
    legend_heights = {cell: max(row_h, len(lines) * LINE_INCHES + 0.1) for cell, lines in legend_lines.items()}
    figure, ax = _canvas(legend_top + sum(legend_heights.values()) + 0.05)
    with plot._style():
        for column, process in enumerate(processes):
            _text(ax, 0.1 + label_w + cell_w * (column + 0.5), 0.1 + row_h / 2, process, bold=True)
        for index, kind in enumerate(kinds):
            y = 0.1 + row_h * (index + 1)
            _text(ax, 0.1, y + row_h / 2, kind, align="left", bold=True, mono=True)
            for column, process in enumerate(processes):
                cell = matrix[kind][process]
                _box(ax, 0.1 + label_w + cell_w * column + 0.03, y + 0.03, cell_w - 0.06, row_h - 0.06, cell)
                _text(ax, 0.1 + label_w + cell_w * (column + 0.5), y + row_h / 2, _t(SHARING_WORDS[cell]))
        y = legend_top
        for cell in ("pod", "own", "host"):
            _box(ax, 0.1, y + 0.05, 0.3, row_h - 0.1, cell)
            # The first line level with the swatch, the others under it.
            _text(ax, 0.5, y + (row_h - LINE_INCHES) / 2, "\n".join(legend_lines[cell]), align="left", va="top")
            y += legend_heights[cell]
    described = "; ".join(f"{kind}: " + ", ".join(f"{process} {SHARING_WORDS[matrix[kind][process]]}"
                                                  for process in processes) for kind in kinds)
    return _diagram("namespace-matrix", figure,
                    f"A grid with one row per namespace kind and one column per process ({', '.join(processes)}); "
                    f"each cell says whose namespace the process is in. {described}.")


# ---------------------------------------------------------------------------------------------------------
# Chapter 7: phases and container states.

#: How a Pod moves between ``podnotes.kube.enums.PHASES``: (from, to, when). The kubelet computes
#: the phase from its containers' states (``getPhase`` in pkg/kubelet/kubelet_pods.go); Unknown is what the
#: API shows when the node cannot be asked (the "Pod lifecycle" page of the Kubernetes documentation).
PHASE_TRANSITIONS = (
    ("Pending", "Running", "bound to a node, a container started"),
    ("Running", "Succeeded", "every container exited 0 and will not restart"),
    ("Running", "Failed", "every container ended, one with an error, none will restart"),
    ("Pending", "Failed", "an init container failed and will not restart"),
    ("Pending", "Unknown", "the node cannot be reached"),
    ("Running", "Unknown", "the node cannot be reached"),
)
# Where each phase's box sits (centre x, top y), in inches; where each arrow leaves and enters a box (side,
# shift along it), how far it bends, and where its words sit (a fraction along it, on the arrow; a point,
# beside it; None: once, under the box it leads to). Two columns, tall, for a phone: Pending to Failed bends
# round Unknown.
_PHASE_PLACES = {"Pending": (0.85, 0.1), "Running": (0.85, 1.9), "Unknown": (2.25, 0.95),
                 "Succeeded": (0.85, 3.95), "Failed": (2.85, 3.95)}
_PHASE_BOX = (1.3, 0.36)
_PHASE_ARROWS = {("Pending", "Running"): (("bottom", -0.1), ("top", -0.1), 0.0, 0.5),
                 ("Running", "Succeeded"): (("bottom", 0.0), ("top", 0.0), 0.0, 0.5),
                 ("Running", "Failed"): (("right", 0.1), ("top", -0.35), 0.0, 0.55),
                 ("Pending", "Failed"): (("right", -0.08), ("top", 0.45), -0.5, (2.7, 2.3)),
                 ("Pending", "Unknown"): (("bottom", 0.5), ("left", -0.08), 0.0, None),
                 ("Running", "Unknown"): (("right", -0.1), ("left", 0.08), 0.0, None)}


def _phase_anchor(phase: str, side: str, shift: float) -> tuple[float, float]:
    (x, y), (w, h) = _PHASE_PLACES[phase], _PHASE_BOX
    return {"top": (x + shift, y), "bottom": (x + shift, y + h), "left": (x - w / 2, y + h / 2 + shift),
            "right": (x + w / 2, y + h / 2 + shift)}[side]


def phase_diagram() -> Diagram:
    """Chapter 7: the five Pod phases and the moves between them (``PHASE_TRANSITIONS``)."""
    missing = set(PHASES) ^ set(_PHASE_PLACES)
    if missing:
        raise ValueError(f"phases without a place in the drawing: {sorted(missing)}")
    (box_w, box_h), label_w = _PHASE_BOX, 1.25
    figure, ax = _canvas(4.45)
    with plot._style():
        for phase, (x, y) in _PHASE_PLACES.items():
            _box(ax, x - box_w / 2, y, box_w, box_h, "plain")
            ax.add_patch(_phase_swatch(x - box_w / 2, y, box_h, plot.COLOURS[phase]))
            _text(ax, x + 0.1, y + box_h / 2, phase, bold=True)
        written_under: set[str] = set()
        for source, target, when in PHASE_TRANSITIONS:
            (start_side, start_shift), (end_side, end_shift), bend, at = _PHASE_ARROWS[(source, target)]
            start, end = _phase_anchor(source, start_side, start_shift), _phase_anchor(target, end_side, end_shift)
            _arrow(ax, start, end, dashed=target == "Unknown", bend=bend)
            words = "\n".join(_wrap(_t(when), label_w))
            if at is None and target not in written_under:  # once, under the box the arrows lead to
                x, y = _PHASE_PLACES[target]
                _text(ax, x, y + box_h + 0.08, words, colour=GREY, va="top")
                written_under.add(target)
            elif isinstance(at, tuple):
                _text(ax, at[0], at[1], words, colour=GREY)
            elif isinstance(at, float):
                _text(ax, start[0] + (end[0] - start[0]) * at, start[1] + (end[1] - start[1]) * at, words,
                      colour=GREY, on_line=True)
    moves = "; ".join(f"{source} to {target} when {when}" for source, target, when in PHASE_TRANSITIONS)
    return _diagram("pod-phases", figure,
                    f"The five Pod phases ({', '.join(PHASES)}) as boxes with arrows between them: {moves}. "
                    f"Succeeded and Failed have no arrows out; a restarted container keeps the Pod Running.")


def _phase_swatch(x: float, y: float, h: float, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x + 0.06, y + 0.07), 0.14, h - 0.14, facecolor=colour, edgecolor=INK, linewidth=0.6)


#: How a container moves between ``podnotes.kube.enums.CONTAINER_STATES``, and the reasons each
#: state shows (``kubectl describe pod``; pkg/kubelet/kuberuntime, pkg/kubelet/images).
STATE_TRANSITIONS = (
    ("waiting", "running", "created and started"),
    ("running", "terminated", "its process exited or was killed"),
    ("terminated", "waiting", "restartPolicy restarts it, after the back-off"),
)
STATE_REASONS = {
    "waiting": ("ContainerCreating", "PodInitializing", "CrashLoopBackOff", "ImagePullBackOff"),
    "running": ("since startedAt",),
    "terminated": ("Completed (exit 0)", "Error (exit 1-255)", "OOMKilled (137)"),
}


def container_state_diagram() -> Diagram:
    """Chapter 7: a container's three states (core/v1 ContainerState), one under the other, the moves between
    them (``STATE_TRANSITIONS``): forward down the middle, back up the right, and the reasons each shows
    (``STATE_REASONS``)."""
    if set(STATE_REASONS) != set(CONTAINER_STATES):
        raise ValueError("every container state needs its reasons")
    box_x, box_w = 0.1, 1.75
    words_x = box_x + box_w / 2 + 0.12
    back_x = WIDTH - 0.12  # where the way back runs up
    forward = {(source, target): when for source, target, when in STATE_TRANSITIONS
               if CONTAINER_STATES.index(target) > CONTAINER_STATES.index(source)}
    back = [(source, target, when) for source, target, when in STATE_TRANSITIONS if (source, target) not in forward]
    back_words = {target: _wrap(_t(when), back_x - box_x - box_w - 0.25) for _, target, when in back}
    heights = {state: _lines_height(1 + len(STATE_REASONS[state])) for state in CONTAINER_STATES}
    gaps = {pair: max(0.45, _lines_height(len(_wrap(_t(when), back_x - words_x - 0.1))))
            for pair, when in forward.items()}
    tops, y = {}, 0.1
    for index, state in enumerate(CONTAINER_STATES):
        tops[state] = y
        y += heights[state]
        if index + 1 < len(CONTAINER_STATES):
            y += gaps.get((state, CONTAINER_STATES[index + 1]), 0.45)
    figure, ax = _canvas(y + 0.1)
    with plot._style():
        for state in CONTAINER_STATES:
            top = tops[state]
            _box(ax, box_x, top, box_w, heights[state], "step")
            _text(ax, box_x + 0.08, top + 0.07, state.capitalize(), align="left", bold=True, va="top")
            reasons = "\n".join(_t(reason) for reason in STATE_REASONS[state])
            _text(ax, box_x + 0.08, top + 0.07 + LINE_INCHES, reasons, align="left", va="top", colour=GREY)
        for (source, target), when in forward.items():
            start, end = tops[source] + heights[source], tops[target]
            _arrow(ax, (box_x + box_w / 2, start), (box_x + box_w / 2, end))
            _text(ax, words_x, (start + end) / 2, "\n".join(_wrap(_t(when), back_x - words_x - 0.1)), align="left",
                  colour=GREY)
        for source, target, _when in back:
            leave, arrive = tops[source] + heights[source] / 2, tops[target] + 0.18
            ax.plot([box_x + box_w, back_x, back_x], [leave, leave, arrive], color=INK, linewidth=1.2)
            _arrow(ax, (back_x, arrive), (box_x + box_w, arrive))
            middle = CONTAINER_STATES[1]  # the words sit beside the state the way back passes
            _text(ax, back_x - 0.1, tops[middle] + heights[middle] / 2, "\n".join(back_words[target]),
                  align="right", colour=GREY)
    moves = "; ".join(f"{source} to {target}: {when}" for source, target, when in STATE_TRANSITIONS)
    reasons = "; ".join(f"{state}: {', '.join(reasons)}" for state, reasons in STATE_REASONS.items())
    return _diagram("container-states", figure,
                    f"Three boxes, the container states {', '.join(CONTAINER_STATES)}, with arrows: {moves}. "
                    f"Reasons shown in each state: {reasons}.")


# ---------------------------------------------------------------------------------------------------------
# The debugging chapter: where each status word comes from.

#: The kubelet's steps from a scheduled Pod to a running program, each with what a Pod shows when that
#: step fails (waiting reasons of pkg/kubelet/images and pkg/kubelet/kuberuntime, Events of
#: pkg/kubelet/prober, terminated reasons of the runtime and the kernel's OOM killer).
START_STEPS = (
    ("image on the node, or pulled", "ErrImagePull, then ImagePullBackOff"),
    ("configuration built: env, mounts", "CreateContainerConfigError"),
    ("container created and started", "Running"),
    ("liveness probe keeps passing", "Unhealthy, Killing: stopped"),
    ("program keeps running", "exit: Error, or OOMKilled"),
    ("started again after a back-off", "CrashLoopBackOff while it waits"),
)


def start_steps() -> Diagram:
    """Debugging chapter: the steps of ``START_STEPS`` top to bottom, each with, under it, the word a Pod
    shows when the step fails. One column, so that long status words (``CreateContainerConfigError``)
    stay whole on a phone."""
    left, step_w = 0.1, WIDTH - 0.2
    word_x = 0.45
    word_w = WIDTH - word_x - 0.1
    rows, y = [], 0.1
    for step, word in START_STEPS:
        step_lines, word_lines = _wrap(_t(step), step_w), _wrap(_t(word), word_w)
        step_h, word_h = _lines_height(len(step_lines)), _lines_height(len(word_lines))
        rows.append((y, step_lines, step_h, word, word_lines, word_h))
        y += step_h + 0.06 + word_h + 0.26
    figure, ax = _canvas(y - 0.16)
    with plot._style():
        for index, (top, step_lines, step_h, word, word_lines, word_h) in enumerate(rows):
            _box(ax, left, top, step_w, step_h, "step")
            _text(ax, left + step_w / 2, top + step_h / 2, "\n".join(step_lines))
            word_top = top + step_h + 0.06
            _box(ax, word_x, word_top, word_w, word_h, "ok" if word == "Running" else "bad")
            _text(ax, word_x + 0.07, word_top + word_h / 2, "\n".join(word_lines), align="left")
            ax.plot([0.25, 0.25, word_x], [top + step_h, word_top + word_h / 2, word_top + word_h / 2],
                    color=GREY, linewidth=1.0, linestyle="--")
            if index + 1 < len(rows):
                _arrow(ax, (0.18, top + step_h), (0.18, rows[index + 1][0]))
    steps = "; ".join(f"{step}, else {word}" if word != "Running" else f"{step}: Running"
                      for step, word in START_STEPS)
    return _diagram("start-steps", figure,
                    f"Six steps from top to bottom, from the image to a restart, each with what a Pod shows when "
                    f"the step fails under it: {steps}.")


# The termination chapter: who does what after kubectl delete.

#: The steps of a graceful deletion, as (column, text): column 0 the control plane, 1 the node.
#: Sources: CheckGracefulDelete (pkg/registry/core/pod/strategy.go), podToEndpoint
#: (staging/src/k8s.io/endpointslice/utils.go), killContainer and newTerminationOrdering
#: (pkg/kubelet/kuberuntime), canBeDeleted (pkg/kubelet/status/status_manager.go).
TERMINATION_STEPS = (
    (0, "API server: deletionTimestamp = now + grace period\nkubectl shows Terminating"),
    (0, "EndpointSlice controller: the address stays with ready: false, terminating: true; "
        "new connections go elsewhere"),
    (1, "kubelet: Killing event, then the preStop hook, which counts against the grace period"),
    (1, "SIGTERM to each app container, at least 2 s before SIGKILL even after a long hook; sidecars "
        "wait for them, then stop in reverse order"),
    (1, "end of the grace period: SIGKILL (exit code 137)"),
    (0, "kubelet: phase Succeeded or Failed, then deletes the object with grace period 0; "
        "finalizers keep it until removed"),
)
#: What leads from one step to the next.
TERMINATION_LINKS = ("watch", "watch, at the\nsame moment", "hook returns", "still running", "all stopped")


def termination_sequence() -> Diagram:
    """The termination chapter: what the control plane and the node do after ``kubectl delete``
    (``TERMINATION_STEPS``). Steps 2 and 3 start from the same deletion at the same time: the race
    a preStop sleep is for."""
    column_w = (WIDTH - 0.3) / 2  # two narrow columns, so the figure keeps a phone's width
    column_x, gap = (0.1, 0.2 + column_w), 0.44
    heights = [_lines_height(len(_wrap(_t(text), column_w))) for _, text in TERMINATION_STEPS]
    tops, y = [], 0.4  # under the two column headings
    for height in heights:
        tops.append(y)
        y += height + gap
    figure, ax = _canvas(y - gap + 0.1)
    with plot._style():
        for column, heading in enumerate(("control plane", "node")):
            _text(ax, column_x[column] + column_w / 2, 0.2, _t(heading), bold=True)
        for (column, text), top in zip(TERMINATION_STEPS, tops, strict=True):
            _label_box(ax, column_x[column], top, column_w, _t(text), "own" if column else "pod")
        for index, link in enumerate(TERMINATION_LINKS):
            (from_col, _), (to_col, _) = TERMINATION_STEPS[index], TERMINATION_STEPS[index + 1]
            start = (column_x[from_col] + column_w / 2, tops[index] + heights[index])
            if index == 1:  # the kubelet hears of the deletion from the API server, as the controller does
                start = (column_x[0] + column_w, tops[0] + heights[0] / 2)
            end = (column_x[to_col] + column_w / 2, tops[index + 1])
            _arrow(ax, start, end)
            middle_x, middle_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            if from_col == to_col == 0:
                _text(ax, middle_x + 0.1, middle_y, _t(link), align="left", colour=GREY)
            elif from_col == to_col:  # the node's column is on the right: its labels go left of the arrow
                _text(ax, middle_x - 0.1, middle_y, _t(link), align="right", colour=GREY)
            else:
                _text(ax, middle_x, middle_y, _t(link), colour=GREY, on_line=True)
    steps = "; ".join(f"{'node' if column else 'control plane'}: {text.replace(chr(10), ', ')}"
                      for column, text in TERMINATION_STEPS)
    return _diagram("termination-sequence", figure,
                    f"Two columns, the control plane (left) and the node (right), with the steps of a deletion "
                    f"joined by arrows: {steps}.")


# ---------------------------------------------------------------------------------------------------------
# Checks a drawing must pass (used by the tests).


# ---------------------------------------------------------------------------------------------------------
# A Pod on a node: from the kubelet to runc.

#: Who asks whom, top to bottom: (who, what it does), then the label of the arrow to the next row.
CRI_CHAIN = (
    ("kubelet", "reads the Pod from the API server; never starts a process itself"),
    ("containerd (CRI plugin)", "answers CRI over a Unix socket; makes the Pod's network namespace, "
                                "calls the CNI plugin's ADD, keeps images and snapshots"),
    ("containerd-shim-runc-v2", "one per Pod; parent of its processes, keeps their stdio, reports exits"),
    ("runc", "builds each container from an OCI spec (namespaces, cgroup, root), execs it, exits"),
)
CRI_CHAIN_CALLS = ("CRI: RunPodSandbox, CreateContainer, StartContainer", "starts, then talks ttrpc",
                   "runc create, runc start")


def cri_chain() -> Diagram:
    """The pod-on-a-node chapter: the kubelet's CRI calls (k8s.io/cri-api, api.proto) to containerd, which
    calls the CNI plugin and runs one ``containerd-shim-runc-v2`` per Pod (containerd runtime/v2/runc), which
    runs runc for each container; the processes at the bottom. One column, so it reads on a phone."""
    x = 0.1
    stem_x, label_x = 0.3, 0.45
    label_w = WIDTH - label_x - 0.05
    cni_x = 0.55
    cni_text = _t("CNI bridge plugin: veth pair, Pod IP from host-local")
    processes_text = _t("/pause (the sandbox), then each container's program: children of the shim")
    # Rows top to bottom: (kind, text, the label on the arrow below it).
    rows = [("step", f"{who}: {_t(does)}" if _language.get() == "en" else f"{who}：{_t(does)}", _t(label))
            for (who, does), label in
            zip(CRI_CHAIN, (*CRI_CHAIN_CALLS, "clone, setns, execve"), strict=True)]
    rows.insert(2, ("cni", cni_text, ""))
    rows[1] = (rows[1][0], rows[1][1], _t("calls the CNI plugin's ADD"))
    rows.append(("pod", processes_text, ""))
    placed = []
    y = 0.1
    for kind, text, label in rows:
        box_x = cni_x if kind == "cni" else x
        lines = _wrap(text, WIDTH - 0.1 - box_x)
        h = _lines_height(len(lines))
        label_lines = _wrap(label, label_w) if label else []
        gap = max(0.3, len(label_lines) * LINE_INCHES + 0.12)
        placed.append((kind, box_x, y, h, lines, label_lines, gap))
        y += h + gap
    figure, ax = _canvas(y - placed[-1][6] + 0.1)
    with plot._style():
        for index, (kind, box_x, top, h, lines, label_lines, gap) in enumerate(placed):
            _box(ax, box_x, top, WIDTH - 0.1 - box_x, h, "own" if kind == "cni" else kind,
                 dashed=kind == "cni")
            _text(ax, box_x + (WIDTH - 0.1 - box_x) / 2, top + h / 2, "\n".join(lines))
            if index + 1 == len(placed):
                break
            following = placed[index + 1]
            if following[0] == "cni":  # containerd calls the plugin, then goes on to the shim below it
                after = placed[index + 2]
                _arrow(ax, (stem_x, top + h), (stem_x, after[2]))
                _arrow(ax, (stem_x, following[2] + following[3] / 2), (cni_x, following[2] + following[3] / 2))
            elif kind != "cni":
                _arrow(ax, (stem_x, top + h), (stem_x, following[2]))
            if label_lines:
                _text(ax, label_x, top + h + gap / 2, "\n".join(label_lines), align="left", colour=GREY)
    return _diagram("cri-chain", figure,
                    "Boxes from top to bottom. The kubelet sends CRI calls (RunPodSandbox, CreateContainer, "
                    "StartContainer) to containerd's CRI plugin, which calls the CNI bridge plugin (drawn dashed "
                    "below it) for the Pod's veth pair and IP. containerd starts one containerd-shim-runc-v2 per Pod, "
                    "which runs runc create and runc start for each container. At the bottom, the processes: "
                    "/pause and each container's program, children of the shim.")


# ---------------------------------------------------------------------------------------------------------
# The files of a container: where each comes from.

#: (where it lives on the node, who makes it, the path in the container), as the shared-storage chapter's
#: recording shows them in /proc/self/mountinfo (kubelet_pods.go makeMounts; containerd's sandbox files).
POD_FILE_SOURCES = (
    ("a folder under pods/<uid>/volumes/", "kubelet", "/shared"),
    ("tmpfs, size = sizeLimit", "kubelet", "/cache"),
    ("tmpfs: Downward API files", "kubelet", "/etc/podinfo"),
    ("tmpfs: token, ca.crt, namespace", "kubelet", "/var/run/secrets/kubernetes.io/serviceaccount"),
    ("pods/<uid>/etc-hosts", "kubelet", "/etc/hosts"),
    ("pods/<uid>/containers/<name>/<id>", "kubelet", "/dev/termination-log"),
    ("sandbox folder: resolv.conf", "containerd", "/etc/resolv.conf"),
    ("sandbox folder: hostname", "containerd", "/etc/hostname"),
    ("the sandbox's shm tmpfs, 64 MiB", "containerd", "/dev/shm"),
)


def pod_files() -> Diagram:
    """The shared-storage chapter: each file or folder a container gets without its image: where the
    container sees it, and under it, where it lives on the node and who made it. One column, so it reads
    on a phone."""
    x, w = 0.1, WIDTH - 0.2
    inner_x = 0.35
    inner_w = WIDTH - inner_x - 0.1
    rows = []
    y = 0.45
    for source, maker, target in POD_FILE_SOURCES:
        target_lines = _wrap(target.replace("secrets/", "secrets/\n"), w, mono=True)  # break at a slash
        source_lines = _wrap(f"{maker}: {_t(source)}" if _language.get() == "en" else f"{maker}：{_t(source)}",
                             inner_w)
        rows.append((y, target_lines, source_lines, maker))
        y += _lines_height(len(target_lines)) + _lines_height(len(source_lines)) + 0.16
    figure, ax = _canvas(y - 0.06)
    with plot._style():
        _text(ax, x, 0.2, _t("in the container  \u2190  on the node"), align="left", bold=True)
        for top, target_lines, source_lines, maker in rows:
            target_h = _lines_height(len(target_lines))
            source_h = _lines_height(len(source_lines))
            _box(ax, x, top, w, target_h, "pod")
            _text(ax, x + 0.07, top + target_h / 2, "\n".join(target_lines), align="left", mono=True)
            source_top = top + target_h + 0.04
            _box(ax, inner_x, source_top, inner_w, source_h, "step" if maker == "kubelet" else "own")
            _text(ax, inner_x + 0.07, source_top + source_h / 2, "\n".join(source_lines), align="left")
            # An elbow from the node's side up to the path it becomes (a line, not an arrow: it is a mount).
            ax.plot([inner_x, 0.2, 0.2], [source_top + source_h / 2, source_top + source_h / 2, top + target_h],
                    color=GREY, linewidth=1.0)
    described = "; ".join(f"{target} from {maker} ({source})" for source, maker, target in POD_FILE_SOURCES)
    return _diagram("pod-files", figure,
                    "A list of the paths a container gets without its image, each with, under it and joined by "
                    f"a line, where it lives on the node and who makes it. {described}.")


# ---------------------------------------------------------------------------------------------------------
# User namespaces: a hostUsers: false Pod's ID map.

#: (in the Pod, on the node, kind): how ``uid_map`` line ``0 F 65536`` pairs IDs; the last row is a host ID
#: outside the block (``podnotes.linux.userns.map_from_host`` gives None for it).
USERNS_ROWS = (
    ("uid 0 (root)", "uid F", "pod"),
    ("uid 1000", "uid F + 1000", "pod"),
    ("uid 65535", "uid F + 65535", "pod"),
    ("no ID: shows as 65534 (nobody)", "uid 0 (root)", "bad"),
    ("its owner: uid 0 (root)", "a volume's file: owner 0 on disk, F through the idmapped mount", "own"),
)


def user_namespace_map() -> Diagram:
    """The user-namespaces chapter: the uid map of a ``hostUsers: false`` Pod as pairs of boxes, the
    Pod's ID on the left, the node's on the right, and a volume's file through an idmapped mount."""
    gap = 0.42
    col_w = (WIDTH - 0.2 - gap) / 2
    left_x, right_x = 0.1, 0.1 + col_w + gap
    rows, y = [], 0.45
    for inside, outside, kind in USERNS_ROWS:
        left, right = _wrap(_t(inside), col_w), _wrap(_t(outside), col_w)
        h = _lines_height(max(len(left), len(right)))
        rows.append((y, h, left, right, kind))
        y += h + 0.16
    note = _wrap(_t("F: first host ID of the Pod's block, a multiple of 65536, at least 65536"), WIDTH - 0.2)
    figure, ax = _canvas(y + _lines_height(len(note)))
    with plot._style():
        _text(ax, left_x + col_w / 2, 0.2, _t("in the Pod"), bold=True)
        _text(ax, right_x + col_w / 2, 0.2, _t("on the node"), bold=True)
        for top, h, left, right, kind in rows:
            _box(ax, left_x, top, col_w, h, kind, dashed=kind == "bad")
            _text(ax, left_x + col_w / 2, top + h / 2, "\n".join(left))
            _box(ax, right_x, top, col_w, h, "host")
            _text(ax, right_x + col_w / 2, top + h / 2, "\n".join(right))
            ends = ((left_x + col_w + 0.04, top + h / 2), (right_x - 0.04, top + h / 2))
            _arrow(ax, *(ends if kind == "pod" else ends[::-1]), dashed=kind == "bad")  # node to Pod: no map line
        _text(ax, 0.1, y + _lines_height(len(note)) / 2 - 0.05, "\n".join(note), align="left", colour=GREY)
    pairs = "; ".join(f"{inside} in the Pod is {outside} on the node" for inside, outside, _ in USERNS_ROWS[:3])
    return _diagram("user-namespace-map", figure,
                    f"Pairs of boxes joined by arrows, the Pod's IDs on the left, the node's on the right: {pairs}. "
                    "The node's uid 0 has no ID in the Pod and shows there as 65534, nobody. A file owned by 0 on "
                    "disk shows as F on the node through the idmapped mount, and as owner 0 in the Pod. F is the "
                    "first host ID of the Pod's block, a multiple of 65536, at least 65536.")


def layout_problems(diagram: Diagram) -> list[str]:
    """Text that would be hard to read: letters under ``FONT`` points, text reaching outside the
    figure, or two texts overlapping. Empty when the drawing is fine."""
    figure = diagram.figure
    with plot._style():
        renderer = figure.canvas.get_renderer() if hasattr(figure.canvas, "get_renderer") else None
        if renderer is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            renderer = FigureCanvasAgg(figure).get_renderer()
        figure.draw_without_rendering()
        bounds = figure.bbox
        texts = [text for ax in figure.axes for text in ax.texts if text.get_text().strip()]
        boxes = [(text, text.get_window_extent(renderer)) for text in texts]
    problems = []
    for text, box in boxes:
        words = text.get_text().splitlines()[0][:30]
        if text.get_fontsize() < FONT:
            problems.append(f"{diagram.name}: {words!r} is {text.get_fontsize()} pt")
        if box.x0 < bounds.x0 - 0.5 or box.x1 > bounds.x1 + 0.5 or box.y0 < bounds.y0 - 0.5 \
                or box.y1 > bounds.y1 + 0.5:
            problems.append(f"{diagram.name}: {words!r} reaches outside the figure")
    for index, (text, box) in enumerate(boxes):
        for other, other_box in boxes[index + 1:]:
            if box.overlaps(other_box):
                problems.append(f"{diagram.name}: {text.get_text()[:30]!r} overlaps {other.get_text()[:30]!r}")
    return problems


def chapter_diagrams(language: str = "en") -> list[Diagram]:
    """Every drawing of ``podnotes.diagrams`` with the data the chapters give it, its labels in ``language``
    (one of ``LANGUAGES``)."""
    from podnotes.linux.container import container_spec

    drawings: list[tuple[Callable[..., Diagram], tuple]] = [
        (fork_exec, ()),
        (root_switch, ()),
        (namespace_kinds, ()),
        (cgroup_versions, ()),
        (cgroup_tree, ({"db": ("Guaranteed", ["c0"]), "web": ("Burstable", ["c0"]),
                        "cache": ("Burstable", ["c0", "c1"]), "batch": ("BestEffort", ["c0"])},)),
        (container_steps, (container_spec("ROOT", "container", ["cgroup.procs"], argv=["sh"]),)),
        (pod_anatomy, ("web-pod", ["web", "sidecar"])),
        (namespace_matrix, (pod.planned_sharing(["web", "sidecar"]),)),
        (phase_diagram, ()),
        (container_state_diagram, ()),
        (cri_chain, ()),
        (pod_files, ()),
        (start_steps, ()),
        (termination_sequence, ()),
        (user_namespace_map, ()),
    ]
    return [drawn_in(language, draw, *args) for draw, args in drawings]


__all__ = ["Diagram", "BilingualDiagram", "BILINGUAL_MIME", "LANGUAGES", "bilingual", "drawn_in", "label_table",
           "chapter_diagrams", "fork_exec", "root_switch", "namespace_kinds", "cgroup_tree", "cgroup_versions",
           "cgroup_nodes", "container_steps", "pod_anatomy", "namespace_matrix", "phase_diagram",
           "container_state_diagram", "cri_chain", "pod_files", "start_steps", "termination_sequence",
           "user_namespace_map", "layout_problems"]
