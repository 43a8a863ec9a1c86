"""The board, a room and the analytics page as the server renders them (the browser suite,
tests/browser, runs them in Chromium)."""

import re
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from admin.demo_history import write_history
from storage.models import Hotel
from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL
from tests.web.conftest import page_token, sign_in

BOARD = f"/hotels/{HOTEL}/board"
ANALYTICS = f"/hotels/{HOTEL}/analytics"
STATES = {101: "Occupied", 102: "Ready for guest", 103: "Occupied", 104: "Dirty"}


def tiles(html: str) -> dict[int, str]:
    found = re.findall(
        r'data-room="(\d+)" data-status="(\w+)".*?class="status-text">([^<]+)<', html, re.S
    )
    return {int(number): text for number, _, text in found}


def test_the_board_shows_every_room_with_its_state_in_words(browser_client: TestClient) -> None:
    sign_in(browser_client, "sinead")
    page = browser_client.get(BOARD)
    assert tiles(page.text) == STATES
    assert "Floor 1" in page.text
    counts = dict(re.findall(r'data-count-for="(\w+)">.*?count-number">(\d+)<', page.text, re.S))
    assert counts["OCCUPIED"] == "2" and counts["CLEANING_IN_PROGRESS"] == "0"
    assert "/api/staff/hotels/hotel-killarney/events/" in page.text  # no token in it
    assert "token=" not in page.text


def test_filters_work_without_script(browser_client: TestClient) -> None:
    sign_in(browser_client, "sinead")
    page = browser_client.get(BOARD, params={"status": "OCCUPIED"})
    hidden = re.findall(r'data-room="(\d+)"[^>]*?\s+hidden', page.text)
    assert sorted(map(int, hidden)) == [102, 104]
    assert browser_client.get(BOARD, params={"status": "NOPE", "floor": "x"}).status_code == 200
    refused = browser_client.get(BOARD, params={"colour": "red"})
    assert refused.status_code == 422 and "Something in the address" in refused.text


def test_a_room_offers_what_the_member_may_do(browser_client: TestClient) -> None:
    sign_in(browser_client, "hugh")  # a housekeeper
    dirty = browser_client.get(f"{BOARD}/rooms/104/panel").text
    assert 'data-event="start_cleaning"' in dirty
    occupied = browser_client.get(f"{BOARD}/rooms/101/panel").text
    assert "data-event=" not in occupied and "Nothing for you to do" in occupied
    assert "BK-1" in occupied and "Mary, John" in occupied


