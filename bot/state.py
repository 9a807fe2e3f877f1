"""The bot's memory: an embedded SQLite database with versioned migrations.

One transaction per unit of work (``with store.transaction():``) and a run lock per
(wiki, task), so two overlapping scheduled runs never act twice.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from bot.config import BotConfig
from bot.database import Database, SqliteDatabase, open_database
from bot.errors import ConfigError, LockLost, RunLocked, StateError
from bot.words import counted

# Each entry moves the schema one version up; never change what a released entry does, append a new
# one. The statements are SQLite's; MariaDB gets them through database.mariadb_ddl. Text that is
# part of a key is VARCHAR, which SQLite stores as TEXT and MariaDB can index.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE run_lock (
        wiki VARCHAR(255) NOT NULL,
        task VARCHAR(64) NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at REAL NOT NULL,
        PRIMARY KEY (wiki, task)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        wiki VARCHAR(255) NOT NULL,
        task VARCHAR(64) NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL NOT NULL,
        outcome TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE sweep_lapse (
        wiki VARCHAR(255) NOT NULL,
        user_id INTEGER NOT NULL,
        measure VARCHAR(255) NOT NULL,
        first_failed_at REAL NOT NULL,
        PRIMARY KEY (wiki, user_id, measure)
    );
    CREATE TABLE sweep_step (
        wiki VARCHAR(255) NOT NULL,
        user_id INTEGER NOT NULL,
        lapse_start VARCHAR(64) NOT NULL,
        stage VARCHAR(64) NOT NULL,
        done_at REAL NOT NULL,
        PRIMARY KEY (wiki, user_id, lapse_start, stage)
    );
    """,
    """
    CREATE TABLE mentorship_pair (
        wiki VARCHAR(255) NOT NULL,
        mentee_id INTEGER NOT NULL,
        role VARCHAR(64) NOT NULL,
        mentor_id INTEGER NOT NULL,
        mentee_name VARCHAR(255),
        mentor_name VARCHAR(255),
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        PRIMARY KEY (wiki, mentee_id, role, mentor_id)
    );
    CREATE INDEX mentorship_pair_by_mentee_name ON mentorship_pair (wiki, mentee_name);
    CREATE TABLE snapshot (
        id INTEGER PRIMARY KEY,
        wiki VARCHAR(255) NOT NULL,
        taken_at REAL NOT NULL,
        source TEXT NOT NULL,
        pairs INTEGER NOT NULL
    );
    CREATE TABLE "cursor" (
        wiki VARCHAR(255) NOT NULL,
        task VARCHAR(64) NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (wiki, task)
    );
    CREATE TABLE block_notice (
        wiki VARCHAR(255) NOT NULL,
        log_id INTEGER NOT NULL,
        mentee VARCHAR(255) NOT NULL,
        mentor VARCHAR(255),
        action TEXT NOT NULL,
        indefinite INTEGER NOT NULL,
        handled_at REAL NOT NULL,
        PRIMARY KEY (wiki, log_id)
    );
    """,
    # Reports. Registrations run to millions of rows a wiki, so they name the wiki by a small
    # number and keep only what the coverage report counts.
    """
    CREATE TABLE wiki_number (
        id INTEGER PRIMARY KEY,
        wiki VARCHAR(255) NOT NULL UNIQUE
    );
    CREATE TABLE registration (
        wiki_id INTEGER NOT NULL,
        log_id INTEGER NOT NULL,
        user_id INTEGER,
        created INTEGER NOT NULL,
        action VARCHAR(64) NOT NULL,
        temporary INTEGER NOT NULL,
        PRIMARY KEY (wiki_id, log_id)
    ) WITHOUT ROWID;
    CREATE TABLE graduation (
        wiki VARCHAR(255) NOT NULL,
        user_id INTEGER NOT NULL,
        first_met_at REAL NOT NULL,
        invited_at REAL,
        PRIMARY KEY (wiki, user_id)
    );
    """,
    # Mentees the bot gave another mentor: GrowthExperiments did not choose these, each mentee was
    # notified, and a mentee whose mentorship was off has it on now; researchers leave them out.
    """
    CREATE TABLE mentee_move (
        id INTEGER PRIMARY KEY,
        wiki VARCHAR(255) NOT NULL,
        mentee_id INTEGER,
        mentee_name VARCHAR(255) NOT NULL,
        from_mentor VARCHAR(255),
        to_mentor VARCHAR(255) NOT NULL,
        moved_at REAL NOT NULL,
        reason TEXT NOT NULL
    );
    """,
    # Multi-step work, recorded before its first write and marked finished after its last, so a
    # run killed between the steps is finished by the next one before it decides anything new.
    """
    CREATE TABLE journal (
        wiki VARCHAR(255) NOT NULL,
        task VARCHAR(64) NOT NULL,
        entry VARCHAR(255) NOT NULL,
        plan TEXT NOT NULL,
        planned_at REAL NOT NULL,
        finished_at REAL,
        PRIMARY KEY (wiki, task, entry)
    );
    """,
    # History: the logs that date changes of mentor (growthexperiments) and the indefinite blocks that
    # drop a pair (block), by the names they carry, and the user ids those names stood for when asked.
    """
    CREATE TABLE log_event (
        wiki_id INTEGER NOT NULL,
        log_id INTEGER NOT NULL,
        kind VARCHAR(64) NOT NULL,
        at INTEGER NOT NULL,
        target VARCHAR(255) NOT NULL,
        performer VARCHAR(255),
        new_mentor VARCHAR(255),
        PRIMARY KEY (wiki_id, log_id)
    ) WITHOUT ROWID;
    CREATE TABLE user_name_id (
        wiki_id INTEGER NOT NULL,
        name VARCHAR(255) NOT NULL,
        user_id INTEGER NOT NULL,
        PRIMARY KEY (wiki_id, name)
    ) WITHOUT ROWID;
    CREATE TABLE mentor_list_revision (
        wiki_id INTEGER NOT NULL,
        rev_id INTEGER NOT NULL,
        at INTEGER NOT NULL,
        mentors TEXT,
        PRIMARY KEY (wiki_id, rev_id)
    ) WITHOUT ROWID;
    """,
)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# What an operator would miss if the store started over: table -> what a row is, in words.
CONTENT_TABLES = {"runs": ("run", "runs"), "snapshot": ("snapshot", "snapshots"),
                  "mentorship_pair": ("mentorship pair seen", "mentorship pairs seen"),
                  "registration": ("account registration", "account registrations"),
                  "block_notice": ("block notice", "block notices"), "graduation": ("graduation", "graduations"),
                  "mentee_move": ("mentee move", "mentee moves"), "cursor": ("log cursor", "log cursors"),
                  "log_event": ("mentor change or block logged", "mentor changes and blocks logged"),
                  "mentor_list_revision": ("revision of the mentor list", "revisions of the mentor list")}


