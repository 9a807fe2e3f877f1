"""The weekly dump as the real tool writes it.

GrowthExperiments' table is made, with its real schema, on a real MariaDB server; Debian's
``mariadb-dump`` (the client Wikimedia uses) writes it out with Wikimedia's options and with the
other option sets a researcher may meet; the bot reads what it wrote. The older MySQL clients'
layout (each INSERT on one line) and a file without MariaDB's sandbox line are made from the real
tool's output by undoing exactly those differences.
"""

from __future__ import annotations

import gzip
import random
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.dump
from bot.config import BotConfig
from bot.dump import DumpError, MentorBatch, MentorRow, read_mentor_batches, read_mentor_rows
from bot.state import open_store
from scripts.devdb import MariaServer
from tests.conftest import DevWiki, MentorTableRow
from tests.test_cli import mentorbot
from tests.test_reports import mentor_of, newcomer, read_csv
from tests.test_sweep import add_mentor
from tests.wikiclient import WikiClient

TABLE = "growthexperiments_mentor_mentee"
SANDBOX_LINE = b"/*M!999999\\- enable the sandbox mode */ \n"


def sample_rows(count: int, seed: int = 11) -> list[MentorTableRow]:
    """Mentees with a primary mentor, some with a backup too, ids from 1 to the top of INT UNSIGNED."""
    rng = random.Random(seed)
    rows: list[MentorTableRow] = []
    for number in range(count):
        mentee = 4_294_967_295 if number == count - 1 else rng.randrange(1, 60_000_000)
        primary, backup = rng.sample([1, 7, 350, 90_210, 4_294_967_295, *range(10_000, 10_050)], 2)
        active = int(rng.random() < 0.15)
        rows.append((mentee, "primary", primary, active))
        if rng.random() < 0.4:
            rows.append((mentee, "backup", backup, active))
    # One row per (mentee, role), as the table's primary key demands.
    return list({(mentee, role): (mentee, role, mentor, active) for mentee, role, mentor, active in rows}.values())


ROWS = sample_rows(2500)

# Option sets, after Wikimedia's own (--opt --quick --skip-add-locks --skip-lock-tables).
OPTIONS: dict[str, tuple[str, ...]] = {
    "Wikimedia's options": (),
    "INSERTs of 4 KB": ("--net-buffer-length=4096",),
    "--compact": ("--compact", "--net-buffer-length=4096"),
    "--skip-extended-insert": ("--skip-extended-insert",),
    "--hex-blob": ("--hex-blob", "--net-buffer-length=4096"),
    "--complete-insert": ("--complete-insert", "--net-buffer-length=4096"),
    "--compact --hex-blob --skip-extended-insert": ("--compact", "--hex-blob", "--skip-extended-insert"),
}


def one_line_inserts(text: bytes) -> bytes:
    """The layout of older MySQL clients: each extended INSERT on a single line."""
    return text.replace(b" VALUES\n(", b" VALUES (").replace(b"),\n(", b"),(")


def without_sandbox_line(text: bytes) -> bytes:
    assert text.startswith(SANDBOX_LINE)
    return text[len(SANDBOX_LINE):]


LAYOUTS: dict[str, tuple[tuple[str, ...], Callable[[bytes], bytes] | None]] = {
    **{name: (options, None) for name, options in OPTIONS.items()},
    "each INSERT on one line (older MySQL clients)": (("--net-buffer-length=4096",), one_line_inserts),
    "without the sandbox line": (("--net-buffer-length=4096",), without_sandbox_line),
}


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory, mariadb: MariaServer) -> dict[str, bytes]:
    """The decompressed text of each layout, the sample rows dumped once per option set."""
    return {name: (change or (lambda text: text))(mariadb.mentor_dump(ROWS, *options))
            for name, (options, change) in LAYOUTS.items()}


def write(directory: Path, text: bytes, name: str = f"20261121-enwiki-{TABLE}.sql.gz") -> Path:
    path = directory / name
    path.write_bytes(gzip.compress(text, mtime=0))
    return path


