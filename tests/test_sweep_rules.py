"""The sweep's pure parts: decisions from facts, placeholder filling, names, and paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.activity import ActivityReader, MentorFacts, Question
from bot.community import merge
from bot.errors import MalformedDocument
from bot.mentors import Mentor
from bot.messages import Messages
from bot.reports.dashboard import status_of
from bot.rules import Measure, SweepRules, normalize_username, parse_rules
from bot.sweep import decide

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LAST_EDIT = (Measure("last-edit"),)
LAST_EDIT_PAGE = {"activity": {"measure": "last-edit"}}


def facts(user_id: int, name: str, last_edit_days: int, **extra: Any) -> MentorFacts:
    return MentorFacts(user_id, name, registration=NOW - timedelta(days=900), editcount=5,
                       last_edit=NOW - timedelta(days=last_edit_days), **extra)


def test_a_mentor_whose_removal_is_refused_is_not_re_marked_away_every_sweep() -> None:
    # GrowthExperiments removes on this wiki, so the bot only marks away; the removal point is past.
    rules = SweepRules(LAST_EDIT, away_after_days=14, remove_after_days=60)
    settings = merge({"GEMentorshipShouldBeAutoremoved": True}, "page")
    mentor = Mentor(1, "Gone mentor")
    first = decide([mentor], {1: facts(1, "Gone mentor", 70)}, rules, settings, NOW, {}, {})[0]
    assert first.action == "away" and first.away_until == NOW + timedelta(days=30)
    marked = Mentor(1, "Gone mentor", away_until=first.away_until)
    done = {(1, first.lapse_start, "away"): NOW}
    for later in (1, 7, 29):
        again = decide([marked], {1: facts(1, "Gone mentor", 70 + later)}, rules, settings,
                       NOW + timedelta(days=later), {}, done)[0]
        assert again.action == "none", (later, again)
    # Once the mark has run out and the lapse goes on, the mentor is marked away again.
    expired = decide([marked], {1: facts(1, "Gone mentor", 101)}, rules, settings, NOW + timedelta(days=31), {},
                     done)[0]
    assert expired.action == "away" and expired.away_until == NOW + timedelta(days=61)


def test_away_dates_never_pass_the_removal_point_or_a_year() -> None:
    rules = SweepRules(LAST_EDIT, away_after_days=14, remove_after_days=60)
    settings = merge({}, "defaults")
    mentors = [Mentor(1, "A"), Mentor(2, "B", away_until=NOW + timedelta(days=400))]
    found = {1: facts(1, "A", 20), 2: facts(2, "B", 20)}
    away, capped = decide(mentors, found, rules, settings, NOW, {}, {})
    assert away.away_until == NOW + timedelta(days=40)
    assert capped.notice == "away_capped" and capped.away_until == NOW + timedelta(days=40)
    no_removal = SweepRules(LAST_EDIT, away_after_days=14, away_days_without_removal=3000)
    (long_away,) = decide([Mentor(1, "A")], {1: facts(1, "A", 20)}, no_removal, settings, NOW, {}, {})
    assert long_away.away_until == NOW + timedelta(days=365)


def test_a_warning_under_one_measure_counts_when_another_takes_the_lead() -> None:
    questions = Measure("answered-questions", window_days=90, answer_within_days=3, min_share=0.5)
    rules = SweepRules((Measure("last-edit"), questions), warn_after_days=10, remove_after_days=60)
    since = NOW - timedelta(days=30)
    first_failed = {(1, questions.key): since.timestamp()}
    warned = {(1, since.strftime("%Y-%m-%dT%H:%M:%SZ"), "warn"): since}  # warned when questions led
    # Both measures still fail, but the last edit (40 days) now leads the unanswered question (30).
    fact = facts(1, "A", 40, questions=[Question(NOW - timedelta(days=20), None)])
    (decision,) = decide([Mentor(1, "A")], {1: fact}, rules, merge({}, "defaults"), NOW, first_failed, warned)
    assert str(decision.reason).startswith("no edit since")
    assert decision.action == "none" and "already warned" in decision.explanation
    # The dashboard reads the same decision: it says "warned", as the sweep does.
    assert status_of(decision, rules, NOW) == "warned"


def test_exempt_names_are_read_as_mediawiki_spells_them() -> None:
    assert normalize_username("some_mentor") == "Some mentor"
    assert normalize_username("User:Other  one") == "Other one"
    assert normalize_username("user : a:b") == "A:b"  # only the first colon ends a namespace
    assert normalize_username("Project:Name") == "Project:Name"  # a colon in a name is not a namespace
    rules = SweepRules(LAST_EDIT, remove_after_days=60, exempt=frozenset({normalize_username("user:some_mentor")}))
    (decision,) = decide([Mentor(1, "Some mentor")], {1: facts(1, "Some mentor", 90)}, rules,
                         merge({}, "defaults"), NOW, {}, {})
    assert decision.action == "none" and str(decision.reason) == "exempt by the rules"


class PagingWiki:
    """MediaWiki's list=usercontribs paging for several users: by user, then newest first."""

    def __init__(self, rows: list[dict[str, Any]], limit: int) -> None:
        self.rows = sorted(rows, key=lambda r: (r["actor"], r["timestamp"], r["revid"]), reverse=True)
        self.limit = limit
        self.requests: list[dict[str, Any]] = []
        self.site = type("Site", (), {"has_right": staticmethod(lambda right: False)})()

    def get(self, **params: Any) -> dict[str, Any]:
        self.requests.append(params)
        users = params["ucuser"].split("|")
        rows = [r for r in self.rows if r["user"] in users]
        cont = params.get("uccontinue")
        if cont:
            parts = cont.split("|")
            if len(users) > 1:
                assert parts[0] == "actor" and len(parts) == 4, cont
                position = (int(parts[1]), parts[2], int(parts[3]))
                rows = [r for r in rows if (r["actor"], r["timestamp"], r["revid"]) <= position]
            else:
                assert len(parts) == 2, cont
                rows = [r for r in rows if (r["timestamp"], r["revid"]) <= (parts[0], int(parts[1]))]
        page, rest = rows[:self.limit], rows[self.limit:]
        result: dict[str, Any] = {"query": {"usercontribs": page}}
        if rest:
            nxt = rest[0]
            result["continue"] = {"uccontinue": f"actor|{nxt['actor']}|{nxt['timestamp']}|{nxt['revid']}"
                                  if len(users) > 1 else f"{nxt['timestamp']}|{nxt['revid']}"}
        return result


