"""The sweep's decisions, stage by stage, worked out by hand from the rules and the facts.

NOW is 2026-06-01. The standard rules warn after 10 days, mark away after 20 and remove after 40
days of no edit, each stage at least 7 days (the default notice period) after the notice of the one
before; a mentor whose last edit was N days ago has a lapse that began N days before NOW.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.activity import Block, MentorFacts, Question
from bot.community import CommunitySettings, merge
from bot.mentors import Mentor
from bot.messages import Text
from bot.rules import Measure, SweepRules
from bot.sweep import (
    Decision,
    apply_to_list,
    count_rule_fails,
    count_rule_lapses,
    decide,
    decision_from_json,
    decision_to_json,
    journal_entry,
    measure_inactivity,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LAST_EDIT = (Measure("last-edit"),)
STAGES = SweepRules(LAST_EDIT, warn_after_days=10, away_after_days=20, remove_after_days=40)
PLAIN = merge({}, "defaults")
GE_REMOVES = merge({"GEMentorshipShouldBeAutoremoved": True}, "page")
GE_CLEANS = merge({"GEMentorshipShouldBeAutoremoved": True, "GEMentorshipShouldBeAutoawayed": True}, "page")
MENTOR = Mentor(1, "Some mentor")
REMOVAL_REFUSED = ("removal refused: GrowthExperiments removes inactive mentors itself here "
                   "(GEMentorshipShouldBeAutoremoved)")
AWAY_REFUSED = ("away refused: GrowthExperiments marks inactive mentors away itself here "
                "(GEMentorshipShouldBeAutoawayed)")
BLOCKED_AWAY = "counts as away while blocked or locked"
TEMPORARY = "temporarily blocked: never removed"


def day(offset: int) -> datetime:
    return NOW + timedelta(days=offset)


def decision(days: int, *, rules: SweepRules = STAGES, settings: CommunitySettings = PLAIN,
             mentor: Mentor = MENTOR, warned: bool = False, block: Block | None = None,
             steps: dict[str, int] | None = None) -> Decision:
    """``steps``: each stage done for this lapse, and how many days ago; ``warned`` is a warning 8 days ago."""
    fact = MentorFacts(1, mentor.username, registration=day(-900), editcount=9, last_edit=day(-days), block=block)
    lapse = f"{day(-days):%Y-%m-%dT%H:%M:%SZ}"
    done = {(1, lapse, stage): day(-ago) for stage, ago in ({"warn": 8} if warned else {} | (steps or {})).items()}
    if warned and steps:
        done |= {(1, lapse, stage): day(-ago) for stage, ago in steps.items()}
    (decided,) = decide([mentor], {1: fact}, rules, settings, NOW, {}, done)
    return decided


def outcome(decided: Decision) -> tuple[str, str | None, str | None, str]:
    until = f"{decided.away_until:%Y-%m-%d}" if decided.away_until else None
    return decided.action, decided.notice, until, decided.detail


def announced(decided: Decision) -> tuple[str, str | None]:
    """The stage a notice announces, and its date."""
    return decided.next_stage, f"{decided.next_date:%Y-%m-%d}" if decided.next_date else None


def test_an_active_mentor_is_left_with_the_days_counted() -> None:
    assert decision(9) == Decision(MENTOR, "none", Text("mentorbot-reason-no-edit", day(-9), 9), days=9)
    assert str(decision(9).reason) == "no edit since 2026-05-23 (9 days)"


def test_a_warning_names_the_measure_the_lapse_and_the_next_stage_with_its_date() -> None:
    assert decision(10) == Decision(
        MENTOR, "warn", Text("mentorbot-reason-no-edit", day(-10), 10), rule=Text("mentorbot-measure-last-edit"),
        days=10, lapse_start="2026-05-22T00:00:00Z", notice="warn", next_stage="away", next_date=day(10))


@pytest.mark.parametrize(("days", "warned", "steps", "expected"), [
    (12, True, {}, ("none", None, None, "already warned")),
    (19, True, {}, ("none", None, None, "already warned")),
    # Away until the removal point (the lapse's start + 40 days), a notice period from now at the soonest.
    (20, True, {}, ("away", "away", "2026-06-21", "")),
    (25, True, {}, ("away", "away", "2026-06-16", "")),
    (39, True, {}, ("away", "away", "2026-06-08", "")),
    # Due for away, not warned yet: warned first.
    (25, False, {}, ("warn", "warn", None, "")),
    # Far past the removal point: warned, then away, then removed; never a stage skipped.
    (45, False, {}, ("warn", "warn", None, "")),
    (40, True, {}, ("away", "away", "2026-06-08", "")),
    (45, True, {"away": 7}, ("remove", "removed", None, "")),
    # Each stage waits a notice period after the last notice.
    (45, False, {"warn": 6}, ("none", None, None, "already warned; away mark not before 2026-06-02, a notice "
                                                  "period after 2026-05-26")),
    (45, True, {"away": 6}, ("none", None, None, "already warned; removal not before 2026-06-02, a notice "
                                                 "period after 2026-05-26")),
])
def test_each_stage_comes_at_its_day_and_a_notice_period_after_the_one_before(
        days: int, warned: bool, steps: dict[str, int], expected: tuple[Any, ...]) -> None:
    decided = decision(days, warned=warned, steps=steps)
    assert outcome(decided) == expected
    assert decided.warned is (warned or "warn" in steps)


def test_a_notice_period_of_its_own_and_none_at_all() -> None:
    patient = replace(STAGES, notice_days=14)
    assert outcome(decision(45, warned=True, rules=patient))[3] == (
        "already warned; away mark not before 2026-06-07, a notice period after 2026-05-24")
    assert announced(decision(45, rules=patient)) == ("away", "2026-06-15")
    hasty = replace(STAGES, notice_days=0)
    assert outcome(decision(45, rules=hasty, steps={"warn": 0})) == ("away", "away", "2026-06-01", "")
    assert outcome(decision(45, rules=hasty, steps={"warn": 0, "away": 0})) == ("remove", "removed", None, "")


def test_the_next_stage_is_named_with_its_date() -> None:
    assert announced(decision(12)) == ("away", "2026-06-09")  # the away day itself
    assert announced(decision(25)) == ("away", "2026-06-08")  # a notice period from now
    assert announced(decision(45)) == ("away", "2026-06-08")
    assert announced(decision(25, warned=True)) == ("remove", "2026-06-16")  # the away mark's end
    no_away = SweepRules(LAST_EDIT, warn_after_days=10, remove_after_days=40)
    assert announced(decision(12, rules=no_away)) == ("remove", "2026-06-29")
    # A removal GrowthExperiments does itself here is at most an away, at the removal day.
    assert announced(decision(12, rules=no_away, settings=GE_REMOVES)) == ("away", "2026-06-29")
    assert announced(decision(12, settings=GE_REMOVES)) == ("away", "2026-06-09")
    assert announced(decision(12, settings=GE_CLEANS)) == ("", None)  # a reminder only


def test_without_a_warning_stage_the_first_due_stage_is_acted_on() -> None:
    away_and_remove = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=40)
    assert outcome(decision(19, rules=away_and_remove)) == ("none", None, None, "")
    assert outcome(decision(25, rules=away_and_remove)) == ("away", "away", "2026-06-16", "")
    assert outcome(decision(40, rules=away_and_remove)) == ("away", "away", "2026-06-08", "")
    assert outcome(decision(45, rules=away_and_remove, steps={"away": 7})) == ("remove", "removed", None, "")
    only_away = SweepRules(LAST_EDIT, away_after_days=20)
    assert outcome(decision(25, rules=only_away)) == ("away", "away", "2026-07-01", "")  # the default 30 days
    only_warn = SweepRules(LAST_EDIT, warn_after_days=10)
    assert outcome(decision(300, rules=only_warn)) == ("warn", "warn", None, "")
    assert announced(decision(300, rules=only_warn)) == ("", None)


def test_where_growthexperiments_cleans_up_itself_the_bot_only_does_what_is_left() -> None:
    # GE removes: the bot marks away at most, for the default period.
    assert outcome(decision(45, warned=True, settings=GE_REMOVES)) == ("away", "away", "2026-07-01", REMOVAL_REFUSED)
    assert outcome(decision(45, settings=GE_REMOVES)) == ("warn", "warn", None, REMOVAL_REFUSED)
    # GE removes and marks away: nothing left but the warning.
    assert outcome(decision(45, settings=GE_CLEANS)) == ("warn", "warn", None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}")
    assert outcome(decision(45, warned=True, settings=GE_CLEANS)) == (
        "none", None, None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}; already warned")
    assert outcome(decision(25, warned=True, settings=GE_CLEANS)) == (
        "none", None, None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}; already warned")
    assert outcome(decision(40, warned=True, settings=GE_REMOVES)) == ("away", "away", "2026-07-01", REMOVAL_REFUSED)
    # Without an away stage of its own, a refused removal is still at most an away, after a warning.
    no_away = SweepRules(LAST_EDIT, warn_after_days=10, remove_after_days=40)
    first = decision(45, rules=no_away, settings=GE_REMOVES)
    assert outcome(first) == ("warn", "warn", None, REMOVAL_REFUSED)
    assert announced(first) == ("away", "2026-06-08")
    no_warning = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=40)
    assert outcome(decision(45, rules=no_warning, settings=GE_CLEANS)) == (
        "none", None, None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}")


def test_blocked_mentors_are_never_removed_unless_the_rules_say_so() -> None:
    sitewide = Block(expiry=day(5), partial=False)
    assert outcome(decision(45, warned=True, block=sitewide)) == ("none", None, None, f"{TEMPORARY}; {BLOCKED_AWAY}")
    partial = Block(expiry=day(5), partial=True)
    assert outcome(decision(45, warned=True, block=partial)) == ("away", "away", "2026-07-01", TEMPORARY)
    indefinite = Block(expiry=None, partial=False)
    assert outcome(decision(45, warned=True, block=indefinite)) == (
        "none", None, None, f"indefinitely blocked, and the rules do not remove blocked mentors; {BLOCKED_AWAY}")
    removing = replace(STAGES, remove_indefinitely_blocked=True)
    # A sitewide block counts as away already: from the warning straight to the removal.
    assert outcome(decision(45, warned=True, block=indefinite, rules=removing)) == ("remove", "removed", None, "")
    assert outcome(decision(45, warned=True, block=sitewide, rules=removing))[3].startswith("temporarily blocked")
    assert outcome(decision(25, warned=True, block=sitewide)) == ("none", None, None, f"{TEMPORARY}; {BLOCKED_AWAY}")
    assert outcome(decision(25, warned=True, block=partial)) == ("away", "away", "2026-07-01", TEMPORARY)
    locked = replace(MENTOR, away_blocked=True)
    assert outcome(decision(25, warned=True, mentor=locked)) == (
        "none", None, None, f"already warned; {BLOCKED_AWAY}")
    assert outcome(decision(12, block=sitewide)) == ("none", None, None, f"{TEMPORARY}; {BLOCKED_AWAY}")
    no_away = SweepRules(LAST_EDIT, warn_after_days=10, remove_after_days=40)
    assert outcome(decision(45, warned=True, block=partial, rules=no_away)) == (
        "away", "away", "2026-07-01", TEMPORARY)
    holiday = replace(MENTOR, away_until=day(10))
    assert outcome(decision(45, warned=True, block=partial, mentor=holiday)) == (
        "none", None, None, f"{TEMPORARY}; already warned; already away until 2026-06-11")


def test_a_mentor_away_already_is_left_unless_their_date_passes_the_removal_point() -> None:
    before_removal = replace(MENTOR, away_until=day(10))
    assert outcome(decision(25, warned=True, mentor=before_removal)) == (
        "none", None, None, "already warned; already away until 2026-06-11")
    assert announced(decision(25, warned=True, mentor=before_removal)) == ("remove", "2026-06-16")
    at_removal = replace(MENTOR, away_until=day(15))  # the removal point of a 25-day lapse
    assert outcome(decision(25, warned=True, mentor=at_removal))[0] == "none"
    past_removal = replace(MENTOR, away_until=day(60))
    capped = ("away", "away_capped", "2026-06-16", "self-set away date 2026-07-31 brought forward")
    assert outcome(decision(25, warned=True, mentor=past_removal)) == capped
    assert outcome(decision(25, mentor=past_removal)) == ("warn", "warn", None, "")  # warned first, as anyone
    expired = replace(MENTOR, away_until=day(-1))
    assert outcome(decision(25, warned=True, mentor=expired)) == ("away", "away", "2026-06-16", "")
    ends_now = replace(MENTOR, away_until=NOW)
    assert outcome(decision(25, warned=True, mentor=ends_now)) == ("away", "away", "2026-06-16", "")


def test_away_dates_are_whole_seconds_and_never_more_than_a_year_ahead() -> None:
    late_removal = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=3000)
    fact = MentorFacts(1, "Some mentor", last_edit=NOW - timedelta(days=25, microseconds=5))
    (decided,) = decide([MENTOR], {1: fact}, late_removal, PLAIN, NOW + timedelta(microseconds=7), {}, {})
    assert decided.away_until == day(365)


def test_lapses_without_an_edit_count_from_registration_and_logged_actions_count_for_last_action() -> None:
    never = MentorFacts(1, "Some mentor", registration=day(-50))
    lapse = "2026-04-12T00:00:00Z"
    (decided,) = decide([MENTOR], {1: never}, STAGES, PLAIN, NOW, {},
                        {(1, lapse, "warn"): day(-20), (1, lapse, "away"): day(-10)})
    assert (decided.action, str(decided.reason)) == ("remove", "no edit since registering on 2026-04-12 (50 days)")
    ancient = MentorFacts(1, "Some mentor")  # no registration date (accounts from before 2005)
    assert decide([MENTOR], {1: ancient}, STAGES, PLAIN, NOW, {}, {})[0] == Decision(
        MENTOR, "none", Text("mentorbot-reason-active"))
    logging = SweepRules((Measure("last-action"),), warn_after_days=10, remove_after_days=40)
    acted = MentorFacts(1, "Some mentor", registration=day(-900), last_edit=day(-30), last_logged_action=day(-12))
    (decided,) = decide([MENTOR], {1: acted}, logging, PLAIN, NOW, {}, {})
    assert (decided.action, str(decided.reason), str(decided.rule)) == (
        "warn", "no edit or logged action since 2026-05-20 (12 days)",
        "the days since the last edit or logged action")
    only_log = MentorFacts(1, "Some mentor", registration=day(-900), last_logged_action=day(-3))
    assert str(decide([MENTOR], {1: only_log}, logging, PLAIN, NOW, {}, {})[0].reason) == (
        "no edit or logged action since 2026-05-29 (3 days)")
    one_day = MentorFacts(1, "Some mentor", registration=day(-900), last_edit=day(-1))
    assert str(decide([MENTOR], {1: one_day}, logging, PLAIN, NOW, {}, {})[0].reason) == (
        "no edit or logged action since 2026-05-31 (1 day)")


def test_mentors_without_an_account_or_left_alone_get_no_action() -> None:
    rules = replace(STAGES, skip_manual_mentors=True)
    manual, gone, lapsed = Mentor(2, "Manual", weight=0), Mentor(3, "Gone"), Mentor(4, "Lapsed")
    found = {2: MentorFacts(2, "Manual", last_edit=day(-90)), 4: MentorFacts(4, "Lapsed", last_edit=day(-12))}
    assert decide([manual, gone, lapsed], found, rules, PLAIN, NOW, {}, {})[:2] == [
        Decision(manual, "none", Text("mentorbot-reason-manual")),
        Decision(gone, "none", Text("mentorbot-reason-no-account"))]
    assert [d.action for d in decide([manual, gone, lapsed], found, rules, PLAIN, NOW, {}, {})] == [
        "none", "none", "warn"]


EDITS = Measure("edits-in-window", window_days=30, min_edits=(("content", 5), ("talk", 2)))
QUESTIONS = Measure("answered-questions", window_days=90, answer_within_days=3, min_share=0.5, min_questions=2)


def english_fails(fact: MentorFacts, measure: Measure) -> tuple[bool, str]:
    failing, reason = count_rule_fails(fact, measure, NOW)
    return failing, str(reason)


def test_edit_counts_fail_on_any_group_short_of_its_minimum() -> None:
    fact = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 5, "talk": 1}})
    assert english_fails(fact, EDITS) == (True, "only 1 of 2 edits in talk pages in the last 30 days")
    fact.edit_counts[EDITS.key] = {"content": 4}
    assert english_fails(fact, EDITS) == (
        True, "only 4 of 5 edits in articles, 0 of 2 edits in talk pages in the last 30 days")
    fact.edit_counts[EDITS.key] = {"content": 5, "talk": 2}
    assert count_rule_fails(fact, EDITS, NOW)[0] is False
    one_talk_edit = Measure("edits-in-window", window_days=30, min_edits=(("talk", 1),))
    assert count_rule_fails(MentorFacts(1, "Talked", edit_counts={one_talk_edit.key: {"talk": 1}}), one_talk_edit,
                            NOW)[0] is False
    assert english_fails(MentorFacts(1, "Counted nothing"), one_talk_edit) == (
        True, "only 0 of 1 edit in talk pages in the last 30 days")


def asked(days_ago: float, answered_after_days: float | None = None,
          ) -> tuple[Question, list[tuple[datetime, str | None]]]:
    """A question in a thread of its own, and the mentor's answer in that thread if any."""
    question = Question(NOW - timedelta(days=days_ago), f"Question {days_ago} {answered_after_days}")
    answers = [] if answered_after_days is None else [
        (question.asked + timedelta(days=answered_after_days), question.section)]
    return question, answers


