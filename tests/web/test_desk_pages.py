"""The front desk and my-tasks pages through the app (no browser): who may open them, the
buttons they show, and their posts going through the API's services."""

from fastapi.testclient import TestClient

from tests.conftest import HOTEL
from tests.web.conftest import page_token, sign_in
from workflows.machines.actors import Actor, Role
from workflows.services.housekeeping_plan import plan_day
from workflows.services.housekeeping_tasks import assign_tasks, list_tasks

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
