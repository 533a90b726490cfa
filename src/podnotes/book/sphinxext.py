"""Sphinx glue for the book's site.

sphinx-book-theme offers an ``.ipynb`` download for MyST Markdown notebooks only
when a launch service (Binder, JupyterHub, Colab) is configured. The book links
to none, so that it works offline, and still offers each chapter both as its
``.md`` source and as the executed ``.ipynb``.

The site must also read completely without a network (workshops, a copy on a
laptop). Jupyter Book always loads sphinx-thebe, which writes the address of its
live-code bundle on a CDN and a Binder configuration into every page even when
live code is switched off; the book has no live code, so those assets are left
out of the pages. Math is written into the page as MathML at build time
(``html_math_renderer: mathml`` in ``_config.yml``) instead of being typeset in
the browser by MathJax loaded from a CDN.

When a chapter's cell fails (``nb_execution_raise_on_error``), myst-nb raises
out of the Sphinx build, which then ends in Sphinx's generic crash report and a
long traceback. The book's parser stops the build instead with a few lines
naming the chapter, the cell, the statement and the error, and writes the
cell's full traceback to ``_build/html/reports/<page>.err.log`` (where myst-nb
keeps its own execution reports).

myst-nb executes the notebooks one after the other while Sphinx reads them.
Most chapters spend their time waiting (for child processes, probes, a
kernel starting), so before Sphinx reads anything the book executes every
notebook that is not in the execution cache side by side
(``podnotes_execution_jobs``, default: twice the CPUs plus one), exactly as myst-nb would (same
reader, same working directory, same timeout), and stores the results in the
cache, where myst-nb then finds them.

The book has two editions, English at the site's root and Chinese under ``zh-CN/``
(:mod:`podnotes.book.translations`). Every page's header links to the same page in
the other edition. The Chinese one is built from the English build's execution
cache (``podnotes_execution_reuse_only``: a chapter missing from the cache stops
the build instead of being executed a second time), and it records which messages
of the current sources had no translation (``podnotes_untranslated_report``).
"""

from __future__ import annotations

import html
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from podnotes.book import tables

THEBE_MARKERS = ("thebe",)
STATUS_WORDS = {"✅": "ran", "❌": "failed"}
# The downloaded .ipynb is a chapter of the book: its cells import the podnotes
# package and read files of the repository (chapters/manifests/...).
DOWNLOAD_NOTE_TAG = "podnotes-download-note"
RUN_STEPS = ["git clone {repository} podnotes", "cd podnotes", "make venv",
             ".venv/bin/jupyter lab chapters/"]
DOWNLOAD_NOTE = """\
**To run this notebook you need the podnotes repository**, not just this file: its
cells import the `podnotes` package and read the repository's files (manifests,
presets), with paths relative to the `chapters/` folder. On Linux with Python 3.10
to 3.13:

{steps}

then open this chapter's `.md` file there (jupytext opens it as a notebook).
Cells that need root or a cluster say so and what they would need. As downloaded,
this notebook shows the outputs of the build that published the site."""
# The same note for a notebook downloaded from the Chinese edition (its cells and outputs are the English ones).
DOWNLOAD_NOTE_ZH = """\
**运行这个 notebook 需要 podnotes 仓库**，仅有这个文件是不够的：它的单元格会导入
`podnotes` 包，并读取仓库里的文件（清单、预设），路径相对于 `chapters/` 目录。
在装有 Python 3.10 至 3.13 的 Linux 上执行：

{steps}

然后在其中打开本章的 `.md` 文件（jupytext 会把它作为 notebook 打开）。需要 root
或集群的单元格会说明这一点以及所需的条件。下载得到的 notebook 显示的是发布本站点
那次构建的输出，代码和输出与英文版相同。"""
logger = logging.getLogger(__name__)
FAVICON = Path(__file__).parents[1] / "data" / "favicon.svg"
# The book's stylesheet (narrow screens, long code) and anything else the pages load.
SITE_STATIC = Path(__file__).parents[1] / "data" / "site-static"
SEARCH_SCORER = Path(__file__).parents[1] / "data" / "search-scorer.js"
STYLESHEET = "podnotes.css"
TEMPLATES = Path(__file__).parents[1] / "data" / "templates"
LANGUAGE_SWITCH = "podnotes-language-switch.html"