def questions_fact(*items: tuple[Question, list[tuple[datetime, str | None]]]) -> MentorFacts:
    return MentorFacts(1, "Some mentor", questions=[q for q, _ in items],
                       own_talk_edits=[edit for _, edits in items for edit in edits])


def test_questions_count_once_answered_or_once_their_answer_period_is_over() -> None:
    # Two questions due, one answered in time: 50 % is enough.
    fact = questions_fact(asked(10, 1), asked(10), asked(1))  # the last is still inside its 3 days
    assert english_fails(fact, QUESTIONS) == (
        False, "1 of 2 mentee questions answered within 3 days (50%; at least 50% wanted)")
    late = questions_fact(asked(10, 4), asked(10), asked(3))  # answered too late; the last just came due
    assert english_fails(late, QUESTIONS) == (
        True, "0 of 3 mentee questions answered within 3 days (0%; at least 50% wanted)")
    early_answer = questions_fact(asked(2, 1), asked(2, 0.5))  # answered, so counted before their period ends
    assert english_fails(early_answer, QUESTIONS) == (
        False, "2 of 2 mentee questions answered within 3 days (100%; at least 50% wanted)")
    strict = replace(QUESTIONS, min_share=0.75)
    assert english_fails(fact, strict) == (
        True, "1 of 2 mentee questions answered within 3 days (50%; at least 75% wanted)")
    too_few = questions_fact(asked(10))  # one question due, two needed before the share counts
    assert english_fails(too_few, QUESTIONS) == (False, "active")


