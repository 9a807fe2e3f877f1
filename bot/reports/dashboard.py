"""``mentorbot report mentors``: a dashboard of every mentor's status and activity.

For each mentor on the list: weight, away date, last edit and logged action, edits per namespace
group in the rules' window, mentees (and how many edited in the recent-changes window), mentee
questions received and answered with the median time to an answer, block state, and where the
sweep's rules put them today. The status comes from the sweep's own ``decide`` over the same
facts and the same state store, so the dashboard and the sweep never disagree; nothing is
recorded or changed by the dashboard.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy

from bot.activity import ActivityReader, MentorFacts
from bot.community import CommunitySettings
from bot.dump import read_mentor_batches
from bot.gateway import Gateway
from bot.mentors import Mentor, MentorList, mentees_of
from bot.messages import Items, Text
from bot.reports import Cell, Report
from bot.rules import Measure, SweepRules, group_name
from bot.state import StateStore
from bot.sweep import Decision, count_rule_lapses, decide, namespace_groups

# Edits are counted up to this many per group: enough to read, without paging through a heavy editor.
EDIT_CAP = 500
RECENT_DAYS = 90  # the recent-changes window: GrowthExperiments calls a mentee active within it
DEFAULT_WINDOW = Measure("edits-in-window", window_days=90, min_edits=(("content", 0), ("talk", 0)))
DEFAULT_ANSWER_DAYS = 7
# Most urgent first: the dashboard is sorted by this.
STATUSES = ("removal-due", "away-due", "warning-due", "warned", "account-missing", "away", "ok", "exempt", "no-rules")
DUE = {"warn": "warning-due", "away": "away-due", "remove": "removal-due"}


def status_of(decision: Decision | None, rules: SweepRules | None, now: datetime) -> str:
    """Where the sweep's own decision puts the mentor today."""
    if decision is None or rules is None:
        return "no-rules"
    if decision.action in DUE:
        return DUE[decision.action]
    if rules.leaves_alone(decision.mentor):
        return "exempt"
    if decision.mentor.away_at(now):
        return "away"
    if decision.lapse_start and decision.warned:
        return "warned"
    return "ok"


def availability(mentor: Mentor, fact: MentorFacts | None, away_known: bool) -> Text | str:
    """Away, blocked, or nothing: why the mentor gets no new mentees now."""
    if fact is not None and fact.block is not None:
        scope = "partial" if fact.block.partial else "sitewide"
        if fact.block.expiry is None:
            return Text(f"mentorbot-dashboard-blocked-{scope}-indefinite")
        return Text(f"mentorbot-dashboard-blocked-{scope}", fact.block.expiry)
    if mentor.away_blocked:
        return Text("mentorbot-dashboard-away-locked")
    if mentor.away_until:
        return Text("mentorbot-dashboard-away-until", mentor.away_until)
    return "" if away_known else Text("mentorbot-dashboard-away-unknown")


def day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""


def mentee_counts(gateway: Gateway, reader: ActivityReader, mentors: list[Mentor]) -> dict[int, tuple[int, int]]:
    """Mentor id -> (primary mentees, those who edited in the recent-changes window), from the API.

    One request per mentor for the list, and the mentees' contributions in batches: fine for a
    wiki with thousands of mentees; for millions, give the weekly dump instead.
    """
    names = {mentor.user_id: [mentee.name for mentee in mentees_of(gateway, mentor)] for mentor in mentors}
    active = reader.active(sorted({name for listed in names.values() for name in listed}), RECENT_DAYS)
    return {mentor: (len(listed), sum(1 for name in listed if name in active)) for mentor, listed in names.items()}


def mentee_counts_from_dump(path: Path) -> dict[int, tuple[int, int]]:
    """The same counts from the weekly dump (its own active flag), with no request at all."""
    totals: Counter[int] = Counter()
    active: Counter[int] = Counter()
    for batch in read_mentor_batches(path):
        for counter, rows in ((totals, batch.primary), (active, batch.primary & batch.active)):
            mentors, counts = numpy.unique(batch.mentor_ids[rows], return_counts=True)
            counter.update(dict(zip(mentors.tolist(), counts.tolist(), strict=True)))
    return {mentor: (total, active[mentor]) for mentor, total in totals.items()}


