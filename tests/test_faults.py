"""Exactly once under faults: the blocked-mentee flow and the sweep behind a fault-injecting proxy.

About one request in five gets a fault (tests/faultproxy.py), writes whose answer is lost after
the wiki saved them included. Each scenario runs the bot's command line again after a run that a
fault ended, as a scheduler would, then once without faults; then checks what mentors and admins
would see. The seed is printed, so a failing run can be repeated.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.mentors import parse_mentor_page
from scripts.devwiki import backdate
from tests.conftest import DevWiki
from tests.faultproxy import FaultProxy
from tests.test_cli import mentorbot
from tests.wikiclient import WikiClient

SEEDS = (11, 22, 33)
PASSWORD = "fault-password-123"
RULES_PAGE = "MediaWiki:Mentorbot-sweep-rules.json"
RUN_LOG = "Project:Mentorship/Bot log"


def config_file(directory: Path, api: str) -> Path:
    path = directory / "mentorbot.toml"
    path.write_text(f'api = "{api}"\nstate_path = "{directory / "state.sqlite"}"\nedit_interval = 0\n'
                    "max_retries = 6\nretry_wait = 0.2\nretry_max = 1\n")
    return path


class Runs:
    """The bot's command, run as a scheduler would: again after a run a fault ended."""

    def __init__(self, wiki: DevWiki, workdir: Path, proxy: FaultProxy) -> None:
        self.wiki, self.workdir, self.proxy = wiki, workdir, proxy
        self.config = config_file(workdir.parent, proxy.api)
        self.outputs: list[subprocess.CompletedProcess[str]] = []

    def run(self, task: str, *, attempts: int = 6) -> subprocess.CompletedProcess[str]:
        for _attempt in range(attempts):
            result = mentorbot(self.wiki, self.workdir, "--config", str(self.config), task)
            self.outputs.append(result)
            if result.returncode == 0:
                return result
        raise AssertionError(f"{task} never ended cleanly in {attempts} runs ({self.proxy.report()}):\n"
                             f"{result.stdout}\n{result.stderr}")

    def clean(self, task: str) -> subprocess.CompletedProcess[str]:
        self.proxy.enabled = False
        try:
            result = mentorbot(self.wiki, self.workdir, "--config", str(self.config), task)
        finally:
            self.proxy.enabled = True
        self.outputs.append(result)
        return result

    def assert_no_traceback(self) -> None:
        for result in self.outputs:
            assert "Traceback" not in result.stdout + result.stderr, result.stderr
            assert "uncaught exception" not in result.stderr, result.stderr
        # Each run that failed said why in one sentence, and the summary line came all the same; a run
        # that ended well counts no error (faults it retried and answers it handled are not errors).
        for result in self.outputs:
            assert re.search(r"^mentorbot \w+: ", result.stdout, re.MULTILINE), result.stdout + result.stderr
            if result.returncode == 0:
                assert re.search(r"^mentorbot \w+: ok; .*, 0 errors, ", result.stdout, re.MULTILINE), result.stdout


def talk_pages(admin: WikiClient) -> dict[str, str]:
    pages = admin.get(list="allpages", apnamespace=3, aplimit="max")["query"]["allpages"]
    return {page["title"]: admin.page_text(page["title"]) or "" for page in pages}


