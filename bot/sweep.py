"""``mentorbot sweep``: warn, mark away or remove inactive mentors by the wiki's own rules.

Decide, then act. ``measure`` turns facts into days of inactivity, ``decide`` turns those into
plain ``Decision`` records (who, what, why, under which rule) without touching the wiki, and
``SweepActor`` hands the decisions to the gateway. The dry run, the run log, the command's
output and the tests all read the same decisions.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.activity import ALL_NAMESPACES, ActivityReader, MentorFacts
from bot.community import CommunitySettings
from bot.errors import ApiFailure, StopRun
from bot.gateway import Gateway, PageText, notice_marker
from bot.mentors import (
    ALREADY_THE_MENTOR,
    MENTOR_LIST_PAGE,
    NOT_IN_THE_LIST,
    Mentee,
    Mentor,
    MentorList,
    current_mentors,
    mentees_of,
    parse_mentor_page,
)
from bot.rules import MAX_AWAY_DAYS, Measure, SweepRules
from bot.state import StateStore
from bot.timestamps import iso, parse_iso
from bot.words import counted

DAY = timedelta(days=1)


class CircuitBreakerTripped(StopRun):
    exit_code = 5


@dataclass(frozen=True)
class Inactivity:
    """How long a mentor has failed the rules, and since when (the lapse)."""

    days: int
    since: datetime
    measure: Measure
    reason: str


@dataclass(frozen=True)
class Decision:
    mentor: Mentor
    action: str  # warn, away, remove, or none (nothing to do, with the reason why)
    reason: str
    rule: str = ""
    days: int = 0
    lapse_start: str = ""
    away_until: datetime | None = None
    notice: str | None = None  # message key: warn, away, away_capped, removed
    next_stage: str = ""
    detail: str = ""  # for operators and the run log, not for the mentor's notice
    warned: bool = False  # a warning for this lapse was given (under any measure still failing)

    @property
    def explanation(self) -> str:
        return f"{self.reason}; {self.detail}" if self.detail else self.reason

    def line(self) -> str:
        what = self.action if self.action != "none" else "-"
        until = f" until {self.away_until:%Y-%m-%d}" if self.away_until else ""
        return f"{what:<6} {self.mentor.username}{until}: {self.explanation}"


def days_between(earlier: datetime, later: datetime) -> int:
    return int((later - earlier) / DAY)


def measure_inactivity(facts: MentorFacts, measure: Measure, now: datetime,
                       first_failed: dict[tuple[int, str], float]) -> Inactivity | None:
    """Days the mentor has failed one measure, or None while they pass it."""
    if measure.kind in ("last-edit", "last-action"):
        moments = [facts.last_edit]
        if measure.kind == "last-action":
            moments.append(facts.last_logged_action)
        latest = max((m for m in moments if m), default=None) or facts.registration
        if latest is None:
            return None
        what = "edit" if measure.kind == "last-edit" else "edit or logged action"
        days = days_between(latest, now)
        if latest == facts.registration and facts.last_edit is None:
            reason = f"no {what} since registering on {latest:%Y-%m-%d} ({days} days)"
        else:
            reason = f"no {what} since {latest:%Y-%m-%d} ({days} days)"
        return Inactivity(days_between(latest, now), latest, measure, reason)
    failing, reason = count_rule_fails(facts, measure, now)
    if not failing:
        return None
    first = first_failed.get((facts.user_id, measure.key))
    since = datetime.fromtimestamp(first, UTC) if first is not None else now
    return Inactivity(days_between(since, now), since, measure, f"{reason}, failing since {since:%Y-%m-%d}")


def count_rule_fails(facts: MentorFacts, measure: Measure, now: datetime) -> tuple[bool, str]:
    if measure.kind == "edits-in-window":
        counts = facts.edit_counts.get(measure.key, {})
        short = [f"{counts.get(group, 0)} {group} edits (of {n})"
                 for group, n in measure.min_edits if counts.get(group, 0) < n]
        return bool(short), f"only {', '.join(short)} in the last {measure.window_days} days"
    # answered-questions: questions still inside their answer period are not counted yet
    due, answered = 0, 0
    within = timedelta(days=measure.answer_within_days)
    for question in facts.questions:
        answer = facts.answered_at(question, within) is not None
        if answer:
            answered += 1
        if answer or question.asked + within <= now:
            due += 1
    if due < measure.min_questions:
        return False, ""
    share = answered / due
    return share < measure.min_share, (f"{answered} of {due} mentee questions answered within "
                                       f"{measure.answer_within_days} days ({share:.0%}, at least "
                                       f"{measure.min_share:.0%} wanted)")


def inactivity(facts: MentorFacts, rules: SweepRules, now: datetime,
               first_failed: dict[tuple[int, str], float]) -> list[Inactivity]:
    """Every measure the mentor fails, longest first; empty while they pass them all."""
    failing = [i for m in rules.measures if (i := measure_inactivity(facts, m, now, first_failed))]
    return sorted(failing, key=lambda i: i.days, reverse=True)


def lapse_key(lapse: Inactivity) -> str:
    return iso(lapse.since)


STAGE_WORDS = {"away": "marked away as a mentor", "remove": "removed from the mentor list"}


def next_stage_text(stage: str, days: int | None, lapse: datetime, now: datetime) -> str:
    """What a warned mentor faces next, in words for the notice."""
    what = STAGE_WORDS[stage]
    when = lapse + (days or 0) * DAY
    return f"{what} on {when:%Y-%m-%d}" if when > now else f"{what} at the next sweep"


def upcoming(rules: SweepRules, settings: CommunitySettings) -> tuple[str, int | None] | None:
    """The first stage after a warning that the bot itself applies on this wiki."""
    if rules.away_after_days and not settings.ge_marks_away:
        return "away", rules.away_after_days
    if rules.remove_after_days and not settings.ge_removes:
        return "remove", rules.remove_after_days
    return None


def decide(mentors: list[Mentor], facts: dict[int, MentorFacts], rules: SweepRules,
           settings: CommunitySettings, now: datetime, first_failed: dict[tuple[int, str], float],
           done: set[tuple[int, str, str]]) -> list[Decision]:
    """One decision per mentor: pure, no wiki needed."""
    decisions = []
    for mentor in mentors:
        fact = facts.get(mentor.user_id)
        alone = rules.leaves_alone(mentor)
        if alone:
            decisions.append(Decision(mentor, "none", alone))
            continue
        if fact is None:
            decisions.append(Decision(mentor, "none", "the account does not exist"))
            continue
        lapses = inactivity(fact, rules, now, first_failed)
        if not lapses or lapses[0].days < rules.first_stage_days:
            decisions.append(Decision(mentor, "none", lapses[0].reason if lapses else "active",
                                      days=lapses[0].days if lapses else 0))
            continue
        # Warned under any measure still failing counts: another measure taking the lead is no new lapse.
        warned = any((mentor.user_id, lapse_key(lapse), "warn") in done for lapse in lapses)
        decisions.append(decide_one(mentor, fact, lapses[0], rules, settings, now, warned))
    return decisions


def decide_one(mentor: Mentor, fact: MentorFacts, lapse: Inactivity, rules: SweepRules,
               settings: CommunitySettings, now: datetime, warned: bool) -> Decision:
    key = lapse_key(lapse)
    stage = upcoming(rules, settings)
    base = Decision(mentor, "none", lapse.reason, rule=lapse.measure.describe(), days=lapse.days, lapse_start=key,
                    next_stage=next_stage_text(*stage, lapse.since, now) if stage else "reminded again",
                    warned=warned)
    refused = []
    blocked = fact.block
    if rules.remove_after_days and lapse.days >= rules.remove_after_days:
        if settings.ge_removes:
            refused.append("removal refused: GrowthExperiments removes inactive mentors itself here "
                           "(GEMentorshipShouldBeAutoremoved)")
        elif blocked and not blocked.indefinite:
            refused.append("temporarily blocked: never removed")
        elif blocked and blocked.indefinite and not rules.remove_indefinitely_blocked:
            refused.append("indefinitely blocked, and the rules do not remove blocked mentors")
        elif rules.warn_after_days and not warned:
            return replace(base, action="warn", notice="warn", detail="warned first, removal on a later sweep",
                           next_stage=next_stage_text("remove", None, now, now))
        else:
            return replace(base, action="remove", notice="removed")
    if (blocked and not blocked.partial) or mentor.away_blocked:
        # GrowthExperiments already treats a sitewide-blocked or locked mentor as away, and refuses to change it.
        return replace(base, detail=details(*refused, "counts as away while blocked or locked"))
    removal_point = lapse.since + rules.remove_after_days * DAY if rules.remove_after_days else None
    away_due = bool(rules.away_after_days and lapse.days >= rules.away_after_days)
    if away_due or (refused and not settings.ge_marks_away):  # a refused removal is at most an away
        if settings.ge_marks_away:
            refused.append("away refused: GrowthExperiments marks inactive mentors away itself here "
                           "(GEMentorshipShouldBeAutoawayed)")
        else:
            away = away_decision(base, mentor, removal_point, rules, now)
            if away is not None:
                if rules.warn_after_days and not warned and away.notice == "away":
                    return replace(base, action="warn", notice="warn", detail="warned first, away on a later sweep",
                                   next_stage=next_stage_text("away", None, now, now))
                return replace(away, detail=details(away.detail, *refused))
            return replace(base, detail=details(*refused, f"already away until {mentor.away_until:%Y-%m-%d}"))
    if rules.warn_after_days and lapse.days >= rules.warn_after_days and not warned:
        return replace(base, action="warn", notice="warn", detail=details(*refused))
    return replace(base, detail=details(*refused, "already warned" if warned else ""))


def details(*parts: str) -> str:
    """A decision's details for operators, in one line."""
    return "; ".join(part for part in parts if part)


