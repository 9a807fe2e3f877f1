"""Realistic synthetic inputs for the dump benchmarks: a mentorship dump and a registration log.

:func:`write_mentor_dump` writes what Wikimedia publishes weekly as
``YYYYMMDD-<wiki>-growthexperiments_mentor_mentee.sql.gz``, byte for byte as Debian 12's
``mariadb-dump`` (MariaDB 10.11) writes it with Wikimedia's options ``--opt --quick
--skip-add-locks --skip-lock-tables``, gzip'd: the sandbox line, header comments, session
settings, DROP and CREATE TABLE, ``DISABLE KEYS``, extended INSERTs of about
:data:`NET_BUFFER_LENGTH` bytes with a line per row, ``ENABLE KEYS``, the settings restored and
``-- Dump completed on``. Rows come in the order of the table's ``gemm_mentor`` index (mentor,
is_active, mentee, role), from which MariaDB reads the whole table. A test fills GrowthExperiments'
table on a real MariaDB server with the same rows, dumps it with ``mariadb-dump`` and compares
the bytes.

:func:`write_registrations` writes the account creations of the same wiki as CSV (gzip'd when the
name ends in ``.gz``)::

    log_id,user_id,user_name,timestamp,action
    121000000,38500000,Kofi38500000,20210101000011,create
    121000007,38500001,Fatima Bird 38500001,20210101000032,create

timestamps in MediaWiki's 14-digit form from 2021-01-01 to 2026-11-30, log ids and user ids
increasing together (user ids end near 50 million); actions ``create`` (69.9 %), ``autocreate``
(26.6 %; from :data:`TEMPORARY_FROM` on, 40 % of these are temporary accounts, named like
``~2025-31141-29``), ``create2`` (3.1 %) and ``byemail`` (0.4 %). A few names hold a comma or a
quote, as CSV quotes them.

The two agree when given the same ``seed`` and ``registrations``: both draw the accounts from one
deterministic stream, and the dump's mentees are a sample of its ``create`` accounts, so the
registration file covers every mentee. Mentors (a few hundred, with weights as GrowthExperiments
knows them times a long-tailed popularity) are older accounts, registered before the log begins.
Each mentee has a ``'primary'`` row (all but about 0.2 %, which keep only a backup), 40 % also a
``'backup'`` one, and 15 % are active. Everything follows from ``seed``. The registrations are
written a chunk of :data:`CHUNK` accounts at a time; the dump's rows are sorted in memory (some
60 bytes a row).

Run as ``python -m benchmarks.dumpgen OUT_DIR [--rows N] [--registrations N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import sys
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import IO, Final

TABLE: Final = "growthexperiments_mentor_mentee"
DUMP_ROWS: Final = 5_450_000  # English Wikipedia, late 2026
REGISTRATIONS: Final = 10_800_000  # its account creations since 2021
MENTORS: Final = 350
FIRST_USER_ID: Final = 38_500_000  # user ids of 2021-2026 then end near 50 million
FIRST_LOG_ID: Final = 121_000_000
START: Final = datetime(2021, 1, 1, tzinfo=UTC)
END: Final = datetime(2026, 12, 1, tzinfo=UTC)  # exclusive: the last registration is on 2026-11-30
TEMPORARY_FROM: Final = datetime(2025, 11, 4, tzinfo=UTC)  # temporary accounts from here on
TEMPORARY_SHARE: Final = 0.4  # of the autocreations after TEMPORARY_FROM
ACTIONS: Final = ("create", "autocreate", "create2", "byemail")
BACKUP_SHARE: Final = 0.4
BACKUP_ONLY_SHARE: Final = 0.002  # of mentees with one row: the primary mentor quit, the backup stays
ACTIVE_SHARE: Final = 0.15
#: mariadb-dump's default --net-buffer-length (1 MiB less 2 KiB): each INSERT stays below it.
NET_BUFFER_LENGTH: Final = 1_046_528
CHUNK: Final = 100_000
DUMPED_AT: Final = datetime(2026, 11, 21, 3, 5, 11, tzinfo=UTC)


# MariaDB's client (10.11 and later) opens a dump with this, a space before the line break included.
_SANDBOX_LINE: Final = "/*M!999999\\- enable the sandbox mode */ \n"


@dataclass(frozen=True)
class DumpOrigin:
    """What a dump's comments say about who wrote it, where and when (mariadb-dump writes them)."""

    client: str = "10.19  Distrib 10.11.14-MariaDB, for debian-linux-gnu (x86_64)"
    host: str = "db1206.eqiad.wmnet"
    database: str = "enwiki"
    server: str = "10.6.22-MariaDB-log"
    completed: datetime = DUMPED_AT


