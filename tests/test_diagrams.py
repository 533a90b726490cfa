"""The book's drawings (podnotes.diagrams): vector, phone-legible, with alt text, drawn from the data the
chapters assert."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from podnotes import diagrams, plot
from podnotes.kube.enums import CONTAINER_STATES, PHASES
from podnotes.linux import kube_resources
from podnotes.linux.container import container_spec
from podnotes.linux.launcher import Spec, setup_steps
from podnotes.linux.pod import POD_NAMESPACES, SHARING, Pod, planned_sharing

from .conftest import ROOT

SVG = "{http://www.w3.org/2000/svg}"
DRAWINGS = diagrams.chapter_diagrams()
NAMES = [drawing.name for drawing in DRAWINGS]
# The chapters that show at least one drawing each.
CHAPTERS = ["01-processes", "02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch",
            "06-pod-and-pause", "pod-on-a-node", "shared-storage", "07-lifecycle", "termination", "resources",
            "debugging"]


def drawn_texts(drawing: diagrams.Diagram) -> list[str]:
    return [text.get_text() for ax in drawing.figure.axes for text in ax.texts if text.get_text()]  # arrows: ""


def test_every_chapter_drawing_is_made():
    assert len(DRAWINGS) == 15 and len(set(NAMES)) == len(NAMES), NAMES


@pytest.mark.parametrize("drawing", DRAWINGS, ids=NAMES)
def test_svg_is_vector_with_the_alt_text_as_its_title(drawing):
    svg = drawing.svg()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<image" not in svg and "data:image" not in svg, "no raster picture inside"
    assert len(drawing.alt) > 80, drawing.alt
    root = ElementTree.fromstring(svg.encode())
    assert root.find(f"{SVG}title").text == drawing.alt
    assert root.get("role") == "img" and root.get("aria-label") == drawing.alt
    width = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    assert width and float(width.group(1)) == pytest.approx(plot.WIDTH_INCHES * 72)


@pytest.mark.parametrize("drawing", DRAWINGS, ids=NAMES)
def test_no_letter_is_small_outside_or_over_another(drawing):
    assert drawn_texts(drawing), "the drawing has text to check"
    assert diagrams.layout_problems(drawing) == []


@pytest.mark.parametrize("drawing", DRAWINGS, ids=NAMES)
def test_every_letter_is_legible_in_a_phone_column(drawing):
    """At the width a 390 px phone gives a figure, no text is under MIN_TEXT_PX (tests/site measures the
    same in Chromium on the built site)."""
    sizes = plot.text_sizes_px(drawing.svg())
    assert len(sizes) >= len(drawn_texts(drawing)), "every text of the drawing was found in its SVG"
    assert min(sizes) >= plot.MIN_TEXT_PX, f"smallest text {min(sizes):.1f} px"


def test_layout_check_finds_overlapping_text():
    drawing = diagrams.fork_exec()
    ax = drawing.figure.axes[0]
    first = ax.texts[0]
    ax.text(*first.get_position(), "an overlapping label", fontsize=plot.FONT_POINTS)
    ax.text(-1, -1, "outside", fontsize=6)
    problems = diagrams.layout_problems(drawing)
    assert any("overlaps" in problem for problem in problems)
    assert any("outside" in problem for problem in problems) and any("6.0 pt" in problem for problem in problems)


def test_svg_is_reproducible():
    assert diagrams.phase_diagram().svg() == diagrams.phase_diagram().svg()


# --- drawn from the same data the chapters assert -----------------------------------------------------


def test_namespace_matrix_draws_every_cell_of_the_plan():
    plan = planned_sharing(["web", "sidecar"])
    drawing = diagrams.namespace_matrix(plan)
    words = Counter(drawn_texts(drawing))
    cells = Counter(diagrams.SHARING_WORDS[cell] for row in plan.values() for cell in row.values())
    assert cells and all(words[word] == count for word, count in cells.items())
    for kind, row in plan.items():
        assert kind in words and f"{kind}: " + ", ".join(
            f"{process} {diagrams.SHARING_WORDS[cell]}" for process, cell in row.items()) in drawing.alt


@pytest.mark.parametrize("share_process_namespace", [False, True])
def test_the_plan_is_the_pods_own_rules(share_process_namespace):
    plan = planned_sharing(["a"], share_process_namespace)
    pod = Pod("p", share_process_namespace=share_process_namespace)
    pod.pause = SimpleNamespace(pid=1)  # only for the paths of the namespaces a container would join
    assert {kind for kind, row in plan.items() if row["a"] == "pod"} == set(pod.shared)
    assert {kind for kind, row in plan.items() if row["pause"] == "pod"} == set(pod.shared)
    assert {kind for kind, row in plan.items() if row["a"] == "own"} == set(pod._spec("/", argv=["sh"]).unshare)
    assert {kind for kind, row in planned_sharing(["a"]).items() if row["a"] == "pod"} == set(POD_NAMESPACES)


@pytest.mark.parametrize("matrix", [{}, {"net": {"pause": "shared"}}, {"net": {"pause": "pod"}, "uts": {"x": "pod"}}])
def test_a_bad_matrix_is_refused(matrix):
    with pytest.raises(ValueError):
        diagrams.namespace_matrix(matrix)


def test_every_sharing_word_is_explained():
    assert set(diagrams.SHARING_WORDS) == set(diagrams.SHARING_LEGEND) == set(SHARING)


def test_pod_anatomy_names_the_shared_and_own_namespaces():
    drawing = diagrams.pod_anatomy("web-pod", ["web", "sidecar"])
    text = " ".join(drawn_texts(drawing)).replace("\n", " ")
    assert "shared net, uts, ipc namespaces" in text and "veth pair" in text
    assert text.count("own mnt, pid namespaces") == 2
    shared_pid = " ".join(drawn_texts(diagrams.pod_anatomy("p", ["a"], share_process_namespace=True)))
    assert "net, uts, ipc, pid" in shared_pid.replace("\n", " ")


def test_cgroup_tree_follows_the_kubelets_names():
    pods = {"db": ("Guaranteed", ["c0"]), "web": ("Burstable", ["c0", "c1"]), "batch": ("BestEffort", ["c0"])}
    nodes = diagrams.cgroup_nodes(pods)
    names = [node.name for node in nodes]
    depth = {node.name: node.depth for node in nodes}
    assert names[:2] == ["/sys/fs/cgroup", "kubepods"]
    for name, (qos, containers) in pods.items():
        path = kube_resources.pod_cgroup_path(qos, diagrams.example_uid(name))
        assert depth[path[-1]] == len(path), path
        for container in [*containers, diagrams.SANDBOX]:
            assert depth[diagrams.example_container_id(name, container)] == len(path) + 1
    assert depth["pod" + diagrams.example_uid("db")] == 2, "a Guaranteed Pod sits directly under kubepods"
    texts = drawn_texts(diagrams.cgroup_tree(pods))
    assert all(diagrams._shortened(name) in texts for name in names)


def test_cgroup_versions_draw_every_row_and_name_every_file():
    texts = drawn_texts(diagrams.cgroup_versions())
    rows = diagrams.CGROUP_VERSION_ROWS
    assert rows and all(name in texts for name, _, _ in rows)
    assert texts.count("demo") == 4, "one directory per v1 controller tree, one in v2"
    for _, _, holds in rows:
        assert not holds or holds in texts


def test_cgroup_tree_with_the_systemd_driver():
    names = [node.name for node in diagrams.cgroup_nodes({"web": ("Burstable", ["c0"])}, driver="systemd")]
    uid = diagrams.example_uid("web").replace("-", "_")
    assert "kubepods.slice" in names and "kubepods-besteffort.slice" in names
    assert f"kubepods-burstable-pod{uid}.slice" in names
    assert f"cri-containerd-{diagrams.example_container_id('web', 'c0')}.scope" in names


def test_pod_cgroup_paths():
    uid = "8a5d0a1e-3c2b-4f6d-9e8f-0123456789ab"
    assert kube_resources.pod_cgroup_path("Guaranteed", uid) == ("kubepods", f"pod{uid}")
    assert kube_resources.pod_cgroup_path("Burstable", uid) == ("kubepods", "burstable", f"pod{uid}")
    assert kube_resources.pod_cgroup_path("BestEffort", uid, "systemd") == (
        "kubepods.slice", "kubepods-besteffort.slice",
        f"kubepods-besteffort-pod{uid.replace('-', '_')}.slice")
    with pytest.raises(ValueError, match="QoS class"):
        kube_resources.pod_cgroup_path("Gold", uid)
    with pytest.raises(ValueError, match="driver"):
        kube_resources.pod_cgroup_path("Burstable", uid, "openrc")


def test_phase_diagram_draws_every_phase_and_transition():
    drawing = diagrams.phase_diagram()
    texts = drawn_texts(drawing)
    assert all(phase in texts for phase in PHASES)
    labels = {" ".join(text.split()) for text in texts}
    assert all(when in labels for _, _, when in diagrams.PHASE_TRANSITIONS)
    assert {source for source, _, _ in diagrams.PHASE_TRANSITIONS} == {"Pending", "Running"}, \
        "Succeeded and Failed are final; nothing leaves Unknown in the drawing"
    assert all(source in PHASES and target in PHASES for source, target, _ in diagrams.PHASE_TRANSITIONS)


def test_container_state_diagram_draws_every_state_and_reason():
    texts = drawn_texts(diagrams.container_state_diagram())
    assert all(state.capitalize() in texts for state in CONTAINER_STATES)
    joined = "\n".join(texts)
    assert all(reason in joined for reasons in diagrams.STATE_REASONS.values() for reason in reasons)


def test_namespace_kinds_cover_every_kind_the_package_creates():
    from podnotes.linux.syscalls import NAMESPACE_FLAGS

    assert set(NAMESPACE_FLAGS) <= set(diagrams.ISOLATES)
    texts = drawn_texts(diagrams.namespace_kinds())
    assert all(kind in texts for kind in diagrams.ISOLATES)


def test_namespace_kinds_say_whose_namespace_a_pods_container_is_in():
    """CRI NamespaceOption as the kubelet fills it (pkg/kubelet/kuberuntime/util/util.go): network and IPC
    per Pod, PID per container unless shareProcessNamespace, user per Pod only with hostUsers: false;
    containerd adds the Pod's UTS, a mount namespace per container and a cgroup namespace on cgroup v2."""
    uses = {kind: diagrams.namespace_use(kind) for kind in diagrams.ISOLATES}
    assert {kind for kind, use in uses.items() if use.sharing == "pod"} == {"net", "ipc", "uts"}
    assert {kind for kind, use in uses.items() if use.sharing == "own"} == {"pid", "mnt", "cgroup"}
    assert {kind for kind, use in uses.items() if use.sharing == "host"} == {"user", "time"}
    assert "shareProcessNamespace" in uses["pid"].words and "shareProcessNamespace" not in uses["mnt"].words
    assert "hostUsers: false" in uses["user"].words and "cgroup v2" in uses["cgroup"].words
    texts = " ".join(" ".join(drawn_texts(diagrams.namespace_kinds())).split())
    assert "always" not in texts.replace("its own, always", "").replace("the node's, always", ""), \
        "no bare 'always' that leaves open what is always"
    assert diagrams.NAMESPACE_USE_HEADER in texts
    for use in uses.values():
        assert use.words in texts, f"{use.words!r} is drawn whole"


