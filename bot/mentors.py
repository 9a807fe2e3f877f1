"""The mentor list: plain data, and the contract every copy of it must meet.

The list lives in ``MediaWiki:GrowthMentors.json``, keyed by user id; GrowthExperiments serves
it as ``list=growthmentorlist``. Both are validated against the same contract, and a list that
breaks it is refused with the JSON path at fault: the bot never repairs one silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.errors import MalformedDocument, load_json

if TYPE_CHECKING:
    from bot.gateway import Gateway

MENTOR_LIST_PAGE = "MediaWiki:GrowthMentors.json"
VALID_WEIGHTS = (0, 1, 2, 4)
DEFAULT_WEIGHT = 2
MAX_MESSAGE_LENGTH = 240
ENTRY_KEYS = ("username", "message", "weight", "awayTimestamp", "automaticallyAssigned")


@dataclass(frozen=True)
class Mentor:
    user_id: int
    username: str
    weight: int = DEFAULT_WEIGHT
    message: str | None = None
    away_until: datetime | None = None

    @property
    def auto_assigned(self) -> bool:
        return self.weight > 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["away_until"] = self.away_until.isoformat().replace("+00:00", "Z") if self.away_until else None
        return data


@dataclass(frozen=True)
class MentorList:
    mentors: tuple[Mentor, ...]
    source: str  # "api" (list=growthmentorlist) or "page" (the JSON page)

    def by_name(self, name: str) -> Mentor | None:
        return next((m for m in self.mentors if m.username == name), None)


def parse_timestamp(value: Any, source: str, path: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedDocument(source, path, f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedDocument(source, path, f"{value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise MalformedDocument(source, path, f"{value!r} has no time zone")
    return parsed


def _entry(source: str, key: str, entry: Any, path: str) -> Mentor:
    """Validate one mentor entry; the name comes from the entry and may be stale on the page."""
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
    if isinstance(weight, bool) or weight not in VALID_WEIGHTS:
        raise MalformedDocument(
            source, f"{path}.weight", f"{weight!r} is not one of {', '.join(map(str, VALID_WEIGHTS))}"
        )
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
        away_until=parse_timestamp(away, source, f"{path}.awayTimestamp") if away is not None else None,
    )


def _entries(source: str, mentors: Any, path: str) -> list[Mentor]:
    if mentors == []:  # PHP serialises an empty map as a list
        return []
    if not isinstance(mentors, dict):
        raise MalformedDocument(source, path, f"expected an object keyed by user id, got {type(mentors).__name__}")
    return [_entry(source, key, entry, f'{path}["{key}"]') for key, entry in mentors.items()]


def parse_mentor_page(text: str, source: str = MENTOR_LIST_PAGE) -> list[Mentor]:
    """Mentors from the JSON page's text. Names on the page are display copies only."""
    document = load_json(text, source)
    for key in document:
        if key != "Mentors":
            raise MalformedDocument(source, f"$.{key}", "unknown key (only Mentors is allowed)")
    if "Mentors" not in document:
        raise MalformedDocument(source, "$.Mentors", "missing")
    return _entries(source, document["Mentors"], "$.Mentors")


def parse_mentor_api(result: dict[str, Any]) -> list[Mentor]:
    """Mentors from a ``list=growthmentorlist`` response (names there are current)."""
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


def read_mentor_list(gateway: Gateway, source: str = "auto") -> MentorList:
    """The mentor list from GrowthExperiments' module, else from the JSON page."""
    if source == "auto":
        source = "api" if gateway.capabilities().has("query+growthmentorlist") else "page"
    if source == "api":
        mentors = parse_mentor_api(gateway.get(list="growthmentorlist"))
        return MentorList(tuple(sorted(mentors, key=lambda m: m.user_id)), "api")
    page = gateway.read_page(MENTOR_LIST_PAGE)
    if not page.exists:
        return MentorList((), "page")
    mentors = parse_mentor_page(page.text, f"[[{page.title}]]")
    names = names_for_ids(gateway, [m.user_id for m in mentors])
    resolved = [replace(m, username=names.get(m.user_id, m.username or f"#{m.user_id}")) for m in mentors]
    return MentorList(tuple(sorted(resolved, key=lambda m: m.user_id)), "page")
