"""``mentorbot report wikis``: every configured wiki's mentorship side by side, on real test wikis."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot.cli import cli
from bot.community import LEGACY_DEFAULTS, merge
from bot.config import load_wiki_configs, wikis_report_wiki
from bot.mentors import Mentor, MentorList
from bot.reports import cell_text
from bot.reports.wikis import Snapshot, WikiState, wikis_report
from bot.status import TaskStatus
from tests.conftest import DevWiki, both_flavours
from tests.test_cli import mentorbot
from tests.test_sweep import add_mentor
from tests.wikiclient import WikiClient

UNREACHABLE = "http://127.0.0.1:9/w/api.php"
WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
RULES = {"activity": [{"measure": "last-edit"},
                      {"measure": "edits-in-window", "window_days": 90, "min_edits": {"content": 5}}],
         "warn_after_days": 30, "remove_after_days": 60}


def read_rows(path: Path) -> dict[str, dict[str, str]]:
    """The CSV's rows by wiki, every date and time replaced by DATE (they are the runs' own)."""
    with path.open(encoding="utf-8") as handle:
        return {row["wiki"]: {key: WHEN.sub("DATE", value) for key, value in row.items()}
                for row in csv.DictReader(handle)}


def seed_alpha(wiki: DevWiki) -> None:
    """Mentors in every state, the bot's rules, and GrowthExperiments' own clean-up where it exists.

    Five accounts get a mentor at signup: the three mentors made after the first, and two newcomers.
    """
    admin = wiki.admin()
    if wiki.growth == "standin":
        admin.edit(wiki.settings_page, json.dumps({
            "GEMentorshipEnabled": True, "GEMentorshipAutomaticEligibility": False,
            "GEMentorshipStartOptedOutThresholds": {"enabled": True, "minEditcount": 300, "minTenureInDays": 60},
            "GEMentorshipShouldBeAutoawayed": True, "GEMentorshipAutoawayedAfterDays": 14,
            "GEMentorshipShouldBeAutoremoved": True, "GEMentorshipAutoremovedAfterDays": 60}))
    add_mentor(wiki, admin, "Mentor Auto")
    add_mentor(wiki, admin, "Mentor Manual", weight=0)
    away = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    add_mentor(wiki, admin, "Mentor Away", isaway=1, awaytimestamp=away)
    add_mentor(wiki, admin, "Mentor Blocked")
    admin.post("block", user="Mentor Blocked", expiry="1 week", partial=1, allowusertalk=1,
               pagerestrictions="Sandbox/Mentor Blocked/0", reason="a partial block")
    for name in ("Newcomer One", "Newcomer Two"):
        wiki.anonymous().create_account(name, "newcomer-password-123")
    admin.edit("MediaWiki:Mentorbot-sweep-rules.json", json.dumps(RULES))


@both_flavours
def test_every_wiki_side_by_side_and_the_one_that_cannot_be_read(wiki: DevWiki, second_wiki: DevWiki,
                                                                 tmp_path: Path) -> None:
    """beta: mentorship off, a malformed list, failing runs, the stop switch on; alpha: GrowthExperiments'
    own clean-up on (where the version has it), mentors in every state; gamma cannot be reached."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    seed_alpha(wiki)
    beta = second_wiki.admin()
    beta.edit(second_wiki.settings_page, json.dumps({"GEMentorshipEnabled": False}))
    config = tmp_path / "mentorbot.toml"
    config.write_text(f'wikis_report_on = "alpha"\nreport_pages = {{wikis = "Project:Mentorship across wikis"}}\n'
                      f'[wikis.beta]\napi = "{second_wiki.api}"\n[wikis.alpha]\napi = "{wiki.api}"\n'
                      f'[wikis.gamma]\napi = "{UNREACHABLE}"\n')
    assert mentorbot(wiki, workdir, "--api", wiki.api, "snapshot").returncode == 0
    for _run in range(2):  # no rules page there: each sweep fails
        assert mentorbot(second_wiki, workdir, "--api", second_wiki.api, "sweep").returncode == 1
    assert mentorbot(wiki, workdir, "--api", UNREACHABLE, "mentors").returncode == 1
    beta.edit("MediaWiki:GrowthMentors.json", json.dumps({"Mentors": {"3": {"colour": "blue"}}}), contentmodel="text")
    beta.edit("User:MentorBot/Stop", "stop: testing the [[wikis]] report {{here}}")

    result = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "report", "wikis",
                       "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_rows(tmp_path / "out" / "wikis.csv")
    assert list(rows) == ["beta", "alpha", "gamma"]  # the config's order
    assert rows["beta"] == {
        "wiki": "beta", "mentorship": "off", "automatic mentor eligibility": "on: at least 90 days and 500 edits",
        "graduation": "off", "GrowthExperiments' own clean-up": "off",
        "the bot's rules": "none (MediaWiki:Mentorbot-sweep-rules.json does not exist)",
        "mentors given new mentees": "", "mentors by hand only": "", "mentors away now": "", "mentors blocked": "",
        "mentees": "", "mentees counted": "not recorded yet",
        "the bot's last runs": "inactive mentors: failed, 2 times in a row (DATE)",
        "stop switch": "on: stop: testing the [[wikis]] report {{here}}",
        "could not be read": "mentor list: [[MediaWiki:GrowthMentors.json]] is malformed at "
                             "$.Mentors[\"3\"].colour: unknown key"}
    newer = wiki.growth == "standin"  # GrowthExperiments REL1_43 has neither its own clean-up nor graduation
    assert rows["alpha"] == {
        "wiki": "alpha", "mentorship": "on",
        "automatic mentor eligibility": "off" if newer else "on: at least 90 days and 500 edits",
        "graduation": "on: 300 edits, more than 60 days" if newer else "not in this version of GrowthExperiments",
        "GrowthExperiments' own clean-up": ("on: away after 14 days, removal after 60 days" if newer
                                            else "not in this version of GrowthExperiments"),
        "the bot's rules": "the days since the last edit, at least 5 edits in articles in 90 days",
        "mentors given new mentees": "3", "mentors by hand only": "1", "mentors away now": "1",
        "mentors blocked": "1", "mentees": "5", "mentees counted": "DATE, from the wiki's API",
        "the bot's last runs": "who mentors whom: ok (DATE)", "stop switch": "off", "could not be read": ""}
    assert rows["gamma"]["the bot's last runs"] == "mentor list check: failed (DATE)"
    assert rows["gamma"]["stop switch"] == "unknown" and rows["gamma"]["mentees counted"] == "not recorded yet"
    assert rows["gamma"]["could not be read"].startswith(f"the wiki could not be read: Cannot reach the wiki at "
                                                         f"{UNREACHABLE}: ")
    assert all(rows["gamma"][column] == "" for column in list(rows["gamma"])[1:11])
    requests = {name: int(count) for name, count in re.findall(r"(?m)^(alpha|beta): (\d+) requests$", result.stdout)}
    assert set(requests) == {"alpha", "beta"} and max(requests.values()) <= 12, result.stdout
    assert "gamma: not reached (Cannot reach the wiki at" in result.stdout

    # Published on alpha, the wiki the file names: one sortable table, a row a wiki, every outside text as typed.
    alpha = WikiClient(wiki.api)
    assert second_wiki.anonymous().page_text("Project:Mentorship across wikis") is None
    html = alpha.get(action="parse", page="Project:Mentorship across wikis", prop="text")["parse"]["text"]
    table = html[html.index('<table class="wikitable sortable'):]
    assert table.count("<tr") == 4
    beta_row = table[table.index("<td>beta"):]
    beta_row = beta_row[:beta_row.index("</tr>")]
    assert "on: stop: testing the [[wikis]] report {{here}}" in beta_row  # not a link, not a template
    assert "malformed at $.Mentors[\"3\"].colour: unknown key" in beta_row.replace("&quot;", '"')
    assert "<a " not in beta_row.split("inactive mentors: failed")[1]
    again = mentorbot(wiki, workdir, "--config", str(config), "--all-wikis", "report", "wikis",
                      "--output", str(tmp_path / "out"))
    # Nothing changed on the wikis (the report's own runs are not in it): the page is not edited again.
    assert re.search(r"(?m)^\[\[[^]]+:Mentorship across wikis\]\] unchanged$", again.stdout), again.stdout

    # The one wiki given: its own row only, on its default page; the run is recorded for it.
    single = mentorbot(wiki, workdir, "--api", wiki.api, "report", "wikis", "--output", str(tmp_path / "one"))
    assert single.returncode == 0, single.stderr
    assert list(read_rows(tmp_path / "one" / "wikis.csv")) == [wiki.api.split("/")[2]]  # its host
    assert alpha.page_text("User:MentorBot/Mentorship reports/Wikis")


