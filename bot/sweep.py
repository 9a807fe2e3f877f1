"""``mentorbot sweep``: warn, mark away or remove inactive mentors by the wiki's own rules.

Decide, then act. ``measure`` turns facts into days of inactivity, ``decide`` turns those into
plain ``Decision`` records (who, what, why, under which rule) without touching the wiki, and
``SweepActor`` hands the decisions to the gateway. The dry run, the run log, the command's
output and the tests all read the same decisions.
"""

from __future__ import annotations

import json
import random
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
from bot.messages import Items, Text
from bot.rules import MAX_AWAY_DAYS, Measure, SweepRules, group_name
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
    reason: Text


STAGES = ("warn", "away", "remove")


@dataclass(frozen=True)
class Decision:
    mentor: Mentor
    action: str  # warn, away, remove, or none (nothing to do, with the reason why)
    reason: Text
    rule: Text | None = None  # the measure that failed
    days: int = 0
    lapse_start: str = ""
    away_until: datetime | None = None
    notice: str | None = None  # which notice: warn, away, away_capped, removed
    next_stage: str = ""  # away or remove: the step the notice announces, on next_date at the earliest
    next_date: datetime | None = None
    detail: str = ""  # for operators and the command line, in English; never posted
    warned: bool = False  # a warning for this lapse was given (under any measure still failing)

    @property
    def explanation(self) -> str:
        return f"{self.reason}; {self.detail}" if self.detail else str(self.reason)

    def line(self) -> str:
        what = self.action if self.action != "none" else "-"
        until = f" until {self.away_until:%Y-%m-%d}" if self.away_until else ""
        after = f"; next: {STAGE_WORDS[self.next_stage]} on {self.next_date:%Y-%m-%d}" if self.next_date else ""
        return f"{what:<6} {self.mentor.username}{until}: {self.explanation}{after}"


def days_between(earlier: datetime, later: datetime) -> int:
    return int((later - earlier) / DAY)


LAST_KEYS = {  # (measure, counted from registration) -> the reason's message
    ("last-edit", False): "mentorbot-reason-no-edit",
    ("last-edit", True): "mentorbot-reason-no-edit-since-registering",
    ("last-action", False): "mentorbot-reason-no-action",
    ("last-action", True): "mentorbot-reason-no-action-since-registering",
}


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
        days = days_between(latest, now)
        registering = latest == facts.registration and facts.last_edit is None
        key = LAST_KEYS[measure.kind, registering]
        return Inactivity(days, latest, measure, Text(key, latest, days))
    failing, reason = count_rule_fails(facts, measure, now)
    if not failing:
        return None
    first = first_failed.get((facts.user_id, measure.key))
    since = datetime.fromtimestamp(first, UTC) if first is not None else now
    return Inactivity(days_between(since, now), since, measure,
                      Text("mentorbot-reason-failing-since", reason, since))


def count_rule_fails(facts: MentorFacts, measure: Measure, now: datetime) -> tuple[bool, Text]:
    if measure.kind == "edits-in-window":
        counts = facts.edit_counts.get(measure.key, {})
        short = tuple(Text("mentorbot-reason-edits-short", counts.get(group, 0), group_name(group), n)
                      for group, n in measure.min_edits if counts.get(group, 0) < n)
        return bool(short), Text("mentorbot-reason-few-edits", Items(short), measure.window_days)
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
        return False, Text("mentorbot-reason-active")
    share = answered / due
    return share < measure.min_share, Text("mentorbot-reason-questions", answered, due, measure.answer_within_days,
                                           f"{share:.0%}", f"{measure.min_share:.0%}")


def inactivity(facts: MentorFacts, rules: SweepRules, now: datetime,
               first_failed: dict[tuple[int, str], float]) -> list[Inactivity]:
    """Every measure the mentor fails, longest first; empty while they pass them all."""
    failing = [i for m in rules.measures if (i := measure_inactivity(facts, m, now, first_failed))]
    return sorted(failing, key=lambda i: i.days, reverse=True)


def lapse_key(lapse: Inactivity) -> str:
    return iso(lapse.since)


Steps = dict[tuple[int, str, str], datetime]  # (user id, lapse start, stage) -> when its notice was given


