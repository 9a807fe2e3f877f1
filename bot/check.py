"""``mentorbot check``: can this bot account do its work on this wiki? Each problem is a sentence."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.community import LEGACY_SETTINGS_PAGE, read_community_settings
from bot.errors import MentorBotError
from bot.gateway import GE_MODULES, Capabilities, Gateway
from bot.mentors import read_away_states
from bot.state import open_store


@dataclass(frozen=True)
class Need:
    right: str
    why: str
    grant: str


NEEDS = (
    Need("edit", "post notices and edit pages", "editpage"),
    Need("bot", "flag its edits as bot edits", "highvolume"),
    Need("managementors", "mark mentors away and remove them", "managementorship"),
    Need("setmentor", "move mentees to another mentor", "managementorship"),
    Need("editinterface", "edit MediaWiki:GrowthMentors.json where the modules are missing", "editinterface"),
    Need("editsitejson", "edit MediaWiki:GrowthMentors.json where the modules are missing", "editsiteconfig"),
)


@dataclass
class CheckReport:
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fact_lines(self) -> list[str]:
        """The facts for people, one short line each (--json has them as data)."""
        facts = self.facts
        lines = [f"account: {facts['user']} (groups: {', '.join(facts['groups']) or 'none'})"]
        modules = facts.get("ge_modules", {})
        present = [name for name, found in modules.items() if found]
        missing = [name for name, found in modules.items() if not found]
        lines.append(f"GrowthExperiments modules: {', '.join(present) or 'none'}"
                     + (f"; missing: {', '.join(missing)}" if missing else ""))
        settings = facts.get("community_settings")
        if settings is not None:
            def on(key: str) -> str:
                return "on" if settings.get(key) else "off"
            lines.append(f"community settings ({settings['source']}): mentorship {on('GEMentorshipEnabled')}; "
                         f"GrowthExperiments' own cleaner: away marks {on('GEMentorshipShouldBeAutoawayed')}, "
                         f"removals {on('GEMentorshipShouldBeAutoremoved')}")
        stop = facts.get("stop_switch")
        if stop is not None:
            lines.append(f"stop switch: [[{stop['page']}]] {'on' if stop['on'] else 'off'}")
        lines.append(f"edit budget: {facts['edit_budget']} writes a run, {facts['edit_interval']:g} s apart")
        if "state_store" in facts:
            lines.append(f"state store: {facts['state_store']}")
        return lines


def missing_rights(session_rights: set[str], account_rights: set[str]) -> list[str]:
    """One sentence per missing grant (a BotPassword's) or group right (the account's)."""
    lacking = [need for need in NEEDS if need.right not in session_rights]
    problems = []
    for grant in dict.fromkeys(need.grant for need in lacking if need.right in account_rights):
        needs = [need for need in lacking if need.grant == grant and need.right in account_rights]
        problems.append(f"The bot password lacks the grant '{grant}', so the bot cannot "
                        f"{' or '.join(dict.fromkeys(need.why for need in needs))} "
                        f"(right{'s' if len(needs) > 1 else ''} {', '.join(repr(n.right) for n in needs)}): "
                        "tick it in Special:BotPasswords.")
    for need in lacking:
        if need.right not in account_rights:
            problems.append(f"The account lacks the right '{need.right}', so the bot cannot {need.why}: "
                            "ask for a group that has it.")
    return problems


def behaviours_found(gateway: Gateway, modules: Capabilities) -> list[str]:
    """What this wiki's GrowthExperiments does that the tasks depend on, from what the wiki shows."""
    found = []
    if modules.has("query+communityconfiguration"):
        found.append("settings: CommunityConfiguration (the Mentorship provider)")
    else:
        found.append(f"settings: no CommunityConfiguration; [[{LEGACY_SETTINGS_PAGE}]] over the defaults of "
                     "GrowthExperiments before it (mentorship on)")
    away = read_away_states(gateway)
    found.append("away status: readable on Special:ManageMentors" if away is not None else
                 "away status: not readable (Special:ManageMentors cannot be read); the list's copy is used, "
                 "which may show an away mentor as active")
    found.append("mentors: the JSON page, compared with list=growthmentorlist (GrowthExperiments caches it)"
                 if modules.has("query+growthmentorlist") else
                 "mentors: the JSON page only (no list=growthmentorlist)")
    found.append("global locks: meta=globaluserinfo (CentralAuth), asked for mentors about to be acted on"
                 if modules.has("query+globaluserinfo") else
                 "global locks: no meta=globaluserinfo here; Special:ManageMentors still shows locked mentors as away")
    found.append("moving mentees: growthsetmentor" if modules.has("growthsetmentor") else
                 "moving mentees: not possible (no growthsetmentor)")
    return found


def run_check(gateway: Gateway) -> CheckReport:
    report = CheckReport()
    query = gateway.get(meta="userinfo|siteinfo", uiprop="groups|rights", siprop="usergroups")["query"]
    info = query["userinfo"]
    groups = set(info.get("groups", []))
    report.facts["user"] = info["name"]
    report.facts["groups"] = sorted(groups - {"*"})
    # A BotPassword session sees only its grants' rights; the account's groups say what it could have.
    account_rights = {right for group in query["usergroups"] if group["name"] in groups
                      for right in group.get("rights", [])}
    report.problems += missing_rights(set(info.get("rights", [])), account_rights)

    modules = gateway.capabilities()
    report.facts["ge_modules"] = {module: modules.has(module) for module in GE_MODULES}
    if not any(modules.has(m) for m in GE_MODULES[:4]):
        report.problems.append("The wiki has none of GrowthExperiments' mentorship modules: is mentorship installed?")
    for module in GE_MODULES:
        if not modules.has(module):
            report.notes.append(f"Module {module} not found; tasks fall back to the JSON pages where they can.")

    try:
        settings = read_community_settings(gateway)
        report.facts["community_settings"] = {"source": settings.source, **settings.values}
        if not settings.mentorship_enabled:
            report.notes.append("Mentorship is switched off in the community settings (GEMentorshipEnabled).")
        if settings.ge_marks_away or settings.ge_removes:
            report.notes.append(
                "GrowthExperiments' own cleaner is on here; the bot will not repeat the stages it applies."
            )
    except MentorBotError as error:
        report.problems.append(f"The community settings cannot be read: {error}")

    report.facts["behaviours"] = behaviours_found(gateway, modules)

    stop_title = gateway.config.stop_page_for(info["name"])
    stop = gateway.stop_switch()
    report.facts["stop_switch"] = {"page": stop_title, "on": stop is not None}
    if stop is not None:
        reason = " ".join(stop.split())
        report.problems.append(f"The stop switch [[{stop_title}]] is on ({reason!r}): clear it or write 'run'.")
    report.facts["edit_budget"] = gateway.config.max_writes
    report.facts["edit_interval"] = gateway.config.edit_interval
    if gateway.config.max_writes == 0:
        report.notes.append("The edit budget is 0: every task will stop before its first write.")
    try:  # opening it also brings a new store's tables up to date, so the first job starts ready
        store = open_store(gateway.config)
    except MentorBotError as error:
        report.problems.append(str(error))
    else:
        contents = store.contents()
        report.facts["state_store"] = contents.sentence(time.time())
        report.facts["state_store_rows"] = contents.rows
        store.close()
    return report