def away_decision(base: Decision, mentor: Mentor, removal_point: datetime | None, rules: SweepRules,
                  now: datetime) -> Decision | None:
    """Away until the removal point (or the default period), at most 365 days ahead.

    A longer away date the mentor set is kept unless it goes past the removal point.
    """
    ahead = removal_point is not None and removal_point > now  # past it, the removal itself was refused
    wanted = removal_point if removal_point and ahead else now + rules.away_days_without_removal * DAY
    wanted = min(wanted, now + MAX_AWAY_DAYS * DAY).replace(microsecond=0)
    current = mentor.away_until
    if current is None or current <= now:
        return replace(base, action="away", away_until=wanted, notice="away")
    # Away already (GrowthExperiments' cleaner would re-mark them on every run): left alone,
    # unless the mentor's own date goes past a removal point still ahead.
    if removal_point is None or not ahead or current <= removal_point:
        return None
    return replace(base, action="away", away_until=wanted, notice="away_capped",
                   detail=f"self-set away date {current:%Y-%m-%d} is past the removal "
                          f"point {removal_point:%Y-%m-%d}, so it is capped")


# --- acting -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    decisions: list[Decision]
    notes: list[str] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # mentee, from, to
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # mentor, action, GrowthExperiments' reason
    postponed: list[tuple[str, str, str]] = field(default_factory=list)  # mentor, action, why: the next run does it


