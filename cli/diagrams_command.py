"""`turnover diagrams`: regenerate the workflow pages in docs/workflows from the machines."""

from pathlib import Path
from typing import Annotated

import typer


def diagrams(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The folder to write the pages into (docs/workflows)."),
    ] = None,
) -> None:
    """Write each workflow machine's docs page (Mermaid, states, events) and Graphviz SVG."""
    # Imported here: the diagram code is slow to import and only this command needs it.
    from workflows.documentation.diagram_pages import DEFAULT_OUTPUT, write_pages

    report = write_pages(output or DEFAULT_OUTPUT)
    for path in report.written:
        typer.echo(f"wrote {path}")
    if report.svg_skipped:
        typer.secho(report.svg_skipped, fg=typer.colors.YELLOW, err=True)
