"""The mentor-list contract, refused with the JSON path at fault."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import MalformedDocument
from bot.mentors import AwayState, Mentor, MentorList, parse_mentor_api, parse_mentor_page, with_true_away_states


def page(mentors: object, **extra: object) -> str:
    return json.dumps({"Mentors": mentors, **extra})


def test_a_valid_page_gives_mentors_with_defaults() -> None:
    mentors, anomalies = parse_mentor_page(page({
        "12": {"username": "Alice", "message": "Ask me anything", "weight": 4},
        "7": {"username": "Bob", "awayTimestamp": "2026-12-01T00:00:00Z"},
        "9": {"automaticallyAssigned": False},
        "1": {"username": "First user"},
    }))
    by_id = {m.user_id: m for m in mentors}
    assert by_id[12].weight == 4 and by_id[12].message == "Ask me anything"
    assert by_id[7].weight == 2 and by_id[7].away_until == datetime(2026, 12, 1, tzinfo=UTC)
    assert by_id[9].weight == 0 and not by_id[9].auto_assigned
    assert by_id[1].username == "First user"
    assert anomalies == []


def test_what_growthexperiments_lets_through_is_read_as_it_reads_it_and_named() -> None:
    """A weight of 3 and a 14-digit away date are saved by GE and used; an unreadable date GE ignores."""
    mentors, anomalies = parse_mentor_page(page({
        "12": {"weight": 3, "awayTimestamp": "20251001120000"},
        "13": {"awayTimestamp": "next week"},
        "14": {"weight": 4, "awayTimestamp": "2026-12-01T00:00:00Z"},
    }))
    by_id = {m.user_id: m for m in mentors}
    assert by_id[12].weight == 3 and by_id[12].auto_assigned
    assert by_id[12].away_until == datetime(2025, 10, 1, 12, tzinfo=UTC)
    assert by_id[13].away_until is None and by_id[13].weight == 2
    assert [str(anomaly) for anomaly in anomalies] == [
        '$.Mentors["12"].weight: 3 is not one of 0, 1, 2, 4; GrowthExperiments uses it as 3 tickets in the draw',
        "$.Mentors[\"12\"].awayTimestamp: '20251001120000' is MediaWiki's 14-digit form, read as 2025-10-01 12:00 "
        "UTC (GE has written ISO 8601 since October 2025)",
        "$.Mentors[\"13\"].awayTimestamp: 'next week' is not a date GrowthExperiments can read; it is ignored, as GE "
        "ignores it (the away state itself is kept elsewhere)",
    ]


@pytest.mark.parametrize(("document", "path", "reason"), [
    (page({"Alice": {}}), '$.Mentors["Alice"]', "mentors are keyed by numeric user id, not 'Alice'"),
    (page({"0": {}}), '$.Mentors["0"]', "mentors are keyed by numeric user id, not '0'"),
    (page({"12": {"weight": "2"}}), '$.Mentors["12"].weight', "'2' is not an integer"),
    (page({"12": {"weight": True}}), '$.Mentors["12"].weight', "True is not an integer"),
    (page({"12": {"message": "x" * 241}}), '$.Mentors["12"].message', "241 characters, at most 240 allowed"),
    (page({"12": {"message": 5}}), '$.Mentors["12"].message', "must be a string or null"),
    (page({"12": {"username": 5}}), '$.Mentors["12"].username', "must be a string"),
    (page({"12": {"automaticallyAssigned": "no"}}), '$.Mentors["12"].automaticallyAssigned',
     "must be true or false"),
    (page({"12": {"colour": "blue"}}), '$.Mentors["12"].colour', "unknown key"),
    (page({"12": []}), '$.Mentors["12"]', "expected an object, got list"),
    (page([{"12": {}}]), "$.Mentors", "expected an object keyed by user id, got list"),
    (page({}, Extra=1), "$.Extra", "unknown key (only Mentors is allowed)"),
    (json.dumps({"mentors": {}}), "$.mentors", "unknown key (only Mentors is allowed)"),
    ("{}", "$.Mentors", "missing"),
    (json.dumps([1, 2]), "$", "root must be an object"),
])
def test_each_breach_names_its_json_path(document: str, path: str, reason: str) -> None:
    with pytest.raises(MalformedDocument) as refused:
        parse_mentor_page(document, "[[MediaWiki:GrowthMentors.json]]")
    assert (refused.value.source, refused.value.path) == ("[[MediaWiki:GrowthMentors.json]]", path)
    assert reason in refused.value.reason if path == "$" else refused.value.reason == reason
    assert str(refused.value).startswith(f"[[MediaWiki:GrowthMentors.json]] is malformed at {path}")


def test_a_message_of_the_longest_length_and_a_null_message_are_kept() -> None:
    mentors, anomalies = parse_mentor_page(page({"12": {"message": "x" * 240}, "13": {"message": None}}))
    assert [len(m.message or "") for m in mentors] == [240, 0] and mentors[1].message is None
    assert anomalies == []


def test_weights_and_names_default_as_growthexperiments_defaults_them() -> None:
    mentors, anomalies = parse_mentor_page(page({
        "12": {"automaticallyAssigned": True}, "13": {"weight": 0, "automaticallyAssigned": True},
        "14": {"weight": -1}, "15": {"weight": 1, "username": "Named"}}))
    assert [(m.user_id, m.username, m.weight) for m in mentors] == [(12, "", 2), (13, "", 0), (14, "", -1),
                                                                     (15, "Named", 1)]
    assert [str(anomaly) for anomaly in anomalies] == [
        '$.Mentors["14"].weight: -1 is not one of 0, 1, 2, 4; GrowthExperiments uses it as 0 tickets in the draw']
    assert [m.auto_assigned for m in mentors] == [True, False, False, True]


def test_a_mentor_round_trips_through_json_and_is_away_only_before_the_date() -> None:
    back = datetime(2026, 12, 1, tzinfo=UTC)
    mentor = Mentor(12, "Alice", weight=4, message="Hi", away_until=back, away_blocked=False)
    data = mentor.to_json()
    assert data == {"user_id": 12, "username": "Alice", "weight": 4, "message": "Hi",
                    "away_until": "2026-12-01T00:00:00Z", "away_blocked": False}
    assert Mentor.from_json(json.loads(json.dumps(data))) == mentor
    assert Mentor.from_json(Mentor(13, "Bob").to_json()) == Mentor(13, "Bob")
    assert mentor.away_at(back - timedelta(seconds=1)) and not mentor.away_at(back)
    assert Mentor(13, "Bob", away_blocked=True).away_at(back) and not Mentor(13, "Bob").away_at(back)


def test_away_states_from_special_manage_mentors_replace_the_lists_copy() -> None:
    back = datetime(2026, 12, 1, tzinfo=UTC)
    copy = MentorList((Mentor(1, "Alice", away_until=back), Mentor(2, "Bob"), Mentor(3, "Carol")), "page")
    assert copy.by_name("Bob") == Mentor(2, "Bob") and copy.by_name("bob") is None
    assert not copy.away_known
    assert with_true_away_states(copy, None) is copy
    true = with_true_away_states(copy, {"Bob": AwayState(back, False), "Carol": AwayState(None, True)})
    assert true.mentors == (Mentor(1, "Alice"), Mentor(2, "Bob", away_until=back),
                            Mentor(3, "Carol", away_blocked=True))
    assert true.away_known and true.away_source == "Special:ManageMentors" and true.source == "page"


def test_the_lists_notes_say_where_away_states_and_mentors_came_from() -> None:
    listed = MentorList((Mentor(1, "Alice"),), "page", away_source="Special:ManageMentors")
    assert listed.notes() == []
    drifted = replace(listed, away_source="the list's copy", served_not_listed=("Gone", "Left"),
                      listed_not_served=("Newer",))
    assert list(map(str, drifted.notes())) == [
        "Away dates are the mentor list's copy: the mentor management page could not be read, so a mentor shown "
        "here as not away may be away.",
        "The wiki still counts Gone, Left as mentors though the mentor list no longer does; it catches up within "
        "a day.",
        "The mentor list has Newer, but the wiki does not count this mentor yet; it catches up within a day.",
    ]


def test_broken_json_names_line_and_column() -> None:
    with pytest.raises(MalformedDocument, match="line 3 column"):
        parse_mentor_page('{\n  "Mentors": {\n    "12": {weight: 2}\n  }\n}')


def test_an_empty_list_from_the_api_is_a_php_array() -> None:
    assert parse_mentor_api({"growthmentorlist": []}) == ([], [])
    assert parse_mentor_page(page([])) == ([], [])
    with pytest.raises(MalformedDocument) as refused:
        parse_mentor_api({"query": {}})
    assert (refused.value.source, refused.value.path, refused.value.reason) == (
        "list=growthmentorlist", "$.growthmentorlist", "missing from the response")


def test_the_api_list_is_held_to_the_same_contract() -> None:
    with pytest.raises(MalformedDocument) as refused:
        parse_mentor_api({"growthmentorlist": {"5": {"username": "A", "colour": "blue"}}})
    assert (refused.value.source, refused.value.path) == ("list=growthmentorlist", '$.growthmentorlist["5"].colour')
    _mentors, anomalies = parse_mentor_api({"growthmentorlist": {"5": {"username": "A", "weight": 7}}})
    assert [anomaly.path for anomaly in anomalies] == ['$.growthmentorlist["5"].weight']


def test_away_dates_without_a_zone_or_with_an_impossible_day_are_ignored_and_named() -> None:
    mentors, anomalies = parse_mentor_page(page({"12": {"awayTimestamp": "2026-12-01T00:00:00"},
                                                 "13": {"awayTimestamp": "20251301120000"},
                                                 "14": {"awayTimestamp": 20251001120000},
                                                 "15": {"awayTimestamp": "2026-12-01T00:00:00+02:00"}}))
    assert [m.away_until for m in mentors] == [None, None, None, datetime(2026, 11, 30, 22, tzinfo=UTC)]
    assert [anomaly.path for anomaly in anomalies] == [f'$.Mentors["{key}"].awayTimestamp' for key in (12, 13, 14)]
    assert str(anomalies[1]).endswith("'20251301120000' is not a date GrowthExperiments can read; it is ignored, "
                                      "as GE ignores it (the away state itself is kept elsewhere)")
    assert "20251001120000 is not a date" in str(anomalies[2])