def mentor_dashboard(gateway: Gateway, store: StateStore, mentor_list: MentorList, rules: SweepRules | None,
                     settings: CommunitySettings, now: datetime | None = None, dump: Path | None = None) -> Report:
    now = now or datetime.now(UTC)
    mentors = list(mentor_list.mentors)
    wiki = gateway.config.wiki_key
    reader = ActivityReader(gateway, now)
    facts = reader.users([m.user_id for m in mentors])
    everyone = list(facts.values())
    reader.last_edits(everyone, 30)
    reader.last_logged_actions(everyone)

    windows = [m for m in (rules.measures if rules else ()) if m.kind == "edits-in-window"] or [DEFAULT_WINDOW]
    groups = namespace_groups(gateway, rules)
    for measure in windows:  # each rule's own counts, counted further than the rule needs
        reader.edit_counts(everyone, measure.key, measure.window_days, groups,
                           {group: max(n, EDIT_CAP) for group, n in measure.min_edits})
    asked = next((m for m in (rules.measures if rules else ()) if m.kind == "answered-questions"), None)
    question_days = asked.window_days if asked else RECENT_DAYS
    answer_within = timedelta(days=asked.answer_within_days if asked else DEFAULT_ANSWER_DAYS)
    reader.questions(everyone, question_days)

    mentees = mentee_counts_from_dump(dump) if dump else mentee_counts(gateway, reader, mentors)

    decisions: dict[int, Decision] = {}
    steps = store.sweep_steps(wiki)
    if rules is not None:
        first_failed = store.lapse_starts(wiki)
        failing, _passing = count_rule_lapses(mentors, facts, rules, first_failed, now)
        decisions = {d.mentor.user_id: d for d in decide(mentors, facts, rules, settings, now,
                                                         {**first_failed, **failing}, steps)}

    shown = windows[0]
    group_names = [group for group, _n in shown.min_edits]
    columns = [Text(f"mentorbot-column-{name}") for name in ("mentor", "status", "next-step", "reason", "last-edit")]
    columns += [Text("mentorbot-column-edits", shown.window_days), Text("mentorbot-column-mentees", RECENT_DAYS),
                Text("mentorbot-column-questions", question_days, answer_within.days), Text("mentorbot-column-weight"),
                Text("mentorbot-column-availability")]
    rows: list[tuple[int, list[Cell]]] = []
    statuses: Counter[str] = Counter()
    totals_questions = totals_answered = 0
    for mentor in mentors:
        fact = facts.get(mentor.user_id)
        decision = decisions.get(mentor.user_id)
        status = status_of(decision, rules, now) if fact else "account-missing"
        statuses[status] += 1
        counts = fact.edit_counts.get(shown.key, {}) if fact else {}
        answers = [(a - q.asked).total_seconds() / 3600 for q in fact.questions
                   if (a := fact.answered_at(q, answer_within)) is not None] if fact else []
        questions = len(fact.questions) if fact else 0
        totals_questions += questions
        totals_answered += len(answers)
        mentee_total, mentee_active = mentees.get(mentor.user_id, (0, 0))
        edits = Items(tuple(Text("mentorbot-dashboard-edits", f"{EDIT_CAP}+" if counts.get(g, 0) >= EDIT_CAP
                                 else counts.get(g, 0), group_name(g)) for g in group_names))
        shown_reason = decision is not None and (status not in ("ok", "away") or bool(decision.lapse_start))
        next_step = (Text(f"mentorbot-dashboard-next-{decision.next_stage}", decision.next_date)
                     if decision and decision.next_stage and decision.next_date else "")
        rows.append((STATUSES.index(status), [
            mentor.username, Text(f"mentorbot-status-{status}"), next_step,
            decision.reason if decision and shown_reason else "", day(fact.last_edit if fact else None), edits,
            Text("mentorbot-dashboard-mentees", mentee_total, mentee_active),
            (Text("mentorbot-dashboard-questions-median", len(answers), questions, f"{statistics.median(answers):.1f}")
             if answers else Text("mentorbot-dashboard-questions", 0, questions) if questions else ""),
            mentor.weight, availability(mentor, fact, mentor_list.away_known),
        ]))
    totals: list[tuple[Text, Cell]] = [
        (Text("mentorbot-total-mentors"), len(mentors)),
        (Text("mentorbot-total-auto-assigned"), sum(1 for m in mentors if m.auto_assigned)),
        (Text("mentorbot-total-away"), sum(1 for m in mentors if m.away_at(now))),
        (Text("mentorbot-total-blocked"), sum(1 for f in facts.values() if f.block)),
        (Text("mentorbot-total-mentees"), sum(total for total, _active in mentees.values())),
        (Text("mentorbot-total-active-mentees", RECENT_DAYS), sum(active for _total, active in mentees.values())),
        (Text("mentorbot-total-questions", question_days), totals_questions),
        (Text("mentorbot-total-answered", answer_within.days), totals_answered),
    ]
    notes = [
        Text("mentorbot-dashboard-note-edits", shown.window_days, Items(tuple(group_name(g) for g in group_names)),
             EDIT_CAP),
        Text("mentorbot-dashboard-note-mentees-dump", dump.name, RECENT_DAYS) if dump
        else Text("mentorbot-dashboard-note-mentees", RECENT_DAYS),
        Text("mentorbot-dashboard-note-questions"),
        *((rules.in_words(), Text("mentorbot-dashboard-note-status")) if rules
          else (Text("mentorbot-dashboard-note-no-rules"),)),
        *mentor_list.notes(),
    ]
    rows.sort(key=lambda item: item[0])  # stable: list order within a status
    return Report("mentors", Text("mentorbot-report-mentors-title"), columns, [row for _rank, row in rows], totals,
                  notes, lines=[f"{len(mentors)} mentors: " + ", ".join(
                      f"{n} {s.replace('-', ' ')}" for s, n in sorted(statuses.items()))])