def offer_executed_notebook(app, pagename, templatename, context, doctree):
    if not context.get("sourcename", "").endswith((".md", ".md.txt")):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    published = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_text(executed_notebook_text(app, executed), encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def executed_notebook_text(app, executed: Path) -> str:
    """The notebook with its outputs, opening with a note on what it needs to run.

    When myst-nb takes a notebook's outputs from the execution cache it renders
    them, but writes the notebook to ``jupyter_execute`` without them; those
    outputs are merged back here from the same cache.
    """
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if code and all(cell.get("execution_count") is None for cell in code):
        notebook = _with_cached_outputs(app, notebook)
    steps = run_steps(app)
    note = DOWNLOAD_NOTE_ZH if (app.config.language or "").startswith("zh") else DOWNLOAD_NOTE
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
        note.format(steps="\n".join(f"    {step}" for step in steps)),
        metadata={"tags": [DOWNLOAD_NOTE_TAG]}))
    notebook.metadata["podnotes"] = {"needs": "a checkout of the podnotes repository", "run": steps}
    return nbformat.writes(notebook)


def run_steps(app) -> list[str]:
    """The commands that run a downloaded chapter: clone, install, open."""
    repository = app.config.html_theme_options.get("repository_url") or "https://github.com/podnotes/podnotes"
    return [step.format(repository=repository) for step in RUN_STEPS]


def _with_cached_outputs(app, notebook):
    from jupyter_cache import get_cache

    cache_path = app.env.mystnb_config.execution_cache_path
    if not cache_path or not Path(cache_path).is_dir():
        return notebook
    try:
        _, merged = get_cache(cache_path).merge_match_into_notebook(notebook)
    except KeyError:  # not in the cache: the notebook really has no outputs
        return notebook
    return merged


def status_words_for_emoji(app, doctree, docname):
    """Write myst-nb's execution table's ✅/❌ as words: a reader without an
    emoji font would see a missing glyph."""
    for text in list(doctree.findall(nodes.Text)):
        word = STATUS_WORDS.get(text.astext().strip())
        if word is not None and isinstance(text.parent, nodes.paragraph) and _in_table(text):
            text.parent.replace(text, nodes.Text(word))


def _in_table(node) -> bool:
    return any(isinstance(up, nodes.table) for up in _ancestors(node))


def _mentions_thebe(asset) -> bool:
    text = f"{asset.filename or ''} {asset.attributes.get('body', '')}"
    return any(marker in text.lower() for marker in THEBE_MARKERS)


def drop_live_code_assets(app, pagename, templatename, context, doctree):
    """Leave sphinx-thebe's scripts and stylesheet out of the page."""
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _mentions_thebe(asset)]


def drop_live_code_config(app, doctree, docname):
    """Remove the raw ``text/x-thebe-config`` block sphinx-thebe appends to pages."""
    for node in list(doctree.findall(nodes.raw)):
        if "x-thebe-config" in node.astext() or "kernelName =" in node.astext():
            node.parent.remove(node)


def link_figures_to_full_size(app, doctree, docname):
    """Make every figure's picture a link to its own file.

    A figure fills the column, which on a phone makes a timeline about a third
    of its drawn size; a tap then opens the full-size drawing. (Sphinx links only
    pictures given an explicit width or scale.)"""
    if app.builder.format != "html":
        return
    from sphinx.util.osutil import relative_uri

    images_dir = relative_uri(app.builder.get_target_uri(docname), "_images")
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if isinstance(image.parent, nodes.reference) or uri not in app.env.images:
            continue
        if not any(isinstance(up, nodes.figure) for up in _ancestors(image)):
            continue
        link = nodes.reference("", "", internal=True, refuri=f"{images_dir}/{app.env.images[uri][1]}")
        image.replace_self(link)
        link.append(image)


def _on_the_page(node, doctree) -> bool:
    """Not taken out of the page by a transform, and not the front matter (``docinfo``, which the page does
    not show and the gettext builder does not extract)."""
    top = node
    while top.parent is not None:
        if isinstance(top, nodes.docinfo):
            return False
        top = top.parent
    return top is doctree


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    return convert(latex.strip(), display=display)


