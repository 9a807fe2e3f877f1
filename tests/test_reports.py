"""mentorbot report, against the real test wiki: what each report publishes, and when it does not edit."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.community import read_community_settings
from bot.errors import BotExcluded, WikiUnavailable
from bot.mentors import read_mentor_list
from bot.messages import Text
from bot.reports import Report, cell_text, publish
from bot.reports.coverage import (
    coverage_report,
    fetch_registrations,
    indefinitely_blocked,
    registration_batches,
)
from bot.reports.dashboard import mentor_dashboard
from bot.reports.graduation import (
    graduation_report,
    invitation_marker,
    read_report_settings,
    send_invitations,
)
from bot.rules import parse_rules
from bot.snapshot import snapshot_from_api
from bot.state import StateStore
from scripts.devwiki import backdate
from tests.conftest import FLAVOURS, BotRun, DevWiki, StateBackend, both_stores
from tests.test_dump import dump, write
from tests.test_sweep import LAST_EDIT, PASSWORD, RULES_PAGE, add_mentor
from tests.wikiclient import WikiClient

# The workflow runs on the stand-in and on GrowthExperiments itself.
WIKI_FLAVOURS = FLAVOURS

REPORTS_PAGE = "MediaWiki:Mentorbot-reports.json"


@pytest.fixture
def admin(wiki: DevWiki) -> WikiClient:
    return wiki.admin()


@pytest.fixture
def store(state_backend: StateBackend) -> StateStore:
    return state_backend.open()


def newcomer(wiki: DevWiki, name: str, edits: int = 0) -> WikiClient:
    client = WikiClient(wiki.api)
    client.create_account(name, PASSWORD)
    client.login(name, PASSWORD)
    for number in range(edits):
        client.edit(f"Sandbox/{name}/{number}", f"Edit {number}.")
    return client


def mentor_of(admin: WikiClient, mentee: str) -> str:
    result = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
    return str(result["expandtemplates"]["wikitext"])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- publishing ------------------------------------------------------------------------------------

def small_report(rows: list[list[Any]]) -> Report:
    return Report("mentors", Text("mentorbot-report-mentors-title"),
                  [Text("mentorbot-column-mentor"), Text("mentorbot-column-why-listed")], rows,
                  [(Text("mentorbot-total-mentors"), len(rows))], [Text("mentorbot-graduation-note-mentees")])


def test_a_report_page_is_edited_only_when_its_content_changes(wiki: DevWiki, admin: WikiClient,
                                                              make_bot: Callable[..., BotRun],
                                                              tmp_path: Path) -> None:
    bot = make_bot()
    title = "Project:Mentorship/Report"
    first = publish(bot.gateway, small_report([["Alpha", "x | {{nobots}} [[Link]] ~~~~"]]), title, tmp_path)
    assert first.page_changed and admin.revision_count(title) == 1
    text = admin.page_text(title) or ""
    assert '{| class="wikitable sortable"' in text and "[[Special:Contributions/Alpha|Alpha]]" in text
    rendered = admin.get(action="parse", page=title, prop="text|templates|links")["parse"]
    # As a reader sees it: the date line, the totals on one line, one sortable table, the notes below.
    page = rendered["text"]
    assert re.search(r"Mentor status dashboard, updated by <a [^>]*>MentorBot</a> on \d{4}-\d\d-\d\d \d\d:\d\d "
                     r"\(UTC\)", page)
    assert "<b>In total:</b> mentors: 1." in page
    assert page.count("<table") == 1 and 'class="wikitable sortable"' in page
    assert re.findall(r"<th>([^<]*?)\s*</th>", page) == ["mentor", "why listed"]
    assert "<li>Mentees are those who have a main mentor now.</li>" in page
    assert page.index("In total") < page.index("<table") < page.index("<li>Mentees are")
    assert rendered["templates"] == []  # markup in a cell shows as text: no template, no signature
    assert "{{nobots}} [[Link]] ~~~~" in rendered["text"].replace("&#123;", "{").replace("&#91;", "[").replace(
        "&#126;", "~")
    again = publish(bot.gateway, small_report([["Alpha", "x | {{nobots}} [[Link]] ~~~~"]]), title, tmp_path)
    assert not again.page_changed and admin.revision_count(title) == 1
    changed = publish(bot.gateway, small_report([["Alpha", "y"]]), title, tmp_path)
    assert changed.page_changed and admin.revision_count(title) == 2
    assert read_csv(tmp_path / "mentors.csv") == [{"mentor": "Alpha", "why listed": "y"}]


def test_text_around_the_report_is_kept_and_exclusion_is_honoured(wiki: DevWiki, admin: WikiClient,
                                                                 make_bot: Callable[..., BotRun],
                                                                 tmp_path: Path) -> None:
    title = "Project:Mentorship/Dashboard"
    admin.edit(title, "Intro by the admins.\n<!-- mentorbot:report start -->\nold\n<!-- mentorbot:report end -->\n"
                      "[[Category:Mentorship]]")
    publish(make_bot().gateway, small_report([["Alpha", "ok"]]), title, tmp_path)
    text = admin.page_text(title) or ""
    assert text.startswith("Intro by the admins.\n") and text.endswith("[[Category:Mentorship]]")
    assert "old" not in text and "Alpha" in text
    admin.edit("Project:Mentorship/Excluded", "{{nobots}}")
    with pytest.raises(BotExcluded):
        publish(make_bot().gateway, small_report([["Alpha", "ok"]]), "Project:Mentorship/Excluded", tmp_path)
    assert admin.page_text("Project:Mentorship/Excluded") == "{{nobots}}"


# --- the mentor dashboard -------------------------------------------------------------------------

def test_the_dashboard_shows_activity_mentees_questions_and_status(wiki: DevWiki, admin: WikiClient,
                                                                    make_bot: Callable[..., BotRun],
                                                                    store: StateStore, tmp_path: Path) -> None:
    # Manual-only mentors first, so every newcomer below gets Busy mentor.
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20, weight=0)
    add_mentor(wiki, admin, "Exempt mentor", inactive_days=70, weight=0)
    add_mentor(wiki, admin, "Busy mentor", edits=3, weight=4)
    mentee = newcomer(wiki, "Keen newcomer", edits=1)
    newcomer(wiki, "Quiet newcomer")
    # Set, not left to the signup draw: REL1_43 may draw from its cached copy of the list from
    # before the last change, which here had only manual-only mentors.
    for name in ("Keen newcomer", "Quiet newcomer"):
        answer = admin.post("growthsetmentor", mentee=name, mentor="Busy mentor", reason="test", check=False)
        assert "error" not in answer or answer["error"]["code"].endswith("already-mentor")
    assert mentor_of(admin, "Keen newcomer") == "Busy mentor"
    # Asked as a mentee asks: through GrowthExperiments' question poster, which tags the edit itself.
    mentee.post("helppanelquestionposter", source="mentor-homepage", body="How do I cite?")
    question = admin.get(action="parse", page="User talk:Busy mentor", prop="sections")["parse"]["sections"][0]
    WikiClient(wiki.api).login("Busy mentor", PASSWORD).post(
        "edit", title="User talk:Busy mentor", section=question["index"], appendtext="\nLike this. ~~~~",
        summary=f"/* {question['line']} */ answer")
    backdate(wiki, "Keen newcomer", 1, tables=("revision", "recentchanges"))  # asked a day before the answer
    admin.post("block", user="Lapsing mentor", expiry="1 week", partial=1, pagerestrictions="Main Page",
               allowusertalk=1, reason="test")
    admin.edit(RULES_PAGE, json.dumps({**LAST_EDIT, "exempt": ["Exempt mentor"]}))

    bot = make_bot()
    gateway = bot.gateway
    rules = parse_rules(gateway.read_page(RULES_PAGE).text, RULES_PAGE)
    report = mentor_dashboard(gateway, store, read_mentor_list(gateway), rules,
                              read_community_settings(gateway))
    rows = english_rows(report)
    # Most urgent first: the warning due, then the rest in list order, the exempt last.
    assert list(rows) == ["Lapsing mentor", "Busy mentor", "Exempt mentor"]
    busy = rows["Busy mentor"]
    assert busy["weight"] == "4" and busy["status"] == "ok" and busy["next step"] == busy["why"] == ""
    # The days the wiki itself recorded, not the machine's today (a run may straddle midnight).
    last_edit = admin.get(list="usercontribs", ucuser="Busy mentor", uclimit=1)["query"]["usercontribs"][0]
    assert busy["last edit"] == last_edit["timestamp"][:10]
    assert busy["mentees (active in 90 days)"] == "2 (1 active)"  # the quiet one never edited
    answered = busy["questions answered within 7 days (of those in 90 days)"]
    assert re.fullmatch(r"1 of 1 \(median 2[34]\.\d h\)", answered)
    assert busy["edits (90 days)"] == "3 in articles, 1 in talk pages"
    lapsing = rows["Lapsing mentor"]
    assert lapsing["status"] == "warning due" and lapsing["why"].startswith("no edit since")
    # The warning due names the away mark a notice period later: that is the next step.
    assert lapsing["next step"].startswith("away on ")
    assert lapsing["away or blocked"].startswith("partly blocked until")
    assert rows["Exempt mentor"]["status"] == "exempt"
    assert ("mentors", 3) in [(str(label), value) for label, value in report.totals]
    assert report.lines == ["3 mentors: 1 exempt, 1 ok, 1 warning due"]

    # With the weekly dump, mentees and their activity come from its rows (backups not counted).
    busy_id = WikiClient(wiki.api).user_id("Busy mentor")
    rows_text = f"(101,'primary',{busy_id},1),(102,'primary',{busy_id},0),(103,'backup',{busy_id},1)"
    from_dump = mentor_dashboard(gateway, store, read_mentor_list(gateway), rules,
                                 read_community_settings(gateway), dump=write(tmp_path, dump(rows_text.encode())))
    assert english_rows(from_dump)["Busy mentor"]["mentees (active in 90 days)"] == "2 (1 active)"

    # The dashboard only reads.
    assert bot.counters.writes == 0
    published = publish(gateway, report, "Project:Mentorship/Mentors", tmp_path)
    assert published.page_changed
    assert "[[Special:Contributions/Busy mentor|Busy mentor]]" in (admin.page_text("Project:Mentorship/Mentors")
                                                                    or "")
    # The page as its readers see it: ten columns, most urgent first, dates that do not wrap, the rules in words.
    page = admin.get(action="parse", page="Project:Mentorship/Mentors", prop="text")["parse"]["text"]
    assert re.findall(r"<th>([^<]*?)\s*</th>", page) == [str(column) for column in report.columns]
    assert len(report.columns) == 10
    assert page.index(">Lapsing mentor<") < page.index(">Busy mentor<") < page.index(">Exempt mentor<")
    assert page.count('<td style="white-space:nowrap">') >= 3  # each last edit
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert ("The mentorship rules measure a mentor's activity this way: the days since the last edit. A mentor "
            "inactive by that measure is warned after 10 days, marked away after 14 days, removed from the mentor "
            "list after 60 days, each step at least 7 days after the notice of the one before") in words
    assert {row["mentor"] for row in read_csv(tmp_path / "mentors.csv")} == set(rows)


def test_the_dashboard_without_a_rules_page_still_reports(wiki: DevWiki, admin: WikiClient,
                                                          make_bot: Callable[..., BotRun], store: StateStore) -> None:
    add_mentor(wiki, admin, "Busy mentor")
    gateway = make_bot().gateway
    report = mentor_dashboard(gateway, store, read_mentor_list(gateway), None,
                              read_community_settings(gateway))
    assert [row["status"] for row in english_rows(report).values()] == ["no rules"]


# --- graduation -------------------------------------------------------------------------------------

@both_stores
def test_graduation_lists_graduating_and_experienced_mentees_and_invites_once(
        wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun], store: StateStore,
        tmp_path: Path) -> None:
    add_mentor(wiki, admin, "Busy mentor")
    newcomer(wiki, "Old hand", edits=3)
    newcomer(wiki, "Beginner", edits=1)
    newcomer(wiki, "Promoted", edits=0)
    admin.post("userrights", user="Promoted", add="sysop", reason="test", token_type="userrights")
    backdate(wiki, "Old hand", 40)
    backdate(wiki, "Beginner", 40)
    admin.edit(REPORTS_PAGE, json.dumps({"graduation": {
        "min_editcount": 3, "min_tenure_days": 30, "invite": True},
        "messages": {"mentorbot-invite-heading": "Well done", "mentorbot-invite-text": "$1, you made $2 edits."}}))

    def run(invite: bool = True) -> Any:
        gateway = make_bot().gateway
        own = read_report_settings(gateway)
        result = graduation_report(gateway, store, list(read_mentor_list(gateway).mentors),
                                   read_community_settings(gateway), own)
        if invite:
            send_invitations(gateway, store, result, own)
        return result

    first = run()
    publish(make_bot().gateway, first.report, "Mentorship graduation", tmp_path)
    page = admin.page_text("Mentorship graduation") or ""
    assert ("| [[Special:Contributions/Old hand|Old hand]] || [[Special:Contributions/Busy mentor|Busy mentor]] "
            "|| 3 ||") in page
    rows = english_rows(first.report)
    assert set(rows) == {"Old hand", "Promoted"}
    assert (rows["Old hand"]["mentor"], rows["Old hand"]["edits"]) == ("Busy mentor", "3")
    assert rows["Old hand"]["why listed"] == "meets the graduation thresholds"
    assert rows["Promoted"]["why listed"] == "experienced (user groups: sysop)"
    assert any("the bot's own thresholds" in str(note) for note in first.report.notes)
    # The first run with --invite settles who already met the thresholds: no invitation for them.
    assert first.first_invite_run and first.invited == []
    assert "Well done" not in (admin.page_text("User talk:Old hand") or "")

    WikiClient(wiki.api).login("Beginner", PASSWORD).edit("Sandbox/more", "More.")
    WikiClient(wiki.api).login("Beginner", PASSWORD).edit("Sandbox/more2", "More.")
    second = run()
    assert second.invited == ["Beginner"]
    talk = admin.page_text("User talk:Beginner") or ""
    assert "== Well done ==" in talk and "Beginner, you made 3 edits." in talk
    assert invitation_marker(WikiClient(wiki.api).user_id("Beginner")) in talk

    third = run()
    assert third.invited == [] and admin.revision_count("User talk:Beginner") == 1


@both_stores
def test_invitations_honour_exclusion_and_a_crash_repeats_nothing(
        wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun], store: StateStore) -> None:
    add_mentor(wiki, admin, "Busy mentor")
    newcomer(wiki, "Private person", edits=1)
    newcomer(wiki, "Open person", edits=1)
    admin.edit(REPORTS_PAGE, json.dumps({"graduation": {"min_editcount": 2, "min_tenure_days": 0, "invite": True}}))
    admin.edit("User talk:Private person", "{{bots|optout=mentorship}}")

    def run() -> Any:
        gateway = make_bot().gateway
        own = read_report_settings(gateway)
        result = graduation_report(gateway, store, list(read_mentor_list(gateway).mentors),
                                   read_community_settings(gateway), own)
        send_invitations(gateway, store, result, own)
        return result

    run()  # settles nobody: no one meets the thresholds yet
    backdate(wiki, "Private person", 2)
    backdate(wiki, "Open person", 2)
    for name in ("Private person", "Open person"):
        WikiClient(wiki.api).login(name, PASSWORD).edit(f"Sandbox/{name}", "More.")
    # A crash after posting, before recording: the marker on the page stops a second post.
    def crash(*_args: Any) -> None:
        raise RuntimeError("crash")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StateStore, "record_invitation", crash)
        with pytest.raises(RuntimeError):
            run()
    result = run()
    assert (result.invited, result.skipped) == (["Open person"], ["Private person"])
    assert admin.page_text("User talk:Private person") == "{{bots|optout=mentorship}}"
    assert (admin.page_text("User talk:Open person") or "").count("Congratulations") == 1
    assert run().invited == []


# --- coverage from the wiki -----------------------------------------------------------------------

def english_rows(report: Report) -> dict[str, dict[str, str]]:
    """Each row by its first cell, each cell as the CSV file has it (in English), by column."""
    return {str(row[0]): {str(column): cell_text(value) for column, value in zip(report.columns, row, strict=True)}
            for row in report.rows}


def by_kind(report: Report) -> dict[str, dict[str, Any]]:
    """The coverage report's counts per account kind, summed over its months: the accounts of a
    test are made within seconds, but those seconds may straddle the end of a month."""
    totals: dict[str, dict[str, Any]] = {}
    for row in report.rows:
        kind = totals.setdefault(str(row[1]), {})
        for column, value in zip(map(str, report.columns), row, strict=True):
            if isinstance(value, int):
                kind[column] = kind.get(column, 0) + value
    return totals


@both_stores
def test_coverage_from_the_log_and_the_snapshot(wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun],
                                                store: StateStore) -> None:
    add_mentor(wiki, admin, "Busy mentor")  # registered before there was a mentor: none of its own
    for name in ("Newcomer one", "Newcomer two", "Newcomer three"):
        newcomer(wiki, name)
    token = admin.get(meta="tokens", type="createaccount")["query"]["tokens"]["createaccounttoken"]
    made = admin.session.post(wiki.api, data={
        "action": "createaccount", "username": "Made for someone", "password": PASSWORD, "retype": PASSWORD,
        "createtoken": token, "createreturnurl": "http://127.0.0.1/", "reason": "test", "format": "json"}).json()
    assert made["createaccount"]["status"] == "PASS", made
    admin.post("block", user="Newcomer three", expiry="infinite", reason="test")
    gateway = make_bot().gateway
    snapshot_from_api(gateway, store)
    since = datetime(2020, 1, 1, tzinfo=UTC)
    assert fetch_registrations(gateway, store, since) == 6  # the bot's autocreation, then five accounts
    report = coverage_report(registration_batches(store.registration_pages(gateway.config.wiki_key)), "the log",
                             store=store,
                             wiki=gateway.config.wiki_key, blocked=indefinitely_blocked(gateway))
    rows = by_kind(report)
    # create: the mentor (none: unexplained), three newcomers with a mentor; GE master drops the
    # blocked one's mentor at the indefinite block, REL1_43 keeps it.
    created = rows["create"]
    dropped = 1 if wiki.growth == "standin" else 0
    assert (created["registered"], created["with mentor"]) == (4, 3 - dropped)
    assert created["no mentor: indefinitely blocked"] == dropped and created["no mentor: unexplained"] == 1
    assert rows["autocreate"]["no mentor: autocreated"] == 1  # the bot's own account
    made = rows["create2"]
    assert made["registered"] == 1
    assert made["with mentor"] == 1  # GrowthExperiments gives an account made by another user a mentor too
    assert "active mentees" not in map(str, report.columns)  # a snapshot from the API has no activity flag

    # Later runs fetch only what is new.
    newcomer(wiki, "Newcomer four")
    assert fetch_registrations(gateway, store, since) == 1
    assert sum(1 for _ in store.registrations(gateway.config.wiki_key)) == 7


@both_stores
def test_an_interrupted_first_fetch_resumes_where_it_stopped(wiki: DevWiki, make_bot: Callable[..., BotRun],
                                                             store: StateStore) -> None:
    for number in range(11):
        newcomer(wiki, f"Newcomer {number}")
    gateway = make_bot().gateway
    since = datetime(2020, 1, 1, tzinfo=UTC)
    real_get = gateway.get
    calls = []

    def failing_get(**params: Any) -> dict[str, Any]:
        if params.get("list") == "logevents":
            calls.append(params)
            if len(calls) == 3:
                raise WikiUnavailable("the connection dropped")
            params["lelimit"] = 4
        return real_get(**params)

    gateway.get = failing_get  # type: ignore[method-assign]
    with pytest.raises(WikiUnavailable):
        fetch_registrations(gateway, store, since)
    wiki_key = gateway.config.wiki_key
    assert sum(1 for _ in store.registrations(wiki_key)) == 8  # two pages of four were kept
    calls.clear()
    fetch_registrations(gateway, store, since)
    assert "lecontinue" in calls[0]  # went on from the stored continuation, not from the start
    assert sum(1 for _ in store.registrations(wiki_key)) == 12  # the bot's account and eleven, none twice


# --- the command --------------------------------------------------------------------------------

def test_report_coverage_from_files_on_the_command_line(wiki: DevWiki, admin: WikiClient, tmp_path: Path) -> None:
    from tests.test_cli import mentorbot
    from tests.test_coverage import REGISTRATIONS as REGISTRATIONS_TEXT
    from tests.test_coverage import files

    workdir = tmp_path / "cwd"
    workdir.mkdir()
    registrations, mentor_dump, states = files(tmp_path)
    args = ["--api", wiki.api, "report", "coverage", "--registrations", str(registrations), "--dump",
            str(mentor_dump), "--states", str(states), "--output", str(tmp_path / "out"),
            "--page", "Mentorship coverage"]
    dry = mentorbot(wiki, workdir, "--dry-run", *args)
    assert dry.returncode == 0, dry.stderr
    assert "Mentorship coverage (proposed)" in dry.stdout and "not saved: dry run" in dry.stdout
    assert admin.page_text("Mentorship coverage") is None
    # The dry run's files go to a folder of their own, named in the output; the real ones are not touched.
    assert f"wrote {tmp_path / 'out' / 'dry-run' / 'coverage.csv'}" in dry.stdout
    assert not (tmp_path / "out" / "coverage.csv").exists()

    first = mentorbot(wiki, workdir, *args)
    assert first.returncode == 0, first.stderr
    assert "[[Mentorship coverage]] updated" in first.stdout
    rows = read_csv(tmp_path / "out" / "coverage.csv")
    assert [(r["month"], r["account"], r["registered"], r["with mentor"]) for r in rows] == [
        ("2024-01", "create", "3", "2"), ("2024-01", "autocreate", "1", "0"), ("2024-01", "temporary", "1", "0"),
        ("2024-02", "create", "2", "1"), ("2024-02", "create2", "1", "1")]
    assert (tmp_path / "out" / "coverage.png").read_bytes().startswith(b"\x89PNG")
    assert "stores no date for a mentor's assignment" in (admin.page_text("Mentorship coverage") or "")
    # The chart is on the page itself: a table of bars, one row a month of the data, above the report's table.
    page = admin.get(action="parse", page="Mentorship coverage", prop="text")["parse"]["text"]
    assert page.count("<table") == 2 and page.index("<caption>") < page.rindex("<table")
    bars = re.findall(r'<div style="background:#36c;height:0.8em;width:([\d.]+)%', page)
    assert bars == ["66.7", "0.0", "0.0", "50.0", "100.0"]  # January: create, autocreate, temporary; February
    assert re.findall(r"<td style=\"white-space:nowrap\">(\d{4}-\d\d)", page)[:2] == ["2024-01", "2024-02"]

    second = mentorbot(wiki, workdir, *args)
    assert "[[Mentorship coverage]] unchanged" in second.stdout
    assert admin.revision_count("Mentorship coverage") == 1

    # An output folder that cannot be made: one sentence, exit 2, no traceback.
    (tmp_path / "a file").write_text("")
    unwritable = mentorbot(wiki, workdir, *args[:-4], "--output", str(tmp_path / "a file" / "out"))
    assert unwritable.returncode == 2
    assert unwritable.stderr.strip().splitlines()[-1].startswith(
        f"Cannot write the coverage report's files to {tmp_path / 'a file' / 'out'}: ")
    assert "Traceback" not in unwritable.stderr

    # A broken registrations file: a clear error with its line, and the page is left as it was.
    registrations.write_bytes(gzip.compress(b"log_id,user_id,user_name,timestamp,action\n"
                                            b"1,10,Alice,20240105120000,create\n2,11,Bob,yesterday,create\n"))
    broken = mentorbot(wiki, workdir, *args)
    assert broken.returncode == 1
    assert "registrations.csv.gz: line 3: timestamp 'yesterday'" in broken.stderr + broken.stdout
    assert "Traceback" not in broken.stderr
    assert admin.revision_count("Mentorship coverage") == 1

    # A dump cut off mid-file: refused with the file and the place; the page is still as it was.
    registrations.write_bytes(gzip.compress(REGISTRATIONS_TEXT.encode()))
    mentor_dump.write_bytes(mentor_dump.read_bytes()[:-40])
    cut = mentorbot(wiki, workdir, *args)
    assert cut.returncode == 1
    assert f"{mentor_dump}: not a complete gzip file" in cut.stderr + cut.stdout
    assert admin.revision_count("Mentorship coverage") == 1

    wrong = mentorbot(wiki, workdir, "--api", wiki.api, "report", "mentors", "--states", str(states))
    assert wrong.returncode == 2 and "belong to the coverage report" in wrong.stderr


def test_growthexperiments_own_graduation_thresholds_win_where_the_community_turned_them_on() -> None:
    from bot.community import merge
    from bot.reports.graduation import GraduationSettings, parse_report_settings, thresholds

    own = parse_report_settings(json.dumps({"graduation": {"min_editcount": 50, "min_tenure_days": 10}}), "page")
    off = thresholds(merge({}, "defaults"), own)
    assert (off.min_editcount, off.min_tenure_days) == (50, 10) and "the bot's own" in str(off.source)
    on = thresholds(merge({"GEMentorshipStartOptedOutThresholds": {"enabled": True, "minEditcount": 200}}, "page"),
                    own)
    assert (on.min_editcount, on.min_tenure_days) == (200, 30) and str(on.source) == "the wiki's graduation thresholds"
    assert thresholds(merge({}, "defaults"), GraduationSettings()).min_editcount == 500


def test_a_malformed_report_settings_page_is_refused_by_its_key_path() -> None:
    from bot.errors import MalformedDocument
    from bot.reports.graduation import parse_report_settings

    with pytest.raises(MalformedDocument, match=r"\$\.graduation\.min_editcount: 'many' is not of type 'integer'"):
        parse_report_settings(json.dumps({"graduation": {"min_editcount": "many"}}), "[[MediaWiki:X.json]]")
    with pytest.raises(MalformedDocument, match=r"\$\.graduation: Additional properties are not allowed"):
        parse_report_settings(json.dumps({"graduation": {"invitation": True}}), "[[MediaWiki:X.json]]")


def test_progress_rewrites_one_line_on_a_terminal_and_writes_a_line_a_minute_to_a_log(
        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.runner import Progress

    terminal = Progress(print, terminal=True)
    for done in (5000, 10000, 15000):
        terminal(f"registrations: {done} new log entries stored")
    terminal.done()
    shown = capsys.readouterr().out
    assert shown.count("\r") == 3 and shown.endswith("15000 new log entries stored\n")

    now = [0.0]
    lines: list[str] = []
    log = Progress(lines.append, terminal=False, clock=lambda: now[0])
    for second in range(0, 181, 10):
        now[0] = float(second)
        log(f"at {second} s")
    assert lines == ["at 0 s", "at 60 s", "at 120 s", "at 180 s"]


def test_graduation_compares_the_account_age_in_seconds_as_growthexperiments_does() -> None:
    """More than 30 days means 30 days and one second, not 31 whole days; the edit count is 'at least'."""
    from bot.activity import MentorFacts
    from bot.reports.graduation import Thresholds

    limits = Thresholds(500, 30, "GrowthExperiments' graduation thresholds")
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)

    def met(age: timedelta, edits: int = 500) -> bool:
        return limits.met_by(MentorFacts(1, "Mentee", registration=now - age, editcount=edits), now)

    assert met(timedelta(days=30, hours=5))
    assert met(timedelta(days=30, seconds=1))
    assert not met(timedelta(days=30))
    assert not met(timedelta(days=40), edits=499)
    assert limits.met_by(MentorFacts(1, "Old account", registration=None, editcount=500), now)
