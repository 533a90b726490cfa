"""The built site on a phone (390 px, and a small tablet at 800 px) and on a
desktop (1366 px), in a real Chromium: the navigation opens, no page is wider
than its screen, code fits the column, and figures can be read.

Screenshots of what was checked are left in ``_build/screenshots`` for review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from podnotes.book.notebooks import toc_notebooks

from ..conftest import ROOT
from .conftest import PAGES, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.site]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 800, "height": 1000}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
SCREENS = {"phone": PHONE, "tablet": TABLET, "desktop": DESKTOP}
CHAPTERS = [path.relative_to(ROOT).with_suffix(".html").as_posix() for path in toc_notebooks(ROOT)]
# Pages Sphinx writes besides the table of contents' documents, found in the built
# site: the module index and the highlighted source behind every "[source]" link.
GENERATED_GLOBS = ("py-modindex.html", "_modules/**/*.html")

# Code blocks on the book's pages that may still scroll sideways at 1366 px,
# each with the reason; keyed by page and the start of the block's longest or first line.
# (kubectl's nine-column `-o wide` table is clipped to the column, as display.clip does.)
SCROLL_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("chapters/pod-on-a-node.html", "$ crictl pods --namespace"):
        "crictl's own tables, verbatim: its list commands select no columns (cri-tools cmd/crictl/sandbox.go)",
}
# Reference pages that print a program's own output verbatim, with the reason; their long lines scroll
# inside their own boxes. A later change should wrap these at the source and empty this list.
VERBATIM_PAGES: dict[str, str] = {
    "chapters/reference/cli.html": "each command's --help exactly as the program prints it",
    "chapters/reference/behaviour.html": "Events in the columns kubectl describe pod uses",
}

# Book pages whose code cells are all hidden, with the reason.
PAGES_WITHOUT_CODE = {
    "chapters/reference/status.html": "it shows what the build recorded, as lists and tables, not how",
    "chapters/reference/lint-rules.html": "it lists the rule registry as sections and tables",
}

# The elements wider than the screen, for the failure message: only the
# outermost ones whose overflow no scrolling ancestor contains.
OVERFLOWING_JS = """() => {
    const limit = document.documentElement.clientWidth + 1, found = [];
    const scrolls = (e) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(e).overflowX);
    for (const e of document.querySelectorAll("body *")) {
        const box = e.getBoundingClientRect();
        if (box.width === 0 || box.right <= limit || getComputedStyle(e).position === "fixed") continue;
        let up = e.parentElement, contained = false;
        for (; up && up !== document.body; up = up.parentElement) if (scrolls(up)) { contained = true; break; }
        if (!contained) found.push(`${e.tagName.toLowerCase()}.${e.className} ends at ${Math.round(box.right)}px: `
                                   + (e.textContent || "").trim().slice(0, 70));
    }
    return found.slice(-8);
}"""
# Code blocks (cell inputs, outputs, literal blocks) that need a sideways scroll.
SCROLLING_CODE_JS = """() => Array.from(document.querySelectorAll("article pre"), (pre) => ({
    over: pre.scrollWidth - pre.clientWidth,
    width: pre.scrollWidth,
    output: pre.closest(".cell_output") !== null,
    line: pre.innerText.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), ""),
    first: pre.innerText.split("\\n")[0],
})).filter((block) => block.over > 1)"""


def new_page(browser, screen: str):
    context = browser.new_context(**SCREENS[screen])
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture(scope="module")
def phone(browser):
    page = new_page(browser, "phone")
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def desktop(browser):
    page = new_page(browser, "desktop")
    yield page
    page.context.close()


def open_page(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["width"] > 0 and box["x"] >= -1 and box["x"] + box["width"] <= width + 1


def wait_until_in_viewport(page, selector: str, what: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"""() => {{
            const box = document.querySelector("{selector}").getBoundingClientRect();
            return box.left >= -1 && box.right <= window.innerWidth + 1; }}""", timeout=5_000)
    except PlaywrightTimeout:
        screenshot(page, f"failed-{selector.strip('.')}-{page.viewport_size['width']}")
        pytest.fail(f"{what} did not open at {page.viewport_size['width']} px: {selector} stays off screen",
                    pytrace=False)


def visible_toggle(page, selector: str):
    buttons = page.locator(selector)
    shown = [buttons.nth(index) for index in range(buttons.count()) if buttons.nth(index).is_visible()]
    assert shown, f"no visible {selector} button on {page.url}"
    return shown[0]


@pytest.mark.parametrize("screen", ["phone", "tablet"])
def test_the_menu_button_opens_the_table_of_contents(browser, site_url, screen):
    """☰ slides in the book's table of contents; a chapter link in it is visible and works."""
    page = new_page(browser, screen)
    try:
        open_page(page, site_url + "chapters/08-probes.html")
        sidebar = ".bd-sidebar-primary"
        assert not in_viewport(page, sidebar), "the table of contents is closed at first on a narrow screen"
        visible_toggle(page, ".primary-toggle").click()
        wait_until_in_viewport(page, sidebar, "the table of contents (☰ button)")
        links = page.locator(f"{sidebar} nav a[href]")
        hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert any(href.endswith("01-processes.html") for href in hrefs), hrefs
        first_chapter = page.locator(f'{sidebar} nav a[href$="01-processes.html"]').first
        assert first_chapter.is_visible()
        screenshot(page, f"menu-open-{screen}")
        with page.expect_navigation():
            first_chapter.click()
        assert page.url.endswith("chapters/01-processes.html")
    finally:
        page.context.close()


