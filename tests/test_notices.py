"""The sentences a cell shows about this copy, in English and Chinese (podnotes.notices): every one that code
can build has its Chinese words, and each edition shows only its own language."""

from __future__ import annotations

import itertools
import re

import pytest

from podnotes import notices, provenance
from podnotes.linux import machine, privileges

from .conftest import ROOT

CHAPTERS = sorted((ROOT / "chapters").rglob("*.md"))
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def nothing_untranslated_yet():
    notices.untranslated.clear()
    yield
    assert not notices.untranslated, f"no Chinese for: {sorted(notices.untranslated)}"


def _chapter_calls(pattern: str) -> list[tuple[str, ...]]:
    calls = []
    for path in CHAPTERS:
        calls += re.findall(pattern, path.read_text(encoding="utf-8"), flags=re.S)
    return calls


def test_every_node_part_of_the_chapters_has_its_chinese_words():
    parts = _chapter_calls(r'provenance\.scene_part\(\s*"[^"]+",\s*[^,]+,\s*"([^"]+)",\s*"([^"]+)",?\s*\)')
    assert len(parts) >= 7, parts
    for what, fallback in parts:
        for text in (what, fallback):
            assert CJK.search(notices.zh(text)), text


def test_every_section_of_the_kernel_chapters_has_its_chinese_words():
    purposes = _chapter_calls(r'section\("[a-z]+",\s*"([^"]+)"\)')
    assert len(purposes) >= 20, purposes
    for purpose in purposes:
        assert CJK.search(notices.zh(purpose)), purpose


@pytest.mark.parametrize("requirement", sorted(privileges.REQUIREMENTS))
def test_every_requirement_and_its_reasons_have_their_chinese_words(requirement):
    needs = privileges.REQUIREMENTS[requirement]
    assert CJK.search(notices.zh(needs)) or needs == "Linux"
    reasons = {privileges.why_missing(requirement, facts) for facts in _all_kinds_of_machines()}
    assert reasons
    for reason in reasons:
        assert CJK.search(notices.zh(reason)), reason


def _all_kinds_of_machines():
    for root, cap, userns, version, writable in itertools.product(
            (True, False), (True, False), (True, False), ("v1", "v2", "hybrid"), (True, False)):
        yield machine.HostCapabilities(linux=True, kernel="6.1.0", root=root, cap_sys_admin=cap,
                                       user_namespaces=userns, cgroup_version=version,
                                       cgroup_controllers=("cpu",) if writable else ("cpu", "memory", "pids"),
                                       cgroup_writable=writable, systemd=True, tools={})


def test_the_reasons_a_machine_cannot_run_a_node_have_their_chinese_words():
    everything_missing = ["root (the kubelet and containerd need it)",
                          "kubelet/kube-scheduler/kube-controller-manager/containerd/runc (run build.sh)",
                          "CNI plugins (apt-get install containernetworking-plugins)",
                          "/bin/busybox (apt-get install busybox-static)", "go (to build the pause program)"]
    sentence = provenance._cannot_sentence(everything_missing)
    assert sentence.count("; and without ") == 4
    chinese = notices.zh(sentence)
    assert chinese.count("也缺少") == 4 and "without" not in chinese
    other_system = provenance._cannot_sentence(["this copy was built on Darwin, and a kubelet needs Linux"])
    assert notices.zh(other_system) == "这份副本构建于 Darwin，而 kubelet 需要 Linux"


def test_the_parts_podnotes_builds_itself_have_their_chinese_words(tmp_path):
    _, examples = provenance.kubelet_part("x", ["no-such-example"], folder=tmp_path)
    assert not examples.real
    from podnotes.node import termination

    _, deletions = termination.real_part(folder=tmp_path)
    for part in (examples, deletions, provenance.privileged_part("x", "root")):
        assert part.sentence_zh().startswith("这份副本中，" if part.real else "**这份副本未能运行")


def test_a_part_that_ran_names_what_it_ran_on_in_both_languages():
    part = provenance.Part("x", "the commands on this page against a real API server", True,
                           used={"kube-apiserver": "v1.37.2", "answers from": "local API server"})
    assert part.sentence() == ("In this copy, the commands on this page against a real API server ran for real "
                               "(kube-apiserver v1.37.2, answers from local API server).")
    assert part.sentence_zh() == ("这份副本中，本页针对真实 API 服务器的命令已真实运行"
                                  "（kube-apiserver v1.37.2、应答来自本地 API 服务器）。")


def test_a_part_that_could_not_run_says_why_and_the_command_in_both_languages():
    part = provenance.Part("x", "this Pod on a real kubelet", False,
                           "The node ran, but this part failed there (timed out after 60 s)", "make book",
                           fallback="The prediction above is shown without the node's answer.")
    notice = part.notice()
    assert notice.en.startswith("**This copy could not run this Pod on a real kubelet.**")
    assert notice.zh == ("**这份副本未能运行真实 kubelet 上的这个 Pod**。节点运行了，但这一部分在节点上失败了"
                         "（timed out after 60 s）。上面的预测没有节点的实际应答可以对照。运行方法：`make book`。"
                         "发布的网站展示的是真实结果。")


def test_each_edition_shows_only_its_own_language():
    """The page's <html lang> picks the paragraph: en on the English site and in Jupyter, zh-CN on the
    Chinese site. Markdown becomes HTML; everything else is escaped."""
    html = notices.Notice("**Not** `a <b>`", "**不是** `a <b>`")._repr_html_()
    assert '<div class="podnotes-lang-en" lang="en"><p><strong>Not</strong> <code>a &lt;b&gt;</code></p></div>' in html
    assert ('<div class="podnotes-lang-zh" lang="zh-CN"><p><strong>不是</strong> <code>a &lt;b&gt;</code></p>'
            "</div>") in html
    assert 'html:not([lang|="zh"]) .podnotes-lang-zh, html[lang|="zh"] .podnotes-lang-en {display: none;}' in html


def test_a_section_note_is_a_note_box_in_both_languages():
    note = privileges.SectionNote("create a UTS namespace", privileges.REQUIREMENTS["root"],
                                  "this notebook runs as a normal user, not root", "sudo make book")
    html = note._repr_html_()
    assert html.count('class="admonition note podnotes-not-run"') == 2
    assert "Not run on this machine" in html and "本机未运行" in html
    assert "这一节的实验要创建一个 UTS 命名空间" in note.notice().zh


def test_unknown_text_is_kept_and_remembered():
    assert notices.zh("something new") == "something new"
    assert notices.untranslated == {"something new"}
    notices.untranslated.clear()


def test_the_chinese_words_of_the_notices_are_the_standard_ones():
    """The same term list the catalogs are held to (podnotes.book.terms, data/zh-terms.yml)."""
    from podnotes.book.terms import check_message, load_terms

    table = notices._table()
    pairs = list(table["phrases"].items()) + [(rule["en"], rule["zh"]) for rule in table["patterns"]]
    pairs += [(name, text) for name, text in table["sentences"].items()]
    assert len(pairs) >= 80
    problems = [(english, variant) for english, chinese in pairs
                for _, variant in check_message(english, chinese, load_terms())]
    assert not problems