def test_the_file_must_name_a_wiki_it_has(tmp_path: Path) -> None:
    config = tmp_path / "mentorbot.toml"
    env = {"MENTORBOT_USERNAME": "", "MENTORBOT_PASSWORD": "", "MENTORBOT_CONFIG": "",
           "XDG_STATE_HOME": str(tmp_path / "state")}
    config.write_text(f'wikis_report_on = "meta"\n[wikis.alpha]\napi = "{UNREACHABLE}"\n')
    result = CliRunner(env=env).invoke(cli, ["--config", str(config), "--all-wikis", "report", "wikis"])
    assert result.exit_code == 2
    assert "wikis_report_on names 'meta', which is neither a wiki of the file (alpha) nor an api.php URL" in \
        result.output
    config.write_text(f'[wikis.alpha]\napi = "{UNREACHABLE}"\nwikis_report_on = "alpha"\n')
    inside = CliRunner(env=env).invoke(cli, ["--config", str(config), "--all-wikis", "report", "wikis"])
    assert inside.exit_code == 2 and "[wikis.alpha]: unknown key 'wikis_report_on'" in inside.output
    # An api.php URL: a coordination wiki outside the list, with the file's top-level settings.
    config.write_text('wikis_report_on = "https://meta.example.org/w/api.php"\nmax_writes = 7\n'
                      f'[wikis.alpha]\napi = "{UNREACHABLE}"\nmax_writes = 3\n')
    wikis = load_wiki_configs(config)
    target = wikis_report_wiki(config, wikis)
    assert (target.api, target.max_writes) == ("https://meta.example.org/w/api.php", 7)
    unnamed = [(name, replace(c, wikis_report_on=None)) for name, c in wikis]
    assert wikis_report_wiki(config, unnamed) is unnamed[0][1]  # by default the file's first wiki


