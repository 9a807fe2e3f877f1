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
from bot.reports import Cell, Report
from bot.rules import Measure, SweepRules
from bot.state import StateStore
from bot.sweep import Decision, count_rule_lapses, decide, namespace_groups

# Edits are counted up to this many per group: enough to read, without paging through a heavy editor.
EDIT_CAP = 500
RECENT_DAYS = 90  # the recent-changes window: GrowthExperiments calls a mentee active within it
DEFAULT_WINDOW = Measure("edits-in-window", window_days=90, min_edits=(("content", 0), ("talk", 0)))
DEFAULT_ANSWER_DAYS = 7
STATUS = {"warn": "warning due", "away": "away due", "remove": "removal due"}


def status_of(decision: Decision | None, rules: SweepRules | None, now: datetime) -> str:
    """Where the sweep's own decision puts the mentor today."""
    if decision is None or rules is None:
        return "no rules"
    if decision.action in STATUS:
        return STATUS[decision.action]
    if rules.leaves_alone(decision.mentor):
        return "exempt"
    if decision.mentor.away_at(now):
        return "away"
    if decision.lapse_start and decision.warned:
        return "warned"
    return "ok"


def block_text(fact: MentorFacts | None) -> str:
    if fact is None or fact.block is None:
        return ""
    scope = "partial" if fact.block.partial else "sitewide"
    until = "indefinite" if fact.block.expiry is None else f"until {fact.block.expiry:%Y-%m-%d}"
    return f"{scope}, {until}"


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


def away_text(mentor: Mentor, away_known: bool) -> str:
    if mentor.away_blocked:
        return "blocked or locked"
    return day(mentor.away_until) or ("" if away_known else "unknown")


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
    columns = ["mentor", "weight", "away until", "last edit", "last logged action",
               *[f"{group} edits ({shown.window_days} d)" for group in group_names],
               "mentees", "active mentees", f"questions ({question_days} d)",
               f"answered within {answer_within.days} d", "median time to answer (h)", "block", "status", "reason"]
    rows: list[list[Cell]] = []
    statuses: Counter[str] = Counter()
    totals_questions = totals_answered = 0
    for mentor in mentors:
        fact = facts.get(mentor.user_id)
        decision = decisions.get(mentor.user_id)
        status = status_of(decision, rules, now) if fact else "account missing"
        statuses[status] += 1
        counts = fact.edit_counts.get(shown.key, {}) if fact else {}
        answers = [(a - q.asked).total_seconds() / 3600 for q in fact.questions
                   if (a := fact.answered_at(q, answer_within)) is not None] if fact else []
        questions = len(fact.questions) if fact else 0
        totals_questions += questions
        totals_answered += len(answers)
        median = statistics.median(answers) if answers else None
        mentee_total, mentee_active = mentees.get(mentor.user_id, (0, 0))
        rows.append([
            mentor.username, mentor.weight, away_text(mentor, mentor_list.away_known),
            day(fact.last_edit if fact else None),
            day(fact.last_logged_action if fact else None),
            *[(f"{EDIT_CAP}+" if counts.get(g, 0) >= EDIT_CAP else counts.get(g, 0)) for g in group_names],
            mentee_total, mentee_active, questions, len(answers),
            round(median, 1) if median is not None else None, block_text(fact), status,
            decision.explanation if decision and (status not in ("ok", "away") or decision.lapse_start) else "",
        ])
    totals: list[tuple[str, Cell]] = [
        ("mentors", len(mentors)),
        ("auto-assigned", sum(1 for m in mentors if m.auto_assigned)),
        ("away now", sum(1 for m in mentors if m.away_at(now))),
        ("blocked", sum(1 for f in facts.values() if f.block)),
        *[(f"status: {status}", number) for status, number in sorted(statuses.items())],
        ("mentees (primary)", sum(total for total, _active in mentees.values())),
        (f"mentees who edited in the last {RECENT_DAYS} days", sum(active for _total, active in mentees.values())),
        (f"mentee questions in the last {question_days} days", totals_questions),
        (f"answered within {answer_within.days} days", totals_answered),
    ]
    notes = [
        f"Edits are counted over the last {shown.window_days} days per namespace group "
        f"({', '.join(group_names)}), up to {EDIT_CAP}.",
        f"Mentees: primary mentees {'in the dump ' + dump.name if dump else 'as GrowthExperiments lists them now'}; "
        f"active: edited within the last {RECENT_DAYS} days" + (" before the dump." if dump else "."),
        "Questions are edits tagged 'mentorship module question' or 'mentorship panel question' on the mentor's "
        "talk page; an answer is the mentor's own later edit to that thread.",
        "Status is where the sweep's rules put the mentor today (ok, warned, warning due, away due, removal "
        "due, away, exempt)." if rules else "Status: the wiki has no sweep rules page, so no status is given.",
        *(f"{note[0].upper()}{note[1:]}." for note in mentor_list.notes()),
    ]
    return Report("mentors", "Mentor status dashboard", columns, rows, totals, notes,
                  lines=[f"{len(mentors)} mentors: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))])
