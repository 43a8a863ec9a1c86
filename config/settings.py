"""Configuration read from TURNOVER_* environment variables."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TURNOVER_", extra="ignore")

    database_url: str = "sqlite:///turnover.db"
    # How long an SQLite writer waits for the write lock before giving up.
    sqlite_busy_timeout_ms: int = 30_000
    # Upgrade the schema to the latest migration when the app or a CLI command starts.
    auto_migrate: bool = True

    # Realtime delivery (docs/realtime.md). Without the three PUSHER_APP_ID / KEY / SECRET
    # settings, events are served by the built-in server-sent-events stream only.
    pusher_app_id: str | None = None
    pusher_key: str | None = None
    pusher_secret: str | None = None
    pusher_cluster: str | None = None
    # A self-hosted Pusher-compatible server instead of a cluster.
    pusher_host: str | None = None
    pusher_port: int | None = None
    pusher_ssl: bool = True
    pusher_timeout_seconds: float = 5.0
    # Publish to private-hotel-{slug}; clients authorize through POST /api/pusher/auth.
    pusher_private: bool = False
    # Run the outbox relay inside the API process (off when `turnover relay` runs apart).
    relay_in_process: bool = True
    relay_max_backoff_seconds: float = 30.0
    # How often the relay and the event streams look for rows committed by other processes.
    relay_poll_seconds: float = 1.0
    relay_lease_seconds: float = 60.0
    sse_keepalive_seconds: float = 15.0

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
