"""The command line as an operator meets it: a real process against the test wiki."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import BotConfig
from bot.errors import ConfigError
from bot.state import StateStore, open_store
from scripts.devdb import MariaServer
from scripts.devwiki import backdate
from tests.conftest import DevWiki, both_flavours, child_env, content_digest, run_maintenance
from tests.wikiclient import WikiClient

MENTORBOT = Path(sys.executable).with_name("mentorbot")


def mentorbot(wiki: DevWiki, cwd: Path, *args: str, env: dict[str, str] | None = None,
              user: str | None = None, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console command from an empty directory with credentials in the environment only."""
    command = [str(MENTORBOT)] if MENTORBOT.exists() else [sys.executable, "-m", "bot"]
    environment = {
        "PATH": os.environ["PATH"], "HOME": str(cwd.parent / "home"), "XDG_STATE_HOME": str(cwd.parent / "state"),
        "MENTORBOT_USERNAME": user or wiki.bot_user, "MENTORBOT_PASSWORD": password or wiki.bot_password,
        **(env or {}),
    }
    return subprocess.run([*command, *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    directory = tmp_path / "cwd"
    directory.mkdir()
    return directory


@both_flavours
def test_mentors_needs_nothing_but_the_api_url_and_two_variables(wiki: DevWiki, workdir: Path) -> None:
    result = mentorbot(wiki, workdir, "--api", wiki.api, "mentors")
    assert result.returncode == 0, result.stderr
    assert list(workdir.iterdir()) == []  # no family file, no user-config, no cookies here
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("mentorbot mentors: ok; ")
    assert re.search(r"; \d+ requests, 0 writes, 0 notices, 0 errors, ", last), last


@both_flavours
def test_json_output_is_one_document_with_the_summary(wiki: DevWiki, workdir: Path) -> None:
    result = mentorbot(wiki, workdir, "--json", "--api", wiki.api, "mentors")
    document = json.loads(result.stdout)
    assert document["result"]["mentors"] == []
    assert document["summary"]["outcome"] == "ok"
    assert document["summary"]["requests"] >= 3
    assert set(document["summary"]) >= {"requests", "writes", "notices", "errors", "seconds"}


@both_flavours
def test_a_malformed_list_is_refused_with_its_json_path(wiki: DevWiki, workdir: Path) -> None:
    # A content-model change is how a list escapes validation on master; REL1_43 refuses that too.
    saved = wiki.admin().edit("MediaWiki:GrowthMentors.json", json.dumps({"Mentors": {"3": {"colour": "blue"}}}),
                              contentmodel="text", check=False)
    result = mentorbot(wiki, workdir, "--api", wiki.api, "mentors", "--source", "page")
    if wiki.growth == "real":
        assert saved["error"]["code"] == "growthexperiments-config-validator-contentmodel-mismatch"
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1
    assert '[[MediaWiki:GrowthMentors.json]] is malformed at $.Mentors["3"].colour: unknown key' in result.stderr
    assert ", 1 error," in result.stdout
    assert "Traceback" not in result.stderr


@both_flavours
def test_a_list_growthexperiments_accepts_never_stops_the_bot(wiki: DevWiki, workdir: Path) -> None:
    """A weight of 3 saved directly: GrowthExperiments takes it (as 3 tickets), so the bot reads it and warns."""
    admin = wiki.admin()
    mentor_id = wiki.anonymous().create_account("Heavy mentor", "heavy-mentor-password-1")
    admin.post("growthmanagementorlist", geaction="add", username="Heavy mentor", weight=2)
    listed = json.loads(admin.page_text("MediaWiki:GrowthMentors.json") or "{}")
    listed["Mentors"][str(mentor_id)]["weight"] = 3
    admin.edit("MediaWiki:GrowthMentors.json", json.dumps(listed))  # GE's own validation lets it through
    for source, path in (("api", f'$.growthmentorlist["{mentor_id}"].weight'),
                         ("page", f'$.Mentors["{mentor_id}"].weight')):
        result = mentorbot(wiki, workdir, "--api", wiki.api, "mentors", "--source", source)
        assert result.returncode == 0, result.stderr
        assert f"warning: {path}: 3 is not one of 0, 1, 2, 4; GrowthExperiments uses it as 3 tickets" in result.stdout
        assert re.search(r"^Heavy mentor +\d+ +3$", result.stdout, re.MULTILINE)
    snapshot = mentorbot(wiki, workdir, "--api", wiki.api, "snapshot")
    assert snapshot.returncode == 0, snapshot.stderr
    assert "Traceback" not in snapshot.stderr + snapshot.stdout


def test_a_second_run_of_the_same_task_refuses(wiki: DevWiki, workdir: Path) -> None:
    (workdir.parent / "state" / "mentorbot").mkdir(parents=True)  # where the bot's default store lives
    store = StateStore(workdir.parent / "state" / "mentorbot" / "state.sqlite")
    with store.run_lock(wiki.api, "mentors"):
        result = mentorbot(wiki, workdir, "--api", wiki.api, "mentors")
    assert result.returncode == 4
    assert "Another 'mentors' run for" in result.stderr
    assert re.search(r"; 0 requests, 0 writes,", result.stdout), result.stdout  # it did not even log in
    assert "Traceback" not in result.stderr


def test_check_names_each_missing_right_in_a_sentence(wiki: DevWiki, workdir: Path) -> None:
    wiki.anonymous().create_account("Plain editor", "plain-editor-password-1")
    result = mentorbot(wiki, workdir, "--api", wiki.api, "check",
                       user="Plain editor", password="plain-editor-password-1")
    assert result.returncode == 1
    assert ("problem: The account lacks the right 'managementors', so the bot cannot mark mentors "
            "away and remove them") in result.stdout
    assert "problem: The account lacks the right 'bot'" in result.stdout


def test_check_says_when_the_wiki_cannot_be_reached(wiki: DevWiki, workdir: Path) -> None:
    result = mentorbot(wiki, workdir, "--api", "http://127.0.0.1:9/api.php", "check",
                       env={"MENTORBOT_CONFIG": ""})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Cannot reach the wiki at http://127.0.0.1:9/api.php: the connection was refused (is the host and port "
        "right, and the wiki running?)."]
    unknown = mentorbot(wiki, workdir, "--api", "http://no-such-host.invalid/w/api.php", "check",
                        env={"MENTORBOT_CONFIG": ""})
    assert unknown.stderr.strip().splitlines() == [
        "Cannot reach the wiki at http://no-such-host.invalid/w/api.php: the host name does not resolve (is it "
        "spelled right?)."]


def test_a_config_file_with_an_unknown_key_is_refused(wiki: DevWiki, workdir: Path) -> None:
    config = workdir.parent / "mentorbot.toml"
    config.write_text('api = "http://127.0.0.1/api.php"\nmax_edits = 5\n')
    result = mentorbot(wiki, workdir, "--config", str(config), "mentors")
    assert result.returncode == 2
    assert "unknown key 'max_edits'" in result.stderr


def seed_mentors(wiki: DevWiki) -> dict[str, int]:
    """Three mentors as GrowthExperiments' own module writes them; returns their user ids."""
    admin = wiki.admin()
    back = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = {}
    for name, params in (
        ("Alice Mentor", {"weight": 4, "message": "Ask me about sources."}),
        ("Bob Mentor", {"weight": 2, "isaway": 1, "awaytimestamp": back}),
        ("Carol Mentor", {"weight": 0}),
    ):
        ids[name] = wiki.anonymous().create_account(name, "mentor-password-123")
        admin.post("growthmanagementorlist", geaction="add", username=name, **params)
    return ids


@both_flavours
def test_mentors_through_the_module_and_through_the_page_agree(wiki: DevWiki, workdir: Path) -> None:
    ids = seed_mentors(wiki)
    by_module = json.loads(mentorbot(wiki, workdir, "--json", "--api", wiki.api, "mentors",
                                     "--source", "api").stdout)
    by_page = json.loads(mentorbot(wiki, workdir, "--json", "--api", wiki.api, "mentors").stdout)
    assert by_module["result"]["source"] == "api" and by_page["result"]["source"] == "page"
    assert by_page["result"]["served_not_listed"] == by_page["result"]["listed_not_served"] == []
    mentors = {m["username"]: m for m in by_module["result"]["mentors"]}
    assert {name: m["user_id"] for name, m in mentors.items()} == ids
    assert mentors["Alice Mentor"]["weight"] == 4
    assert mentors["Alice Mentor"]["message"] == "Ask me about sources."
    assert mentors["Carol Mentor"]["weight"] == 0
    assert mentors["Bob Mentor"]["away_until"] is not None
    assert mentors["Alice Mentor"]["away_until"] is None
    assert by_page["result"]["mentors"] == by_module["result"]["mentors"]

    # A direct edit drops Carol: the page counts; GE master's module still lists her for a day.
    admin = wiki.admin()
    page = json.loads(admin.page_text("MediaWiki:GrowthMentors.json") or "{}")
    del page["Mentors"][str(ids["Carol Mentor"])]
    admin.edit("MediaWiki:GrowthMentors.json", json.dumps(page))
    after = mentorbot(wiki, workdir, "--api", wiki.api, "mentors")
    assert "Carol Mentor" not in after.stdout.split("2 mentors, read from the JSON page")[0]
    said = "note: The wiki still counts Carol Mentor as a mentor though the mentor list no longer does"
    assert (said in after.stdout) == (wiki.growth == "standin")


@both_flavours
def test_mentors_prints_a_table(wiki: DevWiki, workdir: Path) -> None:
    seed_mentors(wiki)
    result = mentorbot(wiki, workdir, "--api", wiki.api, "mentors")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "id", "weight", "away", "until", "message"]
    alice = next(line for line in lines if line.startswith("Alice Mentor"))
    assert alice.split()[3] == "4" and alice.endswith("Ask me about sources.")
    assert "3 mentors, read from the JSON page" in result.stdout


