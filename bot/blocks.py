"""``mentorbot blocks``: tell mentors when a mentee is blocked, and bring the mentor back after.

An indefinite block makes GrowthExperiments drop the mentee's mentor at once, silently, and an
unblock restores nothing. The bot reads the block log from a cursor in its state store, finds
each mentee's mentor (``{{#mentor:}}``, else the newest snapshot), posts one notice per mentor
per run, and after an indefinite block ends restores the original mentor with
``growthsetmentor`` where the wiki allows it, or tells the mentor how to claim the mentee back.

Exactly once: every entry in a notice carries a hidden marker with its log id, the talk page is
checked for it before posting, and the cursor only moves past entries that were handled or
deliberately skipped.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.errors import ApiFailure, EditConflictUnresolved
from bot.gateway import Gateway, notice_marker
from bot.mentors import ALREADY_THE_MENTOR, MentorList, current_mentors, read_mentor_list
from bot.messages import Text, Verbatim, check_overrides
from bot.rules import load_checked, normalize_username
from bot.state import StateStore
from bot.timestamps import is_indefinite, iso, parse_iso

TASK = "blocks"
HIDDEN = "(hidden)"  # a performer or reason suppressed in the log
BACKUP_KEYS = {  # what is said to the mentor, and what is said about them to the backup mentor in their place
    "mentorbot-blocks-restored": "mentorbot-blocks-restored-backup",
    "mentorbot-blocks-kept": "mentorbot-blocks-kept-backup",
    "mentorbot-blocks-claim": "mentorbot-blocks-claim-backup",
}
POLL_MARGIN = timedelta(minutes=5)

@dataclass(frozen=True)
class BlockSettings:
    optout: frozenset[str] = frozenset()
    restore: bool = False
    notify_backup_when_away: bool = False
    messages: dict[str, str] = field(default_factory=dict)  # the wiki's own texts, by message key


def parse_block_settings(text: str, source: str) -> BlockSettings:
    """The wiki's settings page for block notices, checked against its JSON Schema; every key is optional."""
    document = load_checked(text, source, "block-settings")
    return BlockSettings(
        optout=frozenset(normalize_username(name) for name in document.get("optout", [])),
        restore=document.get("restore", False),
        notify_backup_when_away=document.get("notify_backup_when_away", False),
        messages=check_overrides(document.get("messages", {}), source),
    )


@dataclass(frozen=True)
class BlockEvent:
    """One block-log entry about a registered user, as plain data."""

    log_id: int
    timestamp: str
    action: str  # block, reblock, unblock
    mentee: str
    admin: str
    reason: str
    indefinite: bool
    sitewide: bool
    expiry: str

    @classmethod
    def from_log(cls, entry: dict[str, Any]) -> BlockEvent:
        params = entry.get("params", {})
        duration = str(params.get("duration", ""))
        expiry = str(params.get("expiry", "")) or duration
        return cls(
            log_id=int(entry["logid"]), timestamp=entry["timestamp"], action=entry["action"],
            mentee=str(entry["title"]).split(":", 1)[1],
            admin=HIDDEN if "userhidden" in entry else entry.get("user", "?"),
            reason=HIDDEN if "commenthidden" in entry else entry.get("comment", ""),
            indefinite=entry["action"] != "unblock" and (is_indefinite(duration) or not expiry),
            sitewide=bool(params.get("sitewide", True)), expiry=expiry or "indefinite",
        )


@dataclass(frozen=True)
class PlannedNotice:
    """What the bot will do about one block-log entry, decided before anything is written."""

    event: BlockEvent
    original: str  # the mentee's mentor before the block
    recipient: str  # who is told: the mentor, or the backup while the mentor is away
    ends_indefinite_block: bool  # then the mentor from before may be brought back


@dataclass
class BlocksResult:
    started: bool = False  # first run: the cursor was set to now
    events: int = 0
    posted: dict[str, list[int]] = field(default_factory=dict)  # recipient -> log ids
    restored: list[tuple[str, str]] = field(default_factory=list)  # mentee, mentor
    skipped: list[str] = field(default_factory=list)


