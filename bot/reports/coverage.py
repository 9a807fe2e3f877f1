"""``mentorbot report coverage``: of the accounts registered each month, what share has a mentor?

The data has traps, and each is handled here on purpose:

* Registrations come from the account-creation log (``list=logevents&letype=newusers``), fetched
  into the state store from a resumable cursor (each page is stored with its continuation, so
  an interrupted first fetch of millions of entries goes on where it stopped, and later runs
  fetch only what is new), or from a CSV file. They are split by creation action, because
  GrowthExperiments assigns a mentor at signup to every account created on the wiki itself
  (``create``, and ``create2`` and ``byemail`` by another user), never to autocreated (SUL) or
  temporary ones: counting autocreated accounts in the denominator is what makes coverage look flat.
  Temporary accounts (names beginning ``~2``, not just ``~``) are a kind of their own.
* Mentor rows come from Wikimedia's weekly dump or from the bot's newest snapshot. Either says
  who has a mentor *now*: no assignment time exists anywhere, so an account that lost its mentor
  (indefinite block, graduation, opt-out) counts as without one.
* Where no mentor is found, the report says why when the data can (indefinitely blocked now,
  a temporary or autocreated account, and with a released state file disabled or opted out);
  everything else is counted as unexplained, never guessed.

Memory stays flat at millions of users: what is known about each user id is one byte in a
``bytearray`` indexed by id (a few tens of MB for English Wikipedia's id range), and
registrations are streamed and counted, never held.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import numpy
import numpy.typing

from bot.database import Database
from bot.dump import read_mentor_batches
from bot.errors import MentorBotError
from bot.gateway import Gateway
from bot.gzipped import GzipChunks
from bot.logs import fetch_log
from bot.messages import Messages, Text, english
from bot.reports import Cell, Labelled, Report, Share
from bot.state import StateStore

CURSOR_TASK = "registrations"
CREATION_ACTIONS = ("create", "autocreate", "create2", "byemail")
KINDS = ("create", "autocreate", "create2", "byemail", "temporary")
REGISTRATION_COLUMNS = ("log_id", "user_id", "user_name", "timestamp", "action")
# A log id can be committed a little out of order; each later fetch starts this much earlier.

# What is known about one user id, as bits of one byte.
PRIMARY, BACKUP, ACTIVE, BLOCKED = 1, 2, 4, 8
STATE_SHIFT = 4  # three bits: 0 unknown, else 1 + index in STATES
STATES = {0: "disabled", 1: "enabled", 2: "opted out", 50: "enabled explicitly"}
STATE_CODES = {value: index + 1 for index, value in enumerate(STATES)}
STATE_NAMES = {index + 1: name for index, name in enumerate(STATES.values())}
# The largest user id the table grows to (English Wikipedia is near 50 million): 256 MB at most.
MAX_USER_ID = 1 << 28


class CoverageInputError(MentorBotError):
    """A registrations or states file that cannot be read; the message names the file and line."""


class UserFlags:
    """One byte per user id, grown as needed."""

    def __init__(self) -> None:
        self.bits = bytearray()

    def reserve(self, user_id: int, source: str) -> None:
        """Make room for ids up to ``user_id`` (bytearray over-allocates as it grows, as a list does)."""
        if user_id < len(self.bits):
            return
        if user_id >= MAX_USER_ID:
            raise CoverageInputError(f"{source}: user id {user_id} is beyond the {MAX_USER_ID} this report handles")
        self.bits.extend(bytes(user_id + 1 - len(self.bits)))

    def set(self, user_ids: Iterable[int], bit: int, source: str) -> None:
        for user_id in user_ids:
            self.reserve(user_id, source)
            self.bits[user_id] |= bit

    def set_many(self, user_ids: numpy.typing.NDArray[numpy.int64], bits: numpy.typing.NDArray[numpy.uint8],
                 source: str) -> None:
        """Or each of ``bits`` into the byte of the id beside it (an id may come twice)."""
        if len(user_ids):
            self.reserve(int(user_ids.max()), source)
            # A view of the bytearray, released at the end of the statement so that it may grow again.
            numpy.bitwise_or.at(numpy.frombuffer(self.bits, dtype=numpy.uint8), user_ids, bits)


@dataclass(frozen=True)
class MentorSource:
    description: Text  # for the methods note
    has_backup: bool
    has_active: bool


def flags_from_dump(flags: UserFlags, path: Path) -> MentorSource:
    """Primary, backup and active bits from the weekly dump, streamed."""
    for batch in read_mentor_batches(path):
        bits = numpy.where(batch.primary, PRIMARY, BACKUP) | numpy.where(batch.active, ACTIVE, 0)
        flags.set_many(batch.mentee_ids, bits.astype(numpy.uint8), str(path))
    return MentorSource(Text("mentorbot-coverage-source-dump", path.name), has_backup=True, has_active=True)


def flags_from_snapshot(flags: UserFlags, store: StateStore, wiki: str) -> MentorSource:
    """Pairs seen in the newest snapshot the bot took (primary only from the API; no activity flag)."""
    newest = store.newest_snapshot(wiki)
    if newest is None:
        raise CoverageInputError("No mentor data: give --dump FILE (the weekly dump), or run `mentorbot snapshot` "
                                 "first.")
    taken_at, kind = newest
    for role, bit in (("primary", PRIMARY), ("backup", BACKUP)):
        flags.set(store.mentees_seen_since(wiki, role, taken_at), bit, "the snapshot")
    when = datetime.fromtimestamp(taken_at, UTC)
    stamp = f"{when:%Y-%m-%d %H:%M}"
    source = (Text("mentorbot-coverage-source-snapshot-dump", stamp, kind.removeprefix("dump:"))
              if kind.startswith("dump:") else Text("mentorbot-coverage-source-snapshot", stamp))
    return MentorSource(source,
                        has_backup=kind.startswith("dump:"), has_active=False)


# --- registrations ------------------------------------------------------------------------------

Registration = tuple[int | None, int, str, int]  # user id, yyyymmddhhmmss, action, temporary (0/1)


def is_temporary(name: str) -> bool:
    """Temporary accounts are named ~2YYYY-...; other names may begin with ~ too."""
    return name.startswith("~2")


def mediawiki_time(value: str) -> int | None:
    """yyyymmddhhmmss from MediaWiki's 14 digits or ISO 8601 (2021-01-01T00:00:05Z); None if neither."""
    if len(value) == 14 and value.isdigit():
        return int(value)
    if len(value) == 20 and value[4] == "-" and value[10] == "T" and value[19] == "Z":
        digits = value[0:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:19]
        if digits.isdigit():
            return int(digits)
    return None