def test_check_passes_for_the_test_wikis_bot_account(wiki: DevWiki, workdir: Path) -> None:
    result = mentorbot(wiki, workdir, "--api", wiki.api, "check")
    assert result.returncode == 0, result.stdout
    assert "No problems found." in result.stdout
    lines = result.stdout.splitlines()
    modules = next(line for line in lines if line.startswith("GrowthExperiments modules: "))
    assert "growthmanagementorlist" in modules and "{" not in modules
    assert ("community settings (defaults): mentorship off; GrowthExperiments' own cleaner: away marks off, "
            "removals off") in lines
    assert "stop switch: [[User:MentorBot/Stop]] off" in lines
    assert lines[-1].startswith("mentorbot check: ok;")


def test_check_opens_the_state_store_on_mariadb_and_names_a_refused_login(wiki: DevWiki, workdir: Path,
                                                                         mariadb: MariaServer) -> None:
    url = mariadb.new_database()
    result = mentorbot(wiki, workdir, "--api", wiki.api, "check", env={"MENTORBOT_STATE_URL": url})
    assert result.returncode == 0, result.stdout
    assert f"state store: {url.replace(':test-password', '')}" in result.stdout
    assert open_store(BotConfig(state_url=url)).db.table_names()  # its tables are there for the first job
    refused = mentorbot(wiki, workdir, "--api", wiki.api, "check",
                        env={"MENTORBOT_STATE_URL": url.replace("test-password", "wrong")})
    assert refused.returncode == 1
    assert "problem: The state store mariadb://mentorbot@127.0.0.1" in refused.stdout
    assert "cannot be used: Access denied for user 'mentorbot'" in refused.stdout
    assert "wrong" not in refused.stdout + refused.stderr  # the password is never printed


