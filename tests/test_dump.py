"""The weekly mentorship dump reader, on gzip'd samples in the exact shape mysqldump --opt writes."""

from __future__ import annotations

import dataclasses
import gzip
import re
import zlib
from collections.abc import Iterable
from pathlib import Path

import pytest

import bot.dump
from bot.dump import DumpError, MentorRow, read_mentor_rows
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
    monkeypatch.setattr(bot.dump, "_FAST_LINE_RE", re.compile(b"(?!)"))
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
    with pytest.raises(DumpError, match=r"plain\.sql\.gz: not a gzip file \(Not a gzipped file"):
        list(read_mentor_rows(path))


def test_a_corrupt_gzip_trailer(tmp_path: Path) -> None:
    text = dump(*SAMPLE_VALUES)
    compressed = bytearray(gzip.compress(text, mtime=0))
    compressed[-8] ^= 0xFF  # the CRC-32 of the data
    path = tmp_path / "crc.sql.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DumpError, match=rf"crc\.sql\.gz: corrupt gzip data after {len(text)} bytes \(CRC check failed"):
        list(read_mentor_rows(path))


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
    (b"(1,'primary',2,1) (3,'backup',4,0)", "expected ',' or ';' after the row, found  (3,'backup',4,"),
    (b"1,'primary',2,1", "expected '(' to open a row"),
])
def test_values_outside_the_contract(tmp_path: Path, values: bytes, reason: str) -> None:
    with pytest.raises(DumpError, match=r"line \d+, byte \d+: " + reason.replace("(", r"\(").replace(".", r"\.")):
        list(read_mentor_rows(write(tmp_path, dump(values))))


def test_a_dump_cut_off_before_compression_mid_row(tmp_path: Path) -> None:
    cut_line = b"INSERT INTO `growthexperiments_mentor_mentee` VALUES (1,'primary',2,1),(3,'ba"
    text = HEADER + structure() + data([cut_line], unlock=False)
    path = write(tmp_path, text)
    line, offset = place(text, b"(3,'ba")
    with pytest.raises(DumpError) as caught:
        list(read_mentor_rows(path))
    assert str(caught.value) == (f"{path}: line {line}, byte {offset}: the line ends inside the row (was the dump "
                                 "cut off?); the row starts (3,'ba")


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


def test_an_overlong_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.dump, "CHUNK_SIZE", 64)
    monkeypatch.setattr(bot.dump, "MAX_LINE", 100)
    text = dump(b",".join([b"(1,'primary',2,1)"] * 10))
    line, offset = place(text, b"INSERT")
    with pytest.raises(DumpError, match=f"line {line}, byte {offset}: a line longer than 100 bytes"):
        list(read_mentor_rows(write(tmp_path, text)))