class Postponed(Exception):
    """A step that cannot be done safely in this run; its plan stays open for the next one."""


def journal_entry(decision: Decision) -> str:
    return f"{decision.mentor.user_id}:{decision.lapse_start}:{decision.action}"


def decision_to_json(decision: Decision) -> dict[str, Any]:
    data = {item.name: getattr(decision, item.name) for item in fields(Decision)}
    return {**data, "mentor": decision.mentor.to_json(),
            "away_until": iso(decision.away_until) if decision.away_until else None}


def decision_from_json(data: dict[str, Any]) -> Decision:
    away = data.get("away_until")
    return Decision(**{**data, "mentor": Mentor.from_json(data["mentor"]),
                       "away_until": parse_iso(away) if away else None})


class SweepActor:
    """Hands decisions to the gateway: the only part of the sweep that writes."""

    def __init__(self, gateway: Gateway, store: StateStore, rules: SweepRules, mentor_list: MentorList,
                 facts: dict[int, MentorFacts], now: datetime) -> None:
        self.gateway = gateway
        self.store = store
        self.rules = rules
        self.mentor_list = mentor_list
        self.facts = facts
        self.now = now
        self.wiki = gateway.config.wiki_key
        rights = set(gateway.site.userinfo.get("rights", []))
        capabilities = gateway.capabilities()
        self.use_module = capabilities.has("growthmanagementorlist") and "managementors" in rights
        self.can_move = capabilities.has("growthsetmentor") and "setmentor" in rights

    def act(self, decisions: list[Decision]) -> SweepResult:
        result = SweepResult(decisions)
        resumed = self.finish_earlier_work(result)
        done = {journal_entry(d) for d in resumed}
        acting = [d for d in decisions if d.action != "none" and journal_entry(d) not in done]
        if not acting:
            if resumed:
                self.write_run_log(resumed, result)
            return result
        if not self.use_module and any(d.action in ("away", "remove") for d in acting):
            result.notes.append(
                "The bot edits MediaWiki:GrowthMentors.json directly here (no growthmanagementorlist or no "
                "'managementors' right): it can remove mentors, but cannot mark anyone away (GrowthExperiments "
                "keeps the away state in a user option, not in the page), and list=growthmentorlist may go on "
                "listing a removed mentor for up to 24 hours (GrowthExperiments' own writer clears that cache)."
            )
        self.show_list_diff(acting)
        locked = self.globally_locked([d.mentor.username for d in acting])
        leaving = {d.mentor.user_id for d in acting if d.action in ("away", "remove")}
        # Every talk page to post to, read in batches rather than one request per notice.
        talk_pages = self.gateway.read_pages([f"User talk:{d.mentor.username}" for d in acting if d.notice])
        for decision in acting:
            if decision.mentor.username in locked and decision.action != "remove":
                # GE counts a locked mentor as away and lets nobody change that; a notice would go unread.
                result.refused.append((decision.mentor.username, decision.action,
                                       "globally locked: GrowthExperiments counts the mentor as away already"))
                continue
            self.act_journaled(decision, leaving, result, talk_pages)
        self.write_run_log([*resumed, *acting], result)
        return result

    def act_journaled(self, decision: Decision, leaving: set[int], result: SweepResult,
                      talk_pages: dict[str, PageText]) -> None:
        """One decision, recorded before its first write and marked finished after its last."""
        entry = journal_entry(decision)
        if not self.gateway.config.dry_run:
            self.store.plan(self.wiki, "sweep", entry, decision_to_json(decision))
        try:
            self.act_one(decision, leaving, result, talk_pages)
        except Postponed as postponed:
            result.postponed.append((decision.mentor.username, decision.action, str(postponed)))
            return  # the plan stays open: the next run finishes it
        except ApiFailure as failure:
            if not failure.code.startswith(MENTOR_REFUSAL_PREFIX):
                raise  # the plan stays open: the next run finishes it
            # This mentor only (a lock, a block, gone from the list, ...): say so, and go on with the rest.
            result.refused.append((decision.mentor.username, decision.action, f"{failure.code}: {failure.info}"))
        if not self.gateway.config.dry_run:
            self.store.finish(self.wiki, "sweep", entry)

    def finish_earlier_work(self, result: SweepResult) -> list[Decision]:
        """Finish each decision an earlier run began and did not end (killed between its steps)."""
        resumed = []
        for _entry, plan in self.store.unfinished(self.wiki, "sweep"):
            decision = decision_from_json(plan)
            result.notes.append(f"Finished what an earlier run left half-done: {decision.action} "
                                f"{decision.mentor.username}.")
            self.act_journaled(decision, {decision.mentor.user_id}, result, {})
            resumed.append(decision)
        return resumed

    def act_one(self, decision: Decision, leaving: set[int], result: SweepResult,
                talk_pages: dict[str, PageText]) -> None:
        mentor = decision.mentor
        if decision.action == "away":
            assert decision.away_until is not None
            if not self.use_module:
                # A direct edit cannot make anyone away, and some wikis' schema refuses the key:
                # nothing is written, no notice claims it, and the stage stays due.
                result.notes.append(f"{mentor.username} was not marked away: that needs growthmanagementorlist and "
                                    "the 'managementors' right.")
                return
            # Message and weight are left out: the module keeps them as they are now, so a change a
            # human made since the list was read survives.
            self.gateway.post("growthmanagementorlist", geaction="change", username=mentor.username, isaway=1,
                              awaytimestamp=iso(decision.away_until), summary=self.summary("marked away", decision))
        elif decision.action == "remove":
            mentees = mentees_of(self.gateway, mentor)
            if mentees and self.rules.move_mentees and self.can_move and not self.mentor_list.away_known:
                # Removed now, its mentees would stay with a mentor no longer on the list.
                raise Postponed(f"Special:ManageMentors could not be read, so its {counted(len(mentees), 'mentee')} "
                                "could not be given a mentor known not to be away")
            if self.use_module:
                try:
                    self.gateway.post("growthmanagementorlist", geaction="remove", username=mentor.username,
                                      summary=self.summary("removed", decision))
                except ApiFailure as failure:
                    # After a lost answer the retry finds the mentor gone: done, if the bot's own save did it.
                    if failure.code != NOT_IN_THE_LIST or not self.removed_by_bot(mentor):
                        raise
            else:
                self.edit_list(decision)
            self.move_mentees(mentor, mentees, leaving, result)
        self.notify(decision, talk_pages.get(f"User talk:{mentor.username}"))
        if not self.gateway.config.dry_run:
            self.store.record_step(self.wiki, mentor.user_id, decision.lapse_start, decision.action)

    def removed_by_bot(self, mentor: Mentor) -> bool:
        """Whether the bot's latest save of the list no longer has this mentor (a human may have saved since)."""
        page = self.gateway.get(prop="revisions", titles=MENTOR_LIST_PAGE, rvprop="content", rvslots="main",
                                rvuser=self.gateway.username, rvlimit=1)["query"]["pages"][0]
        revisions = page.get("revisions") or []
        if not revisions:
            return False
        listed, _anomalies = parse_mentor_page(revisions[0]["slots"]["main"]["content"], MENTOR_LIST_PAGE)
        return all(m.user_id != mentor.user_id for m in listed)

    def globally_locked(self, names: list[str]) -> set[str]:
        """Which of these mentors are globally locked (CentralAuth), asked only where the wiki has it."""
        if not names or not self.gateway.capabilities().has("query+globaluserinfo"):
            return set()
        return {name for name in sorted(set(names))  # one user a request: only those about to be acted on
                if self.gateway.get(meta="globaluserinfo", guiuser=name)["query"]["globaluserinfo"].get("locked")}

    def summary(self, action: str, decision: Decision) -> str:
        return format_text(self.rules.summary, {"action": action, "reason": decision.reason,
                                                "mentor": decision.mentor.username})

    def move_mentees(self, removed: Mentor, mentees: list[Mentee], leaving: set[int],
                     result: SweepResult) -> None:
        """Move each primary mentee to another auto-assigned, non-away mentor, drawn by weight."""
        if not mentees:
            return
        if not self.rules.move_mentees:
            result.notes.append(f"{len(mentees)} mentees of {removed.username} keep them as mentor: the rules leave "
                                "moving them to an admin (move_mentees is false).")
            return
        if not self.can_move:
            result.notes.append(f"{len(mentees)} mentees of {removed.username} keep them as mentor: "
                                "the bot cannot use growthsetmentor here.")
            return
        pool = [m for m in self.mentor_list.mentors
                if m.auto_assigned and m.user_id not in leaving and m.user_id != removed.user_id
                and not m.away_at(self.now)
                and not ((f := self.facts.get(m.user_id)) and f.block and not f.block.partial)]
        if not pool:
            result.notes.append(f"No active auto-assigned mentor is left to take {removed.username}'s mentees.")
            return
        sent: dict[str, tuple[int, str]] = {}  # mentee -> (id, new mentor)
        for mentee in mentees:
            candidates = [m for m in pool if m.user_id != mentee.user_id]  # a mentor may be a mentee too
            if not candidates:
                continue
            # Seeded by mentee and day, so a dry run shows the same draw as the real run that follows.
            draw = random.Random(f"{mentee.user_id}:{self.now:%Y-%m-%d}")
            new = draw.choices(candidates, weights=[m.weight for m in candidates])[0]
            try:
                self.gateway.post("growthsetmentor", mentee=mentee.name, mentor=new.username,
                                  reason=f"Previous mentor {removed.username} was removed for inactivity")
            except ApiFailure as failure:
                if not failure.code.startswith(MENTOR_REFUSAL_PREFIX):
                    raise  # the run cannot move anyone (rights, a block): the plan stays open for the next run
                if failure.code != ALREADY_THE_MENTOR:  # opted out meanwhile: nothing to move
                    result.notes.append(f"{mentee.name} was not moved: {failure.info}")
                    continue
                # else the answer to an earlier try was lost: the move is done
            sent[mentee.name] = (mentee.user_id, new.username)
        # Say only what the wiki shows: each mentor as {{#mentor:}} gives it now.
        shown = current_mentors(self.gateway, list(sent)) if sent and not self.gateway.config.dry_run else {}
        for name, (mentee_id, new_mentor) in sent.items():
            if not self.gateway.config.dry_run and shown.get(name) != new_mentor:
                result.notes.append(f"{name} was not moved: the wiki still shows {shown.get(name) or 'no mentor'}.")
                continue
            result.moved.append((name, removed.username, new_mentor))
            if not self.gateway.config.dry_run:  # researchers exclude these: the bot, not GE, chose the mentor
                self.store.record_move(self.wiki, mentee_id, name, removed.username, new_mentor,
                                       "mentor removed for inactivity")

    def edit_list(self, decision: Decision) -> None:
        """The removal made by editing the JSON page (the fallback when the module cannot be used)."""
        self.gateway.edit_json_page(MENTOR_LIST_PAGE, lambda document: apply_to_list(document, decision),
                                    self.summary("removed", decision))

    def notify(self, decision: Decision, page: PageText | None = None) -> None:
        if decision.notice is None:
            return
        message = self.rules.messages[decision.notice]
        removal = ""
        if self.rules.remove_after_days and decision.lapse_start:
            lapse = parse_iso(decision.lapse_start)
            removal = f"{lapse + self.rules.remove_after_days * DAY:%Y-%m-%d}"
        fields = {
            "mentor": decision.mentor.username, "days": decision.days, "reason": decision.reason,
            "measure": decision.rule, "rules_page": self.rules.page, "next_stage": decision.next_stage,
            "away_until": f"{decision.away_until:%Y-%m-%d}" if decision.away_until else "",
            "removal_date": removal,
        }
        marker = notice_marker("sweep", decision.action, decision.mentor.user_id, decision.lapse_start)
        self.gateway.add_section(
            f"User talk:{decision.mentor.username}", format_text(message.heading, fields),
            format_text(message.text, fields) + "\n" + marker,
            self.summary(f"notice: {decision.notice}", decision), notice_type="mentorship", marker=marker,
            page=page,
        )

    def show_list_diff(self, acting: list[Decision]) -> None:
        """In a dry run, the whole mentor list as it would be after the removals."""
        if not self.gateway.config.dry_run or not any(d.action == "remove" for d in acting):
            return
        page = self.gateway.read_page(MENTOR_LIST_PAGE)
        if not page.exists:
            return
        document = json.loads(page.text)
        for decision in acting:
            document = apply_to_list(document, decision) or document
        self.gateway.echo("Mentor list after this sweep:")
        self.gateway.show_diff(page, json.dumps(document, ensure_ascii=False, indent="\t"))

    def write_run_log(self, acting: list[Decision], result: SweepResult) -> None:
        if not self.rules.run_log_page:
            return
        refused = {(mentor, action): f"refused by the wiki: {reason}" for mentor, action, reason in result.refused}
        refused |= {(mentor, action): f"postponed to the next run: {reason}"
                    for mentor, action, reason in result.postponed}

        def outcome(decision: Decision) -> str:
            reason = refused.get((decision.mentor.username, decision.action))
            return decision.action if reason is None else f"{decision.action}, {reason}"

        rows = "\n".join(f"|-\n| [[User:{d.mentor.username}|{d.mentor.username}]] || "
                         f"{outcome(d).replace('|', '{{!}}')} || {d.rule} || {d.explanation.replace('|', '{{!}}')}"
                         for d in acting)
        table = ('{| class="wikitable sortable"\n! Mentor !! Decision !! Rule !! Reason\n' + rows + "\n|}")
        if result.moved:
            table += ("\n\nMentees moved to another mentor (GrowthExperiments notifies each, and switches on "
                      "mentorship that was switched off):\n"
                      + "\n".join(f"* [[User:{mentee}|{mentee}]]: {old} → {new}" for mentee, old, new in result.moved))
        self.gateway.add_section(self.rules.run_log_page, f"Sweep of {self.now:%Y-%m-%d %H:%M} UTC",
                                 table + "\n" + notice_marker("sweep-log", iso(self.now)),
                                 f"Mentorship upkeep: run log ({len(acting)} decisions)",
                                 marker=notice_marker("sweep-log", iso(self.now)))