def test_check_reports_a_stop_switch_that_is_on(wiki: DevWiki, workdir: Path) -> None:
    wiki.admin().edit("User:MentorBot/Stop", "stop")
    result = mentorbot(wiki, workdir, "--api", wiki.api, "check")
    assert result.returncode == 1
    assert "problem: The stop switch [[User:MentorBot/Stop]] is on ('stop')" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("mentorbot check: 1 problem found;")
    # A long reason with a link is shown whole, on one line.
    reason = "Stopped while [[Wikipedia:Bots/Noticeboard#Mentorship bot|the noticeboard]] discusses\nthe notices"
    wiki.admin().edit("User:MentorBot/Stop", reason)
    result = mentorbot(wiki, workdir, "--api", wiki.api, "check")
    assert (f"problem: The stop switch [[User:MentorBot/Stop]] is on ({' '.join(reason.split())!r}): clear it or "
            "write 'run'.") in result.stdout.splitlines()


@both_flavours
def test_community_settings_are_read_where_the_wiki_keeps_them(wiki: DevWiki, workdir: Path) -> None:
    plain = mentorbot(wiki, workdir, "--api", wiki.api, "check").stdout
    assert "found: away status: readable on Special:ManageMentors" in plain
    assert "found: moving mentees: growthsetmentor" in plain
    assert "found: global locks: meta=globaluserinfo (CentralAuth)" in plain
    if wiki.growth == "real":
        # REL1_43 without CommunityConfiguration: $wgGE... settings and GrowthExperimentsConfig.json,
        # mentorship on by default (and on here: newcomers get mentors).
        assert "found: settings: no CommunityConfiguration" in plain
        document = json.loads(mentorbot(wiki, workdir, "--json", "--api", wiki.api, "check").stdout)
        settings = document["result"]["facts"]["community_settings"]
        assert settings["source"] == "legacy defaults"
        assert settings["GEMentorshipEnabled"] is True
        assert not any("switched off" in note for note in document["result"]["notes"])
        return
    assert "found: settings: CommunityConfiguration (the Mentorship provider)" in plain
    # CommunityConfiguration reads a page with a $version only when asked for that version.
    wiki.admin().edit("MediaWiki:GrowthExperimentsMentorship.json",
                      json.dumps({"$version": "1.0.0", "GEMentorshipEnabled": True,
                                  "GEMentorshipShouldBeAutoremoved": True}))
    document = json.loads(mentorbot(wiki, workdir, "--json", "--api", wiki.api, "check").stdout)
    settings = document["result"]["facts"]["community_settings"]
    assert settings["source"] == "communityconfiguration"
    assert settings["GEMentorshipEnabled"] is True and settings["GEMentorshipShouldBeAutoremoved"] is True
    assert any("own cleaner is on" in note for note in document["result"]["notes"])


