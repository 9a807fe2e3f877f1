"""The weekly mentorship dump reader, on gzip'd samples in the exact shape mysqldump --opt writes."""

from __future__ import annotations

import dataclasses
import gzip
import random
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy
import pytest

import bot.dump
from bot.dump import DumpError, MentorBatch, MentorRow, read_mentor_rows
from bot.errors import MentorBotError

TABLE = "growthexperiments_mentor_mentee"

# A real header: MariaDB 11's first line carries a backslash, the host comment quotes and escapes
# (a line-based reader must not try to pair those quotes up), then the usual session settings.
HEADER = b"""/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19-11.4.5-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: db1234.eqiad.wmnet    Database: it's a \\'test\\' wiki, (1,'primary',2,1);
-- ------------------------------------------------------
-- Server version\t10.6.20-MariaDB-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

"""

COLUMN_LINES = b"""  `gemm_mentee_id` int(10) unsigned NOT NULL,
  `gemm_mentor_role` varbinary(255) NOT NULL,
  `gemm_mentor_id` int(10) unsigned NOT NULL,
  `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,
"""


def structure(table: str = TABLE, columns: bytes = COLUMN_LINES) -> bytes:
    name = table.encode()
    return (b"--\n-- Table structure for table `" + name + b"`\n--\n\n"
            b"DROP TABLE IF EXISTS `" + name + b"`;\n"
            b"/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
            b"/*!40101 SET character_set_client = utf8mb4 */;\n"
            b"CREATE TABLE `" + name + b"` (\n" + columns +
            b"  PRIMARY KEY (`gemm_mentee_id`,`gemm_mentor_role`),\n"
            b"  KEY `gemm_mentor` (`gemm_mentor_id`,`gemm_mentee_is_active`)\n"
            b") ENGINE=InnoDB DEFAULT CHARSET=binary;\n"
            b"/*!40101 SET character_set_client = @saved_cs_client */;\n\n")


def data(lines: Iterable[bytes], table: str = TABLE, unlock: bool = True) -> bytes:
    name = table.encode()
    text = (b"--\n-- Dumping data for table `" + name + b"`\n--\n\n"
            b"LOCK TABLES `" + name + b"` WRITE;\n"
            b"/*!40000 ALTER TABLE `" + name + b"` DISABLE KEYS */;\n")
    text += b"".join(lines)
    if unlock:
        text += (b"/*!40000 ALTER TABLE `" + name + b"` ENABLE KEYS */;\n"
                 b"UNLOCK TABLES;\n")
    return text


FOOTER = b"""/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;

-- Dump completed on 2026-11-21  3:05:11
"""


def insert(values: bytes, table: str = TABLE) -> bytes:
    return b"INSERT INTO `" + table.encode() + b"` VALUES " + values + b";\n"


def dump(*values: bytes) -> bytes:
    """A whole dump with one extended INSERT per argument."""
    return HEADER + structure() + data(insert(v) for v in values) + FOOTER


def write(directory: Path, text: bytes, name: str = "20261121-enwiki-growthexperiments_mentor_mentee.sql.gz") -> Path:
    path = directory / name
    path.write_bytes(gzip.compress(text, mtime=0))
    return path


def place(text: bytes, needle: bytes) -> tuple[int, int]:
    """Line number and byte offset of the first ``needle`` in ``text``."""
    offset = text.index(needle)
    return text.count(b"\n", 0, offset) + 1, offset


