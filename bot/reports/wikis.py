"""``mentorbot report wikis``: every configured wiki's mentorship, side by side.

One row a wiki, from what the tasks themselves read, so no fact is worked out a second way: the
community settings (:func:`read_community_settings`), the bot's rules page (:func:`parse_rules`),
the mentor list with its true away states (:func:`read_mentor_list`), blocks as the dashboard
counts them (:meth:`ActivityReader.users`), mentees from the newest snapshot or dump in the state
store, the runs the store recorded (:func:`task_statuses`) and the stop switch. A wiki that
cannot be reached still gets its row, saying why, with what the store knows of the bot's runs
there; a page that cannot be read leaves its cells empty and says why in the row's last cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from bot.activity import ActivityReader
from bot.community import CommunitySettings, read_community_settings
from bot.errors import MentorBotError
from bot.gateway import GE_MODULES, Gateway
from bot.mentors import MentorList, read_mentor_list
from bot.messages import Items, Text, Verbatim
from bot.reports import Cell, Report
from bot.rules import SweepRules, parse_rules
from bot.state import StateStore
from bot.status import TaskStatus, task_statuses

T = TypeVar("T")
TASK = "report-wikis"
OUTCOMES = ("ok", "stopped", "error")
# The tasks whose runs are recorded, each with a name in the wiki's language.
TASK_NAMES = ("check", "mentors", "sweep", "snapshot", "blocks", "report-mentors", "report-graduation",
              "report-coverage", "history")
# The modules without which a wiki has no mentorship to report on.
MENTORSHIP_MODULES = GE_MODULES[:4]


@dataclass(frozen=True)
class Snapshot:
    """The newest record of who mentors whom: its date, where it came from, its primary mentees."""

    taken_at: datetime
    source: str  # "api" or "dump:<file>"
    mentees: int


@dataclass(frozen=True)
class WikiState:
    """What one wiki's row says, as plain data."""

    name: str
    api: str  # the wiki's key in the state store
    tasks: tuple[TaskStatus, ...] = ()
    snapshot: Snapshot | None = None
    unreachable: str | None = None  # why the wiki could not be read at all
    mentorship_installed: bool = True
    settings: CommunitySettings | None = None
    rules_page: str = ""
    rules: SweepRules | None = None
    rules_exist: bool | None = None  # None: the page could not be read
    mentors: MentorList | None = None
    blocked_mentors: int | None = None
    stop_switch: str | None = None  # the stop page's words while it is on
    stop_known: bool = False
    problems: tuple[Text, ...] = ()  # parts that could not be read, each with why
    requests: int = 0


def stored_state(name: str, api: str, store: StateStore) -> WikiState:
    """What the state store knows of a wiki: the bot's runs there and the newest snapshot."""
    # This report's own runs are left out: the page says when it was updated, and would change every run.
    tasks = tuple(sorted((status for status in task_statuses(store) if status.wiki == api and status.task != TASK),
                         key=lambda s: s.task))
    newest = store.newest_snapshot(api)
    snapshot = (Snapshot(datetime.fromtimestamp(newest[0], UTC), newest[1], store.mentee_count(api, "primary",
                                                                                                 newest[0]))
                if newest else None)
    return WikiState(name, api, tasks, snapshot)


def unreachable_state(name: str, api: str, store: StateStore, reason: str) -> WikiState:
    return replace(stored_state(name, api, store), unreachable=reason)