def test_a_bot_password_without_a_grant_is_named(wiki: DevWiki, workdir: Path) -> None:
    run_maintenance(wiki, "createBotPassword", "--appid", "narrow", "--grants", "basic,editpage",
                    "MentorBot", "narrowbotpasswordnarrowbotpassword00")
    # A session of the full BotPassword from an earlier run must not lend the narrow one its grants.
    assert mentorbot(wiki, workdir, "--api", wiki.api, "mentors").returncode == 0
    result = mentorbot(wiki, workdir, "--api", wiki.api, "check",
                       user="MentorBot@narrow", password="narrowbotpasswordnarrowbotpassword00")
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem: ")]
    assert problems == [
        "problem: The bot password lacks the grant 'highvolume', so the bot cannot flag its edits as bot edits "
        "(right 'bot'): tick it in Special:BotPasswords.",
        "problem: The bot password lacks the grant 'managementorship', so the bot cannot mark mentors away and "
        "remove them or move mentees to another mentor (rights 'managementors', 'setmentor'): tick it in "
        "Special:BotPasswords.",
        "problem: The bot password lacks the grant 'editinterface', so the bot cannot edit "
        "MediaWiki:GrowthMentors.json where the modules are missing (right 'editinterface'): tick it in "
        "Special:BotPasswords.",
        "problem: The bot password lacks the grant 'editsiteconfig', so the bot cannot edit "
        "MediaWiki:GrowthMentors.json where the modules are missing (right 'editsitejson'): tick it in "
        "Special:BotPasswords."]
    assert result.stdout.splitlines()[-1].startswith("mentorbot check: 4 problems found;")


def test_a_wrong_password_fails_check_and_tasks_even_after_a_good_run(wiki: DevWiki, workdir: Path) -> None:
    assert mentorbot(wiki, workdir, "--api", wiki.api, "check").returncode == 0  # a session cookie is kept
    for command in ("check", "mentors"):
        wrong = mentorbot(wiki, workdir, "--api", wiki.api, command, password="totally-wrong")
        assert wrong.returncode == 1, command
        assert (f"Login to {wiki.api} as {wiki.bot_user} failed: ") in wrong.stderr, command
        assert "Check the password Special:BotPasswords gave" in wrong.stderr
        assert "Traceback" not in wrong.stderr and "127-0-0-1" not in wrong.stdout + wrong.stderr
    plain = mentorbot(wiki, workdir, "--api", wiki.api, "check", user="MentorBot", password="totally-wrong")
    assert "A BotPassword logs in as Name@app" in plain.stderr


