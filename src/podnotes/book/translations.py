"""The book's Chinese edition: the same pages, built from the same executed notebooks, with their prose taken
from gettext catalogs (Sphinx internationalisation, https://www.sphinx-doc.org/en/master/usage/advanced/intl.html).

    python -m podnotes.book.translations update [--book DIR] [--out DIR]     # `make translations`
    python -m podnotes.book.translations status [--book DIR] [--out DIR]
    python -m podnotes.book.translations build  [--book DIR] [--out DIR] [-- SPHINX_FLAGS...]

- The catalogs are ``locales/zh_CN/LC_MESSAGES/<docname>.po``, one per page (``gettext_compact = False``).
- ``update`` extracts every message of the executed book (Sphinx's gettext builder over the execution cache of
  the last English build: the captions of glued figures exist only there), merges the catalogs with
  sphinx-intl (a changed English paragraph becomes a fuzzy or a new untranslated entry, a removed one an
  obsolete ``#~`` entry) and lists per page: messages, untranslated, fuzzy, stale.
- ``build`` builds the Chinese HTML edition into ``_build/html/zh-CN`` from the English build's execution cache
  (no chapter is executed again: a chapter missing from the cache stops the build; the status page, which
  every English build executes anew, shows that very execution). The build also writes which
  messages of the current sources its catalogs lack (``_build/zh-CN/untranslated.json``), for the drift test.

Exit codes: 0 done, 1 the Sphinx build or sphinx-intl failed (its output says why), 3 no catalogs in the book
(status, build; ``update`` creates them), 4 bad command line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LOCALE_DIR = "locales"
STATUS_SOURCE = "chapters/reference/status.md"
UNTRANSLATED_REPORT = "untranslated.json"


@dataclass(frozen=True)
class Edition:
    """One language of the site: its Sphinx ``language``, its folder under the site's root ("" for the root)
    and how the language switch names it, in its own language."""

    language: str
    folder: str
    name: str
    switch_title: str

    @property
    def tag(self) -> str:
        """The BCP 47 tag of ``<html lang>`` and ``hreflang``: ``zh-CN``."""
        return self.language.replace("_", "-")


ENGLISH = Edition("en", "", "English", "Read this page in English")
CHINESE = Edition("zh_CN", "zh-CN", "中文", "阅读本页的中文版")
EDITIONS = (ENGLISH, CHINESE)
CHINESE_SETTINGS = {
    "html_title": "podnotes：由进程搭建的 Pod",
    # the footer's "By …" (作者：…)
    "author": "podnotes 编写组",
    "search_bar_text": "搜索本书…",
    # sphinx-togglebutton's hints on the dropdowns (solutions, hidden cells); its own catalog has no zh_CN.
    "togglebutton_hint": "点击显示",
    "togglebutton_hint_hide": "点击隐藏",
}


def edition_of(language: str | None) -> Edition:
    return next((edition for edition in EDITIONS if edition.language == language), ENGLISH)


def has_translations(book: Path) -> bool:
    """Whether the book has catalogs for the Chinese edition (then it is built, and pages link to it)."""
    return any((book / LOCALE_DIR / CHINESE.language / "LC_MESSAGES").rglob("*.po"))


def same_page_in(pagename: str, target_uri: str, here: Edition, there: Edition) -> str:
    """The relative address, from page ``pagename`` of edition ``here``, of the same page in ``there``.

    ``target_uri`` is the page's file name as the HTML builder writes it (``chapters/08-probes.html``).
    Relative, so that the site works opened from disk and from any sub-path."""
    depth = pagename.count("/") + (here.folder.count("/") + 1 if here.folder else 0)
    prefix = f"{there.folder}/" if there.folder else ""
    return "../" * depth + prefix + target_uri


# ---------------------------------------------------------------------------------------------------------
# Sphinx configuration: what `jupyter-book config sphinx BOOK` writes, plus the settings of each run.

def sphinx_settings(book: Path) -> dict:
    """The Sphinx configuration jupyter-book derives from ``_config.yml`` (the same as ``jupyter-book config
    sphinx``)."""
    from jupyter_book.config import get_final_config

    settings, _ = get_final_config(
        user_yaml=book / "_config.yml", sourcedir=book,
        cli_config={"external_toc_path": "_toc.yml", "latex_individualpages": False})
    return settings


def write_conf(folder: Path, settings: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{key} = {settings[key]!r}" for key in sorted(settings)]
    (folder / "conf.py").write_text("# Written by podnotes.book.translations\n" + "\n".join(lines) + "\n")
    return folder


def reusing_execution(settings: dict, build_dir: Path) -> dict:
    """Settings that take every chapter's outputs from the English build's execution cache and execute none."""
    return {
        **settings,
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str((build_dir / ".jupyter_cache").resolve()),
        "podnotes_execution_reuse_only": True,
        "podnotes_provenance_dir": str((build_dir / "provenance").resolve()),
    }


def work_dir(out: Path) -> Path:
    return out / "_build" / CHINESE.folder


def sphinx_build(*args: str) -> int:
    command = [str(Path(sys.executable).with_name("sphinx-build")), *args]
    print("  " + " ".join(command), flush=True)
    return subprocess.call(command)


# ---------------------------------------------------------------------------------------------------------
# Catalogs: extraction, update, counts.

def extract(book: Path, out: Path) -> Path:
    """Every message of the executed book, as one ``.pot`` template per page; returns their folder.

    The status page is read without executing it: its outputs are a record of the build, not prose. For this
    repository's book the last build must have had the real-node observations: without them the figures
    that draw them, and so their captions, are not on the pages, and their messages would become obsolete."""
    if book.resolve() == Path(__file__).resolve().parents[3]:
        require_observations()
    settings = reusing_execution(sphinx_settings(book), out / "_build")
    settings["nb_execution_excludepatterns"] = [STATUS_SOURCE]
    settings["nb_mime_priority_overrides"] = [*settings.get("nb_mime_priority_overrides", []),
                                              *outputs_as_in_html("gettext")]
    conf = write_conf(work_dir(out) / "gettext-conf", settings)
    pot_dir = work_dir(out) / "gettext"
    # -E: every page read again, as the extension that decides what is a message may have changed.
    status = sphinx_build("-q", "-E", "-b", "gettext", "-c", str(conf), "-D", "gettext_compact=0",
                          "-D", "gettext_location=0", str(book), str(pot_dir))
    if status != 0:
        raise SystemExit(f"the gettext build failed (sphinx-build exit {status})")
    return pot_dir


def require_observations() -> None:
    from ..node import observe
    from ..node.overlays import observed_dir

    state = observe.observations_state(observed_dir())
    if not state.current:
        raise SystemExit("the catalogs are extracted from a complete book, with the real-node observations, "
                         f"and {observed_dir()} has none that are current: run `make book` as root first")


def outputs_as_in_html(builder: str) -> list[tuple[str, str, int | None]]:
    """myst-nb overrides that make ``builder`` show each output as the HTML builder does: the gettext builder
    would otherwise take an output's plain text over its picture, and a figure's caption and alternative text
    would never reach the catalogs (myst_nb/core/render.py, ``base_render_priority``)."""
    from myst_nb.core.render import base_render_priority

    priorities = base_render_priority()
    html, own = priorities["html"], priorities.get(builder, {})
    return [(builder, mime, html.get(mime)) for mime in sorted(set(html) | set(own))]


def update_catalogs(book: Path, pot_dir: Path) -> None:
    """Merge the templates into the catalogs (creating the missing ones) with ``sphinx-intl update``."""
    messages_dir = book / LOCALE_DIR / CHINESE.language / "LC_MESSAGES"
    # sphinx-intl 2.3 writes the catalogs in parallel and fails when two of its workers create the same
    # folder at once (FileExistsError): the folders are made first.
    for pot in pot_dir.rglob("*.pot"):
        (messages_dir / pot.relative_to(pot_dir)).parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("sphinx-intl")), "update", "-p", str(pot_dir),
               "-l", CHINESE.language, "-d", str(book / LOCALE_DIR)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"sphinx-intl update failed (exit {result.returncode}):\n{result.stderr}")


@dataclass(frozen=True)
class CatalogCount:
    """One page's catalog: its messages, how many have no translation, how many are fuzzy (a translation of
    an earlier English text, which Sphinx does not use), and how many are stale (obsolete: their English
    text is gone from the page)."""

    page: str
    total: int
    untranslated: int
    fuzzy: int
    stale: int

    @property
    def needs_work(self) -> bool:
        return bool(self.untranslated or self.fuzzy or self.stale)


def catalog_files(book: Path) -> list[Path]:
    return sorted((book / LOCALE_DIR / CHINESE.language / "LC_MESSAGES").rglob("*.po"))


def read_catalog(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as stream:
        return read_po(stream, charset="utf-8")


def count_catalog(path: Path, messages_dir: Path) -> CatalogCount:
    catalog = read_catalog(path)
    entries = [message for message in catalog if message.id]
    return CatalogCount(
        page=path.relative_to(messages_dir).with_suffix("").as_posix(),
        total=len(entries),
        untranslated=sum(1 for message in entries if not message.string),
        fuzzy=sum(1 for message in entries if message.string and message.fuzzy),
        stale=len(catalog.obsolete),
    )


def catalog_counts(book: Path) -> list[CatalogCount]:
    messages_dir = book / LOCALE_DIR / CHINESE.language / "LC_MESSAGES"
    return [count_catalog(path, messages_dir) for path in catalog_files(book)]


def counts_table(counts: list[CatalogCount]) -> str:
    lines = [f"{'page':<40} {'messages':>8} {'untranslated':>12} {'fuzzy':>6} {'stale':>6}"]
    lines += [f"{row.page:<40} {row.total:>8} {row.untranslated:>12} {row.fuzzy:>6} {row.stale:>6}"
              for row in counts]
    total = CatalogCount("all pages", *(sum(getattr(row, name) for row in counts)
                                        for name in ("total", "untranslated", "fuzzy", "stale")))
    lines.append(f"{total.page:<40} {total.total:>8} {total.untranslated:>12} {total.fuzzy:>6} {total.stale:>6}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# The Chinese HTML edition.

def staged_locales(book: Path, out: Path) -> Path:
    """A copy of the catalogs in the build folder, where Sphinx compiles them (``.mo``); a file is copied only
    when it changed, with its time, so Sphinx reads again only the pages whose catalog changed."""
    source = book / LOCALE_DIR
    staged = work_dir(out) / "locales"
    for path in catalog_files(book):
        target = staged / path.relative_to(source)
        if not target.is_file() or target.read_bytes() != path.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return staged


def search_dictionary(out: Path) -> Path:
    """The book's Chinese terms as a jieba user dictionary (one word a line), so that Sphinx's Chinese search
    index keeps 存活探针 or 名字空间 whole as well as in parts (jieba's ``cut_for_search``)."""
    from .terms import load_terms

    words = sorted({word for term in load_terms() for word in term.searchable_words()})
    path = work_dir(out) / "search-words.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{word} 100000 n\n" for word in words), encoding="utf-8")
    return path


