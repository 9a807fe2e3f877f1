"""``mentorbot history``: when each mentee got each mentor, and how sure we are.

GrowthExperiments stores no time of assignment. This joins what is public into one dataset:

- observations: each a dated copy of the whole table of mentors and mentees. Wikimedia's weekly
  dumps (``--dumps DIR``, dated by the date in the file name) and the bot's own snapshots from the
  API (in the state store). Between two observations a pair that appears started, and a pair that
  vanishes ended: each such bound is *bracketed* by the two dates;
- exact events, fetched into the state store from the public logs: mentor changes and claims
  (``growthexperiments`` log), indefinite blocks, which make GrowthExperiments drop the pair (block
  log), the moves this bot made (its own record), and registrations (account-creation log), since
  GrowthExperiments gives a mentor at signup. An event that falls inside a bracket and explains it
  makes that bound exact.

The output is an interval per mentee, role and mentor, with a start and an end, each given as the
earliest and the latest moment it can be (the same moment when exact) and the evidence for it; a
monthly table of registrations by how their first mentor came; and a methods note written from
the same run. All the work is on numpy columns, a dump and a million registrations at a time, so
13 dumps of English Wikipedia's size with its logs take about a minute and under a gigabyte
(``benchmarks/history.py``).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy
import numpy.typing
from isal import igzip

from bot.database import Database
from bot.dump import read_mentor_batches
from bot.errors import MalformedDocument, MentorBotError, OutputError
from bot.gateway import Gateway
from bot.logs import fetch_log
from bot.mentors import MENTOR_LIST_PAGE, ids_for_names, parse_mentor_page
from bot.reports import write_atomically
from bot.reports.coverage import KINDS, STATE_NAMES, STATE_SHIFT, UserFlags
from bot.state import StateStore
from bot.timestamps import is_indefinite, iso, parse_iso
from bot.words import counted

Column = numpy.typing.NDArray[numpy.signedinteger[Any]]  # int64, or int32 where half the memory is enough
NONE = -1  # a bound that is not known (before the first observation; an interval still open)
GE_LOG_CURSOR = "history-growthexperiments"
MENTOR_LIST_CURSOR = "history-mentor-list"
BLOCK_LOG_CURSOR = "history-blocks"
CHANGE_KINDS = ("setmentor", "setmentor-no-previous-mentor", "claimmentee", "claimmentee-no-previous-mentor")
INDEFINITE_BLOCK = "indefinite-block"
LOCAL_KINDS = ("create", "create2", "byemail")  # GrowthExperiments gives these a mentor at signup
DUMP_DATE = re.compile(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?!\d)")
INTERVAL_COLUMNS = ("mentee_id", "role", "mentor_id", "start_earliest", "start_latest", "start_evidence",
                    "end_earliest", "end_latest", "end_evidence")
SECONDS_A_DAY = 86400


class HistoryInputError(MentorBotError):
    exit_code = 1


# --- observations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One dated copy of the table: its pairs as sorted keys (mentee id * 2 + 1 for primary) and mentors."""

    at: int  # Unix seconds
    label: str  # "dump of 2026-11-28", "snapshot of 2026-11-30 06:17"
    load: Callable[[], tuple[Column, Column]]
    primary_only: bool = False  # the API lists primary mentors only: backups are not observed


def dump_day(path: Path) -> int:
    """The day a dump was taken, from the YYYYMMDD in its name (Wikimedia's names carry it)."""
    match = DUMP_DATE.search(path.name)
    try:
        if match is None:
            raise ValueError
        return int(datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC).timestamp())
    except ValueError:
        raise HistoryInputError(f"{path}: no date in the file name (like 20261128-kowiki-growthexperiments_"
                                "mentor_mentee.sql.gz); the history dates each dump by it") from None


def dump_observations(folder: Path) -> list[Observation]:
    """Every ``.sql.gz`` file in the folder, oldest first; two of the same day are refused."""
    try:
        paths = sorted(path for path in folder.iterdir() if path.name.endswith(".sql.gz"))
    except OSError as error:
        raise HistoryInputError(f"{folder}: cannot be read ({error.strerror or error})") from None
    if not paths:
        raise HistoryInputError(f"{folder}: no dump (.sql.gz) in it")
    days: dict[int, Path] = {}
    for path in paths:
        day = dump_day(path)
        if day in days:
            raise HistoryInputError(f"{path} and {days[day]} are dumps of the same day; keep one")
        days[day] = path
    return [Observation(day, f"dump of {datetime.fromtimestamp(day, UTC):%Y-%m-%d}", partial(read_dump, path))
            for day, path in sorted(days.items())]


def read_dump(path: Path) -> tuple[Column, Column]:
    """The dump's pairs as keys and mentors (int32: half the memory), sorted by key; a pair given twice is refused."""
    keys, mentors = [], []
    for batch in read_mentor_batches(path):
        keys.append(batch.mentee_ids * 2 + batch.primary)
        mentors.append(batch.mentor_ids.astype(numpy.int32))
    if not keys:
        return numpy.zeros(0, numpy.int64), numpy.zeros(0, numpy.int32)
    key_column, mentor_column = numpy.concatenate(keys), numpy.concatenate(mentors)
    del keys, mentors
    return sorted_pairs(key_column, mentor_column, str(path))