def dump_header(origin: DumpOrigin) -> str:
    """Everything before the first INSERT, as Debian 12's mariadb-dump writes it with Wikimedia's options."""
    return _SANDBOX_LINE + f"""-- MariaDB dump {origin.client}
--
-- Host: {origin.host}    Database: {origin.database}
-- ------------------------------------------------------
-- Server version\t{origin.server}

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `{TABLE}`
--

DROP TABLE IF EXISTS `{TABLE}`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `{TABLE}` (
  `gemm_mentee_id` int(10) unsigned NOT NULL,
  `gemm_mentor_role` varbinary(255) NOT NULL,
  `gemm_mentor_id` int(10) unsigned NOT NULL,
  `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (`gemm_mentee_id`,`gemm_mentor_role`),
  KEY `gemm_mentor` (`gemm_mentor_id`,`gemm_mentee_is_active`)
) ENGINE=InnoDB DEFAULT CHARSET=binary;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `{TABLE}`
--

/*!40000 ALTER TABLE `{TABLE}` DISABLE KEYS */;
"""


def dump_footer(origin: DumpOrigin) -> str:
    """Everything after the last INSERT; mariadb-dump pads the hour with a space (``2026-11-21  3:05:11``)."""
    completed = origin.completed
    return f"""/*!40000 ALTER TABLE `{TABLE}` ENABLE KEYS */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on {completed:%Y-%m-%d} {completed.hour:2}:{completed:%M:%S}
"""


_ROLES: Final = ("backup", "primary")
INSERT_START: Final = f"INSERT INTO `{TABLE}` VALUES\n"
# mariadb-dump starts a new INSERT when the next row would bring the statement's length, as it
# counts it (each row and 2, and this much for the statement), to the net buffer length.
_INSERT_COUNTED: Final = len(f"INSERT INTO `{TABLE}` VALUES ") + 4

# Name parts: a name is a word or two and the user id, which keeps every name unique.
_WORDS: Final = ("Maribel", "Ahmed", "Wiki", "Editor", "Jonas", "Priya", "Chen", "Lukas", "Fatima", "Olu", "Sakura",
                 "History", "Bird", "Nerd", "Ivan", "Zoe", "Mateo", "Amara", "Reader", "Lena", "Kofi", "Ana")
_ODD_NAMES: Final = ("O'Brien, Pat", 'The "Real" Sam', "Jean-Luc, Paris")  # commas and quotes: CSV quotes them
_DAY: Final = 86_400
# bytes.translate tables: a random byte becomes a value with the share of the 256 bytes given.
_ACTION_CODES: Final = bytes([0] * 179 + [1] * 68 + [2] * 8 + [3])  # 69.9, 26.6, 3.1 and 0.4 %
_LOG_ID_STEPS: Final = bytes(1 + byte % 20 for byte in range(256))  # other log entries fall between creations
_USER_ID_STEPS: Final = bytes([2] * 26 + [1] * 230)  # 10 % skip an id (failed creations, imports)
_WORD_CODES: Final = bytes(byte % len(_WORDS) for byte in range(256))


@dataclass(frozen=True)
class DumpSummary:
    rows: int
    inserts: int  # INSERT statements
    sql_bytes: int  # decompressed