def chinese_settings(book: Path, out: Path) -> dict:
    settings = reusing_execution(sphinx_settings(book), out / "_build")
    theme_options = dict(settings.get("html_theme_options", {}))
    theme_options["search_bar_text"] = CHINESE_SETTINGS["search_bar_text"]
    return {
        **settings,
        "language": CHINESE.language,
        "locale_dirs": [str(staged_locales(book, out).resolve())],
        "gettext_compact": False,
        "html_title": CHINESE_SETTINGS["html_title"],
        "author": CHINESE_SETTINGS["author"],
        "togglebutton_hint": CHINESE_SETTINGS["togglebutton_hint"],
        "togglebutton_hint_hide": CHINESE_SETTINGS["togglebutton_hint_hide"],
        "html_theme_options": theme_options,
        "html_search_options": {"dict": str(search_dictionary(out).resolve())},
        "podnotes_untranslated_report": str((work_dir(out) / UNTRANSLATED_REPORT).resolve()),
    }


def build_edition(book: Path, out: Path, flags: list[str]) -> int:
    """Build the Chinese edition into ``OUT/_build/html/zh-CN``; returns sphinx-build's exit status.

    Sphinx writes into ``_build/zh-CN/html`` (next to it go its doctrees and ``jupyter_execute``, which must
    not be inside the published site), then the pages are copied under the English site."""
    if not has_translations(book):
        raise SystemExit(f"{book / LOCALE_DIR}: no catalogs for {CHINESE.language}")
    conf = write_conf(work_dir(out) / "conf", chinese_settings(book, out))
    reuse_status_outputs(book, out)
    built = work_dir(out) / "html"
    status = sphinx_build(*flags, "-b", "html", "-c", str(conf), "-d", str(work_dir(out) / ".doctrees"),
                          str(book), str(built))
    if status == 0:
        publish_into(built, out / "_build" / "html" / CHINESE.folder)
    return status


