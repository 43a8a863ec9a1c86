"""Fixtures for the docs and workflow-introspection tests."""

from pathlib import Path

import pytest

from workflows.documentation.diagrams import svg

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


@pytest.fixture
def without_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH on which Graphviz's `dot` cannot be found (and no drawing cached from a test
    that had it: a server keeps the drawings it made)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    svg.cache_clear()


def read_doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")