def visit_math_as_mathml(self, node):
    self.body.append(_mathml(node.astext(), "inline"))
    raise nodes.SkipNode


def visit_displaymath_as_mathml(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, "Link to this equation")
        self.body.append("</span>")
    # Blank lines separate equations in one block, as Sphinx's own renderers read it.
    for equation in (part for part in node.astext().split("\n\n") if part.strip()):
        self.body.append(_mathml(equation, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def notebook_parser():
    """myst-nb's parser, stopping the build with a short message when a cell fails."""
    from myst_nb.core.execute.base import ExecutionError
    from myst_nb.sphinx_ import Parser

    class ChapterParser(Parser):
        def parse(self, inputstring, document):
            try:
                super().parse(inputstring, document)
            except ExecutionError as err:
                env = getattr(document.settings, "env", None) or self.env
                stop_build(env, inputstring, err.__cause__ or err)

    return ChapterParser


def stop_build(env, text: str, error, docname: str | None = None) -> None:
    """Print where the chapter failed, keep the full traceback in a file, and
    end the build (exit status 1) without Sphinx's crash report."""
    from podnotes.book.notebooks import ANSI_ESCAPE, describe_failure, failure_from_cell_error, read_text_notebook

    docname = docname or env.docname
    path = Path(env.doc2path(docname))
    code_sources = [cell.source for cell in read_text_notebook(text, path.suffix).cells if cell.cell_type == "code"]
    if hasattr(error, "ename"):
        failure = failure_from_cell_error(path, text, code_sources, error)
    else:  # the kernel died or a cell timed out: no cell traceback
        failure = describe_failure(path, text, code_sources, None, "", type(error).__name__, str(error))
    report = Path(env.app.outdir) / "reports" / f"{docname}.err.log"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(ANSI_ESCAPE.sub("", f"{error}\n"), encoding="utf-8")
    # Python prints this message as the process's last words, after Sphinx
    # has flushed its pending warnings, and exits with status 1.
    kernel_log = report.with_name(f"{Path(docname).name}.kernel.log")
    kernel_said = (f"\nThe kernel's own messages: {kernel_log}"
                   if not hasattr(error, "ename") and kernel_log.is_file() and kernel_log.stat().st_size else "")
    raise SystemExit(f"\nThe book was not built: a cell failed.\n{failure.message(Path(env.srcdir))}\n"
                     f"Full traceback: {report}{kernel_said}")


def execute_in_parallel(app, env, docnames):
    """Execute the notebooks among ``docnames`` that the execution cache
    lacks, ``podnotes_execution_jobs`` at a time, and cache them."""
    config = getattr(env, "mystnb_config", None)
    jobs = app.config.podnotes_execution_jobs or default_jobs()
    if config is None or config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache

    cache = get_cache(config.execution_cache_path)
    pending = [found for found in (_uncached_notebook(env, cache, docname)
                                   for docname in executed_side_by_side(docnames))
               if found]
    reports = Path(app.outdir) / "reports"
    if pending and app.config.podnotes_execution_reuse_only:
        names = ", ".join(docname for docname, *_ in pending)
        raise SystemExit(f"\nThe book was not built: this build reuses the outputs of the English build, and "
                         f"{len(pending)} notebooks are not in its execution cache "
                         f"({config.execution_cache_path}): {names}. Run `make book`.")
    if pending:
        logger.info(f"executing {len(pending)} notebooks, {max(jobs, 1)} at a time")
        with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
            results = list(pool.map(lambda item: _execute(config, *item, reports / f"{item[0]}.kernel.log"), pending))
        _keep_results(env, cache, pending, results)


def _keep_results(env, cache, executed, results) -> None:
    for (docname, path, text, notebook), result in zip(executed, results, strict=True):
        if result.err is not None:
            stop_build(env, text, result.err, docname)
        _cache_result(cache, path, notebook, result.time)
        logger.info(f"{path}: Executed notebook in {result.time:.2f} seconds")


def executed_side_by_side(docnames) -> list[str]:
    """The pages executed together before Sphinx reads them: all but the status
    page, which summarises what the others recorded while they ran; myst-nb
    executes it as Sphinx reads it, after this batch has finished."""
    return [docname for docname in docnames if docname != STATUS_PAGE]


def default_jobs() -> int:
    """Notebooks executed at once: twice the CPUs plus one. The chapters mostly
    wait (for child processes, probes, a control plane starting), and on a
    2-core machine 5 at a time built the book faster than 3 (35 s against 43 s)."""
    return 2 * (os.cpu_count() or 1) + 1


def _uncached_notebook(env, cache, docname):
    """(docname, path, text, notebook) for a notebook that is to be executed, else None."""
    from fnmatch import fnmatch

    from myst_nb.core.read import create_nb_reader

    config = env.mystnb_config
    path = Path(env.doc2path(docname))
    if any(fnmatch(str(path), pattern) for pattern in config.execution_excludepatterns):
        return None
    text = path.read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), env.myst_config, config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    try:
        cache.match_cache_notebook(notebook)
        return None
    except KeyError:
        return docname, path, text, notebook


def _execute(config, docname, path, text, notebook, kernel_log: Path | None = None):
    import traceback

    from jupyter_cache.executors.utils import ExecutionResult, single_nb_execution

    extra = {} if kernel_log is None else {"kernel_manager_class": kernel_manager_logging_to(kernel_log)}
    try:
        return single_nb_execution(notebook, cwd=str(path.parent), timeout=config.execution_timeout,
                                   allow_errors=config.execution_allow_errors, meta_override=True, **extra)
    except Exception as err:  # noqa: BLE001 - a dead kernel: reported like a failed cell
        return ExecutionResult(notebook, str(path.parent), 0.0, err, traceback.format_exc())


def kernel_manager_logging_to(log: Path):
    """A kernel manager class whose kernels write their standard error to ``log``
    instead of the build's terminal: what a kernel prints there (ipykernel logs a
    traceback when a message races its own shutdown) is about the kernel, not the
    book, and would bury the build's own report. The log is kept with the build's
    other reports."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManagerWithLog(AsyncKernelManager):
        async def start_kernel(self, **kw):
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as stderr:  # the kernel keeps its own copy of the descriptor
                kw.setdefault("stderr", stderr)
                return await super().start_kernel(**kw)

    return KernelManagerWithLog


def _cache_result(cache, path: Path, notebook, seconds: float) -> None:
    from jupyter_cache.base import CacheBundleIn

    cache.cache_notebook_bundle(CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds}),
                                check_validity=False, overwrite=True)


STATUS_PAGE = "chapters/reference/status"


def keep_provenance_records(app):
    """Chapters executed by this build record what they ran for real (:mod:`podnotes.provenance`); the
    notebook kernels inherit the variable that says where."""
    from podnotes import provenance

    folder = app.config.podnotes_provenance_dir or Path(app.outdir).parent / "provenance"
    os.environ[provenance.RECORDS_ENV] = str(folder)


def status_page_as_executed_in_english(app, docname, source):
    """In a build that reuses the English build's execution, the status page is not executed again (it would
    record another time and build): it is read in cache mode, where
    :func:`podnotes.book.translations.reuse_status_outputs` put the English build's execution of it."""
    if app.config.podnotes_execution_reuse_only and docname == STATUS_PAGE:
        source[0] = source[0].replace("execution_mode: force", "execution_mode: cache", 1)