def test_the_front_desk_checks_out_from_the_room(browser_client: TestClient) -> None:
    sign_in(browser_client, "fiona")
    assert 'data-event="check_out"' in browser_client.get(f"{BOARD}/rooms/101/panel").text
    token = page_token(browser_client, BOARD)
    answer = browser_client.post(
        f"{BOARD}/rooms/101/actions",
        data={"event": "check_out", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["status_label"]) == ("CHECKOUT_DIRTY", "Dirty")
    assert "Check out: Occupied → Dirty" in body["panel"]
    # the API sees the same checkout: the booking is completed
    page = browser_client.get(f"{BOARD}/rooms/101").text
    assert "Nobody in house." in page


def test_a_refused_action_is_a_sentence(browser_client: TestClient) -> None:
    sign_in(browser_client, "hugh")
    token = page_token(browser_client, BOARD)
    answer = browser_client.post(
        f"{BOARD}/rooms/102/actions",
        data={"event": "pass_inspection", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code in (403, 409)
    assert answer.json()["error"]["message"]
    page = browser_client.post(
        f"{BOARD}/rooms/102/actions", data={"event": "pass_inspection", "csrf_token": token}
    )
    assert page.status_code in (403, 409) and "<h1>" in page.text and '"error"' not in page.text


def test_analytics_page_and_csv(browser_client: TestClient) -> None:
    until = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with UnitOfWork() as uow:
        write_history(uow.session, HOTEL, days=10, until=until)
        uow.commit()
    sign_in(browser_client, "maeve")
    first = (until - timedelta(days=10)).date().isoformat()
    last = (until - timedelta(days=1)).date().isoformat()
    page = browser_client.get(ANALYTICS, params={"from": first, "to": last})
    assert page.status_code == 200
    assert "Median turnover" in page.text and 'id="chart-turnover"' in page.text
    assert "/static/vendor/chart.umd.min.js" in page.text
    csv_answer = browser_client.get(f"{ANALYTICS}/days.csv", params={"from": first, "to": last})
    assert csv_answer.headers["content-type"].startswith("text/csv")
    lines = csv_answer.text.splitlines()
    assert lines[0].startswith("date,departures,ready_by_1500")
    assert len(lines) == 11 and lines[1].startswith(first)
    assert sum(int(line.split(",")[1]) for line in lines[1:]) > 0
    assert browser_client.get(f"{ANALYTICS}/nope.csv").status_code == 404


def test_analytics_are_refused_readably_to_housekeepers(browser_client: TestClient) -> None:
    sign_in(browser_client, "hugh")
    assert ">Analytics<" not in browser_client.get(BOARD).text
    page = browser_client.get(ANALYTICS)
    assert page.status_code == 403
    assert "Turnover analytics are for supervisors and managers" in page.text
    bad = browser_client.get(ANALYTICS, params={"from": "2025-13-01"})
    assert bad.status_code == 422 and "<html" in bad.text


def test_period_checks_show_on_the_page(browser_client: TestClient) -> None:
    sign_in(browser_client, "maeve")
    page = browser_client.get(ANALYTICS, params={"from": "2025-02-02", "to": "2025-02-01"})
    assert page.status_code == 422
    assert "The period starts (2025-02-02) after it ends (2025-02-01)" in page.text
    assert date.today().isoformat() in browser_client.get(ANALYTICS).text


def test_tiles_carry_todays_departures_and_arrivals(web_hotel: dict[str, str]) -> None:
    """The hotel's date decides "today" (a fixed moment here, not the clock)."""
    from sqlalchemy import update

    from storage.models import Booking
    from workflows.services.board import hotel_board

    moment = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # 02:30 on the 30th in Helsinki (UTC+3)
    day = date(2026, 3, 30)
    with UnitOfWork() as uow:
        uow.session.exec(update(Booking).values(arrival_date=day, departure_date=day))  # type: ignore[call-overload]
        uow.session.exec(
            update(Booking)
            .where(Booking.booking_id == "BK-1")
            .values(arrival_date=date(2026, 3, 28))  # type: ignore[call-overload]
        )
        uow.session.exec(
            update(Hotel).where(Hotel.slug == HOTEL).values(timezone="Europe/Helsinki")  # type: ignore[call-overload]
        )
        uow.commit()
    tiles = {tile.room_number: tile for tile in hotel_board(HOTEL, now=moment).tiles}
    assert tiles[101].departs_today and tiles[101].booking_id == "BK-1"
    assert tiles[102].arrival_today == "BK-2" and not tiles[102].departs_today
    assert not tiles[104].departs_today and tiles[104].arrival_today is None
    earlier = {t.room_number: t for t in hotel_board(HOTEL, now=moment - timedelta(hours=4)).tiles}
    assert not earlier[101].departs_today  # 22:30 on the 29th in Helsinki


def test_housekeeping_badges_filter_and_open_tasks(browser_client: TestClient) -> None:
    from sqlmodel import select

    from storage.models import HousekeepingTask, Room, Staff
    from workflows.machines.actors import Actor, Role
    from workflows.services.board import hotel_board, room_panel

    moment = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with UnitOfWork() as uow:
        room = uow.session.exec(select(Room).where(Room.room_number == 104)).first()
        hugh = uow.session.exec(select(Staff).where(Staff.username == "hugh")).first()
        room.do_not_disturb, room.make_up_room = True, True  # type: ignore[union-attr]
        room.flags_date = moment.date()  # type: ignore[union-attr]
        uow.session.add(room)
        uow.session.add(
            HousekeepingTask(
                hotel_id=room.hotel_id,  # type: ignore[union-attr]
                room_id=room.id,  # type: ignore[union-attr,arg-type]
                kind="DEPARTURE",
                service_date=moment.date(),
                assignee_id=hugh.id,  # type: ignore[union-attr]
            )
        )
        uow.commit()
    board = hotel_board(HOTEL, now=moment)
    tile = next(t for t in board.tiles if t.room_number == 104)
    assert (tile.do_not_disturb, tile.make_up_room, tile.assignee) == (True, True, "hugh")
    assert board.assignees == ["hugh"]
    yesterday = next(
        t for t in hotel_board(HOTEL, now=moment - timedelta(days=1)).tiles if t.room_number == 104
    )
    assert not yesterday.do_not_disturb  # flags are the day's
    tasks = room_panel(HOTEL, 104, Actor(username="s", role=Role.SUPERVISOR)).tasks
    assert [(t.kind, t.status, t.assignee) for t in tasks] == [("DEPARTURE", "OPEN", "hugh")]
    sign_in(browser_client, "sinead")
    page = browser_client.get(BOARD, params={"assignee": "hugh"})
    hidden = {int(n) for n in re.findall(r'data-room="(\d+)"[^>]*?\s+hidden', page.text)}
    assert hidden == set(STATES) - {104}
    assert "Task: hugh" in page.text and 'id="filter-assignee"' in page.text
    panel = browser_client.get(f"{BOARD}/rooms/104/panel").text
    assert "Open tasks" in panel and "Departure, open, hugh" in panel
    tile_html = browser_client.get(f"{BOARD}/rooms/104/tile")
    assert tile_html.headers["x-tile-assignee"] == "hugh" and "Task: hugh" in tile_html.text
