"""mentorbot sweep against the real test wiki: every rule type, stage and guard."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.community import read_community_settings
from bot.errors import MalformedDocument
from bot.mentors import read_mentor_list
from bot.rules import parse_rules
from bot.sweep import CircuitBreakerTripped, SweepResult, run_sweep
from scripts.devwiki import backdate
from tests.conftest import FLAVOURS, BotRun, DevWiki, StateBackend, both_stores, content_digest
from tests.wikiclient import WikiClient

# The workflow runs on the stand-in and on GrowthExperiments itself.
WIKI_FLAVOURS = FLAVOURS

RULES_PAGE = "MediaWiki:Mentorbot-sweep-rules.json"
PASSWORD = "mentor-password-123"
LAST_EDIT = {"activity": {"measure": "last-edit"}, "warn_after_days": 10, "away_after_days": 14,
             "remove_after_days": 60, "max_action_share": 1}


@dataclass
class Sweep:
    result: SweepResult
    run: BotRun

    def actions(self) -> dict[str, str]:
        return {d.mentor.username: d.action for d in self.result.decisions}

    def decision(self, name: str) -> Any:
        return next(d for d in self.result.decisions if d.mentor.username == name)


@pytest.fixture
def admin(wiki: DevWiki) -> WikiClient:
    return wiki.admin()


def add_mentor(wiki: DevWiki, admin: WikiClient, name: str, *, weight: int = 2, edits: int = 1,
               inactive_days: float = 0, message: str | None = None, **params: Any) -> int:
    """A mentor on the list whose edits all lie ``inactive_days`` in the past."""
    user_id = wiki.anonymous().create_account(name, PASSWORD)
    client = WikiClient(wiki.api).login(name, PASSWORD)
    for number in range(edits):
        client.edit(f"Sandbox/{name}/{number}", f"Edit {number}.")
    extra = {"message": message} if message else {}
    admin.post("growthmanagementorlist", geaction="add", username=name, weight=weight, **extra, **params)
    if inactive_days:
        backdate(wiki, name, inactive_days)
    return user_id


@pytest.fixture
def sweep(wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun],
          state_backend: StateBackend) -> Callable[..., Sweep]:
    def run(rules: dict[str, Any], *, force: bool = False, bot: BotRun | None = None, days_later: float = 0,
            **config: Any) -> Sweep:
        """A sweep now, or as if run ``days_later`` days from now (notice periods are counted in days)."""
        if admin.page_text(RULES_PAGE) != json.dumps(rules):
            admin.edit(RULES_PAGE, json.dumps(rules))
        bot = bot or make_bot(**config)
        gateway = bot.gateway
        store = state_backend.open()
        parsed = parse_rules(gateway.read_page(RULES_PAGE).text, f"[[{RULES_PAGE}]]")
        result = run_sweep(gateway, store, parsed, read_mentor_list(gateway),
                           read_community_settings(gateway), force=force,
                           now=datetime.now(UTC) + timedelta(days=days_later))
        return Sweep(result, bot)

    return run


def mentor_list(wiki: DevWiki) -> dict[str, dict[str, Any]]:
    listed = wiki.anonymous().get(list="growthmentorlist")["growthmentorlist"]
    return {} if listed == [] else {entry["username"]: entry for entry in listed.values()}


def served_within(wiki: DevWiki, name: str, served: bool, seconds: float = 5) -> bool:
    """Whether list=growthmentorlist comes to serve (or not serve) ``name`` within ``seconds``, and stays so.

    REL1_43 reads the page through a cache that lags a change by up to a second.
    """
    deadline = time.monotonic() + seconds
    while (name in mentor_list(wiki)) != served:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    time.sleep(1.5)
    return (name in mentor_list(wiki)) == served


def talk(admin: WikiClient, name: str) -> str:
    return admin.page_text(f"User talk:{name}") or ""


# --- last edit: warn, then away, then removal ------------------------------------------------

@both_stores
def test_warn_comes_before_away_and_removal(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Active mentor", inactive_days=2)
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70)
    first = sweep(LAST_EDIT)
    assert first.actions() == {"Active mentor": "none", "Lapsing mentor": "warn", "Gone mentor": "warn"}
    in_a_week = f"{datetime.now(UTC) + timedelta(days=7):%Y-%m-%d}"
    # The warning names the next step and its date: the notice period (7 days) from now.
    assert "Your mentorship activity" in talk(admin, "Lapsing mentor")
    assert f"you will be marked away as a mentor (no new mentees for a while) on {in_a_week}" in talk(
        admin, "Lapsing mentor")
    assert f"marked away as a mentor (no new mentees for a while) on {in_a_week}" in talk(admin, "Gone mentor")
    assert set(mentor_list(wiki)) == {"Active mentor", "Lapsing mentor", "Gone mentor"}  # nothing else yet

    # Eight days later: the away stage for both. Far past the removal point, Gone mentor is not removed
    # at once: stages are never skipped, each comes a notice period after the one before.
    second = sweep(LAST_EDIT, days_later=8)
    assert second.actions() | {"Active mentor": "-"} == {"Active mentor": "-", "Lapsing mentor": "away",
                                                          "Gone mentor": "away"}
    assert set(mentor_list(wiki)) == {"Active mentor", "Lapsing mentor", "Gone mentor"}
    # Away until the removal point: 60 days after the last edit, that is 40 days from now.
    away_until = wiki.away_until("Lapsing mentor")
    assert away_until and abs((away_until - datetime.now(UTC)) - timedelta(days=40)) < timedelta(hours=25)
    assert "You are marked away as a mentor" in talk(admin, "Lapsing mentor")
    # Gone mentor's removal: a notice period after the away mark, and the away mark lasts until then.
    removal = wiki.away_until("Gone mentor")
    assert removal and f"{removal:%Y-%m-%d}" == f"{datetime.now(UTC) + timedelta(days=15):%Y-%m-%d}"
    assert "you will be removed from the mentor list then" in talk(admin, "Gone mentor")
    assert f"marked away as a mentor until {removal:%Y-%m-%d}" in talk(admin, "Gone mentor")

    third = sweep(LAST_EDIT, days_later=16)
    assert (third.actions()["Lapsing mentor"], third.actions()["Gone mentor"]) == ("none", "remove")
    assert set(mentor_list(wiki)) == {"Active mentor", "Lapsing mentor"}
    assert "You were removed from the mentor list" in talk(admin, "Gone mentor")


@both_stores
def test_a_second_sweep_right_after_a_warning_changes_nothing(wiki: DevWiki, admin: WikiClient,
                                                              sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Active mentor")
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70)
    assert sweep(LAST_EDIT).actions()["Gone mentor"] == "warn"
    before = content_digest(wiki)
    for days_later in (0, 6.5):  # the same day, and just inside the notice period
        again = sweep(LAST_EDIT, days_later=days_later)
        assert set(again.actions().values()) == {"none"}
        assert again.run.counters.writes == 0 and again.run.counters.notices == 0
        assert "away mark not before" in again.decision("Gone mentor").explanation
    assert content_digest(wiki) == before


def test_a_mentor_active_again_after_a_warning_is_left_alone(wiki: DevWiki, admin: WikiClient,
                                                             sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    assert sweep(LAST_EDIT).actions() == {"Lapsing mentor": "warn"}
    WikiClient(wiki.api).login("Lapsing mentor", PASSWORD).edit("Sandbox/back", "I am back.")
    again = sweep(LAST_EDIT)
    assert again.actions() == {"Lapsing mentor": "none"}
    assert again.run.counters.writes == 0
    assert talk(admin, "Lapsing mentor").count("Your mentorship activity") == 1


def test_the_isaway_trap_is_avoided_message_and_weight_survive(wiki: DevWiki, admin: WikiClient,
                                                               sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Lapsing mentor", weight=4, message="Ask me about maps.", inactive_days=20)
    rules = {**LAST_EDIT, "warn_after_days": None}
    del rules["warn_after_days"]
    assert sweep(rules).actions() == {"Lapsing mentor": "away"}
    entry = mentor_list(wiki)["Lapsing mentor"]
    assert entry["weight"] == 4 and entry["message"] == "Ask me about maps."
    assert wiki.away_until("Lapsing mentor") is not None


# --- removal moves the mentees ----------------------------------------------------------------

def test_a_community_can_leave_moving_mentees_to_an_admin(wiki: DevWiki, admin: WikiClient,
                                                          sweep: Callable[..., Sweep]) -> None:
    """Each growthsetmentor notifies the mentee and may switch its mentorship on: move_mentees false avoids both."""
    add_mentor(wiki, admin, "Gone mentor", weight=4)
    wiki.anonymous().create_account("Newcomer 1", PASSWORD)
    add_mentor(wiki, admin, "Busy mentor", weight=4)
    backdate(wiki, "Gone mentor", 70)
    result = sweep({"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1,
                    "move_mentees": False})
    assert result.actions()["Gone mentor"] == "remove"
    assert result.result.moved == []
    # Newcomer 1, and Busy mentor, who signed up while Gone mentor was the only mentor.
    assert "2 mentees of Gone mentor keep them as mentor: the rules leave moving them to an admin" in "\n".join(
        result.result.notes)
    mentor = admin.get(action="expandtemplates", prop="wikitext", text="{{#mentor:Newcomer 1}}")
    assert mentor["expandtemplates"]["wikitext"] == "Gone mentor"
    assert admin.get(list="logevents", letype="growthexperiments")["query"]["logevents"] == []



def test_removal_moves_mentees_by_weight_to_active_mentors(wiki: DevWiki, admin: WikiClient,
                                                           sweep: Callable[..., Sweep],
                                                           state_backend: StateBackend) -> None:
    add_mentor(wiki, admin, "Gone mentor", weight=4)
    mentees = [f"Newcomer {n}" for n in range(6)]
    for name in mentees:  # the only auto-assigned mentor gets them all at signup
        wiki.anonymous().create_account(name, PASSWORD)
    add_mentor(wiki, admin, "Busy mentor", weight=4)
    add_mentor(wiki, admin, "Quiet mentor", weight=1)
    add_mentor(wiki, admin, "Manual mentor", weight=0)
    add_mentor(wiki, admin, "Away mentor", isaway=1,
               awaytimestamp=(datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    add_mentor(wiki, admin, "Locked mentor", weight=4)
    wiki.lock_globally("Locked mentor")  # GrowthExperiments counts a locked mentor as away
    backdate(wiki, "Gone mentor", 70)
    result = sweep({"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1,
                    "run_log_page": "Project:Mentorship/Bot log"})
    assert result.actions()["Gone mentor"] == "remove"
    moved = {mentee: new for mentee, _old, new in result.result.moved}
    assert set(mentees) <= set(moved)  # the mentors who signed up after Gone mentor were its mentees too
    for mentee in mentees:
        mentor = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
        assert mentor["expandtemplates"]["wikitext"] == moved[mentee]
        assert moved[mentee] in ("Busy mentor", "Quiet mentor")  # not weight 0, not away, not locked
    assert "Busy mentor" in moved and moved["Busy mentor"] != "Busy mentor"  # moved, but not to themselves
    logs = admin.get(list="logevents", letype="growthexperiments", lelimit=50)["query"]["logevents"]
    assert len(logs) == len(moved)
    assert all("Gone mentor" in entry["comment"] for entry in logs)
    # Recorded for researchers (GE did not choose these mentors), and told in the run log.
    recorded = state_backend.open().moves(result.run.gateway.config.wiki_key)
    assert {(name, old, new) for _id, name, old, new, _at, _why in recorded} == set(result.result.moved)
    run_log = admin.page_text("Project:Mentorship/Bot log") or ""
    assert all(f"* [[Special:Contributions/{mentee}|{mentee}]]: from [[Special:Contributions/Gone mentor|Gone mentor]] "
               f"to [[Special:Contributions/{new}|{new}]]" in run_log for mentee, new in moved.items())
    assert f"Mentees given another mentor: {len(moved)}." in run_log
    # The removed mentor is told where each mentee went; each receiving mentor gets one notice of their own.
    removed = talk(admin, "Gone mentor")
    assert all(f"[[Special:Contributions/{mentee}|{mentee}]] to [[Special:Contributions/{new}|{new}]]" in removed
               for mentee, new in moved.items())
    for receiver in set(moved.values()):
        received = talk(admin, receiver)
        assert received.count("== New mentees for you ==") == 1
        assert all(f"[[Special:Contributions/{mentee}|{mentee}]]" in received
                   for mentee, new in moved.items() if new == receiver)


def test_a_mentor_locked_while_the_sweep_decides_is_left_alone(
        wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun], state_backend: StateBackend) -> None:
    """Locks are checked (meta=globaluserinfo) just before acting, for the mentors about to be acted on only."""
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=12)
    add_mentor(wiki, admin, "Soon locked", inactive_days=12)
    add_mentor(wiki, admin, "Active mentor")
    admin.edit(RULES_PAGE, json.dumps(LAST_EDIT))
    bot = make_bot()
    asked: list[dict[str, Any]] = []
    read = bot.gateway.get
    bot.gateway.get = lambda **params: asked.append(params) or read(**params)  # type: ignore[method-assign]
    rules = parse_rules(json.dumps(LAST_EDIT), "rules")
    result = run_sweep(bot.gateway, state_backend.open(), rules, read_mentor_list(bot.gateway),
                       read_community_settings(bot.gateway),
                       on_decisions=lambda _decisions: wiki.lock_globally("Soon locked"))
    assert {d.mentor.username: d.action for d in result.decisions} == {
        "Lapsing mentor": "warn", "Soon locked": "warn", "Active mentor": "none"}
    assert result.refused == [("Soon locked", "warn", "globally locked: GrowthExperiments counts the mentor as "
                                                      "away already")]
    assert "Your mentorship activity" in talk(admin, "Lapsing mentor")  # the sweep went on
    assert talk(admin, "Soon locked") == ""
    locks_asked = [params["guiuser"] for params in asked if params.get("meta") == "globaluserinfo"]
    assert sorted(locks_asked) == ["Lapsing mentor", "Soon locked"]


def test_a_removal_waits_while_no_one_can_tell_who_is_away(wiki: DevWiki, admin: WikiClient,
                                                             sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Gone mentor", weight=4)
    wiki.anonymous().create_account("Newcomer 1", PASSWORD)
    add_mentor(wiki, admin, "Busy mentor", weight=4)
    backdate(wiki, "Gone mentor", 70)
    rules = {"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1}
    # Special:ManageMentors gone: the list's copy of away dates is all there is (and REL1_43's has none).
    # Removed now, the mentor's mentees would be left with a mentor no longer on the list: it waits.
    with wiki.extra_settings("$wgHooks['SpecialPage_initList'][] = static function ( &$list ) { "
                             "unset( $list['ManageMentors'] ); };"):
        result = sweep(rules)
    assert result.actions()["Gone mentor"] == "remove"
    # Its mentees: the newcomer, and Busy mentor, who signed up while Gone mentor was the only mentor.
    assert result.result.postponed == [("Gone mentor", "remove", "Special:ManageMentors could not be read, so its "
                                        "2 mentees could not be given a mentor known not to be away")]
    assert result.result.moved == []
    assert "Gone mentor" in {m.username for m in read_mentor_list(result.run.gateway).mentors}
    assert talk(admin, "Gone mentor") == ""  # no notice claims a removal that did not happen
    mentor = admin.get(action="expandtemplates", prop="wikitext", text="{{#mentor:Newcomer 1}}")
    assert mentor["expandtemplates"]["wikitext"] == "Gone mentor"
    # Once the away states can be read, the next sweep removes the mentor and moves the mentee.
    again = sweep(rules)
    assert again.result.postponed == []
    assert again.result.moved == [("Newcomer 1", "Gone mentor", "Busy mentor")]
    mentor = admin.get(action="expandtemplates", prop="wikitext", text="{{#mentor:Newcomer 1}}")
    assert mentor["expandtemplates"]["wikitext"] == "Busy mentor"


def test_who_is_a_mentor_comes_from_the_page_not_the_cached_module(wiki: DevWiki, admin: WikiClient,
                                                                   sweep: Callable[..., Sweep]) -> None:
    """GE (master) serves the set of mentors from a cache a direct page edit leaves stale; REL1_43 has no cache."""
    add_mentor(wiki, admin, "Gone mentor", weight=4)
    wiki.anonymous().create_account("Newcomer 1", PASSWORD)
    add_mentor(wiki, admin, "Busy mentor", weight=1)
    left_id = add_mentor(wiki, admin, "Left mentor", weight=4)
    # The module has the set of mentors in its cache now (REL1_43's copy of the page settles within a second).
    assert served_within(wiki, "Left mentor", True)
    page = json.loads(admin.page_text("MediaWiki:GrowthMentors.json") or "{}")
    del page["Mentors"][str(left_id)]
    admin.edit("MediaWiki:GrowthMentors.json", json.dumps(page), summary="Left mentor asked to leave")
    stale = wiki.growth == "standin"
    assert served_within(wiki, "Left mentor", stale)
    backdate(wiki, "Gone mentor", 70)
    result = sweep({"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1})
    assert "Left mentor" not in result.actions()
    assert {new for _mentee, _old, new in result.result.moved} == {"Busy mentor"}
    said = [note for note in result.result.notes if "The wiki still counts Left mentor as a mentor" in note]
    assert len(said) == (1 if stale else 0)


# --- exemptions, blocks, self-set away dates ---------------------------------------------------

def test_exempt_and_manual_mentors_are_never_touched(wiki: DevWiki, admin: WikiClient,
                                                     sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Founder mentor", inactive_days=90)
    add_mentor(wiki, admin, "Manual mentor", weight=0, inactive_days=90)
    result = sweep({**LAST_EDIT, "exempt": ["Founder_mentor"], "skip_manual_mentors": True})
    assert result.actions() == {"Founder mentor": "none", "Manual mentor": "none"}
    assert result.run.counters.writes == 0


def test_blocked_mentors(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Briefly blocked", inactive_days=90)
    add_mentor(wiki, admin, "Banned mentor", inactive_days=90)
    admin.post("block", user="Briefly blocked", expiry="1 week", reason="test")
    admin.post("block", user="Banned mentor", expiry="infinite", reason="test")
    rules = {"activity": {"measure": "last-edit"}, "away_after_days": 14, "remove_after_days": 60,
             "max_action_share": 1}
    first = sweep(rules)
    assert first.actions() == {"Briefly blocked": "none", "Banned mentor": "none"}
    assert "temporarily blocked: never removed" in first.decision("Briefly blocked").explanation
    assert "counts as away while blocked" in first.decision("Banned mentor").explanation
    second = sweep({**rules, "remove_indefinitely_blocked": True})
    assert second.actions() == {"Briefly blocked": "none", "Banned mentor": "remove"}
    assert set(mentor_list(wiki)) == {"Briefly blocked"}


def test_self_set_away_dates(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    def until(days: int) -> str:
        return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    add_mentor(wiki, admin, "Long holiday", inactive_days=20, isaway=1, awaytimestamp=until(300))
    add_mentor(wiki, admin, "Short holiday", inactive_days=20, isaway=1, awaytimestamp=until(30))
    rules = {"activity": {"measure": "last-edit"}, "away_after_days": 14, "remove_after_days": 60,
             "max_action_share": 1}
    result = sweep(rules)
    # 300 days goes past the removal point (40 days from now): capped, and the mentor is told why.
    assert result.actions() == {"Long holiday": "away", "Short holiday": "none"}
    capped = wiki.away_until("Long holiday")
    # Capped at the removal point: 60 days after the last edit, 40 days from now.
    assert capped and timedelta(days=39) < capped - datetime.now(UTC) < timedelta(days=41)
    assert "Your away period as a mentor was shortened" in talk(admin, "Long holiday")
    assert f"{wiki.away_until('Short holiday'):%Y-%m-%d}" == until(30)[:10]


def test_growthexperiments_own_cleaner_makes_the_sweep_refuse_those_stages(
        wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    admin.edit(wiki.settings_page, json.dumps(
        {"GEMentorshipShouldBeAutoawayed": True, "GEMentorshipShouldBeAutoremoved": True}))
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70)
    result = sweep(LAST_EDIT)
    assert result.actions() == {"Gone mentor": "warn"}  # warnings are still the bot's to give
    assert any("removal stage is refused" in note for note in result.result.notes)
    again = sweep(LAST_EDIT)
    assert again.actions() == {"Gone mentor": "none"}
    assert "GEMentorshipShouldBeAutoremoved" in again.decision("Gone mentor").explanation
    assert set(mentor_list(wiki)) == {"Gone mentor"}


def first_failed_days_ago(state: StateBackend, days: float) -> None:
    """Move every recorded first failure of a count rule ``days`` into the past."""
    with state.open().transaction() as db:
        db.execute("UPDATE sweep_lapse SET first_failed_at = ?", (time.time() - days * 86400,))


# --- count rules ---------------------------------------------------------------------------------

KOREAN = {"activity": {"measure": "edits-in-window", "window_days": 90, "min_edits": {"content": 3, "talk": 2}},
          "remove_after_days": 60, "max_action_share": 1}


@both_stores
def test_korean_rule_counts_edits_per_namespace_group(wiki: DevWiki, admin: WikiClient, state_backend: StateBackend,
                                                      sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Talker", edits=0)
    add_mentor(wiki, admin, "Writer", edits=0)
    talker = WikiClient(wiki.api).login("Talker", PASSWORD)
    writer = WikiClient(wiki.api).login("Writer", PASSWORD)
    for number in range(3):
        talker.edit(f"Article {number}", "Text.")
        writer.edit(f"Article {number}", "More text.")
    for number in range(2):
        talker.edit(f"Talk:Article {number}", "Discussion.")
    first = sweep(KOREAN)
    assert first.actions() == {"Talker": "none", "Writer": "none"}
    assert "only 0 of 2 edits in talk pages" in str(first.decision("Writer").reason)
    # Days count from the first failed sweep: pretend that one was 61 days ago.
    first_failed_days_ago(state_backend, 61)
    second = sweep(KOREAN)
    assert second.actions() == {"Talker": "none", "Writer": "remove"}


def test_last_action_counts_logged_actions(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Patroller", inactive_days=0)
    add_mentor(wiki, admin, "Sleeper", inactive_days=0)
    admin.post("userrights", user="Patroller", add="sysop", token_type="userrights")
    WikiClient(wiki.api).login("Patroller", PASSWORD).post(
        "protect", title="Sandbox/Patroller/0", protections="edit=sysop", reason="test")
    backdate(wiki, "Patroller", 70)  # edits only: the protection stays recent in the log
    backdate(wiki, "Sleeper", 70, tables=("revision", "logging"))
    result = sweep({"activity": {"measure": "last-action"}, "remove_after_days": 60, "max_action_share": 1})
    assert result.actions() == {"Patroller": "none", "Sleeper": "remove"}


def test_answered_questions(wiki: DevWiki, admin: WikiClient, state_backend: StateBackend,
                            sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Helpful mentor")
    add_mentor(wiki, admin, "Silent mentor")
    mentee = WikiClient(wiki.api)
    mentee.create_account("Curious newcomer", PASSWORD)
    mentee.login("Curious newcomer", PASSWORD)
    # Asked as a mentee asks: through GrowthExperiments' question poster, which tags the edit itself.
    for mentor in ("Helpful mentor", "Silent mentor"):
        moved = admin.post("growthsetmentor", mentee="Curious newcomer", mentor=mentor, reason="test", check=False)
        assert "error" not in moved or moved["error"]["code"].endswith("already-mentor")
        mentee.post("helppanelquestionposter", source="mentor-homepage", body="How do I cite?")
    question = admin.get(action="parse", page="User talk:Helpful mentor", prop="sections")["parse"]["sections"][0]
    WikiClient(wiki.api).login("Helpful mentor", PASSWORD).post(
        "edit", title="User talk:Helpful mentor", section=question["index"], appendtext="\nLike this. ~~~~",
        summary=f"/* {question['line']} */ answer")
    backdate(wiki, "Curious newcomer", 10, tables=("revision", "recentchanges"))
    backdate(wiki, "Helpful mentor", 9.5, tables=("revision", "recentchanges"))
    rules = {"activity": {"measure": "answered-questions", "window_days": 30, "answer_within_days": 3,
                          "min_share": 0.5}, "warn_after_days": 1, "max_action_share": 1}
    first = sweep(rules)
    assert first.actions() == {"Helpful mentor": "none", "Silent mentor": "none"}
    assert "0 of 1 mentee question answered" in str(first.decision("Silent mentor").reason)
    first_failed_days_ago(state_backend, 2)
    assert sweep(rules).actions() == {"Helpful mentor": "none", "Silent mentor": "warn"}


# --- guards ----------------------------------------------------------------------------------------

def test_circuit_breaker_stops_before_acting(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    for number in range(4):
        add_mentor(wiki, admin, f"Mentor {number}", inactive_days=0)
    add_mentor(wiki, admin, "Gone 1", inactive_days=70)
    add_mentor(wiki, admin, "Gone 2", inactive_days=70)
    rules = {"activity": {"measure": "last-edit"}, "remove_after_days": 60}
    admin.edit(RULES_PAGE, json.dumps(rules))
    before = content_digest(wiki)
    with pytest.raises(CircuitBreakerTripped, match="2 of 6 mentors"):
        sweep(rules)
    assert content_digest(wiki) == before
    forced = sweep(rules, force=True)
    assert forced.actions()["Gone 1"] == "remove" and len(mentor_list(wiki)) == 4


def test_dry_run_shows_the_list_diff_and_notices_and_changes_nothing(
        wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    # Away by their own choice for a few days: no away mark needed before the removal.
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70, isaway=1,
               awaytimestamp=(datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    rules = {**LAST_EDIT}
    del rules["warn_after_days"]
    admin.edit(RULES_PAGE, json.dumps(rules))
    before = content_digest(wiki)
    result = sweep(rules, dry_run=True)
    assert result.actions() == {"Lapsing mentor": "away", "Gone mentor": "remove"}
    assert content_digest(wiki) == before
    printed = "\n".join(result.run.output)
    assert "Mentor list after this sweep:" in printed
    gone_id = wiki.anonymous().get(list="users", ususers="Gone mentor")["query"]["users"][0]["userid"]
    assert f'-\t\t"{gone_id}": {{' in printed  # the removed mentor's entry
    # The away mark is the module's call, with the date; the page is not where GE keeps it.
    removal_point = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
    assert ("DRY RUN: would POST action=growthmanagementorlist geaction=change username=Lapsing mentor "
            f"isaway=1 awaytimestamp={removal_point}") in printed
    assert not [line for line in printed.splitlines() if line.startswith("+") and "awayTimestamp" in line]
    assert "+== You are marked away as a mentor ==" in printed
    assert "+== You were removed from the mentor list ==" in printed
    assert "DRY RUN: would POST action=growthmanagementorlist geaction=remove username=Gone mentor" in printed


def test_an_invalid_rules_page_stops_the_sweep(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70)
    rules = {"activity": {"measure": "edits-in-window", "window_days": "ninety", "min_edits": {"content": 1}},
             "remove_after_days": 60}
    admin.edit(RULES_PAGE, json.dumps(rules))
    before = content_digest(wiki)
    with pytest.raises(MalformedDocument, match=r"at \$\.activity\.window_days: 'ninety' is not of type 'integer'"):
        sweep(rules)
    assert content_digest(wiki) == before
    assert set(mentor_list(wiki)) == {"Gone mentor"}


def test_a_human_edit_to_the_list_during_a_sweep_is_kept(wiki: DevWiki, admin: WikiClient,
                                                         make_bot: Callable[..., BotRun],
                                                         sweep: Callable[..., Sweep]) -> None:
    # Without the managementorship grant the bot falls back to editing the JSON page.
    from tests.conftest import run_maintenance

    run_maintenance(wiki, "createBotPassword", "--appid", "jsononly", "--grants",
                    "basic,highvolume,editpage,createeditmovepage,editinterface,editsiteconfig", "MentorBot",
                    "fallbackpasswordfallbackpassword00")
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70)
    carol = add_mentor(wiki, admin, "Carol mentor")
    bot = make_bot(username="MentorBot@jsononly", password="fallbackpasswordfallbackpassword00")
    original_read = bot.gateway.read_page
    human_edits: list[int] = []
    reads: list[str] = []

    def read_then_human_edits(title: str) -> Any:
        """The bot reads the list to change it (its second read: the first tells who is a mentor);
        a human saves the list just after."""
        page = original_read(title)
        reads.append(title)
        if title == "MediaWiki:GrowthMentors.json" and reads.count(title) == 2:
            document = json.loads(page.text)
            document["Mentors"][str(carol)]["message"] = "Edited by a human meanwhile"
            human_edits.append(admin.edit(title, json.dumps(document))["edit"]["newrevid"])
        return page

    bot.gateway.read_page = read_then_human_edits  # type: ignore[method-assign]
    result = sweep({"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1}, bot=bot)
    assert result.actions()["Gone mentor"] == "remove"
    assert any("cannot mark anyone away" in note for note in result.result.notes)
    listed = {entry["username"]: entry for entry in json.loads(admin.page_text(
        "MediaWiki:GrowthMentors.json") or "{}")["Mentors"].values()}
    assert set(listed) == {"Carol mentor"}
    assert human_edits and listed["Carol mentor"]["message"] == "Edited by a human meanwhile"


def test_the_run_log_lists_each_decision_once_per_run_that_acted(
        wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Active mentor")
    add_mentor(wiki, admin, "Gone mentor", inactive_days=70)
    rules = {"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1,
             "run_log_page": "Project:Mentorship/Bot log"}
    sweep(rules)
    sweep(rules)  # nothing to do: no new section
    log = admin.page_text("Project:Mentorship/Bot log") or ""
    assert log.count("== Mentorship upkeep on ") == 1
    assert "| [[Special:Contributions/Gone mentor|Gone mentor]] || removed from the list || no edit since" in log
    assert "Warned: 0. Marked away: 0. Removed: 1. Mentees given another mentor: 0." in log
    assert "Active mentor" not in log


@both_stores
def test_a_notice_is_not_repeated_after_a_crash_before_it_was_recorded(
        wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep], state_backend: StateBackend) -> None:
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    assert sweep(LAST_EDIT).actions() == {"Lapsing mentor": "warn"}
    # The bot crashed after posting, before its state store recorded the warning.
    with state_backend.open().transaction() as db:
        db.execute("DELETE FROM sweep_step")
    again = sweep(LAST_EDIT)
    assert again.actions() == {"Lapsing mentor": "warn"}
    assert again.run.counters.writes == 0
    assert talk(admin, "Lapsing mentor").count("Your mentorship activity") == 1


def test_the_wikis_own_message_texts_are_used(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep]) -> None:
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    rules = {**LAST_EDIT, "messages": {
        "mentorbot-notice-warn-heading": "멘토 활동 안내",
        "mentorbot-notice-warn-away": "$1님, $4일 동안 활동이 없었습니다. {{PAGENAME}} $6"}}
    sweep(rules)
    text = talk(admin, "Lapsing mentor")
    assert "== 멘토 활동 안내 ==" in text
    in_a_week = f"{datetime.now(UTC) + timedelta(days=7):%Y-%m-%d}"
    assert f"Lapsing mentor님, 20일 동안 활동이 없었습니다. {{{{PAGENAME}}}} {in_a_week}" in text


def test_one_mentors_refusal_never_stops_a_sweep(wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep],
                                                 make_bot: Callable[..., BotRun], state_backend: StateBackend) -> None:
    """A mentor blocked (or, on Wikimedia, locked) after the sweep decided: GE refuses; the sweep goes on."""
    from tests.test_contract import manage_mentors_status

    add_mentor(wiki, admin, "Blocked mentor", inactive_days=20)
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    assert sweep(LAST_EDIT).actions() == {"Blocked mentor": "warn", "Lapsing mentor": "warn"}
    gateway = make_bot().gateway
    rules = parse_rules(json.dumps(LAST_EDIT), "rules")

    def block_while_deciding(_decisions: list[Any]) -> None:
        admin.post("block", user="Blocked mentor", expiry="1 week", reason="test")

    result = run_sweep(gateway, state_backend.open(), rules, read_mentor_list(gateway),
                       read_community_settings(gateway), on_decisions=block_while_deciding,
                       now=datetime.now(UTC) + timedelta(days=8))
    assert {d.mentor.username: d.action for d in result.decisions} == {"Blocked mentor": "away",
                                                                       "Lapsing mentor": "away"}
    assert [(mentor, action) for mentor, action, _ in result.refused] == [("Blocked mentor", "away")]
    assert "cannot-be-changed-block" in result.refused[0][2]
    status = manage_mentors_status(wiki)
    assert status["Lapsing mentor"]["status"] == "away until a date"  # the sweep went on after the refusal
    assert "You are marked away as a mentor" in talk(admin, "Lapsing mentor")
    assert "You are marked away" not in talk(admin, "Blocked mentor")  # no notice of what did not happen


def test_a_mentor_already_away_is_not_marked_again(wiki: DevWiki, admin: WikiClient,
                                                   sweep: Callable[..., Sweep]) -> None:
    """The away state is read where GrowthExperiments keeps it (REL1_43's list never shows it)."""
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    rules = {**LAST_EDIT, "run_log_page": "Project:Mentorship/Bot log"}
    assert sweep(rules).actions() == {"Lapsing mentor": "warn"}
    assert sweep(rules, days_later=8).actions() == {"Lapsing mentor": "away"}
    log_sections = (admin.page_text("Project:Mentorship/Bot log") or "").count("== Mentorship upkeep on")
    assert log_sections == 2  # one section per run that acted
    third = sweep(rules, days_later=9)
    assert third.actions() == {"Lapsing mentor": "none"}
    assert third.decision("Lapsing mentor").next_stage == "remove"  # the away mark is done: the removal is next
    assert third.run.counters.writes == 0
    assert (admin.page_text("Project:Mentorship/Bot log") or "").count("== Mentorship upkeep on") == log_sections


def test_without_the_module_nobody_is_claimed_away(wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun],
                                                    sweep: Callable[..., Sweep]) -> None:
    """A direct edit of the list cannot make a mentor away: the bot writes nothing for it and tells nobody it did."""
    from tests.conftest import run_maintenance

    run_maintenance(wiki, "createBotPassword", "--appid", "jsononly", "--grants",
                    "basic,highvolume,editpage,createeditmovepage,editinterface,editsiteconfig", "MentorBot",
                    "fallbackpasswordfallbackpassword00")
    add_mentor(wiki, admin, "Lapsing mentor", inactive_days=20)
    before = admin.page_text("MediaWiki:GrowthMentors.json")
    bot = make_bot(username="MentorBot@jsononly", password="fallbackpasswordfallbackpassword00")
    rules = {"activity": {"measure": "last-edit"}, "away_after_days": 14, "remove_after_days": 60,
             "max_action_share": 1, "run_log_page": "Project:Mentorship/Bot log"}
    result = sweep(rules, bot=bot)
    assert result.actions() == {"Lapsing mentor": "away"}
    assert result.result.refused == [("Lapsing mentor", "away", "not marked away: that needs growthmanagementorlist "
                                                                "and the 'managementors' right")]
    assert admin.page_text("MediaWiki:GrowthMentors.json") == before
    assert "marked away" not in talk(admin, "Lapsing mentor")
    # Nor does the run log claim it.
    log = admin.page_text("Project:Mentorship/Bot log") or ""
    assert "Marked away: 0." in log and "marked away until" not in log
    assert "not done: the bot cannot mark mentors away on this wiki" in log


