"""The glossary: every entry gives its Chinese term, in the words the Chinese
edition of kubernetes.io uses (content/zh-cn in github.com/kubernetes/website:
reference/glossary/*.md, concepts/workloads/pods/pod-qos.md,
concepts/security/pod-security-standards.md,
reference/using-api/server-side-apply.md, and the localization style guide for
体面终止)."""

from __future__ import annotations

import re

import pytest

from ..conftest import ROOT

GLOSSARY = ROOT / "chapters" / "reference" / "glossary.md"
CJK = re.compile(r"[\u4e00-\u9fff]")


def glossary_entries() -> dict[str, str]:
    """Term -> its definition text, from the page's ```{glossary} block."""
    text = GLOSSARY.read_text(encoding="utf-8")
    block = text.split("```{glossary}\n", 1)[1].rsplit("```", 1)[0]
    entries = {}
    for chunk in re.split(r"\n\s*\n", block.strip("\n")):
        term, _, definition = chunk.partition("\n")
        entries[term.strip()] = definition
    return entries


def test_the_glossary_has_its_entries():
    assert len(glossary_entries()) >= 50


@pytest.mark.parametrize("term", sorted(glossary_entries()))
def test_every_entry_opens_with_its_chinese_term(term):
    first_line = glossary_entries()[term].strip().splitlines()[0]
    assert CJK.search(first_line), f"{term}: no Chinese term on its first line: {first_line!r}"


ZH_CN_TERMS = {
    "Kubernetes namespace": ["名字空间", "命名空间"],
    "namespace": ["命名空间", "名字空间"],
    "init container": ["Init 容器", "初始化容器"],
    "graceful termination": ["体面终止"],
    "QoS class": ["Pod 服务质量类", "QoS 类"],
    "server-side apply": ["服务器端应用"],
    "Pod Security Standards": ["Pod 安全性标准"],
    "pause container": ["pause 容器"],
    "Pod sandbox": ["Pod 沙箱"],
    "container runtime": ["容器运行时"],
    "CRI": ["容器运行时接口"],
    "CNI": ["容器网络接口"],
    "node": ["节点"],
    "scheduler": ["调度器"],
    "volume": ["卷"],
    "projected volume": ["投射卷"],
    "termination message": ["终止消息"],
    "dnsPolicy": ["DNS 策略"],
    "taint": ["污点"],
    "toleration": ["容忍度"],
}


@pytest.mark.parametrize("term", sorted(ZH_CN_TERMS))
def test_the_kubernetes_io_zh_cn_terms_are_used(term):
    entries = glossary_entries()
    assert term in entries, f"no glossary entry {term!r}"
    for word in ZH_CN_TERMS[term]:
        assert word in entries[term], f"{term}: {word} missing"


def test_the_kubernetes_namespace_leads_with_the_zh_cn_word():
    first_line = glossary_entries()["Kubernetes namespace"].strip().splitlines()[0]
    assert first_line.startswith("名字空间"), first_line


def test_the_page_says_how_the_kernel_namespace_is_named():
    intro = GLOSSARY.read_text(encoding="utf-8").split("```{glossary}", 1)[0]
    assert "名字空间" in intro and "命名空间" in intro and "kernel" in intro
