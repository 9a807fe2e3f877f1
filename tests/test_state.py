"""The state store on SQLite and on MariaDB: migrations, transactions, every store method, run locks."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import BotConfig
from bot.database import MariaDatabase, mariadb_sql, mariadb_target
from bot.errors import ConfigError, LockLost, RunLocked, StateError
from bot.state import MIGRATIONS, StateStore, open_store
from scripts.devdb import MariaServer
from tests.conftest import BotRun, DevWiki, StateBackend, both_stores

WIKI = "https://ko.wikipedia.org/w/api.php"


@both_stores
def test_a_new_store_is_migrated_to_the_latest_schema(state_backend: StateBackend) -> None:
    store = state_backend.open()
    assert store.schema_version == len(MIGRATIONS)
    assert set(store.db.table_names()) >= {"run_lock", "runs", "cursor", "registration", "graduation"}
    store.close()
    again = state_backend.open()  # reopening migrates nothing twice
    assert again.schema_version == len(MIGRATIONS)


@both_stores
def test_a_store_from_a_newer_bot_is_refused(state_backend: StateBackend) -> None:
    store = state_backend.open()
    store.db.set_schema_version(len(MIGRATIONS) + 1)
    store.close()
    with pytest.raises(ConfigError, match="upgrade the bot"):
        state_backend.open()


@both_stores
def test_a_failed_unit_of_work_leaves_nothing(state_backend: StateBackend) -> None:
    store = state_backend.open()
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO runs (wiki, task, started_at, finished_at, outcome, summary) "
                   "VALUES ('w', 't', 0, 0, 'ok', '{}')")
        raise RuntimeError("crash in the middle")
    assert store.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


@both_stores
def test_every_store_method_reads_back_what_it_wrote(state_backend: StateBackend) -> None:
    store = state_backend.open()
    store.record_run(WIKI, "sweep", 1_700_000_000.25, "ok", {"requests": 3})
    assert list(store.db.execute("SELECT wiki, task, started_at, outcome, summary FROM runs")) == [
        (WIKI, "sweep", 1_700_000_000.25, "ok", '{"requests": 3}')]

    store.save_lapses(WIKI, {(7, "edits:content>=20"): 10.5, (8, "edits:content>=20"): 11.0}, set())
    store.save_lapses(WIKI, {(7, "edits:content>=20"): 99.0}, {(8, "edits:content>=20")})
    assert store.lapse_starts(WIKI) == {(7, "edits:content>=20"): 10.5}  # the first failure is kept
    warned = datetime(2026, 10, 20, 6, tzinfo=UTC)
    store.record_step(WIKI, 7, "2026-10-01T00:00:00Z", "warn", warned)
    store.record_step(WIKI, 7, "2026-10-01T00:00:00Z", "warn", warned + timedelta(days=1))  # the first one counts
    assert store.sweep_steps(WIKI) == {(7, "2026-10-01T00:00:00Z", "warn"): warned}

    with store.transaction() as db:
        assert store.save_pairs(db, WIKI, 100.0, [(11, "primary", 7, "초보자", "멘토"),
                                                  (11, "backup", 8, None, None)]) == 2
        store.save_pairs(db, WIKI, 200.0, [(11, "primary", 7, None, None), (12, "primary", 9, "Ab", "Later")])
        store.save_pairs(db, WIKI, 50.0, [(11, "primary", 7, None, None)])  # an older dump read late
        store.set_cursor(db, WIKI, "blocks", "a")
        store.set_cursor(db, WIKI, "blocks", "b")
    pair = store.db.execute("SELECT first_seen, last_seen, mentee_name, mentor_name FROM mentorship_pair "
                            "WHERE mentee_id = 11 AND role = 'primary'").fetchone()
    assert tuple(pair) == (50.0, 200.0, "초보자", "멘토")  # the widest span; a name once known stays
    assert store.last_mentor(WIKI, "초보자") == "멘토"
    assert store.last_mentor(WIKI, "AB") is None  # names compare exactly, as on the wiki
    assert store.get_cursor(WIKI, "blocks") == "b"

    wiki_id = store.wiki_number(WIKI)
    assert store.wiki_number(WIKI) == wiki_id != store.wiki_number("other")
    rows = [(log_id, log_id + 1000, 20261201000000 + log_id, "create", 0) for log_id in range(1, 25_001)]
    with store.transaction() as db:
        assert store.save_registrations(db, wiki_id, rows) == 25_000
        again = [*rows[:10], (30_000, None, 20261202000000, "autocreate", 1)]
        assert store.save_registrations(db, wiki_id, again) == 1
    read = list(store.registrations(WIKI))  # more than one page of 10,000
    assert len(read) == 25_001 and read[0] == (1001, 20261201000001, "create", 0)
    assert read[-1] == (None, 20261202000000, "autocreate", 1)
    assert list(store.registrations("other")) == []

    store.record_graduates(WIKI, [1, 2])
    store.settle_graduates(WIKI, [2, 3])
    store.record_invitation(WIKI, 1)
    graduates = store.graduates(WIKI)
    assert graduates[2] == graduates[3] == 0 and graduates[1] is not None and graduates[1] > 0


@both_stores
def test_a_second_overlapping_run_is_refused(state_backend: StateBackend,
                                              spawn: Callable[..., Any]) -> None:
    holder = spawn(
        [sys.executable, "-c", "import sys\n" + state_backend.opening_code() +
         "with store.run_lock('wiki', 'sweep'):\n"
         "    print('held', flush=True); sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = state_backend.open()
        with pytest.raises(RunLocked, match=rf"Another 'sweep' run for wiki is in progress \(process {holder.pid} "), \
                store.run_lock("wiki", "sweep"):
            pass
        with store.run_lock("wiki", "blocks"), store.run_lock("other wiki", "sweep"):  # others may run
            pass
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(10)
    with store.run_lock("wiki", "sweep"):  # released when the first run ended
        assert list(store.db.execute("SELECT pid FROM run_lock")) == [(os.getpid(),)]
    assert store.db.execute("SELECT COUNT(*) FROM run_lock").fetchone()[0] == 0


@both_stores
def test_a_lock_left_by_a_killed_job_is_taken_over(state_backend: StateBackend,
                                                    spawn: Callable[..., Any]) -> None:
    holder = spawn(
        [sys.executable, "-c", state_backend.opening_code() +
         "lock = store.run_lock('wiki', 'sweep'); lock.__enter__(); print('held', flush=True)\n"
         "import time; time.sleep(600)\n"],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    store = state_backend.open()
    with pytest.raises(RunLocked), store.run_lock("wiki", "sweep"):
        pass
    holder.send_signal(signal.SIGKILL)  # no cleanup of any kind
    holder.wait(10)
    assert store.db.execute("SELECT COUNT(*) FROM run_lock").fetchone()[0] == 1  # its row is still there
    with store.run_lock("wiki", "sweep"):
        pass


def test_on_mariadb_a_lock_held_from_another_host_is_honoured_until_its_connection_ends(
        make_state: Callable[[str], StateBackend], spawn: Callable[..., Any]) -> None:
    """SQLite cannot tell whether a process on another host lives; the database server can."""
    backend = make_state("mariadb")
    holder = spawn(
        [sys.executable, "-c", "import sys, socket; socket.gethostname = lambda: 'tools-k8s-worker-42'\n"
         + backend.opening_code() +
         "with store.run_lock('wiki', 'sweep'):\n"
         "    print('held', flush=True); sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    first, second = backend.open(), backend.open()
    for store in (first, second):
        with pytest.raises(RunLocked, match="on tools-k8s-worker-42, since"), store.run_lock("wiki", "sweep"):
            pass
    holder.kill()
    holder.wait(10)
    with first.run_lock("wiki", "sweep"), \
            pytest.raises(RunLocked, match=f"process {os.getpid()} on "), second.run_lock("wiki", "sweep"):
        pass  # the server let go of the killed job's lock at once; now the first store holds it


def test_a_file_that_is_not_a_state_store_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"these are not the bytes of an SQLite database" * 100)
    with pytest.raises(ConfigError, match=r"state\.sqlite cannot be used: file is not a database"):
        StateStore(path)
    assert path.read_bytes().startswith(b"these are not")  # left as it was, for the operator to look at


def test_mariadb_takes_its_user_from_a_credentials_file_and_refuses_a_shared_one(
        mariadb: MariaServer, tmp_path: Path) -> None:
    url = mariadb.new_database()
    server_url = "mariadb://" + url.split("@", 1)[1]  # no user or password in the URL
    credentials = tmp_path / "replica.my.cnf"
    credentials.write_text("[client]\nuser = mentorbot\npassword = 'test-password'\n")
    credentials.chmod(0o600)
    store = open_store(BotConfig(state_url=server_url, state_credentials=credentials))
    assert store.schema_version == len(MIGRATIONS) and store.description.startswith("mariadb://mentorbot@127.0.0.1:")

    credentials.chmod(0o644)
    with pytest.raises(ConfigError, match=r"replica\.my\.cnf can be read or changed by others \(mode 644\); "
                                          r"make it private with: chmod 600"):
        open_store(BotConfig(state_url=server_url, state_credentials=credentials))
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o644  # the bot does not change it itself
    with pytest.raises(ConfigError, match="needs a user"):
        mariadb_target(server_url, None)
    with pytest.raises(ConfigError, match=r"cannot be used: Access denied for user 'mentorbot'"):
        open_store(BotConfig(state_url=url.replace("test-password", "wrong")))


def test_mariadb_refuses_a_malformed_url_by_its_text_without_its_password() -> None:
    for url in ("mariadb://u:s3cret@host", "mariadb://u:s3cret@/database", "postgres://u:s3cret@h/d",
                "mariadb://u:s3cret@h:port/d"):
        with pytest.raises(ConfigError, match="state_url") as refused:
            mariadb_target(url, None)
        assert "s3cret" not in str(refused.value) and "u:***@" in str(refused.value)
    with pytest.raises(ConfigError, match="state_url must be a MariaDB URL"):
        BotConfig(api="https://x.test/w/api.php", state_url="sqlite:///x").validate()


def kill_connection(mariadb: MariaServer, store: StateStore) -> None:
    assert isinstance(store.db, MariaDatabase)
    with mariadb.root() as root, root.cursor() as cursor:
        cursor.execute(f"KILL {store.db.connection.thread_id()}")


def test_a_lost_connection_is_a_clear_error_and_the_run_lock_goes_with_it(
        make_state: Callable[[str], StateBackend], mariadb: MariaServer) -> None:
    backend = make_state("mariadb")
    store, other = backend.open(), backend.open()
    with pytest.raises(StateError) as lost, store.run_lock("wiki", "sweep") as lock_check:
        lock_check()  # held
        kill_connection(mariadb, store)
        with other.run_lock("wiki", "sweep"):  # the server let go of the lock with the connection
            pass
        store.record_run("wiki", "sweep", 0, "ok", {})
    # The first error is the one told, not the cleanup's after it.
    assert re.fullmatch(r"The state store mariadb://mentorbot@127\.0\.0\.1:\d+/\w+: "
                        r"(Lost connection to (MySQL|MariaDB) server during query|.*server has gone away)",
                        str(lost.value)), str(lost.value)
    with pytest.raises(StateError, match=r": the connection is gone \(lost earlier in this run\)"):
        store.get_cursor("wiki", "blocks")


def test_a_run_that_lost_its_lock_sends_no_further_write(
        make_state: Callable[[str], StateBackend], mariadb: MariaServer, make_bot: Callable[..., BotRun],
        wiki: DevWiki) -> None:
    store = make_state("mariadb").open()
    admin = wiki.admin()
    with pytest.raises(LockLost, match="no longer holds its lock for 'blocks'"), \
            store.run_lock(wiki.api, "blocks") as lock_check:
        gateway = make_bot().gateway
        gateway.lock_check = lock_check
        gateway.post("edit", title="Lock test", text="first", summary="test")
        assert isinstance(store.db, MariaDatabase)  # the lock goes while the connection stays
        store.db.execute("SELECT RELEASE_LOCK(?)", (store.db.lock_name(f"run:{wiki.api}:blocks"),))
        gateway.post("edit", title="Lock test", text="second", summary="test")
    with pytest.raises(StateError, match=r"Lost connection|gone away"), \
            store.run_lock(wiki.api, "blocks") as lock_check:
        gateway.lock_check = lock_check
        kill_connection(mariadb, store)
        gateway.post("edit", title="Lock test", text="third", summary="test")
    assert admin.page_text("Lock test") == "first"


def test_a_stream_cut_off_by_a_lost_connection_is_a_clear_error(
        make_state: Callable[[str], StateBackend], mariadb: MariaServer) -> None:
    store = make_state("mariadb").open()
    rows = [(log_id, log_id, 20261201000000, "create", 0) for log_id in range(1, 300_001)]
    wiki_id = store.wiki_number("wiki")
    with store.transaction() as db:
        store.save_registrations(db, wiki_id, rows)
    cursor = store.db.stream("SELECT * FROM registration")
    assert len(cursor.fetchmany(10)) == 10
    kill_connection(mariadb, store)
    with pytest.raises(StateError, match=r"The state store mariadb://\S+: "):
        list(cursor)  # far more than the server had sent when it was cut off


def test_a_run_whose_store_fails_says_so_beside_its_outcome(
        make_state: Callable[[str], StateBackend], mariadb: MariaServer, wiki: DevWiki, tmp_path: Path) -> None:
    from bot.gateway import Gateway
    from bot.runner import GlobalOptions, TaskOutcome, run_task

    backend = make_state("mariadb")
    config = BotConfig(api=wiki.api, username=wiki.bot_user, password=wiki.bot_password, state_url=backend.url,
                       pywikibot_dir=tmp_path / "pywikibot")

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        assert store is not None
        kill_connection(mariadb, store)  # the database goes away while the task works
        return TaskOutcome({}, ["task done"])

    result = run_task(GlobalOptions(None, None, None, False, False), "mentors", body, lock=True, config=config)
    assert result.status == "error" and result.exit_code == 1
    assert re.match(r"The state store mariadb://\S+: (Lost connection|.*gone away).* The run could not be "
                    r"recorded: The state store mariadb://\S+: the connection is gone", result.message), result.message
    assert backend.open().db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


@both_stores
def test_what_sqlite_refuses_mariadb_refuses_too(state_backend: StateBackend) -> None:
    store = state_backend.open()
    with pytest.raises(StateError, match="a unit of work cannot begin inside another"), \
            store.transaction() as db:
        db.execute("INSERT INTO runs (wiki, task, started_at, finished_at, outcome, summary) "
                   "VALUES ('w', 't', 0, 0, 'ok', '{}')")
        with store.transaction():
            pass
    assert store.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0  # the outer one is undone
    with store.run_lock("wiki", "sweep"), pytest.raises(RunLocked), store.run_lock("wiki", "sweep"):
        pass  # the same store, asked twice in one process
    with store.transaction() as db:
        store.set_cursor(db, "wiki", "blocks", "a")
        store.set_cursor(db, "wiki", "blocks ", "b")  # a trailing space makes another name
        assert store.save_registrations(db, 1, []) == 0
    assert (store.get_cursor("wiki", "blocks"), store.get_cursor("wiki", "blocks ")) == ("a", "b")
    store.close()
    store.close()  # twice is harmless


def test_mariadb_refuses_a_value_too_long_for_its_column_instead_of_cutting_it(
        make_state: Callable[[str], StateBackend]) -> None:
    store = make_state("mariadb").open()
    warned = datetime(2026, 10, 20, tzinfo=UTC)
    store.record_step("wiki", 7, "2026-10-01T00:00:00Z", "warn", warned)
    store.record_step("wiki", 7, "2026-10-01T00:00:00Z", "warn")  # a duplicate is passed over
    with pytest.raises(StateError, match="Data too long for column 'lapse_start'"):
        store.record_step("wiki", 7, "x" * 100, "warn")
    assert store.sweep_steps("wiki") == {(7, "2026-10-01T00:00:00Z", "warn"): warned}


def test_mariadb_statements_are_rewritten_only_where_the_dialects_differ() -> None:
    assert mariadb_sql("SELECT a FROM t WHERE b = ? AND c LIKE 'x'") == "SELECT a FROM t WHERE b = %s AND c LIKE 'x'"
    assert mariadb_sql("INSERT OR IGNORE INTO t (a, b) VALUES (?, ?)") == (
        "INSERT INTO t (a, b) VALUES (%s, %s) ON DUPLICATE KEY UPDATE a = a")
    assert mariadb_sql("INSERT OR REPLACE INTO t (a) VALUES (?)") == "REPLACE INTO t (a) VALUES (%s)"
    assert mariadb_sql("INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET "
                       "b = MAX(b, excluded.b), c = COALESCE(excluded.c, c)") == (
        "INSERT INTO t (a, b) VALUES (%s, %s) ON DUPLICATE KEY UPDATE b = GREATEST(b, VALUES(b)), "
        "c = COALESCE(VALUES(c), c)")
