"""``mentorbot snapshot``: remember who mentors whom, run after run.

MediaWiki stores no assignment time and forgets a pair as soon as a mentee is indefinitely
blocked, so the bot keeps its own history: every pair seen, with the first and the last time
it was seen. A pair that vanishes stays as history. The source is GrowthExperiments'
``list=growthmentormentee`` for every listed mentor, or Wikimedia's weekly dump of the
``growthexperiments_mentor_mentee`` table (``--dump FILE.sql.gz``, streamed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.dump import read_mentor_rows
from bot.gateway import Gateway
from bot.mentors import mentees_of, names_for_ids, read_mentor_list
from bot.state import StateStore, batched


@dataclass(frozen=True)
class SnapshotResult:
    source: str
    pairs: int
    mentors: int
    names_resolved: int = 0


def snapshot_from_api(gateway: Gateway, store: StateStore) -> SnapshotResult:
    """Primary mentees of every mentor on the list, one request per mentor (the module has no batch form)."""
    mentors = read_mentor_list(gateway).mentors
    rows: list[tuple[int, str, int, str | None, str | None]] = []
    for mentor in mentors:
        rows.extend((mentee.user_id, "primary", mentor.user_id, mentee.name, mentor.username)
                    for mentee in mentees_of(gateway, mentor))
    wiki = gateway.config.wiki_key
    taken_at = time.time()
    count = store.save_snapshot(wiki, taken_at, "api", rows)
    return SnapshotResult("api", count, len(mentors))


def snapshot_from_dump(gateway: Gateway, store: StateStore, path: Path) -> SnapshotResult:
    """Every row of the weekly dump, both roles, in one transaction: a bad dump stores nothing.

    Names are looked up afterwards in batches for the ids that have none yet.
    """
    wiki = gateway.config.wiki_key
    taken_at = dump_date(path)

    mentors: set[int] = set()

    def rows() -> Iterator[tuple[int, str, int, str | None, str | None]]:
        for row in read_mentor_rows(path):
            mentors.add(row.mentor_id)
            yield row.mentee_id, row.role, row.mentor_id, None, None

    count = store.save_snapshot(wiki, taken_at, f"dump:{path.name}", rows())
    resolved = resolve_names(gateway, store)
    return SnapshotResult("dump", count, len(mentors), resolved)


def dump_date(path: Path) -> float:
    """When the dump was taken: the YYYYMMDD in its name, else the file's time.

    An old dump imported late must not look newer than a snapshot taken since.
    """
    match = re.search(r"(20\d{6})", path.name)
    if match:
        return datetime.strptime(match[1], "%Y%m%d").replace(tzinfo=UTC).timestamp()
    return path.stat().st_mtime


def resolve_names(gateway: Gateway, store: StateStore) -> int:
    """Fill in names for user ids that have none, with ``list=users`` in batches of 50."""
    wiki = gateway.config.wiki_key
    resolved = 0
    for chunk in batched(store.unnamed_ids(wiki), 5000):
        names = names_for_ids(gateway, chunk)
        store.name_ids(wiki, names)
        resolved += len(names)
    return resolved
