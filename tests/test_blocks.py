"""mentorbot snapshot and blocks against the real test wiki, with real blocks; the stateful cases on both stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import BlockNotifier, BlocksResult
from bot.snapshot import snapshot_from_api, snapshot_from_dump
from tests.conftest import FLAVOURS, BotRun, DevWiki, StateBackend, both_stores, run_maintenance
from tests.wikiclient import WikiClient

# The workflow runs on the stand-in and on GrowthExperiments itself.
WIKI_FLAVOURS = FLAVOURS

PASSWORD = "mentee-password-123"
SETTINGS_PAGE = "MediaWiki:Mentorbot-blocks.json"
NASTY_REASON = "Spam [[User:Admin]] {{nobots}} ~~~~ </nowiki> '''bold''' <script>x</script>\nsecond line"


@pytest.fixture
def admin(wiki: DevWiki) -> WikiClient:
    return wiki.admin()


@pytest.fixture
def mentorship(wiki: DevWiki, admin: WikiClient) -> dict[str, int]:
    """Mentor A (the only mentor) and three newcomers who got Mentor A at signup."""
    ids = {"Mentor A": wiki.anonymous().create_account("Mentor A", PASSWORD)}
    admin.post("growthmanagementorlist", geaction="add", username="Mentor A", weight=2)
    for name in ("Newcomer 1", "Newcomer 2", "Newcomer 3"):
        ids[name] = wiki.anonymous().create_account(name, PASSWORD)
    return ids


@pytest.fixture
def blocks(make_bot: Callable[..., BotRun], state_backend: StateBackend) -> Callable[..., tuple[BlocksResult, BotRun]]:
    def run(bot: BotRun | None = None, **config: Any) -> tuple[BlocksResult, BotRun]:
        bot = bot or make_bot(**config)
        store = state_backend.open()
        return BlockNotifier(bot.gateway, store, SETTINGS_PAGE).run(), bot

    return run


def mentor_of(admin: WikiClient, mentee: str) -> str:
    result = admin.get(action="expandtemplates", prop="wikitext", text=f"{{{{#mentor:{mentee}}}}}")
    return str(result["expandtemplates"]["wikitext"])


def talk(admin: WikiClient, name: str) -> str:
    return admin.page_text(f"User talk:{name}") or ""


def take_snapshot(make_bot: Callable[..., BotRun], state: StateBackend) -> int:
    run = make_bot()
    return snapshot_from_api(run.gateway, state.open()).pairs


@both_stores
def test_the_first_run_starts_from_now_and_an_empty_poll_costs_one_request(
        mentorship: dict[str, int], admin: WikiClient, blocks: Callable[..., Any]) -> None:
    admin.post("block", user="Newcomer 1", expiry="1 week", reason="before the bot started")
    first, _bot = blocks()
    assert first.started
    bot_run = blocks()[1]
    before = bot_run.counters.requests
    second, _ = blocks(bot=bot_run)
    assert second.events == 0 and not second.posted
    assert bot_run.counters.requests - before == 1
    assert "before the bot started" not in talk(admin, "Mentor A")


@both_stores
def test_an_indefinite_block_reaches_the_mentor_through_the_snapshot(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend) -> None:
    blocks()
    assert take_snapshot(make_bot, state_backend) == 3
    admin.post("block", user="Newcomer 1", expiry="infinite", reason=NASTY_REASON)
    # GrowthExperiments (master) forgot the pair at once; REL1_43 keeps it.
    assert mentor_of(admin, "Newcomer 1") == ("Mentor A" if wiki.growth == "real" else "")
    result, _ = blocks()
    assert list(result.posted) == ["Mentor A"]
    text = talk(admin, "Mentor A")
    assert "== Blocks of your mentees ==" in text
    assert ("[[Special:Contributions/Newcomer 1|Newcomer 1]] was blocked by "
            "[[Special:Contributions/Admin|Admin]]") in text
    assert "(from the whole wiki, with no end date)" in text
    # The reason is shown, not run: one line, no links, templates, signatures, pings or closing tags.
    assert ("<nowiki>Spam [[User:Admin]] {{nobots}} ~~~~ &lt;/nowiki&gt; '''bold''' &lt;script&gt;x&lt;/script&gt; "
            "second line</nowiki>") in text
    rendered = admin.get(action="parse", page="User talk:Mentor A", prop="links|templates")["parse"]
    # The only user page linked is the bot's own signature: neither the admin nor the mentee is pinged.
    assert [link["title"] for link in rendered["links"] if link["title"].startswith("User:")] == ["User:MentorBot"]
    assert not rendered["templates"]


def test_temporary_and_partial_blocks_keep_the_pair_and_only_tell(
        mentorship: dict[str, int], admin: WikiClient, blocks: Callable[..., Any]) -> None:
    blocks()
    admin.post("block", user="Newcomer 2", expiry="3 days", partial=1, pagerestrictions="Main Page", allowusertalk=1,
               reason="edit warring")
    result, _ = blocks()
    assert list(result.posted) == ["Mentor A"]
    assert mentor_of(admin, "Newcomer 2") == "Mentor A"
    text = talk(admin, "Mentor A")
    assert "(from some pages or actions only, until " in text and "edit warring" in text


def test_two_blocks_in_one_run_make_one_post(mentorship: dict[str, int], admin: WikiClient,
                                             blocks: Callable[..., Any]) -> None:
    blocks()
    admin.post("block", user="Newcomer 1", expiry="1 day", reason="first")
    admin.post("block", user="Newcomer 2", expiry="1 day", reason="second")
    result, bot = blocks()
    assert len(result.posted["Mentor A"]) == 2
    assert bot.counters.notices == 1
    assert talk(admin, "Mentor A").count("== Blocks of your mentees ==") == 1


def test_a_user_without_a_mentor_and_ip_blocks_are_skipped(wiki: DevWiki, admin: WikiClient,
                                                           blocks: Callable[..., Any]) -> None:
    wiki.anonymous().create_account("Lone user", PASSWORD)  # no mentor exists yet
    blocks()
    admin.post("block", user="Lone user", expiry="1 day", reason="x")
    admin.post("block", user="192.0.2.7", expiry="1 day", reason="x")
    result, bot = blocks()
    assert result.events == 2 and not result.posted
    assert result.skipped == ["Lone user: no mentor known"]
    assert bot.counters.writes == 0


def test_opted_out_mentors_and_nobots_pages_get_nothing_and_are_not_retried(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any]) -> None:
    blocks()
    admin.edit(SETTINGS_PAGE, json.dumps({"optout": ["Mentor_A"]}))
    admin.post("block", user="Newcomer 1", expiry="1 day", reason="x")
    first, _ = blocks()
    assert first.skipped == ["Newcomer 1: Mentor A opted out of block notices"]
    admin.edit(SETTINGS_PAGE, json.dumps({}))
    admin.edit("User talk:Mentor A", "{{nobots}}")
    admin.post("block", user="Newcomer 2", expiry="1 day", reason="y")
    second, _ = blocks()
    assert second.skipped == ["Mentor A: the talk page excludes this bot"]
    third, bot = blocks()
    assert third.events == 0 and bot.counters.writes == 0
    assert talk(admin, "Mentor A") == "{{nobots}}"


@both_stores
def test_a_crash_between_posting_and_recording_neither_repeats_nor_loses(
        mentorship: dict[str, int], admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks()
    admin.post("block", user="Newcomer 1", expiry="1 day", reason="first")
    admin.post("block", user="Newcomer 2", expiry="1 day", reason="second")

    def crash(self: BlockNotifier, *args: Any) -> None:
        raise RuntimeError("killed after posting")

    with monkeypatch.context() as patch:
        patch.setattr(BlockNotifier, "record", crash)
        with pytest.raises(RuntimeError):
            blocks()
    assert talk(admin, "Mentor A").count("<!-- mentorbot:block:") == 2
    admin.post("block", user="Newcomer 3", expiry="1 day", reason="third")
    result, _ = blocks()
    assert result.events == 3
    text = talk(admin, "Mentor A")
    assert text.count("<!-- mentorbot:block:") == 3  # the first two once, the third added
    assert text.count("== Blocks of your mentees ==") == 2
    assert blocks()[0].events == 0


@both_stores
def test_the_mentor_is_restored_after_an_indefinite_block_ends(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend) -> None:
    admin.edit(SETTINGS_PAGE, json.dumps({"restore": True}))
    blocks()
    take_snapshot(make_bot, state_backend)
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="username")
    admin.post("block", user="Newcomer 2", expiry="infinite", reason="to talk")
    blocks()
    admin.post("unblock", user="Newcomer 1", reason="renamed")
    admin.post("block", user="Newcomer 2", expiry="1 day", reason="shortened", reblock=1)
    result, _ = blocks()
    assert mentor_of(admin, "Newcomer 1") == "Mentor A" and mentor_of(admin, "Newcomer 2") == "Mentor A"
    logs = admin.get(list="logevents", letype="growthexperiments")["query"]["logevents"]
    if wiki.growth == "real":
        # REL1_43 keeps the pair through an indefinite block: nothing to restore, and nothing claimed.
        assert result.restored == [] and logs == []
        assert talk(admin, "Mentor A").count("The bot made you") == 0
        assert talk(admin, "Mentor A").count("the block did not end your mentorship") == 2
        return
    assert sorted(result.restored) == [("Newcomer 1", "Mentor A"), ("Newcomer 2", "Mentor A")]
    assert len(logs) == 2 and all("given back after the block ended" in entry["comment"] for entry in logs)
    assert talk(admin, "Mentor A").count("The bot made you") == 2


def test_without_the_right_the_mentor_is_told_how_to_claim(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend) -> None:
    admin.edit(SETTINGS_PAGE, json.dumps({"restore": True}))
    run_maintenance(wiki, "createBotPassword", "--appid", "noset", "--grants",
                    "basic,highvolume,editpage,createeditmovepage", "MentorBot", "nosetpasswordnosetpassword0000000")
    limited: dict[str, Any] = {"username": "MentorBot@noset", "password": "nosetpasswordnosetpassword0000000"}
    blocks(**limited)
    take_snapshot(make_bot, state_backend)
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="username")
    blocks(**limited)
    admin.post("unblock", user="Newcomer 1", reason="renamed")
    result, _ = blocks(**limited)
    assert result.restored == []
    if wiki.growth == "real":  # REL1_43 kept the pair: nothing to claim back
        assert mentor_of(admin, "Newcomer 1") == "Mentor A"
        assert "the block did not end your mentorship" in talk(admin, "Mentor A")
        assert "Special:ClaimMentee" not in talk(admin, "Mentor A")
        return
    assert mentor_of(admin, "Newcomer 1") == ""
    assert "[[Special:ClaimMentee/Newcomer 1|claim Newcomer 1 as your mentee again]]" in talk(admin, "Mentor A")


@both_stores
def test_the_weekly_dump_serves_as_the_snapshot(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend,
        real_dump: Callable[..., Path]) -> None:
    other = wiki.anonymous().create_account("Mentor B", PASSWORD)
    dump = tmp_path / "20261121-testwiki-growthexperiments_mentor_mentee.sql.gz"
    real_dump(dump, [(mentorship["Newcomer 3"], "primary", other, 1),
                      (mentorship["Newcomer 3"], "backup", mentorship["Mentor A"], 0)])
    blocks()
    result = snapshot_from_dump(make_bot().gateway, state_backend.open(), dump)
    assert result.pairs == 2 and result.names_resolved == 3
    admin.post("block", user="Newcomer 3", expiry="infinite", reason="x")
    notices, _ = blocks()
    # Where the block dropped the pair, the dump's primary mentor is told, not today's; REL1_43
    # keeps the pair, so the mentor the wiki still names is the one to tell.
    assert list(notices.posted) == (["Mentor A"] if wiki.growth == "real" else ["Mentor B"])


def test_an_away_mentors_notice_goes_to_the_backup_when_the_wiki_says_so(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend,
        real_dump: Callable[..., Path]) -> None:
    backup = wiki.anonymous().create_account("Mentor B", PASSWORD)
    dump = tmp_path / "dump.sql.gz"
    real_dump(dump, [(mentorship["Newcomer 1"], "primary", mentorship["Mentor A"], 1),
                      (mentorship["Newcomer 1"], "backup", backup, 1)])
    snapshot_from_dump(make_bot().gateway, state_backend.open(), dump)
    admin.edit(SETTINGS_PAGE, json.dumps({"notify_backup_when_away": True,
                                          "messages": {"mentorbot-blocks-heading": "Blocage d'un filleul"}}))
    admin.post("growthmanagementorlist", geaction="change", username="Mentor A", isaway=1,
               awaytimestamp=_in_days(20))
    blocks()
    admin.post("block", user="Newcomer 1", expiry="1 day", reason="x")
    result, _ = blocks()
    assert list(result.posted) == ["Mentor B"]
    assert "== Blocage d'un filleul ==" in talk(admin, "Mentor B")
    # What follows an indefinite block's end is said to the backup mentor about Mentor A, not as if to Mentor A.
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="x", reblock=1)
    blocks()
    admin.post("unblock", user="Newcomer 1", reason="x")
    blocks()
    text = talk(admin, "Mentor B")
    said = ("Mentor A is still Newcomer 1's mentor: the block did not end the mentorship." if wiki.growth == "real"
            else "The block ended Newcomer 1's mentorship with Mentor A, who is away now: Mentor A can "
                 "[[Special:ClaimMentee/Newcomer 1|claim Newcomer 1 again]] later.")
    assert said in text and "your mentorship" not in text


def _in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@both_stores
def test_a_truncated_dump_stores_nothing(mentorship: dict[str, int], make_bot: Callable[..., BotRun],
                                         tmp_path: Path, state_backend: StateBackend,
                                         real_dump: Callable[..., Path]) -> None:
    from bot.dump import DumpError

    dump = tmp_path / "cut.sql.gz"
    real_dump(dump, [(n, "primary", 1, 1) for n in range(1, 2000)])
    dump.write_bytes(dump.read_bytes()[: len(dump.read_bytes()) // 2])
    store = state_backend.open()
    with pytest.raises(DumpError, match=r"cut\.sql\.gz"):
        snapshot_from_dump(make_bot().gateway, store, dump)
    assert store.db.execute("SELECT COUNT(*) FROM mentorship_pair").fetchone()[0] == 0


def test_a_block_lifted_within_one_poll_still_brings_the_mentor_back(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend) -> None:
    admin.edit(SETTINGS_PAGE, json.dumps({"restore": True}))
    blocks()
    take_snapshot(make_bot, state_backend)
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="mistake")
    admin.post("unblock", user="Newcomer 1", reason="wrong user")
    result, _ = blocks()
    # REL1_43 never dropped the pair: nothing is restored, and nothing is claimed.
    assert result.restored == ([] if wiki.growth == "real" else [("Newcomer 1", "Mentor A")])
    assert mentor_of(admin, "Newcomer 1") == "Mentor A"
    assert "The bot made you" not in talk(admin, "Mentor A") or wiki.growth == "standin"


def test_no_mentor_is_restored_while_an_indefinite_block_remains(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], tmp_path: Path, state_backend: StateBackend) -> None:
    admin.edit(SETTINGS_PAGE, json.dumps({"restore": True}))
    blocks()
    take_snapshot(make_bot, state_backend)
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="first")
    blocks()
    admin.post("unblock", user="Newcomer 1", reason="lifted")
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="again")
    result, _ = blocks()
    assert result.restored == []
    if wiki.growth == "real":  # REL1_43 keeps the pair through the block: nothing was lost
        assert mentor_of(admin, "Newcomer 1") == "Mentor A"
        return
    assert "Newcomer 1: still blocked indefinitely, mentor not restored" in result.skipped
    assert mentor_of(admin, "Newcomer 1") == ""


def test_a_talk_page_that_refuses_the_notice_holds_back_no_one_else(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any]) -> None:
    wiki.anonymous().create_account("Mentor B", PASSWORD)
    admin.post("growthmanagementorlist", geaction="add", username="Mentor B", weight=2)
    wiki.anonymous().create_account("Newcomer 4", PASSWORD)
    # Set, not drawn: REL1_43 may draw from its copy of the list from a second before.
    answer = admin.post("growthsetmentor", mentee="Newcomer 4", mentor="Mentor B", reason="test", check=False)
    assert "error" not in answer or answer["error"]["code"].endswith("already-mentor")
    admin.edit("User talk:Mentor A", "Protected.")
    admin.post("protect", title="User talk:Mentor A", protections="edit=sysop", reason="test")
    run_maintenance(wiki, "createBotPassword", "--appid", "plain", "--grants",
                    "basic,highvolume,editpage,createeditmovepage", "MentorBot", "plainpasswordplainpassword0000000")
    limited: dict[str, Any] = {"username": "MentorBot@plain", "password": "plainpasswordplainpassword0000000"}
    blocks(**limited)
    admin.post("block", user="Newcomer 1", expiry="1 day", reason="x")
    admin.post("block", user="Newcomer 4", expiry="1 day", reason="y")
    first, _ = blocks(**limited)
    assert list(first.posted) == ["Mentor B"]
    assert any(line.startswith("Mentor A: the notice was refused") for line in first.skipped)
    second, _ = blocks(**limited)
    assert second.events == 1 and not second.posted  # Mentor A's entry again; Mentor B's not repeated
    assert talk(admin, "Mentor B").count("<!-- mentorbot:block:") == 1


def test_a_crash_between_restoring_and_telling_still_tells_what_was_done(
        mentorship: dict[str, int], wiki: DevWiki, admin: WikiClient, blocks: Callable[..., Any],
        make_bot: Callable[..., BotRun], state_backend: StateBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The restore is recorded when the wiki confirms it; the next run says "restored", not "kept"."""
    admin.edit(SETTINGS_PAGE, json.dumps({"restore": True}))
    blocks()
    take_snapshot(make_bot, state_backend)
    admin.post("block", user="Newcomer 1", expiry="infinite", reason="username")
    blocks()
    admin.post("unblock", user="Newcomer 1", reason="renamed")
    with monkeypatch.context() as patch:
        def killed(*_args: Any) -> None:
            raise RuntimeError("killed before telling")

        patch.setattr(BlockNotifier, "notify", killed)
        with pytest.raises(RuntimeError):
            blocks()
    assert mentor_of(admin, "Newcomer 1") == "Mentor A"
    result, _ = blocks()
    text = talk(admin, "Mentor A")
    if wiki.growth == "real":  # REL1_43 kept the pair: nothing was restored, and the notice says so
        assert result.restored == [] and "the block did not end your mentorship" in text
        return
    assert result.restored == [("Newcomer 1", "Mentor A")]
    assert text.count("The bot made you") == 1 and "the block did not end your mentorship" not in text