@pytest.mark.parametrize("seed", SEEDS)
def test_block_notices_are_posted_exactly_once_under_faults(wiki: DevWiki, tmp_path: Path, seed: int) -> None:
    admin = wiki.admin()
    wiki.anonymous().create_account("Mentor A", PASSWORD)
    admin.post("growthmanagementorlist", geaction="add", username="Mentor A", weight=2)
    newcomers = [f"Newcomer {n}" for n in range(1, 7)]
    for name in newcomers:
        wiki.anonymous().create_account(name, PASSWORD)
    admin.edit("MediaWiki:Mentorbot-blocks.json", json.dumps({"restore": True}))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    with FaultProxy(wiki.api, seed) as proxy:
        print(f"fault seed {seed}")
        runs = Runs(wiki, workdir, proxy)
        runs.run("blocks")  # the first run starts from now
        runs.run("snapshot")
        admin.post("block", user="Newcomer 1", expiry="infinite", reason="vandalism")
        admin.post("block", user="Newcomer 2", expiry="1 day", reason="edit warring")
        admin.post("block", user="Newcomer 3", expiry="infinite", reason="spam")
        admin.post("block", user="Newcomer 4", expiry="3 days", partial=1, pagerestrictions="Main Page",
                   allowusertalk=1, reason="partial")
        runs.run("blocks")
        admin.post("unblock", user="Newcomer 1", reason="appeal")
        admin.post("block", user="Newcomer 5", expiry="1 week", reason="socks")
        admin.post("block", user="Newcomer 6", expiry="infinite", reason="lta")
        admin.post("unblock", user="Newcomer 3", reason="mistake")
        runs.run("blocks")
        final = runs.clean("blocks")
        print(f"{proxy.report()}; {len(runs.outputs)} runs")
    assert final.returncode == 0, final.stderr
    runs.assert_no_traceback()

    log = admin.get(list="logevents", letype="block", lelimit="max")["query"]["logevents"]
    mentee_entries = [entry["logid"] for entry in log if entry["title"].split(":", 1)[1] in newcomers]
    assert len(mentee_entries) == 8
    text = "\n".join(talk_pages(admin).values())
    for log_id in mentee_entries:
        assert text.count(f"<!-- mentorbot:block:{log_id} -->") == 1, (log_id, proxy.report())
    # The mentors restored after an indefinite block are the ones before it, and only said once.
    for mentee in ("Newcomer 1", "Newcomer 3"):
        mentor = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
        assert mentor["expandtemplates"]["wikitext"] == "Mentor A"
    assert text.count("The bot made you") == 2


def add_mentor(wiki: DevWiki, admin: WikiClient, name: str, weight: int, inactive_days: float = 0) -> int:
    user_id = wiki.anonymous().create_account(name, PASSWORD)
    WikiClient(wiki.api).login(name, PASSWORD).edit(f"Sandbox/{name}", "An edit.")
    admin.post("growthmanagementorlist", geaction="add", username=name, weight=weight)
    if inactive_days:
        backdate(wiki, name, inactive_days)
    return user_id


@pytest.mark.parametrize("seed", SEEDS)
def test_sweep_stages_and_moves_happen_exactly_once_under_faults(wiki: DevWiki, tmp_path: Path, seed: int) -> None:
    admin = wiki.admin()
    gone = add_mentor(wiki, admin, "Gone mentor", weight=4)
    mentees = [f"Newcomer {n}" for n in range(1, 5)]
    for name in mentees:  # the only auto-assigned mentor gets them all
        wiki.anonymous().create_account(name, PASSWORD)
    backdate(wiki, "Gone mentor", 70)
    lapsing = add_mentor(wiki, admin, "Lapsing mentor", weight=1, inactive_days=20)
    add_mentor(wiki, admin, "Busy mentor", weight=2)
    add_mentor(wiki, admin, "Steady mentor", weight=1)
    # No notice period, so that each run takes the next stage (runs a week apart would do the same).
    admin.edit(RULES_PAGE, json.dumps({"activity": {"measure": "last-edit"}, "warn_after_days": 10,
                                       "away_after_days": 14, "remove_after_days": 60, "max_action_share": 1,
                                       "run_log_page": RUN_LOG, "notice_days": 0}))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    with FaultProxy(wiki.api, seed) as proxy:
        print(f"fault seed {seed}")
        runs = Runs(wiki, workdir, proxy)
        runs.run("sweep")  # warnings
        # A human changes a mentor's message between runs, through GrowthExperiments.
        admin.post("growthmanagementorlist", geaction="change", username="Busy mentor",
                   message="Edited by a human between runs")
        runs.run("sweep")  # away marks
        runs.run("sweep")  # the removal, with the mentees moved and their new mentors told
        final = runs.clean("sweep")
        print(f"{proxy.report()}; {len(runs.outputs)} runs")
    assert final.returncode == 0, final.stderr
    assert ", 0 writes," in final.stdout  # nothing left to do
    runs.assert_no_traceback()

    pages = talk_pages(admin)
    lapsing_talk, gone_talk = pages["User talk:Lapsing mentor"], pages["User talk:Gone mentor"]
    for text, user_id, stages in ((lapsing_talk, lapsing, ("warn", "away")),
                                  (gone_talk, gone, ("warn", "away", "remove"))):
        for stage in stages:
            assert len(re.findall(rf"<!-- mentorbot:sweep:{stage}:{user_id}:", text)) == 1, (stage, proxy.report())
    listed, _anomalies = parse_mentor_page(admin.page_text("MediaWiki:GrowthMentors.json") or "")
    listed_ids = {mentor.user_id for mentor in listed}
    assert gone not in listed_ids and lapsing in listed_ids
    assert admin.get(list="growthmentormentee", gemmmentor="Gone mentor")["growthmentormentee"]["mentees"] == []
    for mentee in mentees:
        mentor = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
        assert mentor["expandtemplates"]["wikitext"] in ("Busy mentor", "Steady mentor")
    busy = next(mentor for mentor in listed if mentor.username == "Busy mentor")
    assert busy.message == "Edited by a human between runs"
    assert wiki.away_until("Lapsing mentor") is not None
    # Each move made once, logged once by GrowthExperiments and listed once in the run log (the mentors
    # who signed up while Gone mentor was the only one were its mentees too).
    moves = [entry for entry in admin.get(list="logevents", letype="growthexperiments", lelimit="max")["query"][
        "logevents"] if entry["params"].get("previous-mentor") == "Gone mentor"]
    moved = [entry["title"].split(":", 1)[1] for entry in moves]
    assert len(moved) == len(set(moved)) and set(mentees) <= set(moved)
    run_log = admin.page_text(RUN_LOG) or ""
    assert run_log.count("from [[Special:Contributions/Gone mentor|Gone mentor]] to ") == len(moved)
    receivers = {entry["params"].get("new-mentor") for entry in moves}
    for receiver in receivers:  # each mentor who received mentees is told once
        assert len(re.findall(rf"<!-- mentorbot:sweep-received:{gone}:", pages[f"User talk:{receiver}"])) == 1