def read_wiki_state(name: str, gateway: Gateway, store: StateStore, now: datetime | None = None) -> WikiState:
    """One wiki's row: each part read as its task reads it; a part that fails is named, the rest still read.

    A failure of the wiki itself (no answer to the module list) is the caller's: the row of a wiki
    that cannot be read."""
    now = now or datetime.now(UTC)
    before = gateway.counters.requests
    stored = stored_state(name, gateway.config.wiki_key, store)
    problems: list[Text] = []

    def attempt(part: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except MentorBotError as error:
            problems.append(Text(f"mentorbot-wikis-unreadable-{part}", Verbatim(str(error))))
            return None

    stop = attempt("stop-switch", gateway.stop_switch)
    stop_known = not any(p.key == "mentorbot-wikis-unreadable-stop-switch" for p in problems)
    capabilities = gateway.capabilities()
    if not any(capabilities.has(module) for module in MENTORSHIP_MODULES):
        return replace(stored, mentorship_installed=False, stop_switch=stop, stop_known=stop_known,
                       problems=tuple(problems), requests=gateway.counters.requests - before)
    settings = attempt("settings", lambda: read_community_settings(gateway))
    rules_page = gateway.config.rules_page
    page = attempt("rules", lambda: gateway.read_page(rules_page))
    rules = attempt("rules", lambda: parse_rules(page.text, f"[[{page.title}]]")) if page and page.exists else None
    mentor_list = attempt("mentors", lambda: read_mentor_list(gateway))
    blocked = None
    if mentor_list is not None:
        facts = attempt("mentors", lambda: ActivityReader(gateway, now).users([m.user_id for m in
                                                                               mentor_list.mentors]))
        blocked = sum(1 for fact in facts.values() if fact.block) if facts is not None else None
    return replace(stored, settings=settings, rules_page=rules_page, rules=rules,
                   rules_exist=page.exists if page else None, mentors=mentor_list, blocked_mentors=blocked,
                   stop_switch=stop, stop_known=stop_known, problems=tuple(problems),
                   requests=gateway.counters.requests - before)


def on_off(on: bool, detail: Text | Items | None = None) -> Text:
    if not on:
        return Text("mentorbot-wikis-off")
    return Text("mentorbot-wikis-on-with", detail) if detail else Text("mentorbot-wikis-on")


def settings_cells(settings: CommunitySettings | None) -> list[Cell]:
    """Mentorship on, automatic eligibility, graduation thresholds, GrowthExperiments' own cleaner."""
    if settings is None:
        return [None] * 4
    values = settings.values
    eligibility = on_off(bool(values["GEMentorshipAutomaticEligibility"]), Text(
        "mentorbot-wikis-eligibility", values["GEMentorshipMinimumAge"], values["GEMentorshipMinimumEditcount"]))
    if settings.legacy:  # REL1_43 and before: neither exists, whatever a page says
        return [on_off(settings.mentorship_enabled), eligibility, Text("mentorbot-wikis-not-in-version"),
                Text("mentorbot-wikis-not-in-version")]
    thresholds = values["GEMentorshipStartOptedOutThresholds"]
    graduation = on_off(bool(thresholds["enabled"]), Text("mentorbot-wikis-graduation", thresholds["minEditcount"],
                                                          thresholds["minTenureInDays"]))
    stages = []
    if settings.ge_marks_away:
        stages.append(Text("mentorbot-wikis-cleaner-away", values["GEMentorshipAutoawayedAfterDays"]))
    if settings.ge_removes:
        stages.append(Text("mentorbot-wikis-cleaner-remove", values["GEMentorshipAutoremovedAfterDays"]))
    cleaner = on_off(bool(stages), Items(tuple(stages)) if stages else None)
    return [on_off(settings.mentorship_enabled), eligibility, graduation, cleaner]


def rules_cell(state: WikiState) -> Cell:
    if state.rules is not None:
        return Items(tuple(measure.describe() for measure in state.rules.measures))
    if state.rules_exist is False:
        return Text("mentorbot-wikis-rules-missing", state.rules_page)
    return None  # could not be read: the last cell says why


def runs_cell(tasks: tuple[TaskStatus, ...]) -> Cell:
    """Each task's last run: when, how it went, and how many runs in a row failed."""
    runs = []
    for task in tasks:
        when = f"{datetime.fromtimestamp(task.finished_at, UTC):%Y-%m-%d %H:%M}"
        # Other outcomes are a task's own words ("2 problems found"): `mentorbot status` shows them.
        outcome = Text(f"mentorbot-wikis-outcome-{task.outcome if task.outcome in OUTCOMES else 'other'}")
        if task.failed_in_a_row > 1:
            outcome = Text("mentorbot-wikis-failed-in-a-row", outcome, task.failed_in_a_row)
        name = Text(f"mentorbot-task-{task.task}") if task.task in TASK_NAMES else Verbatim(task.task.replace("-", " "))
        runs.append(Text("mentorbot-wikis-run", name, outcome, when))
    return Items(tuple(runs)) if runs else Text("mentorbot-wikis-no-runs")


def stop_cell(state: WikiState) -> Cell:
    if not state.stop_known:
        return Text("mentorbot-wikis-unknown")
    return Text("mentorbot-wikis-stop-on", Verbatim(state.stop_switch)) if state.stop_switch else \
        Text("mentorbot-wikis-off")


def mentor_cells(state: WikiState, now: datetime) -> list[Cell]:
    """Auto-assigned, manual only, away now (GrowthExperiments' own state where it can be read), blocked."""
    if state.mentors is None:
        return [None] * 4
    mentors = state.mentors.mentors
    away = sum(1 for m in mentors if m.away_at(now))
    return [sum(1 for m in mentors if m.auto_assigned), sum(1 for m in mentors if not m.auto_assigned),
            away if state.mentors.away_known else Text("mentorbot-wikis-away-from-copy", away), state.blocked_mentors]


def snapshot_cells(snapshot: Snapshot | None) -> list[Cell]:
    if snapshot is None:
        return [None, Text("mentorbot-wikis-no-snapshot")]
    source = (Text("mentorbot-wikis-from-dump", snapshot.source.removeprefix("dump:"))
              if snapshot.source.startswith("dump:") else Text("mentorbot-wikis-from-api"))
    return [snapshot.mentees, Text("mentorbot-wikis-counted", f"{snapshot.taken_at:%Y-%m-%d %H:%M}", source)]


COLUMNS = ("wiki", "mentorship", "eligibility", "graduation", "ge-cleaner", "bot-rules", "auto-assigned",
           "manual-only", "away", "blocked", "mentee-count", "mentees-counted", "last-runs", "stop-switch", "problems")


def wikis_report(states: list[WikiState], now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    rows: list[list[Cell]] = []
    for state in states:
        if state.unreachable is not None:
            why: list[Text] = [Text("mentorbot-wikis-unreachable", Verbatim(state.unreachable))]
            cells: list[Cell] = [None] * 9
        elif not state.mentorship_installed:
            why = [Text("mentorbot-wikis-not-installed"), *state.problems]
            cells = [None] * 9
        else:
            why = list(state.problems)
            cells = [*settings_cells(state.settings), rules_cell(state), *mentor_cells(state, now)]
        rows.append([state.name, *cells, *snapshot_cells(state.snapshot), runs_cell(state.tasks), stop_cell(state),
                     Items(tuple(why)) if why else None])
    read = [s for s in states if s.unreachable is None]
    totals: list[tuple[Text, Cell]] = [
        (Text("mentorbot-total-wikis"), len(states)),
        (Text("mentorbot-total-wikis-enabled"), sum(1 for s in read if s.settings and s.settings.mentorship_enabled)),
        (Text("mentorbot-total-wikis-unreachable"), len(states) - len(read)),
        (Text("mentorbot-total-mentors"), sum(len(s.mentors.mentors) for s in read if s.mentors)),
    ]
    notes = [Text("mentorbot-wikis-note-away"), Text("mentorbot-wikis-note-blocked"),
             Text("mentorbot-wikis-note-mentees"), Text("mentorbot-wikis-note-runs")]
    lines = [f"{state.name}: " + (f"not reached ({state.unreachable})" if state.unreachable
                                  else f"{state.requests} requests") for state in states]
    return Report("wikis", Text("mentorbot-report-wikis-title"), [Text(f"mentorbot-column-{c}") for c in COLUMNS],
                  rows, totals, notes, lines=lines)

