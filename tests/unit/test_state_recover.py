"""A crash between a save's two renames loses no saved state (`covid_etl.local.state.recover`)."""

from __future__ import annotations

from pathlib import Path

from covid_etl.local.state import recover


def saved(folder: Path, mark: str) -> Path:
    folder.mkdir()
    (folder / "table.jsonl").write_text(mark)
    (folder / "bucket.json").write_text("{}")
    return folder


def test_the_complete_new_save_is_taken_when_the_folder_is_gone(tmp_path: Path) -> None:
    saved(tmp_path / "state.old", "old")
    saved(tmp_path / "state.new", "new")
    recover(tmp_path / "state")
    assert (tmp_path / "state" / "table.jsonl").read_text() == "new"


def test_the_previous_save_is_taken_when_the_new_one_is_incomplete(tmp_path: Path) -> None:
    saved(tmp_path / "state.old", "old")
    (tmp_path / "state.new").mkdir()
    (tmp_path / "state.new" / "table.jsonl").write_text("half")  # no bucket.json: cut short
    recover(tmp_path / "state")
    assert (tmp_path / "state" / "table.jsonl").read_text() == "old"


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    saved(tmp_path / "state", "current")
    saved(tmp_path / "state.old", "old")
    recover(tmp_path / "state")
    assert (tmp_path / "state" / "table.jsonl").read_text() == "current"
