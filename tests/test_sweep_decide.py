"""The sweep's decisions, stage by stage, worked out by hand from the rules and the facts.

NOW is 2026-06-01. The standard rules warn after 10 days, mark away after 20 and remove after 40
days of no edit; a mentor whose last edit was N days ago has a lapse that began N days before NOW.
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


def day(offset: int) -> datetime:
    return NOW + timedelta(days=offset)


def decision(days: int, *, rules: SweepRules = STAGES, settings: CommunitySettings = PLAIN,
             mentor: Mentor = MENTOR, warned: bool = False, block: Block | None = None) -> Decision:
    fact = MentorFacts(1, mentor.username, registration=day(-900), editcount=9, last_edit=day(-days), block=block)
    done = {(1, f"{day(-days):%Y-%m-%dT%H:%M:%SZ}", "warn")} if warned else set()
    (decided,) = decide([mentor], {1: fact}, rules, settings, NOW, {}, done)
    return decided


def outcome(decided: Decision) -> tuple[str, str | None, str | None, str]:
    until = f"{decided.away_until:%Y-%m-%d}" if decided.away_until else None
    return decided.action, decided.notice, until, decided.detail


def test_an_active_mentor_is_left_with_the_days_counted() -> None:
    assert decision(9) == Decision(MENTOR, "none", "no edit since 2026-05-23 (9 days)", days=9)


def test_a_warning_names_the_measure_the_lapse_and_the_next_stage_with_its_date() -> None:
    assert decision(10) == Decision(
        MENTOR, "warn", "no edit since 2026-05-22 (10 days)", rule="days since the last edit", days=10,
        lapse_start="2026-05-22T00:00:00Z", notice="warn", next_stage="marked away as a mentor on 2026-06-11")


@pytest.mark.parametrize(("days", "warned", "expected"), [
    (12, True, ("none", None, None, "already warned")),
    (19, True, ("none", None, None, "already warned")),
    # Away until the removal point (the lapse's start + 40 days).
    (20, True, ("away", "away", "2026-06-21", "")),
    (25, True, ("away", "away", "2026-06-16", "")),
    # Due for away, not warned yet: warned first.
    (25, False, ("warn", "warn", None, "warned first, away on a later sweep")),
    (39, True, ("away", "away", "2026-06-02", "")),
    (40, True, ("remove", "removed", None, "")),
    (45, False, ("warn", "warn", None, "warned first, removal on a later sweep")),
])
def test_each_stage_comes_at_its_day_and_only_after_a_warning(days: int, warned: bool,
                                                              expected: tuple[Any, ...]) -> None:
    decided = decision(days, warned=warned)
    assert outcome(decided) == expected
    assert decided.warned is warned


def test_the_next_stage_is_named_with_its_date_or_as_the_next_sweep() -> None:
    assert decision(12).next_stage == "marked away as a mentor on 2026-06-09"
    assert decision(25).next_stage == "marked away as a mentor at the next sweep"
    assert decision(45).next_stage == "removed from the mentor list at the next sweep"
    no_away = SweepRules(LAST_EDIT, warn_after_days=10, remove_after_days=40)
    assert decision(12, rules=no_away).next_stage == "removed from the mentor list on 2026-06-29"
    assert decision(12, rules=no_away, settings=GE_REMOVES).next_stage == "reminded again"
    assert decision(12, settings=GE_REMOVES).next_stage == "marked away as a mentor on 2026-06-09"
    assert decision(12, settings=GE_CLEANS).next_stage == "reminded again"


def test_without_a_warning_stage_the_first_due_stage_is_acted_on() -> None:
    away_and_remove = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=40)
    assert outcome(decision(19, rules=away_and_remove)) == ("none", None, None, "")
    assert outcome(decision(25, rules=away_and_remove)) == ("away", "away", "2026-06-16", "")
    assert outcome(decision(40, rules=away_and_remove)) == ("remove", "removed", None, "")
    only_away = SweepRules(LAST_EDIT, away_after_days=20)
    assert outcome(decision(25, rules=only_away)) == ("away", "away", "2026-07-01", "")  # the default 30 days
    only_warn = SweepRules(LAST_EDIT, warn_after_days=10)
    assert outcome(decision(300, rules=only_warn)) == ("warn", "warn", None, "")
    assert decision(300, rules=only_warn).next_stage == "reminded again"


def test_where_growthexperiments_cleans_up_itself_the_bot_only_does_what_is_left() -> None:
    # GE removes: the bot marks away at most, for the default period (the removal point is past).
    assert outcome(decision(45, warned=True, settings=GE_REMOVES)) == ("away", "away", "2026-07-01", REMOVAL_REFUSED)
    assert outcome(decision(45, settings=GE_REMOVES)) == ("warn", "warn", None, "warned first, away on a later sweep")
    # GE removes and marks away: nothing left but the warning.
    assert outcome(decision(45, settings=GE_CLEANS)) == ("warn", "warn", None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}")
    assert outcome(decision(45, warned=True, settings=GE_CLEANS)) == (
        "none", None, None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}; already warned")
    assert outcome(decision(25, warned=True, settings=GE_CLEANS)) == (
        "none", None, None, f"{AWAY_REFUSED}; already warned")
    # The removal point is now: the away period is the default one, not zero days.
    assert outcome(decision(40, warned=True, settings=GE_REMOVES)) == ("away", "away", "2026-07-01", REMOVAL_REFUSED)
    # Without an away stage of its own, a refused removal is still at most an away, after a warning.
    no_away = SweepRules(LAST_EDIT, warn_after_days=10, remove_after_days=40)
    first = decision(45, rules=no_away, settings=GE_REMOVES)
    assert outcome(first) == ("warn", "warn", None, "warned first, away on a later sweep")
    assert first.next_stage == "marked away as a mentor at the next sweep"
    no_warning = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=40)
    assert outcome(decision(45, rules=no_warning, settings=GE_CLEANS)) == (
        "none", None, None, f"{REMOVAL_REFUSED}; {AWAY_REFUSED}")


def test_blocked_mentors_are_never_removed_unless_the_rules_say_so() -> None:
    sitewide = Block(expiry=day(5), partial=False)
    assert outcome(decision(45, warned=True, block=sitewide)) == (
        "none", None, None, f"temporarily blocked: never removed; {BLOCKED_AWAY}")
    partial = Block(expiry=day(5), partial=True)
    assert outcome(decision(45, warned=True, block=partial)) == (
        "away", "away", "2026-07-01", "temporarily blocked: never removed")
    indefinite = Block(expiry=None, partial=False)
    assert outcome(decision(45, warned=True, block=indefinite)) == (
        "none", None, None, f"indefinitely blocked, and the rules do not remove blocked mentors; {BLOCKED_AWAY}")
    removing = replace(STAGES, remove_indefinitely_blocked=True)
    assert outcome(decision(45, warned=True, block=indefinite, rules=removing)) == ("remove", "removed", None, "")
    assert outcome(decision(45, warned=True, block=sitewide, rules=removing))[3].startswith("temporarily blocked")
    # Below the removal point a sitewide block already counts as away: nothing to mark.
    assert outcome(decision(25, warned=True, block=sitewide)) == ("none", None, None, BLOCKED_AWAY)
    assert outcome(decision(25, warned=True, block=partial)) == ("away", "away", "2026-06-16", "")
    locked = replace(MENTOR, away_blocked=True)
    assert outcome(decision(25, warned=True, mentor=locked)) == ("none", None, None, BLOCKED_AWAY)
    assert outcome(decision(12, block=sitewide)) == ("none", None, None, BLOCKED_AWAY)
    no_away = SweepRules(LAST_EDIT, warn_after_days=10, remove_after_days=40)
    assert outcome(decision(45, warned=True, block=partial, rules=no_away)) == (
        "away", "away", "2026-07-01", "temporarily blocked: never removed")
    holiday = replace(MENTOR, away_until=day(10))
    assert outcome(decision(45, warned=True, block=partial, mentor=holiday)) == (
        "none", None, None, "temporarily blocked: never removed; already away until 2026-06-11")


def test_a_mentor_away_already_is_left_unless_their_date_passes_the_removal_point() -> None:
    before_removal = replace(MENTOR, away_until=day(10))
    assert outcome(decision(25, warned=True, mentor=before_removal)) == (
        "none", None, None, "already away until 2026-06-11")
    at_removal = replace(MENTOR, away_until=day(15))  # the removal point of a 25-day lapse
    assert outcome(decision(25, warned=True, mentor=at_removal))[0] == "none"
    past_removal = replace(MENTOR, away_until=day(60))
    capped = ("away", "away_capped", "2026-06-16",
              "self-set away date 2026-07-31 is past the removal point 2026-06-16, so it is capped")
    assert outcome(decision(25, warned=True, mentor=past_removal)) == capped
    assert outcome(decision(25, mentor=past_removal)) == capped  # a cap needs no warning first
    expired = replace(MENTOR, away_until=day(-1))
    assert outcome(decision(25, warned=True, mentor=expired)) == ("away", "away", "2026-06-16", "")
    ends_now = replace(MENTOR, away_until=NOW)
    assert outcome(decision(25, warned=True, mentor=ends_now)) == ("away", "away", "2026-06-16", "")


def test_away_dates_are_whole_seconds_and_never_more_than_a_year_ahead() -> None:
    late_removal = SweepRules(LAST_EDIT, away_after_days=20, remove_after_days=3000)
    fact = MentorFacts(1, "Some mentor", last_edit=NOW - timedelta(days=25, microseconds=5))
    (decided,) = decide([MENTOR], {1: fact}, late_removal, PLAIN, NOW + timedelta(microseconds=7), {}, set())
    assert decided.away_until == day(365)


def test_lapses_without_an_edit_count_from_registration_and_logged_actions_count_for_last_action() -> None:
    never = MentorFacts(1, "Some mentor", registration=day(-50))
    (decided,) = decide([MENTOR], {1: never}, STAGES, PLAIN, NOW, {}, {(1, "2026-04-12T00:00:00Z", "warn")})
    assert (decided.action, decided.reason) == ("remove", "no edit since registering on 2026-04-12 (50 days)")
    ancient = MentorFacts(1, "Some mentor")  # no registration date (accounts from before 2005)
    assert decide([MENTOR], {1: ancient}, STAGES, PLAIN, NOW, {}, set())[0] == Decision(MENTOR, "none", "active")
    logging = SweepRules((Measure("last-action"),), warn_after_days=10, remove_after_days=40)
    acted = MentorFacts(1, "Some mentor", registration=day(-900), last_edit=day(-30), last_logged_action=day(-12))
    (decided,) = decide([MENTOR], {1: acted}, logging, PLAIN, NOW, {}, set())
    assert (decided.action, decided.reason, decided.rule) == (
        "warn", "no edit or logged action since 2026-05-20 (12 days)", "days since the last edit or logged action")
    only_log = MentorFacts(1, "Some mentor", registration=day(-900), last_logged_action=day(-3))
    assert decide([MENTOR], {1: only_log}, logging, PLAIN, NOW, {}, set())[0].reason == (
        "no edit or logged action since 2026-05-29 (3 days)")


def test_mentors_without_an_account_or_left_alone_get_no_action() -> None:
    rules = replace(STAGES, skip_manual_mentors=True)
    manual, gone, lapsed = Mentor(2, "Manual", weight=0), Mentor(3, "Gone"), Mentor(4, "Lapsed")
    found = {2: MentorFacts(2, "Manual", last_edit=day(-90)), 4: MentorFacts(4, "Lapsed", last_edit=day(-12))}
    assert decide([manual, gone, lapsed], found, rules, PLAIN, NOW, {}, set())[:2] == [
        Decision(manual, "none", "weight 0 (manual only), skipped by the rules"),
        Decision(gone, "none", "the account does not exist")]
    assert [d.action for d in decide([manual, gone, lapsed], found, rules, PLAIN, NOW, {}, set())] == [
        "none", "none", "warn"]


EDITS = Measure("edits-in-window", window_days=30, min_edits=(("content", 5), ("talk", 2)))
QUESTIONS = Measure("answered-questions", window_days=90, answer_within_days=3, min_share=0.5, min_questions=2)


def test_edit_counts_fail_on_any_group_short_of_its_minimum() -> None:
    fact = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 5, "talk": 1}})
    assert count_rule_fails(fact, EDITS, NOW) == (True, "only 1 talk edits (of 2) in the last 30 days")
    fact.edit_counts[EDITS.key] = {"content": 4}
    assert count_rule_fails(fact, EDITS, NOW) == (
        True, "only 4 content edits (of 5), 0 talk edits (of 2) in the last 30 days")
    fact.edit_counts[EDITS.key] = {"content": 5, "talk": 2}
    assert count_rule_fails(fact, EDITS, NOW)[0] is False
    one_talk_edit = Measure("edits-in-window", window_days=30, min_edits=(("talk", 1),))
    assert count_rule_fails(MentorFacts(1, "Talked", edit_counts={one_talk_edit.key: {"talk": 1}}), one_talk_edit,
                            NOW)[0] is False
    assert count_rule_fails(MentorFacts(1, "Counted nothing"), one_talk_edit, NOW) == (
        True, "only 0 talk edits (of 1) in the last 30 days")


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
    assert count_rule_fails(fact, QUESTIONS, NOW) == (
        False, "1 of 2 mentee questions answered within 3 days (50%, at least 50% wanted)")
    late = questions_fact(asked(10, 4), asked(10), asked(3))  # answered too late; the last just came due
    assert count_rule_fails(late, QUESTIONS, NOW) == (
        True, "0 of 3 mentee questions answered within 3 days (0%, at least 50% wanted)")
    early_answer = questions_fact(asked(2, 1), asked(2, 0.5))  # answered, so counted before their period ends
    assert count_rule_fails(early_answer, QUESTIONS, NOW) == (
        False, "2 of 2 mentee questions answered within 3 days (100%, at least 50% wanted)")
    strict = replace(QUESTIONS, min_share=0.75)
    assert count_rule_fails(fact, strict, NOW) == (
        True, "1 of 2 mentee questions answered within 3 days (50%, at least 75% wanted)")
    too_few = questions_fact(asked(10))  # one question due, two needed before the share counts
    assert count_rule_fails(too_few, QUESTIONS, NOW) == (False, "")


def test_a_count_rule_lapse_starts_at_the_first_sweep_that_saw_it_fail() -> None:
    fact = MentorFacts(1, "Some mentor", edit_counts={EDITS.key: {"content": 0, "talk": 9}})
    fresh = measure_inactivity(fact, EDITS, NOW, {})
    assert fresh is not None and (fresh.days, fresh.since) == (0, NOW)
    assert fresh.reason == "only 0 content edits (of 5) in the last 30 days, failing since 2026-06-01"
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
    (decided,) = decide([MENTOR], {1: fact}, rules, PLAIN, NOW, {(1, EDITS.key): day(-30).timestamp()}, set())
    assert (decided.days, decided.rule) == (30, "at least 5 content and 2 talk edits in 30 days")
    (decided,) = decide([MENTOR], {1: fact}, rules, PLAIN, NOW, {(1, EDITS.key): day(-5).timestamp()}, set())
    assert (decided.days, decided.rule) == (12, "days since the last edit")


def test_a_decision_survives_the_journal_and_reads_as_one_line() -> None:
    away = replace(decision(25, warned=True), mentor=replace(MENTOR, weight=3, away_until=day(-2), message="Hi"))
    assert decision_from_json(json.loads(json.dumps(decision_to_json(away)))) == away
    assert decision_from_json(json.loads(json.dumps(decision_to_json(decision(9))))) == decision(9)
    assert journal_entry(away) == "1:2026-05-07T00:00:00Z:away"
    assert away.line() == "away   Some mentor until 2026-06-16: no edit since 2026-05-07 (25 days)"
    assert decision(12, warned=True).line() == "-      Some mentor: no edit since 2026-05-20 (12 days); already warned"


def test_only_a_removal_changes_the_list_page_and_only_for_a_listed_mentor() -> None:
    page = {"Mentors": {"1": {"message": None, "weight": 2}, "2": {"message": "Hi", "weight": 1}}, "Other": 1}
    removal = decision(40, warned=True)
    assert apply_to_list(page, removal) == {"Mentors": {"2": {"message": "Hi", "weight": 1}}, "Other": 1}
    assert "1" in page["Mentors"]  # the page read is left as it was
    assert apply_to_list(page, decision(25, warned=True)) is None
    assert apply_to_list({"Mentors": {"2": {}}}, removal) is None
    assert apply_to_list([], removal) is None
    assert apply_to_list({}, removal) is None