def open_text(path: Path) -> IO[str]:
    try:
        if path.name.endswith(".gz"):
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
        return path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise CoverageInputError(f"{path}: cannot be opened ({error.strerror or error})") from None


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: == on arrays is elementwise
class RegistrationBatch:
    """Registrations as columns: the user id (0 where the log gave none), the month as yyyymm, the kind.

    A kind is an index in ``kinds``, which is :data:`KINDS` unless the store holds another action.
    """

    user_ids: Int64Column
    months: Int64Column
    kinds: numpy.typing.NDArray[numpy.uint8]
    kind_names: tuple[str, ...] = KINDS

    def __len__(self) -> int:
        return len(self.user_ids)


Int64Column = numpy.typing.NDArray[numpy.int64]
_TEMPORARY: Final = KINDS.index("temporary")


def registration_batches(pages: Iterable[Sequence[Registration]], size: int = 100_000) -> Iterator[RegistrationBatch]:
    """Registrations as the state store gives them, a page at a time, as batches of about ``size``.

    Each column is made in C (a transpose, a dictionary lookup per action through ``map``).
    """
    names = list(KINDS)
    code = {name: index for index, name in enumerate(names)}
    pending: list[Registration] = []
    for page in itertools.chain(pages, [[]]):
        pending.extend(page)
        if not pending or (page and len(pending) < size):
            continue
        user_ids, created, actions, temporary = zip(*pending, strict=True)
        pending = []
        for action in set(actions) - code.keys():  # an action this report does not know counts under its own name
            code[action] = len(names)
            names.append(action)
        kinds = numpy.fromiter(map(code.__getitem__, actions), dtype=numpy.uint8, count=len(actions))
        yield RegistrationBatch(
            numpy.nan_to_num(numpy.array(user_ids, dtype=numpy.float64)).astype(numpy.int64),  # None: 0
            numpy.array(created, dtype=numpy.int64) // 100_000_000,
            numpy.where(numpy.array(temporary, dtype=bool), numpy.uint8(_TEMPORARY), kinds),
            tuple(names))