def test_the_last_unsettled_user_is_paged_to_the_end_once() -> None:
    rows = [{"user": "Busy", "actor": 2, "ns": 0, "timestamp": f"2026-05-{day:02d}T00:00:00Z", "revid": day}
            for day in range(1, 29)]
    rows += [{"user": "Quiet", "actor": 1, "ns": 1, "timestamp": f"2026-05-{day:02d}T01:00:00Z", "revid": 100 + day}
             for day in range(1, 26)]
    wiki = PagingWiki(rows, limit=10)
    reader = ActivityReader(wiki, NOW)  # type: ignore[arg-type]
    busy, quiet = MentorFacts(2, "Busy", editcount=28), MentorFacts(1, "Quiet", editcount=25)
    reader.edit_counts([busy, quiet], "k", 90, {"content": (0,), "all": (-1,)}, {"content": 5, "all": 30})
    assert busy.edit_counts["k"] == {"content": 28, "all": 28}
    assert quiet.edit_counts["k"] == {"content": 0, "all": 25}
    assert len(wiki.requests) <= 7  # 53 rows, 10 a page: no page fetched twice


def test_the_dashboards_status_is_the_sweeps_decision() -> None:
    """Each status the dashboard shows, from the sweep's own decide on the same facts."""
    rules = SweepRules(LAST_EDIT, warn_after_days=10, away_after_days=14, remove_after_days=60, exempt=("Kept",))
    settings = merge({}, "defaults")
    back = NOW + timedelta(days=20)
    mentors = [Mentor(1, "Fresh"), Mentor(2, "Lapsing"), Mentor(3, "Warned"), Mentor(4, "Long gone"),
               Mentor(5, "Holiday", away_until=back), Mentor(6, "Kept"), Mentor(7, "Marked away")]
    found = {1: facts(1, "Fresh", 2), 2: facts(2, "Lapsing", 11), 3: facts(3, "Warned", 20),
             4: facts(4, "Long gone", 70), 5: facts(5, "Holiday", 3), 6: facts(6, "Kept", 300),
             7: facts(7, "Marked away", 70)}

    def lapse(days: int) -> str:
        return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    week_ago = NOW - timedelta(days=8)
    done = {(3, lapse(20), "warn"): week_ago, (4, lapse(70), "warn"): week_ago,
            (7, lapse(70), "warn"): NOW - timedelta(days=30), (7, lapse(70), "away"): week_ago}
    decisions = decide(mentors, found, rules, settings, NOW, {}, done)
    # Stages are never skipped: warned 70 days in, the next is the away mark, not the removal.
    assert {d.mentor.username: status_of(d, rules, NOW) for d in decisions} == {
        "Fresh": "ok", "Lapsing": "warning-due", "Warned": "away-due", "Long gone": "away-due",
        "Holiday": "away", "Kept": "exempt", "Marked away": "removal-due"}
    (warned_only,) = decide([Mentor(3, "Warned")], {3: facts(3, "Warned", 12)}, rules, settings, NOW, {},
                            {(3, lapse(12), "warn"): week_ago})
    assert status_of(warned_only, rules, NOW) == "warned"
    assert status_of(None, None, NOW) == "no-rules"


