"""`python -m scripts.screenshots` (or `make screenshots`): the pages as the docs show
them, at desktop (1280x800) and phone (375x812) sizes, written to
docs/assets/screenshots/.

It serves the app on a free loopback port over a throwaway SQLite database holding the
demo hotel (`turnover demo`'s) and four weeks of its turnovers, and photographs the pages
in Debian's headless Chromium through Playwright (as the browser tests do).
"""

import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "docs" / "assets" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
HOTEL = "hotel-killarney"
TALLEST = 2400  # px: a full page is cut there (the analytics tables go on)


def prepare(folder: str) -> dict[str, str]:
    """The demo hotel and its history in a new database; username -> password."""
    os.environ["TURNOVER_DATABASE_URL"] = f"sqlite:///{folder}/screenshots.db"
    from admin.demo import ensure_demo
    from admin.demo_history import write_history
    from storage.database import create_tables, use_database
    from storage.unit_of_work import UnitOfWork

    create_tables(use_database(os.environ["TURNOVER_DATABASE_URL"]))
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with UnitOfWork() as uow:
        access = ensure_demo(uow.session, Path(folder) / "credentials.json")
        write_history(uow.session, HOTEL, days=28, until=midnight)
        uow.commit()
    housekeeping_morning()
    return {m.username: m.password for m in access.members if m.hotel == HOTEL}


def housekeeping_morning() -> None:
    """The day planned and shared out, a DND sign and a make-up request: the housekeeping
    badges the board shows."""
    from workflows.machines.actors import Actor, Role
    from workflows.services.housekeeping_plan import plan_day
    from workflows.services.housekeeping_tasks import auto_assign, set_room_flags

    supervisor = Actor(username="sinead", role=Role.SUPERVISOR)
    plan_day(hotel_slug=HOTEL, performed_by=supervisor)
    auto_assign(hotel_slug=HOTEL, housekeepers=["hugh"], performed_by=supervisor)
    for room, flag in ((201, "do_not_disturb"), (103, "make_up_room")):
        set_room_flags(
            hotel_slug=HOTEL, room_number=room, flags={flag: True}, performed_by=supervisor
        )


@contextmanager
def serving() -> Iterator[str]:
    import uvicorn

    from web.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the app did not start within 60 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Hotel code").fill(HOTEL)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def shoot(page: Any, name: str, size: str, *, full: bool = False) -> Path:
    path = OUT / f"{name}-{size}.png"
    page.wait_for_timeout(400)  # let the last animation settle
    if full:
        height = min(TALLEST, page.evaluate("document.documentElement.scrollHeight"))
        width = SIZES[size]["width"]
        page.screenshot(
            path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
        )
    else:
        page.screenshot(path=path)
    return path


def photograph(base: str, passwords: dict[str, str]) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.goto(base + "/")
            written.append(shoot(page, "sign-in", size))
            sign_in(page, base, "sinead", passwords["sinead"])
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
            written.append(shoot(page, "board", size, full=True))
            page.locator('.tile[data-room="106"] .tile-link').click()
            expect(page.get_by_role("dialog").locator(".room-title")).to_be_visible()
            written.append(shoot(page, "room", size))
            context.clear_cookies()
            sign_in(page, base, "maeve", passwords["maeve"])
            page.goto(base + f"/hotels/{HOTEL}/analytics")
            expect(page.locator("body")).to_have_attribute("data-charts-drawn", "4")
            written.append(shoot(page, "analytics", size, full=True))
            context.close()
        browser.close()
    return written


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="turnover-screenshots-") as folder:
        passwords = prepare(folder)
        with serving() as base:
            for path in photograph(base, passwords):
                print(path.relative_to(OUT.parents[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
