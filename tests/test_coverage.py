"""The coverage report's counting, on small files whose expected shares are worked out by hand."""

from __future__ import annotations

import gzip
import random
from collections import Counter
from pathlib import Path

import numpy
import pytest

import bot.reports.coverage
from bot.messages import Messages
from bot.reports import Report
from bot.reports.coverage import (
    ACTIVE,
    BACKUP,
    BLOCKED,
    PRIMARY,
    CoverageInputError,
    RegistrationBatch,
    UserFlags,
    cohorts,
    count,
    coverage_report,
    read_registration_file,
    read_states_file,
    registration_batches,
)
from tests.test_dump import dump, write

# Eight accounts over two months. By hand:
#   2024-01 create:     Alice (primary+backup, active), Bob (primary, inactive), Carol (no mentor, blocked)
#                       -> 3 registered, 2 with a mentor (2/3), 1 with a backup (1/3), 1 active (1/2 of 2),
#                          no mentor: 1 indefinitely blocked
#   2024-01 autocreate: Dave -> no mentor: autocreated
#   2024-01 temporary:  ~2024-00001-01 (action autocreate, but a temporary account) -> no mentor: temporary
#   2024-02 create:     Erin (primary, active), Grace (no mentor; the state file says opted out)
#                       -> 2 registered, 1/2 with a mentor, 1/1 active, no mentor: 1 opted out
#   2024-02 create2:    Frank (primary, made by another user) -> 1/1 with a mentor
REGISTRATIONS = """log_id,user_id,user_name,timestamp,action
1,10,Alice,20240105120000,create
2,11,Bob,20240110120000,create
3,12,Carol,20240120120000,create
4,13,Dave,2024-01-25T00:00:00Z,autocreate
5,14,~2024-00001-01,20240126000000,autocreate
6,15,Erin,20240201000000,create
7,16,Frank,20240202000000,create2
8,17,Grace,20240203000000,create
"""
DUMP_ROWS = b"(10,'primary',1,1),(10,'backup',2,1),(11,'primary',1,0),(15,'primary',2,1),(16,'primary',1,0)"
STATES = "user_id,state\n10,1\n11,50\n17,2\n"


def files(tmp_path: Path, registrations: str = REGISTRATIONS) -> tuple[Path, Path, Path]:
    registrations_path = tmp_path / "registrations.csv.gz"
    registrations_path.write_bytes(gzip.compress(registrations.encode()))
    states_path = tmp_path / "states.csv"
    states_path.write_text(STATES)
    return registrations_path, write(tmp_path, dump(DUMP_ROWS)), states_path


def table(report: Report) -> dict[tuple[str, str], dict[str, object]]:
    return {(str(row[0]), str(row[1])): dict(zip(map(str, report.columns), row, strict=True)) for row in report.rows}


def test_shares_per_month_and_kind_match_the_hand_count(tmp_path: Path) -> None:
    registrations, mentor_dump, states = files(tmp_path)
    report = coverage_report(read_registration_file(registrations), "the test file", dump=mentor_dump,
                             states=states, blocked=[12])
    rows = table(report)
    assert list(rows) == [("2024-01", "create"), ("2024-01", "autocreate"), ("2024-01", "temporary"),
                          ("2024-02", "create"), ("2024-02", "create2")]
    january = rows["2024-01", "create"]
    assert (january["registered"], january["with mentor"], january["with backup mentor"],
            january["active mentees"]) == (3, 2, 1, 1)
    assert january["share with mentor"] == pytest.approx(2 / 3)
    assert january["share with backup"] == pytest.approx(1 / 3)
    assert january["share active (of those with a mentor)"] == pytest.approx(1 / 2)
    assert january["no mentor: indefinitely blocked"] == 1
    assert january["no mentor: unexplained"] == 0
    assert january["share enabled"] == pytest.approx(1 / 3)  # Alice
    assert january["share enabled explicitly"] == pytest.approx(1 / 3)  # Bob
    assert january["share unknown"] == pytest.approx(1 / 3)  # Carol is not in the state file
    assert rows["2024-01", "autocreate"]["no mentor: autocreated"] == 1
    assert rows["2024-01", "temporary"]["no mentor: temporary account"] == 1
    february = rows["2024-02", "create"]
    assert (february["registered"], february["with mentor"], february["no mentor: opted out"]) == (2, 1, 1)
    assert february["share with mentor"] == pytest.approx(1 / 2)
    assert rows["2024-02", "create2"]["share with mentor"] == pytest.approx(1.0)
    # GrowthExperiments gives accounts made by another user a mentor at signup too: no excuse for them.
    assert "no mentor: created by another user" not in map(str, report.columns)
    assert any("Read coverage from the first three kinds" in str(note) for note in report.notes)
    totals = {str(label): value for label, value in report.totals}
    assert totals["accounts (registered by themselves)"] == 5
    assert totals["share with a mentor (registered by themselves)"] == pytest.approx(3 / 5)
    assert any("stores no date for a mentor's assignment" in str(note) for note in report.notes)


