"""The package's own data files (``podnotes/data/*.yml``): term list, figure labels, notices.

They are read with PyYAML's safe loader, made strict about one thing YAML allows silently: a key given
twice in one mapping (the later value would replace the earlier one, and an entry would lose a line
without a word). Such a file is a bug of the package, so reading it raises.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class DataFileError(ValueError):
    """A data file the package cannot use; the message names the file, line and key."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's ``SafeLoader`` refusing a mapping that repeats a key."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DataFileError(f"{key_node.start_mark.name}:{line}: key {key!r} is given twice in one "
                                    f"mapping (first on line {seen[key]})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str, source: str) -> Any:
    """``text`` parsed as YAML; ``source`` names it in errors. Raises :class:`DataFileError` for a key
    given twice in one mapping and for a YAML syntax error."""
    loader = _StrictLoader(text)
    loader.name = source
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        raise DataFileError(f"{source}: {error}") from None
    finally:
        loader.dispose()


def load(name: str) -> Any:
    """The data file ``podnotes/data/<name>``, parsed with :func:`read_yaml`."""
    return read_yaml(resources.files("podnotes").joinpath(f"data/{name}").read_text(encoding="utf-8"),
                     f"podnotes/data/{name}")


def load_path(path: Path) -> Any:
    """A YAML file of the same kind elsewhere (a test's own term list), parsed with :func:`read_yaml`."""
    return read_yaml(path.read_text(encoding="utf-8"), str(path))