def without_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, every INSERT line goes through the general tokenizer."""
    monkeypatch.setattr(bot.dump, "_FAST_START_RE", re.compile(b"(?!)"))


SAMPLE_VALUES = (
    b"(11,'backup',7,0),(11,'primary',5,1),(12,'backup',5,0)",
    b"(12,'primary',7,1),(40000001,'primary',123456789,0)",
    b"(40000002,'backup',5,1)",
)
SAMPLE_ROWS = [
    MentorRow(11, "backup", 7, False), MentorRow(11, "primary", 5, True), MentorRow(12, "backup", 5, False),
    MentorRow(12, "primary", 7, True), MentorRow(40000001, "primary", 123456789, False),
    MentorRow(40000002, "backup", 5, True),
]


# --- reading ------------------------------------------------------------------------------------

def test_reads_every_row_of_a_mariadb_dump(tmp_path: Path) -> None:
    assert list(read_mentor_rows(write(tmp_path, dump(*SAMPLE_VALUES)))) == SAMPLE_ROWS


def test_reads_mysqls_binary_introducers(tmp_path: Path) -> None:
    values = [v.replace(b"'primary'", b"_binary 'primary'").replace(b"'backup'", b"_binary 'backup'")
              for v in SAMPLE_VALUES]
    assert b"_binary 'backup'" in values[0]
    assert list(read_mentor_rows(write(tmp_path, dump(*values)))) == SAMPLE_ROWS


def test_reads_hex_blob_roles(tmp_path: Path) -> None:
    """mysqldump --hex-blob writes VARBINARY in hex: 0x7072696D617279 is 'primary'."""
    values = [v.replace(b"'primary'", b"0x7072696D617279").replace(b"'backup'", b"0x6261636B7570")
              for v in SAMPLE_VALUES]
    assert list(read_mentor_rows(write(tmp_path, dump(*values)))) == SAMPLE_ROWS


def test_reads_the_general_sql_forms(tmp_path: Path) -> None:
    """Escapes, the INT UNSIGNED bounds and any mix of role forms go through the general tokenizer."""
    text = dump(b"(9,'pri\\mary',10,1),(0,'backup',4294967295,0),(11,0x7072696d617279,12,1),"
                b"(13,_binary 0x6261636B7570,14,0),(15,_binary 'backup',16,1),(17,_binary'primary',18,0)")
    assert list(read_mentor_rows(write(tmp_path, text))) == [
        MentorRow(9, "primary", 10, True), MentorRow(0, "backup", 4294967295, False),
        MentorRow(11, "primary", 12, True), MentorRow(13, "backup", 14, False), MentorRow(15, "backup", 16, True),
        MentorRow(17, "primary", 18, False),
    ]


def test_the_general_tokenizer_reads_what_the_fast_path_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = many_rows_dump(3000).replace(b"'backup'", b"_binary 'backup'")
    fast = list(read_mentor_rows(write(tmp_path, text)))
    without_fast_path(monkeypatch)
    assert list(read_mentor_rows(write(tmp_path, text))) == fast
    assert len(fast) == 3000


def test_crlf_line_endings(tmp_path: Path) -> None:
    """mysqldump on Windows writing to stdout (without --result-file) ends lines with \\r\\n."""
    text = dump(*SAMPLE_VALUES).replace(b"\n", b"\r\n")
    assert list(read_mentor_rows(write(tmp_path, text))) == SAMPLE_ROWS


def test_column_order_comes_from_create_table(tmp_path: Path) -> None:
    columns = (b"  `gemm_mentor_id` int(10) unsigned NOT NULL,\n"
               b"  `gemm_note` varbinary(20) DEFAULT NULL,\n"
               b"  `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,\n"
               b"  `gemm_mentor_role` varbinary(255) NOT NULL,\n"
               b"  `gemm_mentee_id` int(10) unsigned NOT NULL,\n")
    text = HEADER + structure(columns=columns) + data([insert(b"(5,NULL,1,'primary',11),(7,'a\\'b',0,'backup',11)")])
    assert list(read_mentor_rows(write(tmp_path, text + FOOTER))) == [
        MentorRow(11, "primary", 5, True), MentorRow(11, "backup", 7, False),
    ]


def test_column_list_of_complete_insert(tmp_path: Path) -> None:
    line = (b"INSERT INTO `growthexperiments_mentor_mentee` (`gemm_mentor_id`, `gemm_mentee_id`, "
            b"`gemm_mentee_is_active`, `gemm_mentor_role`) VALUES (5,11,1,'primary'),(7,11,0,'backup');\n")
    text = HEADER + structure() + data([line]) + FOOTER
    assert list(read_mentor_rows(write(tmp_path, text))) == [
        MentorRow(11, "primary", 5, True), MentorRow(11, "backup", 7, False),
    ]


def test_blanks_before_a_statement_do_not_hide_it(tmp_path: Path) -> None:
    text = dump(*SAMPLE_VALUES).replace(b"\nINSERT", b"\n  \tINSERT")
    assert list(read_mentor_rows(write(tmp_path, text))) == SAMPLE_ROWS


def test_an_empty_table_gives_no_rows(tmp_path: Path) -> None:
    assert list(read_mentor_rows(write(tmp_path, dump()))) == []


def test_lines_are_cut_right_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.dump, "CHUNK_SIZE", 7)
    assert list(read_mentor_rows(write(tmp_path, dump(*SAMPLE_VALUES)))) == SAMPLE_ROWS
    text = dump(*SAMPLE_VALUES, b"(1,'primary',2,1),(3,'mentor',4,0)")
    line, offset = place(text, b"(3,'mentor'")
    with pytest.raises(DumpError, match=f"line {line}, byte {offset}: unknown mentor role 'mentor'"):
        list(read_mentor_rows(write(tmp_path, text)))


def test_rows_are_plain_frozen_dataclasses(tmp_path: Path) -> None:
    """Rows are built without __init__ for speed; they must still be the same objects in every way."""
    rows = list(read_mentor_rows(write(tmp_path, dump(b"(1,'primary',2,1)", b"(0,'backup',3,0)"))))
    for row, expected in zip(rows, [MentorRow(1, "primary", 2, True), MentorRow(0, "backup", 3, False)], strict=True):
        assert type(row) is MentorRow
        assert row == expected
        assert hash(row) == hash(expected)
        assert repr(row) == repr(expected)
        assert dataclasses.asdict(row) == dataclasses.asdict(expected)
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.mentor_id = 9  # type: ignore[misc]


def test_nothing_is_read_before_the_first_row_is_asked_for(tmp_path: Path) -> None:
    rows = read_mentor_rows(tmp_path / "missing.sql.gz")
    with pytest.raises(DumpError, match=r"missing\.sql\.gz: cannot be opened \(No such file or directory\)"):
        next(rows)


# --- refusing -----------------------------------------------------------------------------------

def many_rows_dump(count: int) -> bytes:
    """Realistic, poorly compressible rows in lines of about 16 KB."""
    values, lines, state = [], [], 12345
    for mentee in range(1, count + 1):
        state = (state * 1103515245 + 12345) % 2**31
        values.append(b"(%d,'%s',%d,%d)" % (mentee, b"primary" if state % 2 else b"backup", state % 40_000_000 + 1,
                                             state % 7 == 0))
        if len(values) == 800:
            lines.append(b",".join(values))
            values = []
    if values:
        lines.append(b",".join(values))
    return dump(*lines)


def test_a_truncated_gzip_says_how_far_it_got_after_the_rows_before(tmp_path: Path) -> None:
    compressed = gzip.compress(many_rows_dump(5000), mtime=0)
    cut = compressed[: len(compressed) // 2]
    path = tmp_path / "cut.sql.gz"
    path.write_bytes(cut)
    received = len(zlib.decompressobj(wbits=31).decompress(cut))
    rows = read_mentor_rows(path)
    assert next(rows).mentee_id == 1  # rows come before the error: the caller must roll back
    with pytest.raises(DumpError) as caught:
        list(rows)
    assert str(caught.value) == f"{path}: not a complete gzip file (cut off after {received} bytes)"
    assert isinstance(caught.value, MentorBotError)


def test_not_a_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.sql.gz"
    path.write_bytes(dump(*SAMPLE_VALUES))
    with pytest.raises(DumpError, match=r"plain\.sql\.gz: not a gzip file \(it does not begin with gzip's magic"):
        list(read_mentor_rows(path))


def test_a_corrupt_gzip_trailer(tmp_path: Path) -> None:
    text = dump(*SAMPLE_VALUES)
    compressed = bytearray(gzip.compress(text, mtime=0))
    compressed[-8] ^= 0xFF  # the CRC-32 of the data
    path = tmp_path / "crc.sql.gz"
    path.write_bytes(bytes(compressed))
    # The checksum is checked as the member ends: the bytes of that last step are not counted.
    with pytest.raises(DumpError, match=r"crc\.sql\.gz: corrupt gzip data after \d+ bytes \(.*checksum"):
        list(read_mentor_rows(path))


def test_gzip_members_one_after_another_are_one_stream(tmp_path: Path) -> None:
    """``cat a.gz b.gz`` is a valid gzip file of both, as gzip reads it."""
    text = dump(*SAMPLE_VALUES)
    middle = text.index(b"INSERT")
    path = tmp_path / "two-members.sql.gz"
    path.write_bytes(gzip.compress(text[:middle], mtime=0) + gzip.compress(text[middle:], mtime=0))
    assert list(read_mentor_rows(path)) == SAMPLE_ROWS


def test_an_empty_file_and_garbage_after_the_gzip_data(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sql.gz"
    empty.write_bytes(b"")
    with pytest.raises(DumpError, match=r"empty\.sql\.gz: not a gzip file \(it is empty\)$"):
        list(read_mentor_rows(empty))
    text = dump(*SAMPLE_VALUES)
    trailing = tmp_path / "trailing.sql.gz"
    trailing.write_bytes(gzip.compress(text, mtime=0) + b"<html>error page</html>")
    with pytest.raises(DumpError, match=rf"trailing\.sql\.gz: corrupt gzip data after {len(text)} bytes "
                                        r"\(not a gzip member\)$"):
        list(read_mentor_rows(trailing))


def test_a_dump_of_another_table_names_it(tmp_path: Path) -> None:
    columns = b"  `ug_user` int(10) unsigned NOT NULL DEFAULT 0,\n  `ug_group` varbinary(255) NOT NULL DEFAULT '',\n"
    text = HEADER + structure("user_groups", columns) + data([insert(b"(1,'sysop')", "user_groups")], "user_groups")
    path = write(tmp_path, text + FOOTER)
    line, _ = place(text, b"DROP TABLE")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == f"{path}: line {line}: this is a dump of table `user_groups`, not of `{TABLE}`"


def test_an_insert_into_another_table_is_refused(tmp_path: Path) -> None:
    text = HEADER + data([insert(b"(1,'sysop')", "user_groups")], "growthexperiments_mentor_mentee") + FOOTER
    line, _ = place(text, b"INSERT")
    with pytest.raises(DumpError, match=f"line {line}: this is a dump of table `user_groups`, not of `{TABLE}`"):
        list(read_mentor_rows(write(tmp_path, text)))


def test_a_row_that_does_not_parse(tmp_path: Path) -> None:
    text = dump(*SAMPLE_VALUES, b"(1,'primary',2,1),(3,'backup' 4,0),(5,'backup',6,1)")
    path = write(tmp_path, text)
    line, offset = place(text, b"(3,'backup' 4,0)")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == (f"{path}: line {line}, byte {offset}: expected ',' or ')' after value 2; "
                                 "the row starts (3,'backup' 4,0),(5,'backup',6,1);")


def test_a_row_with_the_wrong_number_of_values(tmp_path: Path) -> None:
    text = dump(b"(1,'primary',2,1),(3,'backup',4)")
    path = write(tmp_path, text)
    line, offset = place(text, b"(3,'backup',4)")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == (f"{path}: line {line}, byte {offset}: the row has 3 values, the table has "
                                 "4 columns; the row starts (3,'backup',4);")


def test_null_in_a_not_null_column(tmp_path: Path) -> None:
    text = dump(b"(1,'primary',NULL,1)")
    path = write(tmp_path, text)
    line, offset = place(text, b"(1,'primary',NULL")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == (f"{path}: line {line}, byte {offset}: NULL in gemm_mentor_id, which is NOT NULL; "
                                 "the row starts (1,'primary',NULL,1);")


def test_an_unknown_role(tmp_path: Path) -> None:
    text = dump(b"(1,'primary',2,1),(3,'mentor',4,0)")
    path = write(tmp_path, text)
    line, offset = place(text, b"(3,'mentor'")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == (f"{path}: line {line}, byte {offset}: unknown mentor role 'mentor' "
                                 "(known: primary, backup); the row starts (3,'mentor',4,0);")


@pytest.mark.parametrize(("values", "reason"), [
    (b"(1,'primary',2,2)", "gemm_mentee_is_active is 2, not 0 or 1"),
    (b"(-1,'primary',2,1)", "gemm_mentee_id is -1, outside INT UNSIGNED"),
    (b"(1,'primary',4294967296,1)", "gemm_mentor_id is 4294967296, outside INT UNSIGNED"),
    (b"(1,'primary','2',1)", "gemm_mentor_id is not an integer: '2'"),
    (b"(1,2,3,1)", "gemm_mentor_role is not a string: 2"),
    (b"(1,'prim\\'ary',2,1)", "unknown mentor role \"prim'ary\""),
    (b"(1,'primary',2,1.5)", "value 4 is not an SQL literal this reader knows"),
    (b"(1,'primary',2,1) (3,'backup',4,0)", "expected ',' or ';' after the row, found (3,'backup',4,0);"),
    (b"1,'primary',2,1", "expected '(' to open a row"),
])
def test_values_outside_the_contract(tmp_path: Path, values: bytes, reason: str) -> None:
    with pytest.raises(DumpError, match=r"line \d+, byte \d+: " + re.escape(reason)):
        list(read_mentor_rows(write(tmp_path, dump(values))))


def test_a_dump_cut_off_before_compression_mid_row(tmp_path: Path) -> None:
    cut_line = b"INSERT INTO `growthexperiments_mentor_mentee` VALUES (1,'primary',2,1),(3,'ba"
    text = HEADER + structure() + data([cut_line], unlock=False)
    path = write(tmp_path, text)
    line, offset = place(text, b"(3,'ba")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == (f"{path}: line {line}, byte {offset}: the statement ends inside the row (was the "
                                 "dump cut off?); the row starts (3,'ba")


def test_a_dump_cut_off_between_lines(tmp_path: Path) -> None:
    text = HEADER + structure() + data([insert(SAMPLE_VALUES[0])], unlock=False)
    path = write(tmp_path, text)
    line, _ = place(text, b"LOCK TABLES")
    rows = read_mentor_rows(path)
    assert [next(rows) for _ in range(3)] == SAMPLE_ROWS[:3]
    with pytest.raises(DumpError) as caught:
        next(rows)
    assert str(caught.value) == (f"{path}: ends inside the data of `{TABLE}` (LOCK TABLES on line {line} is never "
                                 "followed by UNLOCK TABLES); the dump was cut off before it was compressed")


def test_a_dump_cut_off_inside_create_table(tmp_path: Path) -> None:
    text = HEADER + structure()
    text = text[: text.index(b"  PRIMARY KEY")]
    line, _ = place(text, b"CREATE TABLE")
    with pytest.raises(DumpError, match=f"ends inside the CREATE TABLE statement that begins on line {line}"):
        list(read_mentor_rows(write(tmp_path, text)))


def test_a_dump_without_its_end(tmp_path: Path) -> None:
    text = HEADER + structure()
    with pytest.raises(DumpError, match="ends without UNLOCK TABLES or a '-- Dump completed' line"):
        list(read_mentor_rows(write(tmp_path, text)))


def test_a_dump_of_no_table_at_all(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + FOOTER)
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == f"{path}: no CREATE TABLE or INSERT for `{TABLE}`; the file names no table at all"


def test_an_empty_gzip_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"")
    with pytest.raises(DumpError, match=r"\.sql\.gz: is empty \(0 bytes after decompression\)"):
        list(read_mentor_rows(path))


def test_a_create_table_without_a_needed_column(tmp_path: Path) -> None:
    columns = COLUMN_LINES.replace(b"  `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,\n", b"")
    text = HEADER + structure(columns=columns) + data([]) + FOOTER
    line, _ = place(text, b") ENGINE")
    with pytest.raises(DumpError, match=f"line {line}: the CREATE TABLE column list has no gemm_mentee_is_active "
                                        r"\(it has: gemm_mentee_id, gemm_mentor_role, gemm_mentor_id\)"):
        list(read_mentor_rows(write(tmp_path, text)))


def test_two_dumps_in_one_file(tmp_path: Path) -> None:
    text = dump(*SAMPLE_VALUES)
    with pytest.raises(DumpError, match="a second CREATE TABLE for `growthexperiments_mentor_mentee`"):
        list(read_mentor_rows(write(tmp_path, text + text)))


def test_an_insert_form_it_does_not_know(tmp_path: Path) -> None:
    text = dump() + b"insert into growthexperiments_mentor_mentee values (1,'primary',2,1);\n"
    with pytest.raises(DumpError, match="an INSERT statement this reader does not understand: insert into"):
        list(read_mentor_rows(write(tmp_path, text)))


def test_an_overlong_statement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.dump, "CHUNK_SIZE", 64)
    monkeypatch.setattr(bot.dump, "MAX_STATEMENT", 500)
    text = dump(b",".join([b"(1,'primary',2,1)"] * 40))
    line, offset = place(text, b"INSERT")
    with pytest.raises(DumpError, match=f"line {line}, byte {offset}: a statement longer than 500 bytes"):
        list(read_mentor_rows(write(tmp_path, text)))


# --- batches ------------------------------------------------------------------------------------

def rows_of(batches: Iterable[MentorBatch]) -> list[MentorRow]:
    return [MentorRow(mentee_id, role, mentor_id, is_active)
            for batch in batches for mentee_id, role, mentor_id, is_active in batch]


def assert_columns(batch: MentorBatch) -> None:
    """Four one-dimensional numpy columns of one length, of the dtypes the API promises."""
    columns = (batch.mentee_ids, batch.primary, batch.mentor_ids, batch.active)
    assert [column.dtype for column in columns] == [numpy.int64, numpy.bool_, numpy.int64, numpy.bool_]
    assert {column.shape for column in columns} == {(len(batch),)}


def binary_roles(values: bytes) -> bytes:
    return values.replace(b"'primary'", b"_binary 'primary'").replace(b"'backup'", b"_binary 'backup'")


def hex_roles(values: bytes) -> bytes:
    return values.replace(b"'primary'", b"0x7072696D617279").replace(b"'backup'", b"0x6261636b7570")


REORDERED_COLUMNS = (b"  `gemm_mentor_id` int(10) unsigned NOT NULL,\n  `gemm_note` varbinary(20) DEFAULT NULL,\n"
                     b"  `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,\n"
                     b"  `gemm_mentor_role` varbinary(255) NOT NULL,\n  `gemm_mentee_id` int(10) unsigned NOT NULL,\n")
COMPLETE_INSERT = (b"INSERT INTO `growthexperiments_mentor_mentee` (`gemm_mentee_id`, `gemm_mentor_role`, "
                   b"`gemm_mentor_id`, `gemm_mentee_is_active`) VALUES (5,'primary',11,1),(7,'backup',11,0);\n")
READABLE_DUMPS = {
    "multi-row INSERTs": dump(*SAMPLE_VALUES),
    "_binary roles": dump(*map(binary_roles, SAMPLE_VALUES)),
    "hex roles": dump(*map(hex_roles, SAMPLE_VALUES)),
    "MySQL and MariaDB forms in one line": dump(SAMPLE_VALUES[0], binary_roles(SAMPLE_VALUES[1]) + b"," + hex_roles(
        SAMPLE_VALUES[2]) + b",(1,_binary 0x7072696d617279,2,1),(3,'backup',4,0)"),
    "escapes and INT UNSIGNED bounds": dump(b"(9,'pri\\mary',10,1),(0,'backup',4294967295,0),(007,'backup',1,0)",
                                            b"(4294967295,'b\\ackup',1,1),(1,_binary'primary',2,0)"),
    "many rows, leading zeros, ten-digit ids": many_rows_dump(5000).replace(b"(1,", b"(0001,").replace(
        b"(2,", b"(4294967295,"),
    "column order from CREATE TABLE": HEADER + structure(columns=REORDERED_COLUMNS) + data(
        [insert(b"(5,NULL,1,'primary',11),(7,'a\\'b',0,'backup',11)")]) + FOOTER,
    "complete INSERT": HEADER + structure() + data([COMPLETE_INSERT]) + FOOTER,
    "CRLF line endings": dump(*SAMPLE_VALUES).replace(b"\n", b"\r\n"),
    "an empty table": dump(),
}


@pytest.mark.parametrize("name", READABLE_DUMPS)
def test_batches_hold_exactly_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    text = READABLE_DUMPS[name]
    path = write(tmp_path, text)
    batches = list(bot.dump.read_mentor_batches(path))
    assert rows_of(batches) == list(read_mentor_rows(path))
    without_fast_path(monkeypatch)
    general = list(bot.dump.read_mentor_batches(path))
    assert rows_of(general) == rows_of(batches) == list(read_mentor_rows(path))
    # One batch per INSERT statement, with its rows, the same columns from either path.
    inserts = [line for line in text.splitlines() if line.startswith(b"INSERT")]
    assert [len(batch) for batch in batches] == [len(batch) for batch in general] == [
        line.count(b"),(") + 1 for line in inserts]
    for batch in batches + general:
        assert_columns(batch)
        # Iterated, a row is plain Python values, not numpy scalars.
        for mentee_id, role, mentor_id, is_active in batch:
            assert (type(mentee_id), type(role), type(mentor_id), type(is_active)) == (int, str, int, bool)
            assert role in bot.dump.ROLES


def test_batches_of_the_samples(tmp_path: Path) -> None:
    batches = list(bot.dump.read_mentor_batches(write(tmp_path, dump(*SAMPLE_VALUES))))
    assert [(batch.mentee_ids.tolist(), batch.primary.tolist(), batch.mentor_ids.tolist(), batch.active.tolist())
            for batch in batches] == [
        ([11, 11, 12], [False, True, False], [7, 5, 5], [False, True, False]),
        ([12, 40000001], [True, True], [7, 123456789], [True, False]),
        ([40000002], [False], [5], [True]),
    ]
    assert list(batches[0]) == [(11, "backup", 7, False), (11, "primary", 5, True), (12, "backup", 5, False)]


def test_batches_are_lazy(tmp_path: Path) -> None:
    batches = bot.dump.read_mentor_batches(tmp_path / "missing.sql.gz")
    with pytest.raises(DumpError, match=r"missing\.sql\.gz: cannot be opened \(No such file or directory\)"):
        next(batches)


def test_a_truncated_gzip_raises_after_the_batches_before(tmp_path: Path) -> None:
    compressed = gzip.compress(many_rows_dump(20_000), mtime=0)
    path = tmp_path / "cut.sql.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    batches = bot.dump.read_mentor_batches(path)
    first = next(batches)
    assert first.mentee_ids[:3].tolist() == [1, 2, 3] and len(first) == 800
    with pytest.raises(DumpError, match=r"cut\.sql\.gz: not a complete gzip file \(cut off after \d+ bytes\)"):
        list(batches)


def test_a_line_with_a_bad_row_yields_no_batch(tmp_path: Path) -> None:
    """The rows of a statement come only once all of it was read: a bad last row holds back its line."""
    text = dump(SAMPLE_VALUES[0], b"(1,'primary',2,1),(3,'primary',NULL,0)")
    path = write(tmp_path, text)
    batches = bot.dump.read_mentor_batches(path)
    assert next(batches).mentee_ids.tolist() == [11, 11, 12]
    with pytest.raises(DumpError, match="NULL in gemm_mentor_id"):
        next(batches)
    rows = read_mentor_rows(path)
    assert [next(rows) for _ in range(3)] == SAMPLE_ROWS[:3]
    with pytest.raises(DumpError, match="NULL in gemm_mentor_id"):
        next(rows)  # not MentorRow(1, "primary", 2, True) first


def bad_dumps() -> dict[str, bytes]:
    """Every kind of dump the reader refuses: the cases above, and rows the fast path must not take."""
    other_columns = b"  `ug_user` int(10) unsigned NOT NULL DEFAULT 0,\n  `ug_group` varbinary(255) NOT NULL,\n"
    no_active = COLUMN_LINES.replace(b"  `gemm_mentee_is_active` tinyint(1) NOT NULL DEFAULT 1,\n", b"")
    cut_row = b"INSERT INTO `growthexperiments_mentor_mentee` VALUES (1,'primary',2,1),(3,'ba"
    values = [b"(1,'primary',2,1),(3,'backup' 4,0),(5,'backup',6,1)", b"(1,'primary',2,1),(3,'backup',4)",
              b"(1,'primary',NULL,1)", b"(1,'primary',2,1),(3,'mentor',4,0)", b"(1,'primary',2,2)",
              b"(-1,'primary',2,1)", b"(1,'primary',4294967296,1)", b"(4294967296,'primary',2,1)",
              b"(1,'primary','2',1)", b"(1,2,3,1)", b"(1,'prim\\'ary',2,1)", b"(1,'primary',2,1.5)",
              b"(1,'primary',2,1) (3,'backup',4,0)", b"1,'primary',2,1", b"(1,'primary',2,1);(3,'backup',4,0);",
              b"(1,'primary',2,1),,(3,'backup',4,0)",
              b"(1,'primary(,2,1)", b"(+1,'primary',2,1)", b"(1_0,'primary',2,1)",
              b"(,'primary',2,1)", b"(1,'',2,1)", b"(1,_binary 0x7072696d61727,2,1)",
              b"(1,'primary',2,1),\n(3,'backup',4,0),\n(5,'mentor',6,1)",
              b"(1,'primary',2,1),\n(3,'mentor',4,0),\n(5,'backup',6,1)"]
    cases = {f"values {v.decode()}": dump(SAMPLE_VALUES[0], v) for v in values}
    cases.update({
        "another table": HEADER + structure("user_groups", other_columns) + data(
            [insert(b"(1,'sysop')", "user_groups")], "user_groups") + FOOTER,
        "an INSERT into another table": HEADER + data([insert(b"(1,'sysop')", "user_groups")]) + FOOTER,
        "cut off mid-row": HEADER + structure() + data([cut_row], unlock=False),
        "cut off between lines": HEADER + structure() + data([insert(SAMPLE_VALUES[0])], unlock=False),
        "cut off inside CREATE TABLE": (HEADER + structure())[: (HEADER + structure()).index(b"  PRIMARY KEY")],
        "without its end": HEADER + structure(),
        "no table at all": HEADER + FOOTER,
        "empty": b"",
        "a column missing": HEADER + structure(columns=no_active) + data([]) + FOOTER,
        "two dumps in one file": dump(*SAMPLE_VALUES) * 2,
        "an unknown INSERT form": dump() + b"insert into growthexperiments_mentor_mentee values (1,'primary',2,1);\n",
        # Lines are counted with numpy in statements of 64 KiB or more.
        "a bad row after a statement of many lines": dump(
            b",\n".join(b"(%d,'primary',2,1)" % number for number in range(1, 6000)), b"(1,'mentor',2,1)"),
        "cut off after a row": HEADER + structure() + data([cut_row], unlock=False).replace(b",(3,'ba", b""),
        "cut off after a comma": HEADER + structure() + data([cut_row], unlock=False).replace(b"(3,'ba", b"\n"),
        "cut off inside a row, at a line's end": HEADER + structure() + data([cut_row], unlock=False) + b"\n",
        "cut off inside another statement": HEADER + structure() + b"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE",
    })
    return cases


BAD_DUMPS = bad_dumps()


def refusal(read: Callable[[Path], Iterator[object]], path: Path) -> str:
    with pytest.raises(DumpError) as caught:
        for _ in read(path):
            pass
    return str(caught.value)


@pytest.mark.parametrize("name", BAD_DUMPS)
def test_batches_refuse_as_rows_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    path = write(tmp_path, BAD_DUMPS[name])
    refused = refusal(bot.dump.read_mentor_batches, path)
    assert refused == refusal(read_mentor_rows, path)
    without_fast_path(monkeypatch)
    assert refusal(bot.dump.read_mentor_batches, path) == refused


# What each bad dump is refused with: the reason, and for a refusal at a place, a text that the
# line it names contains (the row's own start, when it also names a byte).
BAD_DUMP_REASONS: dict[str, tuple[str, bytes | None]] = {
    "values (1,'primary',2,1),(3,'backup' 4,0),(5,'backup',6,1)": ("expected ',' or ')' after value 2", None),
    "values (1,'primary',2,1),(3,'backup',4)": ("the row has 3 values, the table has 4 columns", None),
    "values (1,'primary',NULL,1)": ("NULL in gemm_mentor_id, which is NOT NULL", None),
    "values (1,'primary',2,1),(3,'mentor',4,0)": ("unknown mentor role 'mentor' (known: primary, backup)", None),
    "values (1,'primary',2,2)": ("gemm_mentee_is_active is 2, not 0 or 1", None),
    "values (-1,'primary',2,1)": ("gemm_mentee_id is -1, outside INT UNSIGNED", None),
    "values (1,'primary',4294967296,1)": ("gemm_mentor_id is 4294967296, outside INT UNSIGNED", None),
    "values (4294967296,'primary',2,1)": ("gemm_mentee_id is 4294967296, outside INT UNSIGNED", None),
    "values (1,'primary','2',1)": ("gemm_mentor_id is not an integer: '2'", None),
    "values (1,2,3,1)": ("gemm_mentor_role is not a string: 2", None),
    "values (1,'prim\\'ary',2,1)": ("unknown mentor role \"prim'ary\" (known: primary, backup)", None),
    "values (1,'primary',2,1.5)": ("value 4 is not an SQL literal this reader knows", None),
    "values (1,'primary',2,1) (3,'backup',4,0)": ("expected ',' or ';' after the row, found (3,'backup',4,0);", None),
    "values 1,'primary',2,1": ("expected '(' to open a row", None),
    "values (1,'primary',2,1);(3,'backup',4,0);": ("text after the final ';': (3,'backup',4,0);;", None),
    "values (1,'primary',2,1),,(3,'backup',4,0)": ("expected '(' to open a row", None),
    "values (1,'primary(,2,1)": ("value 2 is not an SQL literal this reader knows", None),
    "values (+1,'primary',2,1)": ("value 1 is not an SQL literal this reader knows", None),
    "values (1_0,'primary',2,1)": ("value 1 is not an SQL literal this reader knows", None),
    "values (,'primary',2,1)": ("value 1 is not an SQL literal this reader knows", None),
    "values (1,'',2,1)": ("unknown mentor role '' (known: primary, backup)", None),
    "values (1,_binary 0x7072696d61727,2,1)": ("gemm_mentor_role is an odd-length hex literal", None),
    "values (1,'primary',2,1),\n(3,'backup',4,0),\n(5,'mentor',6,1)": (
        "unknown mentor role 'mentor' (known: primary, backup)", None),
    "values (1,'primary',2,1),\n(3,'mentor',4,0),\n(5,'backup',6,1)": (
        "unknown mentor role 'mentor' (known: primary, backup)", None),
    "another table": ("this is a dump of table `user_groups`, not of `growthexperiments_mentor_mentee`",
                      b"TABLE IF EXISTS `user_groups`"),
    "an INSERT into another table": ("this is a dump of table `user_groups`, not of "
                                     "`growthexperiments_mentor_mentee`", b"INSERT INTO `user_groups`"),
    "cut off mid-row": ("the statement ends inside the row (was the dump cut off?)", None),
    "cut off between lines": ("ends inside the data of `growthexperiments_mentor_mentee` (LOCK TABLES on line 36 is "
                              "never followed by UNLOCK TABLES); the dump was cut off before it was compressed", None),
    "cut off inside CREATE TABLE": ("ends inside the CREATE TABLE statement that begins on line 22; the dump was cut "
                                    "off before it was compressed", None),
    "without its end": ("ends without UNLOCK TABLES or a '-- Dump completed' line; the dump was cut off before it "
                        "was compressed", None),
    "no table at all": ("no CREATE TABLE or INSERT for `growthexperiments_mentor_mentee`; the file names no table "
                        "at all", None),
    "empty": ("is empty (0 bytes after decompression)", None),
    "a column missing": ("the CREATE TABLE column list has no gemm_mentee_is_active (it has: gemm_mentee_id, "
                         "gemm_mentor_role, gemm_mentor_id)", b") ENGINE=InnoDB"),  # the list's end
    "two dumps in one file": ("a second CREATE TABLE for `growthexperiments_mentor_mentee` (the first is on line "
                              "22); two dumps in one file?", b"CREATE TABLE `growthexperiments_mentor_mentee`"),
    "a bad row after a statement of many lines": ("unknown mentor role 'mentor' (known: primary, backup)", None),
    "cut off after a row": ("the statement ends after the row without ';' (was the dump cut off?)", None),
    "cut off after a comma": ("the statement ends where a row should begin (was the dump cut off?)", None),
    "cut off inside a row, at a line's end": ("the statement ends inside the row (was the dump cut off?)", None),
    "cut off inside another statement": ("the dump ends inside a statement (was it cut off?): /*!40103 SET "
                                         "TIME_ZONE=@OLD_TIME_ZONE", b"/*!40103 SET TIME_ZONE"),
    "an unknown INSERT form": ("an INSERT statement this reader does not understand: insert into "
                               "growthexperiments_mentor_mentee values (1,'prima…", b"insert into"),
}
REFUSAL = re.compile(r"(?:line (?P<line>\d+)(?:, byte (?P<byte>\d+))?: )?(?P<reason>.*?)"
                     r"(?:; the row starts (?P<row>.*))?", re.DOTALL)


@pytest.mark.parametrize("name", BAD_DUMPS)
def test_each_bad_dump_is_refused_with_its_reason_at_the_line_and_byte_it_names(tmp_path: Path, name: str) -> None:
    text = BAD_DUMPS[name]
    path = write(tmp_path, text)
    refused = refusal(read_mentor_rows, path)
    assert refused.startswith(f"{path}: ")
    found = REFUSAL.fullmatch(refused.removeprefix(f"{path}: "))
    assert found is not None, refused
    reason, needle = BAD_DUMP_REASONS[name]
    assert found["reason"] == reason
    if found["byte"] is not None and found["row"] is None:  # where a row should begin: the statement's end
        assert int(found["byte"]) == len(text.rstrip())
    elif found["byte"] is not None:  # the byte is in the row named (its start, or where it goes wrong), on the line
        offset, row = int(found["byte"]), found["row"].removesuffix("…").encode()
        row_start = text.rfind(row, 0, offset + len(row))
        assert row and 0 <= row_start <= offset < row_start + len(row)
        assert text.count(b"\n", 0, offset) + 1 == int(found["line"])
    elif needle is not None:
        assert needle in text.splitlines()[int(found["line"]) - 1]
    else:
        assert found["line"] is None


# Rows that the fast path must leave to the general tokenizer (what numpy would read differently,
# or not at all), each after a row in mysqldump's form so that the fast path looks at the line:
# the general tokenizer's refusal, or the row it reads.
FAST_PATH_EDGES: dict[str, tuple[bytes, str | MentorRow]] = {
    "a 20-digit id": (b"(12345678901234567890,'backup',4,0)",
                      "gemm_mentee_id is 12345678901234567890, outside INT UNSIGNED"),
    "an id of 2**64 + 1, which wraps to 1 in 64 bits": (b"(3,'backup',18446744073709551617,0)",
                                                   "gemm_mentor_id is 18446744073709551617, outside INT UNSIGNED"),
    "an id of 4294967296": (b"(4294967296,'backup',4,0)", "gemm_mentee_id is 4294967296, outside INT UNSIGNED"),
    "an empty value": (b"(,'primary',1,1)", "value 1 is not an SQL literal this reader knows"),
    "an empty last value": (b"(3,'primary',1,)", "value 4 is not an SQL literal this reader knows"),
    "a role '12'": (b"(3,'12',4,0)", "unknown mentor role '12' (known: primary, backup)"),
    "a digit inside a role": (b"(3,'pri0mary',4,0)", "unknown mentor role 'pri0mary' (known: primary, backup)"),
    "a zero before a role": (b"(3,0'backup',4,0)", "expected ',' or ')' after value 2"),
    "is_active 01": (b"(3,'backup',4,01)", "gemm_mentee_is_active is 01, not 0 or 1"),
    "is_active 10": (b"(3,'backup',4,10)", "gemm_mentee_is_active is 10, not 0 or 1"),
    "a letter after the last value": (b"(3,'backup',4,0a)", "value 4 is not an SQL literal this reader knows"),
    "a role's letter in an id": (b"(3p,'backup',4,0)", "value 1 is not an SQL literal this reader knows"),
    "whitespace inside a row": (b"( 3, 'backup' ,4,0 )", MentorRow(3, "backup", 4, False)),
    "a tab before a number": (b"(3,'backup',\t4,0)", MentorRow(3, "backup", 4, False)),
    "whitespace between rows": (b" \n(3,'backup',4,0)", MentorRow(3, "backup", 4, False)),
    "a sign": (b"(3,'backup',+4,0)", "value 3 is not an SQL literal this reader knows"),
    "a value too few": (b"(3,'backup',4)", "the row has 3 values, the table has 4 columns"),
    "a digit before a row": (b"5(3,'backup',4,0)", "expected '(' to open a row"),
    "is_active after its bracket": (b"(3,'backup',4,)1", "value 4 is not an SQL literal this reader knows"),
    "a digit after a row": (b"(3,'backup',4,0)0", "expected ',' or ';' after the row, found 0;"),
    "leading zeros": (b"(0003,'backup',0004,0)", MentorRow(3, "backup", 4, False)),
    "mentee id 0": (b"(0,'backup',4,0)", MentorRow(0, "backup", 4, False)),
}


@pytest.mark.parametrize("rows_before", [1, 50])
@pytest.mark.parametrize("name", FAST_PATH_EDGES)
def test_the_fast_path_leaves_edge_cases_to_the_general_tokenizer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, rows_before: int) -> None:
    row, expected = FAST_PATH_EDGES[name]
    values = b",".join([b"(1,'primary',2,1)"] * rows_before + [row])
    text = dump(SAMPLE_VALUES[0], values)
    path = write(tmp_path, text)
    taken: list[bool] = []
    fast_batch = bot.dump._Parser._fast_batch

    def spying(parser: bot.dump._Parser, line: bytes, start: int) -> MentorBatch | None:
        batch = fast_batch(parser, line, start)
        taken.append(batch is not None)
        return batch

    def outcome() -> list[MentorRow] | str:
        try:
            return rows_of(bot.dump.read_mentor_batches(path))
        except DumpError as error:
            return str(error)

    monkeypatch.setattr(bot.dump._Parser, "_fast_batch", spying)
    with_fast_path = outcome()
    assert taken == [True, False]  # the sample line by the fast path, this one not
    if isinstance(expected, MentorRow):
        assert with_fast_path == SAMPLE_ROWS[:3] + [MentorRow(1, "primary", 2, True)] * rows_before + [expected]
    else:
        line, offset = place(text, values)
        offset += len(values) - len(row)  # where the row starts, and the error with it
        if expected.startswith("expected ',' or ';' after the row"):
            offset += row.index(b")") + 1  # except this one, which is after it
        assert isinstance(with_fast_path, str)
        assert with_fast_path.startswith(f"{path}: line {line}, byte {offset}: {expected}; ")
    without_fast_path(monkeypatch)
    assert outcome() == with_fast_path


def test_the_fast_path_takes_the_bounds_of_int_unsigned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, dump(b"(1,'primary',4294967295,1),(4294967295,'backup',0,0),(10,'backup',100,1)"))
    monkeypatch.setattr(bot.dump._Parser, "_general_batch", None)  # any line it cannot take fails the test
    assert rows_of(bot.dump.read_mentor_batches(path)) == [
        MentorRow(1, "primary", 4294967295, True), MentorRow(4294967295, "backup", 0, False),
        MentorRow(10, "backup", 100, True)]


def test_batches_refuse_unreadable_files_as_rows_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = many_rows_dump(3000)
    compressed = gzip.compress(text, mtime=0)
    corrupt = bytearray(compressed)
    corrupt[-8] ^= 0xFF
    files = {"cut.sql.gz": compressed[: len(compressed) // 2], "plain.sql.gz": text, "crc.sql.gz": bytes(corrupt)}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert refusal(bot.dump.read_mentor_batches, path) == refusal(read_mentor_rows, path)
    missing = tmp_path / "missing.sql.gz"
    assert refusal(bot.dump.read_mentor_batches, missing) == refusal(read_mentor_rows, missing)
    monkeypatch.setattr(bot.dump, "CHUNK_SIZE", 64)
    monkeypatch.setattr(bot.dump, "MAX_STATEMENT", 500)
    path = write(tmp_path, dump(b",".join([b"(1,'primary',2,1)"] * 40)))
    assert "a statement longer than 500 bytes" in refusal(bot.dump.read_mentor_batches, path)
    assert refusal(bot.dump.read_mentor_batches, path) == refusal(read_mentor_rows, path)


def mutated_lines(count: int, seed: int) -> list[bytes]:
    """INSERT lines one or two random edits away from mysqldump's own, over a quarter of them still valid."""
    rng = random.Random(seed)
    rows = [b"(11,'backup',7,0)", b"(11,'primary',5,1)", b"(4294967295,'primary',0,1)", b"(12,'backup',3,0)",
            b"(13,_binary 'primary',9,0)", b"(13,0x7072696D617279,14,1)", b"(15,_binary 0x6261636b7570,16,0)"]
    alphabet = b"0123456789primarybackup(),;'_ x-+\t\\"
    lines = []
    for _ in range(count):
        body = bytearray(b",".join(rng.choice(rows) for _ in range(rng.randint(1, 5))))
        for _ in range(rng.randint(1, 2)):
            edit = rng.random()
            if edit < 0.45:  # other digits: a leading zero, another id, one too large for INT UNSIGNED or int64
                digits = [i for i, byte in enumerate(body) if byte in b"0123456789"] or [0]
                if edit < 0.1:
                    position = rng.choice([i for i in digits if body[i - 1:i] in (b"(", b",")] or digits)
                    body[position:position] = b"0"
                else:
                    position = rng.choice(digits)
                    body[position:position + 1] = str(rng.randrange(10 ** rng.randint(2, 21) if edit < 0.2 else 10)
                                                      ).encode()
            elif edit < 0.55:  # the other role
                body = bytearray(body.replace(b"'primary'", b"'backup'", 1) if rng.random() < 0.5
                                 else body.replace(b"'backup'", b"'primary'", 1))
            else:  # a random byte inserted, deleted or replaced, or two swapped: mostly broken
                position = rng.randrange(len(body))
                if edit < 0.65:
                    body[position:position] = bytes([rng.choice(alphabet)])
                elif edit < 0.75:
                    del body[position]
                elif edit < 0.85:
                    body[position] = rng.choice(alphabet)
                else:
                    body[position - 1:position + 1] = body[position:position + 1] + body[position - 1:position]
        lines.append(insert(bytes(body)))  # which adds the ";"
    return lines