def test_a_full_rules_page_becomes_exactly_the_rules_it_says() -> None:
    page = {
        "activity": [{"measure": "last-edit"},
                     {"measure": "edits-in-window", "window_days": 30, "min_edits": {"talk": 2, "help": 1}},
                     {"measure": "answered-questions", "window_days": 90, "answer_within_days": 3,
                      "min_share": 0.5, "min_questions": 2}],
        "warn_after_days": 10, "away_after_days": 20, "remove_after_days": 40, "away_days_without_removal": 15,
        "exempt": ["user:some_mentor"], "skip_manual_mentors": True, "remove_indefinitely_blocked": True,
        "move_mentees": False, "max_action_share": 0.5, "run_log_page": "Project:Mentor log",
        "namespace_groups": {"help": [12, 13]},
        "notice_days": 3, "explanation_page": "Project:Mentorship rules",
        "messages": {"mentorbot-notice-warn-heading": "Careful", "mentorbot-summary-remove": "Upkeep"},
    }
    rules = parse_rules(json.dumps(page), "Project:Rules.json")
    last_edit, edits, questions = rules.measures
    assert last_edit == Measure("last-edit")
    assert edits == Measure("edits-in-window", window_days=30, min_edits=(("help", 1), ("talk", 2)))
    assert questions == Measure("answered-questions", window_days=90, answer_within_days=3, min_share=0.5,
                                min_questions=2)
    assert (rules.warn_after_days, rules.away_after_days, rules.remove_after_days) == (10, 20, 40)
    assert rules.away_days_without_removal == 15 and rules.exempt == frozenset({"Some mentor"})
    assert rules.skip_manual_mentors and rules.remove_indefinitely_blocked and not rules.move_mentees
    assert rules.max_action_share == 0.5 and rules.run_log_page == "Project:Mentor log"
    assert rules.namespace_groups == {"help": (12, 13)}
    assert rules.notice_days == 3 and rules.explanation_page == "Project:Mentorship rules"
    assert rules.messages == {"mentorbot-notice-warn-heading": "Careful", "mentorbot-summary-remove": "Upkeep"}
    assert rules.page == "Project:Rules.json" and rules.first_stage_days == 10