def test_a_count_rule_lapse_starts_at_the_first_sweep_that_saw_it_fail() -> None:
    fact = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 0, "talk": 9}})
    fresh = measure_inactivity(fact, EDITS, NOW, {})
    assert fresh is not None and (fresh.days, fresh.since) == (0, NOW)
    assert str(fresh.reason) == "only 0 of 5 edits in articles in the last 30 days, since 2026-06-01"
    earlier = measure_inactivity(fact, EDITS, NOW, {(1, EDITS.key): day(-12).timestamp()})
    assert earlier is not None and (earlier.days, earlier.since) == (12, day(-12))
    assert measure_inactivity(fact, EDITS, NOW, {(2, EDITS.key): day(-12).timestamp()}).days == 0  # type: ignore[union-attr]
    passing = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 5, "talk": 2}})
    assert measure_inactivity(passing, EDITS, NOW, {(1, EDITS.key): day(-12).timestamp()}) is None


def test_count_rule_lapses_keep_their_start_and_end_when_passed() -> None:
    rules = SweepRules((Measure("last-edit"), EDITS), remove_after_days=40, exempt=frozenset({"Left alone"}))
    failing = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 0}})
    passing = MentorFacts(2, "Busy mentor", edit_counts={EDITS.key: {"content": 9, "talk": 9}})
    exempt = MentorFacts(3, "Left alone", edit_counts={EDITS.key: {}})
    mentors = [Mentor(3, "Left alone"), Mentor(4, "No account"), MENTOR, Mentor(2, "Busy mentor")]
    earlier = day(-7).timestamp()
    found, passed = count_rule_lapses(mentors, {1: failing, 2: passing, 3: exempt}, rules,
                                      {(1, EDITS.key): earlier, (2, EDITS.key): earlier}, NOW)
    assert found == {(1, EDITS.key): earlier} and passed == {(2, EDITS.key)}
    found, passed = count_rule_lapses(mentors, {1: failing}, rules, {}, NOW)
    assert found == {(1, EDITS.key): NOW.timestamp()} and passed == set()
    unanswered = questions_fact(asked(10), asked(9))
    found, passed = count_rule_lapses([MENTOR], {1: unanswered}, replace(rules, measures=(QUESTIONS,)), {}, NOW)
    assert found == {(1, QUESTIONS.key): NOW.timestamp()}


