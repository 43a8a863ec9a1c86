"""`turnover diagrams`: regenerate the workflow pages in docs/workflows from the machines."""

from pathlib import Path
from typing import Annotated

import typer

from workflows.documentation.diagram_pages import DEFAULT_OUTPUT, write_pages


def diagrams(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the pages into")
    ] = DEFAULT_OUTPUT,
) -> None:
    """Write one Markdown page (Mermaid diagram, states, events) and one Graphviz SVG per
    workflow machine."""
    report = write_pages(output)
    for path in report.written:
        typer.echo(f"wrote {path}")
    if report.svg_skipped:
        typer.secho(report.svg_skipped, fg=typer.colors.YELLOW, err=True)