def test_a_short_rules_page_gets_the_documented_defaults() -> None:
    rules = parse_rules('{"activity": {"measure": "last-action"}, "away_after_days": 30}', "Rules")
    assert rules.measures == (Measure("last-action"),)
    assert (rules.warn_after_days, rules.away_after_days, rules.remove_after_days) == (None, 30, None)
    assert rules == SweepRules((Measure("last-action"),), away_after_days=30, page="Rules")
    assert (rules.away_days_without_removal, rules.max_action_share, rules.notice_days) == (30, 0.2, 7)
    assert rules.messages == {} and rules.explanation_page is None
    assert rules.move_mentees and not rules.skip_manual_mentors and not rules.remove_indefinitely_blocked


@pytest.mark.parametrize(("page", "path", "reason"), [
    ({"activity": {"measure": "last-edit"}}, "$", "no stage: set warn_after_days, away_after_days or "
                                                  "remove_after_days"),
    ({**LAST_EDIT_PAGE, "warn_after_days": 30, "remove_after_days": 30}, "$.remove_after_days",
     "must be more than warn_after_days (30)"),
    ({**LAST_EDIT_PAGE, "warn_after_days": 5, "away_after_days": 50, "remove_after_days": 40},
     "$.remove_after_days", "must be more than away_after_days (50)"),
    ({**LAST_EDIT_PAGE, "away_after_days": 9, "remove_after_days": 40, "warn_after_days": 10},
     "$.away_after_days", "must be more than warn_after_days (10)"),
    ({"activity": {"measure": "edits-in-window", "window_days": 9, "min_edits": {"help": 1}},
      "remove_after_days": 9}, "$.activity.min_edits.help", "unknown namespace group"),
    ({"activity": [{"measure": "last-edit"}, {"measure": "edits-in-window", "window_days": 9,
                                              "min_edits": {"all": 1, "help": 1}}],
      "remove_after_days": 9}, "$.activity[1].min_edits.help", "unknown namespace group"),
    ({**LAST_EDIT_PAGE, "remove_after_days": "9"}, "$.remove_after_days", "'9' is not of type 'integer'"),
    ({"activity": [], "remove_after_days": 9}, "$.activity", "[] should be non-empty"),
    ({**LAST_EDIT_PAGE, "remove_after_days": 9, "exempt": ["A", 7]}, "$.exempt[1]",
     "7 is not of type 'string'"),
    ({**LAST_EDIT_PAGE, "remove_after_days": 9, "notice_days": -1}, "$.notice_days",
     "-1 is less than the minimum of 0"),
    # Messages are replaced by key; a key the bot does not have, or a parameter it never gives, is refused.
    ({**LAST_EDIT_PAGE, "remove_after_days": 9, "messages": {"warn": {"heading": "Old form"}}}, "$.messages",
     "'warn' does not match '^mentorbot-[a-z0-9-]+$'"),
    ({**LAST_EDIT_PAGE, "remove_after_days": 9, "messages": {"mentorbot-no-such-text": "Hi"}},
     "$.messages.mentorbot-no-such-text", "no such message (the bot's i18n/en.json has the keys)"),
    ({**LAST_EDIT_PAGE, "remove_after_days": 9, "messages": {"mentorbot-summary-remove": "Removed $1 $2"}},
     "$.messages.mentorbot-summary-remove", "uses $2, but this message has only 1 parameters"),
    ({**LAST_EDIT_PAGE, "remove_after_days": 9, "messages": {"mentorbot-notice-warn-heading": ""}},
     "$.messages.mentorbot-notice-warn-heading", "'' should be non-empty"),
])
def test_a_rules_page_breaking_its_contract_is_refused_by_the_key_at_fault(page: dict[str, Any], path: str,
                                                                           reason: str) -> None:
    with pytest.raises(MalformedDocument) as refused:
        parse_rules(json.dumps(page), "Project:Rules.json")
    assert (refused.value.source, refused.value.path, refused.value.reason) == ("Project:Rules.json", path, reason)


@pytest.mark.parametrize(("text", "path", "reason"), [
    ('{"activity": ', "line 1 column 14", "Expecting value"),
    ("[]", "$", "[] is not of type 'object'"),  # the schema's words, as for any other key
])
def test_a_rules_page_that_is_no_json_object_is_refused_with_the_place(text: str, path: str, reason: str) -> None:
    with pytest.raises(MalformedDocument) as refused:
        parse_rules(text, "Project:Rules.json")
    assert (refused.value.source, refused.value.path, refused.value.reason) == ("Project:Rules.json", path, reason)