@pytest.mark.parametrize("screen", ["phone", "tablet"])
def test_the_contents_button_opens_the_in_page_contents(browser, site_url, screen):
    """The Contents button shows the page's own sections, one link per section heading."""
    page = new_page(browser, screen)
    try:
        open_page(page, site_url + "chapters/08-probes.html")
        sidebar = ".bd-sidebar-secondary"
        sections = page.locator("article section > h2").count()
        assert sections >= 3, "the probes chapter has sections to list"
        assert not in_viewport(page, sidebar)
        visible_toggle(page, ".secondary-toggle").click()
        wait_until_in_viewport(page, sidebar, "the page's contents (Contents button)")
        entries = page.locator(f"{sidebar} nav.bd-toc-nav a[href^='#']")
        visible = [entries.nth(i) for i in range(entries.count()) if entries.nth(i).is_visible()]
        assert len(visible) >= sections, f"{len(visible)} visible entries for {sections} sections"
        screenshot(page, f"contents-open-{screen}")
    finally:
        page.context.close()


def overflow_message(page, name: str, screen: str) -> str:
    return f"{name} is wider than the {screen} screen; widest parts:\n" + "\n".join(page.evaluate(OVERFLOWING_JS))


def assert_fits(page, url: str, name: str, screen: str) -> None:
    open_page(page, url)
    page.evaluate("document.fonts.ready")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], overflow_message(page, name, screen)


@pytest.mark.parametrize("page_name", PAGES)
def test_no_page_is_wider_than_a_phone(phone, site_url, page_name):
    assert_fits(phone, site_url + page_name, page_name, "phone")


@pytest.mark.parametrize("page_name", PAGES)
def test_no_page_is_wider_than_a_desktop(desktop, site_url, page_name):
    assert_fits(desktop, site_url + page_name, page_name, "desktop")


def test_generated_pages_fit_a_phone(phone, edition_dir, site_url):
    """The module index and every highlighted source page behind a "[source]" link."""
    generated = sorted({path for pattern in GENERATED_GLOBS for path in edition_dir.glob(pattern)})
    assert any("_modules" in path.parts for path in generated), "the API reference links to its source"
    for path in generated:
        name = path.relative_to(edition_dir).as_posix()
        assert_fits(phone, site_url + name, name, "phone")


@pytest.mark.parametrize("page_name", PAGES)
def test_code_fits_the_column_on_a_desktop(desktop, site_url, page_name):
    """No code block a reader must read needs a sideways scroll at 1366 px."""
    open_page(desktop, site_url + page_name)
    if page_name in CHAPTERS and page_name not in PAGES_WITHOUT_CODE:
        assert desktop.locator("article .cell_input pre").count() > 0, f"{page_name} shows no code"
        # Outputs are measured too: a site built without executing its notebooks has none to measure
        assert desktop.locator("article .cell_output").count() > 0, f"{page_name} shows no outputs"
    if page_name in VERBATIM_PAGES:
        return
    scrolling = desktop.evaluate(SCROLLING_CODE_JS)
    unexplained = [block for block in scrolling
                   if not any(page == page_name and (block["line"].lstrip().startswith(start)
                                                     or block["first"].lstrip().startswith(start))
                              for page, start in SCROLL_EXCEPTIONS)]
    report = "\n".join(f"  {'output' if b['output'] else 'code  '} {b['width']:5d}px: {b['line'][:100]}"
                       for b in unexplained)
    assert not unexplained, f"{page_name}: {len(unexplained)} code blocks scroll sideways at 1366 px:\n{report}"


