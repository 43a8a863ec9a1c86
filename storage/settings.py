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


@lru_cache
def get_settings() -> Settings:
    return Settings()