@dataclass(frozen=True)
class StoreContents:
    description: str
    first_run: float | None  # started_at of the oldest recorded run
    rows: dict[str, int]

    def sentence(self, now: float) -> str:
        """'<store>, first run 3.2 days ago; 12 runs, 2 snapshots, ...' for check and status."""
        age = (f"first run {ago(now - self.first_run)} ago" if self.first_run is not None
               else "no run recorded yet")
        held = ", ".join(counted(count, *CONTENT_TABLES[table]) for table, count in self.rows.items())
        return f"{self.description}, {age}; {held}"


def ago(seconds: float) -> str:
    """A duration for people: minutes, hours or days."""
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


class StateStore:
    def __init__(self, database: Database | Path) -> None:
        """A store on ``database``; a path means an SQLite file there."""
        self.db = database if isinstance(database, Database) else SqliteDatabase(database)
        self.migrate()

    @property
    def description(self) -> str:
        return self.db.description

    @property
    def schema_version(self) -> int:
        return self.db.schema_version()

    def migrate(self) -> None:
        with self.db.exclusive():
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise ConfigError(
                    f"The state store {self.description} has schema version {version}, newer than this "
                    f"bot knows ({len(MIGRATIONS)}): upgrade the bot."
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.create(statement)
                self.db.set_schema_version(number)

    def transaction(self) -> AbstractContextManager[Database]:
        """One unit of work: all of it is stored, or none of it."""
        return self.db.transaction()

    @contextmanager
    def run_lock(self, wiki: str, task: str) -> Iterator[Callable[[], None]]:
        """Hold the (wiki, task) lock for the block, or refuse if another live run holds it.

        On a database server the lock is the server's, held by this connection: it works across
        hosts and goes with a crashed job. The row only tells others who holds it. In SQLite the
        row is the lock, and a holder whose process is gone from this host is taken over.
        Yields a check that raises once the lock is no longer this run's (the connection ended),
        for the gateway to call before each write.
        """
        host, pid = socket.gethostname(), os.getpid()
        key = f"run:{wiki}:{task}"
        if self.db.server_locks and not self.db.try_lock(key):
            raise RunLocked(self._held_by(wiki, task))
        try:
            with self.transaction() as db:
                row = db.execute(
                    "SELECT host, pid, acquired_at FROM run_lock WHERE wiki = ? AND task = ?", (wiki, task)
                ).fetchone()
                if row is not None and not self.db.server_locks:
                    held_host, held_pid, _since = row
                    if held_host != host or _process_alive(held_pid):
                        raise RunLocked(self._held_by(wiki, task, row))
                db.execute(
                    "INSERT OR REPLACE INTO run_lock (wiki, task, host, pid, acquired_at) VALUES (?, ?, ?, ?, ?)",
                    (wiki, task, host, pid, time.time()),
                )
        except BaseException:
            self._release_server_lock(key)
            raise

        def confirm() -> None:
            if self.db.server_locks and not self.db.holds_lock(key):
                raise LockLost(f"Stopped: this run no longer holds its lock for '{task}' on {wiki} in the state "
                               f"store {self.description}; another run may have begun. Nothing more is written.")

        try:
            yield confirm
        except BaseException:
            with suppress(StateError):  # a lost store must not hide what stopped the run
                self._unlock(wiki, task, host, pid, key)
            raise
        self._unlock(wiki, task, host, pid, key)

    def _unlock(self, wiki: str, task: str, host: str, pid: int, key: str) -> None:
        try:
            with self.transaction() as db:
                db.execute("DELETE FROM run_lock WHERE wiki = ? AND task = ? AND host = ? AND pid = ?",
                           (wiki, task, host, pid))
        finally:
            self._release_server_lock(key)

    def _release_server_lock(self, key: str) -> None:
        if self.db.server_locks:
            with suppress(StateError):  # with the connection gone the server has let go already
                self.db.release_lock(key)

    def _held_by(self, wiki: str, task: str, row: Any = None) -> str:
        if row is None:
            row = self.db.execute(
                "SELECT host, pid, acquired_at FROM run_lock WHERE wiki = ? AND task = ?", (wiki, task)).fetchone()
        holder = "by another process"
        if row is not None:
            held_host, held_pid, since = row
            started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since))
            holder = f"(process {held_pid} on {held_host}, since {started})"
        return f"Another '{task}' run for {wiki} is in progress {holder}; this run did nothing."

    def record_run(self, wiki: str, task: str, started_at: float, outcome: str,
                   summary: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs (wiki, task, started_at, finished_at, outcome, summary) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (wiki, task, started_at, time.time(), outcome, json.dumps(summary)),
            )

    # --- sweep -------------------------------------------------------------------------

    def lapse_starts(self, wiki: str) -> dict[tuple[int, str], float]:
        """When each mentor first failed each count rule: (user id, measure key) -> time."""
        rows = self.db.execute("SELECT user_id, measure, first_failed_at FROM sweep_lapse WHERE wiki = ?", (wiki,))
        return {(user_id, measure): first for user_id, measure, first in rows}

    def save_lapses(self, wiki: str, failing: dict[tuple[int, str], float], passing: set[tuple[int, str]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO sweep_lapse (wiki, user_id, measure, first_failed_at) VALUES (?, ?, ?, ?)",
                [(wiki, user_id, measure, first) for (user_id, measure), first in failing.items()],
            )
            db.executemany(
                "DELETE FROM sweep_lapse WHERE wiki = ? AND user_id = ? AND measure = ?",
                [(wiki, user_id, measure) for user_id, measure in passing],
            )

    def sweep_steps(self, wiki: str) -> dict[tuple[int, str, str], datetime]:
        """Stages already done, and when: (user id, lapse start, stage) -> the sweep's time."""
        rows = self.db.execute("SELECT user_id, lapse_start, stage, done_at FROM sweep_step WHERE wiki = ?", (wiki,))
        return {(user_id, lapse, stage): datetime.fromtimestamp(done, UTC) for user_id, lapse, stage, done in rows}

    def record_step(self, wiki: str, user_id: int, lapse_start: str, stage: str, at: datetime | None = None) -> None:
        """A stage done; ``at`` is the sweep's own time (its notice period counts from there)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO sweep_step (wiki, user_id, lapse_start, stage, done_at) VALUES (?, ?, ?, ?, ?)",
                (wiki, user_id, lapse_start, stage, (at or datetime.now(UTC)).timestamp()),
            )

    def plan(self, wiki: str, task: str, entry: str, plan: dict[str, Any]) -> None:
        """Record work before its first write (the same entry planned again is open again)."""
        with self.transaction() as db:
            db.execute("INSERT INTO journal (wiki, task, entry, plan, planned_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (wiki, task, entry) DO UPDATE SET plan = excluded.plan, "
                       "planned_at = excluded.planned_at, finished_at = NULL",
                       (wiki, task, entry, json.dumps(plan, ensure_ascii=False), time.time()))

    def finish(self, wiki: str, task: str, entry: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE journal SET finished_at = ? WHERE wiki = ? AND task = ? AND entry = ?",
                       (time.time(), wiki, task, entry))

    def unfinished(self, wiki: str, task: str) -> list[tuple[str, dict[str, Any]]]:
        """Work a run planned and did not finish, oldest first."""
        rows = self.db.execute("SELECT entry, plan FROM journal WHERE wiki = ? AND task = ? AND finished_at IS NULL "
                               "ORDER BY planned_at", (wiki, task))
        return [(entry, json.loads(plan)) for entry, plan in rows]

    def record_move(self, wiki: str, mentee_id: int | None, mentee: str, from_mentor: str | None,
                    to_mentor: str, reason: str) -> None:
        """A mentee the bot gave another mentor, once the wiki confirmed it."""
        with self.transaction() as db:
            db.execute("INSERT INTO mentee_move (wiki, mentee_id, mentee_name, from_mentor, to_mentor, moved_at, "
                       "reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (wiki, mentee_id, mentee, from_mentor, to_mentor, time.time(), reason))

    def moves(self, wiki: str) -> list[tuple[int | None, str, str | None, str, float, str]]:
        """Every recorded move: mentee id and name, from, to, when, why."""
        return [tuple(row) for row in self.db.execute(
            "SELECT mentee_id, mentee_name, from_mentor, to_mentor, moved_at, reason FROM mentee_move "
            "WHERE wiki = ? ORDER BY id", (wiki,))]

    # --- snapshots and blocks ------------------------------------------------------------

    def save_pairs(self, db: Database, wiki: str, taken_at: float,
                   pairs: Iterable[tuple[int, str, int, str | None, str | None]]) -> int:
        """Record pairs seen now, inside the caller's transaction; a vanished pair is kept as history."""
        count = 0
        for chunk in batched(pairs, 10_000):
            db.executemany(
                "INSERT INTO mentorship_pair (wiki, mentee_id, role, mentor_id, mentee_name, mentor_name, "
                "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (wiki, mentee_id, role, mentor_id) DO UPDATE SET "
                "last_seen = MAX(last_seen, excluded.last_seen), first_seen = MIN(first_seen, excluded.first_seen), "
                "mentee_name = COALESCE(excluded.mentee_name, mentee_name), "
                "mentor_name = COALESCE(excluded.mentor_name, mentor_name)",
                [(wiki, mentee, role, mentor, mentee_name, mentor_name, taken_at, taken_at)
                 for mentee, role, mentor, mentee_name, mentor_name in chunk],
            )
            count += len(chunk)
        return count

    def save_snapshot(self, wiki: str, taken_at: float, source: str,
                      pairs: Iterable[tuple[int, str, int, str | None, str | None]]) -> int:
        """The pairs of one snapshot (``api`` or ``dump:<file>``) and its record, in one unit of work."""
        with self.transaction() as db:
            count = self.save_pairs(db, wiki, taken_at, pairs)
            db.execute("INSERT INTO snapshot (wiki, taken_at, source, pairs) VALUES (?, ?, ?, ?)",
                       (wiki, taken_at, source, count))
        return count

    def newest_snapshot(self, wiki: str) -> tuple[float, str] | None:
        """When the newest snapshot was taken, and from what."""
        row = self.db.execute("SELECT taken_at, source FROM snapshot WHERE wiki = ? ORDER BY taken_at DESC LIMIT 1",
                              (wiki,)).fetchone()
        return (float(row[0]), str(row[1])) if row else None

    def mentees_seen_since(self, wiki: str, role: str, since: float) -> Iterator[int]:
        """Mentee ids with a pair in this role seen at or after ``since``, streamed."""
        cursor = self.db.stream("SELECT mentee_id FROM mentorship_pair WHERE wiki = ? AND role = ? AND last_seen >= ?",
                                (wiki, role, since))
        while batch := cursor.fetchmany(10_000):
            yield from (mentee for (mentee,) in batch)

    def mentee_count(self, wiki: str, role: str, since: float) -> int:
        """How many mentees :meth:`mentees_seen_since` streams."""
        (count,) = self.db.execute("SELECT COUNT(*) FROM mentorship_pair WHERE wiki = ? AND role = ? "
                                   "AND last_seen >= ?", (wiki, role, since)).fetchone()
        return int(count)

    def unnamed_ids(self, wiki: str) -> list[int]:
        """User ids in recorded pairs that have no name yet (from a dump)."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT id FROM (SELECT mentee_id AS id FROM mentorship_pair "
            "WHERE wiki = ? AND mentee_name IS NULL "
            "UNION SELECT mentor_id FROM mentorship_pair WHERE wiki = ? AND mentor_name IS NULL) AS unnamed",
            (wiki, wiki))]

    def name_ids(self, wiki: str, names: dict[int, str]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE mentorship_pair SET mentee_name = ? WHERE wiki = ? AND mentee_id = ?",
                           [(name, wiki, user_id) for user_id, name in names.items()])
            db.executemany("UPDATE mentorship_pair SET mentor_name = ? WHERE wiki = ? AND mentor_id = ?",
                           [(name, wiki, user_id) for user_id, name in names.items()])

    # --- block notices

    def handled_block_entries(self, wiki: str) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT log_id FROM block_notice WHERE wiki = ?", (wiki,))}

    def record_block_entry(self, wiki: str, log_id: int, mentee: str, mentor: str | None, action: str,
                           indefinite: bool) -> None:
        """A block-log entry handled: it will not be noticed again, even if the cursor is older."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO block_notice (wiki, log_id, mentee, mentor, action, indefinite, "
                       "handled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (wiki, log_id, mentee, mentor, action, int(indefinite), time.time()))

    def mentor_recorded_at_block(self, wiki: str, mentee: str) -> str | None:
        """The mentor the bot recorded with the mentee's latest handled block entry."""
        row = self.db.execute("SELECT mentor FROM block_notice WHERE wiki = ? AND mentee = ? AND mentor IS NOT NULL "
                              "ORDER BY log_id DESC LIMIT 1", (wiki, mentee)).fetchone()
        return str(row[0]) if row else None

    def was_indefinitely_blocked(self, wiki: str, mentee: str, before_log_id: int) -> bool:
        """Whether the mentee's latest handled entry before this one was an indefinite block."""
        row = self.db.execute("SELECT indefinite FROM block_notice WHERE wiki = ? AND mentee = ? AND log_id < ? "
                              "ORDER BY log_id DESC LIMIT 1", (wiki, mentee, before_log_id)).fetchone()
        return bool(row and row[0])

    # --- runs

    def newest_runs(self) -> dict[tuple[str, str], list[tuple[float, str, str]]]:
        """Per (wiki, task), its last 100 runs, newest first: finished_at, outcome, summary (JSON)."""
        pairs = self.db.execute("SELECT DISTINCT wiki, task FROM runs ORDER BY wiki, task").fetchall()
        return {(wiki, task): [tuple(row) for row in self.db.execute(
            "SELECT finished_at, outcome, summary FROM runs WHERE wiki = ? AND task = ? "
            "ORDER BY finished_at DESC LIMIT 100", (wiki, task)).fetchall()] for wiki, task in pairs}

    def contents(self) -> StoreContents:
        """When the store's first run was recorded, and how many rows of each kind of history it holds."""
        (first,) = self.db.execute("SELECT MIN(started_at) FROM runs").fetchone()
        rows = {table: int(self.db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
                for table in CONTENT_TABLES}
        return StoreContents(self.description, float(first) if first is not None else None, rows)

    def last_mentor(self, wiki: str, mentee_name: str, role: str = "primary") -> str | None:
        """The mentor most recently seen for this mentee in any snapshot."""
        row = self.db.execute(
            "SELECT mentor_name FROM mentorship_pair WHERE wiki = ? AND mentee_name = ? AND role = ? "
            "AND mentor_name IS NOT NULL ORDER BY last_seen DESC, first_seen DESC LIMIT 1",
            (wiki, mentee_name, role)).fetchone()
        return str(row[0]) if row else None

    def get_cursor(self, wiki: str, task: str) -> str | None:
        row = self.db.execute('SELECT value FROM "cursor" WHERE wiki = ? AND task = ?', (wiki, task)).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, db: Database, wiki: str, task: str, value: str) -> None:
        db.execute('INSERT OR REPLACE INTO "cursor" (wiki, task, value) VALUES (?, ?, ?)', (wiki, task, value))

    # --- reports ---------------------------------------------------------------------------

    def wiki_number(self, wiki: str) -> int:
        """The small number that stands for a wiki in the large tables."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO wiki_number (wiki) VALUES (?)", (wiki,))
            return int(db.execute("SELECT id FROM wiki_number WHERE wiki = ?", (wiki,)).fetchone()[0])

    def save_registrations(self, db: Database, wiki_id: int,
                           rows: Iterable[tuple[int, int | None, int, str, int]]) -> int:
        """(log id, user id, created as yyyymmddhhmmss, action, temporary 0/1), inside the caller's transaction.

        Returns how many were new (one already stored, by log id, is left as it is).
        """
        return db.executemany("INSERT OR IGNORE INTO registration (wiki_id, log_id, user_id, created, action, "
                              "temporary) VALUES (?, ?, ?, ?, ?, ?)", ((wiki_id, *row) for row in rows)).rowcount

    def registrations(self, wiki: str) -> Iterator[tuple[int | None, int, str, int]]:
        """Every stored registration: (user id, created as yyyymmddhhmmss, action, temporary), oldest first."""
        for page in self.registration_pages(wiki):
            yield from page

    def registration_pages(self, wiki: str) -> Iterator[list[tuple[int | None, int, str, int]]]:
        """The stored registrations as :meth:`registrations` gives them, 10,000 at a time (no Python per row)."""
        wiki_id, after = self.wiki_number(wiki), -1
        # Page by key: memory stays flat on any server, and no result set is held open between pages.
        while rows := self.db.execute("SELECT log_id, user_id, created, action, temporary FROM registration "
                                      "WHERE wiki_id = ? AND log_id > ? ORDER BY log_id LIMIT 10000",
                                      (wiki_id, after)).fetchall():
            after = rows[-1][0]
            yield [row[1:] for row in rows]

    def save_log_events(self, db: Database, wiki_id: int,
                        rows: Iterable[tuple[int, str, int, str, str | None, str | None]]) -> int:
        """(log id, kind, at as Unix seconds, target name, performer, new mentor), inside the caller's transaction."""
        return db.executemany("INSERT OR IGNORE INTO log_event (wiki_id, log_id, kind, at, target, performer, "
                              "new_mentor) VALUES (?, ?, ?, ?, ?, ?, ?)", ((wiki_id, *row) for row in rows)).rowcount

    def log_events(self, wiki: str) -> list[tuple[str, int, str, str | None, str | None]]:
        """Every stored event: (kind, at, target, performer, new mentor), oldest first."""
        return [tuple(row) for row in self.db.execute(
            "SELECT kind, at, target, performer, new_mentor FROM log_event WHERE wiki_id = ? ORDER BY at, log_id",
            (self.wiki_number(wiki),)).fetchall()]

    def save_mentor_list_revisions(self, db: Database, wiki_id: int,
                                   rows: Iterable[tuple[int, int, str | None]]) -> int:
        """(revision id, at as Unix seconds, the mentors as JSON or None where the page did not parse)."""
        return db.executemany("INSERT OR IGNORE INTO mentor_list_revision (wiki_id, rev_id, at, mentors) "
                              "VALUES (?, ?, ?, ?)", ((wiki_id, *row) for row in rows)).rowcount

    def mentor_list_revisions(self, wiki: str) -> list[tuple[int, int, str | None]]:
        """Every stored revision of the mentor list, oldest first: (revision id, at, mentors as JSON)."""
        return [tuple(row) for row in self.db.execute(
            "SELECT rev_id, at, mentors FROM mentor_list_revision WHERE wiki_id = ? ORDER BY rev_id",
            (self.wiki_number(wiki),)).fetchall()]

    def user_ids(self, wiki: str) -> dict[str, int]:
        """Names looked up before, with the user id each stood for (0: no such user)."""
        return dict(self.db.execute("SELECT name, user_id FROM user_name_id WHERE wiki_id = ?",
                                    (self.wiki_number(wiki),)).fetchall())

    def save_user_ids(self, wiki: str, ids: dict[str, int]) -> None:
        wiki_id = self.wiki_number(wiki)
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO user_name_id (wiki_id, name, user_id) VALUES (?, ?, ?)",
                           [(wiki_id, name, user_id) for name, user_id in ids.items()])

    def snapshot_times(self, wiki: str, source: str) -> list[float]:
        """When each snapshot from this source (``api``) was taken, oldest first."""
        return [float(row[0]) for row in self.db.execute(
            "SELECT taken_at FROM snapshot WHERE wiki = ? AND source = ? ORDER BY taken_at", (wiki, source))]

    def pairs_seen_at(self, wiki: str, moment: float) -> list[tuple[int, str, int]]:
        """(mentee id, role, mentor id) of every pair seen at or around a snapshot: first seen by then, last
        seen then or later (a pair is taken as present between its first and last sighting)."""
        return [tuple(row) for row in self.db.execute(
            "SELECT mentee_id, role, mentor_id FROM mentorship_pair WHERE wiki = ? AND first_seen <= ? "
            "AND last_seen >= ?", (wiki, moment, moment)).fetchall()]

    def registration_count(self, wiki: str) -> int:
        """How many stored registrations have a user id."""
        (count,) = self.db.execute("SELECT COUNT(*) FROM registration WHERE wiki_id = ? AND user_id > 0",
                                   (self.wiki_number(wiki),)).fetchone()
        return int(count)

    def registration_columns(self, wiki: str, kinds: tuple[str, ...]) -> Iterator[list[tuple[int, int]]]:
        """(user id * 16 + kind, created as yyyymmddhhmmss) of the stored registrations with a user id,
        100,000 at a time, streamed; the kind is the index of the action in ``kinds``, of "temporary" for
        a temporary account, and ``len(kinds)`` for any other action. The database works the kind out,
        and two numbers a row are all Python sees of it."""
        cases = " ".join(f"WHEN '{kind}' THEN {index}" for index, kind in enumerate(kinds))
        cursor = self.db.stream(
            f"SELECT user_id * 16 + CASE WHEN temporary = 1 THEN {kinds.index('temporary')} "
            f"ELSE CASE action {cases} ELSE {len(kinds)} END END, created FROM registration "
            "WHERE wiki_id = ? AND user_id > 0", (self.wiki_number(wiki),))
        while rows := cursor.fetchmany(100_000):
            yield list(rows)

    def graduates(self, wiki: str) -> dict[int, float | None]:
        """Mentees recorded as meeting the graduation thresholds: user id -> when invited (0: never; None: not yet)."""
        rows = self.db.execute("SELECT user_id, invited_at FROM graduation WHERE wiki = ?", (wiki,))
        return {user_id: invited for user_id, invited in rows}

    def record_graduates(self, wiki: str, user_ids: Iterable[int]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO graduation (wiki, user_id, first_met_at) VALUES (?, ?, ?)",
                           [(wiki, user_id, time.time()) for user_id in user_ids])

    def settle_graduates(self, wiki: str, user_ids: Iterable[int]) -> None:
        """Mark mentees as never to be invited (they met the thresholds before invitations began)."""
        with self.transaction() as db:
            db.executemany("INSERT INTO graduation (wiki, user_id, first_met_at, invited_at) VALUES (?, ?, ?, 0) "
                           "ON CONFLICT (wiki, user_id) DO UPDATE SET invited_at = COALESCE(invited_at, 0)",
                           [(wiki, user_id, time.time()) for user_id in user_ids])

    def record_invitation(self, wiki: str, user_id: int) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO graduation (wiki, user_id, first_met_at, invited_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (wiki, user_id) DO UPDATE SET invited_at = excluded.invited_at",
                       (wiki, user_id, time.time(), time.time()))

    def close(self) -> None:
        self.db.close()


def open_store(config: BotConfig) -> StateStore:
    """The state store the configuration names: MariaDB at ``state_url``, else SQLite at ``state_path``."""
    return StateStore(open_database(config))