def test_the_scroll_exceptions_are_still_needed(desktop, site_url):
    """An exception whose block now fits (or is gone) is removed from the list."""
    for page_name in sorted({page for page, _ in SCROLL_EXCEPTIONS}):
        open_page(desktop, site_url + page_name)
        lines = [line.lstrip() for block in desktop.evaluate(SCROLLING_CODE_JS)
                 for line in (block["line"], block["first"])]
        for page, start in SCROLL_EXCEPTIONS:
            if page == page_name:
                assert any(line.startswith(start) for line in lines), f"{page}: {start!r} fits now"


# A drawing comes in both editions' languages, the other edition's hidden (podnotes.book.figures): only
# pictures the page shows count.
FIGURES_JS = """() => Array.from(document.querySelectorAll("article figure img, article .cell_output img"))
    .filter((img) => img.getClientRects().length > 0).map((img) => {
    const box = img.closest("a") || img.parentElement;
    return {
        src: img.currentSrc || img.src,
        link: img.closest("a") ? img.closest("a").href : null,
        shown: img.getBoundingClientRect().width,
        left: img.getBoundingClientRect().left,
        right: img.getBoundingClientRect().right,
        natural: img.naturalWidth,
        box: box.clientWidth,
        sideways: box.scrollWidth - box.clientWidth,
        hint: img.closest("a") ? getComputedStyle(img.closest("a"), "::after").content : "none",
    };
})"""
# The size of every text of every figure on the page, as Chromium renders it: each SVG picture is read
# again and laid out in the page at the size its <img> is shown, and each line of text measured through
# its transform to the screen (getScreenCTM), so the CSS, the SVG's viewBox and the figure's own scaling
# all count. matplotlib draws text as outlines at 100 units an em (a group of <use> glyphs);
# an SVG <text> counts with its computed font size. Inline SVGs in figures and cell outputs count too.
FIGURE_TEXT_JS = """async () => {
    const sizes = (svg) => {
        const found = [];
        for (const group of svg.querySelectorAll("g")) {
            if (!group.querySelector(":scope > use")) continue;
            const m = group.getScreenCTM();
            found.push({px: 100 * Math.hypot(m.a, m.b), text: group.parentElement.id || ""});
        }
        for (const text of svg.querySelectorAll("text")) {
            const m = text.getScreenCTM();
            found.push({px: parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b),
                        text: text.textContent.slice(0, 30)});
        }
        return found;
    };
    const figures = [];
    const isSvg = (src) => /\\.svg([?#]|$)/.test(src) || src.startsWith("data:image/svg");
    for (const img of document.querySelectorAll("article img")) {
        const src = img.currentSrc || img.src;
        if (!isSvg(src) || !img.getClientRects().length) continue;  // the other edition's drawing
        const box = img.getBoundingClientRect();
        const svg = new DOMParser().parseFromString(await (await fetch(src)).text(), "image/svg+xml")
            .documentElement;
        const holder = document.createElement("div");
        holder.style.cssText = `position:absolute;left:0;top:0;width:${box.width}px;height:${box.height}px;`
            + "visibility:hidden;overflow:hidden";
        const placed = holder.appendChild(document.importNode(svg, true));
        placed.setAttribute("width", `${box.width}px`);
        placed.setAttribute("height", `${box.height}px`);
        document.body.appendChild(holder);
        const name = src.startsWith("data:") ? "data:image/svg+xml" : src.split("/").pop();
        figures.push({name: name, shown: box.width, sizes: sizes(placed)});
        holder.remove();
    }
    for (const svg of document.querySelectorAll("article figure svg, article .cell_output svg")) {
        if (svg.closest("button")) continue;
        figures.push({name: "inline svg " + (svg.id || ""), shown: svg.getBoundingClientRect().width,
                      sizes: sizes(svg)});
    }
    return figures;
}"""
# Every text of every figure is at least this high on a phone (podnotes.plot.MIN_TEXT_PX).
MIN_TEXT_PX = 11