@dataclass(frozen=True)
class RegistrationSummary:
    rows: int
    temporary: int
    actions: dict[str, int] = field(default_factory=dict)


@dataclass
class _Accounts:
    """One chunk of consecutive account creations (parallel lists)."""

    start: int  # index of the first in the whole stream
    log_ids: list[int]
    user_ids: list[int]
    actions: list[str]


def write_mentor_dump(
    path: Path,
    rows: int = DUMP_ROWS,
    *,
    seed: int,
    registrations: int = REGISTRATIONS,
    mentors: int = MENTORS,
    compresslevel: int = 6,
    origin: DumpOrigin = DumpOrigin(),
) -> DumpSummary:
    """Write a gzip'd ``growthexperiments_mentor_mentee`` dump of exactly ``rows`` rows to ``path``.

    The mentees are drawn from the ``create`` accounts of :func:`write_registrations` with the same
    ``seed`` and ``registrations``. ``compresslevel`` 6 is what ``gzip`` does by default, as on
    Wikimedia's dump servers. Raises ValueError when there are too few accounts for ``rows``.
    """
    table = mentor_rows(rows, seed=seed, registrations=registrations, mentors=mentors)
    written = statements = 0
    with _open_text(path, compresslevel) as out:
        for text in dump_text(table, origin):
            written += out.write(text)
            statements += text.startswith(INSERT_START)
    return DumpSummary(rows, statements, written)


@dataclass(frozen=True)
class MentorTable:
    """The rows of ``growthexperiments_mentor_mentee`` as columns, in the order mariadb-dump writes them.

    That is the order of the table's index ``gemm_mentor`` (mentor, is_active, then the primary
    key: mentee, role with ``'backup'`` before ``'primary'``), which holds every column, so
    MariaDB reads the whole table from it.
    """

    mentee_ids: list[int]
    roles: list[str]
    mentor_ids: list[int]
    active: list[int]

    def rows(self) -> Iterator[tuple[int, str, int, int]]:
        return zip(self.mentee_ids, self.roles, self.mentor_ids, self.active, strict=True)


def mentor_rows(rows: int, *, seed: int, registrations: int = REGISTRATIONS, mentors: int = MENTORS) -> MentorTable:
    """Exactly ``rows`` rows for mentees drawn from the ``create`` accounts of :func:`write_registrations`."""
    if rows < 0:
        raise ValueError("rows must not be negative")
    mentees = round(rows / (1 + BACKUP_SHARE))
    doubles = rows - mentees  # mentees with both a backup and a primary row
    # Counting the candidates first makes the sample exact (selection sampling needs the total).
    candidates = sum(chunk.actions.count("create") for chunk in _accounts(seed, registrations))
    if mentees > candidates or doubles > mentees:
        raise ValueError(f"{rows} rows need {mentees} mentees; {registrations} registrations give {candidates}")
    rng = random.Random(f"{seed}:dump")
    pool, cum_weights = _mentor_pool(rng, mentors)
    mentee_column, role_column, mentor_column, active_column = array("q"), array("b"), array("q"), array("b")
    seen, picked, seen_mentees, picked_doubles = 0, 0, 0, 0
    choose, draw = rng.choices, rng.random
    for chunk in _accounts(seed, registrations):
        chosen: list[int] = []
        for user_id, action in zip(chunk.user_ids, chunk.actions, strict=True):
            if action != "create":
                continue
            if draw() * (candidates - seen) < mentees - picked:
                chosen.append(user_id)
                picked += 1
            seen += 1
        primaries = choose(pool, cum_weights=cum_weights, k=len(chosen))
        backups = choose(pool, cum_weights=cum_weights, k=len(chosen))
        for mentee, primary, drawn_backup in zip(chosen, primaries, backups, strict=True):
            backup = drawn_backup
            while backup == primary:
                backup = choose(pool, cum_weights=cum_weights)[0]
            active = int(draw() < ACTIVE_SHARE)  # the mentee's, so the same in both its rows
            both = draw() * (mentees - seen_mentees) < doubles - picked_doubles
            seen_mentees += 1
            if both:
                picked_doubles += 1
            elif draw() < BACKUP_ONLY_SHARE:
                primary = 0  # no primary row: only the backup one
            if both or not primary:
                mentee_column.append(mentee)
                role_column.append(0)
                mentor_column.append(backup)
                active_column.append(active)
            if primary:
                mentee_column.append(mentee)
                role_column.append(1)
                mentor_column.append(primary)
                active_column.append(active)
    import numpy  # only here: the registrations need no numpy

    mentee_ids, is_primary, mentor_ids, actives = (numpy.frombuffer(column, dtype=column.typecode)
                                                   for column in (mentee_column, role_column, mentor_column,
                                                                  active_column))
    order = numpy.lexsort((is_primary, mentee_ids, actives, mentor_ids))  # the last key sorts first
    return MentorTable(mentee_ids[order].tolist(), [_ROLES[code] for code in is_primary[order].tolist()],
                       mentor_ids[order].tolist(), actives[order].tolist())


