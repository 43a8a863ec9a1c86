"""The yardstick of scenario 2: a bare Starlette app answering "hello", served exactly as
`turnover serve` serves the API (uvicorn, same options, same number of workers). If the
load generator cannot drive it much faster than the API's trivial GET, the generator is
what is being measured. `python -m bench.hello_world PORT WORKERS`."""

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.header_limits import SERVER_OPTIONS


async def hello(_: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", hello)])


def main() -> None:
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    # as cli/demo_command.py's run_server does for the API
    options = {"factory": True, "host": "127.0.0.1", "port": port, "workers": workers}
    uvicorn.run("bench.hello_world:create_app", **options, **SERVER_OPTIONS)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
