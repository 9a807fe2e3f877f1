"""The mentor list: plain data, read as GrowthExperiments reads it.

The list lives in ``MediaWiki:GrowthMentors.json``, keyed by user id; GrowthExperiments serves
it as ``list=growthmentorlist``. Both are read against the same contract, the way GE reads
them: what GE's own save checks (the keys, numeric user ids, messages of at most 240
characters) must hold, or the list is refused with the JSON path at fault; what GE's save lets
through is read as GE reads it and reported as an anomaly with its path (a weight other than
0/1/2/4, which GE uses as that many tickets in the draw; an away date in MediaWiki's 14-digit
form, as pages written before October 2025 hold it; an away date nobody can read, which GE
ignores). So a list GE works with never stops the bot; the bot never repairs one silently, and
what it writes itself is always within the contract.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from html import unescape
from typing import TYPE_CHECKING, Any

from bot.errors import MalformedDocument, load_json
from bot.messages import Items, Text
from bot.timestamps import parse_iso

if TYPE_CHECKING:
    from bot.gateway import Gateway

MENTOR_LIST_PAGE = "MediaWiki:GrowthMentors.json"
VALID_WEIGHTS = (0, 1, 2, 4)
DEFAULT_WEIGHT = 2
MAX_MESSAGE_LENGTH = 240
# growthsetmentor's answer when the mentee has that mentor already: after a lost answer, done.
ALREADY_THE_MENTOR = "growthexperiments-homepage-claimmentee-already-mentor"
# growthmanagementorlist's answer for a mentor not on the list: after a lost answer to a removal, maybe done.
NOT_IN_THE_LIST = "growthexperiments-mentor-writer-error-not-in-the-list"
ENTRY_KEYS = ("username", "message", "weight", "awayTimestamp", "automaticallyAssigned")


@dataclass(frozen=True)
class Mentor:
    user_id: int
    username: str
    weight: int = DEFAULT_WEIGHT
    message: str | None = None
    away_until: datetime | None = None
    away_blocked: bool = False  # away because blocked sitewide or locked: GrowthExperiments lets nobody change it

    @property
    def auto_assigned(self) -> bool:
        return self.weight > 0

    def away_at(self, moment: datetime) -> bool:
        return self.away_blocked or (self.away_until is not None and self.away_until > moment)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["away_until"] = self.away_until.isoformat().replace("+00:00", "Z") if self.away_until else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mentor:
        away = data.get("away_until")
        return cls(**{**data, "away_until": parse_iso(away) if away else None})


@dataclass(frozen=True)
class Anomaly:
    """Something in the list that GrowthExperiments lets through but the contract does not expect."""

    path: str  # JSON path, e.g. $.Mentors["12"].weight
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class MentorList:
    mentors: tuple[Mentor, ...]
    source: str  # "api" (list=growthmentorlist) or "page" (the JSON page)
    anomalies: tuple[Anomaly, ...] = ()
    away_source: str = "the list's copy"  # where the away states come from
    # Where list=growthmentorlist disagrees with the page: names it still serves though they left
    # the page, and names on the page it does not serve yet (GE caches the set of mentors).
    served_not_listed: tuple[str, ...] = ()
    listed_not_served: tuple[str, ...] = ()

    def by_name(self, name: str) -> Mentor | None:
        return next((m for m in self.mentors if m.username == name), None)

    @property
    def away_known(self) -> bool:
        return self.away_source == AWAY_FROM_MANAGE_MENTORS

    def notes(self) -> list[Text]:
        """What a reader of this list should know about where it came from."""
        notes = []
        if not self.away_known:
            notes.append(Text("mentorbot-note-away-unknown"))
        if self.served_not_listed:
            notes.append(Text("mentorbot-note-served-not-listed", Items(tuple(self.served_not_listed)),
                              MENTOR_LIST_PAGE, len(self.served_not_listed)))
        if self.listed_not_served:
            notes.append(Text("mentorbot-note-listed-not-served", Items(tuple(self.listed_not_served)),
                              MENTOR_LIST_PAGE, len(self.listed_not_served)))
        return notes


AWAY_FROM_MANAGE_MENTORS = "Special:ManageMentors"
# PHP_INT_MAX in the status cell: away because blocked or locked.
_AWAY_BLOCKED_RANK = 2**62
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.DOTALL)
_SORT_VALUE = re.compile(r'<td[^>]*\sdata-sort-value="([^"]*)"')


@dataclass(frozen=True)
class AwayState:
    until: datetime | None  # away by date until then
    blocked: bool  # away because blocked or locked


def read_away_states(gateway: Gateway) -> dict[str, AwayState] | None:
    """Each mentor's true away state, by name, from Special:ManageMentors; None where it cannot be read.

    GrowthExperiments keeps the away state in a user option that only the mentor can read; the one
    public view of it is the status column of Special:ManageMentors, on REL1_43 and on master:
    each row's cells with a sort value are the name, the last activity (Unix time), the weight and
    the status (-1 active, the Unix time of the return date, PHP_INT_MAX when blocked or locked).
    One request for the whole list, read as anyone may read it.
    """
    html = gateway.read_html("Special:ManageMentors", uselang="qqx")
    if html is None:
        return None
    states: dict[str, AwayState] = {}
    for row in _ROW.findall(html):
        values = [unescape(value) for value in _SORT_VALUE.findall(row)]
        if len(values) != 4 or not values[3].lstrip("-").isdigit():
            continue
        name, rank = values[0], int(values[3])
        states[name] = AwayState(
            until=datetime.fromtimestamp(rank, UTC) if 0 <= rank < _AWAY_BLOCKED_RANK else None,
            blocked=rank >= _AWAY_BLOCKED_RANK)
    if not states and "(growthexperiments-manage-mentors-title)" not in html:
        return None  # not the page we know (uselang=qqx shows its title as its message key)
    return states


def with_true_away_states(mentor_list: MentorList, states: dict[str, AwayState] | None) -> MentorList:
    """The list with each mentor's away state from Special:ManageMentors, where it could be read."""
    if states is None:
        return mentor_list
    mentors = tuple(replace(mentor, away_until=state.until if (state := states.get(mentor.username)) else None,
                            away_blocked=bool(state and state.blocked))
                    for mentor in mentor_list.mentors)
    return replace(mentor_list, mentors=mentors, away_source=AWAY_FROM_MANAGE_MENTORS)