def test_a_change_a_human_makes_during_the_run_survives_the_away_mark(
        wiki: DevWiki, admin: WikiClient, make_bot: Callable[..., BotRun], state_backend: StateBackend) -> None:
    """The away mark sends neither message nor weight: what a human set after the list was read stays."""
    add_mentor(wiki, admin, "Lapsing mentor", weight=2, inactive_days=20)
    rules = parse_rules(json.dumps({"activity": {"measure": "last-edit"}, "away_after_days": 14,
                                    "max_action_share": 1}), "rules")
    bot = make_bot()

    def human_changes_the_entry(_decisions: list[Any]) -> None:
        admin.post("growthmanagementorlist", geaction="change", username="Lapsing mentor", weight=4,
                   message="Back in January, ask me then")

    result = run_sweep(bot.gateway, state_backend.open(), rules, read_mentor_list(bot.gateway),
                       read_community_settings(bot.gateway), on_decisions=human_changes_the_entry)
    assert {d.mentor.username: d.action for d in result.decisions} == {"Lapsing mentor": "away"}
    entry = mentor_list(wiki)["Lapsing mentor"]
    assert (entry["weight"], entry["message"]) == (4, "Back in January, ask me then")
    assert wiki.away_until("Lapsing mentor") is not None


def test_a_removal_cut_short_by_a_crash_is_finished_by_the_next_run(
        wiki: DevWiki, admin: WikiClient, sweep: Callable[..., Sweep], monkeypatch: pytest.MonkeyPatch) -> None:
    """Removed, then killed before the mentees were moved: the next run moves them and tells the mentor, once."""
    from bot.sweep import SweepActor

    add_mentor(wiki, admin, "Gone mentor", weight=4)
    wiki.anonymous().create_account("Newcomer 1", PASSWORD)
    add_mentor(wiki, admin, "Busy mentor", weight=2)
    backdate(wiki, "Gone mentor", 70)
    rules = {"activity": {"measure": "last-edit"}, "remove_after_days": 60, "max_action_share": 1,
             "run_log_page": "Project:Mentorship/Bot log"}
    with monkeypatch.context() as patch:
        def killed(*_args: Any) -> None:
            raise RuntimeError("killed between the removal and the moves")

        patch.setattr(SweepActor, "move_mentees", killed)
        with pytest.raises(RuntimeError):
            sweep(rules)
    assert "Gone mentor" not in {entry["username"] for entry in json.loads(
        admin.page_text("MediaWiki:GrowthMentors.json") or "{}")["Mentors"].values()}
    second = sweep(rules)
    assert "Gone mentor" not in second.actions()  # off the list: no decision would ever come back to them
    assert any("Finished what an earlier run left half-done: remove Gone mentor" in note
               for note in second.result.notes)
    assert ("Newcomer 1", "Gone mentor", "Busy mentor") in second.result.moved
    assert talk(admin, "Gone mentor").count("You were removed from the mentor list") == 1
    assert (admin.page_text("Project:Mentorship/Bot log") or "").count(
        "to [[Special:Contributions/Busy mentor|Busy mentor]]") == 1
    assert talk(admin, "Busy mentor").count("== New mentees for you ==") == 1
    third = sweep(rules)
    assert third.result.notes == [] and third.run.counters.writes == 0
