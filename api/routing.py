"""Routes answer with and without the trailing slash, without a redirect (which would
drop a POST body in many clients)."""

from typing import Any

from fastapi import APIRouter


class SlashOptionalRouter(APIRouter):
    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().add_api_route(path, endpoint, **kwargs)
        if path.endswith("/") and len(path) > 1:
            bare = {**kwargs, "include_in_schema": False}
            super().add_api_route(path.rstrip("/"), endpoint, **bare)