def insert_statements(text: bytes) -> list[bytes]:
    return re.findall(rb"^INSERT INTO .*?;$", text, re.MULTILINE | re.DOTALL)


def only_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_parser: object, statement: bytes, _pos: int) -> MentorBatch:
        raise AssertionError(f"the general tokenizer read {statement[:80]!r}")

    monkeypatch.setattr(bot.dump._Parser, "_general_batch", refuse)


def as_rows(table: list[MentorTableRow]) -> list[MentorRow]:
    return [MentorRow(mentee, role, mentor, bool(active)) for mentee, role, mentor, active in table]


# --- every layout ---------------------------------------------------------------------------------

def test_the_real_tool_writes_the_layouts_they_are_named_after(dumped: dict[str, bytes]) -> None:
    """What the tests below read is what the issue and the reader's docs say mariadb-dump writes."""
    wikimedia = dumped["Wikimedia's options"]
    assert wikimedia.startswith(SANDBOX_LINE)
    assert b"LOCK TABLES" not in wikimedia and wikimedia.rstrip().splitlines()[-1].startswith(b"-- Dump completed on ")
    assert re.search(rb"^INSERT INTO `" + TABLE.encode() + rb"` VALUES\n\(\d+,'(primary|backup)',\d+,[01]\),\n\(",
                     wikimedia, re.MULTILINE)
    assert len(insert_statements(wikimedia)) == 1 and len(insert_statements(dumped["INSERTs of 4 KB"])) > 10
    assert b"--" not in dumped["--compact"] and b"DROP TABLE" not in dumped["--compact"]
    assert len(insert_statements(dumped["--skip-extended-insert"])) == len(ROWS)
    assert b",0x7072696D617279," in dumped["--hex-blob"] and b"'primary'" not in dumped["--hex-blob"]
    # With a column list, the first row shares the INSERT's line.
    assert re.search(rb"\(`gemm_mentee_id`, `gemm_mentor_role`, `gemm_mentor_id`, `gemm_mentee_is_active`\) VALUES "
                     rb"\(\d+,'(primary|backup)',\d+,[01]\),\n\(", dumped["--complete-insert"])
    one_line = dumped["each INSERT on one line (older MySQL clients)"]
    assert all(statement.count(b"\n") == 0 for statement in insert_statements(one_line))
    assert not dumped["without the sandbox line"].startswith(b"/*M!")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_is_read_to_the_rows_of_the_table(
        dumped: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    text = dumped[layout]
    path = write(tmp_path, text)
    only_the_fast_path(monkeypatch)  # every layout of the real tool is read by the fast path
    batches = list(read_mentor_batches(path))
    rows = [MentorRow(*row) for batch in batches for row in batch]
    assert sorted(rows, key=repr) == sorted(as_rows(ROWS), key=repr)
    # One batch per INSERT, holding its rows in the file's order.
    statements = insert_statements(text)
    assert [len(batch) for batch in batches] == [statement.count(b"),") + 1 for statement in statements]
    assert list(read_mentor_rows(path)) == rows


def test_the_rows_come_in_the_order_mariadb_dump_writes_them(dumped: dict[str, bytes], tmp_path: Path) -> None:
    """The order of the table's gemm_mentor index (mentor, is_active, mentee, role), not the primary key's."""
    rows = list(read_mentor_rows(write(tmp_path, dumped["Wikimedia's options"])))
    assert rows == sorted(rows, key=lambda row: (row.mentor_id, row.is_active, row.mentee_id, row.role))
    assert rows != sorted(rows, key=lambda row: (row.mentee_id, row.role))


# --- refusals, on the real tool's files -----------------------------------------------------------

def place(text: bytes, offset: int) -> tuple[int, int]:
    return text.count(b"\n", 0, offset) + 1, offset


def refusal(path: Path) -> str:
    with pytest.raises(DumpError) as caught:
        for _ in read_mentor_batches(path):
            pass
    assert str(caught.value) == _rows_refusal(path)
    return str(caught.value)


def _rows_refusal(path: Path) -> str:
    with pytest.raises(DumpError) as caught:
        for _ in read_mentor_rows(path):
            pass
    return str(caught.value)


def test_a_dump_cut_inside_a_row_names_the_row(dumped: dict[str, bytes], tmp_path: Path) -> None:
    text = dumped["INSERTs of 4 KB"]
    last = insert_statements(text)[3]
    row_start = text.index(last) + last.index(b"\n(", len(last) // 2) + 1
    cut = text[:row_start + 6]
    path = write(tmp_path, cut)
    line, offset = place(text, row_start)
    assert refusal(path) == (f"{path}: line {line}, byte {offset}: the statement ends inside the row (was the dump "
                             f"cut off?); the row starts {cut[row_start:].decode()}")


def test_a_dump_cut_between_two_rows_is_refused(dumped: dict[str, bytes], tmp_path: Path) -> None:
    text = dumped["INSERTs of 4 KB"]
    end = text.index(b"),\n", text.index(insert_statements(text)[2])) + 3  # after a row's line break
    path = write(tmp_path, text[:end])
    line, offset = place(text, end - 1)
    assert refusal(path) == (f"{path}: line {line}, byte {offset}: the statement ends where a row should begin "
                             "(was the dump cut off?)")


def test_a_dump_cut_between_statements_is_refused(dumped: dict[str, bytes], tmp_path: Path) -> None:
    text = dumped["Wikimedia's options"]
    end = text.index(b"/*!40000 ALTER TABLE `growthexperiments_mentor_mentee` ENABLE KEYS")
    path = write(tmp_path, text[:end])
    assert refusal(path) == (f"{path}: ends without UNLOCK TABLES or a '-- Dump completed' line; the dump was cut "
                             "off before it was compressed")


def test_a_dump_cut_inside_create_table_is_refused(dumped: dict[str, bytes], tmp_path: Path) -> None:
    text = dumped["--compact"]
    create = text.index(b"CREATE TABLE")
    path = write(tmp_path, text[:text.index(b"PRIMARY KEY", create)])
    line, _ = place(text, create)
    assert refusal(path) == (f"{path}: ends inside the CREATE TABLE statement that begins on line {line}; the dump "
                             "was cut off before it was compressed")


def test_a_cut_off_gzip_of_a_real_dump_is_refused(dumped: dict[str, bytes], tmp_path: Path) -> None:
    compressed = gzip.compress(dumped["INSERTs of 4 KB"], mtime=0)
    path = tmp_path / "cut.sql.gz"
    path.write_bytes(compressed[:-100])
    assert re.fullmatch(rf"{re.escape(str(path))}: not a complete gzip file \(cut off after \d+ bytes\)",
                        refusal(path))


def test_a_dump_of_another_table_is_refused_by_name(mariadb: MariaServer, tmp_path: Path) -> None:
    with mariadb.root() as connection, connection.cursor() as cursor:
        cursor.execute("CREATE DATABASE IF NOT EXISTS otherwiki")
        cursor.execute("CREATE TABLE IF NOT EXISTS otherwiki.user_groups (ug_user INT UNSIGNED NOT NULL, "
                       "ug_group VARBINARY(255) NOT NULL, PRIMARY KEY (ug_user, ug_group))")
        cursor.execute("REPLACE INTO otherwiki.user_groups VALUES (1, 'sysop')")
    text = mariadb.dump("otherwiki", "user_groups")
    path = write(tmp_path, text)
    line, _ = place(text, text.index(b"DROP TABLE"))
    assert refusal(path) == f"{path}: line {line}: this is a dump of table `user_groups`, not of `{TABLE}`"


# --- the benchmark's generator --------------------------------------------------------------------

@pytest.mark.parametrize("net_buffer_length", [None, 4096])
def test_the_benchmark_generator_writes_byte_for_byte_what_mariadb_dump_writes(
        mariadb: MariaServer, net_buffer_length: int | None) -> None:
    """benchmarks.dumpgen, given mariadb-dump's header facts, writes its bytes for the same rows."""
    from benchmarks.dumpgen import NET_BUFFER_LENGTH, DumpOrigin, dump_text, mentor_rows

    table = mentor_rows(120_000 if net_buffer_length is None else 3_000, seed=3, registrations=300_000)
    options = () if net_buffer_length is None else (f"--net-buffer-length={net_buffer_length}",)
    real = mariadb.mentor_dump(table.rows(), *options, database="testwiki")
    header = dict(re.findall(rb"^-- (MariaDB dump|Host:|Server version)\s*(.*)$", real, re.MULTILINE))
    host, database = re.fullmatch(rb"(.*?)    Database: (.*)", header[b"Host:"]).groups()  # type: ignore[union-attr]
    completed = re.search(rb"^-- Dump completed on (\d+)-(\d+)-(\d+) +(\d+):(\d+):(\d+)$", real, re.MULTILINE)
    assert completed is not None
    origin = DumpOrigin(client=header[b"MariaDB dump"].decode(), host=host.decode(), database=database.decode(),
                        server=header[b"Server version"].decode(),
                        completed=datetime(*map(int, completed.groups()), tzinfo=UTC))
    ours = "".join(dump_text(table, origin, net_buffer_length or NET_BUFFER_LENGTH)).encode()
    assert len(insert_statements(real)) > 1
    assert ours == real


# --- end to end, on the test wiki -----------------------------------------------------------------

def wiki_table(wiki: DevWiki) -> list[MentorTableRow]:
    """The rows of the test wiki's own growthexperiments_mentor_mentee table, as its database holds them."""
    database = sqlite3.connect(f"file:{wiki.dir / 'data' / 'my_wiki.sqlite'}?mode=ro", uri=True)
    try:
        return [(int(mentee), role.decode() if isinstance(role, bytes) else role, int(mentor), int(active))
                for mentee, role, mentor, active in database.execute(
                    "SELECT gemm_mentee_id, gemm_mentor_role, gemm_mentor_id, gemm_mentee_is_active "
                    "FROM growthexperiments_mentor_mentee")]
    finally:
        database.close()


def test_snapshot_and_coverage_read_the_wikis_own_table_dumped_by_mariadb_dump(
        wiki: DevWiki, real_dump: Callable[..., Path], tmp_path: Path) -> None:
    admin: WikiClient = wiki.admin()
    add_mentor(wiki, admin, "Mentor one")
    add_mentor(wiki, admin, "Mentor two")
    newcomers = [f"Newcomer {number}" for number in range(6)]
    for name in newcomers:
        newcomer(wiki, name)
    table = wiki_table(wiki)
    # Mentor two got Mentor one at signup; each newcomer got one of the two, and a backup.
    assert [role for _, role, _, _ in table].count("primary") == 7
    dump = real_dump(tmp_path / f"20261121-testwiki-{TABLE}.sql.gz", table)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    state = tmp_path / "state.sqlite"
    config = tmp_path / "mentorbot.toml"
    config.write_text(f'api = "{wiki.api}"\nstate_path = "{state}"\nregistrations_since = "2020-01-01"\n')

    snapshot = mentorbot(wiki, workdir, "--config", str(config), "snapshot", "--dump", str(dump))
    assert snapshot.returncode == 0, snapshot.stderr
    assert "Traceback" not in snapshot.stderr + snapshot.stdout
    store = open_store(BotConfig(api=wiki.api, state_path=state))
    try:
        remembered = {name: store.last_mentor(BotConfig(api=wiki.api).wiki_key, name) for name in newcomers}
    finally:
        store.close()
    assert remembered == {name: mentor_of(admin, name) for name in newcomers}
    assert set(remembered.values()) <= {"Mentor one", "Mentor two"}

    report = mentorbot(wiki, workdir, "--config", str(config), "report", "coverage", "--dump", str(dump),
                       "--output", str(tmp_path / "out"), "--page", "Mentorship coverage")
    assert report.returncode == 0, report.stderr
    month = f"{datetime.now(UTC):%Y-%m}"
    created = next(row for row in read_csv(tmp_path / "out" / "coverage.csv")
                   if (row["month"], row["account"]) == (month, "create"))
    # Mentor one registered before there was a mentor; the seven accounts after it have one.
    assert (created["registered"], created["with mentor"]) == ("8", "7")
    assert "Traceback" not in report.stderr + report.stdout