def test_missing_credentials_are_explained_in_the_bots_words(wiki: DevWiki, workdir: Path) -> None:
    result = mentorbot(wiki, workdir, "--api", wiki.api, "mentors",
                       env={"MENTORBOT_USERNAME": "", "MENTORBOT_PASSWORD": ""})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "No credentials: set MENTORBOT_USERNAME and MENTORBOT_PASSWORD (a BotPassword: Name@app and its password), "
        "or username and password in the config file, or give pywikibot a password file.")
    assert "user-config.py" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    good = mentorbot(wiki, workdir, "--api", wiki.api, "mentors")
    assert "Logging in to" not in good.stdout + good.stderr and "127-0-0-1" not in good.stdout + good.stderr


def test_pywikibots_password_file_works_without_environment_credentials(wiki: DevWiki, workdir: Path) -> None:
    pywikibot_dir = workdir.parent / "pywikibot"
    pywikibot_dir.mkdir()
    (pywikibot_dir / "user-config.py").write_text(
        "family = 'wikipedia'\nmylang = 'en'\npassword_file = 'user-password.py'\n")
    password_file = pywikibot_dir / "user-password.py"
    password_file.write_text(f"('MentorBot', BotPassword('mentorbot', {wiki.bot_password!r}))\n")
    password_file.chmod(0o600)
    config = workdir.parent / "mentorbot.toml"
    config.write_text(f'api = "{wiki.api}"\nusername = "MentorBot"\n')
    result = mentorbot(wiki, workdir, "--config", str(config), "mentors",
                       env={"PYWIKIBOT_DIR": str(pywikibot_dir), "MENTORBOT_USERNAME": "",
                            "MENTORBOT_PASSWORD": ""})
    assert result.returncode == 0, result.stderr
    assert "mentorbot mentors: ok" in result.stdout

    password_file.chmod(0o644)  # readable by everyone on a shared host such as Toolforge
    refused = mentorbot(wiki, workdir, "--config", str(config), "mentors",
                        env={"PYWIKIBOT_DIR": str(pywikibot_dir), "MENTORBOT_USERNAME": "",
                             "MENTORBOT_PASSWORD": ""})
    assert refused.returncode == 2
    assert f"The password file {password_file} can be read or changed by others (mode 644)" in refused.stderr
    assert "requests, 0 writes" in refused.stdout


SWEEP_RULES = {"activity": {"measure": "last-edit"}, "away_after_days": 14, "remove_after_days": 60}


