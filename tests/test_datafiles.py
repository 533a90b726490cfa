"""The package's own YAML data files are read strictly (podnotes.datafiles): a key given twice is an error."""

from __future__ import annotations

import pytest

from podnotes import datafiles


@pytest.mark.parametrize("name", ["zh-terms.yml", "figure-labels.zh-CN.yml", "notices.zh-CN.yml"])
def test_every_shipped_data_file_reads(name):
    data = datafiles.load(name)
    assert data, f"{name} has entries"


def test_a_key_given_twice_names_the_file_line_and_key():
    # The term list once had a second `avoid:` in one entry; PyYAML kept the last one silently.
    text = "- term: Pod Security Standards\n  zh: Pod 安全性标准\n  avoid: [Pod 安全标准]\n  avoid: [终止信息]\n"
    with pytest.raises(datafiles.DataFileError, match=r"terms\.yml:4: key 'avoid' is given twice .*line 3"):
        datafiles.read_yaml(text, "terms.yml")


def test_a_syntax_error_names_the_file():
    with pytest.raises(datafiles.DataFileError, match=r"(?s)^labels\.yml: .*line 1, column 4"):
        datafiles.read_yaml("a: [b\n", "labels.yml")


def test_the_same_key_in_two_mappings_is_fine():
    assert datafiles.read_yaml("- {a: 1}\n- {a: 2}\n", "x.yml") == [{"a": 1}, {"a": 2}]
