"""Where the state store keeps its tables: an SQLite file (the default) or a MariaDB database.

The bot's SQL is written once, in SQLite's dialect, and MariaDB's connection rewrites the few
constructs that differ (:func:`mariadb_sql`, :func:`mariadb_ddl`). Both connections run with
autocommit; a unit of work is an explicit transaction. MariaDB (ToolsDB on Toolforge) also gives
locks held by the server for the life of a connection, which work across hosts and vanish with
a crashed job; SQLite's run lock is a row checked against the holder's process id instead.
"""

from __future__ import annotations

import configparser
import hashlib
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

import pymysql

from bot.config import BotConfig, default_state_dir, require_private
from bot.errors import ConfigError, StateError


class Cursor(Protocol):
    """What the bot uses of a DB-API cursor; both drivers' cursors have it."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Sequence[Any]: ...

    def fetchmany(self, size: int = ...) -> Sequence[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(ABC):
    """One connection to the store's database, with the operations whose SQL differs by server."""

    description: str  # names the store in messages; never carries a password
    server_locks: bool  # whether try_lock works (across hosts, released when the connection dies)
    begin_statement: str
    begin_read_statement: str
    in_transaction = False

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor: ...

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Like execute, for a result too large to hold: read it to the end before the next statement."""
        return self.execute(sql, params)

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator[Database]:
        """All of the block's writes are kept, or none; read_only: every read sees one moment, writers go on."""
        if self.in_transaction:  # MariaDB would quietly commit the outer one
            raise StateError(f"The state store {self.description}: a unit of work cannot begin inside another.")
        self.execute(self.begin_read_statement if read_only else self.begin_statement)
        self.in_transaction = True
        try:
            yield self
        except BaseException:
            with suppress(StateError):  # a lost connection has rolled back already; keep the first error
                self.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")
        finally:
            self.in_transaction = False

    @abstractmethod
    def exclusive(self) -> AbstractContextManager[None]:
        """Only one process at a time in the block: used to migrate the schema."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def set_schema_version(self, version: int) -> None: ...

    def create(self, statement: str) -> None:
        """Run one statement of a migration (written for SQLite)."""
        self.execute(statement)

    @abstractmethod
    def table_names(self) -> list[str]:
        """The bot's tables, not the database's own bookkeeping."""

    def try_lock(self, key: str, wait: float = 0) -> bool:
        raise NotImplementedError(f"{type(self).__name__} has no server locks")

    def holds_lock(self, key: str) -> bool:
        raise NotImplementedError(f"{type(self).__name__} has no server locks")

    def release_lock(self, key: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no server locks")

    @abstractmethod
    def close(self) -> None: ...


class SqliteDatabase(Database):
    server_locks = False
    begin_statement = "BEGIN IMMEDIATE"  # take the write lock now, not at the first write
    begin_read_statement = "BEGIN"  # in WAL mode, a snapshot from the first read on

    def __init__(self, path: Path) -> None:
        self.description = str(path)
        try:
            self.connection = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as error:
            raise ConfigError(f"The state store {path} cannot be used: {error}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.connection.execute(sql, params)
        except sqlite3.Error as error:
            raise StateError(f"The state store {self.description}: {error}") from error

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        try:
            return self.connection.executemany(sql, rows)
        except sqlite3.Error as error:
            raise StateError(f"The state store {self.description}: {error}") from error

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.transaction():  # SQLite's schema changes are transactional
            yield

    def schema_version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.execute(f"PRAGMA user_version = {int(version)}")

    def table_names(self) -> list[str]:
        return [row[0] for row in self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def close(self) -> None:
        self.connection.close()


# ANSI_QUOTES: "cursor" is a table name on both servers (CURSOR is a reserved word in MariaDB).
# A job's connection may sit idle through a long API phase while it holds its run lock.
MARIADB_SESSION = ("SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION', "
                   "SESSION wait_timeout = 28800")
# Binary collation without padding: names compare as SQLite compares them, case, accents and
# trailing spaces included.
MARIADB_TABLE_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
SCHEMA_TABLE = "mentorbot_schema"


@lru_cache(maxsize=256)
def mariadb_sql(sql: str) -> str:
    """The bot's SQLite statement as MariaDB says it.

    Covers what the bot writes: ``?`` parameters, INSERT OR IGNORE / OR REPLACE (at the start), and
    ``ON CONFLICT (...) DO UPDATE SET`` with ``excluded.column`` and two-argument MAX/MIN.
    Statements never carry ``?`` or ``%`` inside a literal.
    """
    sql = sql.replace("%", "%%").replace("?", "%s").replace("INSERT OR REPLACE INTO", "REPLACE INTO")
    # Not INSERT IGNORE, which also lets a too-long value through cut short: only a duplicate key is
    # passed over, by "updating" its first column to itself (no row counts as changed).
    ignore = re.match(r"INSERT OR IGNORE INTO (\S+) \((\w+)", sql)
    if ignore:
        return f"INSERT{sql[len('INSERT OR IGNORE'):]} ON DUPLICATE KEY UPDATE {ignore[2]} = {ignore[2]}"
    conflict = re.search(r"ON CONFLICT \([^)]*\) DO UPDATE SET", sql)
    if conflict is None:
        return sql
    updates = re.sub(r"\bexcluded\.(\w+)", r"VALUES(\1)", sql[conflict.end():])
    updates = re.sub(r"\bMAX\(", "GREATEST(", re.sub(r"\bMIN\(", "LEAST(", updates))
    return f"{sql[:conflict.start()]}ON DUPLICATE KEY UPDATE{updates}"


def mariadb_ddl(statement: str) -> str:
    """A migration's CREATE statement for MariaDB: 64-bit integers, auto-increment ids, utf8mb4."""
    statement = statement.strip()
    statement = statement.replace("INTEGER PRIMARY KEY", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY")
    statement = re.sub(r"\bINTEGER\b", "BIGINT", statement)
    # Re-runnable: MariaDB commits each CREATE on its own, so a migration cut short is resumed.
    if statement.startswith("CREATE TABLE "):
        statement = re.sub(r"\s*WITHOUT ROWID$", "", statement)
        return "CREATE TABLE IF NOT EXISTS " + statement.removeprefix("CREATE TABLE ") + MARIADB_TABLE_OPTIONS
    if statement.startswith("CREATE INDEX "):
        return "CREATE INDEX IF NOT EXISTS " + statement.removeprefix("CREATE INDEX ")
    return statement


@dataclass(frozen=True)
class MariaTarget:
    host: str
    port: int
    database: str
    user: str
    password: str = ""

    @property
    def description(self) -> str:
        return f"mariadb://{self.user}@{self.host}:{self.port}/{self.database}"


def mariadb_target(url: str, credentials: Path | None) -> MariaTarget:
    """Where to connect, from ``mariadb://[user[:password]@]host[:port]/database`` and a my.cnf-style file.

    The file (Toolforge's ``replica.my.cnf``) gives ``user`` and ``password`` in its ``[client]``
    group; the URL's own user and password win over it.
    """
    parsed = urlparse(url)
    shown = url.replace(f":{parsed.password}@", ":***@") if parsed.password else url  # never print a password
    if parsed.scheme not in ("mariadb", "mysql") or not parsed.hostname or not parsed.path.strip("/"):
        raise ConfigError(f"state_url must look like mariadb://host/database (or mysql://...), not {shown!r}.")
    unknown = set(parse_qs(parsed.query))
    if unknown:
        raise ConfigError(f"state_url takes no query options ({', '.join(sorted(unknown))}); "
                          "give a credentials file with state_credentials.")
    user, password = "", ""
    if credentials is not None:
        user, password = read_credentials(credentials)
    user = unquote(parsed.username) if parsed.username else user
    password = unquote(parsed.password) if parsed.password else password
    if not user:
        raise ConfigError(f"state_url {parsed.hostname}/{parsed.path.strip('/')} needs a user: in the URL "
                          "(mariadb://user:password@host/database) or in a state_credentials file.")
    try:
        port = parsed.port or 3306
    except ValueError:
        raise ConfigError(f"state_url {shown!r} has a port that is not a number.") from None
    return MariaTarget(parsed.hostname, port, parsed.path.strip("/"), user, password)


def read_credentials(path: Path) -> tuple[str, str]:
    """``user`` and ``password`` from the ``[client]`` group of a my.cnf-style file."""
    require_private(path, "The credentials file")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as error:
        raise ConfigError(f"The credentials file {path} cannot be read ({error.strerror}).") from None
    except configparser.Error as error:
        raise ConfigError(f"The credentials file {path} is not a my.cnf-style file: {error.message}") from None
    if not parser.has_section("client"):
        raise ConfigError(f"The credentials file {path} has no [client] group with user and password.")
    client = parser["client"]
    user, password = (client.get(key, "").strip().strip("'\"") for key in ("user", "password"))
    if not user:
        raise ConfigError(f"The credentials file {path} has no user in its [client] group.")
    return user, password


class MariaDatabase(Database):
    server_locks = True
    begin_statement = "START TRANSACTION"
    begin_read_statement = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"

    def __init__(self, target: MariaTarget) -> None:
        self.target = target
        self.description = target.description
        self.held: set[str] = set()
        try:
            self.connection = pymysql.connect(
                host=target.host, port=target.port, user=target.user, password=target.password,
                database=target.database, charset="utf8mb4", autocommit=True, connect_timeout=30,
                init_command=MARIADB_SESSION)
        except pymysql.Error as error:
            raise ConfigError(f"The state store {self.description} cannot be used: {error.args[-1]}") from None

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """The driver's errors as StateError, in a sentence that names the store."""
        try:
            yield
        except pymysql.Error as error:
            told = str(error.args[-1]) if error.args else ""
            if not told or isinstance(error, pymysql.err.InterfaceError):  # pymysql's "(0, '')" after a loss
                told = f"the connection is gone ({told or 'lost earlier in this run'})"
            raise StateError(f"The state store {self.description}: {told}") from error

    def execute(self, sql: str, params: Sequence[Any] = (), unbuffered: bool = False) -> Cursor:
        with self.guarded():
            cursor = self.connection.cursor(pymysql.cursors.SSCursor if unbuffered else None)
            cursor.execute(mariadb_sql(sql), tuple(params))
        return GuardedCursor(cursor, self.guarded)

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.execute(sql, params, unbuffered=True)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        batch = [tuple(row) for row in rows]
        with self.guarded():
            cursor = self.connection.cursor()
            if batch:  # pymysql sends nothing for none, and leaves rowcount at -1
                cursor.executemany(mariadb_sql(sql), batch)
        return GuardedCursor(cursor, self.guarded, rowcount=None if batch else 0)

    def lock_name(self, key: str) -> str:
        # Locks are server-wide and ToolsDB is shared by many tools: name the database too.
        digest = hashlib.sha1(f"{self.target.database}\n{key}".encode()).hexdigest()
        return f"mentorbot:{digest}"  # 50 characters; the server allows 64

    def try_lock(self, key: str, wait: float = 0) -> bool:
        if key in self.held:  # the server would grant a connection's own lock again
            return False
        if self.execute("SELECT GET_LOCK(?, ?)", (self.lock_name(key), wait)).fetchone()[0] != 1:
            return False
        self.held.add(key)
        return True

    def holds_lock(self, key: str) -> bool:
        row = self.execute("SELECT IS_USED_LOCK(?) = CONNECTION_ID()", (self.lock_name(key),)).fetchone()
        return key in self.held and row[0] == 1

    def release_lock(self, key: str) -> None:
        self.held.discard(key)
        self.execute("SELECT RELEASE_LOCK(?)", (self.lock_name(key),))

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if not self.try_lock("migrate", wait=120):
            raise StateError(f"The state store {self.description}: another process has been changing its "
                             "schema for two minutes; try again later.")
        try:
            yield
        finally:
            self.release_lock("migrate")

    def schema_version(self) -> int:
        # Asked inside transactions too, so no DDL here: MariaDB commits before any CREATE.
        if SCHEMA_TABLE not in self.all_tables():
            return 0
        row = self.execute(f"SELECT MAX(version) FROM {SCHEMA_TABLE}").fetchone()
        return int(row[0] or 0)

    def set_schema_version(self, version: int) -> None:
        self.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version BIGINT NOT NULL){MARIADB_TABLE_OPTIONS}")
        with self.transaction():
            self.execute(f"DELETE FROM {SCHEMA_TABLE}")
            self.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (?)", (version,))

    def create(self, statement: str) -> None:
        self.execute(mariadb_ddl(statement))

    def all_tables(self) -> list[str]:
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
                            "ORDER BY table_name")
        return [row[0] for row in rows]

    def table_names(self) -> list[str]:
        return [name for name in self.all_tables() if name != SCHEMA_TABLE]

    def close(self) -> None:
        if self.connection.open:
            self.connection.close()


