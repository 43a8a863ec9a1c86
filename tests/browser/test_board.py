"""The pages in a real headless Chromium: signing in and out, the live board, a room's
buttons, the analytics charts, and not one request leaving 127.0.0.1."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import expect

from admin.demo_history import write_history
from storage.unit_of_work import UnitOfWork
from tests.browser.conftest import CEILING_MS, OfflineBrowsing, sign_in
from tests.conftest import HOTEL
from tests.web.test_pages import STATES

BOARD = f"/hotels/{HOTEL}/board"
API = f"/api/staff/hotels/{HOTEL}"


def signed_in_board(browsing: OfflineBrowsing, server: str, username: str) -> Any:
    """A board page, signed in, once its event stream is live."""
    page = browsing.new_page()
    sign_in(page, server, username)
    expect(page).to_have_url(server + BOARD)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def tile(page: Any, room: int) -> Any:
    return page.locator(f'.tile[data-room="{room}"]')


def test_sign_in_and_sign_out(browsing: OfflineBrowsing, server: str) -> None:
    page = signed_in_board(browsing, server, "sinead")
    header = page.locator(".who-text")
    expect(header).to_contain_text("Signed in as sinead (supervisor) at hotel-killarney")
    cookie = next(c for c in browsing.context.cookies() if c["name"] == "turnover_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(server + BOARD)  # the board is closed again
    expect(page.get_by_role("heading", name="Sign in to Turnover")).to_be_visible()
    assert browsing.refused == []


def test_a_wrong_password_says_so(browsing: OfflineBrowsing, server: str) -> None:
    page = browsing.new_page()
    sign_in(page, server, "sinead", password="not my password")
    expect(page.get_by_role("alert")).to_have_text("Wrong hotel, username or password.")
    expect(page.get_by_label("Username")).to_have_value("sinead")
    expect(page.get_by_label("Password")).to_be_focused()


def test_a_post_without_the_csrf_token_is_refused(browsing: OfflineBrowsing, server: str) -> None:
    page = signed_in_board(browsing, server, "hugh")
    # the session cookie alone, as a forged form from elsewhere would send it
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'event=start_cleaning'})).status""",
        f"{server}{BOARD}/rooms/104/actions",
    )
    assert status == 403
    page.reload()
    expect(tile(page, 104)).to_have_attribute("data-status", "CHECKOUT_DIRTY")


def test_the_board_shows_every_room_with_its_state(browsing: OfflineBrowsing, server: str) -> None:
    page = signed_in_board(browsing, server, "sinead")
    expect(page.locator(".tile")).to_have_count(len(STATES))
    for room, words in STATES.items():
        expect(tile(page, room).locator(".status-text")).to_have_text(words)
    expect(page.locator('[data-count-for="OCCUPIED"] .count-number')).to_have_text("2")
    assert browsing.refused == []


def test_an_api_checkout_recolours_the_open_board(
    browsing: OfflineBrowsing, server: str, tokens: dict[str, str]
) -> None:
    """Within 2 s, without a reload: the page is the same document throughout."""
    page = signed_in_board(browsing, server, "sinead")
    page.evaluate("window.sameDocument = true")
    started = time.monotonic()
    answer = httpx.post(
        f"{server}{API}/room-bookings/BK-1/check-out/",
        headers={"Authorization": f"Bearer {tokens['fiona']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    expect(tile(page, 101)).to_have_attribute("data-status", "CHECKOUT_DIRTY", timeout=CEILING_MS)
    delay = time.monotonic() - started
    expect(tile(page, 101).locator(".status-text")).to_have_text("Dirty")
    expect(page.locator('[data-count-for="CHECKOUT_DIRTY"] .count-number')).to_have_text("2")
    assert page.evaluate("window.sameDocument") is True  # no reload
    print(f"API checkout -> tile recoloured in {delay:.2f} s")
    assert delay < 2.0, f"the board took {delay:.2f} s"


def test_a_tile_button_performs_the_transition(browsing: OfflineBrowsing, server: str) -> None:
    page = signed_in_board(browsing, server, "hugh")
    page.evaluate("window.sameDocument = true")
    tile(page, 104).locator(".tile-link").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Room 104")).to_be_visible()
    dialog.get_by_role("button", name="Start cleaning").click()
    expect(dialog.locator(".status-pill")).to_have_text("Cleaning")
    expect(tile(page, 104).locator(".status-text")).to_have_text("Cleaning")
    expect(dialog.get_by_role("button", name="Finish cleaning")).to_be_visible()
    expect(dialog.locator(".history li").first).to_contain_text("Start cleaning")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True
    assert browsing.refused == []


def test_a_housekeeper_sees_no_button_they_may_not_press(
    browsing: OfflineBrowsing, server: str, tokens: dict[str, str]
) -> None:
    # room 104 cleaned: only a supervisor may inspect it now
    for event in ("start_cleaning", "finish_cleaning"):
        httpx.post(
            f"{server}{API}/rooms/104/transitions/",
            json={"event": event},
            headers={"Authorization": f"Bearer {tokens['hugh']}"},
            timeout=30,
        ).raise_for_status()
    page = signed_in_board(browsing, server, "hugh")
    for room in (104, 101, 102):
        tile(page, room).locator(".tile-link").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name=f"Room {room}")).to_be_visible()
        assert dialog.locator(".actions button").all_inner_texts() == [], room
        expect(dialog.locator(".no-actions")).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    browsing.context.clear_cookies()  # another member, at the same desk
    supervisor = signed_in_board(browsing, server, "sinead")
    tile(supervisor, 104).locator(".tile-link").click()
    buttons = supervisor.get_by_role("dialog").locator(".actions button")
    expect(buttons).to_have_text(["Pass inspection", "Fail inspection", "Take out of order"])


def test_the_analytics_page_draws_its_charts(browsing: OfflineBrowsing, server: str) -> None:
    until = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with UnitOfWork() as uow:
        write_history(uow.session, HOTEL, days=14, until=until)
        uow.commit()
    page = browsing.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "maeve")
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Turnover analytics")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "4")
    for chart in ("chart-turnover", "chart-ready", "chart-hours", "chart-cleaning"):
        drawn = page.evaluate(
            """(id) => { const chart = Chart.getChart(id);
                 return chart.data.datasets.reduce((n, set) =>
                   n + set.data.filter((v) => v !== null && v !== 0).length, 0); }""",
            chart,
        )
        assert drawn > 0, f"{chart} has nothing to draw"
    median = page.locator(".figure", has_text="Median turnover").locator("dd")
    expect(median).to_contain_text("min")
    assert errors == [] and browsing.refused == []


def test_no_page_asks_anything_of_another_host(browsing: OfflineBrowsing, server: str) -> None:
    page = browsing.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server + "/")
    sign_in(page, server, "maeve")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    tile(page, 101).locator(".tile-link").click()
    expect(page.get_by_role("dialog").get_by_role("heading", name="Room 101")).to_be_visible()
    page.goto(server + f"/hotels/{HOTEL}/analytics")
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "4")
    page.goto(server + "/hotels/hotel-galway/board")  # an error page
    expect(page.get_by_role("alert")).to_contain_text("belongs to another hotel")
    assert requested and all(url.startswith("http://127.0.0.1:") for url in requested), requested
    assert browsing.refused == []