def test_the_longest_failing_measure_leads() -> None:
    rules = SweepRules((Measure("last-edit"), EDITS), warn_after_days=10, remove_after_days=40)
    fact = MentorFacts(1, "Some mentor", last_edit=day(-12), edit_counts={EDITS.key: {"content": 0}})
    (decided,) = decide([MENTOR], {1: fact}, rules, PLAIN, NOW, {(1, EDITS.key): day(-30).timestamp()}, {})
    assert (decided.days, str(decided.rule)) == (30, "at least 5 edits in articles, 2 edits in talk pages in 30 days")
    (decided,) = decide([MENTOR], {1: fact}, rules, PLAIN, NOW, {(1, EDITS.key): day(-5).timestamp()}, {})
    assert (decided.days, str(decided.rule)) == (12, "the days since the last edit")


def test_a_decision_survives_the_journal_and_reads_as_one_line() -> None:
    away = replace(decision(25, warned=True), mentor=replace(MENTOR, weight=3, away_until=day(-2), message="Hi"))
    assert decision_from_json(json.loads(json.dumps(decision_to_json(away)))) == away
    assert decision_from_json(json.loads(json.dumps(decision_to_json(decision(9))))) == decision(9)
    warning = decision(12)  # with the stage it announces, and its date
    assert decision_from_json(json.loads(json.dumps(decision_to_json(warning)))) == warning
    edits = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 0}})
    inactive = measure_inactivity(edits, EDITS, NOW, {})
    assert inactive is not None
    nested = replace(warning, reason=inactive.reason, rule=EDITS.describe())  # lists inside messages inside messages
    assert decision_from_json(json.loads(json.dumps(decision_to_json(nested)))) == nested
    # A plan journaled before reasons were messages: its English sentence as it was, no date to announce.
    older = {**decision_to_json(warning), "reason": "no edit since 2026-05-20 (12 days)", "rule": "days since",
             "next_stage": "marked away as a mentor on 2026-06-09"}
    del older["next_date"]
    read = decision_from_json(older)
    assert (str(read.reason), str(read.rule), read.next_stage, read.next_date) == (
        "no edit since 2026-05-20 (12 days)", "days since", "", None)
    assert journal_entry(away) == "1:2026-05-07T00:00:00Z:away"
    assert away.line() == ("away   Some mentor until 2026-06-16: no edit since 2026-05-07 (25 days); "
                           "next: removal on 2026-06-16")
    assert decision(12, warned=True).line() == (
        "-      Some mentor: no edit since 2026-05-20 (12 days); already warned; next: away mark on 2026-06-09")
    assert decision(9).line() == "-      Some mentor: no edit since 2026-05-23 (9 days)"


