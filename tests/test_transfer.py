"""mentorbot state export / import: every table moves, nothing is lost, bad files keep nothing."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.state import StateStore
from bot.transfer import TransferError, export_state, import_state, tables

WIKI = "https://ko.wikipedia.org/w/api.php"


def filled_store(path: Path) -> StateStore:
    """A store with rows in every table, written through the store's own methods where it has them."""
    store = StateStore(path)
    store.record_run(WIKI, "sweep", 1_700_000_000.5, "ok", {"requests": 12, "writes": 1})
    store.save_lapses(WIKI, {(7, "edits-in-window:90d:content>=20"): 1_700_000_000.0}, set())
    store.record_step(WIKI, 7, "2026-10-01T00:00:00Z", "warn")
    wiki_id = store.wiki_number(WIKI)
    with store.transaction() as db:
        store.save_pairs(db, WIKI, 1_700_000_100.0,
                         [(11, "primary", 7, "초보자", "멘토"), (11, "backup", 8, None, None)])
        db.execute("INSERT INTO snapshot (wiki, taken_at, source, pairs) VALUES (?, ?, 'api', 2)", (WIKI, 1.5))
        store.set_cursor(db, WIKI, "blocks", "2026-12-01T00:00:00Z")
        db.execute("INSERT INTO block_notice (wiki, log_id, mentee, mentor, action, indefinite, handled_at) "
                   "VALUES (?, 99, '초보자', NULL, 'block', 1, 2.5)", (WIKI,))
        store.save_registrations(db, wiki_id, [(5, 11, 20261201000000, "create", 0),
                                               (6, None, 20261201000001, "autocreate", 1)])
    store.record_graduates(WIKI, [11])
    store.record_invitation(WIKI, 12)
    return store


def contents(store: StateStore) -> dict[str, list[tuple[object, ...]]]:
    return {table: sorted(store.db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in tables(store)}


@pytest.mark.parametrize("name", ["state.jsonl", "state.jsonl.gz"])
def test_a_round_trip_keeps_every_row_of_every_table(tmp_path: Path, name: str) -> None:
    source = filled_store(tmp_path / "a.sqlite")
    counts = export_state(source, tmp_path / name)
    assert all(counts[table] > 0 for table in counts), counts  # the fixture fills every table
    target = StateStore(tmp_path / "b.sqlite")
    assert import_state(target, tmp_path / name) == counts
    assert contents(target) == contents(source)


def test_an_import_refuses_a_store_with_data_and_a_bad_line_keeps_nothing(tmp_path: Path) -> None:
    source = filled_store(tmp_path / "a.sqlite")
    export_state(source, tmp_path / "state.jsonl")
    with pytest.raises(ConfigError, match="already holds data"):
        import_state(source, tmp_path / "state.jsonl")

    lines = (tmp_path / "state.jsonl").read_text().splitlines()
    lines.insert(3, json.dumps({"table": "cursor", "row": {"wiki": WIKI}}))
    (tmp_path / "broken.jsonl").write_text("\n".join(lines) + "\n")
    target = StateStore(tmp_path / "b.sqlite")
    with pytest.raises(TransferError, match=r"broken\.jsonl: line 4: not a row of a table this store has"):
        import_state(target, tmp_path / "broken.jsonl")
    assert all(not rows for rows in contents(target).values())  # the rows before line 4 are gone too

    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress((tmp_path / "state.jsonl").read_bytes())[:-20])
    with pytest.raises(TransferError, match=r"cut\.jsonl\.gz: cannot be read after line"):
        import_state(target, tmp_path / "cut.jsonl.gz")
    header = json.loads(lines[0])
    (tmp_path / "newer.jsonl").write_text(json.dumps({**header, "schema_version": 99}) + "\n")
    with pytest.raises(TransferError, match="schema version 99"):
        import_state(target, tmp_path / "newer.jsonl")


def test_export_and_import_from_the_command_line(tmp_path: Path) -> None:
    filled_store(tmp_path / "old" / "mentorbot" / "state.sqlite").close()
    command = [str(Path(sys.executable).with_name("mentorbot")), "--api", WIKI, "state"]
    old = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "old")}
    new = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "new")}
    exported = subprocess.run([*command, "export", str(tmp_path / "s.jsonl.gz")], env=old, capture_output=True,
                              text=True, check=False)
    assert exported.returncode == 0 and "exported" in exported.stdout, exported.stderr
    imported = subprocess.run([*command, "import", str(tmp_path / "s.jsonl.gz")], env=new, capture_output=True,
                              text=True, check=False)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split()[1] == exported.stdout.split()[1]  # the same number of rows
    again = subprocess.run([*command, "import", str(tmp_path / "s.jsonl.gz")], env=new, capture_output=True,
                           text=True, check=False)
    assert again.returncode == 2 and "already holds data" in again.stderr


def test_status_names_how_far_behind_the_logs_are_and_survives_a_broken_position(tmp_path: Path) -> None:
    from bot.status import pending_work

    store = StateStore(tmp_path / "state.sqlite")
    with store.transaction() as db:
        store.set_cursor(db, WIKI, "blocks", "2026-12-01T00:00:00Z")
        store.set_cursor(db, WIKI, "registrations", json.dumps({"start": "2021-01-01T00:00:00Z",
                                                                 "continue": {"lecontinue": "x"},
                                                                 "newest": "2026-11-30T00:00:00Z"}))
    now = datetime(2026, 12, 4, tzinfo=UTC).timestamp()
    assert pending_work(store, WIKI, now) == [
        "block log: read up to 2026-12-01T00:00:00Z (3.0 days behind)",
        "account-creation log: fetch in progress, interrupted or running up to 2026-11-30T00:00:00Z "
        "(4.0 days behind)"]
    with store.transaction() as db:
        store.set_cursor(db, WIKI, "registrations", "{not json")
    assert pending_work(store, WIKI, now)[1].startswith("account-creation log: the stored position is unreadable")
