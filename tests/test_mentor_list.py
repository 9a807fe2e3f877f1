"""The mentor-list contract, refused with the JSON path at fault."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.errors import MalformedDocument
from bot.mentors import parse_mentor_api, parse_mentor_page


def page(mentors: object, **extra: object) -> str:
    return json.dumps({"Mentors": mentors, **extra})


def test_a_valid_page_gives_mentors_with_defaults() -> None:
    mentors, anomalies = parse_mentor_page(page({
        "12": {"username": "Alice", "message": "Ask me anything", "weight": 4},
        "7": {"username": "Bob", "awayTimestamp": "2026-12-01T00:00:00Z"},
        "9": {"automaticallyAssigned": False},
    }))
    by_id = {m.user_id: m for m in mentors}
    assert by_id[12].weight == 4 and by_id[12].message == "Ask me anything"
    assert by_id[7].weight == 2 and by_id[7].away_until == datetime(2026, 12, 1, tzinfo=UTC)
    assert by_id[9].weight == 0 and not by_id[9].auto_assigned
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
    (page({"Alice": {}}), '$.Mentors["Alice"]', "numeric user id"),
    (page({"12": {"weight": "2"}}), '$.Mentors["12"].weight', "not an integer"),
    (page({"12": {"weight": True}}), '$.Mentors["12"].weight', "not an integer"),
    (page({"12": {"message": "x" * 241}}), '$.Mentors["12"].message', "241 characters, at most 240"),
    (page({"12": {"colour": "blue"}}), '$.Mentors["12"].colour', "unknown key"),
    (page({"12": []}), '$.Mentors["12"]', "expected an object"),
    (page({}, Extra=1), "$.Extra", "only Mentors"),
    (json.dumps({"mentors": {}}), "$.mentors", "unknown key"),
    (json.dumps([1, 2]), "$", "root must be an object"),
])
def test_each_breach_names_its_json_path(document: str, path: str, reason: str) -> None:
    with pytest.raises(MalformedDocument) as refused:
        parse_mentor_page(document, "[[MediaWiki:GrowthMentors.json]]")
    assert refused.value.path == path
    assert reason in refused.value.reason
    assert str(refused.value).startswith(f"[[MediaWiki:GrowthMentors.json]] is malformed at {path}")


def test_broken_json_names_line_and_column() -> None:
    with pytest.raises(MalformedDocument, match="line 3 column"):
        parse_mentor_page('{\n  "Mentors": {\n    "12": {weight: 2}\n  }\n}')


def test_an_empty_list_from_the_api_is_a_php_array() -> None:
    assert parse_mentor_api({"growthmentorlist": []}) == ([], [])


def test_the_api_list_is_held_to_the_same_contract() -> None:
    with pytest.raises(MalformedDocument, match=r'growthmentorlist\["5"\]\.colour'):
        parse_mentor_api({"growthmentorlist": {"5": {"username": "A", "colour": "blue"}}})
    _mentors, anomalies = parse_mentor_api({"growthmentorlist": {"5": {"username": "A", "weight": 7}}})
    assert [anomaly.path for anomaly in anomalies] == ['$.growthmentorlist["5"].weight']
