"""How a command says no: the reason on stderr, exit status 2, nothing written."""

from typing import NoReturn

import typer

REFUSED = 2


def fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=REFUSED)