def sorted_pairs(keys: Column, mentors: Column, source: str) -> tuple[Column, Column]:
    if len(keys) > 1 and not bool(numpy.all(keys[1:] > keys[:-1])):  # dumps come in key order: no sort then
        order = numpy.argsort(keys, kind="stable")
        keys = keys[order]
        mentors = mentors[order]
        del order
        repeated = numpy.flatnonzero(keys[1:] == keys[:-1])
        if len(repeated):
            key = int(keys[repeated[0]])
            raise HistoryInputError(f"{source}: mentee {key // 2} has two {role_name(key % 2)} mentors; "
                                    "a copy of the table has one")
    return keys, mentors


def role_name(primary: int) -> str:
    return "primary" if primary else "backup"


def snapshot_observations(store: StateStore, wiki: str) -> list[Observation]:
    """The bot's own snapshots from the API (dumps it recorded are read from the files instead)."""
    def load(moment: float) -> tuple[Column, Column]:
        rows = [(mentee, mentor) for mentee, role, mentor in store.pairs_seen_at(wiki, moment) if role == "primary"]
        keys = numpy.array([mentee * 2 + 1 for mentee, _mentor in rows], dtype=numpy.int64)
        mentors = numpy.array([mentor for _mentee, mentor in rows], dtype=numpy.int32)
        return sorted_pairs(keys, mentors, "the state store's snapshot")

    return [Observation(int(moment), f"snapshot of {datetime.fromtimestamp(moment, UTC):%Y-%m-%d %H:%M}",
                        partial(load, moment), primary_only=True) for moment in store.snapshot_times(wiki, "api")]


# --- intervals ------------------------------------------------------------------------------------


class Evidence:
    """The evidence texts, each stored once; intervals hold their index."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.texts)
            self.texts.append(text)
        return self.index[text]


@dataclass
class Intervals:
    """Columns of equal length: one interval per row. A bound is exact when earliest == latest."""

    keys: Column  # mentee id * 2 + 1 for primary
    mentors: Column
    start_lo: Column
    start_hi: Column
    start_ev: Column
    end_lo: Column
    end_hi: Column
    end_ev: Column

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, rows: Any) -> Intervals:
        return Intervals(*(column[rows] for column in self.columns()))

    def columns(self) -> tuple[Column, ...]:
        return (self.keys, self.mentors, self.start_lo, self.start_hi, self.start_ev, self.end_lo, self.end_hi,
                self.end_ev)

    @classmethod
    def joined(cls, parts: list[Intervals]) -> Intervals:
        return cls(*(numpy.concatenate(columns) for columns in zip(*(part.columns() for part in parts),
                                                                    strict=True)))


def filled(length: int, value: int, dtype: type = numpy.int64) -> Column:
    return numpy.full(length, value, dtype=dtype)


def unknown(length: int) -> Column:
    """A column of NONE that takes no memory (a read-only view of one number): an open interval's end."""
    return numpy.broadcast_to(numpy.int64(NONE), (length,))


def observed_intervals(observations: list[Observation], evidence: Evidence,
                       progress: Callable[[str], None] | None = None) -> Intervals:
    """Intervals from the observations alone: a pair's start lies between the last observation
    without it and the first with it, its end between the last with it and the first without.

    An observation of primary mentors only (the API's) leaves the backup pairs as they were: their
    bounds come from the observations that list backups."""
    closed: list[Intervals] = []
    open_: Intervals | None = None
    before: dict[bool, Observation] = {}  # the last observation of primary pairs (True) and of backups (False)
    for observation in observations:
        keys, mentors = observation.load()
        length = len(keys)
        carried = None
        if open_ is not None and observation.primary_only:
            carried = open_.take(open_.keys % 2 == 0)
            open_ = open_.take(open_.keys % 2 == 1)
        if open_ is None:
            start_lo, start_hi = filled(length, NONE), filled(length, observation.at)
            start_ev = filled(length, evidence("before the first observation"), numpy.int32)
        else:
            primary = keys % 2 == 1
            start_lo = numpy.where(primary, before[True].at, before.get(False, before[True]).at)
            start_hi = filled(length, observation.at)
            start_ev = filled(length, evidence(f"first seen in {observation.label}"), numpy.int32)
            if False not in before:  # the first observation of backups
                start_lo[~primary] = NONE
                start_ev[~primary] = evidence("before the first observation")
            kept = numpy.zeros(len(open_), dtype=bool)
            if len(open_):
                at = numpy.minimum(numpy.searchsorted(open_.keys, keys), len(open_) - 1)
                same = (open_.keys[at] == keys) & (open_.mentors[at] == mentors)
                held = at[same]
                start_lo[same], start_hi[same], start_ev[same] = (open_.start_lo[held], open_.start_hi[held],
                                                                  open_.start_ev[held])
                kept[held] = True
            ended = open_.take(~kept)
            ended_primary = ended.keys % 2 == 1
            last = {role: before.get(role, before[True]) for role in (True, False)}
            ended.end_lo[:] = numpy.where(ended_primary, last[True].at, last[False].at)
            ended.end_hi[:] = observation.at
            ended.end_ev[:] = numpy.where(ended_primary, evidence(f"last seen in {last[True].label}"),
                                          evidence(f"last seen in {last[False].label}"))
            closed.append(ended)
        open_ = Intervals(keys, mentors, start_lo, start_hi, start_ev, unknown(length), unknown(length),
                          unknown(length))
        del keys, mentors, start_lo, start_hi, start_ev
        if carried is not None and len(carried):
            open_ = Intervals.joined([open_, carried])
            open_ = open_.take(numpy.argsort(open_.keys, kind="stable"))
        before[True] = observation
        if not observation.primary_only:
            before[False] = observation
        if progress:
            progress(f"history: {observation.label} read, {length} pairs")
    if open_ is None:
        return Intervals(*(filled(0, 0) for _ in range(8)))
    still_primary = open_.keys % 2 == 1
    last = {role: before.get(role, before[True]) for role in (True, False)}
    open_.end_lo = numpy.where(still_primary, last[True].at, last[False].at)
    open_.end_ev = numpy.where(still_primary, evidence(f"still seen in {last[True].label}"),
                               evidence(f"still seen in {last[False].label}"))
    return Intervals.joined([*closed, open_])


