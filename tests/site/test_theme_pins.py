"""The site's themes are pinned once for every supported Python, to versions
whose phone navigation works (tests/site/test_screens.py clicks it)."""

from __future__ import annotations

from importlib.metadata import version

from packaging.requirements import Requirement

from ..conftest import ROOT

THEMES = ("sphinx-book-theme", "pydata-sphinx-theme")


def pinned() -> dict[str, list[Requirement]]:
    found: dict[str, list[Requirement]] = {theme: [] for theme in THEMES}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            requirement = Requirement(text)
            if requirement.name in found:
                found[requirement.name].append(requirement)
    return found


def test_each_theme_has_one_pin_for_every_python():
    for theme, requirements in pinned().items():
        assert len(requirements) == 1, f"{theme}: {[str(r) for r in requirements]}"
        [requirement] = requirements
        assert requirement.marker is None, f"{theme} differs by Python version: {requirement}"
        assert str(requirement.specifier).startswith("=="), requirement


def test_the_installed_themes_are_the_pinned_ones():
    for theme, [requirement] in pinned().items():
        assert requirement.specifier.contains(version(theme)), f"{theme} {version(theme)} is not {requirement}"