def test_accounts_with_a_password_by_email_and_disabled_mentorship_are_counted_apart(tmp_path: Path) -> None:
    # Heidi (byemail, primary mentor in the dump), Ivan (byemail, state 0: mentorship disabled),
    # Judy (create, state 2: opted out). By hand: byemail 2 registered, 1 with a mentor, 1 disabled.
    registrations, mentor_dump, states = files(tmp_path, "log_id,user_id,user_name,timestamp,action\n"
                                               "1,10,Heidi,20240301000000,byemail\n"
                                               "2,18,Ivan,20240302000000,byemail\n"
                                               "3,19,Judy,20240303000000,create\n")
    states.write_text("user_id,state\n10,1\n18,0\n19,2\n")
    report = coverage_report(read_registration_file(registrations), "the test file", dump=mentor_dump, states=states)
    rows = table(report)
    assert list(rows) == [("2024-03", "create"), ("2024-03", "byemail")]
    by_email = rows["2024-03", "byemail"]
    assert (by_email["registered"], by_email["with mentor"], by_email["no mentor: disabled"],
            by_email["no mentor: unexplained"]) == (2, 1, 1, 0)
    assert by_email["share disabled"] == pytest.approx(1 / 2)
    assert by_email["share enabled"] == pytest.approx(1 / 2)
    created = rows["2024-03", "create"]
    assert (created["registered"], created["no mentor: opted out"], created["no mentor: disabled"]) == (1, 1, 0)
    totals = {str(label): value for label, value in report.totals}
    assert totals["share with a mentor (created by another user, password sent by e-mail)"] == pytest.approx(1 / 2)


def test_without_a_state_file_an_opt_out_is_unexplained(tmp_path: Path) -> None:
    registrations, mentor_dump, _states = files(tmp_path)
    report = coverage_report(read_registration_file(registrations), "the test file", dump=mentor_dump, blocked=[12])
    february = table(report)["2024-02", "create"]
    assert february["no mentor: unexplained"] == 1
    assert "no mentor: opted out" not in map(str, report.columns) and "share enabled" not in map(str, report.columns)