# --- exact events ---------------------------------------------------------------------------------


@dataclass
class Events:
    """Exact moments, sorted by mentee then time: a mentor change (new mentor id) or a drop (mentor 0)."""

    mentees: Column
    at: Column
    mentors: Column  # the new mentor; 0 for an indefinite block, which ends every pair of the mentee
    evidence: Column

    @classmethod
    def of(cls, rows: list[tuple[int, int, int, int]]) -> Events:
        array = numpy.array(sorted(rows), dtype=numpy.int64).reshape(-1, 4)
        return cls(array[:, 0], array[:, 1], array[:, 2], array[:, 3])

    def keys(self) -> Column:
        return self.mentees << 32 | self.at


def exact_start(intervals: Intervals, events: Events) -> int:
    """A bracketed start of a primary pair with a logged change to that very mentor inside the bracket
    becomes that change (the last one, if several). Returns how many became exact."""
    if not len(events.at):
        return 0
    open_bounds = (intervals.start_lo != intervals.start_hi) & (intervals.keys % 2 == 1)
    mentees = intervals.keys >> 1
    at = numpy.searchsorted(events.keys(), mentees << 32 | intervals.start_hi, side="right") - 1
    valid = at >= 0
    at = numpy.maximum(at, 0)
    hit = (open_bounds & valid & (events.mentees[at] == mentees) & (events.at[at] > intervals.start_lo)
           & (events.mentors[at] == intervals.mentors))
    intervals.start_lo[hit] = intervals.start_hi[hit] = events.at[at[hit]]
    intervals.start_ev[hit] = events.evidence[at[hit]]
    return int(numpy.count_nonzero(hit))


def exact_end(intervals: Intervals, events: Events, primary_only: bool) -> int:
    """A bracketed end with an event inside the bracket that ends the pair (a change to another mentor,
    or an indefinite block) becomes that event (the first one)."""
    if not len(events.at):
        return 0
    open_bounds = (intervals.end_hi != NONE) & (intervals.end_lo != intervals.end_hi)
    if primary_only:
        open_bounds &= intervals.keys % 2 == 1
    mentees = intervals.keys >> 1
    at = numpy.searchsorted(events.keys(), mentees << 32 | intervals.end_lo, side="right")
    valid = at < len(events.at)
    at = numpy.minimum(at, len(events.at) - 1)
    hit = (open_bounds & valid & (events.mentees[at] == mentees) & (events.at[at] <= intervals.end_hi)
           & (events.mentors[at] != intervals.mentors))
    intervals.end_lo[hit] = intervals.end_hi[hit] = events.at[at[hit]]
    intervals.end_ev[hit] = events.evidence[at[hit]]
    return int(numpy.count_nonzero(hit))


@dataclass
class Registrations:
    """Accounts by user id: when created (Unix seconds, and the month as yyyymm) and their kind (an index in
    KINDS; ``len(KINDS)`` for another action)."""

    user_ids: numpy.typing.NDArray[numpy.int32]
    at: Column
    months: numpy.typing.NDArray[numpy.int32]
    kinds: numpy.typing.NDArray[numpy.int8]

    @classmethod
    def from_store(cls, store: StateStore, wiki: str) -> Registrations:
        """The stored registrations with a user id, converted a page at a time into columns made once
        at their full size: no temporary of the whole table."""
        count = store.registration_count(wiki)
        table = cls(numpy.zeros(count, numpy.int32), numpy.zeros(count, numpy.int64), numpy.zeros(count, numpy.int32),
                    numpy.zeros(count, numpy.int8))
        filled_to = 0
        for page in store.registration_columns(wiki, KINDS):
            rows = numpy.array(page, dtype=numpy.int64)
            end = min(filled_to + len(rows), count)  # rows stored meanwhile by another run wait for the next
            rows = rows[:end - filled_to]
            part = slice(filled_to, end)
            table.user_ids[part], table.kinds[part] = rows[:, 0] >> 4, rows[:, 0] & 15
            table.at[part], table.months[part] = unix_times(rows[:, 1]), rows[:, 1] // 10**8
            filled_to = end
        table = table.take(slice(0, filled_to))
        if len(table) > 1 and not bool(numpy.all(table.user_ids[1:] >= table.user_ids[:-1])):
            table = table.take(numpy.argsort(table.user_ids, kind="stable"))  # ids follow the log, nearly always
        return table

    def take(self, rows: Any) -> Registrations:
        return Registrations(self.user_ids[rows], self.at[rows], self.months[rows], self.kinds[rows])

    @classmethod
    def empty(cls) -> Registrations:
        return cls(numpy.zeros(0, numpy.int32), filled(0, 0), numpy.zeros(0, numpy.int32), numpy.zeros(0, numpy.int8))

    def span(self) -> tuple[int, int] | None:
        return (int(self.at.min()), int(self.at.max())) if len(self.at) else None

    def __len__(self) -> int:
        return len(self.user_ids)