def decide(mentors: list[Mentor], facts: dict[int, MentorFacts], rules: SweepRules,
           settings: CommunitySettings, now: datetime, first_failed: dict[tuple[int, str], float],
           done: Steps) -> list[Decision]:
    """One decision per mentor: pure, no wiki needed."""
    decisions = []
    for mentor in mentors:
        fact = facts.get(mentor.user_id)
        alone = rules.leaves_alone(mentor)
        if alone:
            decisions.append(Decision(mentor, "none", alone))
            continue
        if fact is None:
            decisions.append(Decision(mentor, "none", Text("mentorbot-reason-no-account")))
            continue
        lapses = inactivity(fact, rules, now, first_failed)
        if not lapses or lapses[0].days < rules.first_stage_days:
            decisions.append(Decision(mentor, "none", lapses[0].reason if lapses else Text("mentorbot-reason-active"),
                                      days=lapses[0].days if lapses else 0))
            continue
        # A stage done under any measure still failing counts: another measure taking the lead is no new lapse.
        steps = {stage: at for (user, lapse, stage), at in done.items()
                 if user == mentor.user_id and lapse in {lapse_key(item) for item in lapses}}
        decisions.append(decide_one(mentor, fact, lapses[0], rules, settings, now, steps))
    return decisions


def decide_one(mentor: Mentor, fact: MentorFacts, lapse: Inactivity, rules: SweepRules,
               settings: CommunitySettings, now: datetime, steps: dict[str, datetime]) -> Decision:
    """The next stage of this lapse, when it is due and the last notice is old enough; stages are never skipped.

    The stages are the rules' own (warn, away, remove) less those GrowthExperiments does itself here
    and those that cannot apply to this mentor (a blocked mentor is not removed; a sitewide-blocked
    or locked one counts as away already). A refused removal is at most an away.
    """
    base = Decision(mentor, "none", lapse.reason, rule=lapse.measure.describe(), days=lapse.days,
                    lapse_start=lapse_key(lapse), warned="warn" in steps)
    refused = []
    blocked = fact.block
    can_remove = bool(rules.remove_after_days)
    if can_remove and settings.ge_removes:
        refused.append("removal refused: GrowthExperiments removes inactive mentors itself here "
                       "(GEMentorshipShouldBeAutoremoved)")
    elif can_remove and blocked and not blocked.indefinite:
        refused.append("temporarily blocked: never removed")
    elif can_remove and blocked and blocked.indefinite and not rules.remove_indefinitely_blocked:
        refused.append("indefinitely blocked, and the rules do not remove blocked mentors")
    can_remove = can_remove and not refused
    away_days = rules.away_after_days or (rules.remove_after_days if refused else None)
    counts_as_away = bool((blocked and not blocked.partial) or mentor.away_blocked)
    if away_days and settings.ge_marks_away:
        refused.append("away refused: GrowthExperiments marks inactive mentors away itself here "
                       "(GEMentorshipShouldBeAutoawayed)")
    if counts_as_away and not can_remove:
        # GrowthExperiments already treats a sitewide-blocked or locked mentor as away, and refuses to change it.
        return replace(base, detail=details(*refused, "counts as away while blocked or locked"))
    period = rules.notice_days * DAY
    removal_point = lapse.since + rules.remove_after_days * DAY if rules.remove_after_days else None
    # An away mark lasts until the removal it announces: the removal point, a notice period from now at the soonest.
    away_until = (max(removal_point, now + period) if can_remove and removal_point
                  else now + rules.away_days_without_removal * DAY)
    away_until = min(away_until, now + MAX_AWAY_DAYS * DAY).replace(microsecond=0)
    self_away = mentor.away_until if mentor.away_until and mentor.away_until > now else None
    # Away by their own date already (not past the removal this mark would announce): no mark needed.
    away_already = bool(self_away and (not can_remove or self_away <= away_until))
    plan = [(stage, days) for stage, days, applies in (
        ("warn", rules.warn_after_days, True),
        ("away", away_days, not settings.ge_marks_away and not counts_as_away and not away_already),
        ("remove", rules.remove_after_days, can_remove)) if days and applies]
    # Without a removal, an away mark that ran out is given again while the lapse goes on.
    pending = [(stage, days) for stage, days in plan
               if stage not in steps or (stage == "away" and not can_remove and not self_away)]
    last_notice = max(steps.values(), default=None)
    earliest = now if last_notice is None else max(now, last_notice + period)

    def announce(decision: Decision) -> Decision:
        """Name the stage after this one and its date: its own day, a full notice period from now at the soonest."""
        if len(pending) < 2:
            return decision
        stage, days = pending[1]
        when = decision.away_until if stage == "remove" and decision.away_until else max(
            lapse.since + days * DAY, now + period)
        return replace(decision, next_stage=stage, next_date=when.replace(microsecond=0))

    done = details("already warned" if "warn" in steps else "",
                   "counts as away while blocked or locked" if counts_as_away else "")
    if self_away and away_already and "away" not in steps:
        done = details(done, f"already away until {self_away:%Y-%m-%d}")
    if not pending:
        return replace(base, detail=details(*refused, done))
    stage, days = pending[0]
    if lapse.days < days or earliest > now:  # waiting: the dashboard shows when the next stage comes
        waiting = replace(base, next_stage=stage, next_date=max(lapse.since + days * DAY, earliest).replace(
            microsecond=0))
        if lapse.days < days:
            return replace(waiting, detail=details(*refused, done))
        assert last_notice is not None
        return replace(waiting, detail=details(*refused, done, f"{STAGE_WORDS[stage]} not before "
                                                               f"{earliest:%Y-%m-%d}, a notice period after "
                                                               f"{last_notice:%Y-%m-%d}"))
    if stage == "warn":
        return announce(replace(base, action="warn", notice="warn", detail=details(*refused)))
    if stage == "away":
        capped = self_away is not None and self_away > away_until
        brought = f"self-set away date {self_away:%Y-%m-%d} brought forward" if capped and self_away else ""
        return announce(replace(base, action="away", away_until=away_until,
                                notice="away_capped" if capped else "away", detail=details(brought, *refused)))
    return replace(base, action="remove", notice="removed", detail=details(*refused))


