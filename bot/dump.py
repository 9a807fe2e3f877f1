"""A streaming reader for Wikimedia's weekly dump of who mentors whom.

Every Saturday Wikimedia publishes, per wiki,
``growthmentorship/YYYYMMDD/YYYYMMDD-<wiki>-growthexperiments_mentor_mentee.sql.gz``: what MariaDB's
client writes for GrowthExperiments' table ``growthexperiments_mentor_mentee`` with ``mysqldump
--opt --quick --skip-add-locks --skip-lock-tables``, gzip'd. Debian 12's ``mariadb-dump`` (MariaDB
10.11) writes::

    /*M!999999\\- enable the sandbox mode */                  (MariaDB 10.11 and later)
    -- MariaDB dump 10.19  Distrib 10.11.14-MariaDB, ...       (header comments)
    /*!40101 SET NAMES utf8mb4 */;                              (session settings)
    DROP TABLE IF EXISTS `growthexperiments_mentor_mentee`;
    CREATE TABLE `growthexperiments_mentor_mentee` (           (one column per line:
      `gemm_mentee_id` int(10) unsigned NOT NULL,               this gives the column order)
      ...
    ) ENGINE=InnoDB DEFAULT CHARSET=binary;
    /*!40000 ALTER TABLE `growthexperiments_mentor_mentee` DISABLE KEYS */;
    INSERT INTO `growthexperiments_mentor_mentee` VALUES
    (13,'backup',2,0),                                          (a row a line, in the order of the
    (12,'primary',3,1);                                         table's index gemm_mentor)
    INSERT INTO ...                                             (about 1 MB per INSERT)
    /*!40000 ALTER TABLE `growthexperiments_mentor_mentee` ENABLE KEYS */;
    ...
    -- Dump completed on 2026-11-21  3:05:11

So the reader reads statements, not lines: a statement ends with ``;`` at the end of a line
(mysqldump escapes line breaks inside strings, so nothing else looks like that), and SQL's
whitespace may stand between rows. That takes every layout mariadb-dump and mysqldump write for
this table: a row a line (MariaDB), a whole INSERT on one line (older MySQL clients; the role then
``_binary 'primary'`` from MySQL 5.7.23 on), ``--skip-extended-insert`` (an INSERT a row),
``--complete-insert`` (a column list; its first row on the INSERT's line), ``--hex-blob`` (roles as
``0x7072696D617279``), ``--compact`` (no comments, no DROP TABLE), with or without the sandbox line.
The tests read what the real tool writes in each of them.

Why streaming: English Wikipedia's dump holds about 5.45 million rows, some 175 MB of SQL, and
as a list they would take about 1.3 GB (some 230 bytes per row object). So the file is
decompressed (by ISA-L, :class:`bot.gzipped.GzipChunks`) in chunks of :data:`CHUNK_SIZE` bytes,
cut into statements, and each INSERT is parsed and dropped before the next is read: memory holds
a chunk, a statement and its rows, whatever the size of the dump.

Why fast: an INSERT in the form mysqldump writes for this table, rows ``(digits,'role',digits,0|1)``,
is read in a handful of passes over the whole statement in C, none of them per row in Python. Its
skeleton, the VALUES list without its digits, must be exactly ``(,'primary',,),`` or
``(,'backup',,),`` per row (each with its line break in MariaDB's layout): that checks every byte
but the digits. The list then becomes numbers and commas (each role its code), which
``numpy.fromstring`` reads into four columns at some 15 ns a number (``int()`` takes 100). Then
every digit is accounted for: four numbers a row, each within its range, and the numbers written
without leading zeros must take exactly the digits of the list, so that none hides in a role or
an ``is_active`` (``0'primary'``, ``01``). :meth:`_Parser._fast_batch` has the details. MySQL's
``_binary`` and hex roles are rewritten to plain ones first. Any other statement (NULLs, escaped
strings, leading zeros, whitespace inside rows, another column order, a broken row) goes through
the general tokenizer, some fifteen times slower, which either reads it, to the same rows, or
says exactly where and why not. :func:`read_mentor_batches` yields each INSERT's rows as numpy
columns (some 5.5 million rows a second on one core); :func:`read_mentor_rows` builds an object
per row from them (``python -m benchmarks.dump_read`` measures both at English Wikipedia's size).

What is refused, always as :class:`DumpError` naming the file and the place (line, and byte
offset in the decompressed stream): a gzip file that is cut off or corrupt; a dump of another
table; a row that does not parse, has the wrong number of values, has NULL in one of the four
columns, an id outside INT UNSIGNED, an ``is_active`` other than 0 or 1, or a role other than
``primary`` and ``backup``; a statement cut off in the middle; and a dump written with comments
that ends before its ``-- Dump completed`` line (or, with LOCK TABLES, its ``UNLOCK TABLES``),
which is what a mysqldump cut off before compression looks like. A ``--compact`` dump has neither
line: one cut off exactly between two statements cannot be told from a whole one.
Duplicate (mentee, role) pairs are not checked here: that needs memory in proportion to the dump;
a primary key in the caller's table catches them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, NamedTuple, NoReturn

import numpy
import numpy.typing as npt

from bot.errors import MentorBotError
from bot.gzipped import GzipChunks

if TYPE_CHECKING:
    from pathlib import Path

TABLE: Final = "growthexperiments_mentor_mentee"
#: The four columns this reader returns, in the order GrowthExperiments' schema declares them.
COLUMNS: Final = ("gemm_mentee_id", "gemm_mentor_role", "gemm_mentor_id", "gemm_mentee_is_active")
ROLES: Final = ("primary", "backup")
# A role by MentorBatch.primary: index False is "backup", True "primary".
_ROLE_OF_PRIMARY: Final = ("backup", "primary")
#: Decompressed bytes asked for per read.
CHUNK_SIZE = 1 << 20
#: A longer statement is refused: mysqldump's extended INSERTs stay below 16 MiB.
MAX_STATEMENT = 64 << 20

_INT_UNSIGNED_MAX: Final = 2**32 - 1
_SNIPPET = 60
_DUMP_COMPLETED: Final = b"-- Dump completed"

# The fast path (see the module docstring). _FAST_START_RE is how a VALUES list it takes begins:
# its first row as mysqldump writes it, the role plain, with _binary or in hex (--hex-blob); the
# skeleton check covers the other rows.
_FAST_START_RE: Final = re.compile(
    rb"\([0-9]++,(?:_binary )?(?:'primary'|'backup'|0x7072696[dD]617279|0x6261636[bB]7570),[0-9]++,[01]\)[,;]")
_DIGITS: Final = b"0123456789"
# A fast-path row without its digits, each with the "," that follows it (the last row's ";" is
# read as one), and the line break after that where each row has a line (MariaDB's layout).
_PRIMARY_SKELETON: Final = b"(,'primary',,),"
_BACKUP_SKELETON: Final = b"(,'backup',,),"
_PRIMARY_LINE_SKELETON: Final = _PRIMARY_SKELETON + b"\n"
_BACKUP_LINE_SKELETON: Final = _BACKUP_SKELETON + b"\n"
# What makes such a line numbers: "y" of primary becomes the role code 1, "k" of backup 2, "("
# the sign "+" of the mentee id (so a digit before the bracket stops numpy), and the other role
# letters, the quotes, ")", the line breaks between rows and the final ";" go.
_TO_NUMBERS: Final = bytes.maketrans(b"yk(", b"12+")
_NOT_NUMBERS: Final = b"abcimpru');\n"
_PRIMARY_CODE: Final = 1
_BACKUP_CODE: Final = 2
# The numbers from 10 to 10**9: a number within INT UNSIGNED has one digit, plus one per power it reaches.
_POWERS_OF_TEN: Final = tuple(10**exponent for exponent in range(1, 10))
# MySQL's forms of a role, as a cell of its own (between commas), and MariaDB's, which the fast path reads.
_MYSQL_ROLES: Final = (
    (b",_binary '", b",'"), (b",_binary 0x", b",0x"),
    (b",0x7072696d617279,", b",'primary',"), (b",0x7072696D617279,", b",'primary',"),
    (b",0x6261636b7570,", b",'backup',"), (b",0x6261636B7570,", b",'backup',"),
)

# The general tokenizer: SQL's whitespace, and one SQL literal of the kinds mysqldump writes.
_SPACE_RE: Final = re.compile(rb"[ \t\r\n]*+")
_VALUE_RE: Final = re.compile(
    rb"""
      (?P<int> -?[0-9]++ ) (?![\w.])
    | (?P<null> NULL ) \b
    | (?:_binary[ ]?)? ' (?P<str> [^'\\]*+ (?: (?:\\.|'') [^'\\]*+ )*+ ) '
    | (?:_binary[ ]?)? 0x (?P<hex> [0-9A-Fa-f]*+ ) \b
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE_RE: Final = re.compile(rb"\\(.)|''", re.DOTALL)
_ESCAPES: Final = {b"0": b"\0", b"b": b"\b", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a"}

_NAME: Final = rb"`((?:[^`]|``)+)`"
_INSERT_RE: Final = re.compile(rb"(?:INSERT(?: IGNORE)?|REPLACE) INTO " + _NAME + rb"(?: ?\(([^)]*)\))? VALUES ?")
_CREATE_RE: Final = re.compile(rb"CREATE TABLE (?:IF NOT EXISTS )?" + _NAME)
_DROP_RE: Final = re.compile(rb"DROP TABLE (?:IF EXISTS )?" + _NAME)
_LOCK_RE: Final = re.compile(rb"LOCK TABLES " + _NAME)
_COLUMN_RE: Final = re.compile(rb"\s+" + _NAME + rb"\s")
_NAME_IN_LIST_RE: Final = re.compile(_NAME)


@dataclass(frozen=True)
class MentorRow:
    """One row of ``growthexperiments_mentor_mentee``: local user ids, no names, no dates."""

    mentee_id: int
    role: str  # "primary" or "backup"
    mentor_id: int
    is_active: bool  # the mentee edited within the recent-changes window


Int64Column = npt.NDArray[numpy.int64]
BoolColumn = npt.NDArray[numpy.bool_]
#: A row as a batch yields it: (mentee_id, role, mentor_id, is_active), plain Python values.
Row = tuple[int, str, int, bool]


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: == on arrays is elementwise, so no __eq__ or __hash__
class MentorBatch:
    """The rows of one INSERT statement, as four numpy columns of equal length.

    Row ``i`` is mentee ``mentee_ids[i]`` with mentor ``mentor_ids[i]``, as primary mentor if
    ``primary[i]`` and as backup otherwise, ``active[i]`` telling whether the mentee edited
    within the recent-changes window. The ids are within INT UNSIGNED. Work on whole columns
    where you can, it is what makes batches fast (``numpy.count_nonzero(batch.active)``,
    ``flags[batch.mentee_ids[batch.primary]] |= 1``); iterating a batch gives its rows as plain
    ``(mentee_id, role, mentor_id, is_active)`` tuples of ``int``, ``str`` (``"primary"`` or
    ``"backup"``), ``int`` and ``bool``, at some 0.15 µs a row.
    """

    mentee_ids: Int64Column
    primary: BoolColumn  # the role is "primary"; else "backup"
    mentor_ids: Int64Column
    active: BoolColumn

    def __len__(self) -> int:
        return len(self.mentee_ids)

    def __iter__(self) -> Iterator[Row]:
        # tolist() makes Python ints and bools in one C loop per column; the tuple maps a bool to its role.
        return zip(self.mentee_ids.tolist(), map(_ROLE_OF_PRIMARY.__getitem__, self.primary.tolist()),
                   self.mentor_ids.tolist(), self.active.tolist(), strict=True)


class DumpError(MentorBotError):
    """The dump cannot be read to the end; the message names the file and the place."""


def read_mentor_batches(path: Path) -> Iterator[MentorBatch]:
    """Yield the rows of a ``growthexperiments_mentor_mentee`` dump (``.sql.gz``), one batch per INSERT.

    The fastest way to read a dump: each batch holds the rows of one extended INSERT (some
    30,000 rows a megabyte), as numpy columns, in file order (see :class:`MentorBatch`). A batch
    is yielded only once its whole statement was read and checked; the checks, the refusals and
    their messages are those of :func:`read_mentor_rows`, and so is the laziness: nothing is
    opened before the first batch is asked for, and a problem further on raises
    :class:`DumpError` when the reader gets there, after the batches before it. Consume the
    dump into one transaction and commit only when the iterator is exhausted::

        with connection:  # sqlite3: commits at the end, rolls back if reading raises
            for batch in read_mentor_batches(path):
                connection.executemany("INSERT INTO pair VALUES (?, ?, ?, ?)", batch)
    """
    return _Parser(str(path)).batches(path)


def read_mentor_rows(path: Path) -> Iterator[MentorRow]:
    """Yield every row of a ``growthexperiments_mentor_mentee`` dump (``.sql.gz``), in file order.

    The rows come lazily, as the file is read: nothing is opened before the first row is asked
    for, and a problem further on (a truncated gzip, a broken row, a dump that stops before its
    data ends) raises :class:`DumpError` only when the reader gets there, after the rows of every
    INSERT statement before it were yielded (those of the statement at fault are not). So a
    caller must treat the dump as all or nothing: consume it into one transaction, commit only
    when the iterator is exhausted, and roll back on any exception::

        with connection:  # sqlite3: commits at the end, rolls back if reading raises
            connection.executemany("INSERT INTO pair VALUES (?, ?, ?, ?)", (
                (row.mentee_id, row.role, row.mentor_id, row.is_active) for row in read_mentor_rows(path)))

    Duplicate (mentee, role) pairs are not detected here; the caller's primary key does that.
    :func:`read_mentor_batches` reads the same rows, as numpy columns, in some 40 % of the time.
    """
    return _rows(read_mentor_batches(path))


def _rows(batches: Iterator[MentorBatch]) -> Iterator[MentorRow]:
    """One MentorRow per row of the batches, built without the frozen dataclass's ``__init__``.

    A frozen dataclass's ``__init__`` sets each field through a call of ``object.__setattr__``;
    filling the new instance's ``__dict__`` directly makes the same object (equal, same hash,
    same repr) in a third less time, which matters at millions of rows. It needs MentorRow to
    keep a ``__dict__`` (no ``slots=True``) and no ``__post_init__``; the tests compare these rows
    with ones built by ``MentorRow(...)``.
    """
    new = object.__new__
    for batch in batches:
        for mentee_id, role, mentor_id, is_active in batch:
            row = new(MentorRow)
            fields = row.__dict__
            fields["mentee_id"] = mentee_id
            fields["role"] = role
            fields["mentor_id"] = mentor_id
            fields["is_active"] = is_active
            yield row


class _Piece(NamedTuple):
    """A statement (through its ``;``) or a ``--`` comment line, and where it starts."""

    offset: int  # in the decompressed stream, of its first byte
    line_no: int  # of its first line
    text: bytes


def _pieces(decompressed: GzipChunks) -> Iterator[_Piece]:
    """Cut the decompressed stream into statements and the ``--`` comment lines between them.

    A statement ends with ``;`` at the end of a line: mysqldump escapes line breaks inside
    strings, so nothing else can look like that. (An INSERT of MariaDB 10.11's client spans a
    line per row, an older client's a single line, a CREATE TABLE a line per column.) Between
    statements, blank lines and comments on lines of their own (``--``, MariaDB's sandbox line
    ``/*M!999999\\- enable the sandbox mode */``, ``/*!40101 SET ... */;``) are skipped; the
    ``--`` lines are yielded, for what they say about the dump's end. A last statement without
    its ``;`` is yielded as it is: the parser says what it was cut off in. Lines end in ``\\n``,
    or ``\\r\\n`` throughout if the first one does.
    """
    buffer = b""
    start = 0  # in buffer, of the first byte not yet yielded or skipped
    searched = 0  # in buffer: no statement ends before this
    offset = 0  # in the stream, of buffer[start]
    line_no = 1  # of buffer[start]
    newline = b""  # the line break, once the first line has shown which
    name = decompressed.name
    at_end = False
    while not at_end:
        chunk = decompressed.read()
        at_end = not chunk
        buffer = buffer[start:] + chunk
        searched -= start
        start = 0
        if not newline:
            first = buffer.find(b"\n")
            if first < 0 and not at_end:
                continue
            newline = b"\r\n" if first > 0 and buffer[first - 1] == 0x0D else b"\n"
        while start < len(buffer):
            if buffer[start] in _MAYBE_SKIPPED:
                end = buffer.find(b"\n", start)
                if end < 0 and not at_end:
                    break  # the line goes on in the next chunk
                end = len(buffer) if end < 0 else end + 1
                line = buffer[start:end]
                if _skipped(line):
                    if line.startswith(b"--"):
                        yield _Piece(offset, line_no, line.rstrip(b"\r\n"))
                    offset += end - start
                    line_no += 1
                    start = searched = end
                    continue
            while buffer[start:start + 1] in (b" ", b"\t"):  # SQL's blanks before a statement
                start += 1
                offset += 1
            # A ";" at the end of a line ends the statement. (memchr finds a ";" fast, and rows
            # have none: the search for ";" and a line break is five times slower.)
            end = buffer.find(b";", max(start, searched))
            while end >= 0 and not buffer.startswith(newline, end + 1) and end + len(newline) < len(buffer):
                end = buffer.find(b";", end + 1)
            if end >= 0 and (buffer.startswith(newline, end + 1) or at_end):
                text = buffer[start:end + 1]
                size = min(end + 1 + len(newline), len(buffer)) - start
            elif at_end:  # the last statement, cut off
                text = buffer[start:].rstrip(b"\r\n")
                size = len(buffer) - start
            else:
                if len(buffer) - start > MAX_STATEMENT:
                    raise DumpError(f"{name}: line {line_no}, byte {offset}: a statement longer than "
                                    f"{MAX_STATEMENT} bytes, which mysqldump never writes")
                # The statement goes on in the next chunk; its ";" may be this one's last byte.
                searched = len(buffer) if end < 0 else end
                break
            yield _Piece(offset, line_no, text)
            offset += size
            line_no += _line_breaks(text) + 1
            start = searched = start + size


def _line_breaks(text: bytes) -> int:
    """How many ``\\n`` the text holds; numpy counts a long one four times as fast as ``bytes.count``."""
    if len(text) < 1 << 16:
        return text.count(b"\n")
    return int(numpy.count_nonzero(numpy.frombuffer(text, dtype=numpy.uint8) == 0x0A))


# A line that begins with one of these may be one to skip between statements.
_MAYBE_SKIPPED: Final = frozenset(b"-/ \t\r\n")


def _skipped(line: bytes) -> bool:
    """A blank line, a ``--`` comment, or a ``/* ... */`` comment on a line of its own."""
    if line.startswith(b"--"):
        return True
    stripped = line.strip()
    return not stripped or (stripped.startswith(b"/*") and stripped.endswith((b"*/", b"*/;")))


class _Parser:
    """The state of one pass over the statements of a dump."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.line_no = 0  # of the current statement's first line
        self.offset = 0  # of the current statement's first byte
        self.statement = b""  # the current statement
        self.table_line: int | None = None  # the first line that named our table in CREATE TABLE or INSERT
        self.create_line: int | None = None
        self.lock_line: int | None = None  # LOCK TABLES without UNLOCK TABLES yet
        self.unlocked = False
        self.commented = False  # a "--" comment was seen: the dump was written with comments
        self.completed = False  # the "-- Dump completed" trailer was seen
        # Where each of COLUMNS sits in a row, and how many values a row has.
        self.positions: tuple[int, int, int, int] = (0, 1, 2, 3)
        self.width = 4

    # --- statements -------------------------------------------------------------------------

    def batches(self, path: Path) -> Iterator[MentorBatch]:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by the with statement below
        except OSError as error:
            raise DumpError(f"{self.name}: cannot be opened ({error.strerror or error})") from None
        with raw:
            yield from self._batches(_pieces(GzipChunks(raw, self.name, DumpError, CHUNK_SIZE)))

    def _batches(self, pieces: Iterator[_Piece]) -> Iterator[MentorBatch]:
        for self.offset, self.line_no, text in pieces:
            self.statement = text
            if text.startswith((b"INSERT", b"REPLACE", b"insert", b"replace")):
                start = self._insert(text)
                batch = self._fast_batch(text, start) if self.positions == (0, 1, 2, 3) and self.width == 4 else None
                yield self._general_batch(text, start) if batch is None else batch
            elif text.startswith(b"--"):
                self.commented = True
                self.completed = self.completed or text.startswith(_DUMP_COMPLETED)
            elif text.startswith(b"CREATE TABLE"):
                self._create(text)
            elif text.startswith(b"DROP TABLE"):
                self._check_table(_DROP_RE, text)
            elif text.startswith(b"LOCK TABLES"):
                self._check_table(_LOCK_RE, text)
                self.lock_line = self.line_no
            elif text.startswith(b"UNLOCK TABLES"):
                if self.lock_line is not None:
                    self.unlocked = True
                self.lock_line = None
            elif not text.endswith(b";"):
                self._fail(f"the dump ends inside a statement (was it cut off?): {_snippet(text, 0)}")
            # Any other statement (SET, ALTER TABLE ... KEYS) says nothing about the rows.
        self._check_end()

    def _create(self, text: bytes) -> None:
        self._check_table(_CREATE_RE, text)
        if self.create_line is not None:
            self._fail(f"a second CREATE TABLE for `{TABLE}` (the first is on line {self.create_line}); "
                       "two dumps in one file?")
        self.create_line = self.table_line = self.line_no
        lines = text.split(b"\n")
        closing = next((number for number, line in enumerate(lines) if line.startswith(b")")), None)
        if len(lines) == 1:
            self._fail("a CREATE TABLE on one line, which mysqldump never writes")
        if closing is None or not text.endswith(b";"):
            raise DumpError(f"{self.name}: ends inside the CREATE TABLE statement that begins on line "
                            f"{self.create_line}; the dump was cut off before it was compressed")
        names = [_unquote_name(m.group(1)) for line in lines[1:closing] if (m := _COLUMN_RE.match(line))]
        self.line_no += closing  # a missing column is told at the line that closes the list
        self._set_columns(names, "CREATE TABLE")

    def _check_end(self) -> None:
        if self.line_no == 0:
            raise DumpError(f"{self.name}: is empty (0 bytes after decompression)")
        if self.table_line is None:
            raise DumpError(f"{self.name}: no CREATE TABLE or INSERT for `{TABLE}`; the file names no table at all")
        if self.lock_line is not None:
            raise DumpError(f"{self.name}: ends inside the data of `{TABLE}` (LOCK TABLES on line {self.lock_line} "
                            "is never followed by UNLOCK TABLES); the dump was cut off before it was compressed")
        # A dump written with comments ends with "-- Dump completed"; one without (--compact,
        # --skip-comments) can only be checked for a statement cut off in the middle, above.
        if self.commented and not (self.unlocked or self.completed):
            raise DumpError(f"{self.name}: ends without UNLOCK TABLES or a '-- Dump completed' line; "
                            "the dump was cut off before it was compressed")

    def _fail(self, reason: str) -> NoReturn:
        raise DumpError(f"{self.name}: line {self.line_no}: {reason}")

    def _check_table(self, pattern: re.Pattern[bytes], line: bytes) -> None:
        match = pattern.match(line)
        if match is None:
            self._fail(f"a statement this reader does not understand: {_snippet(line, 0)}")
        self._check_name(match.group(1))

    def _check_name(self, quoted: bytes) -> None:
        found = _unquote_name(quoted)
        if found != TABLE:
            self._fail(f"this is a dump of table `{found}`, not of `{TABLE}`")

    def _set_columns(self, names: Sequence[str], where: str) -> None:
        missing = [column for column in COLUMNS if column not in names]
        if missing:
            self._fail(f"the {where} column list has no {', '.join(missing)} (it has: {', '.join(names) or 'nothing'})")
        a, b, c, d = (names.index(column) for column in COLUMNS)
        self.positions = (a, b, c, d)
        self.width = len(names)

    def _insert(self, line: bytes) -> int:
        """Check an INSERT's table (and column list, if any); return where its VALUES begin."""
        match = _INSERT_RE.match(line)
        if match is None:
            self._fail(f"an INSERT statement this reader does not understand: {_snippet(line, 0)}")
        self._check_name(match.group(1))
        self.table_line = self.table_line or self.line_no
        if match.group(2) is not None:  # mysqldump --complete-insert
            self._set_columns([_unquote_name(m.group(1)) for m in _NAME_IN_LIST_RE.finditer(match.group(2))],
                              "INSERT")
        return match.end()

    # --- the fast path ----------------------------------------------------------------------

    def _fast_batch(self, statement: bytes, start: int) -> MentorBatch | None:
        """The rows of a VALUES list in the form mysqldump writes, or None if it is in any other.

        Exact: a statement is taken only if every row is ``(digits,'primary' or 'backup',digits,0
        or 1)`` with ids within INT UNSIGNED, written without leading zeros, mentee ids from 1,
        the rows either all on one line or each on a line of its own; it then gives what the
        general tokenizer would. Whatever is not taken, the general tokenizer reads or refuses
        with its place and reason. Three checks make it so:

        * every byte but the digits: the skeleton, the VALUES list without its digits, must be
          whole rows ``(,'primary',,),`` or ``(,'backup',,),`` (each followed by a line break in
          MariaDB's layout), the last one ending in ``;``;
        * the numbers: the list becomes digits and commas, ``(12,'primary',34,1),(56,...`` as
          ``+12,1,34,1,+56,...`` (the "(" the sign of the mentee id, the role its code), which
          numpy must read as four numbers a row, each within its range;
        * every digit in its place: written plainly, those numbers must take exactly the digits
          of the list, so a leading zero (``01``, ``'pri0mary'``, ``0'primary'``) or a digit
          after the ")" makes it too long; a digit before the "(" stops numpy at the "+"; and an
          is_active with no digit before its ")" is refused apart, since a digit after the
          bracket would be read as it.
        """
        start += statement.startswith(b"\n", start)  # MariaDB: the first row on a line of its own too
        if _FAST_START_RE.match(statement, start) is None or not statement.endswith(b";"):
            return None
        values = statement[start:]
        one_row_a_line = values.find(b"\n") >= 0  # memchr
        if values.find(b"_") >= 0 or values.find(b"x") >= 0:  # memchr: cheap when absent
            for mysql, mariadb in _MYSQL_ROLES:
                values = values.replace(mysql, mariadb)
        rows = _whole_rows(values.translate(None, _DIGITS), one_row_a_line)
        if rows is None or _contains_pair(values, b",)"):
            return None
        numbers_text = values.translate(_TO_NUMBERS, _NOT_NUMBERS)
        numbers = _read_numbers(numbers_text)
        if numbers is None or len(numbers) != 4 * rows:
            return None
        # One contiguous row of the transpose per column, which also makes the reductions fast.
        mentee_ids, roles, mentor_ids, active = numpy.ascontiguousarray(numbers.reshape(rows, 4).T)
        # numpy clamps a number too large for int64 to the largest int64, which fails here too.
        # It reads a lone "+" as 0: mentee id 0 (which MediaWiki never gives) is left to the
        # general tokenizer, so that each number read here was written with at least one digit.
        if (mentee_ids.min() < 1 or mentee_ids.max() > _INT_UNSIGNED_MAX or mentor_ids.max() > _INT_UNSIGNED_MAX
                or roles.min() < _PRIMARY_CODE or roles.max() > _BACKUP_CODE or active.max() > 1):
            return None
        digits = _digit_count(mentee_ids) + _digit_count(mentor_ids) + 2 * rows  # a role and a flag: 1 each
        if len(numbers_text) != digits + 4 * rows - 1 + rows:  # a comma between numbers, a "+" a row
            return None
        return MentorBatch(mentee_ids, roles == _PRIMARY_CODE, mentor_ids, active == 1)

    # --- the general tokenizer --------------------------------------------------------------

    def _general_batch(self, statement: bytes, pos: int) -> MentorBatch:
        """Read ``(v,v,...),(v,...);`` one literal at a time, and refuse the first thing that is wrong.

        Whitespace, line breaks included, may stand between any two tokens, as SQL allows.
        """
        end = len(statement)
        space = _SPACE_RE.match
        mentee_ids: list[int] = []
        primary: list[bool] = []
        mentor_ids: list[int] = []
        active: list[bool] = []
        while True:
            pos = space(statement, pos).end()  # type: ignore[union-attr]  # matches everywhere
            row_start = pos
            if pos == end:
                self._bad_row(statement, row_start,
                              "the statement ends where a row should begin (was the dump cut off?)")
            if statement[pos:pos + 1] != b"(":
                self._bad_row(statement, row_start, "expected '(' to open a row")
            pos += 1
            values: list[re.Match[bytes]] = []
            while True:
                pos = space(statement, pos).end()  # type: ignore[union-attr]
                value = _VALUE_RE.match(statement, pos)
                if value is None:
                    if statement.find(b")", pos) < 0:
                        self._bad_row(statement, row_start, "the statement ends inside the row (was the dump cut off?)")
                    self._bad_row(statement, row_start,
                                  f"value {len(values) + 1} is not an SQL literal this reader knows")
                values.append(value)
                pos = space(statement, value.end()).end()  # type: ignore[union-attr]
                separator = statement[pos:pos + 1]
                pos += 1
                if separator == b")":
                    break
                if separator == b"":
                    self._bad_row(statement, row_start, "the statement ends inside the row (was the dump cut off?)")
                if separator != b",":
                    self._bad_row(statement, row_start, f"expected ',' or ')' after value {len(values)}")
            if len(values) != self.width:
                self._bad_row(statement, row_start,
                              f"the row has {len(values)} values, the table has {self.width} columns")
            mentee_id, role, mentor_id, is_active = self._convert(values, statement, row_start)
            pos = space(statement, pos).end()  # type: ignore[union-attr]
            separator = statement[pos:pos + 1]
            if separator == b"":
                self._bad_row(statement, row_start,
                              "the statement ends after the row without ';' (was the dump cut off?)")
            if separator == b";" and pos + 1 < end:
                self._bad_row(statement, row_start, f"text after the final ';': {_snippet(statement, pos + 1, 20)}",
                              pos + 1)
            if separator not in (b",", b";"):
                self._bad_row(statement, row_start,
                              f"expected ',' or ';' after the row, found {_snippet(statement, pos, 20)}", pos)
            mentee_ids.append(mentee_id)
            primary.append(role == "primary")
            mentor_ids.append(mentor_id)
            active.append(is_active)
            if separator == b";":
                return MentorBatch(numpy.array(mentee_ids, dtype=numpy.int64), numpy.array(primary, dtype=numpy.bool_),
                                   numpy.array(mentor_ids, dtype=numpy.int64), numpy.array(active, dtype=numpy.bool_))
            pos += 1

    def _convert(self, values: list[re.Match[bytes]], line: bytes, row_start: int) -> Row:
        a, b, c, d = self.positions
        mentee_id = self._unsigned(values[a], COLUMNS[0], line, row_start)
        mentor_id = self._unsigned(values[c], COLUMNS[2], line, row_start)
        role_value = values[b]
        role_bytes = self._not_null(role_value, COLUMNS[1], line, row_start)
        text = role_value.group("str")
        if text is not None:
            role_bytes = _unescape(text)
        elif role_value.group("hex") is not None:
            digits = role_value.group("hex")
            if len(digits) % 2:
                self._bad_row(line, row_start, f"{COLUMNS[1]} is an odd-length hex literal")
            role_bytes = bytes.fromhex(digits.decode("ascii"))
        else:
            self._bad_row(line, row_start, f"{COLUMNS[1]} is not a string: {role_bytes.decode('ascii')}")
        role = _ROLE_NAMES.get(role_bytes)
        if role is None:
            shown = role_bytes.decode("utf-8", "backslashreplace")
            self._bad_row(line, row_start, f"unknown mentor role {shown!r} (known: {', '.join(ROLES)})")
        active = values[d]
        self._not_null(active, COLUMNS[3], line, row_start)
        if active.group("int") not in (b"0", b"1"):
            self._bad_row(line, row_start, f"{COLUMNS[3]} is {_text(active)}, not 0 or 1")
        return mentee_id, role, mentor_id, active.group("int") == b"1"

    def _unsigned(self, value: re.Match[bytes], column: str, line: bytes, row_start: int) -> int:
        self._not_null(value, column, line, row_start)
        digits = value.group("int")
        if digits is None:
            self._bad_row(line, row_start, f"{column} is not an integer: {_text(value)}")
        number = int(digits)
        if not 0 <= number <= _INT_UNSIGNED_MAX:
            self._bad_row(line, row_start, f"{column} is {number}, outside INT UNSIGNED")
        return number

    def _not_null(self, value: re.Match[bytes], column: str, line: bytes, row_start: int) -> bytes:
        if value.group("null") is not None:
            self._bad_row(line, row_start, f"NULL in {column}, which is NOT NULL")
        return value.group(0)

    def _bad_row(self, statement: bytes, row_start: int, reason: str, at: int | None = None) -> NoReturn:
        """Refuse the row that starts at ``row_start``; the byte given is ``at``, else the row's start."""
        where = row_start if at is None else at
        line = self.line_no + statement.count(b"\n", 0, where)
        row = f"; the row starts {_snippet(statement, row_start)}" if row_start < len(statement) else ""
        raise DumpError(f"{self.name}: line {line}, byte {self.offset + where}: {reason}{row}")


_ROLE_NAMES: Final = {role.encode("ascii"): role for role in ROLES}


def _whole_rows(skeleton: bytes, one_row_a_line: bool) -> int | None:
    """How many fast-path rows the skeleton of a VALUES list is, or None if it is anything else."""
    if not skeleton.endswith(b";"):
        return None
    if one_row_a_line:
        skeleton = skeleton[:-1] + b",\n"  # so that every row ends alike
        primary, backup = _PRIMARY_LINE_SKELETON, _BACKUP_LINE_SKELETON
    else:
        skeleton = skeleton[:-1] + b","
        primary, backup = _PRIMARY_SKELETON, _BACKUP_SKELETON
    # Two row skeletons cannot overlap (a "(" only ever begins one), so if their occurrences add
    # up to the whole length, they tile it.
    primaries = skeleton.count(primary)
    backups = skeleton.count(backup)
    if len(primary) * primaries + len(backup) * backups != len(skeleton):
        return None
    return primaries + backups


def _contains_pair(text: bytes, pair: bytes) -> bool:
    """Whether the two bytes ``pair`` occur in ``text``.

    numpy compares the text two bytes at a time, as 16-bit numbers at even offsets and then at
    odd ones: some five times faster than ``pair in text``, which tries one offset after another.
    """
    if len(text) < 2:
        return False
    wanted = numpy.frombuffer(pair, dtype=numpy.uint16)[0]
    at_even = numpy.frombuffer(text, dtype=numpy.uint16, count=len(text) // 2)
    at_odd = numpy.frombuffer(text, dtype=numpy.uint16, count=(len(text) - 1) // 2, offset=1)
    return bool((at_even == wanted).any() or (at_odd == wanted).any())


def _read_numbers(text: bytes) -> Int64Column | None:
    """The comma-separated integers of ``text``, or None where numpy finds something else.

    Something else stops numpy where it is: recent versions (2.4) raise ValueError, older ones
    warn (DeprecationWarning) and return the numbers before it, which the caller finds too few.
    numpy is lenient too, in ways the caller checks: it reads a number too large for int64 as the
    largest int64, and a lone sign or blanks as 0.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return numpy.fromstring(text, dtype=numpy.int64, sep=",")
        except ValueError:
            return None


def _digit_count(numbers: Int64Column) -> int:
    """The digits of ``numbers`` (each within INT UNSIGNED) written in decimal without leading zeros."""
    return len(numbers) + sum(int(numpy.count_nonzero(numbers >= power)) for power in _POWERS_OF_TEN)


def _unescape(text: bytes) -> bytes:
    """Undo MySQL string escapes (``\\'``, ``\\\\``, ``\\n``, ``\\0``, ``''`` ...)."""
    if b"\\" not in text and b"''" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: b"'" if m.group(1) is None else _ESCAPES.get(m.group(1), m.group(1)), text)


def _unquote_name(quoted: bytes) -> str:
    return quoted.replace(b"``", b"`").decode("utf-8", "backslashreplace")


def _text(value: re.Match[bytes]) -> str:
    return value.group(0).decode("utf-8", "backslashreplace")


def _snippet(line: bytes, start: int, length: int = _SNIPPET) -> str:
    piece = line[start:start + length].decode("utf-8", "backslashreplace")
    return piece + ("…" if len(line) - start > length else "")