def test_groups_named_by_default_need_no_definition() -> None:
    page = {"activity": {"measure": "edits-in-window", "window_days": 9,
                         "min_edits": {"content": 1, "talk": 1, "all": 1}}, "remove_after_days": 9}
    (measure,) = parse_rules(json.dumps(page), "Rules").measures
    assert measure.min_edits == (("all", 1), ("content", 1), ("talk", 1))


def test_each_measure_has_a_key_of_its_own_and_says_what_it_measures() -> None:
    edits = Measure("edits-in-window", window_days=30, min_edits=(("content", 5), ("talk", 2)))
    questions = Measure("answered-questions", window_days=90, answer_within_days=3, min_share=0.5)
    assert [m.key for m in (Measure("last-edit"), Measure("last-action"), edits, questions)] == [
        "last-edit", "last-action", "edits-in-window:30d:content>=5,talk>=2", "answered-questions:90d:3d:0.5"]
    assert [m.is_count_rule for m in (Measure("last-edit"), Measure("last-action"), edits, questions)] == [
        False, False, True, True]
    assert str(Measure("last-edit").describe()) == "the days since the last edit"
    assert str(Measure("last-action").describe()) == "the days since the last edit or logged action"
    assert str(edits.describe()) == "at least 5 edits in articles, 2 edits in talk pages in 30 days"
    assert str(questions.describe()) == "at least 50% of mentee questions answered within 3 days (over 90 days)"
    helpful = Measure("edits-in-window", window_days=1, min_edits=(("help", 1),))
    assert str(helpful.describe()) == "at least 1 edit in help in 1 day"  # a community's own group keeps its name


def test_manual_mentors_are_left_alone_only_when_the_rules_say_so() -> None:
    manual = Mentor(1, "Manual mentor", weight=0)
    assert SweepRules(LAST_EDIT, remove_after_days=9).leaves_alone(manual) is None
    skipping = SweepRules(LAST_EDIT, remove_after_days=9, skip_manual_mentors=True)
    assert str(skipping.leaves_alone(manual)) == "manual-only mentor (weight 0), skipped by the rules"
    assert skipping.leaves_alone(Mentor(2, "Auto mentor", weight=1)) is None
    exempt = SweepRules(LAST_EDIT, remove_after_days=9, skip_manual_mentors=True, exempt=frozenset({"Manual mentor"}))
    assert str(exempt.leaves_alone(Mentor(1, "manual_mentor", weight=0))) == "exempt by the rules"


def test_the_rules_in_words_name_the_page_the_measures_the_stages_and_the_notice_period() -> None:
    rules = SweepRules((Measure("last-edit"), Measure("edits-in-window", window_days=30, min_edits=(("talk", 2),))),
                       warn_after_days=10, away_after_days=14, remove_after_days=60, notice_days=3,
                       page="[[MediaWiki:Rules.json]]")
    assert rules.explained_at == "MediaWiki:Rules.json"
    assert str(rules.in_words()) == (
        "The mentorship rules measure a mentor's activity this way: the days since the last edit, at least 2 edits "
        "in talk pages in 30 days. A mentor inactive by that measure is warned after 10 days, marked away after "
        "14 days, removed from the mentor list after 60 days, each step at least 3 days after the notice of the "
        "one before, and only while they stay inactive.")
    assert "[[MediaWiki:Rules.json|" in Messages().wikitext(rules.in_words())
    removal_only = SweepRules(LAST_EDIT, remove_after_days=1, notice_days=1, explanation_page="Project:Rules",
                              page="[[MediaWiki:Rules.json]]")
    assert removal_only.explained_at == "Project:Rules"
    assert str(removal_only.in_words()).endswith(
        "is removed from the mentor list after 1 day, each step at least 1 day after the notice of the one before, "
        "and only while they stay inactive.")
    assert "[[Project:Rules|" in Messages().wikitext(removal_only.in_words())