# --- each failure found under faults, on its own ------------------------------------------------


def once(kind: str, method: str = "POST", **match: str) -> Callable[[str, dict[str, list[str]]], str | None]:
    """A fault for the first request that has these parameters, and for no other."""
    fired: list[bool] = []

    def script(request_method: str, params: dict[str, list[str]]) -> str | None:
        if fired or request_method != method or any(params.get(key, [""])[0] != value for key, value in match.items()):
            return None
        fired.append(True)
        return kind

    return script


def retry_lines(result: subprocess.CompletedProcess[str]) -> int:
    """Lines about retried requests; fails on any other line of pywikibot's (warnings, tracebacks)."""
    lines = [line for line in result.stderr.splitlines() if line and not line.startswith("Logging in to ")]
    assert all(line.startswith("note: retrying ") for line in lines), result.stderr
    return len(lines)


def mentors_with_mentees(wiki: DevWiki, admin: WikiClient) -> list[str]:
    """Gone mentor, inactive for 70 days, with three mentees; Busy mentor, active."""
    add_mentor(wiki, admin, "Gone mentor", weight=4)
    mentees = [f"Newcomer {n}" for n in range(1, 4)]
    for name in mentees:
        wiki.anonymous().create_account(name, PASSWORD)
    backdate(wiki, "Gone mentor", 70)
    add_mentor(wiki, admin, "Busy mentor", weight=2)
    admin.edit(RULES_PAGE, json.dumps({"activity": {"measure": "last-edit"}, "remove_after_days": 60,
                                       "max_action_share": 1}))
    return mentees


def block_notice_through(wiki: DevWiki, tmp_path: Path, fault: str,
                         attempts: int = 6) -> tuple[Runs, subprocess.CompletedProcess[str]]:
    """A mentee of Mentor A blocked, and the blocks task run with one ``fault`` on the notice's edit."""
    admin = wiki.admin()
    wiki.anonymous().create_account("Mentor A", PASSWORD)
    admin.post("growthmanagementorlist", geaction="add", username="Mentor A", weight=2)
    wiki.anonymous().create_account("Newcomer 1", PASSWORD)
    (tmp_path / "cwd").mkdir()
    with FaultProxy(wiki.api, 0, rate=0, script=once(fault, action="edit")) as proxy:
        runs = Runs(wiki, tmp_path / "cwd", proxy)
        runs.run("blocks")
        admin.post("block", user="Newcomer 1", expiry="1 day", reason="test")
        result = runs.run("blocks", attempts=attempts)
        assert proxy.faults == {fault: 1}
    return runs, result


def test_a_lost_answer_to_a_notice_never_posts_it_twice(wiki: DevWiki, tmp_path: Path) -> None:
    runs, result = block_notice_through(wiki, tmp_path, "lost-answer")
    runs.assert_no_traceback()
    assert retry_lines(result) == 1, result.stderr
    text = wiki.admin().page_text("User talk:Mentor A") or ""
    assert text.count("<!-- mentorbot:block:") == 1 and text.count("== Blocks of your mentees ==") == 1


