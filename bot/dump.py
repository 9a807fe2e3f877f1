"""A streaming reader for Wikimedia's weekly dump of who mentors whom.

Every Saturday Wikimedia publishes, per wiki,
``growthmentorship/YYYYMMDD/YYYYMMDD-<wiki>-growthexperiments_mentor_mentee.sql.gz``: the output of
``mysqldump --opt`` for GrowthExperiments' table ``growthexperiments_mentor_mentee``, gzip'd. The
decompressed text is, line by line::

    -- MySQL dump 10.19  Distrib 10.11.6-MariaDB, ...        (header comments)
    /*!40101 SET NAMES utf8mb4 */;                            (session settings)
    DROP TABLE IF EXISTS `growthexperiments_mentor_mentee`;
    CREATE TABLE `growthexperiments_mentor_mentee` (         (one column per line:
      `gemm_mentee_id` int(10) unsigned NOT NULL,             this gives the column order)
      `gemm_mentor_role` varbinary(255) NOT NULL,
      `gemm_mentor_id` int(10) unsigned NOT NULL,
      `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,
      PRIMARY KEY (`gemm_mentee_id`,`gemm_mentor_role`), ...
    ) ENGINE=InnoDB DEFAULT CHARSET=binary;
    LOCK TABLES `growthexperiments_mentor_mentee` WRITE;
    /*!40000 ALTER TABLE `growthexperiments_mentor_mentee` DISABLE KEYS */;
    INSERT INTO `growthexperiments_mentor_mentee` VALUES (1,'primary',2,1),(3,'backup',4,0),...;
    INSERT INTO ...                                           (about 1 MB per line)
    /*!40000 ALTER TABLE `growthexperiments_mentor_mentee` ENABLE KEYS */;
    UNLOCK TABLES;
    ...
    -- Dump completed on 2026-11-21  3:05:11

mysqldump escapes newlines inside strings, so every statement but CREATE TABLE is one line, and an
extended INSERT holds at most ``--net-buffer-length`` bytes (1 MB by default, 16 MB at most). The
role is a VARBINARY, which MySQL's mysqldump (5.7.23 and later) writes as ``_binary 'primary'``
and ``--hex-blob`` as ``0x7072696d617279``; MariaDB writes a plain ``'primary'``.

Why streaming: English Wikipedia's dump holds about 5.45 million rows, some 170 MB of SQL, and
as a list they would take about 1.3 GB (some 230 bytes per row object). So the file is
decompressed in chunks of :data:`CHUNK_SIZE` bytes, cut into lines, and each INSERT line is parsed
and dropped before the next is read: memory holds one chunk, one line and that line's rows,
whatever the size of the dump (about 25 MB of resident memory for the whole process, measured).

Why fast: each INSERT line is first checked as a whole against one compiled regular expression
for the form mysqldump writes for this table (possessive, so it runs in linear time in C), and its
rows are then taken out with ``findall``; only a line that fails that check (NULLs, escaped
strings, an id of 0 or of ten digits, another column order, a broken row) goes through the
general tokenizer, four times slower, which either reads it or says exactly where and why not.

What is refused, always as :class:`DumpError` naming the file and the place (line, and byte
offset in the decompressed stream): a gzip file that is cut off or corrupt; a dump of another
table; a row that does not parse, has the wrong number of values, has NULL in one of the four
columns, an id outside INT UNSIGNED, an ``is_active`` other than 0 or 1, or a role other than
``primary`` and ``backup``; and a dump that ends before its data does (no ``UNLOCK TABLES`` and no
``-- Dump completed`` line), which is what a mysqldump cut off before compression looks like.
Duplicate (mentee, role) pairs are not checked here: that needs memory in proportion to the dump;
a primary key in the caller's table catches them.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, NoReturn

from bot.errors import MentorBotError

if TYPE_CHECKING:
    from pathlib import Path

TABLE: Final = "growthexperiments_mentor_mentee"
#: The four columns this reader returns, in the order GrowthExperiments' schema declares them.
COLUMNS: Final = ("gemm_mentee_id", "gemm_mentor_role", "gemm_mentor_id", "gemm_mentee_is_active")
ROLES: Final = ("primary", "backup")
#: Decompressed bytes asked for per read.
CHUNK_SIZE = 1 << 20
#: A longer line is refused: mysqldump's extended INSERTs stay below 16 MiB.
MAX_LINE = 64 << 20

_INT_UNSIGNED_MAX: Final = 2**32 - 1
_SNIPPET = 60
_DUMP_COMPLETED: Final = b"-- Dump completed"

# The fast path: a whole VALUES list in the canonical column order, as mysqldump writes it, the
# role plain, with _binary, or in hex (--hex-blob). Ids of one to nine digits without a leading
# zero are always within INT UNSIGNED; anything else (0, ten digits, NULL, escapes) falls to the
# general tokenizer, which checks it properly.
_FAST_ROLES: Final = {
    b"'primary'": "primary", b"0x7072696d617279": "primary", b"0x7072696D617279": "primary",
    b"'backup'": "backup", b"0x6261636b7570": "backup", b"0x6261636B7570": "backup",
}
_FAST_ROW: Final = (rb"\(([1-9][0-9]{0,8}),(?:_binary )?('primary'|'backup'|0x7072696[dD]617279|0x6261636[bB]7570),"
                    rb"([1-9][0-9]{0,8}),([01])\)")
_FAST_ROW_RE: Final = re.compile(_FAST_ROW)
_FAST_LINE_RE: Final = re.compile(rb"(?:" + _FAST_ROW + rb",)*+" + _FAST_ROW + rb";")

# The general tokenizer: one SQL literal of the kinds mysqldump writes.
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


class DumpError(MentorBotError):
    """The dump cannot be read to the end; the message names the file and the place."""


def read_mentor_rows(path: Path) -> Iterator[MentorRow]:
    """Yield every row of a ``growthexperiments_mentor_mentee`` dump (``.sql.gz``), in file order.

    The rows come lazily, as the file is read: nothing is opened before the first row is asked
    for, and a problem further on (a truncated gzip, a broken row, a dump that stops before its
    data ends) raises :class:`DumpError` only when the reader gets there, after all rows before
    it were yielded. So a caller must treat the dump as all or nothing: consume it into one
    transaction, commit only when the iterator is exhausted, and roll back on any exception::

        with connection:  # sqlite3: commits at the end, rolls back if reading raises
            connection.executemany("INSERT INTO pair VALUES (?, ?, ?, ?)", (
                (row.mentee_id, row.role, row.mentor_id, row.is_active) for row in read_mentor_rows(path)))

    Duplicate (mentee, role) pairs are not detected here; the caller's primary key does that.
    """
    # Not a generator itself: one level of generator less per row is a measurable share of the time.
    return _Parser(str(path)).rows(path)


def _lines(stream: gzip.GzipFile, name: str) -> Iterator[tuple[int, bytes]]:
    """Cut the decompressed stream into lines, each with the offset of its first byte.

    The line terminator (``\\n``, and a ``\\r`` before it) is removed. A last line without a
    terminator is yielded too: the parser decides whether that is complete.
    """
    offset = 0  # of the next line's first byte
    line_no = 1  # of the next line
    received = 0  # decompressed bytes so far
    pending: list[bytes] = []  # pieces of a line that spans chunks
    pending_size = 0
    while True:
        try:
            chunk = stream.read1(CHUNK_SIZE)
        except EOFError:
            raise DumpError(f"{name}: not a complete gzip file (cut off after {received} bytes)") from None
        except gzip.BadGzipFile as error:
            if received == 0:
                raise DumpError(f"{name}: not a gzip file ({error})") from None
            raise DumpError(f"{name}: corrupt gzip data after {received} bytes ({error})") from None
        except zlib.error as error:
            raise DumpError(f"{name}: corrupt gzip data after {received} bytes ({error})") from None
        except OSError as error:
            raise DumpError(f"{name}: read error after {received} bytes ({error})") from None
        if not chunk:
            break
        received += len(chunk)
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if pending:
                pending.append(chunk[start:end])
                line = b"".join(pending)
                pending.clear()
                pending_size = 0
            else:
                line = chunk[start:end]
            size = len(line) + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            yield offset, line
            offset += size
            line_no += 1
            start = end + 1
        if start < len(chunk):
            pending.append(chunk[start:])
            pending_size += len(chunk) - start
            if pending_size > MAX_LINE:
                raise DumpError(f"{name}: line {line_no}, byte {offset}: a line longer than {MAX_LINE} bytes, "
                                "which mysqldump never writes")
    if pending:
        yield offset, b"".join(pending)


class _Parser:
    """The state of one pass over the lines of a dump."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.line_no = 0
        self.offset = 0  # of the current line
        self.table_line: int | None = None  # the first line that named our table in CREATE TABLE or INSERT
        self.create_line: int | None = None
        self.lock_line: int | None = None  # LOCK TABLES without UNLOCK TABLES yet
        self.unlocked = False
        self.completed = False  # the "-- Dump completed" trailer was seen
        # Where each of COLUMNS sits in a row, and how many values a row has.
        self.positions: tuple[int, int, int, int] = (0, 1, 2, 3)
        self.width = 4

    # --- statements -------------------------------------------------------------------------

    def rows(self, path: Path) -> Iterator[MentorRow]:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by the with statement below
        except OSError as error:
            raise DumpError(f"{self.name}: cannot be opened ({error.strerror or error})") from None
        with raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            yield from self._rows(_lines(stream, self.name))

    def _rows(self, lines: Iterator[tuple[int, bytes]]) -> Iterator[MentorRow]:
        fast_rows = _FAST_ROW_RE.findall
        fast_line = _FAST_LINE_RE.fullmatch
        roles = _FAST_ROLES
        new = _new_object
        create: list[bytes] | None = None  # column lines of our CREATE TABLE, while inside it
        for self.line_no, (self.offset, line) in enumerate(lines, start=1):
            if create is not None:
                if line.startswith(b")"):
                    self._set_columns_from_create(create)
                    create = None
                else:
                    create.append(line)
            elif line.startswith((b"INSERT", b"REPLACE", b"insert", b"replace")):
                start = self._insert(line)
                if self.positions == (0, 1, 2, 3) and self.width == 4 and fast_line(line, start):
                    # The whole line is valid, so every row findall returns is. This loop is the hot
                    # spot of the module, hence the local names and no call per row but int(); the
                    # rows are built as _make_row explains.
                    for mentee, role, mentor, active in fast_rows(line, start):
                        row = new(MentorRow)
                        fields = row.__dict__
                        fields["mentee_id"] = int(mentee)
                        fields["role"] = roles[role]
                        fields["mentor_id"] = int(mentor)
                        fields["is_active"] = active == b"1"
                        yield row
                else:
                    yield from self._general_rows(line, start)
            elif line.startswith(b"CREATE TABLE"):
                self._check_table(_CREATE_RE, line)
                if line.rstrip().endswith(b";"):
                    self._fail("a CREATE TABLE on one line, which mysqldump never writes")
                if self.create_line is not None:
                    self._fail(f"a second CREATE TABLE for `{TABLE}` (the first is on line {self.create_line}); "
                               "two dumps in one file?")
                self.create_line = self.line_no
                self.table_line = self.table_line or self.line_no
                create = []
            elif line.startswith(b"DROP TABLE"):
                self._check_table(_DROP_RE, line)
            elif line.startswith(b"LOCK TABLES"):
                self._check_table(_LOCK_RE, line)
                self.lock_line = self.line_no
            elif line.startswith(b"UNLOCK TABLES"):
                if self.lock_line is not None:
                    self.unlocked = True
                self.lock_line = None
            elif line.startswith(_DUMP_COMPLETED):
                self.completed = True
            # Everything else (comments, SET, /*!...*/ version comments, ALTER TABLE ... KEYS,
            # blank lines) says nothing about the rows.
        self._check_end(create is not None)

    def _check_end(self, inside_create: bool) -> None:
        if self.line_no == 0:
            raise DumpError(f"{self.name}: is empty (0 bytes after decompression)")
        if inside_create:
            raise DumpError(f"{self.name}: ends inside the CREATE TABLE statement that begins on line "
                            f"{self.create_line}; the dump was cut off before it was compressed")
        if self.table_line is None:
            raise DumpError(f"{self.name}: no CREATE TABLE or INSERT for `{TABLE}`; the file names no table at all")
        if self.lock_line is not None:
            raise DumpError(f"{self.name}: ends inside the data of `{TABLE}` (LOCK TABLES on line {self.lock_line} "
                            "is never followed by UNLOCK TABLES); the dump was cut off before it was compressed")
        if not (self.unlocked or self.completed):
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

    def _set_columns_from_create(self, column_lines: list[bytes]) -> None:
        names = [_unquote_name(m.group(1)) for line in column_lines if (m := _COLUMN_RE.match(line))]
        self._set_columns(names, "CREATE TABLE")

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

    # --- the general tokenizer --------------------------------------------------------------

    def _general_rows(self, line: bytes, pos: int) -> Iterator[MentorRow]:
        """Read ``(v,v,...),(v,...);`` one literal at a time, and refuse the first thing that is wrong."""
        end = len(line)
        while True:
            row_start = pos
            if line[pos:pos + 1] != b"(":
                self._bad_row(line, row_start, "expected '(' to open a row")
            pos += 1
            values: list[re.Match[bytes]] = []
            while True:
                value = _VALUE_RE.match(line, pos)
                if value is None:
                    if line.find(b")", pos) < 0:
                        self._bad_row(line, row_start, "the line ends inside the row (was the dump cut off?)")
                    self._bad_row(line, row_start, f"value {len(values) + 1} is not an SQL literal this reader knows")
                values.append(value)
                pos = value.end()
                separator = line[pos:pos + 1]
                pos += 1
                if separator == b")":
                    break
                if separator != b",":
                    self._bad_row(line, row_start, f"expected ',' or ')' after value {len(values)}")
            if len(values) != self.width:
                self._bad_row(line, row_start, f"the row has {len(values)} values, the table has {self.width} columns")
            row = self._convert(values, line, row_start)
            separator = line[pos:pos + 1]
            if separator == b"":
                self._bad_row(line, row_start, "the line ends after the row without ';' (was the dump cut off?)")
            if separator == b";" and pos + 1 < end:
                self._bad_row(line, row_start, f"text after the final ';': {_snippet(line, pos + 1, 20)}", pos + 1)
            if separator not in (b",", b";"):
                self._bad_row(line, row_start, f"expected ',' or ';' after the row, found {_snippet(line, pos, 20)}",
                              pos)
            yield row
            if separator == b";":
                return
            pos += 1

    def _convert(self, values: list[re.Match[bytes]], line: bytes, row_start: int) -> MentorRow:
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
        return _make_row(mentee_id, role, mentor_id, active.group("int") == b"1")

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

    def _bad_row(self, line: bytes, row_start: int, reason: str, at: int | None = None) -> NoReturn:
        """Refuse the row that starts at ``row_start``; the byte given is ``at``, else the row's start."""
        where = self.offset + (row_start if at is None else at)
        raise DumpError(f"{self.name}: line {self.line_no}, byte {where}: {reason}; "
                        f"the row starts {_snippet(line, row_start)}")


_ROLE_NAMES: Final = {role.encode("ascii"): role for role in ROLES}
_new_object = object.__new__


def _make_row(mentee_id: int, role: str, mentor_id: int, is_active: bool) -> MentorRow:
    """Build a MentorRow without the frozen dataclass's ``__init__``: a third less time per row.

    A frozen dataclass's ``__init__`` sets each field through a call of ``object.__setattr__``;
    filling the new instance's ``__dict__`` directly makes the same object (equal, same hash,
    same repr) for less, which matters at millions of rows. It needs MentorRow to keep a
    ``__dict__`` (no ``slots=True``) and no ``__post_init__``; the tests compare these rows with
    ones built by ``MentorRow(...)``.
    """
    row = _new_object(MentorRow)
    fields = row.__dict__
    fields["mentee_id"] = mentee_id
    fields["role"] = role
    fields["mentor_id"] = mentor_id
    fields["is_active"] = is_active
    return row


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