PLACEHOLDER = re.compile(r"\{(\w+)\}")
# GrowthExperiments' refusals that concern one mentor (locked or blocked, not on the list, ...), not the run.
MENTOR_REFUSAL_PREFIX = "growthexperiments-"


def format_text(template: str, fields: dict[str, Any]) -> str:
    """Fill the known {placeholders}; anything else (templates, tables, unknown names) stays as written."""
    return PLACEHOLDER.sub(lambda match: str(fields[match[1]]) if match[1] in fields else match[0], template)


def apply_to_list(document: Any, decision: Decision) -> Any:
    """The JSON page with one removal applied (the fallback when the module cannot be used); else None."""
    if not isinstance(document, dict) or str(decision.mentor.user_id) not in document.get("Mentors", {}):
        return None
    if decision.action != "remove":  # GE keeps the away state in a user option, not in the page
        return None
    mentors = dict(document["Mentors"])
    del mentors[str(decision.mentor.user_id)]
    return {**document, "Mentors": mentors}


# --- the whole run -------------------------------------------------------------------------


def namespace_groups(gateway: Gateway, rules: SweepRules | None) -> dict[str, tuple[int, ...]]:
    namespaces = gateway.get(meta="siteinfo", siprop="namespaces")["query"]["namespaces"].values()
    defaults = {
        "content": tuple(int(ns["id"]) for ns in namespaces if ns.get("content")),
        "talk": tuple(int(ns["id"]) for ns in namespaces if int(ns["id"]) > 0 and int(ns["id"]) % 2 == 1),
        "all": (ALL_NAMESPACES,),
    }
    return {**defaults, **(rules.namespace_groups if rules else {})}


