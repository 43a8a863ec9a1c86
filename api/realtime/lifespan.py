"""Starts and stops realtime delivery with the API process."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.realtime.wakeups import StreamWakeups
from config.settings import get_settings
from storage.unit_of_work import add_commit_listener
from workers.integrations import IntegrationWorkers
from workers.publishers import publisher_from_settings
from workers.relay import Relay, RelayConfig


@asynccontextmanager
async def realtime_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    wakeups = StreamWakeups(asyncio.get_running_loop())
    app.state.stream_wakeups = wakeups
    unregister = [add_commit_listener(wakeups.notify)]
    relay = None
    if settings.relay_in_process:
        relay = Relay(publisher_from_settings(settings), RelayConfig.from_settings(settings))
        unregister.append(add_commit_listener(relay.wake))
        relay.start()
    integrations = IntegrationWorkers.from_settings(settings, in_process=True)
    integrations.start()
    try:
        yield
    finally:
        for remove in unregister:
            remove()
        if relay is not None:
            await asyncio.to_thread(relay.stop)
        await asyncio.to_thread(integrations.stop)