@pytest.mark.parametrize(("document", "path", "reason"), [
    ({"colour": "blue"}, "$", "Additional properties are not allowed ('colour' was unexpected)"),
    ({"restore": "yes"}, "$.restore", "'yes' is not of type 'boolean'"),
    ({"optout": "Mentor A"}, "$.optout", "'Mentor A' is not of type 'array'"),
    ({"messages": {"greeting": "Hi"}}, "$.messages", "'greeting' does not match '^mentorbot-[a-z0-9-]+$'"),
    ({"messages": {"mentorbot-blocks-greeting": "Hi"}}, "$.messages.mentorbot-blocks-greeting", "no such message"),
    ({"messages": {"mentorbot-blocks-intro": "Hi $1 and $2"}}, "$.messages.mentorbot-blocks-intro",
     "uses $2, but this message has only 1 parameters"),
])
def test_the_settings_page_is_refused_by_the_key_at_fault(document: dict[str, Any], path: str, reason: str) -> None:
    from bot.blocks import parse_block_settings
    from bot.errors import MalformedDocument

    with pytest.raises(MalformedDocument) as refused:
        parse_block_settings(json.dumps(document), "[[MediaWiki:Mentorbot-blocks.json]]")
    assert f"[[MediaWiki:Mentorbot-blocks.json]] is malformed at {path}: " in str(refused.value)
    assert reason in str(refused.value)


def test_the_settings_page_keeps_the_defaults_it_does_not_name() -> None:
    from bot.blocks import parse_block_settings

    settings = parse_block_settings(json.dumps({"optout": ["Mentor_A"],
                                                "messages": {"mentorbot-blocks-heading": "Blocages"}}), "page")
    assert settings.optout == frozenset({"Mentor A"}) and not settings.restore
    assert settings.messages == {"mentorbot-blocks-heading": "Blocages"}  # the rest: the wiki's language