def status_page_always_read(app, env, added, changed, removed):
    """The status page summarises every chapter's record, so it is read (and executed) on every build."""
    return [STATUS_PAGE] if STATUS_PAGE in env.found_docs else []


def default_favicon(app, config):
    # A page without an icon makes browsers ask for /favicon.ico, a failed request.
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)


def add_site_static(app, config):
    config.html_static_path = [*config.html_static_path, str(SITE_STATIC)]


def rank_chapters_first(app, config):
    # Sphinx opens html_search_scorer from the working directory, so the path is made absolute here.
    if not config.html_search_scorer:
        config.html_search_scorer = str(SEARCH_SCORER)


def offer_language_switch(app, config):
    """Put the language switch first among the header's buttons, when the book has a second edition."""
    from podnotes.book.translations import has_translations

    if not has_translations(Path(app.srcdir)):
        return
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end") or ["article-header-buttons.html"]
    end = [name.strip() for name in end.split(",")] if isinstance(end, str) else list(end)
    options["article_header_end"] = [LANGUAGE_SWITCH, *[name for name in end if name != LANGUAGE_SWITCH]]
    config.html_theme_options = options


def quiet_chinese_word_splitter(app, config):
    """jieba, which Sphinx's Chinese search index uses, logs how it loads its dictionary on standard error;
    that says nothing about the book."""
    if (config.language or "").startswith("zh"):
        import logging as std_logging

        try:
            import jieba
        except ImportError:
            return
        jieba.setLogLevel(std_logging.WARNING)


