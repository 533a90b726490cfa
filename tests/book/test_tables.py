"""Tables made readable on any screen (podnotes.book.tables): break points and stacking labels."""

from __future__ import annotations

from bs4 import BeautifulSoup

from podnotes.book import tables


def table_html(head: list[str], rows: list[list[str]], classes: str = "table") -> str:
    cells = "".join(f"<th>{cell}</th>" for cell in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{classes}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def code(*words: str) -> str:
    """Inline code as Sphinx writes it: each word a span.pre."""
    spans = " ".join(f'<span class="pre">{word}</span>' for word in words)
    return f'<code class="docutils literal notranslate">{spans}</code>'


def test_long_paths_break_after_their_separators_and_short_words_stay_whole():
    assert tables.break_points("pkg/kubelet/prober/worker.go") == ["pkg/", "kubelet/", "prober/", "worker.", "go"]
    assert tables.break_points("tests/site/test_screens.py::test_x")[-3:] == ["py::", "test_", "x"]
    for word in ("handler-count", "Succeeded", "PodReadyToStartContainers", "terminationGracePeriodSeconds",
                 "a/b.c", "1.37.2"):
        assert tables.break_points(word) == [word]
    assert tables.break_points("InPlacePodLevelResourcesVerticalScaling") == [
        "InPlace", "PodLevel", "Resources", "Vertical", "Scaling"]
    assert "".join(tables.break_points("spec.containers[*].livenessProbe.httpGet")) == \
        "spec.containers[*].livenessProbe.httpGet"


def test_code_is_cut_into_one_span_per_piece_with_a_break_between():
    html = table_html(["Source", "Note"],
                      [[code("pkg/kubelet/prober/worker.go", "(run)"), "net.ipv4.ip_local_port_range, x"]])
    soup = BeautifulSoup(tables.readable_tables(html), "html.parser")
    first = soup.select_one("td code")
    assert [span.get_text() for span in first.select("span.pre")] == \
        ["pkg/", "kubelet/", "prober/", "worker.", "go", "(run)"]
    assert len(first.find_all("wbr")) == 4, "a break between the pieces of the path, none inside (run)"
    assert first.get_text() == "pkg/kubelet/prober/worker.go (run)", "the text a reader copies is unchanged"
    note = soup.select("td")[1]
    assert note.get_text() == "net.ipv4.ip_local_port_range, x" and len(note.find_all("wbr")) == 5


def test_tables_with_headings_stack_and_label_each_cell():
    html = table_html(["Check", "Level", "Since"], [["<code>privileged</code>", "baseline", "1.0"]])
    soup = BeautifulSoup(tables.readable_tables(html), "html.parser")
    table = soup.find("table")
    assert table["class"] == [tables.STACK_CLASS, "table"]
    assert [cell["data-label"] for cell in table.select("tbody td")] == ["Check", "Level", "Since"]


def test_what_needs_no_change_is_left_alone():
    assert tables.readable_tables("<p>no table</p>") == "<p>no table</p>"
    single = table_html(["Only"], [["short"]])
    assert tables.readable_tables(single) == single
    index = '<table class="indextable"><tr><td>pkg/kubelet/prober/worker.go</td><td>b</td></tr></table>'
    assert tables.readable_tables(index) == index
    execution = ('<section id="execution-of-every-notebook">'
                 + table_html(["Document", "Modified", "Method"], [["chapters/01-processes", "x", "cache"]])
                 + "</section>")
    assert tables.readable_tables(execution) == execution


def test_the_sphinx_handler_rewrites_the_body_only():
    context = {"body": table_html(["a", "b"], [["x", "y"]]), "title": "t"}
    tables.on_page_context(None, "page", "page.html", context, None)
    assert 'data-label="a"' in context["body"] and context["title"] == "t"
    empty = {"title": "genindex"}
    tables.on_page_context(None, "genindex", "genindex.html", empty, None)
    assert empty == {"title": "genindex"}


def test_an_empty_cell_is_marked_and_gets_no_heading():
    html = table_html(["Check", "Since", "Replaces"], [["<code>privileged</code>", "1.0", ""],
                                                        ["<code>runAsUser</code>", "1.23", "<p> </p>"]])
    soup = BeautifulSoup(tables.readable_tables(html), "html.parser")
    last = [row.find_all("td")[-1] for row in soup.select("tbody tr")]
    assert all(tables.EMPTY_CLASS in cell["class"] and not cell.has_attr("data-label") for cell in last)
    assert soup.select("tbody td")[1]["data-label"] == "Since"


def test_punctuation_glued_to_code_is_wrapped_with_it():
    """Full-width brackets and separators around inline code (UAX #14 keeps them on the code's line) are
    wrapped with the code, with the link around it, and nothing else is."""
    cell = ('见“<a href="u">' + code("kubelet_pods.go") + "</a>”（" + code("MakeUserNsManager") + "、"
            + code("allocateOne") + "）、其他 " + code("plain") + " 句子")
    soup = BeautifulSoup(tables.readable_tables(table_html(["Source", "Note"], [[cell, "x"]])), "html.parser")
    glued = [span.get_text() for span in soup.select(f"span.{tables.GLUE_CLASS}")]
    assert glued == ["“kubelet_pods.go”", "（MakeUserNsManager、", "allocateOne）、"], glued
    assert soup.select_one(f"span.{tables.GLUE_CLASS} > a") is not None, "the link goes in with its code"
    assert soup.select("td")[0].get_text() == "见“kubelet_pods.go”（MakeUserNsManager、allocateOne）、其他 plain 句子"
    assert tables.readable_tables(table_html(["a", "b"], [["见" + code("x") + "与", "y"]])).count("glue") == 0
