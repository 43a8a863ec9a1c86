"""Configuration read from TURNOVER_* environment variables."""

import re
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TURNOVER_", extra="ignore")

    database_url: str = "sqlite:///turnover.db"
    # How long an SQLite writer waits for the write lock before giving up.
    sqlite_busy_timeout_ms: int = 30_000
    # Upgrade the schema to the latest migration when the app or a CLI command starts.
    auto_migrate: bool = True

    # Realtime delivery (docs/realtime-events.md). Without the three PUSHER_APP_ID / KEY / SECRET
    # settings, events are served by the built-in server-sent-events stream only.
    pusher_app_id: str | None = None
    pusher_key: str | None = None
    pusher_secret: str | None = None
    pusher_cluster: str | None = None
    # A self-hosted Pusher-compatible server instead of a cluster.
    pusher_host: str | None = None
    pusher_port: int | None = None
    pusher_ssl: bool = True
    # The deadline of one whole Pusher request (connect, send, answer), not of each read.
    pusher_timeout_seconds: float = 5.0
    # Publish to private-hotel-{slug}; clients authorize through POST /api/pusher/auth.
    pusher_private: bool = False
    # Run the outbox relay inside the API process (off when `turnover relay` runs apart).
    relay_in_process: bool = True
    relay_max_backoff_seconds: float = 30.0
    # How often the relay and the event streams look for rows committed by other processes.
    relay_poll_seconds: float = 1.0
    # Longer than pusher_timeout_seconds: a relay never starts a request its lease could
    # end during (another relay would take the events over and send them again).
    relay_lease_seconds: float = 60.0
    sse_keepalive_seconds: float = 15.0
    # Run the scheduler (out-of-order periods starting and ending) inside the API process;
    # off when `turnover tick` runs from cron instead. Safe with several processes at once.
    scheduler_in_process: bool = True
    scheduler_interval_seconds: float = 60.0

    # Failed authentication (docs/operations.md#failed-sign-in-attempts): after this many
    # failures in the window, an address or a username waits (429) until the oldest one
    # leaves the window. 0 switches the limit off.
    auth_max_failures_per_address: int = 20
    auth_address_window_seconds: float = 60.0
    auth_max_failures_per_username: int = 10
    auth_username_window_seconds: float = 900.0

    # Web pages' sign-in sessions (docs/board.md): a session ends after this many minutes
    # without a request (an open board's event stream counts), and this many hours after
    # sign-in whatever happens.
    session_idle_minutes: float = 60.0
    session_max_hours: float = 12.0
    # Browser clients on other origins (CORS): exact origins, comma-separated, e.g.
    # `https://board.hotel-killarney.ie,http://localhost:5173`; `*` allows any origin but
    # without credentials. Empty (the default): no cross-origin access.
    cors_origins: Annotated[list[str], NoDecode] = []

    # Where `turnover demo` keeps the demo staff's credentials, so every run prints the same.
    demo_credentials_file: str = ".turnover-demo.json"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], e.g. "
                    "https://board.example.com, with no path or trailing slash (or * alone)"
                )
        if "*" in origins and len(origins) > 1:
            raise ValueError("* allows every origin: give it alone, or only exact origins")
        return origins

    # Webhooks (docs/integrations.md). Run the webhook worker inside the API process.
    webhooks_in_process: bool = True
    # Allow webhook URLs whose host is loopback, private or link-local (development, tests).
    webhooks_allow_private: bool = False
    # Fernet keys (comma-separated, the first encrypts) for the signing secrets at rest.
    # Unset: a key generated once into `webhooks_key_file` (development only).
    webhooks_encryption_key: str | None = None
    webhooks_key_file: str = "turnover-webhooks.key"

    # Guest notifications through Firebase Cloud Messaging: on when FCM_CREDENTIALS names a
    # service-account JSON file; FCM_BASE_URL can point at a stand-in.
    fcm_credentials: str | None = None
    fcm_base_url: str = "https://fcm.googleapis.com"
    notifier_in_process: bool = True

    # Housekeeping (docs/housekeeping.md): the scheduler plans each hotel's day (its
    # STAYOVER tasks) at this local hour of the hotel's time zone (0-23).
    housekeeping_plan_hour: int = Field(default=6, ge=0, le=23)


@lru_cache
def get_settings() -> Settings:
    return Settings()
