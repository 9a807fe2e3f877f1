"""The demo behind scripts/demo: a realistic small mentorship on a local wiki, and the bot on it."""

from __future__ import annotations

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
    ("Alice Mentor", 2, "Hi! I help with sources and first articles.", None, 6),
    ("Bob Mentor", 4, "Ask me about images and copyright.", 20, 3),
    ("Carol Mentor", 0, None, None, 1),
    ("Dmitri Mentor", 1, "Привет! I answer in Russian or English.", None, 0),
]
MENTEES = ["Newcomer One", "Newcomer Two", "Newcomer Three", "Newcomer Four", "Newcomer Five"]


def heading(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def mentorbot(info: dict[str, object], state: Path, *args: str) -> int:
    env = {**os.environ, "MENTORBOT_USERNAME": str(info["bot_user"]),
           "MENTORBOT_PASSWORD": str(info["bot_password"]), "XDG_STATE_HOME": str(state)}
    command = [str(Path(sys.executable).with_name("mentorbot")), "--api", str(info["api"]), *args]
    print("$ mentorbot --api " + str(info["api"]) + " " + " ".join(args), flush=True)
    return subprocess.run(command, env=env, check=False).returncode


def seed(api: str, admin: WikiClient) -> None:
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

    heading("A malformed edit to MediaWiki:GrowthMentors.json is refused by the wiki")
    current = json.loads(admin.page_text("MediaWiki:GrowthMentors.json") or "{}")
    first = next(iter(current["Mentors"]))
    current["Mentors"][first]["weight"] = 3
    refused = admin.post("edit", check=False, title="MediaWiki:GrowthMentors.json",
                         text=json.dumps(current), summary="demo: weight 3 is not allowed")
    print("  the wiki answered:", refused.get("error", {}).get("info", refused))


def main() -> int:
    keep = "--keep" in sys.argv
    workdir = Path(tempfile.mkdtemp(prefix="mentorbot-demo-"))
    heading("Starting a local MediaWiki 1.43 with the GrowthExperiments stand-in")
    info = devwiki.up(str(workdir / "wiki"), None)
    print(f"  {info['api']}  (files in {info['dir']})")
    try:
        admin = WikiClient(str(info["api"])).login(str(info["admin_user"]), str(info["admin_password"]))
        seed(str(info["api"]), admin)
        state = workdir / "state"
        heading("The bot checks its account, rights and the wiki's settings")
        mentorbot(info, state, "check")
        heading("The bot reads and validates the mentor list")
        status = mentorbot(info, state, "mentors")
        heading("The same list, machine-readable")
        status |= mentorbot(info, state, "--json", "mentors", "--source", "page")
    finally:
        if keep:
            print(f"\nThe wiki keeps running: scripts/dev-wiki down {info['dir']}")
        else:
            devwiki.down(str(info["dir"]))
    return status


if __name__ == "__main__":
    sys.exit(main())
