"""The front desk and my-tasks pages through the app (no browser): who may open them, the
buttons they show, and their posts going through the API's services."""

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import HOTEL
from tests.web.conftest import page_token, sign_in
from workflows.machines.actors import Actor, Role
from workflows.services.board import hotel_board
from workflows.services.housekeeping_plan import plan_day
from workflows.services.housekeeping_tasks import assign_tasks, list_tasks
from workflows.services.out_of_order import schedule_period

DESK = f"/hotels/{HOTEL}/front-desk"
TASKS = f"/hotels/{HOTEL}/my-tasks"
SUPERVISOR = Actor(username="sinead", role=Role.SUPERVISOR)


def signed_in(client: TestClient, username: str) -> TestClient:
    assert sign_in(client, username).status_code == 303
    return client


def test_the_front_desk_lists_the_day(browser_client: TestClient) -> None:
    client = signed_in(browser_client, "fiona")
    page = client.get(DESK)
    assert page.status_code == 200, page.text
    assert 'data-booking="BK-2"' in page.text and 'data-booking="BK-1"' in page.text
    assert "Check in" in page.text and "Move to another room" in page.text
    assert 'id="room-BK-3"' not in page.text  # the one ready room is BK-2's: none to choose
    assert ">Front desk</a>" in page.text and ">My tasks</a>" not in page.text


def test_a_check_in_from_the_front_desk(browser_client: TestClient) -> None:
    client = signed_in(browser_client, "fiona")
    token = page_token(client, DESK)
    answer = client.post(
        f"{DESK}/bookings/BK-2/check-in",
        data={"csrf_token": token, "room_number": ""},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "BK-2 checked in to room 102."
    lists = client.get(f"{DESK}/lists")
    assert "BK-2" in lists.text.split('id="in-house"')[1]


def test_a_refusal_is_a_readable_message(browser_client: TestClient) -> None:
    client = signed_in(browser_client, "fiona")
    token = page_token(client, DESK)
    answer = client.post(
        f"{DESK}/bookings/BK-1/move",
        data={"csrf_token": token, "to_room_number": "104", "reason": "noisy"},
    )
    assert answer.status_code == 409
    assert "READY_FOR_GUEST" in answer.text and "<html" in answer.text
    without_token = client.post(f"{DESK}/bookings/BK-1/check-out", data={})
    assert without_token.status_code == 403


def test_housekeeping_may_not_open_the_front_desk(browser_client: TestClient) -> None:
    client = signed_in(browser_client, "hugh")
    assert client.get(DESK).status_code == 403
    assert ">My tasks</a>" in client.get(TASKS).text


def test_a_housekeeper_sees_only_their_own_tasks(browser_client: TestClient) -> None:
    plan_day(hotel_slug=HOTEL, performed_by=SUPERVISOR)
    tasks = list_tasks(hotel_slug=HOTEL, actor=SUPERVISOR).views
    assert tasks, "the plan made no tasks"
    assign_tasks(
        hotel_slug=HOTEL, task_ids=[tasks[0].task.id], assignee="hugh", performed_by=SUPERVISOR
    )
    client = signed_in(browser_client, "hugh")
    page = client.get(TASKS)
    assert page.text.count('class="task-card task-') == 1
    assert f'data-task="{tasks[0].task.id}"' in page.text
    token = page_token(client, TASKS)
    for other in tasks[1:]:
        refused = client.post(
            f"{TASKS}/{other.task.id}/events",
            data={"csrf_token": token, "event": "start"},
            headers={"Accept": "application/json"},
        )
        assert refused.status_code == 403, refused.text
        assert "their own tasks" in refused.json()["error"]["message"]
    assert client.get(DESK).status_code == 403
    supervisor = signed_in(
        TestClient(client.app, base_url=str(client.base_url), follow_redirects=False), "sinead"
    )
    everyone = supervisor.get(TASKS).text
    assert everyone.count('class="task-card task-') == len(tasks) and "Assigned to" in everyone


def test_a_stayover_is_skipped_with_a_reason_and_a_dnd_sign_set(
    browser_client: TestClient,
) -> None:
    plan_day(hotel_slug=HOTEL, performed_by=SUPERVISOR)
    stayover = next(
        view
        for view in list_tasks(hotel_slug=HOTEL, actor=SUPERVISOR).views
        if view.task.kind == "STAYOVER"
    )
    task_id, room = stayover.task.id, stayover.room.room_number
    assign_tasks(hotel_slug=HOTEL, task_ids=[task_id], assignee="hugh", performed_by=SUPERVISOR)
    client = signed_in(browser_client, "hugh")
    assert "Skip this room" in client.get(TASKS).text
    token = page_token(client, TASKS)
    json = {"Accept": "application/json"}
    dnd = client.post(
        f"{TASKS}/rooms/{room}/dnd",
        data={"csrf_token": token, "do_not_disturb": "on"},
        headers=json,
    )
    assert dnd.json()["message"] == f"Room {room}: Do not disturb."
    assert "Clear do not disturb" in client.get(f"{TASKS}/list").text
    url = f"{TASKS}/{task_id}/events"
    no_reason = client.post(url, data={"csrf_token": token, "event": "skip"}, headers=json)
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["message"] == "Say why the room is skipped (a reason)."
    skipped = client.post(
        url, data={"csrf_token": token, "event": "skip", "reason": "guest asleep"}, headers=json
    )
    assert skipped.status_code == 200, skipped.text
    views = list_tasks(hotel_slug=HOTEL, actor=SUPERVISOR).views
    assert next(v for v in views if v.task.id == task_id).task.status == "SKIPPED"


def test_the_board_tile_shows_an_out_of_order_period_of_today(
    browser_client: TestClient,
) -> None:
    today = hotel_board(HOTEL).today
    schedule_period(
        hotel_slug=HOTEL,
        room_number=104,
        starts_on=today,
        ends_on=today + timedelta(days=2),
        reason="new carpet",
        performed_by=Actor(username="maeve", role=Role.MANAGER),
    )
    board = signed_in(browser_client, "sinead").get(f"/hotels/{HOTEL}/board").text
    badge = f"Out of order until {(today + timedelta(days=2)).strftime('%d %b')}"
    assert badge in board and 'title="Out of order: new carpet"' in board
    assert board.count("badge-out-of-order") == 1
