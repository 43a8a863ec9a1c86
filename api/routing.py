"""Routes answer with and without the trailing slash, without a redirect (which would
drop a POST body in many clients), and a 405 lists every method of the path."""

from collections import defaultdict
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send


class PathMethodsRoute(APIRoute):
    """Starlette answers a wrong method with the `Allow` of the first route matching the
    path; with several routes on one path (GET and POST, say) that lists too few."""

    path_methods: frozenset[str] = frozenset()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods and self.path_methods:
            allow = ", ".join(sorted(self.path_methods))
            raise HTTPException(status_code=405, headers={"Allow": allow})
        await super().handle(scope, receive, send)


class SlashOptionalRouter(APIRouter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=PathMethodsRoute, **kwargs)

    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().add_api_route(path, endpoint, **kwargs)
        if path.endswith("/") and len(path) > 1:
            bare = {**kwargs, "include_in_schema": False}
            super().add_api_route(path.rstrip("/"), endpoint, **bare)
        self._share_path_methods()

    def _share_path_methods(self) -> None:
        methods: dict[str, set[str]] = defaultdict(set)
        routes = [route for route in self.routes if isinstance(route, PathMethodsRoute)]
        for route in routes:
            methods[route.path] |= route.methods
        for route in routes:
            route.path_methods = frozenset(methods[route.path])
