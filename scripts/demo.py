"""The demo behind scripts/demo: a realistic small mentorship on a local wiki, and the bot on it."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts import devwiki  # noqa: E402
from tests.wikiclient import WikiClient  # noqa: E402

PASSWORD = "demo-password-for-everyone-1"
# name, weight, message, days away (None: active), edits made
MENTORS = [
    ("Frank Mentor", 4, "I have been here forever.", None, 4),
    ("Alice Mentor", 2, "Hi! I help with sources and first articles.", None, 6),
    ("Bob Mentor", 4, "Ask me about images and copyright.", 20, 3),
    ("Carol Mentor", 0, None, None, 1),
    ("Dmitri Mentor", 1, "Привет! I answer in Russian or English.", None, 2),
    ("Eve Mentor", 1, None, None, 2),
]
MENTEES = ["Newcomer One", "Newcomer Two", "Newcomer Three", "Newcomer Four", "Newcomer Five"]
# Days since each mentor's last edit, made true by moving their edits into the past.
INACTIVE_DAYS = {"Frank Mentor": 75, "Eve Mentor": 20, "Carol Mentor": 200}
RULES_PAGE = "MediaWiki:Mentorbot-sweep-rules.json"
RULES = {
    "activity": {"measure": "last-edit"},
    "warn_after_days": 10, "away_after_days": 14, "remove_after_days": 60,
    "skip_manual_mentors": True, "max_action_share": 0.5,
    "run_log_page": "Project:Mentorship/Bot log",
}

BLOCK_REASON = "Username policy: please pick another name"
REPORTS_PAGE = "MediaWiki:Mentorbot-reports.json"
REPORT_SETTINGS = {"graduation": {"min_editcount": 3, "min_tenure_days": 30, "invite": True}}


def heading(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def mentorbot(info: dict[str, object], workdir: Path, *args: str) -> int:
    env = {**os.environ, "MENTORBOT_USERNAME": str(info["bot_user"]),
           "MENTORBOT_PASSWORD": str(info["bot_password"]), "XDG_STATE_HOME": str(workdir / "state"),
           "MENTORBOT_CONFIG": str(workdir / "mentorbot.toml")}
    command = [str(Path(sys.executable).with_name("mentorbot")), *args]
    print("$ mentorbot " + " ".join(args), flush=True)
    return subprocess.run(command, env=env, check=False).returncode


def seed(api: str, admin: WikiClient, wiki_dir: str) -> None:
    heading("Seeding: community settings, mentors with their activity and away dates, newcomers")
    admin.edit("MediaWiki:GrowthExperimentsMentorship.json",
               json.dumps({"GEMentorshipEnabled": True, "GEMentorshipAutoremovedAfterDays": 60}),
               summary="demo: mentorship on")
    for name, weight, message, away_days, edits in MENTORS:
        client = WikiClient(api)
        client.create_account(name, PASSWORD)
        client.login(name, PASSWORD)
        for number in range(edits):
            client.edit(f"Sandbox/{name}/{number}", f"Edit {number} by {name}.")
        params: dict[str, object] = {"geaction": "add", "username": name, "weight": weight,
                                     "summary": "demo: new mentor"}
        if message:
            params["message"] = message
        if away_days:
            until = datetime.now(UTC) + timedelta(days=away_days)
            params.update(isaway=1, awaytimestamp=until.strftime("%Y-%m-%dT%H:%M:%SZ"))
        admin.post("growthmanagementorlist", **params)
        away = f", away for {away_days} days" if away_days else ""
        print(f"  {name}: weight {weight}, {edits} edits{away}")
    for name in MENTEES:
        WikiClient(api).create_account(name, PASSWORD)
    mentors = {}
    for name in MENTEES:
        mentor = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{name}}}}}")
        mentors[name] = mentor["expandtemplates"]["wikitext"] or "(none)"
    for name, mentor in mentors.items():
        print(f"  {name} signed up and got mentor: {mentor}")

    for name, days in INACTIVE_DAYS.items():
        devwiki.backdate(wiki_dir, name, days)
        print(f"  {name} last edited {days} days ago")
    admin.edit(RULES_PAGE, json.dumps(RULES, indent=2), summary="demo: the community's sweep rules")
    print(f"  rules written to [[{RULES_PAGE}]]: warn after 10 days, away after 14, removal after 60")

    heading("A malformed edit to MediaWiki:GrowthMentors.json is refused by the wiki")
    current = json.loads(admin.page_text("MediaWiki:GrowthMentors.json") or "{}")
    first = next(iter(current["Mentors"]))
    current["Mentors"][first]["weight"] = 3
    refused = admin.post("edit", check=False, title="MediaWiki:GrowthMentors.json",
                         text=json.dumps(current), summary="demo: weight 3 is not allowed")
    print("  the wiki answered:", refused.get("error", {}).get("info", refused))


def reports(info: dict[str, object], workdir: Path, admin: WikiClient) -> int:
    heading("Reports: the mentor dashboard")
    status = mentorbot(info, workdir, "report", "mentors")
    heading("Reports: the dashboard again; nothing changed, so the page is not edited")
    status |= mentorbot(info, workdir, "report", "mentors")

    heading("Reports: graduation, with invitations to mentor")
    admin.edit(REPORTS_PAGE, json.dumps(REPORT_SETTINGS, indent=2), summary="demo: graduation thresholds")
    print(f"  [[{REPORTS_PAGE}]]: graduating at 3 edits and more than 30 days; invitations on")
    for name, edits in (("Newcomer One", 3), ("Newcomer Four", 1)):
        client = WikiClient(str(info["api"])).login(name, PASSWORD)
        for number in range(edits):
            client.edit(f"Sandbox/{name}/{number}", f"Edit {number} by {name}.")
        devwiki.backdate(str(info["dir"]), name, 40)
    print("  Newcomer One made 3 edits and Newcomer Four 1, both registered 40 days ago")
    status |= mentorbot(info, workdir, "report", "graduation", "--invite")
    client = WikiClient(str(info["api"])).login("Newcomer Four", PASSWORD)
    for number in range(1, 3):
        client.edit(f"Sandbox/Newcomer Four/{number}", "More.")
    print("  Newcomer Four made 2 more edits and now meets the thresholds too")
    status |= mentorbot(info, workdir, "report", "graduation", "--invite")
    print(f"--- User talk:Newcomer Four ---\n{admin.page_text('User talk:Newcomer Four')}")

    heading("Reports: coverage of new accounts (account-creation log and the bot's snapshot)")
    status |= mentorbot(info, workdir, "snapshot")
    status |= mentorbot(info, workdir, "report", "coverage")
    print(f"--- {workdir / 'reports' / 'coverage.csv'} ---")
    print((workdir / "reports" / "coverage.csv").read_text())
    print(f"--- Project:Mentorship/Coverage ---\n{admin.page_text('Project:Mentorship/Coverage')}")

    heading("Reports: mentorship across wikis (with --all-wikis, every wiki of the config; here the one)")
    status |= mentorbot(info, workdir, "report", "wikis")
    print(f"--- {workdir / 'reports' / 'wikis.csv'} ---")
    print((workdir / "reports" / "wikis.csv").read_text())
    return status


def keep_going(info: dict[str, object], workdir: Path) -> str:
    """What an operator needs to go on with the wiki the demo leaves running."""
    index = str(info["api"]).removesuffix("api.php") + "index.php"
    return (f"\nThe wiki keeps running.\n"
            f"  In a browser: {index}?title=Special:ManageMentors\n"
            f"  Log in there as {info['admin_user']} with the password {info['admin_password']}\n"
            f"  The bot, with the demo's config and state:\n"
            f"    export MENTORBOT_USERNAME='{info['bot_user']}' MENTORBOT_PASSWORD='{info['bot_password']}'\n"
            f"    export MENTORBOT_CONFIG={workdir / 'mentorbot.toml'} XDG_STATE_HOME={workdir / 'state'}\n"
            f"    .venv/bin/mentorbot status\n"
            f"  Stop the wiki: scripts/dev-wiki down {info['dir']}")


def workflow(info: dict[str, object], workdir: Path, admin: WikiClient) -> int:
    """The whole demo on a running wiki: seed it, then every task of the bot. The exit status of the bot's runs."""
    seed(str(info["api"]), admin, str(info["dir"]))
    # One second between writes keeps the demo short; on a real wiki keep the default 10.
    (workdir / "mentorbot.toml").write_text(
        f'api = "{info["api"]}"\nedit_interval = 1\ncontact = "demo operator"\n'
        f'report_dir = "{workdir / "reports"}"\n'
        'report_pages = {mentors = "Project:Mentorship/Mentors", graduation = "Project:Mentorship/Graduation", '
        'coverage = "Project:Mentorship/Coverage", wikis = "Project:Mentorship/Wikis"}\n')
    heading("The bot checks its account, rights and the wiki's settings")
    mentorbot(info, workdir, "check")
    heading("The bot reads and validates the mentor list")
    status = mentorbot(info, workdir, "mentors")
    heading("The same list, machine-readable")
    status |= mentorbot(info, workdir, "--json", "mentors", "--source", "page")
    heading("Sweep, dry run: what would change, and every notice it would post")
    status |= mentorbot(info, workdir, "--dry-run", "sweep")
    heading("Sweep: the rules ask for a warning before any change")
    status |= mentorbot(info, workdir, "sweep")
    heading("Sweep again at once: each stage waits its notice period (7 days by default), so nothing happens")
    status |= mentorbot(info, workdir, "sweep")
    heading("The demo's rules now set notice_days to 0, to show the later stages without waiting a week")
    admin.edit(RULES_PAGE, json.dumps({**RULES, "notice_days": 0}, indent=2), summary="demo: no notice period")
    heading("Sweep (on a real wiki: a week later): away marks, each naming the removal date")
    status |= mentorbot(info, workdir, "sweep")
    heading("Sweep (on a real wiki: on the removal date): removal, mentees moved, their new mentors told")
    status |= mentorbot(info, workdir, "sweep")
    heading("Sweep once more: nothing left to do, no edit")
    status |= mentorbot(info, workdir, "sweep")
    heading("Blocked mentees: the bot remembers who mentors whom")
    admin.edit("MediaWiki:Mentorbot-blocks.json", json.dumps({"restore": True}), summary="demo: restore mentors")
    mentorbot(info, workdir, "blocks")  # the first run starts reading the block log from now
    status |= mentorbot(info, workdir, "snapshot")
    mentors_now = {name: admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{name}}}}}")
                   ["expandtemplates"]["wikitext"] for name in MENTEES}
    # A mentee of a mentor who is still active, so the bot may bring that mentor back.
    mentee, mentor_before = next((m, t) for m, t in mentors_now.items() if t in ("Alice Mentor", "Dmitri Mentor"))
    admin.post("block", user=mentee, expiry="infinite", reason=BLOCK_REASON)
    after = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
    print(f"  {mentee} (mentor: {mentor_before}) is blocked indefinitely; MediaWiki now says their mentor is "
          f"{after['expandtemplates']['wikitext'] or '(none)'}")
    status |= mentorbot(info, workdir, "blocks")
    admin.post("unblock", user=mentee, reason=BLOCK_REASON)
    print(f"  {mentee} is unblocked; MediaWiki restores nothing by itself")
    status |= mentorbot(info, workdir, "blocks")
    restored = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
    print(f"  {mentee}'s mentor is now: {restored['expandtemplates']['wikitext'] or '(none)'}")
    print(f"--- User talk:{mentor_before} ---\n{admin.page_text(f'User talk:{mentor_before}')}")

    status |= reports(info, workdir, admin)

    heading("What the mentors see")
    for name in ("Eve Mentor", "Frank Mentor"):
        print(f"--- User talk:{name} ---\n{admin.page_text(f'User talk:{name}')}")
    print(f"--- Project:Mentorship/Bot log ---\n{admin.page_text('Project:Mentorship/Bot log')}")
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave the wiki running afterwards")
    parser.add_argument("--lang", default="en", help="the wiki's content language, e.g. ko, ar, ru, de, es, fr")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mentorbot-demo-"))
    heading(f"Starting a local MediaWiki 1.43 with the GrowthExperiments stand-in, in language {arguments.lang}")
    info = devwiki.up(str(workdir / "wiki"), None)
    print(f"  {info['api']}  (files in {info['dir']})")
    try:
        devwiki.set_language(str(info["api"]), str(info["dir"]), arguments.lang)
        admin = WikiClient(str(info["api"])).login(str(info["admin_user"]), str(info["admin_password"]))
        status = workflow(info, workdir, admin)
    finally:
        if arguments.keep:
            print(keep_going(info, workdir))
        else:
            devwiki.down(str(info["dir"]))
    return status


if __name__ == "__main__":
    sys.exit(main())