def test_the_chart_is_a_png_and_a_table_of_bars_on_the_wiki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    registrations, mentor_dump, _states = files(tmp_path)
    report = coverage_report(read_registration_file(registrations), "the test file", dump=mentor_dump)
    assert report.chart is not None and report.wiki_chart is not None
    drawn: list[Figure] = []
    save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda figure, *args, **kwargs: (drawn.append(figure),
                                                                              save(figure, *args, **kwargs)))
    report.chart(tmp_path / "coverage.png")
    assert (tmp_path / "coverage.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # The axis spans the data's two months, a tick each, not the years around them.
    (axes,) = drawn[0].axes
    assert axes.get_xlim() == (-0.5, 1.5)
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["2024-01", "2024-02"]
    assert sorted(line.get_label() for line in axes.get_lines()) == sorted(
        ["registered by themselves", "created automatically on a first visit", "temporary", "created by another user"])
    chart = report.wiki_chart(Messages())
    # One row a month the data has (the axis fits the data), one column a kind, each bar its share.
    rows = chart.split("\n|-\n")[1:]
    assert [row.split(" || ")[0].rpartition("| ")[2] for row in rows] == ["2024-01", "2024-02"]
    assert "width:66.7%" in rows[0]  # create, January: 2 of 3
    assert "(2/3)" in rows[0] and "(1/2)" in rows[1]
    assert "float" not in chart and "left" not in chart  # nothing tied to one writing direction


@pytest.mark.parametrize(("line", "reason"), [
    ("9,18,Heidi,2024-13,create", "line 11: timestamp '2024-13'"),
    ("9,18,Heidi,20240301000000,signup", "line 11: action 'signup'"),
    ("9,x18,Heidi,20240301000000,create", "line 11: log_id and user_id must be whole numbers"),
    ("9,18,20240301000000,create", "line 11: 4 fields, expected 5"),
])
def test_a_bad_registration_line_is_refused_by_its_number(tmp_path: Path, line: str, reason: str) -> None:
    registrations, mentor_dump, _states = files(tmp_path, REGISTRATIONS + "9,18,Heidi,20240301000000,create\n"
                                                + line + "\n")
    with pytest.raises(CoverageInputError, match=reason):
        coverage_report(read_registration_file(registrations), "the test file", dump=mentor_dump)


def test_a_wrong_header_and_a_cut_off_file_are_refused(tmp_path: Path) -> None:
    registrations, mentor_dump, _states = files(tmp_path, "id,name\n1,Alice\n")
    with pytest.raises(CoverageInputError, match="line 1: the header must be"):
        coverage_report(read_registration_file(registrations), "f", dump=mentor_dump)
    cut = tmp_path / "cut.csv.gz"
    body = "".join(REGISTRATIONS.splitlines(keepends=True)[1:])
    cut.write_bytes(gzip.compress((REGISTRATIONS + body * 50).encode())[:-30])
    with pytest.raises(CoverageInputError, match=r"cut\.csv\.gz: not a complete gzip file \(cut off after \d+ bytes\)"):
        coverage_report(read_registration_file(cut), "f", dump=mentor_dump)


def test_a_bad_state_line_is_refused_by_its_number(tmp_path: Path) -> None:
    registrations, mentor_dump, states = files(tmp_path)
    states.write_text("user_id,state\n10,1\n11,7\n")
    with pytest.raises(CoverageInputError, match=r"states.csv: line 3: .* not '11,7'"):
        coverage_report(read_registration_file(registrations), "f", dump=mentor_dump, states=states)


# --- the registrations reader's two paths ----------------------------------------------------------

def columns(batches: list[RegistrationBatch]) -> list[tuple[int, int, str]]:
    """Every registration as (user id, month, kind), in a stable order: what counting sees."""
    return sorted((user_id, month, batch.kind_names[kind]) for batch in batches for user_id, month, kind in zip(
        batch.user_ids.tolist(), batch.months.tolist(), batch.kinds.tolist(), strict=True))


def outcome(path: Path) -> list[tuple[int, int, str]] | str:
    try:
        return columns(list(read_registration_file(path)))
    except CoverageInputError as error:
        return str(error)


def exact_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.reports.coverage, "_fast_registrations", lambda _chunk: None)


def test_the_numpy_path_reads_a_realistic_file_as_the_csv_module_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """benchmarks.dumpgen's registrations: quoted names with commas, temporary accounts, every action."""
    from benchmarks.dumpgen import write_registrations

    path = tmp_path / "registrations.csv.gz"
    summary = write_registrations(path, 60_000, seed=5)
    taken: list[bool] = []
    fast = bot.reports.coverage._fast_registrations
    monkeypatch.setattr(bot.reports.coverage, "_fast_registrations",
                        lambda chunk: taken.append((batch := fast(chunk)) is not None) or batch)
    read = outcome(path)
    assert taken and all(taken)  # every chunk by numpy
    assert isinstance(read, list) and len(read) == 60_000
    assert sum(kind == "temporary" for _, _, kind in read) == summary.temporary > 0
    assert any(b'"' in line for line in gzip.decompress(path.read_bytes()).splitlines())
    exact_only(monkeypatch)
    assert outcome(path) == read