def dump_text(table: MentorTable, origin: DumpOrigin, net_buffer_length: int = NET_BUFFER_LENGTH) -> Iterator[str]:
    """The dump of ``table`` as mariadb-dump writes it with Wikimedia's options: the header, each INSERT, the footer."""
    yield dump_header(origin)
    rows: list[str] = []
    counted = 0
    for mentee_id, role, mentor_id, active in table.rows():
        row = f"({mentee_id},'{role}',{mentor_id},{active})"
        if rows and counted + len(row) + 2 < net_buffer_length:
            rows.append(row)
            counted += len(row) + 2
        else:
            if rows:
                yield INSERT_START + ",\n".join(rows) + ";\n"
            rows = [row]
            counted = _INSERT_COUNTED + len(row) + 2
    if rows:
        yield INSERT_START + ",\n".join(rows) + ";\n"
    yield dump_footer(origin)


def write_registrations(
    path: Path,
    count: int = REGISTRATIONS,
    *,
    seed: int,
    compresslevel: int = 3,
) -> RegistrationSummary:
    """Write ``count`` account creations as CSV to ``path``, gzip'd if its name ends in ``.gz``."""
    rng = random.Random(f"{seed}:names")
    span = int((END - START).total_seconds())
    first_temporary = _index_at(TEMPORARY_FROM, count)
    days = [f"{START + timedelta(days=day):%Y%m%d}" for day in range(span // _DAY + 1)]
    clock = [f"{second // 3600:02}{second // 60 % 60:02}{second % 60:02}" for second in range(_DAY)]
    start = int(START.timestamp())
    serials: dict[int, int] = {}  # year -> temporary accounts so far
    actions = dict.fromkeys(ACTIONS, 0)
    temporary = 0
    step = span / count
    with _open_text(path, compresslevel) as out:
        out.write("log_id,user_id,user_name,timestamp,action\n")
        for chunk in _accounts(seed, count):
            indexes = range(chunk.start, chunk.start + len(chunk.actions))
            # Even spacing plus jitter below one step keeps the times in log order.
            seconds = [int((index + rng.random()) * step) for index in indexes]
            stamps = [days[moment // _DAY] + clock[moment % _DAY] for moment in seconds]
            names = _names(rng, chunk.user_ids)
            for offset in range(max(0, first_temporary - chunk.start), len(chunk.actions)):
                if chunk.actions[offset] == "autocreate" and rng.random() < TEMPORARY_SHARE:
                    year = time.gmtime(start + seconds[offset]).tm_year
                    serial = serials.get(year, 0)
                    serials[year] = serial + 1
                    names[offset] = _temporary_name(year, serial)
                    temporary += 1
            out.write("".join([f"{log_id},{user_id},{name},{stamp},{action}\n" for log_id, user_id, name, stamp, action
                               in zip(chunk.log_ids, chunk.user_ids, names, stamps, chunk.actions, strict=True)]))
            for action in ACTIONS:
                actions[action] += chunk.actions.count(action)
    return RegistrationSummary(count, temporary, actions)


def _accounts(seed: int, count: int) -> Iterator[_Accounts]:
    """The account creations both writers share, :data:`CHUNK` at a time, always the same for a seed.

    Random bytes sent through a translation table draw a whole chunk in C, some ten times faster
    than ``random.choices``.
    """
    ids = random.Random(f"{seed}:ids")
    kinds = random.Random(f"{seed}:actions")
    next_log, next_user = FIRST_LOG_ID, FIRST_USER_ID
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        log_ids = list(accumulate(ids.randbytes(size).translate(_LOG_ID_STEPS), initial=next_log))
        user_ids = list(accumulate(ids.randbytes(size).translate(_USER_ID_STEPS), initial=next_user))
        next_log, next_user = log_ids.pop(), user_ids.pop()
        actions = list(map(ACTIONS.__getitem__, kinds.randbytes(size).translate(_ACTION_CODES)))
        yield _Accounts(start, log_ids, user_ids, actions)


def _names(rng: random.Random, user_ids: list[int]) -> list[str]:
    """A name per user id, as a CSV field: a word or two and the id (which keeps names unique)."""
    size = len(user_ids)
    firsts = map(_WORDS.__getitem__, rng.randbytes(size).translate(_WORD_CODES))
    seconds = map(_WORDS.__getitem__, rng.randbytes(size).translate(_WORD_CODES))
    names = [f"{first} {second} {user_id}" if form < 77 else f"{first}{user_id}"  # 30 % have two words
             for first, second, form, user_id in zip(firsts, seconds, rng.randbytes(size), user_ids, strict=True)]
    for index in rng.sample(range(size), size // 1000):
        odd = f"{rng.choice(_ODD_NAMES)} {user_ids[index]}"
        names[index] = '"' + odd.replace('"', '""') + '"'  # CSV quoting, as the csv module writes it
    return names


def _mentor_pool(rng: random.Random, count: int) -> tuple[list[int], list[float]]:
    """Mentor ids (older accounts) and cumulative weights: 1, 2 or 4 times a long-tailed popularity."""
    ids = sorted(rng.sample(range(10_000, FIRST_USER_ID), count))
    weights = [rng.choice((1, 2, 2, 2, 4)) * rng.paretovariate(1.2) for _ in ids]
    return ids, list(accumulate(weights))


def _index_at(moment: datetime, count: int) -> int:
    """The first registration index at or after ``moment`` (times are spread evenly)."""
    return int((moment - START) / (END - START) * count)


def _temporary_name(year: int, serial: int) -> str:
    """MediaWiki's scrambled serial: ``~YEAR-`` then 7 digits in groups of five (``~2025-31141-29``)."""
    digits = str((serial * 7_654_321 + 4_242_424) % 9_000_000 + 1_000_000)  # a bijection for < 9 million a year
    return f"~{year}-{digits[:5]}-{digits[5:]}"


@contextmanager
def _open_text(path: Path, compresslevel: int) -> Iterator[IO[str]]:
    """A text file to write, gzip'd (with no time stamp, so equal seeds give equal bytes) if it ends in .gz."""
    if path.suffix != ".gz":
        with path.open("w", encoding="utf-8", newline="") as plain:
            yield plain
        return
    with (path.open("wb") as raw,
          gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=compresslevel, mtime=0) as packed,
          io.TextIOWrapper(packed, encoding="utf-8", newline="", write_through=False) as text):
        yield text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dumpgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=DUMP_ROWS)
    parser.add_argument("--registrations", type=int, default=REGISTRATIONS)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    dump = write_mentor_dump(options.out_dir / f"{DUMPED_AT:%Y%m%d}-enwiki-{TABLE}.sql.gz", options.rows,
                             seed=options.seed, registrations=options.registrations)
    print(f"{dump} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    log = write_registrations(options.out_dir / "enwiki-registrations.csv.gz", options.registrations,
                              seed=options.seed)
    print(f"{log} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