class GuardedCursor:
    """A driver's cursor whose reads, streamed ones too, fail as StateError."""

    def __init__(self, cursor: Any, guarded: Callable[[], AbstractContextManager[None]],
                 rowcount: int | None = None) -> None:
        self.cursor, self.guarded, self._rowcount = cursor, guarded, rowcount

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount) if self._rowcount is None else self._rowcount

    @property
    def description(self) -> Any:
        return self.cursor.description

    def fetchone(self) -> Any:
        with self.guarded():
            return self.cursor.fetchone()

    def fetchall(self) -> Sequence[Any]:
        with self.guarded():
            return list(self.cursor.fetchall())

    def fetchmany(self, size: int = 1000) -> Sequence[Any]:
        with self.guarded():
            return list(self.cursor.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        while rows := self.fetchmany():
            yield from rows


def open_database(config: BotConfig) -> Database:
    """The configured store: MariaDB when ``state_url`` is set, else the SQLite file at ``state_path``."""
    if config.state_url:
        return MariaDatabase(mariadb_target(config.state_url, config.state_credentials))
    path = config.state_path
    if path == default_state_dir() / "state.sqlite":
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the documented default is made on first use
    elif not path.parent.is_dir():
        # A typo here would otherwise start an empty store, and the history of earlier runs with it.
        raise ConfigError(f"state_path {path}: the folder {path.parent} does not exist; create it first, or "
                          "correct the path.")
    return SqliteDatabase(path)