def test_only_a_removal_changes_the_list_page_and_only_for_a_listed_mentor() -> None:
    page = {"Mentors": {"1": {"message": None, "weight": 2}, "2": {"message": "Hi", "weight": 1}}, "Other": 1}
    removal = decision(40, warned=True, steps={"away": 8})
    assert apply_to_list(page, removal) == {"Mentors": {"2": {"message": "Hi", "weight": 1}}, "Other": 1}
    assert "1" in page["Mentors"]  # the page read is left as it was
    assert apply_to_list(page, decision(25, warned=True)) is None
    assert apply_to_list({"Mentors": {"2": {}}}, removal) is None
    assert apply_to_list([], removal) is None
    assert apply_to_list({}, removal) is None


def test_waiting_decisions_say_why_and_when_the_next_stage_comes() -> None:
    # Due by its days, but the warning is only 3 days old: the notice period decides, and says so.
    waiting = decision(20, steps={"warn": 3})
    assert outcome(waiting) == ("none", None, None, "already warned; away mark not before 2026-06-05, a notice "
                                                    "period after 2026-05-29")
    assert announced(waiting) == ("away", "2026-06-05")
    # A refusal is named while waiting too.
    assert outcome(decision(12, warned=True, settings=GE_REMOVES)) == (
        "none", None, None, f"{REMOVAL_REFUSED}; already warned")
    assert outcome(decision(20, settings=GE_REMOVES, steps={"warn": 3}))[3].startswith(f"{REMOVAL_REFUSED}; ")
    # Marked away by the bot: the away date is the bot's, so no "already away" of the mentor's own.
    marked = replace(MENTOR, away_until=day(15))
    assert outcome(decision(25, warned=True, mentor=marked, steps={"away": 1})) == (
        "none", None, None, "already warned")
    assert announced(decision(25, warned=True, mentor=marked, steps={"away": 1})) == ("remove", "2026-06-16")
    # GrowthExperiments marks away here, the bot removes: the removal's details name the refused away.
    removal = decision(45, warned=True, settings=merge({"GEMentorshipShouldBeAutoawayed": True}, "page"))
    assert outcome(removal) == ("remove", "removed", None, AWAY_REFUSED)


