"""``mentorbot report graduation``: mentees who no longer need a mentor, and an invitation to mentor.

Two kinds of mentee are listed, per mentor: those who meet the wiki's graduation thresholds
(GrowthExperiments' ``GEMentorshipStartOptedOutThresholds`` where the community turned them on,
else the bot's own from the settings page) but are still assigned, and experienced editors
(in one of the settings page's groups, or mentors themselves) who were given a mentor anyway.
Mentees come from ``list=growthmentormentee``; their edit counts, registration dates and groups
from batched ``list=users`` lookups.

With ``--invite``, and only where the wiki's settings page turns invitations on, each mentee who
newly meets the thresholds gets one congratulation on their talk page in the wiki's own words,
with a link to Special:EnrollAsMentor. Every report records who meets the thresholds; the first
run with ``--invite`` only marks those already meeting them as settled (no pile of invitations
for a past nobody asked about), and later runs invite everyone recorded since. Never twice: the
state store records every invitation, and a hidden marker on the talk page is looked for before
posting, so a crash between the two repeats nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.activity import ActivityReader, MentorFacts
from bot.community import CommunitySettings
from bot.gateway import Gateway, notice_marker
from bot.mentors import Mentor, mentees_of
from bot.messages import Items, Native, Text, check_overrides
from bot.reports import Cell, Report
from bot.rules import load_checked, normalize_username
from bot.state import StateStore

CURSOR_TASK = "graduation-invite"  # set by the first run with --invite
DEFAULT_GROUPS = frozenset({"sysop", "bureaucrat", "interface-admin", "rollbacker", "autoreviewer", "autopatrolled",
                            "extendedconfirmed", "patroller", "reviewer", "editor", "bot"})


@dataclass(frozen=True)
class GraduationSettings:
    min_editcount: int = 500
    min_tenure_days: int = 30
    experienced_groups: frozenset[str] = DEFAULT_GROUPS
    invite: bool = False
    messages: dict[str, str] = field(default_factory=dict)  # the wiki's own texts, by message key


def parse_report_settings(text: str, source: str) -> GraduationSettings:
    document = load_checked(text, source, "reports-settings")
    raw = document.get("graduation", {})
    return GraduationSettings(
        min_editcount=raw.get("min_editcount", 500),
        min_tenure_days=raw.get("min_tenure_days", 30),
        experienced_groups=frozenset(raw.get("experienced_groups", DEFAULT_GROUPS)),
        invite=raw.get("invite", False),
        messages=check_overrides(document.get("messages", {}), source),
    )


def read_report_settings(gateway: Gateway) -> GraduationSettings:
    return gateway.read_settings(gateway.config.reports_page, parse_report_settings, GraduationSettings())


@dataclass(frozen=True)
class Thresholds:
    min_editcount: int
    min_tenure_days: int
    source: Text

    def met_by(self, fact: MentorFacts, now: datetime) -> bool:
        """GrowthExperiments' rule: at least the edits, and an account age strictly above the tenure, in seconds."""
        if fact.editcount < self.min_editcount:
            return False
        # No registration date: registered before 2005, old enough for any tenure.
        return fact.registration is None or now - fact.registration > timedelta(days=self.min_tenure_days)


def thresholds(settings: CommunitySettings, own: GraduationSettings) -> Thresholds:
    ge = settings.values["GEMentorshipStartOptedOutThresholds"]
    if ge.get("enabled"):
        return Thresholds(int(ge["minEditcount"]), int(ge["minTenureInDays"]),
                          Text("mentorbot-graduation-thresholds-ge"))
    return Thresholds(own.min_editcount, own.min_tenure_days, Text("mentorbot-graduation-thresholds-own"))


