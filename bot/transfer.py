"""``mentorbot state export`` / ``import``: the whole state store as one portable file, and back.

The file is JSON lines (gzip'd when its name ends in ``.gz``): a first line naming the format
and the schema version, then one line per row, ``{"table": ..., "row": {column: value}}``. Every
table is carried (cursors, snapshots and pair history, notice records, lapses, registrations,
runs) except the run locks, which belong to running processes. An import goes into an empty
store of the same schema version, in one transaction: a file that does not fit is refused with
its line, and nothing of it is kept.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.errors import ConfigError, MentorBotError, OutputError, StateError
from bot.state import StateStore

FORMAT = "mentorbot-state"
SKIPPED_TABLES = ("run_lock",)


class TransferError(MentorBotError):
    """A state file that cannot be imported; the message names the file and the line."""


def open_file(path: Path, mode: str) -> IO[str]:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.GzipFile(path, mode + "b"), encoding="utf-8")
    return path.open(mode, encoding="utf-8")


def tables(store: StateStore) -> dict[str, list[str]]:
    """Every table the store carries, with its columns in order."""
    return {name: [column[0] for column in store.db.execute(f'SELECT * FROM "{name}" LIMIT 0').description]
            for name in store.db.table_names() if name not in SKIPPED_TABLES}


def rows(store: StateStore, table: str, columns: list[str]) -> Iterator[dict[str, Any]]:
    cursor = store.db.stream(f'SELECT {quoted(columns)} FROM "{table}"')
    while batch := cursor.fetchmany(10_000):
        for values in batch:
            yield dict(zip(columns, values, strict=True))


def quoted(columns: list[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def export_state(store: StateStore, path: Path) -> dict[str, int]:
    """Write every row to ``path``; returns the rows per table."""
    counts: dict[str, int] = {}
    try:
        # One moment of the store, even while jobs write to it.
        with open_file(path, "w") as handle, store.db.transaction(read_only=True):
            handle.write(json.dumps({"format": FORMAT, "schema_version": store.schema_version}) + "\n")
            for table, columns in tables(store).items():
                counts[table] = 0
                for row in rows(store, table, columns):
                    handle.write(json.dumps({"table": table, "row": row}, ensure_ascii=False) + "\n")
                    counts[table] += 1
    except OSError as error:
        raise OutputError("the state export", path, error) from None
    return counts


def import_state(store: StateStore, path: Path) -> dict[str, int]:
    """Read a file written by :func:`export_state` into this empty store; returns the rows per table."""
    known = tables(store)
    filled = [table for table in known if store.db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()]
    if filled:
        raise ConfigError(f"The state store {store.description} already holds data ({', '.join(filled)}); "
                          "import into a new, empty store.")
    counts = dict.fromkeys(known, 0)
    line_no = 0
    try:
        with open_file(path, "r") as handle, store.transaction() as db:
            for line_no, line in enumerate(handle, start=1):
                entry = json.loads(line)
                if line_no == 1:
                    check_header(entry, store, path)
                    continue
                table, row = entry.get("table"), entry.get("row")
                if table not in known or not isinstance(row, dict) or set(row) != set(known[table]):
                    raise TransferError(f"{path}: line {line_no}: not a row of a table this store has")
                columns = known[table]
                db.execute(f'INSERT INTO "{table}" ({quoted(columns)}) VALUES ({", ".join("?" * len(columns))})',
                           [row[column] for column in columns])
                counts[table] += 1
    except json.JSONDecodeError as error:
        raise TransferError(f"{path}: line {line_no}: not JSON ({error.msg})") from None
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise TransferError(f"{path}: cannot be read after line {line_no} ({error})") from None
    except StateError as error:  # a constraint the row breaks: name the line, keep nothing
        raise TransferError(f"{path}: line {line_no}: {error}") from None
    if line_no == 0:
        raise TransferError(f"{path}: is empty")
    return counts


def check_header(entry: Any, store: StateStore, path: Path) -> None:
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        raise TransferError(f"{path}: line 1: not a mentorbot state file")
    if entry.get("schema_version") != store.schema_version:
        raise TransferError(f"{path}: line 1: schema version {entry.get('schema_version')}, but this bot's store "
                            f"has {store.schema_version}; export and import with the same version of the bot")