STAGE_WORDS = {"warn": "warning", "away": "away mark", "remove": "removal"}


def details(*parts: str) -> str:
    """A decision's details for operators, in one line."""
    return "; ".join(part for part in parts if part)


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
    return {**data, "mentor": decision.mentor.to_json(), "reason": decision.reason.to_json(),
            "rule": decision.rule.to_json() if decision.rule else None,
            "away_until": iso(decision.away_until) if decision.away_until else None,
            "next_date": iso(decision.next_date) if decision.next_date else None}


def decision_from_json(data: dict[str, Any]) -> Decision:
    """A journaled decision; one journaled by an older version (English reason, no dates to come) reads too."""
    away, after = data.get("away_until"), data.get("next_date")
    rule = data.get("rule")
    return Decision(**{**data, "mentor": Mentor.from_json(data["mentor"]), "reason": Text.from_json(data["reason"]),
                       "rule": Text.from_json(rule) if rule else None, "away_until": parse_iso(away) if away else None,
                       "next_date": parse_iso(after) if after else None,
                       "next_stage": data.get("next_stage", "") if after else ""})


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
        self.messages = gateway.messages(rules.messages)
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
                result.refused.append((decision.mentor.username, decision.action, LOCKED))
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
        moved: list[tuple[str, str]] = []  # (mentee, new mentor): a removal's verified moves
        kept = 0  # a removal's mentees left with the removed mentor
        if decision.action == "away":
            assert decision.away_until is not None
            if not self.use_module:
                # A direct edit cannot make anyone away, and some wikis' schema refuses the key:
                # nothing is written, no notice or run log claims it, and the stage stays due.
                result.refused.append((mentor.username, decision.action, CANNOT_MARK_AWAY))
                return
            # Message and weight are left out: the module keeps them as they are now, so a change a
            # human made since the list was read survives.
            self.gateway.post("growthmanagementorlist", geaction="change", username=mentor.username, isaway=1,
                              awaytimestamp=iso(decision.away_until),
                              summary=self.messages("mentorbot-summary-away", mentor.username, decision.away_until))
        elif decision.action == "remove":
            mentees = mentees_of(self.gateway, mentor)
            if mentees and self.rules.move_mentees and self.can_move and not self.mentor_list.away_known:
                # Removed now, its mentees would stay with a mentor no longer on the list.
                raise Postponed(f"Special:ManageMentors could not be read, so its {counted(len(mentees), 'mentee')} "
                                "could not be given a mentor known not to be away")
            if self.use_module:
                try:
                    self.gateway.post("growthmanagementorlist", geaction="remove", username=mentor.username,
                                      summary=self.messages("mentorbot-summary-remove", mentor.username))
                except ApiFailure as failure:
                    # After a lost answer the retry finds the mentor gone: done, if the bot's own save did it.
                    if failure.code != NOT_IN_THE_LIST or not self.removed_by_bot(mentor):
                        raise
            else:
                self.edit_list(decision)
            self.move_mentees(mentor, mentees, leaving, result)
            moved = self.moves_of(decision, result)
            kept = max(0, len(mentees) - len(moved))
        self.notify(decision, talk_pages.get(f"User talk:{mentor.username}"), moved, kept)
        self.tell_receivers(decision, moved)
        if not self.gateway.config.dry_run:
            self.store.record_step(self.wiki, mentor.user_id, decision.lapse_start, decision.action, self.now)

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
                                  reason=self.messages("mentorbot-setmentor-reason", removed.username))
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
                self.store.record_move(self.wiki, mentee_id, name, removed.username, new_mentor, MOVE_REASON)

    def moves_of(self, decision: Decision, result: SweepResult) -> list[tuple[str, str]]:
        """(mentee, new mentor) for each move of this removal the wiki confirmed, this run's or a crashed run's."""
        name = decision.mentor.username
        if self.gateway.config.dry_run:
            return [(mentee, new) for mentee, old, new in result.moved if old == name]
        since = parse_iso(decision.lapse_start).timestamp() if decision.lapse_start else 0
        return [(mentee, new) for _id, mentee, old, new, at, why in self.store.moves(self.wiki)
                if old == name and why == MOVE_REASON and at >= since]

    def edit_list(self, decision: Decision) -> None:
        """The removal made by editing the JSON page (the fallback when the module cannot be used)."""
        self.gateway.edit_json_page(MENTOR_LIST_PAGE, lambda document: apply_to_list(document, decision),
                                    self.messages("mentorbot-summary-remove", decision.mentor.username))

    def notice_text(self, decision: Decision, moved: list[tuple[str, str]], kept: int) -> tuple[Text, Text]:
        """The heading and text of a mentor's notice, from what was decided and, for a removal, what was done."""
        mentor, rules = decision.mentor.username, self.rules.explained_at
        if decision.notice == "warn":
            key = {"away": "mentorbot-notice-warn-away", "remove": "mentorbot-notice-warn-remove"}.get(
                decision.next_stage, "mentorbot-notice-warn-reminder")
            text = Text(key, mentor, rules, decision.rule or "", decision.days, decision.reason,
                        decision.next_date or "")
            return Text("mentorbot-notice-warn-heading"), text
        if decision.notice == "away":
            key = "mentorbot-notice-away-remove" if decision.next_stage == "remove" else "mentorbot-notice-away-only"
            return (Text("mentorbot-notice-away-heading"),
                    Text(key, mentor, decision.reason, decision.away_until or "", rules))
        if decision.notice == "away_capped":
            return (Text("mentorbot-notice-away-capped-heading"),
                    Text("mentorbot-notice-away-capped", mentor, decision.mentor.away_until or "", decision.reason,
                         rules, decision.away_until or ""))
        if moved:
            mentees = Text("mentorbot-notice-removed-moved", len(moved),
                           Items(tuple(Text("mentorbot-notice-moved-item", mentee, new) for mentee, new in moved)))
        else:
            mentees = Text("mentorbot-notice-removed-kept", kept) if kept else Text("mentorbot-notice-removed-none")
        return (Text("mentorbot-notice-removed-heading"),
                Text("mentorbot-notice-removed", mentor, decision.reason, rules, mentees))

    def notify(self, decision: Decision, page: PageText | None, moved: list[tuple[str, str]], kept: int) -> None:
        if decision.notice is None:
            return
        heading, text = self.notice_text(decision, moved, kept)
        marker = notice_marker("sweep", decision.action, decision.mentor.user_id, decision.lapse_start)
        self.gateway.add_section(
            f"User talk:{decision.mentor.username}", self.messages.wikitext(heading),
            self.messages.wikitext(text) + "\n" + marker,
            self.messages(f"mentorbot-summary-notice-{decision.notice.replace('_', '-')}", decision.mentor.username),
            notice_type="mentorship", marker=marker, page=page,
        )

    def tell_receivers(self, decision: Decision, moved: list[tuple[str, str]]) -> None:
        """One short notice to each mentor who received mentees of the removed one."""
        received: dict[str, list[str]] = {}
        for mentee, new in moved:
            received.setdefault(new, []).append(mentee)
        for receiver, mentees in sorted(received.items()):
            marker = notice_marker("sweep-received", decision.mentor.user_id, decision.lapse_start, receiver)
            text = Text("mentorbot-notice-received", receiver, len(mentees), decision.mentor.username,
                        Items(tuple(Text("mentorbot-user-link", mentee) for mentee in mentees)))
            self.gateway.add_section(
                f"User talk:{receiver}", self.messages("mentorbot-notice-received-heading"),
                self.messages.wikitext(text) + "\n" + marker,
                self.messages("mentorbot-summary-notice-received", len(mentees)),
                notice_type="mentorship", marker=marker)

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
        """One section per run that acted: counts, then a row per decision with its outcome and next step."""
        if not self.rules.run_log_page:
            return
        messages = self.messages
        refused = {(mentor, action): Text(OWN_REASONS[why]) if why in OWN_REASONS
                   else Text("mentorbot-runlog-refused", why.partition(":")[0])
                   for mentor, action, why in result.refused}
        refused |= {(mentor, action): Text("mentorbot-runlog-postponed") for mentor, action, _ in result.postponed}

        def outcome(decision: Decision) -> str:
            done = refused.get((decision.mentor.username, decision.action))
            if done is not None:
                return messages.wikitext(done)
            if decision.action == "away":
                return messages("mentorbot-runlog-away", decision.away_until or "")
            return messages(f"mentorbot-runlog-{decision.action}")

        def next_step(decision: Decision) -> str:
            if not decision.next_stage or (decision.mentor.username, decision.action) in refused:
                return ""
            return messages(f"mentorbot-runlog-next-{decision.next_stage}", decision.next_date or "")

        columns = ("mentor", "decision", "reason", "next")
        header = " !! ".join(messages(f"mentorbot-runlog-column-{column}") for column in columns)
        rows = "\n".join("|-\n| " + " || ".join((
            messages("mentorbot-user-link", d.mentor.username), outcome(d), messages.wikitext(d.reason),
            next_step(d))) for d in acting)
        done = [d for d in acting if (d.mentor.username, d.action) not in refused]
        counts = messages("mentorbot-runlog-counts", *(sum(1 for d in done if d.action == action)
                                                        for action in STAGES), len(result.moved))
        parts = [counts, '{| class="wikitable sortable"\n! ' + header + "\n" + rows + "\n|}"]
        if result.moved:
            parts.append(messages("mentorbot-runlog-moved") + "\n" + "\n".join(
                "* " + messages("mentorbot-runlog-moved-item", mentee, old, new)
                for mentee, old, new in result.moved))
        marker = notice_marker("sweep-log", iso(self.now))
        heading = messages("mentorbot-runlog-heading", f"{self.now:%Y-%m-%d %H:%M:%S}")
        self.gateway.add_section(self.rules.run_log_page, heading, "\n\n".join(parts) + "\n" + marker,
                                 messages("mentorbot-summary-runlog", len(acting)), marker=marker)


LOCKED = "globally locked: GrowthExperiments counts the mentor as away already"
CANNOT_MARK_AWAY = "not marked away: that needs growthmanagementorlist and the 'managementors' right"
OWN_REASONS = {LOCKED: "mentorbot-runlog-locked", CANNOT_MARK_AWAY: "mentorbot-runlog-cannot-mark-away"}  # not GE's
MOVE_REASON = "mentor removed for inactivity"  # as the state store records it, for researchers
# GrowthExperiments' refusals that concern one mentor (locked or blocked, not on the list, ...), not the run.
MENTOR_REFUSAL_PREFIX = "growthexperiments-"


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
    notes = [str(note) for note in mentor_list.notes()]
    if settings.ge_marks_away and rules.away_after_days:
        notes.append("The away stage is refused: GrowthExperiments marks inactive mentors away itself on this wiki.")
    if settings.ge_removes and rules.remove_after_days:
        notes.append("The removal stage is refused: GrowthExperiments removes inactive mentors itself on this wiki.")
    result = SweepActor(gateway, store, rules, mentor_list, facts, now).act(decisions)
    result.notes[:0] = notes
    return result