@dataclass
class GraduationResult:
    report: Report
    graduating: list[tuple[MentorFacts, str]] = field(default_factory=list)  # mentee, mentor
    first_invite_run: bool = False
    invited: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def graduation_report(gateway: Gateway, store: StateStore, mentors: list[Mentor], settings: CommunitySettings,
                      own: GraduationSettings, now: datetime | None = None) -> GraduationResult:
    now = now or datetime.now(UTC)
    wiki = gateway.config.wiki_key
    limits = thresholds(settings, own)
    mentor_of: dict[int, str] = {}
    for mentor in mentors:
        for mentee in mentees_of(gateway, mentor):
            mentor_of[mentee.user_id] = mentor.username
    facts = ActivityReader(gateway, now).users(sorted(mentor_of))
    mentor_names = {normalize_username(m.username) for m in mentors}

    rows: list[list[Cell]] = []
    graduating: list[tuple[MentorFacts, str]] = []
    experienced = 0
    for fact in sorted(facts.values(), key=lambda f: (mentor_of[f.user_id], f.name)):
        why: list[Text] = []
        if limits.met_by(fact, now):
            why.append(Text("mentorbot-graduation-why-thresholds"))
            graduating.append((fact, mentor_of[fact.user_id]))
        groups = sorted(set(fact.groups) & own.experienced_groups)
        if groups:
            why.append(Text("mentorbot-graduation-why-groups", group_names(groups)))
        if fact.name in mentor_names:
            why.append(Text("mentorbot-graduation-why-mentor"))
        if groups or fact.name in mentor_names:
            experienced += 1
        if why:
            tenure = (now - fact.registration).days if fact.registration else None
            rows.append([fact.name, mentor_of[fact.user_id], fact.editcount, tenure,
                         f"{fact.registration:%Y-%m-%d}" if fact.registration else "", Items(tuple(why))])

    known = store.graduates(wiki)
    newly = [f for f, _m in graduating if f.user_id not in known]
    if not gateway.config.dry_run:
        store.record_graduates(wiki, [f.user_id for f in newly])

    per_mentor: dict[str, int] = {}
    for _fact, mentor_name in graduating:
        per_mentor[mentor_name] = per_mentor.get(mentor_name, 0) + 1
    totals: list[tuple[Text, Cell]] = [
        (Text("mentorbot-total-mentees"), len(mentor_of)),
        (Text("mentorbot-total-graduating", limits.min_editcount, limits.min_tenure_days), len(graduating)),
        (Text("mentorbot-total-experienced"), experienced),
        (Text("mentorbot-total-newly-graduating"), len(newly)),
        *[(Text("mentorbot-total-graduating-of", name), number) for name, number in sorted(per_mentor.items())],
    ]
    notes = [
        Text("mentorbot-graduation-note-thresholds", limits.source, limits.min_editcount, limits.min_tenure_days),
        Text("mentorbot-graduation-note-experienced", group_names(sorted(own.experienced_groups))),
        Text("mentorbot-graduation-note-mentees"),
    ]
    columns = [Text(f"mentorbot-column-{name}") for name in ("mentee", "mentor", "edit-count", "account-age",
                                                              "registered", "why-listed")]
    report = Report("graduation", Text("mentorbot-report-graduation-title"), columns, rows, totals, notes)
    return GraduationResult(report, graduating)


def group_names(groups: list[str]) -> Items:
    """User groups by the names the wiki gives them in its language."""
    return Items(tuple(Native(f"group-{group}", group) for group in groups))


def invitation_marker(user_id: int) -> str:
    return notice_marker("graduation-invite", user_id)


def send_invitations(gateway: Gateway, store: StateStore, result: GraduationResult, own: GraduationSettings,
                     now: datetime | None = None) -> None:
    """One congratulation per mentee who newly meets the thresholds; never twice."""
    now = now or datetime.now(UTC)
    wiki = gateway.config.wiki_key
    if store.get_cursor(wiki, CURSOR_TASK) is None:
        result.first_invite_run = True
        if not gateway.config.dry_run:
            store.settle_graduates(wiki, [fact.user_id for fact, _mentor in result.graduating])
            with store.transaction() as db:
                store.set_cursor(db, wiki, CURSOR_TASK, now.isoformat())
        return
    invited = store.graduates(wiki)
    due = [(fact, mentor) for fact, mentor in result.graduating if invited.get(fact.user_id) is None]
    pages = gateway.read_pages([f"User talk:{fact.name}" for fact, _mentor in due])
    texts = gateway.messages(own.messages)
    for fact, mentor in due:
        key = "mentorbot-invite-text" if fact.registration else "mentorbot-invite-text-old-account"
        days = (now - fact.registration).days if fact.registration else 0
        marker = invitation_marker(fact.user_id)
        posted = gateway.add_section(
            f"User talk:{fact.name}", texts("mentorbot-invite-heading"),
            texts(key, fact.name, fact.editcount, days, mentor) + "\n" + marker, texts("mentorbot-summary-invite"),
            notice_type="mentorship", marker=marker, page=pages.get(f"User talk:{fact.name}"))
        (result.invited if posted else result.skipped).append(fact.name)
        if not gateway.config.dry_run:
            store.record_invitation(wiki, fact.user_id)