def away_date(value: Any, path: str, anomalies: list[Anomaly]) -> datetime | None:
    """An away date as GE stores it: ISO 8601 since October 2025, MediaWiki's 14 digits before."""
    if isinstance(value, str) and len(value) == 14 and value.isdigit():
        try:
            parsed = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass
        else:
            anomalies.append(Anomaly(path, f"{value!r} is MediaWiki's 14-digit form, read as {parsed:%Y-%m-%d %H:%M} "
                                           "UTC (GE has written ISO 8601 since October 2025)"))
            return parsed
    if isinstance(value, str):
        try:
            parsed = parse_iso(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    anomalies.append(Anomaly(path, f"{value!r} is not a date GrowthExperiments can read; it is ignored, as GE "
                                   "ignores it (the away state itself is kept elsewhere)"))
    return None


def _entry(source: str, key: str, entry: Any, path: str, anomalies: list[Anomaly]) -> Mentor:
    """Read one mentor entry; the name comes from the entry and may be stale on the page."""
    if not key.isdigit() or int(key) <= 0:
        raise MalformedDocument(source, path, f"mentors are keyed by numeric user id, not {key!r}")
    if not isinstance(entry, dict):
        raise MalformedDocument(source, path, f"expected an object, got {type(entry).__name__}")
    for field_name in entry:
        if field_name not in ENTRY_KEYS:
            raise MalformedDocument(source, f"{path}.{field_name}", "unknown key")
    message = entry.get("message")
    if message is not None and not isinstance(message, str):
        raise MalformedDocument(source, f"{path}.message", "must be a string or null")
    if message is not None and len(message) > MAX_MESSAGE_LENGTH:
        raise MalformedDocument(
            source, f"{path}.message", f"{len(message)} characters, at most {MAX_MESSAGE_LENGTH} allowed"
        )
    weight = entry.get("weight")
    if weight is None:
        weight = 0 if entry.get("automaticallyAssigned") is False else DEFAULT_WEIGHT
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise MalformedDocument(source, f"{path}.weight", f"{weight!r} is not an integer")
    if weight not in VALID_WEIGHTS:
        valid = ", ".join(map(str, VALID_WEIGHTS))
        anomalies.append(Anomaly(f"{path}.weight", f"{weight} is not one of {valid}; GrowthExperiments uses it as "
                                                   f"{max(weight, 0)} tickets in the draw"))
    if "automaticallyAssigned" in entry and not isinstance(entry["automaticallyAssigned"], bool):
        raise MalformedDocument(source, f"{path}.automaticallyAssigned", "must be true or false")
    username = entry.get("username")
    if username is not None and not isinstance(username, str):
        raise MalformedDocument(source, f"{path}.username", "must be a string")
    away = entry.get("awayTimestamp")
    return Mentor(
        user_id=int(key),
        username=username or "",
        weight=int(weight),
        message=message,
        away_until=away_date(away, f"{path}.awayTimestamp", anomalies) if away is not None else None,
    )


def _entries(source: str, mentors: Any, path: str) -> tuple[list[Mentor], list[Anomaly]]:
    if mentors == []:  # PHP serialises an empty map as a list
        return [], []
    if not isinstance(mentors, dict):
        raise MalformedDocument(source, path, f"expected an object keyed by user id, got {type(mentors).__name__}")
    anomalies: list[Anomaly] = []
    return [_entry(source, key, entry, f'{path}["{key}"]', anomalies) for key, entry in mentors.items()], anomalies


def parse_mentor_page(text: str, source: str = MENTOR_LIST_PAGE) -> tuple[list[Mentor], list[Anomaly]]:
    """Mentors from the JSON page's text, and what GE lets through there. Names on the page are display copies."""
    document = load_json(text, source)
    for key in document:
        if key != "Mentors":
            raise MalformedDocument(source, f"$.{key}", "unknown key (only Mentors is allowed)")
    if "Mentors" not in document:
        raise MalformedDocument(source, "$.Mentors", "missing")
    return _entries(source, document["Mentors"], "$.Mentors")


def parse_mentor_api(result: dict[str, Any]) -> tuple[list[Mentor], list[Anomaly]]:
    """Mentors from a ``list=growthmentorlist`` response (names there are current), and the anomalies."""
    source = "list=growthmentorlist"
    if "growthmentorlist" not in result:
        raise MalformedDocument(source, "$.growthmentorlist", "missing from the response")
    return _entries(source, result["growthmentorlist"], "$.growthmentorlist")


def names_for_ids(gateway: Gateway, user_ids: list[int]) -> dict[int, str]:
    """Current names for user ids, 50 ids a request (names on the JSON page go stale)."""
    names: dict[int, str] = {}
    for start in range(0, len(user_ids), 50):
        batch = user_ids[start:start + 50]
        result = gateway.get(list="users", ususerids="|".join(map(str, batch)))
        for user in result["query"]["users"]:
            if "missing" not in user and "userid" in user:
                names[int(user["userid"])] = user["name"]
    return names


def ids_for_names(gateway: Gateway, names: list[str]) -> dict[str, int]:
    """User ids for names (as the wiki normalises them), 50 a request; a name with no account is left out."""
    ids: dict[str, int] = {}
    for start in range(0, len(names), 50):
        batch = names[start:start + 50]
        result = gateway.get(list="users", ususers="|".join(batch))
        normalized = {item["to"]: item["from"] for item in result["query"].get("normalized", [])}
        for user in result["query"]["users"]:
            if "missing" not in user and "invalid" not in user and "userid" in user:
                ids[normalized.get(user["name"], user["name"])] = int(user["userid"])
    return ids


def read_mentor_list(gateway: Gateway, source: str = "auto") -> MentorList:
    """The mentor list, away states as GE keeps them.

    Who is a mentor comes from the JSON page (``auto``, ``page``): GrowthExperiments (master)
    serves the set of mentors in ``list=growthmentorlist`` from a cache that a direct edit of the
    page leaves stale for up to a day. ``auto`` also asks the module and says where it differs.
    """
    if source == "api":
        mentors, anomalies = parse_mentor_api(gateway.get(list="growthmentorlist"))
        entries = MentorList(tuple(sorted(mentors, key=lambda m: m.user_id)), "api", tuple(anomalies))
    else:
        entries = _read_page(gateway)
        if source == "auto" and gateway.capabilities().has("query+growthmentorlist"):
            entries = _compared_with_module(entries, gateway.get(list="growthmentorlist").get("growthmentorlist"))
    return with_true_away_states(entries, read_away_states(gateway))


def _read_page(gateway: Gateway) -> MentorList:
    page = gateway.read_page(MENTOR_LIST_PAGE)
    if not page.exists:
        return MentorList((), "page")
    mentors, anomalies = parse_mentor_page(page.text, f"[[{page.title}]]")
    names = names_for_ids(gateway, [m.user_id for m in mentors])
    resolved = [replace(m, username=names.get(m.user_id, m.username or f"#{m.user_id}")) for m in mentors]
    return MentorList(tuple(sorted(resolved, key=lambda m: m.user_id)), "page", tuple(anomalies))


def _compared_with_module(mentor_list: MentorList, served: Any) -> MentorList:
    """Only the set of ids is compared: the module reads each entry fresh from the page."""
    served_names = ({int(key): str(entry.get("username", f"#{key}")) for key, entry in served.items()}
                    if isinstance(served, dict) else {})
    listed = {m.user_id for m in mentor_list.mentors}
    return replace(
        mentor_list,
        served_not_listed=tuple(name for user_id, name in sorted(served_names.items()) if user_id not in listed),
        listed_not_served=tuple(m.username for m in mentor_list.mentors if m.user_id not in served_names))


def current_mentors(gateway: Gateway, names: list[str]) -> dict[str, str]:
    """Primary mentors by ``{{#mentor:}}``, many names in one ``expandtemplates`` call."""
    mentors: dict[str, str] = {}
    for start in range(0, len(names), 50):
        batch = names[start:start + 50]
        text = "\n".join(f"{{{{#mentor:{name}}}}}" for name in batch)
        result = gateway.get(action="expandtemplates", prop="wikitext", text=text)
        lines = result["expandtemplates"]["wikitext"].split("\n")
        for name, mentor in zip(batch, lines, strict=False):
            if mentor.strip():
                mentors[name] = mentor.strip()
    return mentors


@dataclass(frozen=True)
class Mentee:
    user_id: int
    name: str


def mentees_of(gateway: Gateway, mentor: Mentor) -> list[Mentee]:
    """The mentor's primary mentees as GrowthExperiments lists them (inactive ones too); none without the module."""
    if not gateway.capabilities().has("query+growthmentormentee"):
        return []
    result = gateway.get(list="growthmentormentee", gemmmentor=mentor.username)
    return [Mentee(int(mentee["id"]), str(mentee["name"]))
            for mentee in result.get("growthmentormentee", {}).get("mentees", [])]