def read_registration_file(path: Path) -> Iterator[RegistrationBatch]:
    """Registrations from a CSV file: a header ``log_id,user_id,user_name,timestamp,action``, then rows.

    Streamed, a megabyte at a time (gzip'd when the name ends in ``.gz``). Each chunk of whole
    lines is read with a few passes of numpy over its bytes (:func:`_fast_registrations`); a chunk
    it does not take, and each line with a quote (a name with a comma), goes through the csv
    module row by row, which reads it or refuses the row with the file and line. So does a gzip
    file cut off.
    """
    try:
        raw = path.open("rb")
    except OSError as error:
        raise CoverageInputError(f"{path}: cannot be opened ({error.strerror or error})") from None
    with raw:
        if path.name.endswith(".gz"):
            read = GzipChunks(raw, str(path), CoverageInputError).read
        else:
            def read() -> bytes:
                return raw.read(1 << 20)
        yield from _registration_chunks(read, path)


def _registration_chunks(read: Callable[[], bytes], path: Path) -> Iterator[RegistrationBatch]:
    rest = b""
    line = 1  # of the chunk's first line
    header_seen = False
    while True:
        data = read()
        text = rest + data
        end = text.rfind(b"\n") + 1 if data else len(text)
        chunk, rest = text[:end], text[end:]
        if chunk and not chunk.endswith(b"\n"):
            chunk += b"\n"
        if not header_seen and chunk:
            header_end = chunk.index(b"\n") + 1
            _check_header(chunk[:header_end], path)
            chunk, header_seen, line = chunk[header_end:], True, 2
        if chunk:
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError as error:
                at = line + chunk.count(b"\n", 0, error.start)
                raise CoverageInputError(f"{path}: line {at}: not UTF-8 ({error.reason})") from None
            batch = _fast_registrations(chunk)
            yield batch if batch is not None else _exact_registrations(chunk, path, line)
            line += chunk.count(b"\n")
        if not data:
            if not header_seen:
                raise CoverageInputError(f"{path}: line 1: the header must be {','.join(REGISTRATION_COLUMNS)}, "
                                         "not ''")
            return


def _check_header(line: bytes, path: Path) -> None:
    header = next(csv.reader([line.decode("utf-8", "replace")]), [])
    if tuple(column.strip() for column in header) != REGISTRATION_COLUMNS:
        raise CoverageInputError(f"{path}: line 1: the header must be {','.join(REGISTRATION_COLUMNS)}, "
                                 f"not {','.join(header)!r}")


