"""Signing secrets: generated as Standard Webhooks has them (`whsec_` + base64 of 32
random bytes) and stored encrypted with Fernet, so a database dump does not hand them out.

The keys come from TURNOVER_WEBHOOKS_ENCRYPTION_KEY (Fernet keys, comma-separated: the
first encrypts, all decrypt, which is how the key is rotated). Without it a key is
generated once into TURNOVER_WEBHOOKS_KEY_FILE: fine for development, not for production,
where the key belongs in the environment or a secret store, not next to the data.
"""

import base64
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from config.settings import get_settings

log = logging.getLogger("turnover.webhooks")

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class SecretUnavailable(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def encrypt(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnavailable(
            "the signing secret cannot be decrypted: TURNOVER_WEBHOOKS_ENCRYPTION_KEY changed?"
        ) from None


def forget_keys() -> None:
    """Read the keys again at next use (after the settings changed)."""
    _box.cache_clear()


@lru_cache
def _box() -> MultiFernet:
    settings = get_settings()
    configured = settings.webhooks_encryption_key
    if configured:
        keys = [key.strip() for key in configured.split(",") if key.strip()]
    else:
        keys = [_key_from_file(Path(settings.webhooks_key_file))]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ValueError(
            "TURNOVER_WEBHOOKS_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), "
            "comma-separated"
        ) from None


def _key_from_file(path: Path) -> str:
    """The development key: read it, or create it. Written to a temporary file and linked
    into place, so several processes starting at once all end up with the same key."""
    if path.exists():
        return path.read_text().strip()
    key = Fernet.generate_key()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(key)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        temporary.unlink()
    log.warning(
        "TURNOVER_WEBHOOKS_ENCRYPTION_KEY is not set: webhook secrets are encrypted with a "
        "key generated into %s (development only)",
        path,
    )
    return key.decode()
