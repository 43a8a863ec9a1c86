"""The front desk and my-tasks pages in a real headless Chromium: a housekeeper's phone,
what a housekeeper is not shown, a check-in and a room move at the front desk, and the
lists following changes made elsewhere without a reload."""

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import OfflineBrowsing, sign_in
from tests.conftest import HOTEL
from tests.web.conftest import add_member
from workflows.machines.actors import Actor, Role
from workflows.services.housekeeping_plan import plan_day
from workflows.services.housekeeping_tasks import assign_tasks, list_tasks
from workflows.services.queries import room_view

DESK = f"/hotels/{HOTEL}/front-desk"
TASKS = f"/hotels/{HOTEL}/my-tasks"
API = f"/api/staff/hotels/{HOTEL}"
SUPERVISOR = Actor(username="sinead", role=Role.SUPERVISOR)


def live_page(browsing: OfflineBrowsing, server: str, username: str, path: str) -> Any:
    """`path`, signed in as `username`, once its event stream is live."""
    page = browsing.new_page()
    sign_in(page, server, username)
    page.goto(server + path)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("main")).to_have_attribute("data-refreshed", "1")  # caught up
    page.evaluate("window.sameDocument = true")
    return page


def planned_day(assignees: dict[int, str]) -> dict[int, int]:
    """Today's housekeeping plan, room number -> task id; the rooms in `assignees` given
    to those housekeepers."""
    plan_day(hotel_slug=HOTEL, performed_by=SUPERVISOR)
    tasks = {
        v.room.room_number: v.task.id for v in list_tasks(hotel_slug=HOTEL, actor=SUPERVISOR).views
    }
    for room, name in assignees.items():
        assign_tasks(
            hotel_slug=HOTEL, task_ids=[tasks[room]], assignee=name, performed_by=SUPERVISOR
        )
    return tasks


def card(page: Any, room: int) -> Any:
    return page.locator(f'.task-card[data-room="{room}"]')


def room_status(room: int) -> str:
    return room_view(hotel_slug=HOTEL, room_number=room, actor=SUPERVISOR).room.room_status


def test_a_housekeeper_starts_and_finishes_a_task_on_a_phone(
    phone_browsing: OfflineBrowsing, server: str
) -> None:
    planned_day({104: "hugh"})
    page = live_page(phone_browsing, server, "hugh", TASKS)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    start = card(page, 104).get_by_role("button", name="Start")
    box = start.bounding_box()
    assert box is not None and box["height"] >= 48, box  # a button for a thumb
    start.click()
    expect(card(page, 104)).to_have_attribute("data-status", "IN_PROGRESS")
    expect(page.locator("#page-message")).to_have_text("Room 104: started.")
    assert room_status(104) == "CLEANING_IN_PROGRESS"
    expect(card(page, 104).locator(".task-actions button")).to_have_text(["Pause", "Finish"])
    card(page, 104).get_by_role("button", name="Finish").click()
    expect(card(page, 104)).to_have_attribute("data-status", "DONE")
    expect(card(page, 104).locator(".task-status")).to_have_text("Done")
    assert room_status(104) == "CLEANED_UNINSPECTED"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide on a 375 px phone"
    assert page.evaluate("window.sameDocument") is True and phone_browsing.refused == []


def test_a_housekeeper_sees_neither_anothers_tasks_nor_buttons_they_may_not_press(
    phone_browsing: OfflineBrowsing, server: str
) -> None:
    add_member(HOTEL, "hannah", "housekeeper")
    tasks = planned_day({104: "hugh", 101: "hannah"})
    page = live_page(phone_browsing, server, "hugh", TASKS)
    expect(page.locator(".task-card")).to_have_count(1)
    expect(card(page, 101)).to_have_count(0)
    expect(card(page, 104).locator(":scope > .task-actions button")).to_have_text(["Start"])
    expect(page.locator(".task-assignee")).to_have_count(0)
    expect(page.get_by_role("link", name="Front desk")).to_have_count(0)
    # the supervisor gives hugh hannah's room: his list shows it, live
    assign_tasks(hotel_slug=HOTEL, task_ids=[tasks[101]], assignee="hugh", performed_by=SUPERVISOR)
    expect(page.locator(".task-card")).to_have_count(2)
    expect(card(page, 101).locator(":scope > .task-actions button")).to_have_text(["Start"])
    expect(card(page, 101).get_by_text("Skip this room")).to_be_visible()  # a stayover
    assert page.evaluate("window.sameDocument") is True
    phone_browsing.context.clear_cookies()
    supervisor = live_page(phone_browsing, server, "sinead", TASKS)
    expect(supervisor.locator(".task-card")).to_have_count(len(tasks))
    expect(card(supervisor, 104).locator(".task-assignee")).to_have_text("Assigned to hugh")


def test_a_check_in_at_the_front_desk_updates_the_lists(
    browsing: OfflineBrowsing, server: str, tokens: dict[str, str]
) -> None:
    page = live_page(browsing, server, "fiona", DESK)
    arrivals, in_house = page.locator("#arrivals"), page.locator("#in-house")
    expect(arrivals.locator('[data-booking="BK-2"]')).to_be_visible()
    arrivals.locator('[data-booking="BK-2"]').get_by_role("button", name="Check in").click()
    expect(page.locator("#page-message")).to_have_text("BK-2 checked in to room 102.")
    expect(arrivals.locator('[data-booking="BK-2"]')).to_have_count(0)
    expect(in_house.locator('[data-booking="BK-2"]')).to_contain_text("room 102")
    assert room_status(102) == "OCCUPIED"
    # a checkout made elsewhere (the API) leaves the open list by itself
    answer = httpx.post(
        f"{server}{API}/room-bookings/BK-1/check-out/",
        headers={"Authorization": f"Bearer {tokens['fiona']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    expect(in_house.locator('[data-booking="BK-1"]')).to_have_count(0)
    expect(page.locator('#checked-out [data-booking="BK-1"]')).to_be_visible()
    assert page.evaluate("window.sameDocument") is True and browsing.refused == []


def test_a_room_move_from_the_front_desk(browsing: OfflineBrowsing, server: str) -> None:
    page = live_page(browsing, server, "fiona", DESK)
    guest = page.locator('#in-house [data-booking="BK-1"]')
    guest.get_by_text("Move to another room").click()
    guest.get_by_label("To room").select_option("102")
    guest.get_by_role("button", name="Move").click()  # no reason yet: the browser asks
    guest.get_by_label("Reason").fill("heating broken")
    guest.get_by_role("button", name="Move").click()
    expect(page.locator("#page-message")).to_have_text("BK-1 moved to room 102.")
    expect(page.locator('#in-house [data-booking="BK-1"]')).to_contain_text("room 102")
    assert (room_status(101), room_status(102)) == ("CHECKOUT_DIRTY", "OCCUPIED")
    assert page.evaluate("window.sameDocument") is True and browsing.refused == []