def test_the_fast_path_takes_a_line_only_as_the_general_tokenizer_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Differential: broken lines get the same rows or the same refusal with the fast path on or off."""
    paths = [write(tmp_path, HEADER + structure() + data([line]) + FOOTER, f"{number}.sql.gz")
             for number, line in enumerate(mutated_lines(1500, seed=20261121))]

    def outcomes() -> list[list[MentorRow] | str]:
        results: list[list[MentorRow] | str] = []
        for path in paths:
            try:
                results.append(rows_of(bot.dump.read_mentor_batches(path)))
            except DumpError as error:
                results.append(str(error))
        return results

    general_lines = 0
    general_batch = bot.dump._Parser._general_batch

    def counting(parser: bot.dump._Parser, line: bytes, pos: int) -> MentorBatch:
        nonlocal general_lines
        general_lines += 1
        return general_batch(parser, line, pos)

    monkeypatch.setattr(bot.dump._Parser, "_general_batch", counting)
    with_fast_path = outcomes()
    assert 250 < general_lines < len(paths) - 250  # both paths were taken, many times
    assert 250 < sum(isinstance(outcome, list) for outcome in with_fast_path) < len(paths) - 250
    without_fast_path(monkeypatch)
    assert outcomes() == with_fast_path


def test_the_fast_path_checks_alone_are_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Differential, in memory: whatever line the fast path takes, the general tokenizer reads alike.

    The check of the first row, which turns most broken lines away early, is off: what is tested
    is the fast path's own checks, on thousands of lines.
    """
    monkeypatch.setattr(bot.dump, "_FAST_START_RE", re.compile(b""))
    head = insert(b"")[:-2]  # "INSERT INTO `...` VALUES "
    taken = 0
    for line in mutated_lines(20_000, seed=7):
        line = line.rstrip(b"\n")
        parser = bot.dump._Parser("mutated.sql.gz")
        batch = parser._fast_batch(line, len(head))
        if batch is not None:
            taken += 1
            assert_columns(batch)
            assert list(batch) == list(parser._general_batch(line, len(head))), line
    assert taken > 3000


