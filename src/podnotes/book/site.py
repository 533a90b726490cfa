"""The built site as a reader receives it: its pages, what each page loads from
where, and how much a reader downloads for it.

Everything here reads the HTML that ``make book`` wrote; nothing is served or
rendered. The browser tests use it to know which pages to visit, and the
offline checks use it to find any file a page would fetch from another host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from podnotes.book.notebooks import toc_documents

# Pages Sphinx writes besides the table of contents' documents.
GENERATED_PAGES = ("index.html", "genindex.html", "search.html")
# Theme files every page shares; a reader downloads them once for the whole site.
SHARED_ASSET_DIRS = ("_static",)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

# <link rel=...> values that make the browser fetch the target while loading a page.
FETCHING_LINK_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut",
    "apple-touch-icon", "manifest", "mask-icon",
}
# Attributes whose value the browser fetches, per tag.
FETCHED_ATTRIBUTES = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")
# Absolute addresses inside JavaScript that the code loads rather than links to.
JS_LOADS = re.compile(
    r"""(?:\.src\s*=|import\s*\(|from|importScripts\s*\(|fetch\s*\(|new\s+Worker\s*\(|_JS_URL\s*=)\s*"""
    r"""(['"`])((?:https?:)?//[^'"`]+)\1"""
)
ABSOLUTE_URL = re.compile(r"""(['"`])((?:https?:)?//[^'"`\s]+)\1""")


@dataclass(frozen=True)
class Reference:
    """One address a file makes the browser fetch."""

    source: str  # the file, relative to the site
    kind: str  # e.g. "script src", "link stylesheet", "css url()"
    url: str


@dataclass
class PageWeight:
    page: str
    html_bytes: int
    own_bytes: int  # the page and the files only it loads (shared theme assets excluded)
    own_files: list[str] = field(default_factory=list)


def toc_pages(book_root: Path) -> list[str]:
    """The site path of every document ``_toc.yml`` lists, in reading order."""
    return [
        path.relative_to(book_root).with_suffix(".html").as_posix()
        for path in toc_documents(book_root)
    ]


def site_pages(book_root: Path) -> list[str]:
    """Every page a reader can reach: the table of contents plus Sphinx's own pages."""
    return toc_pages(book_root) + [page for page in GENERATED_PAGES if page != "index.html"]


def is_external(url: str) -> bool:
    """Whether the browser would fetch ``url`` from another host than the site's."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "") or not url.startswith(("http:", "https:", "//")):
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


class _FetchCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._inline: str | None = None  # "script" or "style" while inside one

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if rels & FETCHING_LINK_RELS and values.get("href"):
                self.found.append((f"link {' '.join(sorted(rels))}", values["href"]))
        for name in FETCHED_ATTRIBUTES.get(tag, ()):
            if values.get(name):
                for url in _srcset_urls(values[name]) if name == "srcset" else [values[name]]:
                    self.found.append((f"{tag} {name}", url))
        if "style" in values:
            self.found.extend(("style attribute", url) for url in css_references(values["style"]))
        if tag in ("script", "style") and not values.get("src"):
            self._inline = tag
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = values.get("content", "").partition("url=")[2].strip()
            if target:
                self.found.append(("meta refresh", target))

    def handle_endtag(self, tag):
        if tag == self._inline:
            self._inline = None

    def handle_data(self, data):
        if self._inline == "style":
            self.found.extend(("inline style", url) for url in css_references(data))
        elif self._inline == "script":
            self.found.extend(("inline script", match.group(2)) for match in ABSOLUTE_URL.finditer(data))


def _srcset_urls(srcset: str) -> list[str]:
    return [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]


def html_fetches(html: str) -> list[tuple[str, str]]:
    """``(kind, url)`` for everything loading this HTML makes the browser fetch.

    Inline scripts count every absolute address they contain: a page's own
    script has no reason to hold one unless it loads it.
    """
    collector = _FetchCollector()
    collector.feed(html)
    collector.close()
    return collector.found


def css_references(css: str) -> list[str]:
    urls = [match.group(2).strip() for match in CSS_URL.finditer(css)]
    urls += [match.group(2).strip() for match in CSS_IMPORT.finditer(css)]
    return [url for url in urls if not url.startswith("data:")]


def js_fetches(js: str) -> list[str]:
    return [match.group(2) for match in JS_LOADS.finditer(js)]


def file_fetches(path: Path) -> list[tuple[str, str]]:
    text = path.read_text(errors="replace")
    if path.suffix == ".html":
        return html_fetches(text)
    if path.suffix == ".css":
        return [("css url()", url) for url in css_references(text)]
    if path.suffix in (".js", ".mjs"):
        return [("js load", url) for url in js_fetches(text)]
    return []


def external_fetches(site_dir: Path) -> list[Reference]:
    """Every fetch of a file from another host in the site's HTML, CSS and JS."""
    references = []
    for path in site_files(site_dir):
        relative = path.relative_to(site_dir).as_posix()
        # The theme ships HTML templates in _static that no page loads.
        if path.suffix == ".html" and relative.startswith("_static/"):
            continue
        references += [
            Reference(relative, kind, url) for kind, url in file_fetches(path) if is_external(url)
        ]
    return references


def site_files(site_dir: Path) -> list[Path]:
    """The files a host serves, in name order; hidden files are build leftovers."""
    return sorted(
        path for path in site_dir.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(site_dir).parts)
    )


def _local_target(site_dir: Path, page: str, url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return (site_dir / page).parent.joinpath(unquote(parts.path)).resolve()


def is_shared_asset(site_dir: Path, target: Path) -> bool:
    return any(target.is_relative_to(site_dir.resolve() / name) for name in SHARED_ASSET_DIRS)


def page_weight(site_dir: Path, page: str) -> PageWeight:
    """What a reader downloads for ``page`` on top of the shared theme assets."""
    html_path = site_dir / page
    html_bytes = html_path.stat().st_size
    own: dict[Path, int] = {}
    for _kind, url in html_fetches(html_path.read_text(errors="replace")):
        target = _local_target(site_dir, page, url)
        if target and target.is_file() and target.suffix != ".html" and not is_shared_asset(site_dir, target):
            own[target] = target.stat().st_size
    files = sorted(path.relative_to(site_dir.resolve()).as_posix() for path in own)
    return PageWeight(page, html_bytes, html_bytes + sum(own.values()), files)


def site_size(site_dir: Path) -> tuple[int, int]:
    """``(bytes, files)`` of the whole built site."""
    sizes = [path.stat().st_size for path in site_files(site_dir)]
    return sum(sizes), len(sizes)


def weight_report(site_dir: Path, pages: list[str]) -> str:
    """A short table: the whole site, the shared assets, and each page's own weight."""
    total, count = site_size(site_dir)
    shared = sum(site_size(site_dir / name)[0] for name in SHARED_ASSET_DIRS if (site_dir / name).is_dir())
    built = [page for page in pages if (site_dir / page).is_file()]
    weights = sorted((page_weight(site_dir, page) for page in built), key=lambda w: -w.own_bytes)
    lines = [
        f"site: {_mib(total)} in {count} files; shared theme assets: {_mib(shared)}",
        f"heaviest page: {weights[0].page} ({_mib(weights[0].own_bytes)} of its own)" if weights else "no pages",
    ]
    lines += [f"  {_mib(w.own_bytes):>10}  {w.page}" for w in weights]
    return "\n".join(lines)


def _mib(size: int) -> str:
    return f"{size / 2**20:.2f} MiB"
