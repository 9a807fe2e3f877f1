"""``mentorbot history``: intervals of who mentored whom, from dumps made by mariadb-dump, the logs and the store."""

from __future__ import annotations

import csv
import gzip
import io
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.config import BotConfig
from bot.errors import WikiUnavailable
from bot.history import (
    Evidence,
    HistoryInputError,
    Inputs,
    Registrations,
    build_history,
    dump_observations,
    fetch_history_logs,
    listed_mentors,
    mentor_list_rows,
    stored_events,
    write_history,
)
from bot.reports.coverage import UserFlags, read_states_file
from bot.state import StateStore, open_store
from scripts.devwiki import backdate
from tests.conftest import BotRun, DevWiki, MentorTableRow, both_flavours, child_env
from tests.test_cli import MENTORBOT, mentorbot
from tests.test_sweep import PASSWORD, add_mentor
from tests.wikiclient import WikiClient

WIKI = "https://test.example/w/api.php"
D1, D2, D3 = "2026-01-03T00:00:00Z", "2026-01-10T00:00:00Z", "2026-01-17T00:00:00Z"
# mentee, role, mentor, active. Mentors: 100 Mentor One, 101 Mentor Two, 102 Mentor Three.
DUMPS: dict[str, list[MentorTableRow]] = {
    "20260103": [(2, "primary", 100, 1), (3, "primary", 100, 1), (4, "backup", 102, 0), (4, "primary", 101, 1),
                 (5, "primary", 100, 1), (9, "primary", 100, 0)],
    "20260110": [(1, "primary", 100, 1), (2, "primary", 101, 1), (3, "primary", 100, 1), (9, "primary", 100, 0)],
    "20260117": [(1, "primary", 100, 1), (2, "primary", 101, 1), (3, "primary", 102, 1), (5, "primary", 100, 0),
                 (6, "primary", 101, 1), (9, "primary", 101, 0)],
}
NAMES = {"Mentee 1": 1, "Mentee 2": 2, "Mentee 3": 3, "Mentee 4": 4, "Mentee 9": 9, "Mentor One": 100,
         "Mentor Two": 101, "Mentor Three": 102, "Admin": 1000, "MentorBot": 1001}
# log id, kind, at, target, performer, new mentor
LOGGED = [(11, "claimmentee", "2026-01-07T15:30:00Z", "Mentee 2", "Mentor Two", "Mentor Two"),
          (12, "indefinite-block", "2026-01-08T20:00:00Z", "Mentee 4", "Admin", None),
          (13, "setmentor", "2026-01-12T06:00:00Z", "Mentee 3", "MentorBot", "Mentor Three"),
          (14, "setmentor", "2026-01-14T11:00:00Z", "Mentee 9", "Admin", "Mentor Two"),
          (15, "setmentor", "2026-01-15T11:00:00Z", "Renamed mentee", "Admin", "Mentor Two")]
# log id, user id, created, action, temporary
REGISTERED = [(21, 6, 20251120000000, "autocreate", 0), (22, 2, 20251201090000, "create", 0),
              (23, 1, 20260105100000, "create", 0), (24, 7, 20260115120000, "create", 0),
              (25, 8, 20260120080000, "create", 0), (26, 10, 20260116000000, "create", 1),
              (27, 11, 20251215000000, "create2", 0)]