#: Message domains of themes whose own Simplified Chinese wording the book corrects with a catalog of the same
#: name in its locale folder (sphinx-book-theme's zh_CN catalog says 列印成 PDF, Taiwan's usage, for "Print to PDF").
THEME_CATALOGS = ("booktheme",)


def project_catalogs_before_the_themes(app, config):
    """Make the book's catalog of a theme's domain the one asked first, the theme's own its fallback.

    sphinx-book-theme loads its catalog in its ``setup`` (``app.add_message_catalog``), before any project
    catalog could be; Sphinx's ``sphinx.locale.init`` keeps the first catalog of a domain and adds later
    ones as fallbacks, so a project catalog added the same way would never be read. Sphinx compiles only its
    own domain's catalog of a project (``sphinx.po``), so these are compiled here when stale."""
    if not config.language or config.language == "en":
        return
    import gettext

    from sphinx import locale
    from sphinx.util.i18n import CatalogRepository

    repository = CatalogRepository(app.srcdir, config.locale_dirs, config.language, config.source_encoding)
    for catalog in repository.catalogs:
        if catalog.domain not in THEME_CATALOGS:
            continue
        if catalog.is_outdated():
            catalog.write_mo(config.language)
        ours = gettext.translation(catalog.domain, localedir=str(Path(catalog.base_dir).parent.parent),
                                   languages=[config.language])
        key = ("general", catalog.domain)
        theirs = locale.translators.get(key)
        if theirs is not None:
            ours.add_fallback(theirs)
        locale.translators[key] = ours


#: Attributes the themes write into their templates as fixed English text instead of asking a catalog
#: (sphinx-book-theme's sidebar toggles' ``title``, the navigation landmarks' ``aria-label``).
TEMPLATE_ATTRIBUTES = re.compile(r'\b(title|aria-label)="([^"<>]+)"')


def translate_template_attributes(app, exception):
    """In a translated build, look up every ``title`` and ``aria-label`` of the written pages in Sphinx's
    catalog (``sphinx.po`` of the book's locale folder, then Sphinx's own), so that the tooltips and
    screen-reader labels the theme's templates fix in English are in the edition's language too. A value
    without a translation, or already translated, stays as it is."""
    if exception is not None or not app.config.language or app.config.language == "en":
        return
    if app.builder.format != "html":
        return
    from sphinx.locale import _ as translate

    def translated(match: re.Match) -> str:
        text = html.unescape(match[2])
        translation = translate(text)
        if translation == text:
            return match[0]
        return f'{match[1]}="{html.escape(translation, quote=True)}"'

    for page in Path(app.outdir).rglob("*.html"):
        written = page.read_text(encoding="utf-8")
        changed = TEMPLATE_ATTRIBUTES.sub(translated, written)
        if changed != written:
            page.write_text(changed, encoding="utf-8")


def keep_index_entries_of_unchanged_pages(app):
    """Give the search index back the ``{index}`` entries of the pages an incremental build did not write again.

    Sphinx 7.4's ``IndexBuilder.load`` reads the previous ``searchindex.js``'s words and titles back, but not
    its ``indexentries`` (sphinx-doc/sphinx#12599, open), so after a rebuild that wrote one page, every other
    page lost the main entries that rank it first for the words it explains. The entries are read again from
    those pages' doctrees, the way ``IndexBuilder.feed`` reads them. Runs at ``html-collect-pages``, which
    Sphinx's HTML builder emits before it writes the search index; adds no page."""
    indexer = getattr(app.builder, "indexer", None)
    titles = getattr(indexer, "_titles", None)
    entries = getattr(indexer, "_index_entries", None)
    if titles is None or entries is None:
        return []
    from sphinx import addnodes
    from sphinx.util.index_entries import split_index_msg

    for docname in sorted(set(titles) - set(entries)):
        found: set[tuple[str, str, str]] = set()
        for node in app.env.get_doctree(docname).findall(addnodes.index):
            for entry_type, value, target_id, main, _key in node["entries"]:
                try:
                    words = split_index_msg(entry_type, value)
                except ValueError:
                    continue
                found |= {(word, target_id or "", main) for word in words}
        entries[docname] = sorted(found)
    return []


