"""The reliability summary: one row per fault or bad input, written to artifacts/reliability.md.

Tests call `record(...)`; the suites' conftest calls `write()` at the end of the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from support.reference import Row

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@dataclass
class Entry:
    kind: str  # "fault" or "bad input"
    name: str
    outcome: str
    said: str
    rows_lost: int


ENTRIES: list[Entry] = []


def rows_lost(want: list[Row], got: list[Row]) -> int:
    """Rows of the reference that are missing from the table or differ in it."""
    have = {r[0]: r for r in got}
    return sum(1 for r in want if have.get(r[0]) != r)


def record(kind: str, name: str, outcome: str, said: str, want: list[Row], got: list[Row]) -> int:
    lost = rows_lost(want, got)
    ENTRIES.append(Entry(kind, name, outcome, " ".join(said.split())[:160], lost))
    return lost


def table() -> str:
    lines = ["| kind | fault or bad input | outcome | what the notification said | rows lost |",
             "|---|---|---|---|---|"]
    for e in ENTRIES:
        said = e.said.replace("|", "\\|")
        lines.append(f"| {e.kind} | {e.name} | {e.outcome} | {said} | {e.rows_lost} |")
    faults = sum(1 for e in ENTRIES if e.kind == "fault")
    bad = sum(1 for e in ENTRIES if e.kind == "bad input")
    lost = sum(e.rows_lost for e in ENTRIES)
    lines += ["", f"Totals: faults injected {faults}, bad inputs tried {bad}, rows lost {lost}"]
    return "\n".join(lines) + "\n"


def write() -> Path | None:
    if not ENTRIES:
        return None
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "reliability.md"
    path.write_text("# Reliability: faults and bad inputs\n\n" + table())
    return path


_written: list[Path] = []


def summarise(reporter: object) -> None:
    """Print the table and write the file once per session (both suites' conftests call this)."""
    if _written or not ENTRIES:
        return
    path = write()
    if path is None:
        return
    _written.append(path)
    reporter.write_sep("=", "reliability")  # type: ignore[attr-defined]
    for line in table().splitlines():
        reporter.write_line(line)  # type: ignore[attr-defined]
    reporter.write_line(f"(written to {path})")  # type: ignore[attr-defined]