@pytest.fixture(scope="module")
def figure_texts(phone, site_url):
    """Page -> the figures of that page with their texts' sizes on a 390 px phone, for every page."""
    measured = {}
    for page_name in PAGES:
        open_page(phone, site_url + page_name)
        measured[page_name] = phone.evaluate(FIGURE_TEXT_JS)
    return measured


def test_the_site_has_figures_to_measure(figure_texts):
    figures = [figure for page in figure_texts.values() for figure in page]
    assert len(figures) >= 15, f"{len(figures)} figures found in {len(figure_texts)} pages"
    assert all(figure["sizes"] for figure in figures), [f["name"] for f in figures if not f["sizes"]]


@pytest.mark.parametrize("page_name", PAGES)
def test_every_text_of_every_figure_is_legible_on_a_phone(figure_texts, page_name):
    """Measured in Chromium at 390 px: no letter of any figure under MIN_TEXT_PX."""
    for figure in figure_texts[page_name]:
        assert figure["sizes"], f"{page_name}: {figure['name']}: no text found to measure"
        smallest = min(figure["sizes"], key=lambda size: size["px"])
        assert smallest["px"] >= MIN_TEXT_PX, (
            f"{page_name}: {figure['name']} shown {figure['shown']:.0f} px wide: text {smallest['text']!r} "
            f"is {smallest['px']:.1f} px high on a phone (at least {MIN_TEXT_PX})")


def test_the_measure_finds_small_text(phone, site_url):
    """The measure itself: a figure with 4 px letters added to a page of the site is measured as such."""
    small = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="300pt" '
             'height="50pt" viewBox="0 0 300 50"><defs><path id="g" d="M 0 0 L 50 0 L 50 70 z"/></defs>'
             '<g id="text_1"><g transform="translate(10 30) scale(0.045 -0.045)"><use xlink:href="#g"/></g></g>'
             '<text x="10" y="45" font-size="4">tiny</text></svg>')
    open_page(phone, site_url + "intro.html")
    phone.evaluate("""(svg) => { const img = document.createElement("img");
        img.src = "data:image/svg+xml," + encodeURIComponent(svg); img.style.width = "300px";
        document.querySelector("article").prepend(img); return img.decode(); }""", small)
    figures = phone.evaluate(FIGURE_TEXT_JS)
    measured = next(figure for figure in figures if figure["name"] == "data:image/svg+xml")
    pixels = sorted(size["px"] for size in measured["sizes"])
    # A 300-unit viewBox shown 300 px wide: the 4.5-unit outlines are 4.5 px, the 4-unit <text> 4 px.
    assert pixels == pytest.approx([4.0, 4.5], abs=0.05)


# What a phone's figure says a tap does, per edition (podnotes.css: the image link's ::after).
FULL_SIZE_HINT = {"en": "Tap to open full size", "zh-CN": "点按查看大图"}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figures_are_whole_and_legible_on_a_phone_and_open_full_size(phone, site_url, edition, chapter):
    """Every figure is an SVG (sharp at any zoom); on a phone it is shown whole,
    no wider than the column and with nothing to scroll sideways (its letters
    are measured by test_every_text_of_every_figure_is_legible_on_a_phone); it
    says a tap opens it full size, and does."""
    open_page(phone, site_url + chapter)
    figures = phone.evaluate(FIGURES_JS)
    if not figures:
        pytest.skip(f"{chapter} has no figures")
    column = phone.evaluate("document.querySelector('article').clientWidth")
    screen = phone.viewport_size["width"]
    for figure in figures:
        name = figure["src"].rsplit("/", 1)[-1]
        assert figure["src"].endswith(".svg"), f"{chapter}: {name} is not a vector drawing"
        assert 0 < figure["box"] <= column, f"{chapter}: {name}'s box is {figure['box']}px in a {column}px column"
        assert figure["shown"] <= column + 0.5, f"{chapter}: {name} is {figure['shown']:.0f}px in a {column}px column"
        assert figure["sideways"] <= 1, f"{chapter}: {name} scrolls {figure['sideways']}px sideways"
        assert figure["left"] >= 0 and figure["right"] <= screen, f"{chapter}: {name} is not all on the screen"
        assert figure["link"] == figure["src"], f"{chapter}: {name} does not link to its full-size file"
        assert FULL_SIZE_HINT[edition] in figure["hint"], f"{chapter}: {name} does not say a tap opens it full size"
        response = phone.context.request.get(figure["link"])
        assert response.ok and response.headers["content-type"].startswith("image/svg+xml"), figure["link"]
    phone.locator("article figure").first.scroll_into_view_if_needed()
    screenshot(phone, f"figure-{Path(chapter).stem}-phone")


