"""The state store: migrations, transactions and the per-(wiki, task) run lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError, RunLocked
from bot.state import MIGRATIONS, StateStore


def test_a_new_store_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    again = StateStore(tmp_path / "state.sqlite")  # reopening migrates nothing twice
    assert again.schema_version == len(MIGRATIONS)


def test_a_store_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    store.db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    store.close()
    with pytest.raises(ConfigError, match="upgrade the bot"):
        StateStore(tmp_path / "state.sqlite")


def test_a_failed_unit_of_work_leaves_nothing(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO runs (wiki, task, started_at, finished_at, outcome, summary) "
                   "VALUES ('w', 't', 0, 0, 'ok', '{}')")
        raise RuntimeError("crash in the middle")
    assert store.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_a_second_overlapping_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from bot.state import StateStore\n"
         f"store = StateStore(Path({str(path)!r}))\n"
         "with store.run_lock('wiki', 'sweep'):\n"
         "    print('held', flush=True); sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = StateStore(path)
        with pytest.raises(RunLocked, match="Another 'sweep' run for wiki is in progress"), \
                store.run_lock("wiki", "sweep"):
            pass
        with store.run_lock("wiki", "blocks"):  # another task on the same wiki may run
            pass
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(10)
    with store.run_lock("wiki", "sweep"):  # released when the first run ended
        pass


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    subprocess.run(
        [sys.executable, "-c",
         "import os; from pathlib import Path; from bot.state import StateStore\n"
         f"store = StateStore(Path({str(path)!r}))\n"
         "lock = store.run_lock('wiki', 'sweep'); lock.__enter__(); os._exit(0)\n"],
        check=True,
    )
    store = StateStore(path)
    assert store.db.execute("SELECT COUNT(*) FROM run_lock").fetchone()[0] == 1
    with store.run_lock("wiki", "sweep"):
        pass


def test_a_file_that_is_not_a_state_store_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"these are not the bytes of an SQLite database" * 100)
    with pytest.raises(ConfigError, match=r"state\.sqlite cannot be used: file is not a database"):
        StateStore(path)
    assert path.read_bytes().startswith(b"these are not")  # left as it was, for the operator to look at