def test_without_a_removal_an_away_mark_that_ran_out_is_given_again() -> None:
    only_away = SweepRules(LAST_EDIT, away_after_days=20)
    expired = replace(MENTOR, away_until=day(-1))
    assert outcome(decision(60, mentor=expired, rules=only_away, steps={"away": 31})) == (
        "away", "away", "2026-07-01", "")
    still = replace(MENTOR, away_until=day(2))
    assert outcome(decision(60, mentor=still, rules=only_away, steps={"away": 28}))[0] == "none"


def test_an_away_mark_at_the_years_limit_announces_the_removal_on_its_own_date() -> None:
    late_removal = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=3000)
    now = NOW + timedelta(microseconds=7)
    fact = MentorFacts(1, "Some mentor", last_edit=NOW - timedelta(days=25, microseconds=5))
    (decided,) = decide([MENTOR], {1: fact}, late_removal, PLAIN, now, {}, {})
    assert decided.away_until == decided.next_date == day(365)  # not the removal point 3000 days on
    (waiting,) = decide([MENTOR], {1: fact}, late_removal, PLAIN, now, {},
                        {(1, decided.lapse_start, "away"): now})
    assert fact.last_edit is not None and waiting.next_date is not None and waiting.next_date.microsecond == 0
    assert waiting.next_date == (fact.last_edit + timedelta(days=3000)).replace(microsecond=0)  # whole seconds
