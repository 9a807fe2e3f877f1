"""The bot's memory: an embedded SQLite database with versioned migrations.

One transaction per unit of work (``with store.transaction():``) and a run lock per
(wiki, task), so two overlapping scheduled runs never act twice.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, RunLocked

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE run_lock (
        wiki TEXT NOT NULL,
        task TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at REAL NOT NULL,
        PRIMARY KEY (wiki, task)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        wiki TEXT NOT NULL,
        task TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL NOT NULL,
        outcome TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE sweep_lapse (
        wiki TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        measure TEXT NOT NULL,
        first_failed_at REAL NOT NULL,
        PRIMARY KEY (wiki, user_id, measure)
    );
    CREATE TABLE sweep_step (
        wiki TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        lapse_start TEXT NOT NULL,
        stage TEXT NOT NULL,
        done_at REAL NOT NULL,
        PRIMARY KEY (wiki, user_id, lapse_start, stage)
    );
    """,
    """
    CREATE TABLE mentorship_pair (
        wiki TEXT NOT NULL,
        mentee_id INTEGER NOT NULL,
        role TEXT NOT NULL,
        mentor_id INTEGER NOT NULL,
        mentee_name TEXT,
        mentor_name TEXT,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        PRIMARY KEY (wiki, mentee_id, role, mentor_id)
    );
    CREATE INDEX mentorship_pair_by_mentee_name ON mentorship_pair (wiki, mentee_name);
    CREATE TABLE snapshot (
        id INTEGER PRIMARY KEY,
        wiki TEXT NOT NULL,
        taken_at REAL NOT NULL,
        source TEXT NOT NULL,
        pairs INTEGER NOT NULL
    );
    CREATE TABLE cursor (
        wiki TEXT NOT NULL,
        task TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (wiki, task)
    );
    CREATE TABLE block_notice (
        wiki TEXT NOT NULL,
        log_id INTEGER NOT NULL,
        mentee TEXT NOT NULL,
        mentor TEXT,
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
        wiki TEXT NOT NULL UNIQUE
    );
    CREATE TABLE registration (
        wiki_id INTEGER NOT NULL,
        log_id INTEGER NOT NULL,
        user_id INTEGER,
        created INTEGER NOT NULL,
        action TEXT NOT NULL,
        temporary INTEGER NOT NULL,
        PRIMARY KEY (wiki_id, log_id)
    ) WITHOUT ROWID;
    CREATE TABLE graduation (
        wiki TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        first_met_at REAL NOT NULL,
        invited_at REAL,
        PRIMARY KEY (wiki, user_id)
    );
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


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.migrate()
        except sqlite3.DatabaseError as error:
            raise ConfigError(f"The state store {path} cannot be used: {error}") from None

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self.transaction():
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise ConfigError(
                    f"The state store {self.path} has schema version {version}, newer than this "
                    f"bot knows ({len(MIGRATIONS)}): upgrade the bot."
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One unit of work: all of it is stored, or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def run_lock(self, wiki: str, task: str) -> Iterator[None]:
        """Hold the (wiki, task) lock for the block, or refuse if another live run holds it."""
        host, pid = socket.gethostname(), os.getpid()
        with self.transaction() as db:
            row = db.execute(
                "SELECT host, pid, acquired_at FROM run_lock WHERE wiki = ? AND task = ?", (wiki, task)
            ).fetchone()
            if row is not None:
                held_host, held_pid, since = row
                stale = held_host == host and not _process_alive(held_pid)
                if not stale:
                    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since))
                    raise RunLocked(
                        f"Another '{task}' run for {wiki} is in progress (process {held_pid} on "
                        f"{held_host}, since {started}); this run did nothing."
                    )
            db.execute(
                "INSERT OR REPLACE INTO run_lock (wiki, task, host, pid, acquired_at) VALUES (?, ?, ?, ?, ?)",
                (wiki, task, host, pid, time.time()),
            )
        try:
            yield
        finally:
            with self.transaction() as db:
                db.execute(
                    "DELETE FROM run_lock WHERE wiki = ? AND task = ? AND host = ? AND pid = ?",
                    (wiki, task, host, pid),
                )

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

    def sweep_steps(self, wiki: str) -> set[tuple[int, str, str]]:
        """Stages already done: (user id, lapse start, stage)."""
        rows = self.db.execute("SELECT user_id, lapse_start, stage FROM sweep_step WHERE wiki = ?", (wiki,))
        return {(user_id, lapse, stage) for user_id, lapse, stage in rows}

    def record_step(self, wiki: str, user_id: int, lapse_start: str, stage: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO sweep_step (wiki, user_id, lapse_start, stage, done_at) VALUES (?, ?, ?, ?, ?)",
                (wiki, user_id, lapse_start, stage, time.time()),
            )

    # --- snapshots and blocks ------------------------------------------------------------

    def save_pairs(self, db: sqlite3.Connection, wiki: str, taken_at: float,
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

    def last_mentor(self, wiki: str, mentee_name: str, role: str = "primary") -> str | None:
        """The mentor most recently seen for this mentee in any snapshot."""
        row = self.db.execute(
            "SELECT mentor_name FROM mentorship_pair WHERE wiki = ? AND mentee_name = ? AND role = ? "
            "AND mentor_name IS NOT NULL ORDER BY last_seen DESC, first_seen DESC LIMIT 1",
            (wiki, mentee_name, role)).fetchone()
        return str(row[0]) if row else None

    def get_cursor(self, wiki: str, task: str) -> str | None:
        row = self.db.execute("SELECT value FROM cursor WHERE wiki = ? AND task = ?", (wiki, task)).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, db: sqlite3.Connection, wiki: str, task: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO cursor (wiki, task, value) VALUES (?, ?, ?)", (wiki, task, value))

    # --- reports ---------------------------------------------------------------------------

    def wiki_number(self, wiki: str) -> int:
        """The small number that stands for a wiki in the large tables."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO wiki_number (wiki) VALUES (?)", (wiki,))
            return int(db.execute("SELECT id FROM wiki_number WHERE wiki = ?", (wiki,)).fetchone()[0])

    def save_registrations(self, db: sqlite3.Connection, wiki_id: int,
                           rows: Iterable[tuple[int, int | None, int, str, int]]) -> int:
        """(log id, user id, created as yyyymmddhhmmss, action, temporary 0/1), inside the caller's transaction.

        Returns how many were new (one already stored, by log id, is left as it is).
        """
        before = db.total_changes
        db.executemany("INSERT OR IGNORE INTO registration (wiki_id, log_id, user_id, created, action, temporary) "
                       "VALUES (?, ?, ?, ?, ?, ?)", ((wiki_id, *row) for row in rows))
        return db.total_changes - before

    def registrations(self, wiki: str) -> Iterator[tuple[int | None, int, str, int]]:
        """Every stored registration: (user id, created as yyyymmddhhmmss, action, temporary), oldest first."""
        wiki_id = self.wiki_number(wiki)
        cursor = self.db.execute("SELECT user_id, created, action, temporary FROM registration WHERE wiki_id = ? "
                                 "ORDER BY log_id", (wiki_id,))
        while rows := cursor.fetchmany(10_000):
            yield from rows

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