def test_a_stale_token_is_fetched_again_and_the_notice_posted_once(wiki: DevWiki, tmp_path: Path) -> None:
    _runs, result = block_notice_through(wiki, tmp_path, "badtoken", attempts=1)
    assert retry_lines(result) == 1, result.stderr
    assert wiki.admin().revision_count("User talk:Mentor A") == 1


@pytest.mark.parametrize("lost", ["growthmanagementorlist", "growthsetmentor"])
def test_a_lost_answer_to_a_removal_or_a_move_still_ends_in_moved_mentees_and_a_told_mentor(
        wiki: DevWiki, tmp_path: Path, lost: str) -> None:
    """The retry answers not-in-the-list (removal) or already-the-mentor (move): both mean done."""
    admin = wiki.admin()
    mentees = mentors_with_mentees(wiki, admin)
    (tmp_path / "cwd").mkdir()
    with FaultProxy(wiki.api, 0, rate=0, script=once("lost-answer", action=lost)) as proxy:
        result = Runs(wiki, tmp_path / "cwd", proxy).run("sweep", attempts=1)
        assert proxy.faults == {"lost-answer": 1}
    for mentee in mentees:
        assert f"moved {mentee}: Gone mentor -> Busy mentor" in result.stdout
        mentor = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
        assert mentor["expandtemplates"]["wikitext"] == "Busy mentor"
    assert "was not moved" not in result.stdout and "refused:" not in result.stdout
    assert retry_lines(result) == 1, result.stderr
    assert (admin.page_text("User talk:Gone mentor") or "").count("You were removed from the mentor list") == 1


@pytest.mark.parametrize("kind", ["cut", "503", "500-html", "drop", "ratelimited"])
def test_a_fault_the_bot_retries_is_one_line_not_a_crash(wiki: DevWiki, tmp_path: Path, kind: str) -> None:
    (tmp_path / "cwd").mkdir()
    with FaultProxy(wiki.api, 0, rate=0, script=once(kind, list="growthmentorlist")) as proxy:
        result = Runs(wiki, tmp_path / "cwd", proxy).run("mentors", attempts=1)
        assert proxy.faults == {kind: 1}
    assert retry_lines(result) == 1, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("mentorbot mentors: ok;")


def test_an_answer_cut_during_login_is_retried(wiki: DevWiki, tmp_path: Path) -> None:
    (tmp_path / "cwd").mkdir()
    with FaultProxy(wiki.api, 0, rate=0, script=once("cut", action="login")) as proxy:
        result = Runs(wiki, tmp_path / "cwd", proxy).run("mentors", attempts=1)
        assert proxy.faults == {"cut": 1}
    assert "Login failed" not in result.stderr
    assert retry_lines(result) == 1 and "note: retrying the login" in result.stderr, result.stderr


def test_with_log_json_a_retry_is_one_event(wiki: DevWiki, tmp_path: Path) -> None:
    (tmp_path / "cwd").mkdir()
    with FaultProxy(wiki.api, 0, rate=0, script=once("500-html", list="growthmentorlist")) as proxy:
        runs = Runs(wiki, tmp_path / "cwd", proxy)
        result = mentorbot(wiki, runs.workdir, "--log", "json", "--config", str(runs.config), "mentors")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    retries = [event for event in events if event["event"] == "retry"]
    assert len(retries) == 1 and retries[0]["text"].startswith("retrying a request: ")
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr


def test_a_cut_manage_mentors_page_is_read_again_not_taken_as_nobody_away(wiki: DevWiki, tmp_path: Path) -> None:
    """A page cut short would lack rows: it is retried, so an away mentor is never taken for an active one."""
    admin = wiki.admin()
    wiki.anonymous().create_account("Away mentor", PASSWORD)
    back = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    admin.post("growthmanagementorlist", geaction="add", username="Away mentor", weight=2, isaway=1,
               awaytimestamp=back.strftime("%Y-%m-%dT%H:%M:%SZ"))
    (tmp_path / "cwd").mkdir()
    with FaultProxy(wiki.api, 0, rate=0, script=once("cut", method="GET", title="Special:ManageMentors")) as proxy:
        result = Runs(wiki, tmp_path / "cwd", proxy).run("mentors", attempts=1)
        assert proxy.faults == {"cut": 1}
    assert "could not be read" not in result.stdout
    assert re.search(rf"^Away mentor +\d+ +2 +{back:%Y-%m-%d}", result.stdout, re.MULTILINE), result.stdout
    assert retry_lines(result) == 1, result.stderr