def test_sweep_dry_run_from_the_command_line(wiki: DevWiki, workdir: Path) -> None:
    seed_mentors(wiki)
    admin = wiki.admin()
    for name in ("Alice Mentor", "Carol Mentor"):  # active
        WikiClient(wiki.api).login(name, "mentor-password-123").edit(f"Sandbox/{name}", "Hi.")
    WikiClient(wiki.api).login("Bob Mentor", "mentor-password-123").edit("Sandbox/Bob", "Hi.")
    backdate(wiki, "Bob Mentor", 70)
    # Away for five more days, before the removal a notice period from now: no away mark is due first.
    admin.post("growthmanagementorlist", geaction="change", username="Bob Mentor", isaway=1,
               awaytimestamp=(datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    admin.edit("MediaWiki:Mentorbot-sweep-rules.json", json.dumps(SWEEP_RULES))
    before = content_digest(wiki)
    result = mentorbot(wiki, workdir, "--dry-run", "--api", wiki.api, "sweep")
    assert result.returncode == 5, result.stdout + result.stderr  # 1 of 3 is over the default 20 %
    assert "remove Bob Mentor: no edit since" in result.stdout
    assert "Stopped before acting: 1 of 3 mentors (33%)" in result.stdout
    forced = mentorbot(wiki, workdir, "--dry-run", "--api", wiki.api, "sweep", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "DRY RUN: would POST action=growthmanagementorlist geaction=remove username=Bob Mentor" in forced.stdout
    assert "+== You were removed from the mentor list ==" in forced.stdout
    assert "3 mentors: 0 warned, 0 marked away, 1 removed" in forced.stdout
    assert content_digest(wiki) == before

    # The same run as log lines: one JSON object each, naming the wiki and the task.
    logged = mentorbot(wiki, workdir, "--dry-run", "--log", "json", "--api", wiki.api, "sweep", "--force")
    assert logged.returncode == 0, logged.stderr
    events = [json.loads(line) for line in logged.stdout.splitlines()]
    assert all(event["wiki"] == wiki.api and event["task"] == "sweep" and event["time"] for event in events)
    decisions = {event["mentor"]: event for event in events if event["event"] == "decision"}
    assert decisions["Bob Mentor"]["action"] == "remove" and "no edit since" in decisions["Bob Mentor"]["reason"]
    assert decisions["Bob Mentor"]["rule"] == "the days since the last edit" and decisions["Bob Mentor"]["days"] >= 70
    summary = events[-1]
    assert summary["event"] == "summary" and summary["outcome"] == "ok" and summary["requests"] > 0
    assert summary["dry_run_writes"] >= 1


def test_sweep_refuses_an_invalid_rules_page_by_its_key_path(wiki: DevWiki, workdir: Path) -> None:
    wiki.admin().edit("MediaWiki:Mentorbot-sweep-rules.json",
                      json.dumps({**SWEEP_RULES, "away_after_days": 90}))
    result = mentorbot(wiki, workdir, "--api", wiki.api, "sweep")
    assert result.returncode == 1
    assert ("[[MediaWiki:Mentorbot-sweep-rules.json]] is malformed at $.remove_after_days: "
            "must be more than away_after_days (90)") in result.stderr


def test_sweep_without_a_rules_page_says_how_to_start(wiki: DevWiki, workdir: Path) -> None:
    result = mentorbot(wiki, workdir, "--api", wiki.api, "sweep")
    assert result.returncode == 1  # as the README says: a missing or bad rules page is 1
    assert "The rules page [[MediaWiki:Mentorbot-sweep-rules.json]] does not exist" in result.stderr


def test_status_shows_each_tasks_last_run_pending_work_and_the_stop_switch(wiki: DevWiki, workdir: Path) -> None:
    assert mentorbot(wiki, workdir, "--api", wiki.api, "mentors").returncode == 0
    assert mentorbot(wiki, workdir, "--api", wiki.api, "blocks").returncode == 0  # starts the block-log cursor
    for _attempt in range(2):  # two failures in a row: a rules page that does not exist (1, as the README says)
        assert mentorbot(wiki, workdir, "--api", wiki.api, "sweep").returncode == 1
    result = mentorbot(wiki, workdir, "--api", wiki.api, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    store = workdir.parent / "state" / "mentorbot" / "state.sqlite"
    assert re.fullmatch(rf"state store: {re.escape(str(store))}, first run \d+ min ago; 4 runs, 0 snapshots, "
                        r"0 mentorship pairs seen, 0 account registrations, 0 block notices, 0 graduations, "
                        r"0 mentee moves, 1 log cursor, 0 mentor changes and blocks logged, "
                        r"0 revisions of the mentor list", lines[0]), lines[0]
    assert lines[1] == wiki.api
    assert lines[-1] == f"mentorbot status: 1 wiki; last run failed: {wiki.api} sweep"
    assert any(line.split()[:2] == ["mentors", "ok"] for line in lines)
    assert any(line.split()[:2] == ["sweep", "error"] and "2 failed runs in a row" in line for line in lines)
    assert any(line.startswith("  pending: block log: read up to ") for line in lines)
    # Each task keeps pywikibot's files apart, so one task's edits never wait for another's throttle.
    runtime = workdir.parent / "state" / "mentorbot" / "pywikibot"
    assert {path.parent.name.rsplit("-", 1)[0] for path in runtime.glob("*/throttle.ctrl")} == {
        "mentors", "blocks", "sweep"}
    assert f"  stop switch: off ([[User:{wiki.bot_user.split('@')[0]}/Stop]])" in lines

    wiki.admin().edit(f"User:{wiki.bot_user.split('@')[0]}/Stop", "Stop: the bot moved mentees wrongly")
    document = json.loads(mentorbot(wiki, workdir, "--api", wiki.api, "--json", "status").stdout)
    assert document["summary"]["failing"] == [f"{wiki.api} sweep"] and document["summary"]["rows"]["runs"] == 4
    stop = document["result"][wiki.api]["stop_switch"]
    assert stop.startswith("ON:") and "moved mentees wrongly" in stop
    assert {t["task"]: t["outcome"] for t in document["result"][wiki.api]["tasks"]} == {
        "mentors": "ok", "blocks": "ok", "sweep": "error"}

    # With the stop switch on, a writing task stops at once and says so, though it had nothing to write;
    # check finds the switch a problem, and its run shows in status as well.
    blocks = mentorbot(wiki, workdir, "--api", wiki.api, "blocks")
    assert blocks.returncode == 3
    assert ("Stopped by the stop switch on [[User:MentorBot/Stop]], which says: 'Stop: the bot moved mentees "
            "wrongly'") in blocks.stdout + blocks.stderr
    assert blocks.stdout.splitlines()[-1].startswith("mentorbot blocks: stopped;")
    assert mentorbot(wiki, workdir, "--api", wiki.api, "check").returncode == 1
    document = json.loads(mentorbot(wiki, workdir, "--api", wiki.api, "--json", "status").stdout)
    assert {t["task"]: t["outcome"] for t in document["result"][wiki.api]["tasks"]} == {
        "mentors": "ok", "blocks": "stopped", "sweep": "error", "check": "1 problem found"}


def test_all_wikis_runs_each_in_turn_and_names_the_one_that_failed(wiki: DevWiki, workdir: Path) -> None:
    config = workdir.parent / "mentorbot.toml"
    config.write_text('contact = "operator"\n'
                      f'[wikis.local]\napi = "{wiki.api}"\nrules_page = "Project:Rules.json"\n'
                      '[wikis.broken]\napi = "http://127.0.0.1:9/api.php"\n')
    result = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "mentors")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"== local ({wiki.api}) =="
    assert "== broken (http://127.0.0.1:9/api.php) ==" in lines
    assert any(line.startswith("mentorbot mentors: ok;") for line in lines)
    assert lines[-1] == "mentorbot mentors on 2 wikis: 1 ok, failed: broken (error, exit code 1)"
    assert "Cannot reach the wiki at http://127.0.0.1:9/api.php" in result.stderr

    document = json.loads(mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "--json",
                                    "mentors").stdout)
    assert document["failed"] == ["broken"]
    assert document["wikis"]["local"]["summary"]["outcome"] == "ok"
    # Each wiki's runs are recorded under its own name for `mentorbot status`.
    status = mentorbot(wiki, workdir, "--config", str(config), "--api", wiki.api, "status").stdout
    assert "http://127.0.0.1:9/api.php\n  mentors              error" in status

    both = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "--api", wiki.api, "mentors")
    assert both.returncode == 2 and "leave out --api" in both.stderr


def test_all_wikis_on_two_real_wikis_with_the_state_on_mariadb(wiki: DevWiki, second_wiki: DevWiki, workdir: Path,
                                                               mariadb: MariaServer) -> None:
    """Toolforge's shape: one config, two wikis, one shared store on a database server; one wiki is broken."""
    wiki.anonymous().create_account("Mentor A", "mentor-a-password-1234")
    wiki.admin().post("growthmanagementorlist", geaction="add", username="Mentor A", weight=2)
    second_wiki.admin().edit("MediaWiki:GrowthMentors.json", json.dumps({"Mentors": {"3": {"colour": "blue"}}}),
                             contentmodel="text")
    config = workdir.parent / "mentorbot.toml"
    config.write_text(f'[wikis.first]\napi = "{wiki.api}"\n[wikis.second]\napi = "{second_wiki.api}"\n')
    url = mariadb.new_database()
    env = {"MENTORBOT_STATE_URL": url}

    store = open_store(BotConfig(state_url=url))
    with store.run_lock(wiki.api, "mentors"):  # a run of the first wiki, in another job on another host
        held = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "mentors", "--source", "page",
                         env=env)
    assert held.returncode == 1
    assert held.stdout.splitlines()[-1] == ("mentorbot mentors on 2 wikis: 0 ok, failed: first (error, exit code 4), "
                                           "second (error, exit code 1)")
    assert f"Another 'mentors' run for {wiki.api} is in progress" in held.stderr

    result = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "--json", "mentors", "--source", "page",
                       env=env)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["failed"] == ["second"]
    assert [mentor["username"] for mentor in document["wikis"]["first"]["result"]["mentors"]] == ["Mentor A"]
    assert "[[MediaWiki:GrowthMentors.json]] is malformed at $.Mentors[\"3\"].colour" in \
        document["wikis"]["second"]["message"]

    second_wiki.admin().edit("User:MentorBot/Stop", "stop: the list is broken")
    status = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "status", env=env).stdout
    first_line, status = status.split("\n", 1)
    assert first_line.startswith("state store: mariadb://mentorbot@") and "4 runs" in first_line
    per_wiki = {block.split("\n", 1)[0]: block for block in re.split(r"(?m)^(?=http)", status) if block}
    assert set(per_wiki) == {wiki.api, second_wiki.api}
    assert per_wiki[wiki.api].startswith(f"{wiki.api}\n  mentors              ok ")
    assert "stop switch: off ([[User:MentorBot/Stop]])" in per_wiki[wiki.api]
    assert per_wiki[second_wiki.api].startswith(f"{second_wiki.api}\n  mentors              error ")
    assert "2 failed runs in a row" in per_wiki[second_wiki.api]
    assert "stop switch: ON: [[User:MentorBot/Stop]] says 'stop: the list is broken'" in per_wiki[second_wiki.api]
    exported = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "state", "export",
                         str(workdir.parent / "state.jsonl"), env=env)
    assert exported.returncode == 0 and "runs" in (workdir.parent / "state.jsonl").read_text()
    assert not (workdir.parent / "state" / "mentorbot" / "state.sqlite").exists()  # all of it on the server
    assert store.db.execute("SELECT COUNT(*) FROM run_lock").fetchone()[0] == 0