def link_other_edition(app, pagename, templatename, context, doctree):
    """The address of the same page in the other edition, relative to this page."""
    if LANGUAGE_SWITCH not in (app.config.html_theme_options or {}).get("article_header_end", ()):
        return
    from podnotes.book.translations import CHINESE, ENGLISH, edition_of, same_page_in

    here = edition_of(app.config.language)
    there = ENGLISH if here is CHINESE else CHINESE
    url = same_page_in(pagename, app.builder.get_target_uri(pagename), here, there)
    context["podnotes_other_edition"] = {"url": url, "tag": there.tag, "name": there.name,
                                         "title": there.switch_title}


# Pages whose code cells print reader prose that is the same on every machine (the rule registry's
# descriptions and fixes), which the Chinese edition translates like the pages' own text.
TRANSLATED_OUTPUT_PAGES = ("chapters/reference/lint-rules",)


class TranslateIndexEntries(SphinxTransform):
    """Index entries (``{index}`` in a chapter: the words a chapter explains, which search ranks it first for)
    in the edition's language: a term of the book's term list (``podnotes/data/zh-terms.yml``) becomes its
    Chinese word, so that 存活探针 finds the chapter that explains liveness probes; names such as ``OOMKilled``
    stay as they are. Sphinx's own way (``gettext_additional_targets = ["index"]``) would make every index
    entry of the API reference a message to translate."""

    default_priority = 102

    def apply(self, **kwargs) -> None:
        if not (self.config.language or "").startswith("zh"):
            return
        from sphinx import addnodes

        from podnotes.book.terms import index_entry_in_chinese, load_terms

        terms = load_terms()
        for node in self.document.findall(addnodes.index):
            node["entries"] = [(kind, index_entry_in_chinese(value, terms) if kind == "single" else value,
                                target, main, key)
                               for kind, value, target, main, key in node["entries"]]


class TranslateTocCaptions(SphinxTransform):
    """The part captions of the table of contents ("From processes to containers") in the edition's language.
    sphinx-external-toc inserts the toctrees (its transform, priority 100) after Sphinx's ``Locale`` has
    translated the page (priority 20), so their captions, which the root page's catalog holds, are looked up
    here, the way ``Locale`` looks up the rest."""

    default_priority = 101

    def apply(self, **kwargs) -> None:
        if not self.config.language or self.config.language == "en":
            return
        from sphinx import addnodes
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        captions = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not captions:
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir) / directory) for directory in self.config.locale_dirs]
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if has_catalog:
            for node in captions:
                node["caption"] = catalog.gettext(node["caption"])


class OutputsStayEnglish(SphinxTransform):
    """What code cells print is data of one build (times, versions, measurements, what this copy could run),
    the same in both editions: it is not offered for translation, except on :data:`TRANSLATED_OUTPUT_PAGES`.
    Figure captions and legends written in a cell's metadata stay translatable. Runs before Sphinx's
    ``Locale`` transform (priority 20), so it holds for the gettext builder (no message extracted) and for
    the translated build (nothing replaced) alike."""

    default_priority = 15

    def apply(self, **kwargs) -> None:
        if self.env.docname in TRANSLATED_OUTPUT_PAGES:
            return
        for output in self.document.findall(_is_cell_output):
            for node in output.findall(nodes.TextElement):
                if not any(isinstance(up, (nodes.caption, nodes.legend)) for up in _ancestors_until(node, output)):
                    node["translatable"] = False


def _is_cell_output(node) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element") == "cell_code_output"


def _ancestors_until(node, top):
    yield node
    while node is not top and node.parent is not None:
        node = node.parent
        yield node