def _exact_registrations(chunk: bytes, path: Path, first_line: int) -> RegistrationBatch:
    """Whole lines read by the csv module, each checked; a row that does not fit is refused with its line."""
    user_ids, months, kinds = [], [], []
    code = {action: index for index, action in enumerate(KINDS)}
    line = first_line
    try:
        for line, row in enumerate(csv.reader(io.StringIO(chunk.decode("utf-8"), newline="")), start=first_line):
            user_id, created, action, temporary = _registration_row(row, path, line)
            user_ids.append(user_id)
            months.append(created // 100_000_000)
            kinds.append(_TEMPORARY if temporary else code[action])
    except csv.Error as error:
        raise CoverageInputError(f"{path}: cannot be read after line {line} ({error})") from None
    return RegistrationBatch(numpy.array(user_ids, dtype=numpy.int64), numpy.array(months, dtype=numpy.int64),
                             numpy.array(kinds, dtype=numpy.uint8))


def _registration_row(row: list[str], path: Path, line: int) -> tuple[int, int, str, int]:
    """One CSV row checked: (user id, yyyymmddhhmmss, action, temporary 0/1)."""
    if len(row) != 5:
        raise CoverageInputError(f"{path}: line {line}: {len(row)} fields, expected 5")
    log_id, user_id, name, stamp, action = row
    created = mediawiki_time(stamp)
    if created is None:
        raise CoverageInputError(f"{path}: line {line}: timestamp {stamp!r} is neither yyyymmddhhmmss "
                                 "nor ISO 8601")
    if action not in CREATION_ACTIONS:
        raise CoverageInputError(f"{path}: line {line}: action {action!r} is not one of "
                                 f"{', '.join(CREATION_ACTIONS)}")
    if not (_DIGITS_ONLY.fullmatch(user_id) and _DIGITS_ONLY.fullmatch(log_id)):
        raise CoverageInputError(f"{path}: line {line}: log_id and user_id must be whole numbers")
    return int(user_id), created, action, 1 if is_temporary(name) else 0


_DIGITS_ONLY: Final = re.compile(r"[0-9]+")
# Each action as the bytes of a line's last field, padded to the width the fast path compares.
_ACTION_WIDTH: Final = 10
_ACTION_BYTES: Final = [numpy.frombuffer(action.encode().ljust(_ACTION_WIDTH, b"\0"), dtype=numpy.uint8)
                        for action in CREATION_ACTIONS]
_POWERS: Final = 10 ** numpy.arange(9, -1, -1, dtype=numpy.int64)  # the weight of each of ten digits


def _fast_registrations(chunk: bytes) -> RegistrationBatch | None:
    """The rows of whole lines written plainly, or None: then :func:`_exact_registrations` reads them.

    A plain line is ``digits,digits,name,timestamp,action`` with no quote: four commas, ids of at
    most ten digits, a timestamp of 14 digits or ``YYYY-MM-DDTHH:MM:SSZ``, one of the four
    actions. Lines with a quote are read by the csv module, the others with numpy: positions of
    commas and line breaks, a running count of the bytes that are not digits (so a field is
    checked in one subtraction), and each id read from its last ten bytes at once. The chunk is
    taken only if every plain line passes every check; what is taken is what the csv module
    would read.
    """
    if b"\r" in chunk or b"\0" in chunk:
        return None
    pad = 16
    text = numpy.frombuffer(bytes(pad) + chunk + bytes(pad), dtype=numpy.uint8)
    ends = numpy.flatnonzero(text == 0x0A)
    starts = numpy.concatenate(([pad], ends[:-1] + 1))
    quoted_lines = numpy.zeros(len(ends), dtype=bool)
    if b'"' in chunk:
        quoted_lines[numpy.searchsorted(ends, numpy.flatnonzero(text == 0x22))] = True
    plain = ~quoted_lines
    commas = numpy.flatnonzero(text == 0x2C)
    first = numpy.searchsorted(commas, starts)
    if not numpy.array_equal(numpy.searchsorted(commas, ends)[plain] - first[plain], numpy.full(plain.sum(), 4)):
        return None
    commas = numpy.concatenate((commas, numpy.zeros(4, dtype=commas.dtype)))  # room past the last line's
    c0, c1, c2, c3 = (commas[first + k][plain] for k in range(4))
    line_starts, line_ends = starts[plain], ends[plain]
    not_digit = numpy.cumsum((text < 0x30) | (text > 0x39), dtype=numpy.int64)

    def all_digits(begin: Int64Column, end: Int64Column) -> bool:
        return bool(((end > begin) & (not_digit[end - 1] == not_digit[begin - 1])).all())

    if not (all_digits(line_starts, c0) and all_digits(c0 + 1, c1) and ((c1 - c0 - 1) <= 10).all()):
        return None
    user_ids = _numbers(text, c1, c1 - c0 - 1)
    # Timestamps: 14 digits, or ISO 8601 with its digits where MediaWiki writes them.
    width = c3 - c2 - 1
    compact = width == 14
    iso = width == 20
    if not (compact | iso).all() or not all_digits(c2[compact] + 1, c3[compact]):
        return None
    months = _numbers(text, c2 + 7, numpy.full(len(c2), 6))  # yyyymm: the first six digits
    if iso.any():
        stamp = text[c2[iso, None] + 1 + numpy.arange(20)]
        digit_places = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        shape = (stamp[:, 4] == 0x2D) & (stamp[:, 10] == 0x54) & (stamp[:, 19] == 0x5A)
        if not (shape & ((stamp[:, digit_places] >= 0x30) & (stamp[:, digit_places] <= 0x39)).all(axis=1)).all():
            return None
        months[iso] = _numbers(text, c2[iso] + 5, numpy.full(iso.sum(), 4)) * 100 + _numbers(
            text, c2[iso] + 8, numpy.full(iso.sum(), 2))
    # The action: the last field compared with each one's bytes.
    action_width = line_ends - c3 - 1
    field = text[c3[:, None] + 1 + numpy.arange(_ACTION_WIDTH)]
    field[numpy.arange(_ACTION_WIDTH) >= action_width[:, None]] = 0
    kinds = numpy.full(len(c3), 255, dtype=numpy.uint8)
    for index, action in enumerate(_ACTION_BYTES):
        kinds[(field == action).all(axis=1) & (action_width <= _ACTION_WIDTH)] = index
    if (kinds == 255).any():
        return None
    # A temporary account's name begins with "~2".
    kinds[(c2 - c1 > 2) & (text[c1 + 1] == 0x7E) & (text[c1 + 2] == 0x32)] = _TEMPORARY
    batch = RegistrationBatch(user_ids, months, kinds)
    if not quoted_lines.any():
        return batch
    quoted = b"".join(chunk[start - pad:end + 1 - pad] for start, end in
                      zip(starts[quoted_lines].tolist(), ends[quoted_lines].tolist(), strict=True))
    try:
        rows = [_registration_row(row, Path("-"), 0) for row in csv.reader(io.StringIO(quoted.decode(), newline=""))]
    except (CoverageInputError, csv.Error):
        return None
    if len(rows) != int(quoted_lines.sum()):
        return None
    code = {action: index for index, action in enumerate(KINDS)}
    return RegistrationBatch(
        numpy.concatenate((batch.user_ids, numpy.array([row[0] for row in rows], dtype=numpy.int64))),
        numpy.concatenate((batch.months, numpy.array([row[1] // 100_000_000 for row in rows], dtype=numpy.int64))),
        numpy.concatenate((batch.kinds, numpy.array([_TEMPORARY if row[3] else code[row[2]] for row in rows],
                                                    dtype=numpy.uint8))))


def _numbers(text: numpy.typing.NDArray[numpy.uint8], ends: Int64Column, widths: Int64Column) -> Int64Column:
    """The decimal numbers of ``widths`` digits (at most ten) that end just before ``ends``."""
    digits = text[ends[:, None] - 10 + numpy.arange(10)].astype(numpy.int64) - 0x30
    digits[numpy.arange(10) < 10 - widths[:, None]] = 0
    return numpy.asarray(digits @ _POWERS, dtype=numpy.int64)


def fetch_registrations(gateway: Gateway, store: StateStore, since: datetime,
                        progress: Callable[[str], None] | None = None) -> int:
    """Bring the stored registrations up to date from the account-creation log; returns how many are new."""
    wiki_id = store.wiki_number(gateway.config.wiki_key)

    def save(db: Database, entries: list[dict[str, Any]]) -> int:
        rows = []
        for entry in entries:
            created = mediawiki_time(entry["timestamp"])
            if created is None:
                continue
            user_id = entry.get("params", {}).get("userid")
            name = str(entry.get("title", "")).partition(":")[2]
            rows.append((int(entry["logid"]), int(user_id) if user_id else None, created,
                         str(entry.get("action", "")), 1 if is_temporary(name) else 0))
        return store.save_registrations(db, wiki_id, rows)

    return fetch_log(gateway, store, "newusers", CURSOR_TASK, since, save, "registrations", progress)


def read_states_file(flags: UserFlags, path: Path) -> int:
    """A released table of mentorship states: CSV ``user_id,state`` (a header line is allowed)."""
    count = 0
    bits = flags.bits
    with open_text(path) as handle:
        line = 0
        try:
            for line, row in enumerate(csv.reader(handle, strict=True), start=1):  # a quote left open is an error
                if len(row) != 2:
                    raise CoverageInputError(f"{path}: line {line}: {len(row)} fields, expected user_id,state")
                user_id, state = row[0].strip(), row[1].strip()
                if line == 1 and not user_id.isdigit():
                    continue  # the header
                code = STATE_CODES.get(int(state)) if state.lstrip("-").isdigit() else None
                if not user_id.isdigit() or code is None:
                    raise CoverageInputError(f"{path}: line {line}: expected a user id and a state of "
                                             f"{', '.join(map(str, STATES))}, not {','.join(row)!r}")
                number = int(user_id)
                if number >= len(bits):
                    flags.reserve(number, str(path))
                    bits = flags.bits
                bits[number] = (bits[number] & 0x0F) | (code << STATE_SHIFT)
                count += 1
        except (EOFError, OSError, gzip.BadGzipFile, csv.Error, UnicodeDecodeError) as error:
            raise CoverageInputError(f"{path}: cannot be read after line {line} ({error})") from None
    return count


def indefinitely_blocked(gateway: Gateway) -> Iterator[int]:
    """User ids of accounts blocked indefinitely now (GrowthExperiments dropped their mentor at the block)."""
    for result in gateway.query_all(list="blocks", bkshow="account|!temp", bkprop="userid", bklimit="max"):
        for block in result["query"]["blocks"]:
            if block.get("userid"):
                yield int(block["userid"])


# --- counting ------------------------------------------------------------------------------------


def count(registrations: Iterable[RegistrationBatch], flags: UserFlags) -> Counter[tuple[int, str, int]]:
    """(month as yyyymm, kind, the user's flag byte) -> registrations. The hot loop of the report, in numpy."""
    counts: Counter[tuple[int, str, int]] = Counter()
    bits = numpy.frombuffer(flags.bits, dtype=numpy.uint8)
    try:
        for batch in registrations:
            ids = batch.user_ids
            known = (ids > 0) & (ids < len(bits))
            byte = numpy.zeros(len(ids), dtype=numpy.int64)
            byte[known] = bits[ids[known]]
            keys, numbers = numpy.unique((batch.months * 256 + batch.kinds) * 256 + byte, return_counts=True)
            for key, number in zip(keys.tolist(), numbers.tolist(), strict=True):
                counts[key >> 16, batch.kind_names[(key >> 8) & 0xFF], key & 0xFF] += number
    finally:
        del bits  # the bytearray may grow again
    return counts


@dataclass
class Cohort:
    """The accounts of one month and kind."""

    registered: int = 0
    primary: int = 0
    backup: int = 0
    active: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # why there is no primary mentor
    states: Counter[str] = field(default_factory=Counter)


def why_no_mentor(kind: str, byte: int) -> str:
    if byte & BLOCKED:
        return "indefinitely blocked"
    if kind == "temporary":
        return "temporary account"
    if kind == "autocreate":
        return "autocreated"
    state = STATE_NAMES.get(byte >> STATE_SHIFT)
    if state in ("opted out", "disabled"):
        return state
    return "unexplained"


REASONS = ("indefinitely blocked", "temporary account", "autocreated", "disabled",
           "opted out", "unexplained")


def cohorts(counts: Counter[tuple[int, str, int]]) -> dict[tuple[int, str], Cohort]:
    result: dict[tuple[int, str], Cohort] = {}
    for (month, kind, byte), number in counts.items():
        cohort = result.setdefault((month, kind), Cohort())
        cohort.registered += number
        if byte & PRIMARY:
            cohort.primary += number
            if byte & ACTIVE:
                cohort.active += number
        else:
            cohort.reasons[why_no_mentor(kind, byte)] += number
        if byte & BACKUP:
            cohort.backup += number
        cohort.states[STATE_NAMES.get(byte >> STATE_SHIFT, "unknown")] += number
    return result


def share(part: int, whole: int) -> Share | None:
    return Share(part / whole) if whole else None


def month_text(month: int) -> str:
    return f"{month // 100}-{month % 100:02d}"


def kind_order(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def build_report(groups: dict[tuple[int, str], Cohort], mentors: MentorSource, registrations_source: Text | str,
                 with_states: bool) -> Report:
    reasons = [reason for reason in REASONS if with_states or reason not in ("disabled", "opted out")]
    states = [*STATES.values(), "unknown"]
    names = ["month", "account-kind", "registered", "with-mentor", "share-with-mentor"]
    if mentors.has_backup:
        names += ["with-backup", "share-with-backup"]
    if mentors.has_active:
        names += ["active-mentees", "share-active"]
    columns = [Text(f"mentorbot-column-{name}") for name in names]
    columns += [Text("mentorbot-column-no-mentor", reason_text(reason)) for reason in reasons]
    if with_states:
        columns += [Text("mentorbot-column-share-state", state_text(state)) for state in states]
    rows: list[list[Cell]] = []
    for (month, kind), cohort in sorted(groups.items(), key=lambda item: (item[0][0], kind_order(item[0][1]))):
        row: list[Cell] = [month_text(month), Labelled(kind, kind_text(kind)), cohort.registered, cohort.primary,
                           share(cohort.primary, cohort.registered)]
        if mentors.has_backup:
            row += [cohort.backup, share(cohort.backup, cohort.registered)]
        if mentors.has_active:
            row += [cohort.active, share(cohort.active, cohort.primary)]
        row += [cohort.reasons[reason] for reason in reasons]
        if with_states:
            row += [share(cohort.states[state], cohort.registered) for state in states]
        rows.append(row)

    totals: list[tuple[Text, Cell]] = []
    by_kind: dict[str, Cohort] = {}
    for (_month, kind), cohort in groups.items():
        total = by_kind.setdefault(kind, Cohort())
        total.registered += cohort.registered
        total.primary += cohort.primary
    for kind in sorted(by_kind, key=kind_order):
        total = by_kind[kind]
        totals.append((Text("mentorbot-total-accounts", kind_text(kind)), total.registered))
        totals.append((Text("mentorbot-total-share-with-mentor", kind_text(kind)),
                       share(total.primary, total.registered)))
    months = sorted({month for month, _kind in groups})
    notes = [
        Text("mentorbot-coverage-note-accounts", registrations_source, sum(c.registered for c in groups.values()),
             month_text(months[0]) if months else "", month_text(months[-1]) if months else ""),
        Text("mentorbot-coverage-note-mentors", mentors.description),
        Text("mentorbot-coverage-note-signup"),
        Text("mentorbot-coverage-note-reasons-states" if with_states else "mentorbot-coverage-note-reasons"),
    ]
    if mentors.has_active:
        notes.append(Text("mentorbot-coverage-note-active"))
    if with_states:
        notes.append(Text("mentorbot-coverage-note-states"))
    return Report("coverage", Text("mentorbot-report-coverage-title"), columns, rows, totals, notes,
                  chart=lambda path: draw_chart(groups, path), wiki_chart=lambda messages: wiki_chart(groups, messages))


def reason_text(reason: str) -> Text:
    return Text("mentorbot-coverage-reason-" + reason.replace(" ", "-"))


def state_text(state: str) -> Text:
    return Text("mentorbot-coverage-state-" + state.replace(" ", "-"))


def kind_text(kind: str) -> Text:
    return Text(f"mentorbot-coverage-kind-{kind}") if kind in KINDS else Text("mentorbot-coverage-kind-other", kind)


def chart_series(groups: dict[tuple[int, str], Cohort]) -> tuple[list[int], list[str]]:
    """The months the data covers (no more: the axis fits the data) and the kinds, in their order."""
    return sorted({month for month, _kind in groups}), sorted({kind for _month, kind in groups}, key=kind_order)


def draw_chart(groups: dict[tuple[int, str], Cohort], path: Path) -> None:
    """Share with a mentor per month, one line per account kind (the PNG beside the CSV, in English)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    months, kinds = chart_series(groups)
    figure, axes = pyplot.subplots(figsize=(10, 5), dpi=100)
    for kind in kinds:
        present = [index for index, month in enumerate(months) if (month, kind) in groups]
        values = [groups[months[i], kind].primary / groups[months[i], kind].registered * 100 for i in present]
        axes.plot(present, values, marker="o" if len(present) < 30 else None, label=english(kind_text(kind)))
    # One tick a month (at most 24 labels), on positions rather than dates, so one month is one point.
    step = max(1, len(months) // 24)
    axes.set_xticks(range(0, len(months), step), [month_text(m) for m in months[::step]], rotation=45)
    axes.set_xlim(-0.5, len(months) - 0.5)
    axes.set_ylim(0, 100)
    axes.set_ylabel(english(Text("mentorbot-coverage-chart-axis")))
    axes.set_title(english(Text("mentorbot-coverage-chart-title")))
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path, format="png")
    pyplot.close(figure)


def wiki_chart(groups: dict[tuple[int, str], Cohort], messages: Messages) -> str:
    """The same chart on the wiki: a table of bars drawn with inline CSS (no template, no upload).

    Bars are block elements of a percentage width, so they start at the line's start side: right
    to left on a right-to-left wiki, with no direction written anywhere.
    """
    months, kinds = chart_series(groups)
    header = "! " + messages("mentorbot-column-month") + " !! " + " !! ".join(
        messages.wikitext(kind_text(kind)) for kind in kinds)
    rows = []
    for month in months:
        cells = []
        for kind in kinds:
            cohort = groups.get((month, kind))
            if cohort is None or not cohort.registered:
                cells.append("")
                continue
            value = cohort.primary / cohort.registered
            cells.append(f'data-sort-value="{value:.4f}" | <div style="background:#36c;height:0.8em;'
                         f'width:{value * 100:.1f}%;min-width:1px"></div>{value:.0%} '
                         f"({cohort.primary}/{cohort.registered})")
        rows.append(f'|-\n| style="white-space:nowrap" | {month_text(month)} || ' + " || ".join(cells))
    caption = messages("mentorbot-coverage-chart-title")
    return ('{| class="wikitable sortable" style="min-width:40em"\n|+ ' + caption + "\n" + header + "\n"
            + "\n".join(rows) + "\n|}")


def coverage_report(registrations: Iterable[RegistrationBatch], registrations_source: Text | str, *,
                    dump: Path | None = None, store: StateStore | None = None, wiki: str = "",
                    states: Path | None = None, blocked: Iterable[int] = ()) -> Report:
    """The whole report from its inputs: mentor rows first (dump or snapshot), then the registrations."""
    flags = UserFlags()
    if dump is not None:
        mentors = flags_from_dump(flags, dump)
    elif store is not None:
        mentors = flags_from_snapshot(flags, store, wiki)
    else:
        raise CoverageInputError("No mentor data: give --dump FILE, or run `mentorbot snapshot` first.")
    flags.set(blocked, BLOCKED, "the block list")
    if states is not None:
        read_states_file(flags, states)
    groups = cohorts(count(registrations, flags))
    return build_report(groups, mentors, registrations_source, states is not None)
