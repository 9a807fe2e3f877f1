"""Public logs fetched into the state store page by page, with a cursor that survives a crash.

Each page is stored in one transaction with the continuation that follows it, so a fetch of
millions of entries that is interrupted resumes from there. A finished fetch records its newest
timestamp, and the next run starts there (less a margin; entries already stored are ignored by
log id). The account-creation log (coverage, history), the growthexperiments log and the block log
(history) are fetched this way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.database import Database
from bot.errors import MentorBotError
from bot.gateway import Gateway
from bot.state import StateStore
from bot.timestamps import iso, parse_iso

FETCH_MARGIN = timedelta(minutes=5)


class LogCursorError(MentorBotError):
    exit_code = 1


def fetch_log(gateway: Gateway, store: StateStore, letype: str, cursor: str, since: datetime,
              save: Callable[[Database, list[dict[str, Any]]], int], what: str,
              progress: Callable[[str], None] | None = None) -> int:
    """Bring one log's stored entries up to date; ``save`` stores a page of entries inside the
    page's transaction and says how many were new. Returns how many were new in all."""
    wiki = gateway.config.wiki_key
    try:
        saved = json.loads(store.get_cursor(wiki, cursor) or "{}")
    except json.JSONDecodeError as error:
        raise LogCursorError(f"The stored position of the {what} fetch for {wiki} is malformed ({error}); delete "
                             f"it ({cursor!r}) from the state store's cursor table to fetch again from the start.") \
            from None
    start = saved.get("start") or iso(since)
    cont: dict[str, str] = saved.get("continue") or {}
    newest = saved.get("newest") or start
    read = 0
    while True:
        result = gateway.get(list="logevents", letype=letype, ledir="newer", lestart=start, lelimit="max",
                             leprop="ids|title|type|user|timestamp|details", **cont)
        entries = [entry for entry in result["query"]["logevents"] if entry.get("timestamp")]
        newest = max([newest, *(entry["timestamp"] for entry in entries)])
        cont = result.get("continue", {})
        with store.transaction() as db:
            read += save(db, entries)
            if cont:
                position = {"start": start, "continue": cont, "newest": newest}
            else:
                resume = parse_iso(newest) - FETCH_MARGIN
                position = {"start": max(start, iso(resume)), "newest": newest}
            store.set_cursor(db, wiki, cursor, json.dumps(position))
        if progress and cont:  # a long fetch says how far it got
            progress(f"{what}: {read} new log entries stored, up to {newest}")
        if not cont:
            return read