STILL = "still seen in dump of 2026-01-17"
BEFORE = "before the first observation"
# Worked out by hand from the three dumps, the log entries and the registrations above.
INTERVALS = [
    ("1", "primary", "100", "2026-01-05T10:00:00Z", "2026-01-05T10:00:00Z", "signup", D3, "", STILL),
    ("2", "primary", "100", "2025-12-01T09:00:00Z", D1, BEFORE, "2026-01-07T15:30:00Z", "2026-01-07T15:30:00Z",
     "claim"),
    ("2", "primary", "101", "2026-01-07T15:30:00Z", "2026-01-07T15:30:00Z", "claim", D3, "", STILL),
    ("3", "primary", "100", "", D1, BEFORE, "2026-01-12T06:00:00Z", "2026-01-12T06:00:00Z", "moved by this bot"),
    ("3", "primary", "102", "2026-01-12T06:00:00Z", "2026-01-12T06:00:00Z", "moved by this bot", D3, "", STILL),
    ("4", "primary", "101", "", D1, BEFORE, "2026-01-08T20:00:00Z", "2026-01-08T20:00:00Z",
     "dropped at indefinite block"),
    ("4", "backup", "102", "", D1, BEFORE, "2026-01-08T20:00:00Z", "2026-01-08T20:00:00Z",
     "dropped at indefinite block"),
    ("5", "primary", "100", "", D1, BEFORE, D1, D2, "last seen in dump of 2026-01-03"),  # left...
    ("5", "primary", "100", D2, D3, "first seen in dump of 2026-01-17", D3, "", STILL),  # ...and came back
    ("6", "primary", "101", D2, D3, "first seen in dump of 2026-01-17", D3, "", STILL),  # autocreated: not signup
    ("9", "primary", "100", "", D1, BEFORE, "2026-01-14T11:00:00Z", "2026-01-14T11:00:00Z",
     "logged change by Admin"),
    ("9", "primary", "101", "2026-01-14T11:00:00Z", "2026-01-14T11:00:00Z", "logged change by Admin", D3, "", STILL),
]
# month, account, registered, at signup, later, median delay at least / at most, never, before the first
# observation (with a mentor in it), after the last one, before the first observation with no mentor seen.
MONTHLY = [
    ("2025-11", "autocreate", "1", "0", "1", "51.0", "58.0", "0", "0", "0", "0"),  # 6: Jan 10 and 17 bracket it
    ("2025-12", "create", "1", "0", "0", "", "", "0", "1", "0", "0"),  # mentee 2: already there on Jan 3
    ("2025-12", "create2", "1", "0", "0", "", "", "0", "0", "0", "1"),  # mentee 11: no mentor in any dump
    ("2026-01", "create", "3", "1", "0", "", "", "1", "0", "1", "0"),  # 1 at signup, 7 never, 8 after Jan 17
    ("2026-01", "temporary", "1", "0", "0", "", "", "1", "0", "0", "0"),
]


def unix(moment: str) -> int:
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp())


def dump_folder(tmp_path: Path, real_dump: Callable[..., Path]) -> Path:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for day, rows in DUMPS.items():
        real_dump(folder / f"{day}-testwiki-growthexperiments_mentor_mentee.sql.gz", rows)
    return folder


def seeded_store(tmp_path: Path) -> StateStore:
    store = open_store(BotConfig(state_path=tmp_path / "state.sqlite"))
    wiki_id = store.wiki_number(WIKI)
    with store.transaction() as db:
        store.save_log_events(db, wiki_id, [(log_id, kind, unix(at), target, performer, new)
                                            for log_id, kind, at, target, performer, new in LOGGED])
        store.save_registrations(db, wiki_id, REGISTERED)
    store.save_user_ids(WIKI, {**NAMES, "Renamed mentee": 0})
    return store