def reuse_status_outputs(book: Path, out: Path) -> None:
    """Put the English build's execution of the status page into the execution cache, for the Chinese build
    (which reads that page in cache mode) to show the same record of the build. Every English build executes
    the page anew and writes it, with its outputs, to ``_build/jupyter_execute``."""
    if not (book / STATUS_SOURCE).is_file():
        return
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    executed = out / "_build" / "jupyter_execute" / Path(STATUS_SOURCE).with_suffix(".ipynb")
    if not executed.is_file():
        raise SystemExit(f"{executed} is missing: the English build executes the status page; run `make book`")
    notebook = nbformat.read(executed, as_version=4)
    get_cache(str(out / "_build" / ".jupyter_cache")).cache_notebook_bundle(
        CacheBundleIn(notebook, str((book / STATUS_SOURCE).resolve())), check_validity=False, overwrite=True)


def publish_into(built: Path, target: Path) -> None:
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(built, staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def untranslated_report(out: Path) -> dict[str, list[str]]:
    """Per page, the messages of the current sources the last Chinese build found no translation for."""
    return json.loads((work_dir(out) / UNTRANSLATED_REPORT).read_text(encoding="utf-8"))


def shown_in_english(book: Path, out: Path) -> dict[str, int]:
    """Per page, how many messages the last Chinese build showed in English for want of a translation. A
    message whose translation is the English text itself (a name such as ``kubectl``) is translated: Sphinx
    leaves such a node as it is."""
    messages_dir = book / LOCALE_DIR / CHINESE.language / "LC_MESSAGES"
    shown = {}
    for page, messages in untranslated_report(out).items():
        path = messages_dir / f"{page}.po"
        catalog = read_catalog(path) if path.is_file() else None
        kept = {message.id for message in catalog or () if message.id and message.string == message.id
                and not message.fuzzy}
        count = sum(1 for message in messages if message not in kept)
        if count:
            shown[page] = count
    return shown


def missing_from_catalogs(book: Path, out: Path) -> dict[str, int]:
    """Per page, how many messages of the current sources its catalog lacks (a changed or new English text):
    the catalogs are stale for those pages until ``make translations``."""
    messages_dir = book / LOCALE_DIR / CHINESE.language / "LC_MESSAGES"
    stale = {}
    for page, messages in untranslated_report(out).items():
        path = messages_dir / f"{page}.po"
        known = {message.id for message in read_catalog(path) if message.id} if path.is_file() else set()
        missing = [message for message in messages if message not in known]
        if missing:
            stale[page] = len(missing)
    return stale


# ---------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    from .build import REPO_ROOT

    parser = argparse.ArgumentParser(prog="python -m podnotes.book.translations",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["update", "status", "build"])
    parser.add_argument("--book", type=Path, default=REPO_ROOT, help="the book's folder (with _config.yml)")
    parser.add_argument("--out", type=Path, default=None, help="where _build is (default: the book's folder)")
    parser.epilog = "build passes the words after -- to sphinx-build (e.g. -- -W -n --keep-going)"
    argv = list(sys.argv[1:] if argv is None else argv)
    flags = argv[argv.index("--") + 1:] if "--" in argv else []
    try:
        args = parser.parse_args(argv[:len(argv) - len(flags) - (1 if "--" in argv else 0)])
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else 4
    out = args.out or args.book
    if args.action != "update" and not has_translations(args.book):  # update starts the catalogs
        print(f"{args.book / LOCALE_DIR}: no {CHINESE.language} catalogs", file=sys.stderr)
        return 3
    try:
        if args.action == "build":
            return 0 if build_edition(args.book, out, flags) == 0 else 1
        if args.action == "update":
            update_catalogs(args.book, extract(args.book, out))
    except SystemExit as failed:
        print(failed, file=sys.stderr)
        return 1
    print(counts_table(catalog_counts(args.book)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
