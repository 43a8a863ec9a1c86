"""Requests are read as strictly as bodies are: one rule for every endpoint.

- A query parameter the endpoint does not declare (`?stauts=`) is a 422, not an
  unfiltered list.
- An endpoint that takes no body refuses a body it would ignore (empty and `{}` are fine).
- A body sent without `Content-Type: application/json` (a form post, no Content-Type) is a
  415 that says to send JSON; malformed JSON is a 422 that says where it broke.

`check_request` is an app-wide dependency (api/app.py); `json_problem` words the
message of the error handler (api/errors.py).
"""

from email.message import Message

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

SEND_JSON = "send JSON with Content-Type: application/json"
EMPTY_BODIES = (b"", b"{}")


async def check_request(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    _refuse_unknown_query_parameters(request, route)
    await _refuse_unreadable_body(request, route)


def _query_names(route: APIRoute) -> frozenset[str]:
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:  # the route's own parameters and those of its dependencies
        dependant = dependants.pop()
        names |= {param.alias for param in dependant.query_params}
        dependants.extend(dependant.dependencies)
    return frozenset(names)


def _refuse_unknown_query_parameters(request: Request, route: APIRoute) -> None:
    declared = _query_names(route)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in declared]
    if not unknown:
        return
    takes = ", ".join(sorted(declared)) or "none"
    raise RequestValidationError(
        [
            {
                "type": "extra_forbidden",
                "loc": ("query", name),
                "msg": f"Unknown query parameter; this endpoint takes: {takes}",
                "input": request.query_params[name],
            }
            for name in unknown
        ]
    )


def _body_media_types(route: APIRoute) -> frozenset[str] | None:
    """The media types the route reads its body as, or None when it takes no body."""
    declared = (route.openapi_extra or {}).get("requestBody", {}).get("content")
    if declared:
        return frozenset(declared)
    return frozenset({"application/json"}) if route.body_field is not None else None


async def _refuse_unreadable_body(request: Request, route: APIRoute) -> None:
    media_types = _body_media_types(route)
    body = await request.body()
    if media_types is None:
        if body.strip().replace(b" ", b"") not in EMPTY_BODIES:
            raise RequestValidationError(
                [
                    {
                        "type": "no_body_expected",
                        "loc": ("body",),
                        "msg": "This endpoint takes no body; send none",
                        "input": None,
                    }
                ]
            )
        return
    if body and _media_type(request) not in media_types:
        sent = request.headers.get("content-type")
        described = f"Content-Type {sent}" if sent else "no Content-Type"
        raise HTTPException(415, f"The body was sent with {described}; {SEND_JSON}")


def _media_type(request: Request) -> str:
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    media_type = message.get_content_type()
    return "application/json" if media_type.endswith("+json") else media_type


def json_problem(error: RequestValidationError) -> str | None:
    """'The body is not valid JSON: ... at line 1, column 17; send JSON ...' for a body that
    does not parse, else None."""
    for item in error.errors():
        if item.get("type") == "json_invalid":
            where = _line_and_column(error.body, item["loc"][-1])
            reason = item.get("ctx", {}).get("error", "it does not parse")
            return f"The body is not valid JSON: {reason} {where}; {SEND_JSON}"
    return None


def _line_and_column(document: object, position: object) -> str:
    if not isinstance(document, str) or not isinstance(position, int):
        return f"at character {position}"
    line = document.count("\n", 0, position) + 1
    column = position - (document.rfind("\n", 0, position) + 1) + 1
    return f"at line {line}, column {column}"
