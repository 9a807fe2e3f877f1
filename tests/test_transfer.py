"""mentorbot state export / import: every table moves, nothing is lost, bad files keep nothing."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.state import StateStore
from bot.transfer import TransferError, export_state, import_state, open_file, tables
from scripts.devdb import MariaServer
from tests.conftest import StateBackend, both_stores, child_env

WIKI = "https://ko.wikipedia.org/w/api.php"


def filled_store(backend: StateBackend) -> StateStore:
    """A store with rows in every table, written through the store's own methods where it has them."""
    store = backend.open()
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
        store.save_log_events(db, wiki_id, [(7, "claimmentee", 1_764_547_200, "초보자", "멘토", "멘토"),
                                            (8, "indefinite-block", 1_764_547_300, "초보자", None, None)])
        store.save_mentor_list_revisions(db, wiki_id, [(31, 1_764_547_000, '{"7":[2,null]}'),
                                                       (32, 1_764_547_100, None)])
    store.save_user_ids(WIKI, {"초보자": 11, "멘토": 0})
    store.record_graduates(WIKI, [11])
    store.record_invitation(WIKI, 12)
    store.record_move(WIKI, 11, "초보자", "멘토", "Mentor B", "mentor removed for inactivity")
    store.plan(WIKI, "sweep", "7:2026-10-01T00:00:00Z:remove", {"action": "remove", "mentor": {"user_id": 7}})
    return store


def contents(store: StateStore) -> dict[str, list[tuple[object, ...]]]:
    return {table: sorted(map(tuple, store.db.execute(f'SELECT * FROM "{table}"')), key=repr)
            for table in tables(store)}


@pytest.mark.parametrize(("source", "target", "name"), [
    ("sqlite", "sqlite", "state.jsonl"), ("sqlite", "mariadb", "state.jsonl.gz"), ("mariadb", "sqlite", "state.jsonl"),
    ("mariadb", "mariadb", "state.jsonl.gz")])
def test_a_round_trip_keeps_every_row_of_every_table(make_state: Callable[[str], StateBackend], tmp_path: Path,
                                                     source: str, target: str, name: str) -> None:
    origin = filled_store(make_state(source))
    counts = export_state(origin, tmp_path / name)
    assert all(counts[table] > 0 for table in counts), counts  # the fixture fills every table
    assert set(counts) == {"runs", "sweep_lapse", "sweep_step", "mentorship_pair", "snapshot", "cursor",
                           "block_notice", "wiki_number", "registration", "graduation", "mentee_move",
                           "journal", "log_event", "user_name_id", "mentor_list_revision"}
    destination = make_state(target).open()
    assert import_state(destination, tmp_path / name) == counts
    assert contents(destination) == contents(origin)
    again = tmp_path / f"again-{name}"
    export_state(destination, again)  # and the file it writes back is the same, line for line
    assert sorted(open_file(again, "r").read().splitlines()) == sorted(
        open_file(tmp_path / name, "r").read().splitlines())
    with destination.transaction() as db:  # ids go on after the imported ones
        db.execute("INSERT INTO snapshot (wiki, taken_at, source, pairs) VALUES (?, 2.5, 'api', 0)", (WIKI,))
    assert [row[0] for row in destination.db.execute("SELECT id FROM snapshot ORDER BY id")] == [1, 2]


@both_stores
def test_an_export_is_one_moment_of_the_store_while_a_job_writes(state_backend: StateBackend, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.transfer

    source, job = filled_store(state_backend), state_backend.open()
    read_rows = bot.transfer.rows

    def rows_while_a_job_writes(store: StateStore, table: str, columns: list[str]) -> Any:
        yield from read_rows(store, table, columns)
        if table == "block_notice":  # the first table is out; a job records its run meanwhile
            job.record_run(WIKI, "late", 9.0, "ok", {})

    monkeypatch.setattr(bot.transfer, "rows", rows_while_a_job_writes)
    counts = export_state(source, tmp_path / "state.jsonl")
    assert counts["runs"] == 1 and '"late"' not in (tmp_path / "state.jsonl").read_text()
    assert job.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2  # the job was not held up


@both_stores
def test_an_import_refuses_a_store_with_data_and_a_bad_line_keeps_nothing(state_backend: StateBackend,
                                                                          make_state: Callable[[str], StateBackend],
                                                                          tmp_path: Path) -> None:
    source = filled_store(state_backend)
    export_state(source, tmp_path / "state.jsonl")
    with pytest.raises(ConfigError, match="already holds data"):
        import_state(source, tmp_path / "state.jsonl")

    lines = (tmp_path / "state.jsonl").read_text().splitlines()
    lines.insert(3, json.dumps({"table": "cursor", "row": {"wiki": WIKI}}))
    (tmp_path / "broken.jsonl").write_text("\n".join(lines) + "\n")
    target = make_state(state_backend.name).open()
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


def test_export_from_sqlite_and_import_into_mariadb_from_the_command_line(tmp_path: Path,
                                                                        mariadb: MariaServer) -> None:
    (tmp_path / "old" / "mentorbot").mkdir(parents=True)  # the default store's folder, as the bot makes it
    filled_store(StateBackend("sqlite", tmp_path / "old" / "mentorbot" / "state.sqlite", None)).close()
    command = [str(Path(sys.executable).with_name("mentorbot")), "--api", WIKI, "state"]
    old = child_env(XDG_STATE_HOME=str(tmp_path / "old"))
    url = mariadb.new_database()
    new = child_env(XDG_STATE_HOME=str(tmp_path / "new"), MENTORBOT_STATE_URL=url)
    exported = subprocess.run([*command, "export", str(tmp_path / "s.jsonl.gz")], env=old, capture_output=True,
                              text=True, check=False)
    assert exported.returncode == 0 and "exported" in exported.stdout, exported.stderr
    imported = subprocess.run([*command, "import", str(tmp_path / "s.jsonl.gz")], env=new, capture_output=True,
                              text=True, check=False)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split()[1] == exported.stdout.split()[1]  # the same number of rows
    assert imported.stdout.rstrip().endswith(url.replace(":test-password", "").split("//", 1)[1])  # no password
    again = subprocess.run([*command, "import", str(tmp_path / "s.jsonl.gz")], env=new, capture_output=True,
                           text=True, check=False)
    assert again.returncode == 2 and "already holds data" in again.stderr
    assert not (tmp_path / "new" / "mentorbot" / "state.sqlite").exists()  # it went to the server only


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


def test_an_export_to_a_folder_that_does_not_exist_is_one_sentence(tmp_path: Path) -> None:
    from bot.config import BotConfig
    from bot.errors import OutputError
    from bot.state import open_store

    store = open_store(BotConfig(api="http://127.0.0.1/w/api.php", state_path=tmp_path / "state.sqlite"))
    target = tmp_path / "missing" / "state.jsonl"
    with pytest.raises(OutputError) as error:
        export_state(store, target)
    assert str(error.value) == f"Cannot write the state export to {target}: No such file or directory."
    assert error.value.exit_code == 2
