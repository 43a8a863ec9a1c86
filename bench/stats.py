"""Medians, percentiles, and the result table every scenario prints and records."""

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).with_name("results.json")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Check:
    """A target: `value` compared with `limit` ("<=", "<" or ">=")."""

    name: str
    value: float
    op: str
    limit: float

    @property
    def met(self) -> bool:
        if self.op == "<=":
            return self.value <= self.limit
        if self.op == "<":
            return self.value < self.limit
        return self.value >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 4),
            "target": f"{self.op} {self.limit:g}",
            "met": self.met,
        }


@dataclass
class ScenarioResult:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        cells = [self.columns, *[[_cell(v) for v in row] for row in self.rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [
            "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
            for row in cells
        ]
        lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for check in self.checks:
            verdict = "met" if check.met else "NOT MET"
            lines.append(
                f"  {check.name}: {_cell(check.value)} (target {check.op} {check.limit:g}): "
                f"{verdict}"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return f"\n## {self.title}\n\n" + "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "figures": self.figures,
            "checks": {check.name: check.as_dict() for check in self.checks},
            "met": all(check.met for check in self.checks),
            "notes": self.notes,
        }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write_results(results: list[ScenarioResult], meta: dict[str, Any]) -> None:
    """Merge into bench/results.json: a scenario run now replaces its previous entry."""
    existing: dict[str, Any] = {}
    if RESULTS_PATH.exists():
        try:
            existing = json.loads(RESULTS_PATH.read_text())
        except json.JSONDecodeError:
            existing = {}
    for result in results:
        existing[result.key] = {**result.as_dict(), "run": meta}
    RESULTS_PATH.write_text(json.dumps(existing, indent=2) + "\n")