def test_container_steps_follow_the_launchers_order():
    spec = container_spec("ROOT", "c", ["cgroup.procs"], argv=["sh"])
    calls = [step.call.split("(")[0] for step in setup_steps(spec)]
    assert calls == ["write", "unshare", "fork", "mount", "sethostname", "ioctl", "mount", "mount", "pivot_root",
                     "umount2", "mount", "execve"]
    joined = "\n".join(drawn_texts(diagrams.container_steps(spec))).replace("\n", " ")
    assert "pivot_root" in joined and "$ unshare -m -u -i -n -p" in joined


def test_root_switch_compares_chroot_with_pivot_root():
    specs = diagrams.root_specs()
    chroot_calls = [step.call for step in setup_steps(specs["chroot"])]
    pivot_calls = [step.call for step in setup_steps(specs["pivot_root"])]
    assert chroot_calls[0].startswith("chroot(") and not any("unshare" in call for call in chroot_calls)
    assert pivot_calls[0] == "unshare(CLONE_NEWNS)" and any(call.startswith("umount2") for call in pivot_calls)


def test_setup_steps_for_joining_and_user_namespaces():
    steps = setup_steps(Spec(argv=["sh"], join={"net": "/proc/1/ns/net"}, unshare=["user"], map_root_to_self=True))
    assert [step.shell for step in steps] == ["nsenter -t PID -n", "unshare -U", "unshare -U -r", "exec sh"]