def unix_times(stamps: Column) -> Column:
    """MediaWiki's yyyymmddhhmmss as Unix seconds, for whole columns."""
    months = (stamps // 10**10 - 1970) * 12 + stamps // 10**8 % 100 - 1
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype(numpy.int64) + stamps // 10**6 % 100 - 1
    return days * SECONDS_A_DAY + stamps // 10**4 % 100 * 3600 + stamps // 100 % 100 * 60 + stamps % 100


def exact_signup(intervals: Intervals, registrations: Registrations, evidence: Evidence) -> int:
    """A primary pair first seen after an account made locally was registered, and with the
    registration inside its bracket, began at signup: GrowthExperiments gives the mentor then.
    Before the first observation, the registration is at least the earliest the start can be."""
    if not len(registrations):
        return 0
    mentees = intervals.keys >> 1
    at = numpy.minimum(numpy.searchsorted(registrations.user_ids, mentees), len(registrations) - 1)
    known = (registrations.user_ids[at] == mentees) & (intervals.keys % 2 == 1)
    created = registrations.at[at]
    bracketed = known & (intervals.start_lo != intervals.start_hi) & (created <= intervals.start_hi)
    local = numpy.isin(registrations.kinds[at], [KINDS.index(kind) for kind in LOCAL_KINDS])
    signup = bracketed & local & (intervals.start_lo != NONE) & (created > intervals.start_lo)
    intervals.start_lo[signup] = intervals.start_hi[signup] = created[signup]
    intervals.start_ev[signup] = evidence("signup")
    earliest = bracketed & (intervals.start_lo == NONE)
    intervals.start_lo[earliest] = created[earliest]
    return int(numpy.count_nonzero(signup))


# --- the logs, fetched into the store -------------------------------------------------------------


def fetch_history_logs(gateway: Gateway, store: StateStore, since: datetime,
                       progress: Callable[[str], None] | None = None) -> int:
    """The growthexperiments log's mentor changes and the block log's indefinite blocks, stored
    incrementally with resumable cursors; returns how many entries were new."""
    wiki_id = store.wiki_number(gateway.config.wiki_key)

    def changes(db: Database, entries: list[dict[str, Any]]) -> int:
        rows = []
        for entry in entries:
            if entry.get("action") not in CHANGE_KINDS or "title" not in entry:
                continue  # the type carries unrelated subtypes too
            params = entry.get("params", {})
            new = params.get("new-mentor") or (entry.get("user") if entry["action"].startswith("claim") else None)
            rows.append((int(entry["logid"]), entry["action"], int(parse_iso(entry["timestamp"]).timestamp()),
                         str(entry["title"]).partition(":")[2], entry.get("user"), new))
        return store.save_log_events(db, wiki_id, rows)

    def blocks(db: Database, entries: list[dict[str, Any]]) -> int:
        rows = []
        for entry in entries:
            params = entry.get("params", {})
            duration = str(params.get("duration", "")) or str(params.get("expiry", ""))
            if entry.get("action") in ("block", "reblock") and "title" in entry and (
                    is_indefinite(duration) or not duration):
                rows.append((int(entry["logid"]), INDEFINITE_BLOCK, int(parse_iso(entry["timestamp"]).timestamp()),
                             str(entry["title"]).partition(":")[2], entry.get("user"), None))
        return store.save_log_events(db, wiki_id, rows)

    new = fetch_log(gateway, store, "growthexperiments", GE_LOG_CURSOR, since, changes, "mentor changes", progress)
    return new + fetch_log(gateway, store, "block", BLOCK_LOG_CURSOR, since, blocks, "blocks", progress)


def resolve_names(gateway: Gateway, store: StateStore) -> int:
    """User ids for the names in the stored log events not looked up yet; returns how many were asked."""
    wiki = gateway.config.wiki_key
    known = store.user_ids(wiki)
    names = sorted({name for _kind, _at, *named in store.log_events(wiki) for name in named
                    if name and name not in known})
    if names:
        store.save_user_ids(wiki, {name: ids_for_names(gateway, names).get(name, 0) for name in names})
    return len(names)


def fetch_mentor_list_history(gateway: Gateway, store: StateStore) -> int:
    """Every revision of the mentor list page, as the mentors it lists (with weight and the away date's
    copy), stored page by page with a cursor; later runs read on from the last revision stored."""
    wiki = gateway.config.wiki_key
    wiki_id = store.wiki_number(wiki)
    try:
        position = json.loads(store.get_cursor(wiki, MENTOR_LIST_CURSOR) or "{}")
    except json.JSONDecodeError as error:
        raise HistoryInputError(f"The stored position of the mentor list's history for {wiki} is malformed "
                                f"({error}); delete it ({MENTOR_LIST_CURSOR!r}) from the state store's cursor "
                                "table to read it again from the start.") from None
    cont: dict[str, str] = position.get("continue") or {}
    after = int(position.get("after", 0))
    new = 0
    while True:
        start = {"rvstartid": after} if after and not cont else {}  # inclusive: stored again, ignored
        result = gateway.get(prop="revisions", titles=MENTOR_LIST_PAGE, rvprop="ids|timestamp|content",
                             rvslots="main", rvdir="newer", rvlimit=50, **start, **cont)
        rows = []
        for revision in result["query"]["pages"][0].get("revisions", []):
            text = revision.get("slots", {}).get("main", {}).get("content")
            rows.append((int(revision["revid"]), int(parse_iso(revision["timestamp"]).timestamp()),
                         listed_mentors(text)))
            after = max(after, int(revision["revid"]))
        cont = result.get("continue", {})
        with store.transaction() as db:
            new += store.save_mentor_list_revisions(db, wiki_id, rows)
            store.set_cursor(db, wiki, MENTOR_LIST_CURSOR, json.dumps({"continue": cont} if cont else
                                                                      {"after": after}))
        if not cont:
            return new


def listed_mentors(text: str | None) -> str | None:
    """A revision's mentors as compact JSON (id -> [weight, away date's copy]); None if it cannot be read."""
    if text is None:  # hidden
        return None
    try:
        mentors, _anomalies = parse_mentor_page(text)
    except MalformedDocument:
        return None  # GrowthExperiments reads such a list as no mentors; the history skips it and says so
    return json.dumps({str(m.user_id): [m.weight, iso(m.away_until) if m.away_until else None] for m in mentors},
                      separators=(",", ":"))


MENTOR_COLUMNS = ("mentor_id", "kind", "from", "until", "from_revision", "until_revision")


def mentor_list_rows(revisions: list[tuple[int, int, str | None]]) -> list[tuple[int, str, int, int, int, int]]:
    """When each mentor was on the list (from the revision that added them to the one that removed them),
    and each away date the page's copy showed (from the revision that set it, until the date)."""
    rows: list[tuple[int, str, int, int, int, int]] = []
    listed: dict[int, tuple[int, int]] = {}  # mentor -> (since, revision)
    away: dict[int, str] = {}
    for revision, at, text in revisions:
        if text is None:
            continue
        mentors = {int(key): value for key, value in json.loads(text).items()}
        for gone in sorted(listed.keys() - mentors.keys()):
            since, added = listed.pop(gone)
            rows.append((gone, "listed", since, at, added, revision))
            away.pop(gone, None)
        for mentor, (_weight, until) in sorted(mentors.items()):
            listed.setdefault(mentor, (at, revision))
            if until and away.get(mentor) != until:
                rows.append((mentor, "away (the list's copy)", at, int(parse_iso(until).timestamp()), revision, NONE))
            if until:
                away[mentor] = until
            else:
                away.pop(mentor, None)
    rows += [(mentor, "listed", since, NONE, added, NONE) for mentor, (since, added) in sorted(listed.items())]
    return sorted(rows)


def stored_events(store: StateStore, wiki: str, bot_account: str | None,
                  evidence: Evidence) -> tuple[Events, Events, dict[str, int]]:
    """Mentor changes (with this bot's moves told apart) and indefinite blocks, by user id; and how
    many events of each kind could not be used (a name with no user id)."""
    ids = store.user_ids(wiki)
    moved_at: dict[str, list[float]] = {}
    for _id, name, _from, _to, at, _reason in store.moves(wiki):
        moved_at.setdefault(name, []).append(at)
    changes: list[tuple[int, int, int, int]] = []
    blocks: list[tuple[int, int, int, int]] = []
    unusable: dict[str, int] = {}
    dropped = evidence("dropped at indefinite block")
    for kind, at, target, performer, new_mentor in store.log_events(wiki):
        mentee = ids.get(target, 0)
        if kind == INDEFINITE_BLOCK:
            if mentee:
                blocks.append((mentee, at, 0, dropped))
            else:
                unusable[kind] = unusable.get(kind, 0) + 1
            continue
        mentor = ids.get(new_mentor or "", 0)
        if not mentee or not mentor:
            unusable[kind] = unusable.get(kind, 0) + 1
            continue
        # The bot's own record names the move it made (a minute either side of the log's time).
        by_bot = (bot_account is not None and performer == bot_account) or any(
            abs(moment - at) <= 60 for moment in moved_at.get(target, ()))
        text = ("moved by this bot" if by_bot else "claim" if kind.startswith("claim")
                else f"logged change by {performer or 'a hidden user'}")
        changes.append((mentee, at, mentor, evidence(text)))
    return Events.of(changes), Events.of(blocks), unusable


# --- the monthly table ----------------------------------------------------------------------------


@dataclass
class MonthRow:
    registered: int = 0
    at_signup: int = 0
    later: int = 0
    never: int = 0
    before_observations: int = 0  # registered before the first observation and seen in it: when, unknown
    after_observations: int = 0  # registered after the last observation
    unseen_before: int = 0  # registered before the first observation and without a mentor in any
    median_lo: float | None = None  # median delay to the first mentor, in days, as the least it can be
    median_hi: float | None = None  # ... and as the most
    states: dict[str, int] = field(default_factory=dict)


def first_primary(intervals: Intervals) -> tuple[Column, Column, Column, Column]:
    """Each mentee's first primary interval (by the latest its start can be): mentee ids, in order, and
    that interval's start bounds and evidence."""
    rows = numpy.flatnonzero(intervals.keys % 2 == 1)
    rows = rows[numpy.lexsort((intervals.start_hi[rows], intervals.keys[rows]))]
    _keys, first = numpy.unique(intervals.keys[rows], return_index=True)
    chosen = rows[first]
    return intervals.keys[chosen] >> 1, intervals.start_lo[chosen], intervals.start_hi[chosen], \
        intervals.start_ev[chosen]


MONTH_CHUNK = 1_000_000  # registrations classified at a time: memory stays flat however many there are
KIND_SLOTS = 8  # room for KINDS and "other" in a group number


def monthly(intervals: Intervals, registrations: Registrations, first_at: int, last_at: int,
            signup: int, states: UserFlags | None) -> dict[tuple[int, str], MonthRow]:
    """Per registration month and kind: first mentor at signup, later (with delay bounds), never.

    Counted a million registrations at a time with bincount over (month, kind) groups."""
    if not len(registrations):
        return {}
    mentees, first_lo, first_hi, first_ev = first_primary(intervals)
    month_index = (registrations.months // 100) * 12 + registrations.months % 100 - 1
    base = int(month_index.min())
    size = (int(month_index.max()) - base + 1) * KIND_SLOTS
    names = ("registered", "at_signup", "later", "never", "before_observations", "after_observations",
             "unseen_before")
    totals = {name: numpy.zeros(size, dtype=numpy.int64) for name in names}
    by_state = numpy.zeros(size * 8, dtype=numpy.int64)
    later_groups, lows, highs = [], [], []
    bits = numpy.frombuffer(bytes(states.bits), dtype=numpy.uint8) if states is not None else None
    for begin in range(0, len(registrations), MONTH_CHUNK):
        part = slice(begin, begin + MONTH_CHUNK)
        ids, created = registrations.user_ids[part], registrations.at[part]
        group = (month_index[part] - base) * KIND_SLOTS + registrations.kinds[part]
        has = numpy.zeros(len(ids), dtype=bool)
        start_lo, start_hi, start_ev = filled(len(ids), NONE), filled(len(ids), NONE), filled(len(ids), NONE)
        if len(mentees):
            at = numpy.minimum(numpy.searchsorted(mentees, ids), len(mentees) - 1)
            has = mentees[at] == ids
            found = at[has]
            start_lo[has], start_hi[has], start_ev[has] = first_lo[found], first_hi[found], first_ev[found]
        at_signup = has & (start_ev == signup)
        before = has & ~at_signup & (created <= first_at) & (start_hi <= first_at)
        after = ~has & (created > last_at)
        later = has & ~at_signup & ~before
        unseen_before = ~has & (created <= first_at)  # a mentor they had may have gone before the first observation
        never = ~has & ~after & ~unseen_before
        for name, mask in zip(names, (numpy.ones(len(ids), dtype=bool), at_signup, later, never, before, after,
                                      unseen_before), strict=True):
            totals[name] += numpy.bincount(group[mask], minlength=size)
        later_groups.append(group[later])
        lows.append((numpy.maximum(start_lo[later], created[later]) - created[later]) / SECONDS_A_DAY)
        highs.append((start_hi[later] - created[later]) / SECONDS_A_DAY)
        if bits is not None:
            codes = numpy.zeros(len(ids), dtype=numpy.int64)
            inside = ids < len(bits)
            codes[inside] = bits[ids[inside]] >> STATE_SHIFT
            by_state += numpy.bincount(group * 8 + codes, minlength=size * 8)
    groups = numpy.concatenate(later_groups)
    order = numpy.argsort(groups, kind="stable")
    bounds = numpy.searchsorted(groups[order], numpy.arange(size + 1))
    low_delays, high_delays = numpy.concatenate(lows)[order], numpy.concatenate(highs)[order]
    table: dict[tuple[int, str], MonthRow] = {}
    for index in numpy.flatnonzero(totals["registered"]).tolist():
        month, kind = divmod(index, KIND_SLOTS)
        month += base
        low, high = low_delays[bounds[index]:bounds[index + 1]], high_delays[bounds[index]:bounds[index + 1]]
        states_here = {STATE_NAMES.get(code, "unknown"): int(number)
                       for code, number in enumerate(by_state[index * 8:index * 8 + 8].tolist()) if number}
        table[(month // 12) * 100 + month % 12 + 1, KINDS[kind] if kind < len(KINDS) else "other"] = MonthRow(
            **{name: int(values[index]) for name, values in totals.items()},
            median_lo=float(numpy.median(low)) if len(low) else None,
            median_hi=float(numpy.median(high)) if len(high) else None,
            states=states_here if bits is not None else {})
    return table


# --- the whole dataset ----------------------------------------------------------------------------


@dataclass
class Inputs:
    """What the run used, for the methods note."""

    dumps: list[Observation] = field(default_factory=list)
    snapshots: list[Observation] = field(default_factory=list)
    registrations: int = 0
    registrations_range: tuple[int, int] | None = None
    changes: int = 0
    blocks: int = 0
    unusable: dict[str, int] = field(default_factory=dict)
    states: int | None = None
    logs_since: str | None = None
    mentor_list: list[tuple[int, int, str | None]] = field(default_factory=list)  # the page's revisions


@dataclass
class History:
    intervals: Intervals
    evidence: Evidence
    months: dict[tuple[int, str], MonthRow]
    inputs: Inputs
    exact: dict[str, int]
    mentors: list[tuple[int, str, int, int, int, int]] = field(default_factory=list)


def build_history(observations: list[Observation], load_registrations: Callable[[], Registrations],
                  changes: Events, blocks: Events, evidence: Evidence, inputs: Inputs,
                  states: UserFlags | None = None, progress: Callable[[str], None] | None = None) -> History:
    """The registrations are loaded once the observations are read, so the two never fill memory at once."""
    ordered = sorted(observations, key=lambda o: o.at)
    if not ordered:
        raise HistoryInputError("No observation of who mentors whom: give --dumps DIR (Wikimedia's weekly dumps), "
                                "or run `mentorbot snapshot` to record them over time.")
    inputs.changes, inputs.blocks = len(changes.at), len(blocks.at)
    intervals = observed_intervals(ordered, evidence, progress)
    registrations = load_registrations()
    inputs.registrations, inputs.registrations_range = len(registrations), registrations.span()
    exact = {"start from a logged change": exact_start(intervals, changes),
             "end from a logged change": exact_end(intervals, changes, primary_only=True),
             "end at an indefinite block": exact_end(intervals, blocks, primary_only=False),
             "start at signup": exact_signup(intervals, registrations, evidence)}
    months = monthly(intervals, registrations, ordered[0].at, ordered[-1].at, evidence("signup"), states) \
        if len(registrations) else {}
    return History(intervals, evidence, months, inputs, exact, mentor_list_rows(inputs.mentor_list))


# --- files ----------------------------------------------------------------------------------------


def moments(column: Column) -> list[str]:
    """Unix seconds as ISO 8601 in UTC, an empty string where unknown."""
    text = numpy.datetime_as_string(column.astype("datetime64[s]"), unit="s", timezone="UTC")
    return numpy.where(column == NONE, "", text).tolist()  # type: ignore[no-any-return]


def csv_field(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n\r') else text


def write_intervals(history: History, path: Path, chunk: int = 100_000) -> None:
    """The intervals by mentee, primary first, then by start; written a chunk at a time as plain lists
    (far faster than numpy's scalars) through ISA-L's gzip."""
    evidence = [csv_field(text) for text in history.evidence.texts]  # a performer's name may hold a comma
    intervals = history.intervals
    order = numpy.lexsort((intervals.start_hi, intervals.keys % 2 == 0, intervals.keys >> 1))

    def write(target: Path) -> None:
        with igzip.open(target, "wb", compresslevel=2) as handle:  # type: ignore[no-untyped-call]
            handle.write((",".join(INTERVAL_COLUMNS) + "\n").encode())
            for begin in range(0, len(order), chunk):
                part = intervals.take(order[begin:begin + chunk])
                roles = ["backup", "primary"]
                columns = [(part.keys >> 1).tolist(), [roles[primary] for primary in (part.keys % 2).tolist()],
                           part.mentors.tolist(), moments(part.start_lo), moments(part.start_hi),
                           [evidence[index] for index in part.start_ev.tolist()], moments(part.end_lo),
                           moments(part.end_hi), [evidence[index] for index in part.end_ev.tolist()]]
                handle.write("".join(f"{a},{b},{c},{d},{e},{f},{g},{h},{i}\n" for a, b, c, d, e, f, g, h, i
                                     in zip(*columns, strict=True)).encode())

    write_atomically(path, write)


def days(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def write_monthly(history: History, path: Path) -> None:
    states = sorted({state for row in history.months.values() for state in row.states})
    header = ["month", "account", "registered", "first_mentor_at_signup", "first_mentor_later",
              "median_delay_days_at_least", "median_delay_days_at_most", "never_a_mentor",
              "registered_before_the_first_observation", "registered_after_the_last_observation",
              "registered_before_the_first_observation_no_mentor_seen",
              *(f"state_{state.replace(' ', '_')}" for state in states)]

    def write(target: Path) -> None:
        with gzip.open(target, "wt", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for (month, kind), row in sorted(history.months.items(), key=lambda item: (
                    item[0][0], KINDS.index(item[0][1]) if item[0][1] in KINDS else len(KINDS))):
                writer.writerow([f"{month // 100}-{month % 100:02d}", kind, row.registered, row.at_signup, row.later,
                                 days(row.median_lo), days(row.median_hi), row.never, row.before_observations,
                                 row.after_observations, row.unseen_before,
                                 *(row.states.get(state, 0) for state in states)])

    write_atomically(path, write)


def write_mentors(history: History, path: Path) -> None:
    def moment(value: int) -> str:
        return "" if value == NONE else iso(datetime.fromtimestamp(value, UTC))

    def write(target: Path) -> None:
        with gzip.open(target, "wt", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(MENTOR_COLUMNS)
            writer.writerows((mentor, kind, moment(since), moment(until), added, "" if removed == NONE else removed)
                             for mentor, kind, since, until, added, removed in history.mentors)

    write_atomically(path, write)


def write_history(history: History, output: Path) -> list[Path]:
    try:
        output.mkdir(parents=True, exist_ok=True)
        files = [output / "intervals.csv.gz"]
        write_intervals(history, files[0])
        if history.months:
            files.append(output / "monthly.csv.gz")
            write_monthly(history, files[-1])
        if history.mentors:
            files.append(output / "mentors.csv.gz")
            write_mentors(history, files[-1])
        files.append(output / "methods.md")
        note = methods_note(history)

        def write_note(target: Path) -> None:
            target.write_text(note, encoding="utf-8")

        write_atomically(files[-1], write_note)
    except OSError as error:
        raise OutputError("the history's files", output, error) from None
    return files


def day(moment: int) -> str:
    return f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%d}"


def methods_note(history: History) -> str:
    """How the dataset was made, from this run's own inputs and counts."""
    inputs, intervals = history.inputs, history.intervals
    exact_starts = int(numpy.count_nonzero(intervals.start_lo == intervals.start_hi))
    exact_ends = int(numpy.count_nonzero((intervals.end_lo == intervals.end_hi) & (intervals.end_hi != NONE)))
    lines = [
        "# Mentorship history: methods", "",
        f"{len(intervals)} intervals ({int(numpy.count_nonzero(intervals.keys % 2 == 1))} primary) of "
        f"{len(numpy.unique(intervals.keys >> 1))} mentees; {exact_starts} starts and {exact_ends} ends exact, "
        "the others bracketed between two observations.", "",
        "## Sources", "",
        f"- Weekly dumps of `growthexperiments_mentor_mentee`: {len(inputs.dumps)}"
        + (f", {day(inputs.dumps[0].at)} to {day(inputs.dumps[-1].at)} (dated by the file name)." if inputs.dumps
           else ". Without them, starts and ends are bracketed only by the bot's own snapshots."),
        f"- The bot's snapshots from the API: {len(inputs.snapshots)}"
        + (f", {inputs.snapshots[0].label[12:]} to {inputs.snapshots[-1].label[12:]}." if inputs.snapshots
           else "."),
    ]
    if inputs.registrations_range:
        first, last = inputs.registrations_range
        lines.append(f"- Account-creation log: {inputs.registrations} registrations, {day(first)} to {day(last)}.")
    else:
        lines.append("- Account-creation log: not used (give the wiki with --api to fetch it). Without it no "
                     "start can be dated to a signup and there is no monthly table.")
    if inputs.logs_since:
        entries = counted(inputs.changes, "usable entry", "usable entries")
        lines.append(f"- growthexperiments log (mentor changes and claims): {entries}; block log: "
                     f"{counted(inputs.blocks, 'indefinite block')} of users; both from {inputs.logs_since}."
                     + (" Not usable (a name with no user id now, e.g. renamed or a hidden user): "
                        + ", ".join(f"{count} {kind}" for kind, count in sorted(inputs.unusable.items())) + "."
                        if inputs.unusable else ""))
    else:
        lines.append("- growthexperiments and block logs: not used (give the wiki with --api). Without them no "
                     "bound is exact except at signup.")
    revisions = inputs.mentor_list
    if revisions:
        unread = sum(1 for _revision, _at, text in revisions if text is None)
        lines.append(f"- The mentor list's page history: {counted(len(revisions), 'revision')}, {day(revisions[0][1])} "
                     f"to {day(revisions[-1][1])}" + (f", {unread} of them hidden or not readable (skipped)"
                                                      if unread else "") + "; `mentors.csv.gz` says when each mentor "
                     "was listed, and each away date the page's copy showed (the true away state is not public).")
    else:
        lines.append("- The mentor list's page history: not used (give the wiki with --api); no `mentors.csv.gz`.")
    lines.append("- Mentorship states: " + (f"{inputs.states} users from the released table." if inputs.states
                                            is not None else "not given (--states FILE)."))
    lines += [
        "", "## What each bound means", "",
        "Each interval has a start and an end, each as the earliest and the latest moment it can be (UTC); "
        "the same moment when exact. An empty end means the pair is still there in the last observation.", "",
        "- `signup`: the account was made on this wiki (create, create2, byemail) inside the bracket; "
        "GrowthExperiments gives the mentor at signup, so the start is the registration.",
        "- `logged change by NAME`, `claim`, `moved by this bot`: a growthexperiments log entry (or this "
        "bot's own record of a move) to or away from this mentor inside the bracket; exact.",
        "- `dropped at indefinite block`: the mentee was blocked indefinitely inside the bracket; "
        "GrowthExperiments as Wikimedia runs it drops both pairs then, without a log entry (1.43 keeps them).",
        "- `first seen in dump of DATE` / `first seen in snapshot of DATE`: absent in the observation before, "
        "present in this one: the start lies between the two.",
        "- `last seen in ...`: present in that observation, absent in the next: the end lies between the two.",
        "- `before the first observation`: present in the first observation; the start is at most its date and "
        "at least the registration, when known.",
        "- `still seen in ...`: present in the last observation.",
        "", "## Exact bounds found", "",
        *(f"- {what}: {count}" for what, count in history.exact.items()),
        "", "## Known traps", "",
        "- Counting growthexperiments log entries as assignments is the artefact behind a share of about 60 % "
        "quoted in discussions: most assignments (at signup, at the first visit to the Homepage) are not logged at "
        "all, and one mentee can have several entries (claims, changes, moves by bots). Count intervals, not log "
        "entries.",
        "- Autocreated accounts (a global account's first visit) and temporary accounts get no mentor at signup; "
        "a later first mentor is theirs only if they open the Homepage. Names beginning with `~` are temporary "
        "only when they begin with `~2`.",
        "- A mentorship percentage below 100 % hides the mentorship module from part of the new accounts but "
        "does not stop the assignment: those accounts have a mentor here too (state 0 in the released states).",
        "- Mentees are moved in bulk by bots (this one included, `moved by this bot`) and by GrowthExperiments' "
        "own cleaner when it removes a mentor (Maintenance script, not logged as setmentor): a change not "
        "chosen by the mentee.",
        "- Between two observations a pair that left and came back, or a mentor who came and went, is not seen "
        "unless the logs record it. The bot's snapshots take a pair as present between its first and last "
        "sighting.",
        "- A user renamed since a log entry is not matched to its user id; the counts above say how many entries "
        "that left out.",
        "- `signup` takes the registration as the start when it falls inside the bracket; a first mentor given "
        "later inside the same bracket (at a first visit to the Homepage) cannot be told apart from it.",
        "- A dump is dated by the day in its file name, at 00:00 UTC; Wikimedia takes it during that day, so "
        "bounds from dumps may be some hours early.",
    ]
    if history.months:
        lines += ["", "## The monthly table", "",
                  "Per registration month and kind of account: how many got their first (primary) mentor at signup, "
                  "later (with the median delay in days, as the least and the most it can be), or never by the "
                  "last observation; those registered before the first observation whose first mentor is already "
                  "there (when, unknown), those registered after the last observation, and those registered before "
                  "the first observation with no mentor in any (a mentor they had may have gone before it)."]
    return "\n".join(lines) + "\n"