def test_iso_timestamps_and_a_last_line_without_its_break(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "iso.csv"
    path.write_text("log_id,user_id,user_name,timestamp,action\n1,5,Ann,2021-03-04T05:06:07Z,create\n"
                    '2,6,"Bo, B",20210405000000,byemail\n3,4294967295,~2025-00001-01,2025-12-31T23:59:59Z,autocreate')
    assert outcome(path) == [(5, 202103, "create"), (6, 202104, "byemail"), (4294967295, 202512, "temporary")]
    exact_only(monkeypatch)
    assert outcome(path) == [(5, 202103, "create"), (6, 202104, "byemail"), (4294967295, 202512, "temporary")]


def mutated_registrations(count: int, seed: int) -> list[str]:
    """Registration lines one or two random edits away from a valid one; many stay valid."""
    rng = random.Random(seed)
    valid = ["7,18,Heidi,20240301000000,create", "8,19,~2024-00002-01,2024-03-02T10:00:00Z,autocreate",
             '9,20,"Ivan, I",20240303000000,create2', "10,21,Judy,20240304000000,byemail"]
    alphabet = "0123456789,~\"-TZ:acreatbyml2 x"
    lines = []
    for _ in range(count):
        line = list(rng.choice(valid))
        for _ in range(rng.randint(1, 2)):
            position = rng.randrange(len(line))
            edit = rng.random()
            if edit < 0.4:
                line.insert(position, rng.choice(alphabet))
            elif edit < 0.7:
                del line[position]
            else:
                line[position] = rng.choice(alphabet)
        lines.append("".join(line))
    return lines


def test_the_numpy_path_takes_a_line_only_as_the_csv_module_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Differential: a file with a broken line gets the same registrations or the same refusal either way."""
    header = "log_id,user_id,user_name,timestamp,action\n"
    good = "1,5,Ann,20210304050607,create\n"
    paths = []
    for number, line in enumerate(mutated_registrations(600, seed=3)):
        path = tmp_path / f"{number}.csv"
        path.write_text(header + good * 3 + line + "\n" + good)
        paths.append(path)
    with_numpy = [outcome(path) for path in paths]
    assert 100 < sum(isinstance(result, list) for result in with_numpy) < 500  # both kinds, many times
    exact_only(monkeypatch)
    assert [outcome(path) for path in paths] == with_numpy


def test_stored_registrations_count_by_kind_and_an_unknown_action_under_its_own_name(tmp_path: Path) -> None:
    from bot.reports.coverage import registration_batches

    _registrations, mentor_dump, _states = files(tmp_path)
    stored = [(10, 20240105120000, "create", 0), (None, 20240106000000, "create", 0),
              (14, 20240126000000, "autocreate", 1), (30, 20240127000000, "newusers", 0)]
    rows = table(coverage_report(registration_batches([stored[:1], stored[1:]], size=3), "the store", dump=mentor_dump))
    assert rows["2024-01", "create"]["registered"] == 2 and rows["2024-01", "create"]["with mentor"] == 1
    assert rows["2024-01", "temporary"]["registered"] == 1
    assert rows["2024-01", "newusers"]["registered"] == 1


# --- exact edges, each chosen to catch a one-character slip in the code ----------------------------

PLAIN_LINES = [
    "1,9999999999,Name,20240131235959,create",  # the widest id the numpy path reads
    "2,1,~2,2000-10-10T00:00:00Z,autocreate",  # the shortest temporary name
    "3,2,~1x,2099-12-31T09:09:09Z,byemail",  # ~ but not temporary; nines and zeros at every digit place
    "4,3,A~2,1999-01-01T19:59:50Z,create2",
]


def exact(text: str) -> RegistrationBatch:
    return bot.reports.coverage._exact_registrations(text.encode(), Path("f.csv"), 1)


def test_the_numpy_path_takes_every_plain_line_and_reads_it_as_the_csv_module_does() -> None:
    for line in PLAIN_LINES:
        fast = bot.reports.coverage._fast_registrations(f"{line}\n".encode())
        assert fast is not None, line
        assert columns([fast]) == columns([exact(line)]), line
    text = "\n".join([*PLAIN_LINES, '5,4,"B, b",20240101000000,create', '6,5,"~2x",20240101000000,create']) + "\n"
    fast = bot.reports.coverage._fast_registrations(text.encode())
    assert fast is not None and columns([fast]) == columns([exact(text)])
    read = exact(text)
    assert (read.user_ids.dtype, read.months.dtype, read.kinds.dtype) == (numpy.int64, numpy.int64, numpy.uint8)
    assert (fast.user_ids.dtype, fast.months.dtype, fast.kinds.dtype) == (numpy.int64, numpy.int64, numpy.uint8)
    assert columns([fast]) == [(1, 200010, "temporary"), (2, 209912, "byemail"), (3, 199901, "create2"),
                               (4, 202401, "create"), (5, 202401, "temporary"), (9999999999, 202401, "create")]


@pytest.mark.parametrize("line", [
    "1,12345678901,Name,20240131235959,create",  # an id of eleven digits
    *[f"1,2,Name,{'2024-01-31T23:59:59Z'[:place]}{bad}{'2024-01-31T23:59:59Z'[place + 1:]},create"
      for place in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18) for bad in ("/", ":")],
    "1,2,Name,2024.01-31T23:59:59Z,create", "1,2,Name,2024-01-31 23:59:59Z,create",
    "1,2,Name,2024-01-31T23:59:59+,create",
])
def test_the_numpy_path_leaves_each_line_it_cannot_read_exactly_to_the_csv_module(line: str) -> None:
    assert bot.reports.coverage._fast_registrations(f"1,2,A,20240101000000,create\n{line}\n".encode()) is None


def test_registration_errors_name_the_file_the_line_and_what_was_wanted(tmp_path: Path) -> None:
    header = "log_id,user_id,user_name,timestamp,action\n"
    plain = "1,5,Ann,20210304050607,create\n"
    path = tmp_path / "big.csv"
    lines = 40_000  # more than a megabyte: the bad line is in the second chunk read
    path.write_text(header + plain * lines + "2,6,Bob,20210304050607,signup\n")
    assert outcome(path) == (f"{path}: line {lines + 2}: action 'signup' is not one of create, autocreate, "
                             "create2, byemail")
    path.write_text(header + plain * lines + "2,6,Bob,2021-03-04,create\n")
    assert outcome(path) == (f"{path}: line {lines + 2}: timestamp '2021-03-04' is neither yyyymmddhhmmss nor "
                             "ISO 8601")
    path.write_bytes((header + plain * lines).encode() + b"2,6,B\xffb,20210304050607,create\n")
    assert outcome(path) == f"{path}: line {lines + 2}: not UTF-8 (invalid start byte)"
    path.write_text(header + plain + '2,6,"Bob,20210304050607,create\n')
    assert outcome(path) == f"{path}: line 3: 3 fields, expected 5"  # a quote left open runs to the end
    path.write_text("")
    assert outcome(path) == (f"{path}: line 1: the header must be log_id,user_id,user_name,timestamp,action, "
                             "not ''")
    path.write_bytes(b"id,n\xffme\n1,2\n")
    assert outcome(path) == (f"{path}: line 1: the header must be log_id,user_id,user_name,timestamp,action, "
                             "not 'id,n\ufffdme'")
    path.write_text(" log_id , user_id,user_name,timestamp,action\n1,5,Ann,20210304050607,create\n")
    assert outcome(path) == [(5, 202103, "create")]  # spaces around a column name are no error


def test_registrations_from_the_store_come_in_batches_of_the_size_asked() -> None:
    pages = [[(1, 20240101000000, "create", 0), (2, 20240102000000, "create", 0)],
             [(3, 20240201000000, "autocreate", 1)], [(None, 20240301000000, "newaction", 0)]]
    batches = list(registration_batches(iter(pages), size=2))
    assert [len(batch) for batch in batches] == [2, 2]
    assert columns(batches) == [(0, 202403, "newaction"), (1, 202401, "create"), (2, 202401, "create"),
                                (3, 202402, "temporary")]
    assert [len(batch) for batch in registration_batches(iter(pages), size=3)] == [3, 1]
    assert [len(batch) for batch in registration_batches(iter(pages))] == [4]
    assert list(registration_batches(iter([]))) == []


def test_flags_grow_to_the_largest_id_and_refuse_ids_beyond_the_limit() -> None:
    flags = UserFlags()
    flags.set([5, 5], PRIMARY, "the test")
    flags.set([5], BACKUP, "the test")
    assert flags.bits[5] == PRIMARY | BACKUP and len(flags.bits) == 6
    flags.set_many(numpy.array([6, 9, 6], dtype=numpy.int64),
                   numpy.array([ACTIVE, PRIMARY, PRIMARY], dtype=numpy.uint8), "the test")
    assert (flags.bits[6], flags.bits[9], len(flags.bits)) == (ACTIVE | PRIMARY, PRIMARY, 10)
    limit = bot.reports.coverage.MAX_USER_ID
    for refused in (lambda: flags.set([limit], PRIMARY, "the dump d.sql.gz"),
                    lambda: flags.set_many(numpy.array([limit]), numpy.array([PRIMARY], dtype=numpy.uint8),
                                           "the dump d.sql.gz")):
        with pytest.raises(CoverageInputError) as error:
            refused()
        assert str(error.value) == f"the dump d.sql.gz: user id {limit} is beyond the {limit} this report handles"


def test_the_state_file_is_counted_and_each_bad_line_named(tmp_path: Path) -> None:
    flags = UserFlags()
    flags.set([3], PRIMARY, "the test")
    path = tmp_path / "states.csv"
    path.write_text("3,1\n2000000,-0\n7,50\n")  # no header; an id beyond the flags so far
    assert read_states_file(flags, path) == 3
    assert flags.bits[3] == PRIMARY | (2 << 4) and flags.bits[2_000_000] == 1 << 4 and flags.bits[7] == 4 << 4
    for text, reason in [("user_id,state\n3,1\nx,1\n", "line 3: expected a user id and a state of 0, 1, 2, 50, "
                                                       "not 'x,1'"),
                         ("3,1\nuser,state\n",
                          "line 2: expected a user id and a state of 0, 1, 2, 50, not 'user,state'"),
                         ("3,1\n4,-1\n", "line 2: expected a user id and a state of 0, 1, 2, 50, not '4,-1'"),
                         ("3,1\n4,1,2\n", "line 2: 3 fields, expected user_id,state"),
                         ('3,1\n4,"1\n', "cannot be read after line 1 (unexpected end of data)"),
                         ("3,1\n4,X1\n", "line 2: expected a user id and a state of 0, 1, 2, 50, not '4,X1'"),
                         (f"3,1\n{1 << 28},1\n", f"user id {1 << 28} is beyond the {1 << 28} this report handles")]:
        path.write_text(text)
        with pytest.raises(CoverageInputError) as error:
            read_states_file(UserFlags(), path)
        assert str(error.value) == f"{path}: {reason}"
    packed = tmp_path / "states.csv.gz"
    packed.write_text("3,1\n")  # not gzip'd after all
    with pytest.raises(CoverageInputError) as error:
        read_states_file(UserFlags(), packed)
    assert str(error.value).startswith(f"{packed}: cannot be read after line 0 (")


def test_counting_adds_up_over_batches_and_reads_flags_only_for_known_ids() -> None:
    flags = UserFlags()
    flags.set([1, 2], PRIMARY, "the test")
    flags.set([0], BACKUP, "the test")  # a registration without a user id (0) must not pick this up
    batch = RegistrationBatch(numpy.array([1, 2, 0, 3], dtype=numpy.int64), numpy.full(4, 202401, dtype=numpy.int64),
                              numpy.zeros(4, dtype=numpy.uint8))
    counted = count([batch, batch], flags)
    assert counted == Counter({(202401, "create", PRIMARY): 4, (202401, "create", 0): 4})
    groups = cohorts(Counter({(202401, "create", PRIMARY | ACTIVE): 2, (202401, "create", PRIMARY | ACTIVE | BACKUP): 3,
                              (202401, "create", BLOCKED): 1, (202401, "create", BLOCKED | (1 << 4)): 4,
                              (202401, "create", BACKUP): 1}))
    cohort = groups[202401, "create"]
    assert (cohort.registered, cohort.primary, cohort.active, cohort.backup) == (11, 5, 5, 4)
    assert cohort.reasons == Counter({"indefinitely blocked": 5, "unexplained": 1})
    assert cohort.states == Counter({"unknown": 7, "disabled": 4})
    assert bot.reports.coverage.kind_order("create2") == 2 and bot.reports.coverage.kind_order("other") == 5