# Each drawing's pictures, per language wrapper (podnotes.book.figures): whether it is shown and what it holds.
DRAWING_LANGUAGES_JS = """() => Array.from(document.querySelectorAll("article figure"))
    .filter((figure) => figure.querySelector("[class*='podnotes-lang-']"))
    .map((figure) => Array.from(figure.querySelectorAll("[class*='podnotes-lang-']"), (wrapper) => ({
        lang: wrapper.lang, shown: wrapper.getClientRects().length > 0,
        pictures: wrapper.querySelectorAll("img").length})))"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_drawing_is_shown_in_the_editions_language_only(phone, site_url, edition, chapter):
    """A drawing holds an English and a Chinese picture; the page shows one, in its own language."""
    open_page(phone, site_url + chapter)
    drawings = phone.evaluate(DRAWING_LANGUAGES_JS)
    if not drawings:
        pytest.skip(f"{chapter} has no drawings")
    for wrappers in drawings:
        assert sorted(wrapper["lang"] for wrapper in wrappers) == ["en", "zh-CN"], wrappers
        assert all(wrapper["pictures"] == 1 for wrapper in wrappers), wrappers
        assert [wrapper["lang"] for wrapper in wrappers if wrapper["shown"]] == [edition], wrappers


# Inline code inside table cells split inside one of its span.pre: Sphinx writes each word of inline code
# as a span.pre, and podnotes.book.tables cuts long words into one span.pre per piece with a <wbr> between,
# so a line may end only between two of them.
SPLIT_CODE_JS = """() => Array.from(document.querySelectorAll("article table code span.pre"))
    .filter((span) => span.getClientRects().length > 1)
    .map((span) => span.closest("code").innerText.trim())"""
# Tables wider than their column, or that scroll inside their own box.
WIDE_TABLES_JS = """() => Array.from(document.querySelectorAll("article table"), (table) => {
    const column = table.parentElement.getBoundingClientRect(), box = table.getBoundingClientRect();
    return {over: Math.max(table.scrollWidth - table.clientWidth, box.right - column.right),
            head: (table.rows[0] ? table.rows[0].innerText : "").replace(/\\s+/g, " ").slice(0, 60)};
}).filter((table) => table.over > 1)"""
TABLES_JS = "() => document.querySelectorAll('article table').length"


@pytest.mark.parametrize("page_name", CHAPTERS)
def test_tables_never_split_an_identifier_on_a_phone(phone, site_url, page_name):
    """In tables, `Pending`, `Succeeded` or `PodReadyToStartContainers` stay whole
    on a phone; a long path breaks only after its separators."""
    open_page(phone, site_url + page_name)
    split = phone.evaluate(SPLIT_CODE_JS)
    assert not split, f"{page_name}: identifiers split across lines: {split[:8]}"


def test_the_site_has_wide_tables_to_measure(phone, site_url):
    """The pages the table checks below must see tables on, with long paths and five columns."""
    for name, least in (("chapters/reference/checked.html", 5), ("chapters/reference/linter-vs-server.html", 4)):
        open_page(phone, site_url + name)
        assert phone.evaluate(TABLES_JS) >= least, f"{name} has its tables"


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("page_name", PAGES)
def test_every_table_fits_its_column(request, site_url, screen, page_name):
    """At 390 and 1366 px no table is wider than the column it stands in, nor scrolls in its own box:
    long words break after their separators, and on a phone a table stacks its rows. Terminal output is
    printed in code blocks, not tables, and may scroll (test_code_fits_the_column_on_a_desktop)."""
    page = request.getfixturevalue(screen)
    open_page(page, site_url + page_name)
    page.evaluate("document.fonts.ready")
    wide = page.evaluate(WIDE_TABLES_JS)
    if wide:
        screenshot(page, f"failed-table-{Path(page_name).stem}-{screen}")
    assert not wide, f"{page_name}: tables wider than their column at {page.viewport_size['width']} px: {wide}"


# Words of the pages the phone checks look for, per edition (the Chinese ones from locales/zh_CN).
WORDS = {"en": {"replaces": "Replaces at restricted", "level": '"Level"',
                "status": ("pure Python", "real-kubelet observations")},
         "zh-CN": {"replaces": "在 restricted 级别下取代", "level": '"级别"',
                   "status": ("纯 Python", "真实 kubelet 观测")}}


def test_a_stacked_table_shows_each_cell_under_its_heading_on_a_phone(phone, site_url, edition):
    """The five-column table of version gates reads as one block per check on a phone."""
    open_page(phone, site_url + "chapters/reference/linter-vs-server.html")
    table = phone.locator("article table.podnotes-stack").filter(has_text=WORDS[edition]["replaces"])
    assert table.count() == 1
    full = table.locator("tbody tr").filter(has=phone.locator("td:nth-child(5):not(.podnotes-empty)")).first
    cells = full.locator("td")
    tops = [cells.nth(index).bounding_box()["y"] for index in range(cells.count())]
    assert len(tops) == 5 and tops == sorted(tops) and len(set(tops)) == 5, "one cell under the other"
    empty = table.locator("tbody td.podnotes-empty")
    assert empty.count() > 0 and not empty.first.is_visible(), "no heading over an empty cell"
    label = cells.nth(1).evaluate("(td) => getComputedStyle(td, '::before').content")
    assert label == WORDS[edition]["level"], label
    table.scroll_into_view_if_needed()
    screenshot(phone, "stacked-table-phone")


def test_the_status_page_fits_a_phone_without_sideways_scrolling(phone, site_url, edition):
    """The status page's list of real parts stacks its rows on a phone: every
    cell, down to what each part ran on, is on the screen."""
    open_page(phone, site_url + "chapters/reference/status.html")
    cells = phone.evaluate("""() => Array.from(document.querySelectorAll("table.podnotes-stack td"),
        (td) => td.getBoundingClientRect().right)""")
    assert cells, "the status page lists the real parts in a stacking table"
    assert max(cells) <= phone.viewport_size["width"], f"a cell ends at {max(cells):.0f}px"
    runs = phone.evaluate("""() => Array.from(document.querySelectorAll("#execution-of-every-notebook td"),
        (td) => ({text: td.innerText.trim(), right: td.getBoundingClientRect().right}))""")
    assert any(cell["text"] == "ran" for cell in runs), "the execution table is there, with each status"
    late = [cell["text"] for cell in runs if cell["right"] > phone.viewport_size["width"]]
    assert not late, f"execution table cells past the screen's edge: {late[:6]}"
    text = phone.locator("article").inner_text()
    assert all(words in text for words in WORDS[edition]["status"]), text[:300]
    screenshot(phone, "status-phone")


def test_source_links_stay_on_their_signature_on_a_phone(phone, site_url):
    """On the API page each `[source]` link sits after its signature, never
    inside the docstring's first sentence below it."""
    open_page(phone, site_url + "chapters/reference/api.html")
    misplaced = phone.evaluate("""() => Array.from(document.querySelectorAll("dt.sig .viewcode-link"), (link) => {
        const signature = link.closest("dt").getBoundingClientRect(), box = link.getBoundingClientRect();
        return {id: link.closest("dt").id, inside: box.top >= signature.top - 1 && box.bottom <= signature.bottom + 1,
                floated: getComputedStyle(link).float !== "none"
                         || getComputedStyle(link.parentElement).float !== "none"};
    }).filter((link) => !link.inside || link.floated)""")
    count = phone.evaluate("document.querySelectorAll('dt.sig .viewcode-link').length")
    assert count > 10, "the API page links its objects to their source"
    assert not misplaced, f"[source] links outside their signature: {[link['id'] for link in misplaced][:8]}"


def test_the_timeline_chapters_have_figures(phone, site_url):
    for chapter in ("chapters/07-lifecycle.html", "chapters/probe-timing.html"):
        open_page(phone, site_url + chapter)
        assert len(phone.evaluate(FIGURES_JS)) >= 4, f"{chapter} shows its timelines"
