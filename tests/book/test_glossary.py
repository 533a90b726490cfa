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


# The Chinese words of the entries (and the variants no page may use) are in one term list,
# src/podnotes/data/zh-terms.yml, checked against this page by tests/book/test_terms.py.


def test_the_kubernetes_namespace_leads_with_the_zh_cn_word():
    first_line = glossary_entries()["Kubernetes namespace"].strip().splitlines()[0]
    assert first_line.startswith("名字空间"), first_line


def test_the_page_says_how_the_kernel_namespace_is_named():
    intro = GLOSSARY.read_text(encoding="utf-8").split("```{glossary}", 1)[0]
    assert "名字空间" in intro and "命名空间" in intro and "kernel" in intro
