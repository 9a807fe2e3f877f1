"""Named facts about each mentor's activity, fetched in batches.

``list=users`` and ``list=usercontribs`` take many users per request (50, or 500 with the
high API limits a bot account has; the gateway POSTs, so long lists fit). A user leaves the
batch as soon as the fact asked about is settled, and the query goes on for the others from
where the last page ended, so active mentors cost almost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.gateway import Gateway
from bot.rules import QUESTION_TAGS
from bot.timestamps import is_indefinite, iso, parse_iso

SECTION = re.compile(r"/\*\s*(.*?)\s*\*/")
ALL_NAMESPACES = -1  # the namespace "number" of the group that counts every namespace
USER_TALK = 3
IMPLICIT_GROUPS = frozenset({"*", "user", "autoconfirmed", "temp"})


def parse_time(value: str) -> datetime:
    return parse_iso(value)


def section_of(comment: str) -> str | None:
    match = SECTION.search(comment or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class Block:
    expiry: datetime | None  # None: indefinite
    partial: bool

    @property
    def indefinite(self) -> bool:
        return self.expiry is None


@dataclass(frozen=True)
class Question:
    asked: datetime
    section: str | None


@dataclass
class MentorFacts:
    """What the wiki says about one mentor; each fact is filled only when a rule needs it."""

    user_id: int
    name: str
    registration: datetime | None = None
    editcount: int = 0
    groups: tuple[str, ...] = ()  # explicit groups only (no *, user, autoconfirmed)
    block: Block | None = None
    last_edit: datetime | None = None
    last_logged_action: datetime | None = None
    edit_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # measure key -> group -> edits
    questions: list[Question] = field(default_factory=list)
    own_talk_edits: list[tuple[datetime, str | None]] = field(default_factory=list)

    def answered_at(self, question: Question, within: timedelta) -> datetime | None:
        """When the mentor answered: their first later edit to that thread (or an unsectioned edit) in time."""
        deadline = question.asked + within
        return min((at for at, section in self.own_talk_edits
                    if question.asked < at <= deadline
                    and (question.section is None or section in (None, question.section))), default=None)


def user_of_talk_page(item: dict[str, Any]) -> str | None:
    """The user whose talk page an API item (with ns and title) is on, in any language."""
    if item.get("ns") != USER_TALK:
        return None
    return str(item["title"]).split(":", 1)[1].split("/", 1)[0]


def chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class ActivityReader:
    def __init__(self, gateway: Gateway, now: datetime | None = None) -> None:
        self.gateway = gateway
        self.now = now or datetime.now(UTC)
        self.batch = 500 if gateway.site.has_right("apihighlimits") else 50

    def users(self, user_ids: list[int]) -> dict[int, MentorFacts]:
        """Name, registration, edit count and block state, by user id."""
        facts: dict[int, MentorFacts] = {}
        for batch in chunks([str(i) for i in user_ids], self.batch):
            result = self.gateway.get(list="users", ususerids="|".join(batch),
                                      usprop="editcount|registration|blockinfo|groups")
            for user in result["query"]["users"]:
                if "missing" in user or "userid" not in user:
                    continue
                block = None
                if "blockid" in user:
                    expiry = user.get("blockexpiry", "infinite")
                    block = Block(None if is_indefinite(expiry) else parse_time(expiry),
                                  bool(user.get("blockpartial", False)))
                facts[int(user["userid"])] = MentorFacts(
                    user_id=int(user["userid"]), name=user["name"],
                    registration=parse_time(user["registration"]) if user.get("registration") else None,
                    editcount=int(user.get("editcount", 0)), block=block,
                    groups=tuple(g for g in user.get("groups", []) if g not in IMPLICIT_GROUPS),
                )
        return facts

    def _contributions(self, names: list[str], visit: Callable[[dict[str, Any]], bool], *,
                       until: datetime | None = None, namespaces: Iterable[int] | None = None,
                       prop: str = "timestamp", start: datetime | None = None) -> None:
        """Walk the users' contributions; ``visit`` returns True when a user is settled.

        With several users MediaWiki orders by user, then newest first, and its continuation
        names the user it stopped in. A settled user is dropped from the request and the query
        goes on from that same continuation, so nobody's edits are paged through needlessly.
        ``visit`` may see a contribution twice when one user is left (see below).
        """
        extra: dict[str, Any] = {"ucprop": f"ids|{prop}", "uclimit": "max", "ucdir": "older"}
        if until is not None:
            extra["ucend"] = iso(until)
        if start is not None:
            extra["ucstart"] = iso(start)
        if namespaces is not None:
            extra["ucnamespace"] = "|".join(str(n) for n in sorted(set(namespaces)))
        for chunk in chunks(sorted(names), self.batch):
            pending = set(chunk)
            seen: set[str] = set()
            cont: dict[str, Any] = {}
            several = len(pending) > 1
            while pending:
                if several and len(pending) == 1:
                    several = False
                    cont = self._single_user_continuation(cont, pending <= seen)
                result = self.gateway.get(**extra, list="usercontribs", ucuser="|".join(sorted(pending)), **cont)
                for contribution in result["query"]["usercontribs"]:
                    seen.add(contribution["user"])
                    if contribution["user"] in pending and visit(contribution):
                        pending.discard(contribution["user"])
                if "continue" not in result:
                    break
                cont = result["continue"]

    @staticmethod
    def _single_user_continuation(cont: dict[str, Any], partly_read: bool) -> dict[str, Any]:
        """A one-user query takes ``timestamp|id`` where a several-user one took ``actor|id|timestamp|id``.

        A user not met yet simply starts afresh (in the order by user they come later, or had
        nothing in range); one partly read goes on from the timestamp, which may repeat rows.
        """
        parts = str(cont.get("uccontinue", "")).split("|")
        if not partly_read or len(parts) != 4:
            return {}
        return {**cont, "uccontinue": f"{parts[2]}|{parts[3]}"}

    def last_edits(self, facts: Iterable[MentorFacts], recent_days: int) -> None:
        """Each user's newest edit: first among the recent ones only, then further back for the rest.

        The first pass reads only the last ``recent_days`` (where active mentors settle with few
        rows each); only mentors without a recent edit have their older history read.
        """
        by_name = {f.name: f for f in facts if f.editcount > 0}

        def visit(contribution: dict[str, Any]) -> bool:  # newest first for each user
            by_name[contribution["user"]].last_edit = parse_time(contribution["timestamp"])
            return True

        cutoff = self.now - timedelta(days=recent_days)
        self._contributions(list(by_name), visit, until=cutoff)
        self._contributions([name for name, f in by_name.items() if f.last_edit is None], visit, start=cutoff)

    def active(self, names: list[str], days: int) -> set[str]:
        """The users among ``names`` with at least one edit in the last ``days`` days."""
        found: set[str] = set()

        def visit(contribution: dict[str, Any]) -> bool:
            found.add(contribution["user"])
            return True

        self._contributions(names, visit, until=self.now - timedelta(days=days))
        return found

    def last_logged_actions(self, facts: Iterable[MentorFacts]) -> None:
        """Logged actions cannot be asked for several users at once: one request each."""
        for fact in facts:
            result = self.gateway.get(list="logevents", leuser=fact.name, lelimit=1, leprop="timestamp")
            events = result["query"]["logevents"]
            fact.last_logged_action = parse_time(events[0]["timestamp"]) if events else None

    def edit_counts(self, facts: Iterable[MentorFacts], key: str, days: int, groups: dict[str, tuple[int, ...]],
                    needed: dict[str, int]) -> None:
        """Edits per namespace group over the window, counted only as far as the rule needs.

        The counts go to ``fact.edit_counts[key]``, so several such measures keep their own.
        """
        facts = list(facts)
        by_name = {f.name: f for f in facts if f.editcount > 0}
        for fact in facts:
            fact.edit_counts[key] = dict.fromkeys(needed, 0)
        everywhere = [group for group in needed if ALL_NAMESPACES in groups[group]]
        group_of_namespace: dict[int, list[str]] = {}
        for group in needed:
            for namespace in groups[group]:
                if namespace != ALL_NAMESPACES:
                    group_of_namespace.setdefault(namespace, []).append(group)
        counted: set[int] = set()

        def visit(contribution: dict[str, Any]) -> bool:
            counts = by_name[contribution["user"]].edit_counts[key]
            if contribution["revid"] not in counted:
                counted.add(contribution["revid"])
                for group in group_of_namespace.get(contribution["ns"], []) + everywhere:
                    counts[group] += 1
            return all(counts[group] >= n for group, n in needed.items())

        namespaces = None if everywhere else list(group_of_namespace)
        self._contributions(list(by_name), visit, until=self.now - timedelta(days=days),
                            namespaces=namespaces, prop="title|timestamp")

    def questions(self, facts: Iterable[MentorFacts], days: int) -> None:
        """Mentee questions on each mentor's talk page, and the mentor's own edits there."""
        by_name = {f.name: f for f in facts}
        since = self.now - timedelta(days=days)
        for tag in QUESTION_TAGS:
            for result in self.gateway.query_all(
                    list="recentchanges", rctag=tag, rcnamespace=3, rcprop="title|timestamp|comment",
                    rclimit="max", rcend=iso(since)):
                for change in result["query"]["recentchanges"]:
                    owner = user_of_talk_page(change)
                    fact = by_name.get(owner) if owner and "/" not in change["title"] else None
                    if fact is not None:
                        fact.questions.append(Question(parse_time(change["timestamp"]),
                                                       section_of(change.get("comment", ""))))
        asked = {f.name: f for f in by_name.values() if f.questions}

        answers: set[int] = set()

        def visit(contribution: dict[str, Any]) -> bool:
            fact = asked[contribution["user"]]
            on_own_page = user_of_talk_page(contribution) == fact.name and "/" not in contribution["title"]
            if on_own_page and contribution["revid"] not in answers:
                answers.add(contribution["revid"])
                fact.own_talk_edits.append((parse_time(contribution["timestamp"]),
                                            section_of(contribution.get("comment", ""))))
            return False

        self._contributions(list(asked), visit, until=since, namespaces=[3], prop="title|timestamp|comment")