def state(**fields: Any) -> WikiState:
    return WikiState(**{"name": "xx", "api": "https://xx.example.org/w/api.php", **fields})


def test_each_kind_of_wiki_reads_in_its_row() -> None:
    """Cells the two test wikis cannot show: no GrowthExperiments, GrowthExperiments 1.43's settings, away
    states from the list's copy, a dump's count, a run that needs a look, a task this version does not know."""
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    legacy = merge({"GEMentorshipAutomaticEligibility": False}, "legacy page", LEGACY_DEFAULTS)
    mentors = MentorList((Mentor(1, "A", away_until=now + timedelta(days=3)), Mentor(2, "B", weight=0)), "page")
    runs = (TaskStatus("xx", "check", now.timestamp(), "2 problems found", {}, 0),
            TaskStatus("xx", "history", now.timestamp(), "ok", {}, 0),
            TaskStatus("xx", "a-later-task", now.timestamp(), "ok", {}, 0),
            TaskStatus("xx", "sweep", now.timestamp(), "error", {}, 3))
    report = wikis_report([
        state(name="none", mentorship_installed=False, stop_known=True),
        state(name="old", settings=legacy, mentors=mentors, blocked_mentors=0, stop_known=True, tasks=runs,
              rules_exist=False, rules_page="Project:Rules.json",
              snapshot=Snapshot(now, "dump:20261128-xxwiki-growthexperiments_mentor_mentee.sql.gz", 1234)),
    ], now)
    rows = {row[0]: [cell_text(cell) for cell in row] for row in report.rows}
    assert rows["none"] == ["none", *[""] * 9, "", "not recorded yet", "no runs recorded", "off",
                            "GrowthExperiments' mentorship is not installed"]
    assert rows["old"] == [
        "old", "on", "off", "not in this version of GrowthExperiments", "not in this version of GrowthExperiments",
        "none (Project:Rules.json does not exist)", "1", "1",
        "1 (by the list's copy: the true state could not be read)", "0", "1234",
        "2026-12-06 12:00, from the dump 20261128-xxwiki-growthexperiments_mentor_mentee.sql.gz",
        "account check: needs a look (2026-12-06 12:00), mentorship history for research: ok (2026-12-06 12:00), "
        "a later task: ok (2026-12-06 12:00), inactive mentors: failed, 3 times in a row (2026-12-06 12:00)", "off",
        ""]
    assert [(cell_text(label), value) for label, value in report.totals] == [
        ("wikis", 2), ("with mentorship on", 1), ("could not be read", 0), ("mentors", 2)]