def test_the_benchmark_floor_decompresses_in_the_readers_chunks() -> None:
    from benchmarks.dump_read import FLOOR_CHUNK_SIZE

    assert FLOOR_CHUNK_SIZE == bot.dump.CHUNK_SIZE


@pytest.mark.parametrize(("text", "reason"), [
    (dump(b"(1,'\xff\xfe',2,1)"), "unknown mentor role '\\\\xff\\\\xfe' (known: primary, backup); the row starts "
                                  "(1,'\\xff\\xfe',2,1);"),
    (dump(b"(1,'primary',2,1)\xff\xfe"), "expected ',' or ';' after the row, found \\xff\\xfe;; the row starts "
                                         "(1,'primary',2,1)\\xff\\xfe;"),
    (dump(b"(1,'prim''ary',2,1)"), "unknown mentor role \"prim'ary\" (known: primary, backup); the row starts "
                                   "(1,'prim''ary',2,1);"),
    (dump(b"(1,'pri\\nmary',2,1)"), "unknown mentor role 'pri\\nmary' (known: primary, backup); the row starts "
                                    "(1,'pri\\nmary',2,1);"),
])
def test_bytes_that_are_no_text_and_escaped_quotes_are_shown_as_they_are(tmp_path: Path, text: bytes,
                                                                         reason: str) -> None:
    path = write(tmp_path, text)
    refused = refusal(read_mentor_rows, path)
    assert refused.split(": ", 2)[2] == reason


def test_a_create_table_on_one_line_is_refused(tmp_path: Path) -> None:
    text = HEADER + b"CREATE TABLE `growthexperiments_mentor_mentee` (`gemm_mentee_id` int);\n" + FOOTER
    path = write(tmp_path, text)
    line, _offset = place(text, b"CREATE TABLE")
    assert refusal(read_mentor_rows, path) == (f"{path}: line {line}: a CREATE TABLE on one line, which mysqldump "
                                               "never writes")
