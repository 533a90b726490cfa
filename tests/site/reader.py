"""Read one page of the site in Chromium as a reader would, and record what
went wrong: console errors, requests that failed, figures that did not load,
links, and whether text and navigation rendered."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from podnotes.book.site import LOCAL_HOSTS

# Figures: every image in the page, forced to load now (lazy images wait for a scroll).
FIGURES_JS = """async () => Promise.all(Array.from(document.images, async (img) => {
    img.loading = "eager";
    try { await img.decode(); } catch (error) {}
    return {src: img.currentSrc || img.src, alt: img.alt, width: img.naturalWidth, height: img.naturalHeight};
}))"""
LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]'), (a) => a.href)"
RENDERED_JS = """async () => {
    await document.fonts.ready;
    const article = document.querySelector("article");
    return {
        text: article ? article.innerText.trim().length : 0,
        nav_links: document.querySelectorAll(".bd-sidebar-primary nav a[href]").length,
        fonts_failed: Array.from(document.fonts).filter((f) => f.status === "error").map((f) => f.family),
    };
}"""


@dataclass
class Visit:
    url: str
    final_url: str = ""
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text_length: int = 0
    nav_links: int = 0
    fonts_failed: list[str] = field(default_factory=list)

    @property
    def broken_figures(self) -> list[str]:
        return [f["src"] for f in self.figures if not (f["width"] > 0 and f["height"] > 0)]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or (parts.hostname or "") in LOCAL_HOSTS


# Matched inside the browser driver, so requests to the site itself are not
# routed through Python at all.
OTHER_HOSTS = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])[:/])[a-z][a-z0-9+.-]*://")


def block_other_hosts(context, blocked: list[str]) -> None:
    """Abort every request that leaves localhost, remembering its URL."""

    def abort(route):
        blocked.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(OTHER_HOSTS, abort)


# Chromium cancels requests in flight, even to 127.0.0.1, when the machine's
# network interfaces change (a test elsewhere creating a veth pair, say). That
# says nothing about the site, so such a read is done once more.
NETWORK_CHANGED = "ERR_NETWORK_CHANGED"


class Reader:
    """One browser tab that reads pages one after another, as a reader follows
    links, and records everything that went wrong on each."""

    QUIET_SECONDS = 0.15  # no request in flight for this long: the page has settled

    def __init__(self, context):
        self.page = context.new_page()
        self.visit = Visit("")
        self.in_flight: set = set()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.visit.console_errors.append(f"uncaught: {error}"))
        self.page.on("request", self._on_request)
        self.page.on("requestfinished", lambda request: self.in_flight.discard(request))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def _on_console(self, message):
        if message.type == "error":
            self.visit.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _on_request(self, request):
        self.in_flight.add(request)
        if not is_local(request.url):
            self.visit.external_requests.append(request.url)

    def _on_request_failed(self, request):
        self.in_flight.discard(request)
        self.visit.failed_requests.append(f"{request.url}: {request.failure}")

    def _on_response(self, response):
        if response.status >= 400:
            self.visit.failed_requests.append(f"{response.url}: HTTP {response.status}")

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until no request has been in flight for QUIET_SECONDS."""
        deadline, quiet_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            now = time.monotonic()
            if self.in_flight:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= self.QUIET_SECONDS:
                return
            self.page.wait_for_timeout(25)
        raise TimeoutError(f"{self.page.url}: requests still running: {[r.url for r in self.in_flight]}")

    def read(self, url: str) -> Visit:
        from playwright.sync_api import Error

        try:
            visit = self._read_once(url)
        except Error as error:
            if NETWORK_CHANGED not in str(error):
                raise
            return self._read_once(url)
        if any(NETWORK_CHANGED in failure for failure in visit.failed_requests):
            return self._read_once(url)
        return visit

    def _read_once(self, url: str) -> Visit:
        self.visit = visit = Visit(url)
        self.in_flight.clear()
        self.page.goto(url, wait_until="load")
        self.settle()
        visit.figures = self.page.evaluate(FIGURES_JS)
        rendered = self.page.evaluate(RENDERED_JS)
        self.settle()
        visit.final_url, visit.title = self.page.url, self.page.title()
        visit.links = self.page.evaluate(LINKS_JS)
        visit.text_length, visit.nav_links = rendered["text"], rendered["nav_links"]
        visit.fonts_failed = rendered["fonts_failed"]
        return visit


def split_fragment(link: str) -> tuple[str, str]:
    return urldefrag(link)