def read_gzip_csv(path: Path) -> list[tuple[str, ...]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return [tuple(row) for row in csv.reader(handle)]


def test_intervals_and_months_worked_out_by_hand(tmp_path: Path, real_dump: Callable[..., Path]) -> None:
    """A signup, a claim, a bot's move, a block drop, a pair that leaves and returns, a mentee seen only
    from the third dump on, an admin's change, and a log entry about a renamed user that cannot be used."""
    store = seeded_store(tmp_path)
    evidence, inputs = Evidence(), Inputs()
    inputs.dumps = dump_observations(dump_folder(tmp_path, real_dump))
    changes, blocks, inputs.unusable = stored_events(store, WIKI, "MentorBot", evidence)
    registrations = partial(Registrations.from_store, store, WIKI)
    inputs.logs_since = "2026-01-01"
    states = tmp_path / "states.csv"
    states.write_text("user_id,state\n1,1\n2,2\n7,0\n")
    flags = UserFlags()
    inputs.states = read_states_file(flags, states)
    history = build_history(inputs.dumps, registrations, changes, blocks, evidence, inputs, flags)
    files = write_history(history, tmp_path / "out")
    assert [path.name for path in files] == ["intervals.csv.gz", "monthly.csv.gz", "methods.md"]
    rows = read_gzip_csv(files[0])
    assert rows[0] == ("mentee_id", "role", "mentor_id", "start_earliest", "start_latest", "start_evidence",
                       "end_earliest", "end_latest", "end_evidence")
    assert rows[1:] == INTERVALS
    monthly = read_gzip_csv(files[1])
    assert [row[:11] for row in monthly[1:]] == MONTHLY
    # The released states, per month: January's three accounts made here are enabled (1), disabled (7), unknown (8).
    assert monthly[0][11:] == ("state_disabled", "state_enabled", "state_opted_out", "state_unknown")
    assert monthly[4][11:] == ("1", "1", "0", "1")
    assert history.exact == {"start from a logged change": 3, "end from a logged change": 3,
                             "end at an indefinite block": 2, "start at signup": 1}
    assert inputs.unusable == {"setmentor": 1}
    note = files[2].read_text()
    assert "Weekly dumps of `growthexperiments_mentor_mentee`: 3, 2026-01-03 to 2026-01-17" in note
    assert "Not usable (a name with no user id now, e.g. renamed or a hidden user): 1 setmentor." in note
    assert "Account-creation log: 7 registrations, 2025-11-20 to 2026-01-20." in note
    assert "about 60 %" in note and "`~2`" in note and "below 100 %" in note
    # One line of pandas or DuckDB: plain CSV, a header, ISO times.
    text = gzip.decompress(files[0].read_bytes()).decode()
    assert next(csv.DictReader(io.StringIO(text)))["start_evidence"] == "signup"


def test_dumps_alone_give_bracketed_intervals_and_say_what_is_missing(tmp_path: Path,
                                                                      real_dump: Callable[..., Path]) -> None:
    """A researcher with a folder of dumps and nothing else: one command, no wiki, no account."""
    import subprocess
    import sys

    from tests.test_cli import MENTORBOT

    folder = dump_folder(tmp_path, real_dump)
    command = [str(MENTORBOT)] if MENTORBOT.exists() else [sys.executable, "-m", "bot"]
    result = subprocess.run([*command, "history", "--dumps", str(folder), "--output", str(tmp_path / "out")],
                            capture_output=True, text=True, check=False, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("mentorbot history: ok; 0 requests")
    rows = read_gzip_csv(tmp_path / "out" / "intervals.csv.gz")
    # Without the logs, the claim is only bracketed between the dumps that show it.
    assert ("2", "primary", "101", D1, D2, "first seen in dump of 2026-01-10", D3, "", STILL) in rows
    assert ("1", "primary", "100", D1, D2, "first seen in dump of 2026-01-10", D3, "", STILL) in rows
    assert len(rows) == 1 + len(INTERVALS)
    assert not (tmp_path / "out" / "monthly.csv.gz").exists()
    note = (tmp_path / "out" / "methods.md").read_text()
    assert "growthexperiments and block logs: not used" in note and "Account-creation log: not used" in note


def test_bad_dumps_are_refused_with_the_file(tmp_path: Path, real_dump: Callable[..., Path]) -> None:
    folder = dump_folder(tmp_path, real_dump)
    undated = folder / "growthexperiments_mentor_mentee.sql.gz"
    undated.write_bytes((folder / "20260103-testwiki-growthexperiments_mentor_mentee.sql.gz").read_bytes())
    with pytest.raises(HistoryInputError, match=f"{undated}: no date in the file name"):
        dump_observations(folder)
    undated.unlink()
    cut = folder / "20260110-testwiki-growthexperiments_mentor_mentee.sql.gz"
    cut.write_bytes(cut.read_bytes()[:-30])
    evidence = Evidence()
    observations = dump_observations(folder)
    from bot.dump import DumpError

    with pytest.raises(DumpError, match=f"{cut}: not a complete gzip file"):
        build_history(observations, Registrations.empty, *stored_events(seeded_store(tmp_path), WIKI, None,
                                                                          evidence)[:2], evidence, Inputs())
    cut.write_bytes(gzip.compress(b"CREATE TABLE `user` (`user_id` int);\nINSERT INTO `user` VALUES (1);\n"))
    with pytest.raises(DumpError, match=str(cut)):
        build_history(dump_observations(folder), Registrations.empty, *stored_events(
            seeded_store(tmp_path), WIKI, None, evidence)[:2], evidence, Inputs())


def table_rows(wiki: DevWiki) -> list[MentorTableRow]:
    """GrowthExperiments' table as the wiki holds it now (what Wikimedia's weekly dump copies)."""
    database = sqlite3.connect(f"file:{wiki.dir / 'data' / 'my_wiki.sqlite'}?mode=ro", uri=True)
    try:
        rows = database.execute("SELECT gemm_mentee_id, gemm_mentor_role, gemm_mentor_id, gemm_mentee_is_active "
                                "FROM growthexperiments_mentor_mentee ORDER BY 1, 2").fetchall()
    finally:
        database.close()
    return [(mentee, role.decode() if isinstance(role, bytes) else role, mentor, active)
            for mentee, role, mentor, active in rows]


def logged(admin: WikiClient, letype: str, target: str) -> str:
    entries = admin.get(list="logevents", letype=letype, letitle=f"User:{target}")["query"]["logevents"]
    return str(entries[0]["timestamp"])


@both_flavours
def test_the_test_wikis_logs_and_two_dumps_of_its_table(wiki: DevWiki, tmp_path: Path,
                                                       real_dump: Callable[..., Path]) -> None:
    """Two dumps of the wiki's own table by mariadb-dump, a day before and a day after a change of mentor,
    an indefinite block and a new account; the logs read anonymously, as a researcher without an account."""
    admin = wiki.admin()
    add_mentor(wiki, admin, "Mentor A")
    add_mentor(wiki, admin, "Mentor B", weight=0)  # manual only: every newcomer gets Mentor A at signup
    for name in ("Newcomer One", "Newcomer Two"):
        wiki.anonymous().create_account(name, PASSWORD)
    for name in ("Mentor A", "Mentor B", "Newcomer One", "Newcomer Two"):
        backdate(wiki, name, 3, tables=("revision", "logging"))  # they registered three days ago
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    folder = tmp_path / "dumps"
    folder.mkdir()
    before, after = today - timedelta(days=1), today + timedelta(days=1)
    real_dump(folder / f"{before:%Y%m%d}-testwiki-growthexperiments_mentor_mentee.sql.gz", table_rows(wiki))
    admin.post("growthsetmentor", mentee="Newcomer One", mentor="Mentor B", reason="test: another mentor")
    admin.post("block", user="Newcomer Two", expiry="infinite", reason="test")
    wiki.anonymous().create_account("Newcomer Three", PASSWORD)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    # The bot's own snapshot from the API in between (primary mentors only), into the store the history reads.
    assert mentorbot(wiki, workdir, "--api", wiki.api, "snapshot").returncode == 0
    real_dump(folder / f"{after:%Y%m%d}-testwiki-growthexperiments_mentor_mentee.sql.gz", table_rows(wiki))
    admin.post("growthmanagementorlist", geaction="remove", username="Mentor B")

    command = [str(MENTORBOT)] if MENTORBOT.exists() else [sys.executable, "-m", "bot"]
    result = subprocess.run([*command, "--api", wiki.api, "history", "--dumps", str(folder), "--output",
                             str(tmp_path / "out")], capture_output=True, text=True, check=False, cwd=tmp_path,
                            env=child_env(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state")))
    assert result.returncode == 0, result.stdout + result.stderr
    ids = {user["name"]: str(user["userid"]) for user in admin.get(
        list="users", ususers="Mentor A|Mentor B|Newcomer One|Newcomer Two|Newcomer Three",
        usprop="registration")["query"]["users"]}
    registered = {user["name"]: user["registration"] for user in admin.get(
        list="users", ususers="Newcomer One|Newcomer Two|Newcomer Three", usprop="registration")["query"]["users"]}
    rows = {(row[0], row[2]): row for row in read_gzip_csv(tmp_path / "out" / "intervals.csv.gz")[1:]
            if row[1] == "primary"}
    moved = logged(admin, "growthexperiments", "Newcomer One")
    first_dump, second_dump = f"{before:%Y-%m-%dT%H:%M:%SZ}", f"{after:%Y-%m-%dT%H:%M:%SZ}"
    still = f"still seen in dump of {after:%Y-%m-%d}"
    assert rows[ids["Newcomer One"], ids["Mentor A"]] == (
        ids["Newcomer One"], "primary", ids["Mentor A"], registered["Newcomer One"], first_dump,
        "before the first observation", moved, moved, "logged change by Admin")
    assert rows[ids["Newcomer One"], ids["Mentor B"]] == (
        ids["Newcomer One"], "primary", ids["Mentor B"], moved, moved, "logged change by Admin", second_dump, "",
        still)
    three = registered["Newcomer Three"]
    assert rows[ids["Newcomer Three"], ids["Mentor A"]] == (
        ids["Newcomer Three"], "primary", ids["Mentor A"], three, three, "signup", second_dump, "", still)
    two = rows[ids["Newcomer Two"], ids["Mentor A"]]
    if wiki.growth == "standin":  # GrowthExperiments as Wikimedia runs it drops the pair at the block
        blocked = logged(admin, "block", "Newcomer Two")
        assert two[6:] == (blocked, blocked, "dropped at indefinite block")
    else:  # 1.43 keeps it
        assert two[6:] == (second_dump, "", still)
    monthly = read_gzip_csv(tmp_path / "out" / "monthly.csv.gz")
    this_month = [row for row in monthly[1:] if row[0] == three[:7] and row[1] == "create"]
    assert this_month and int(this_month[0][3]) >= 1  # Newcomer Three, at signup
    note = (tmp_path / "out" / "methods.md").read_text()
    assert "growthexperiments log (mentor changes and claims): 1 usable entry" in note
    assert "The bot's snapshots from the API: 1, " in note

    # The mentor list's page history: when each mentor was listed, by the page's own revisions.
    revisions = [(str(r["revid"]), r["timestamp"]) for r in admin.get(
        prop="revisions", titles="MediaWiki:GrowthMentors.json", rvprop="ids|timestamp", rvdir="newer",
        rvlimit="max")["query"]["pages"][0]["revisions"]]
    assert len(revisions) == 3  # Mentor A added, Mentor B added, Mentor B removed
    listed = {row[0]: row for row in read_gzip_csv(tmp_path / "out" / "mentors.csv.gz")[1:] if row[1] == "listed"}
    assert listed == {
        ids["Mentor A"]: (ids["Mentor A"], "listed", revisions[0][1], "", revisions[0][0], ""),
        ids["Mentor B"]: (ids["Mentor B"], "listed", revisions[1][1], revisions[2][1], revisions[1][0],
                          revisions[2][0])}
    assert "The mentor list's page history: 3 revisions" in note

    # Run again: the logs are read on from their cursors, nothing is stored twice, the same intervals come out.
    again = subprocess.run([*command, "--api", wiki.api, "history", "--dumps", str(folder), "--output",
                            str(tmp_path / "again")], capture_output=True, text=True, check=False, cwd=tmp_path,
                           env=child_env(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state")))
    assert again.returncode == 0, again.stderr
    assert "0 new log entries stored, 0 names looked up, 0 new revisions of the mentor list stored" in again.stdout
    assert read_gzip_csv(tmp_path / "again" / "intervals.csv.gz") == read_gzip_csv(tmp_path / "out" /
                                                                                   "intervals.csv.gz")


def test_an_interrupted_log_fetch_resumes_where_it_stopped(wiki: DevWiki, make_bot: Callable[..., BotRun],
                                                           tmp_path: Path) -> None:
    admin = wiki.admin()
    add_mentor(wiki, admin, "Mentor A")
    add_mentor(wiki, admin, "Mentor B", weight=0)  # every newcomer gets Mentor A at signup
    for number in range(5):
        name = f"Newcomer {number}"
        wiki.anonymous().create_account(name, PASSWORD)
        admin.post("growthsetmentor", mentee=name, mentor="Mentor B", reason="test")
        admin.post("growthsetmentor", mentee=name, mentor="Mentor A", reason="test")
    gateway = make_bot().gateway
    store = open_store(BotConfig(state_path=tmp_path / "history.sqlite"))
    real_get, calls = gateway.get, []

    def failing_get(**params: Any) -> dict[str, Any]:
        if params.get("list") == "logevents" and params.get("letype") == "growthexperiments":
            calls.append(params)
            if len(calls) == 3:
                raise WikiUnavailable("the connection dropped")
            params["lelimit"] = 3
        return real_get(**params)

    gateway.get = failing_get  # type: ignore[method-assign]
    since = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(WikiUnavailable):
        fetch_history_logs(gateway, store, since)
    assert len(store.log_events(gateway.config.wiki_key)) == 6  # two pages of three were kept
    calls.clear()
    fetch_history_logs(gateway, store, since)
    assert "lecontinue" in calls[0]  # on from the stored continuation
    assert len(store.log_events(gateway.config.wiki_key)) == 10  # each of the ten changes once


def test_the_mentor_lists_revisions_say_when_each_mentor_was_listed_and_away_by_its_copy() -> None:
    page = '{{"Mentors": {{{}}}}}'
    revisions = [
        (101, 1000, listed_mentors(page.format('"5": {"weight": 2}'))),
        (102, 2000, listed_mentors(page.format('"5": {"weight": 2, "awayTimestamp": "2026-02-01T00:00:00Z"}, '
                                               '"6": {"weight": 0}'))),
        (103, 2500, listed_mentors('{"Mentors": {"5": {"colour": "blue"}}}')),  # refused by GE too: skipped
        (104, 3000, listed_mentors(page.format('"5": {"weight": 2}, "6": {"weight": 0}'))),
        (105, 4000, listed_mentors(page.format('"6": {"weight": 0}'))),
    ]
    assert revisions[2][2] is None
    assert mentor_list_rows(revisions) == [
        (5, "away (the list's copy)", 2000, unix("2026-02-01T00:00:00Z"), 102, -1),
        (5, "listed", 1000, 4000, 101, 105),
        (6, "listed", 2000, -1, 102, -1),
    ]


def test_dumps_belong_to_one_wiki(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    (tmp_path / "dumps").mkdir()
    result = CliRunner(env={"MENTORBOT_CONFIG": ""}).invoke(cli, ["--all-wikis", "history", "--dumps",
                                                                  str(tmp_path / "dumps")])
    assert result.exit_code == 2 and "--dumps holds one wiki's dumps" in result.output


def test_every_configured_wiki_gets_a_folder_of_its_own(wiki: DevWiki, second_wiki: DevWiki, tmp_path: Path) -> None:
    """With --all-wikis and no dumps: each wiki's own snapshots and logs, each into a folder named by its host."""
    for each in (wiki, second_wiki):
        add_mentor(each, each.admin(), "Mentor A")
        each.anonymous().create_account("Newcomer One", PASSWORD)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    config = tmp_path / "mentorbot.toml"
    config.write_text(f'[wikis.first]\napi = "{wiki.api}"\n[wikis.second]\napi = "{second_wiki.api}"\n')
    assert mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "snapshot").returncode == 0
    result = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "history", "--output",
                       str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    for each in (wiki, second_wiki):
        rows = read_gzip_csv(tmp_path / "out" / each.api.split("/")[2] / "intervals.csv.gz")
        assert [row[1:2] + row[5:6] for row in rows[1:]] == [("primary", "before the first observation")]
