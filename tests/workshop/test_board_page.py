"""The board page as the projector shows it, in Debian's Chromium: no script and no request beyond the
file itself, every participant and exercise in the table, failing cells listed with their hints, no
sideways scrolling on a 390 px phone, and the page reloading itself when ``check --watch`` rewrites it."""

from __future__ import annotations

import itertools

import pytest

from podnotes.workshop import board, participants
from podnotes.workshop.exercises import EXERCISES, FAILING, NOT_YET, PASSED, Result

pytestmark = pytest.mark.browser


@pytest.fixture()
def chromium(browser):
    return browser


def _board(size: int, states) -> board.Board:
    people = participants.numbered(size, "ws")
    cycle = itertools.cycle(states)
    result = board.Board("ws", people, EXERCISES, seconds=0.3, taken_at=1_700_000_000)
    for person in people:
        result.results[person.name] = {exercise.id: next(cycle) for exercise in EXERCISES}
    return result


MIXED = [Result(PASSED, "ok"), Result(NOT_YET, "no Pod yet", "create it"),
         Result(FAILING, "killed 7 s after its start; you predicted 60 s", "count the grace period")]


def test_the_board_page_shows_every_cell_and_the_hints(chromium, tmp_path):
    result = _board(40, MIXED)
    page_file = tmp_path / "board.html"
    page_file.write_text(board.html_page(result, refresh=None))
    requests, errors = [], []
    page = chromium.new_page(viewport={"width": 390, "height": 800})
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(page_file.as_uri())
    rows = page.locator("tbody tr")
    assert rows.count() == 40
    assert page.locator("tbody td").count() == 40 * len(EXERCISES)
    assert page.locator("td.failing").count() == result.count(FAILING) > 0
    assert page.locator("td.passed").count() == result.count(PASSED) > 0
    stuck = page.locator("ul.stuck li")
    assert stuck.count() == result.count(FAILING)
    assert "hint: count the grace period" in stuck.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert requests == [page_file.as_uri()] and errors == []
    page.close()


def test_the_page_reloads_itself_while_check_watches(chromium, tmp_path):
    from podnotes.workshop.records import write_atomically

    page_file = tmp_path / "board.html"
    write_atomically(page_file, board.html_page(_board(3, [Result(NOT_YET, "nothing yet")]), refresh=1))
    page = chromium.new_page()
    page.goto(page_file.as_uri())
    assert page.locator("td.passed").count() == 0
    # Written as check --watch writes it: a new file renamed into place, so a reload never reads half a page.
    write_atomically(page_file, board.html_page(_board(3, [Result(PASSED, "done")]), refresh=1))
    page.wait_for_function(f"document.querySelectorAll('td.passed').length === 3 * {len(EXERCISES)}",
                           timeout=30_000)
    page.close()
