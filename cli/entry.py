"""The `turnover` console script's entry point, kept free of imports on purpose.

`turnover serve --workers N` starts uvicorn's workers with multiprocessing's "spawn", and a
spawned child first re-imports the module the console script imported. Had that been
`cli.main` (the whole application, 2 s on an idle machine), no worker could answer the
supervisor's 5 s health check on a busy one, and the supervisor would kill it as hung and
start another. Here a worker imports nothing before its health-check thread runs.
"""


def main() -> None:
    from cli.main import app

    app()