def gather_facts(gateway: Gateway, rules: SweepRules, mentors: list[Mentor], now: datetime) -> dict[int, MentorFacts]:
    """Fetch only what the rules need, for the mentors they can touch."""
    reader = ActivityReader(gateway, now)
    # Everyone's block state (the reassignment pool needs it); activity only for those the rules can touch.
    facts = reader.users([m.user_id for m in mentors])
    touchable = [facts[m.user_id] for m in mentors if m.user_id in facts and not rules.leaves_alone(m)]
    kinds = {m.kind for m in rules.measures}
    if kinds & {"last-edit", "last-action"}:
        reader.last_edits(touchable, rules.first_stage_days)
    if "last-action" in kinds:
        # Only those whose last edit does not already show them active need their log read.
        cutoff = now - rules.first_stage_days * DAY
        reader.last_logged_actions([f for f in touchable if not f.last_edit or f.last_edit < cutoff])
    for measure in rules.measures:
        if measure.kind == "edits-in-window":
            reader.edit_counts(touchable, measure.key, measure.window_days, namespace_groups(gateway, rules),
                               dict(measure.min_edits))
        elif measure.kind == "answered-questions":
            reader.questions(touchable, measure.window_days)
    return facts


def count_rule_lapses(mentors: list[Mentor], facts: dict[int, MentorFacts], rules: SweepRules,
                      first_failed: dict[tuple[int, str], float], now: datetime,
                      ) -> tuple[dict[tuple[int, str], float], set[tuple[int, str]]]:
    """Count rules failing now (with when each lapse began) and passing now, per (user id, measure key)."""
    failing, passing = {}, set()
    for mentor in mentors:
        fact = facts.get(mentor.user_id)
        if fact is None or rules.leaves_alone(mentor):
            continue
        for measure in rules.measures:
            if not measure.is_count_rule:
                continue
            key = (fact.user_id, measure.key)
            if count_rule_fails(fact, measure, now)[0]:
                failing[key] = first_failed.get(key, now.timestamp())
            else:
                passing.add(key)
    return failing, passing