class RememberMessages(SphinxTransform):
    """Just before ``Locale`` translates a page, keep its messages and their nodes, so that
    :func:`note_untranslated` can tell afterwards which ones the catalogs had no translation for."""

    default_priority = 19

    def apply(self, **kwargs) -> None:
        if not self.config.podnotes_untranslated_report:
            return
        from sphinx import addnodes
        from sphinx.util.nodes import extract_messages

        pairs = list(extract_messages(self.document))
        for toctree in self.document.findall(addnodes.toctree):
            pairs += [(toctree, caption) for caption in [toctree.get("caption")] if caption]
        self.env.temp_data["podnotes_messages"] = pairs


def still_english(node, message: str) -> bool:
    """Whether ``Locale`` left ``message`` of ``node`` as it was (no translation in the catalogs)."""
    from sphinx import addnodes

    if isinstance(node, nodes.image):
        return node.get("alt") == message
    if isinstance(node, addnodes.toctree):
        return node.get("caption") == message
    return not node.get("translated")


def note_untranslated(app, doctree):
    """Keep, per page, the messages the catalogs gave no translation for (only in a translated build)."""
    pairs = app.env.temp_data.pop("podnotes_messages", None)
    if not app.config.podnotes_untranslated_report or pairs is None:
        return
    missing = {message for node, message in pairs
               if message.strip() and _on_the_page(node, doctree) and still_english(node, message)}
    untranslated(app.env)[app.env.docname] = sorted(missing)


def untranslated(env) -> dict[str, list[str]]:
    if not hasattr(env, "podnotes_untranslated"):
        env.podnotes_untranslated = {}
    return env.podnotes_untranslated


def forget_untranslated(app, env, docname):
    untranslated(env).pop(docname, None)


def merge_untranslated(app, env, docnames, other):
    untranslated(env).update({name: untranslated(other).get(name, []) for name in docnames})


def write_untranslated_report(app, exception):
    if exception is not None or not app.config.podnotes_untranslated_report:
        return
    import json

    found = untranslated(app.env)
    report = {name: found[name] for name in sorted(found) if name in app.env.found_docs and found[name]}
    path = Path(app.config.podnotes_untranslated_report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def setup(app):
    app.add_config_value("podnotes_execution_reuse_only", False, "env", [bool])
    app.add_config_value("podnotes_provenance_dir", "", "env", [str])
    app.add_config_value("podnotes_untranslated_report", "", "env", [str])
    app.connect("config-inited", offer_language_switch)
    app.connect("config-inited", quiet_chinese_word_splitter)
    app.connect("config-inited", project_catalogs_before_the_themes)
    app.connect("html-page-context", link_other_edition)
    app.add_transform(OutputsStayEnglish)
    app.add_transform(TranslateTocCaptions)
    app.add_transform(TranslateIndexEntries)
    app.add_transform(RememberMessages)
    app.connect("doctree-read", note_untranslated)
    app.connect("env-purge-doc", forget_untranslated)
    app.connect("env-merge-info", merge_untranslated)
    app.connect("build-finished", write_untranslated_report)
    app.connect("build-finished", translate_template_attributes)
    app.connect("html-collect-pages", keep_index_entries_of_unchanged_pages)
    app.connect("config-inited", default_favicon)
    app.connect("config-inited", add_site_static)
    app.connect("config-inited", rank_chapters_first)
    app.add_css_file(STYLESHEET)
    app.add_source_parser(notebook_parser(), override=True)
    app.add_config_value("podnotes_execution_jobs", 0, "env", [int])
    app.connect("env-before-read-docs", execute_in_parallel)
    app.connect("builder-inited", keep_provenance_records)
    app.connect("env-get-outdated", status_page_always_read)
    app.connect("source-read", status_page_as_executed_in_english)
    app.add_html_math_renderer(
        "mathml", (visit_math_as_mathml, None), (visit_displaymath_as_mathml, None),
    )
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", offer_executed_notebook, priority=500)
    app.connect("html-page-context", drop_live_code_assets, priority=900)
    app.connect("html-page-context", tables.on_page_context, priority=950)
    # After sphinx-thebe has appended its configuration (default priority 500).
    app.connect("doctree-resolved", drop_live_code_config, priority=900)
    app.connect("doctree-resolved", link_figures_to_full_size)
    app.connect("doctree-resolved", status_words_for_emoji)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