# --- the chapters show them ------------------------------------------------------------------------------

GLUED = re.compile(r'glue\(\s*"([^"]+)",\s*diagrams\.bilingual\(diagrams\.(\w+)[,)]')
FIGURE = re.compile(r"```\{glue:figure\} (\S+)\n((?::[^\n]*\n)*)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_shows_a_drawing_with_alt_text(chapter):
    text = (ROOT / "chapters" / f"{chapter}.md").read_text()
    glued = dict(GLUED.findall(text))
    assert glued, f"{chapter} shows no drawing"
    figures = {key: options for key, options in FIGURE.findall(text)}
    for key, function in glued.items():
        assert hasattr(diagrams, function), function
        assert key in figures, f"{chapter}: {key} is glued but not shown"
        alt = re.search(r"^:alt: (.+)$", figures[key], re.M)
        assert alt and len(alt.group(1)) > 80, f"{chapter}: {key} has no alt text"


def test_the_cri_chain_names_the_three_calls_and_every_program():
    texts = " ".join(drawn_texts(diagrams.cri_chain())).replace("\n", " ")
    for call in ("RunPodSandbox", "CreateContainer", "StartContainer"):
        assert call in texts
    for program in ("kubelet", "containerd", "containerd-shim-runc-v2", "runc", "/pause", "CNI"):
        assert program in texts


def test_the_pod_files_drawing_shows_every_source_and_path():
    texts = " ".join(drawn_texts(diagrams.pod_files())).replace("\n", "")
    assert len(diagrams.POD_FILE_SOURCES) == 9
    for _source, maker, target in diagrams.POD_FILE_SOURCES:
        assert target.replace("/", "") in texts.replace("/", "").replace(" ", ""), target
        assert maker in texts


def test_the_start_steps_name_the_words_the_debugging_chapter_shows():
    from podnotes.diagrams import START_STEPS, start_steps

    chapter = (Path(__file__).resolve().parents[1] / "chapters" / "debugging.md").read_text()
    words = ["ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError", "Unhealthy", "Killing",
             "OOMKilled", "CrashLoopBackOff"]
    shown = " ".join(word for _, word in START_STEPS)
    for word in words:
        assert word in shown and word in chapter, word
    drawing = start_steps()
    assert all(step in drawing.alt for step, _ in START_STEPS)
    assert diagrams.layout_problems(drawing) == []


def test_the_termination_sequence_draws_every_step_in_its_column():
    drawing = diagrams.termination_sequence()
    texts = "\n".join(drawn_texts(drawing)).replace("\n", " ")
    for column, step in diagrams.TERMINATION_STEPS:
        assert step.replace("\n", " ").split(":")[0] in texts, step
        assert ("node" if column else "control plane") in drawing.alt
    for link in diagrams.TERMINATION_LINKS:
        assert link.replace("\n", " ") in texts, link



# --- the Chinese edition's drawings -------------------------------------------------------------------------

DRAWINGS_ZH = diagrams.chapter_diagrams("zh-CN")
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def test_every_chapter_drawing_is_made_in_chinese():
    assert [drawing.name for drawing in DRAWINGS_ZH] == NAMES
    assert {drawing.language for drawing in DRAWINGS_ZH} == {"zh-CN"}
    assert {drawing.language for drawing in DRAWINGS} == {"en"}


@pytest.mark.parametrize("drawing", DRAWINGS_ZH, ids=NAMES)
def test_a_chinese_drawing_has_no_english_label_left(drawing):
    """Every label is in the table's Chinese, or one the table keeps as it is (names, code, status words);
    a label with Latin words only is one of those."""
    table = diagrams.label_table()
    texts = drawn_texts(drawing)
    assert texts and any(CJK.search(text) for text in texts), "the drawing has Chinese labels"
    assert not diagrams.untranslated, sorted(diagrams.untranslated)
    english = set(table["labels"])
    for text in texts:
        assert text not in english, f"{text!r} was drawn in English"
        if LATIN_WORD.search(text) and not CJK.search(text):
            assert _kept(text, table), f"{text!r} has no Chinese and is not a kept name, code or status word"


def _kept(text: str, table: dict) -> bool:
    """Names, code and status words: in the kept list, or no line of it is English prose (three words in a
    row outside a shell line; a call, a path, a cgroup or a flag is not prose)."""
    if text in table["kept"]:
        return True
    return not any(PROSE.search(line) for line in text.splitlines() if not line.startswith("$ "))


PROSE = re.compile(r"\b[A-Za-z]+ [a-z]+ [a-z]+\b")


@pytest.mark.parametrize("drawing", DRAWINGS_ZH, ids=NAMES)
def test_no_letter_of_a_chinese_drawing_is_small_outside_or_over_another(drawing):
    assert diagrams.layout_problems(drawing) == []


@pytest.mark.parametrize("drawing", DRAWINGS_ZH, ids=NAMES)
def test_every_letter_of_a_chinese_drawing_is_legible_in_a_phone_column(drawing):
    sizes = plot.text_sizes_px(drawing.svg())
    assert len(sizes) >= len(drawn_texts(drawing)), "every text of the drawing was found in its SVG"
    assert min(sizes) >= plot.MIN_TEXT_PX, f"smallest text {min(sizes):.1f} px"


@pytest.mark.parametrize("drawing", DRAWINGS_ZH, ids=NAMES)
def test_chinese_text_stays_inside_its_drawing_and_is_drawn_in_a_cjk_font(drawing):
    """Wrapped Chinese lines fit the figure's width; the characters are drawn (a missing glyph would be
    an empty box: matplotlib warns and draws DejaVu's .notdef)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        svg = drawing.svg()
    assert "<path" in svg


@pytest.mark.parametrize("text, columns", [
    ("所有容器都已结束，其中有出错的，且都不会重启", 12),
    ("pause 进程：持有 net, uts, ipc 命名空间；一直睡眠", 14),
    ("kubelet：Killing 事件，然后是 preStop 回调，它占用宽限期限", 16),
])
def test_chinese_wrapping_fits_and_keeps_latin_words_and_punctuation(text, columns):
    lines = diagrams._wrap_line(text, columns)
    assert len(lines) > 1 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(diagrams._columns(line) <= columns for line in lines), lines
    assert not any(line[0] in "，。、：；）" for line in lines), "no line starts with closing punctuation"
    latin = set(re.findall(r"[A-Za-z]+", text))
    assert latin == {word for line in lines for word in re.findall(r"[A-Za-z]+", line)}, "no Latin word is cut"


def test_no_chinese_character_is_left_alone_on_a_last_line():
    lines = diagrams._wrap_line("子进程带着退出状态退出", 17)  # ten characters fit a line
    assert lines == ["子进程带着退出状态", "退出"], lines


@pytest.mark.parametrize("drawing", DRAWINGS_ZH, ids=NAMES)
def test_wrapped_chinese_lines_are_no_wider_than_the_wrapping_allowed(drawing):
    """The wrapping's estimate of a Chinese line's width is not below its drawn width (WIDE_CHAR_COLUMNS)."""
    lines = [line for text in drawn_texts(drawing) for line in text.splitlines() if CJK.search(line)]
    assert lines
    for line in lines:
        estimate = diagrams._columns(line) * 72 / diagrams.CHARS_PER_INCH
        assert plot.text_width_points(line) <= estimate * 1.02, line


def test_a_label_missing_from_the_table_is_reported_and_drawn_as_it_is():
    diagrams.untranslated.clear()
    try:
        drawing = diagrams.drawn_in("zh-CN", diagrams.start_steps)
        assert not diagrams.untranslated
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(diagrams, "START_STEPS", (("a step no table knows", "Running"),))
            drawing = diagrams.drawn_in("zh-CN", diagrams.start_steps)
        assert diagrams.untranslated == {"a step no table knows"}
        assert "a step no table knows" in drawn_texts(drawing)
    finally:
        diagrams.untranslated.clear()


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr"):
        diagrams.drawn_in("fr", diagrams.fork_exec)


def test_the_chinese_labels_use_the_editions_terms():
    """Every Chinese label of the table is held to the term list the translated pages are checked against."""
    from podnotes.book.terms import check_message, load_terms

    table = diagrams.label_table()
    terms = load_terms()
    assert table["labels"] and terms
    problems = [(english, variant) for english, chinese in table["labels"].items()
                for _, variant in check_message(english, chinese, terms)]
    assert problems == []


def test_the_bilingual_output_holds_both_drawings_each_in_its_language():
    from html.parser import HTMLParser

    both = diagrams.bilingual(diagrams.fork_exec)
    html = both._repr_html_()

    class Wrappers(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "div" and "podnotes-lang" in attrs.get("class", ""):
                self.found.append((attrs["class"], attrs.get("lang")))

    parser = Wrappers()
    parser.found = []
    parser.feed(html)
    assert parser.found == [("podnotes-lang-en", "en"), ("podnotes-lang-zh", "zh-CN")]
    assert html.count("<svg") == 2 and "<?xml" not in html
    assert 'html[lang|="zh"] .podnotes-lang-en' in html, "the notices' style shows each edition its own"
    assert both.en.svg() != both.zh.svg() and both.en.alt in html