def run_sweep(gateway: Gateway, store: StateStore, rules: SweepRules, mentor_list: MentorList,
              settings: CommunitySettings, *, force: bool = False, now: datetime | None = None,
              on_decisions: Callable[[list[Decision]], None] | None = None) -> SweepResult:
    now = now or datetime.now(UTC)
    mentors = list(mentor_list.mentors)
    wiki = gateway.config.wiki_key
    facts = gather_facts(gateway, rules, mentors, now)
    first_failed = store.lapse_starts(wiki)
    failing, passing = count_rule_lapses(mentors, facts, rules, first_failed, now)
    if not gateway.config.dry_run:
        store.save_lapses(wiki, failing, passing)
    decisions = decide(mentors, facts, rules, settings, now, {**first_failed, **failing}, store.sweep_steps(wiki))
    if on_decisions:
        on_decisions(decisions)
    drastic = [d for d in decisions if d.action in ("away", "remove")]
    if mentors and len(drastic) / len(mentors) > rules.max_action_share and not force:
        raise CircuitBreakerTripped(
            f"Stopped before acting: {len(drastic)} of {len(mentors)} mentors ({len(drastic) / len(mentors):.0%}) "
            f"would be marked away or removed, more than the {rules.max_action_share:.0%} the rules allow. "
            "Check the rules and the list; run again with --force if this is right."
        )
    notes = mentor_list.notes()
    if settings.ge_marks_away and rules.away_after_days:
        notes.append("The away stage is refused: GrowthExperiments marks inactive mentors away itself on this wiki.")
    if settings.ge_removes and rules.remove_after_days:
        notes.append("The removal stage is refused: GrowthExperiments removes inactive mentors itself on this wiki.")
    result = SweepActor(gateway, store, rules, mentor_list, facts, now).act(decisions)
    result.notes[:0] = notes
    return result