def test_all_wikis_state_commands_refuse_wikis_with_different_stores(tmp_path: Path) -> None:
    config = tmp_path / "mentorbot.toml"
    config.write_text(f'[wikis.a]\napi = "https://a.test/w/api.php"\nstate_path = "{tmp_path / "a.sqlite"}"\n'
                      f'[wikis.b]\napi = "https://b.test/w/api.php"\nstate_path = "{tmp_path / "b.sqlite"}"\n')
    result = subprocess.run([str(MENTORBOT), "--config", str(config), "--all-wikis", "state", "export",
                             str(tmp_path / "s.jsonl")], capture_output=True, text=True, check=False,
                            env=child_env(XDG_STATE_HOME=str(tmp_path)))
    assert result.returncode == 2 and "keep their state in different stores" in result.stderr
    assert not (tmp_path / "s.jsonl").exists() and not (tmp_path / "a.sqlite").exists()


def test_wikis_from_a_list_of_database_names(tmp_path: Path) -> None:
    from bot.config import api_for_dbname, load_wiki_configs

    assert api_for_dbname("kowiki") == "https://ko.wikipedia.org/w/api.php"
    assert api_for_dbname("zh_yuewiki") == "https://zh-yue.wikipedia.org/w/api.php"
    assert api_for_dbname("frwiktionary") == "https://fr.wiktionary.org/w/api.php"
    assert api_for_dbname("commonswiki") == "https://commons.wikimedia.org/w/api.php"
    (tmp_path / "wikis.txt").write_text("kowiki\n# not this one: enwiki\narwiki  # Arabic\n")
    (tmp_path / "mentorbot.toml").write_text(f'wikis_file = "{tmp_path / "wikis.txt"}"\nmax_writes = 7\n'
                                             '[wikis.kowiki]\nrules_page = "Project:Rules.json"\n')
    configs = dict(load_wiki_configs(tmp_path / "mentorbot.toml"))
    assert list(configs) == ["kowiki", "arwiki"]
    assert configs["kowiki"].api == "https://ko.wikipedia.org/w/api.php"
    assert configs["kowiki"].rules_page == "Project:Rules.json" and configs["arwiki"].max_writes == 7
    with pytest.raises(ConfigError, match="not a Wikimedia database name"):
        api_for_dbname("nonsense")