def is_registered_name(name: str) -> bool:
    """Blocks of IP addresses and ranges have no mentee behind them."""
    try:
        ipaddress.ip_network(name, strict=False)
    except ValueError:
        return True
    return False


def expiry_text(expiry: str) -> str:
    """A block's end as the notice shows it: a date and time in UTC, or the duration as the log gave it."""
    try:
        return f"{parse_iso(expiry):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return expiry


class BlockNotifier:
    def __init__(self, gateway: Gateway, store: StateStore, settings_page: str, now: datetime | None = None) -> None:
        self.gateway = gateway
        self.store = store
        self.settings_page = settings_page
        self.wiki = gateway.config.wiki_key
        self.now = now or datetime.now(UTC)  # the run's time: who is away is judged at one moment

    def poll(self) -> list[BlockEvent] | None:
        """Block-log entries from the cursor on (less a margin); None on the first run.

        Log ids are given out before commit, so an entry can appear late with a smaller id:
        the poll goes back ``POLL_MARGIN`` before the cursor and relies on the record of handled
        entries, not on ids, to see each entry once. The first run marks what is in that margin
        as seen, so it starts from now.
        """
        cursor = self.store.get_cursor(self.wiki, TASK)
        now = self.now
        since = (parse_iso(cursor.split("|")[-1]) if cursor else now) - POLL_MARGIN
        events = []
        for result in self.gateway.query_all(
                list="logevents", letype="block", ledir="newer", lestart=iso(since),
                lelimit="max", leprop="ids|title|type|user|timestamp|comment|details"):
            events += [BlockEvent.from_log(entry) for entry in result["query"]["logevents"] if entry.get("ns") == 2]
        if cursor is None:
            if not self.gateway.config.dry_run:
                for event in events:
                    self.record(event, None)
                with self.store.transaction() as db:
                    self.store.set_cursor(db, self.wiki, TASK, iso(now))
            return None
        return sorted(events, key=lambda e: e.log_id)

    def handled(self) -> set[int]:
        return self.store.handled_block_entries(self.wiki)

    def run(self) -> BlocksResult:
        result = BlocksResult()
        events = self.poll()
        if events is None:
            result.started = True
            return result
        done = self.handled()
        todo = [e for e in events if e.log_id not in done]
        result.events = len(todo)
        if todo:
            self.handle(todo, result)
        if events and not self.gateway.config.dry_run:
            # The cursor passes only what was handled: an entry that failed is read again next time.
            done = self.handled()
            waiting = [e.timestamp for e in events if e.log_id not in done]
            position = min(waiting) if waiting else max(e.timestamp for e in events)
            with self.store.transaction() as db:
                self.store.set_cursor(db, self.wiki, TASK, position)
        return result

    def handle(self, events: list[BlockEvent], result: BlocksResult) -> None:
        settings = self.gateway.read_settings(self.settings_page, parse_block_settings, BlockSettings())
        mentor_list = read_mentor_list(self.gateway)
        mentees = sorted({e.mentee for e in events if is_registered_name(e.mentee)})
        now_mentors = current_mentors(self.gateway, mentees) if mentees else {}
        # Decide: for each entry, who is told and whether a mentor may be brought back (plain data).
        planned: list[PlannedNotice] = []
        # Entries of this run, in log order: a block and its unblock can both be in one poll.
        indefinite_now: dict[str, bool] = {}
        mentor_before: dict[str, str] = {}
        for event in events:
            if not is_registered_name(event.mentee):
                self.record(event, None)
                continue
            original = mentor_before.get(event.mentee) if event.action != "block" else None
            original = original or self.original_mentor(event, now_mentors)
            ends = self.ends_indefinite_block(event, indefinite_now)
            indefinite_now[event.mentee] = event.indefinite
            if original is None:
                result.skipped.append(f"{event.mentee}: no mentor known")
                self.record(event, None)
                continue
            mentor_before[event.mentee] = original
            recipient = self.recipient(event.mentee, original, mentor_list, settings)
            if normalize_username(recipient) in settings.optout:
                result.skipped.append(f"{event.mentee}: {recipient} opted out of block notices")
                self.record(event, original)
                continue
            planned.append(PlannedNotice(event, original, recipient, ends))
        # Act and verify: each restore is done and confirmed by the wiki before anyone is told of it.
        outcomes = {plan.event.log_id: self.bring_back(plan.event, plan.original, plan.recipient, now_mentors,
                                                       mentor_list, settings, result)
                    for plan in planned if plan.ends_indefinite_block}
        # Tell: one post a recipient, every sentence from what was verified.
        by_recipient: dict[str, list[tuple[BlockEvent, str, str]]] = {}  # event, line, original mentor
        for plan in planned:
            line = " ".join(filter(None, [self.describe(plan.event, settings), outcomes.get(plan.event.log_id)]))
            by_recipient.setdefault(plan.recipient, []).append((plan.event, line, plan.original))
        for recipient, items in by_recipient.items():
            try:
                self.notify(recipient, items, settings, result)
            except (ApiFailure, EditConflictUnresolved) as failure:
                # One page that refuses the edit (or keeps changing) must not hold back everyone else's notices.
                why = failure.code if isinstance(failure, ApiFailure) else "the page kept changing"
                result.skipped.append(f"{recipient}: the notice was refused ({why}); it is retried next run")

    def original_mentor(self, event: BlockEvent, now_mentors: dict[str, str]) -> str | None:
        """The mentor from before an indefinite block: what the bot recorded, else the snapshot."""
        recorded = self.store.mentor_recorded_at_block(self.wiki, event.mentee)
        if event.action != "block" and recorded:
            return recorded
        return now_mentors.get(event.mentee) or self.store.last_mentor(self.wiki, event.mentee)

    def recipient(self, mentee: str, mentor: str, mentor_list: MentorList, settings: BlockSettings) -> str:
        """The mentor, or, where the wiki asks for it, the mentee's backup mentor while the mentor is away."""
        listed = mentor_list.by_name(mentor)
        away = listed is not None and listed.away_at(self.now)
        if away and settings.notify_backup_when_away:
            backup = self.store.last_mentor(self.wiki, mentee, role="backup")
            if backup and backup != mentor:
                return backup
        return mentor

    def ends_indefinite_block(self, event: BlockEvent, indefinite_now: dict[str, bool]) -> bool:
        if event.action == "block" or (event.action == "reblock" and event.indefinite):
            return False
        if event.mentee in indefinite_now:
            return indefinite_now[event.mentee]
        return self.store.was_indefinitely_blocked(self.wiki, event.mentee, event.log_id)

    def bring_back(self, event: BlockEvent, original: str, recipient: str, now_mentors: dict[str, str],
                   mentor_list: MentorList, settings: BlockSettings, result: BlocksResult) -> str:
        """Restore the original mentor where allowed; otherwise the text tells them how to claim.

        The text speaks to the original mentor, or about them to the backup mentor told in their place.
        """
        messages = self.gateway.messages(settings.messages)
        backup = recipient != original

        def texts(key: str, mentee: str) -> str:
            return messages(BACKUP_KEYS[key], mentee, original) if backup else messages(key, mentee)

        listed = mentor_list.by_name(original)
        active = listed is not None and not listed.away_at(self.now)
        can = (settings.restore and active and self.gateway.site.has_right("setmentor")
               and self.gateway.capabilities().has("growthsetmentor"))
        why = f"restored after the block ended (log id {event.log_id})"
        if any(move[1] == event.mentee and move[3] == original and move[5] == why
               for move in self.store.moves(self.wiki)):
            # Restored by a run that ended before telling: say what that run did.
            result.restored.append((event.mentee, original))
            return texts("mentorbot-blocks-restored", event.mentee)
        if now_mentors.get(event.mentee) == original:  # never dropped (GrowthExperiments REL1_43 keeps the pair)
            return texts("mentorbot-blocks-kept", event.mentee)
        if self.still_indefinitely_blocked(event.mentee):
            result.skipped.append(f"{event.mentee}: still blocked indefinitely, mentor not restored")
            return ""
        if can:
            try:
                self.gateway.post("growthsetmentor", mentee=event.mentee, mentor=original,
                                  reason=messages("mentorbot-setmentor-restore-reason", event.log_id))
            except ApiFailure as failure:
                if failure.code != ALREADY_THE_MENTOR:  # after a lost answer, "already" means done
                    result.skipped.append(f"{event.mentee}: not restored ({failure.code})")
            # Say only what the wiki shows: the mentor as {{#mentor:}} gives it now.
            if current_mentors(self.gateway, [event.mentee]).get(event.mentee) == original:
                result.restored.append((event.mentee, original))
                self.store.record_move(self.wiki, None, event.mentee, None, original, why)
                return texts("mentorbot-blocks-restored", event.mentee)
        return texts("mentorbot-blocks-claim", event.mentee)

    def still_indefinitely_blocked(self, mentee: str) -> bool:
        """Another block may remain (several blocks, or a new one later in this poll)."""
        blocks = self.gateway.get(list="blocks", bkusers=mentee, bkprop="expiry")["query"]["blocks"]
        return any(is_indefinite(str(block.get("expiry"))) for block in blocks)

    def describe(self, event: BlockEvent, settings: BlockSettings) -> str:
        texts = self.gateway.messages(settings.messages)
        admin = texts("mentorbot-blocks-hidden-admin") if event.admin == HIDDEN else texts("mentorbot-user-link",
                                                                                           event.admin)
        date = event.timestamp[:16].replace("T", " ")
        if event.action == "unblock":
            return texts("mentorbot-blocks-unblocked", event.mentee, date, admin)
        scope = Text("mentorbot-blocks-sitewide" if event.sitewide else "mentorbot-blocks-partial")
        expiry = Text("mentorbot-blocks-indefinite") if event.indefinite else Text("mentorbot-blocks-until",
                                                                                   expiry_text(event.expiry))
        reason = Text("mentorbot-blocks-hidden-reason") if event.reason == HIDDEN else Verbatim(event.reason)
        key = "mentorbot-blocks-blocked" if not isinstance(reason, Verbatim) or reason.flat else \
            "mentorbot-blocks-blocked-no-reason"
        return texts(key, event.mentee, admin, date, scope, expiry, reason)

    def notify(self, recipient: str, items: list[tuple[BlockEvent, str, str]], settings: BlockSettings,
               result: BlocksResult) -> None:
        """One post for all of a mentor's entries; those already on the page (a crashed run) are left out."""
        title = f"User talk:{recipient}"
        page = self.gateway.read_page(title)
        fresh = [(event, line) for event, line, _original in items if self.marker(event) not in page.text]
        if fresh:
            texts = self.gateway.messages(settings.messages)
            body = "\n".join([texts("mentorbot-blocks-intro", recipient),
                              *(f"* {line} {self.marker(event)}" for event, line in fresh), "~~~~"])
            summary = texts("mentorbot-summary-blocks", len(fresh))
            posted = self.gateway.add_section(title, texts("mentorbot-blocks-heading"), body, summary,
                                              notice_type="blocks", marker=self.marker(fresh[0][0]), page=page)
            if posted:
                result.posted[recipient] = [event.log_id for event, _line in fresh]
            else:
                result.skipped.append(f"{recipient}: the talk page excludes this bot")
        for event, _line, original in items:
            self.record(event, original)

    @staticmethod
    def marker(event: BlockEvent) -> str:
        return notice_marker("block", event.log_id)

    def record(self, event: BlockEvent, mentor: str | None) -> None:
        """The entry is handled: it will not be noticed again, even if the cursor is older."""
        if self.gateway.config.dry_run:
            return
        self.store.record_block_entry(self.wiki, event.log_id, event.mentee, mentor, event.action, event.indefinite)
