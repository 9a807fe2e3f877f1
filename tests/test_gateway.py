"""The gateway against the real test wiki: every write goes through its guards."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import BotConfig
from bot.errors import (
    ApiFailure,
    EditBudgetSpent,
    LoginFailed,
    StopSwitchOn,
    WikiUnavailable,
)
from bot.gateway import bot_may_edit
from bot.site import connect
from tests.conftest import BotRun, DevWiki, content_digest

JSON_PAGE = "MediaWiki:Mentorbot-test.json"


def test_login_by_botpassword_gives_the_accounts_groups(make_bot: Callable[..., BotRun]) -> None:
    run = make_bot()
    info = run.gateway.get(meta="userinfo", uiprop="groups|rights")["query"]["userinfo"]
    assert info["name"] == run.gateway.username == "MentorBot"
    assert {"bot", "sysop"} <= set(info["groups"])
    assert run.counters.requests >= 3  # login token, login, userinfo at least


def test_a_wrong_password_is_a_clear_login_error(make_bot: Callable[..., BotRun]) -> None:
    with pytest.raises(LoginFailed, match="Login to"):
        make_bot(password="wrongpasswordwrongpasswordwrong000")


def test_dry_run_sends_no_write_and_shows_the_diff(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    wiki.admin().edit("User talk:Mentor A", "Hello.")
    wiki.admin().edit(JSON_PAGE, json.dumps({"a": 1}))
    before = content_digest(wiki)
    run = make_bot(dry_run=True)
    gateway = run.gateway
    assert gateway.add_section("User talk:Mentor A", "A notice", "Text of the notice.", "notice")
    assert gateway.edit_json_page(JSON_PAGE, lambda doc: {**doc, "b": 2}, "add b") is True
    assert gateway.post("growthmanagementorlist", geaction="remove", username="Mentor A") is None
    assert content_digest(wiki) == before
    printed = "\n".join(run.output)
    assert "+== A notice ==" in printed
    assert '+\t"b": 2' in printed
    assert "DRY RUN: would POST action=growthmanagementorlist geaction=remove username=Mentor A" in printed
    assert run.counters.writes == 0 and run.counters.skipped_writes == 3


def test_stop_switch_stops_before_the_next_write(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    admin = wiki.admin()
    admin.edit("User:MentorBot/Stop", "run")
    run = make_bot()
    assert run.gateway.add_section("User talk:Mentor A", "First", "One.", "notice")
    admin.edit("User:MentorBot/Stop", "Stop: the bot moved the wrong mentees")
    with pytest.raises(StopSwitchOn, match="wrong mentees"):
        run.gateway.add_section("User talk:Mentor A", "Second", "Two.", "notice")
    assert admin.revision_count("User talk:Mentor A") == 1


def test_stop_page_from_config_is_used(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    wiki.admin().edit("Project:Mentorbot/Stop", "off")
    run = make_bot(stop_page="Project:Mentorbot/Stop")
    with pytest.raises(StopSwitchOn):
        run.gateway.add_section("User talk:Mentor A", "First", "One.", "notice")
    assert wiki.admin().page_text("User talk:Mentor A") is None


def test_edit_budget_ends_the_run_cleanly(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    run = make_bot(max_writes=2)
    for number in (1, 2):
        run.gateway.add_section("User talk:Mentor A", f"Notice {number}", "Text.", "notice")
    with pytest.raises(EditBudgetSpent, match="budget of 2 writes"):
        run.gateway.add_section("User talk:Mentor A", "Notice 3", "Text.", "notice")
    assert wiki.admin().revision_count("User talk:Mentor A") == 2
    assert run.counters.writes == 2 and run.counters.notices == 2


@pytest.mark.parametrize("template", ["{{nobots}}", "{{bots|deny=MentorBot}}", "{{bots|allow=OtherBot}}",
                                      "{{bots|deny=all}}", "{{bots|optout=mentorship}}"])
def test_exclusion_templates_are_honoured(wiki: DevWiki, make_bot: Callable[..., BotRun], template: str) -> None:
    admin = wiki.admin()
    admin.edit("User talk:Mentor A", f"{template}\nPlease no bots.")
    run = make_bot()
    assert run.gateway.add_section("User talk:Mentor A", "Notice", "Text.", "notice",
                                   notice_type="mentorship") is False
    assert admin.revision_count("User talk:Mentor A") == 1
    assert run.counters.writes == 0


def test_other_bots_exclusions_do_not_stop_this_one(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    admin = wiki.admin()
    admin.edit("User talk:Mentor A", "{{bots|deny=OtherBot}}\nHi.")
    run = make_bot()
    assert run.gateway.add_section("User talk:Mentor A", "Notice", "Text.", "notice")
    text = admin.page_text("User talk:Mentor A")
    assert text is not None and text.startswith("{{bots|deny=OtherBot}}\nHi.")
    assert text.split("== Notice ==")[1].strip() == "Text."


def test_bot_may_edit_reads_allow_and_deny_lists() -> None:
    assert bot_may_edit("{{bots|allow=MentorBot,OtherBot}}", "MentorBot")
    assert not bot_may_edit("{{bots|allow=none}}", "MentorBot")
    assert not bot_may_edit("{{Bots|deny=Foo, mentorbot}}", "MentorBot")
    assert bot_may_edit("{{bots|optout=blocks}}", "MentorBot", notice_type="mentorship")
    assert bot_may_edit("No templates at all.", "MentorBot")


def human_edits_while_the_bot_decides(wiki: DevWiki, run: BotRun, pause: float) -> None:
    admin = wiki.admin()
    admin.edit(JSON_PAGE, json.dumps({"bot": 0, "human": 0}))
    calls: list[dict[str, Any]] = []

    def change(document: dict[str, Any]) -> dict[str, Any]:
        calls.append(document)
        if len(calls) == 1:  # a human saves while the bot is deciding
            time.sleep(pause)
            admin.edit(JSON_PAGE, json.dumps({"bot": 0, "human": 1, "note": "added by a human"}))
        return {**document, "bot": 1}

    assert run.gateway.edit_json_page(JSON_PAGE, change, "bot sets bot=1")
    final = json.loads(admin.page_text(JSON_PAGE) or "")
    assert final == {"bot": 1, "human": 1, "note": "added by a human"}
    assert len(calls) == 2  # the change was made again on top of the human's text


def test_a_human_edit_in_a_later_second_is_an_edit_conflict_and_kept(wiki: DevWiki,
                                                                     make_bot: Callable[..., BotRun]) -> None:
    run = make_bot()
    human_edits_while_the_bot_decides(wiki, run, pause=1.1)
    assert any(line.startswith("Edit conflict on [[") for line in run.output)
    assert not any("saved by someone else" in line for line in run.output)


def test_a_human_edit_in_the_same_second_is_seen_from_the_save_and_kept(wiki: DevWiki,
                                                                        make_bot: Callable[..., BotRun]) -> None:
    # MediaWiki sees no conflict between saves in the same second. The wiki's clock is stopped
    # for this test, so every save lands in one second whatever the machine's speed.
    run = make_bot()
    frozen = f"{datetime.now(UTC):%Y%m%d%H%M%S}"
    with wiki.extra_settings(f"Wikimedia\\Timestamp\\ConvertibleTimestamp::setFakeTime('{frozen}');"):
        human_edits_while_the_bot_decides(wiki, run, pause=0.0)
    assert any("was saved by someone else just before the bot: redoing the change on top" in line
               for line in run.output)
    assert not any(line.startswith("Edit conflict") for line in run.output)


def test_database_lag_is_waited_out(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    run = make_bot(retry_max=1.0, max_retries=10)
    wiki.set_fake_lag(8)
    timer = threading.Timer(1.5, wiki.set_fake_lag, args=(None,))
    timer.start()
    before = run.counters.requests
    try:
        result = run.gateway.get(list="allpages", aplimit=1)
    finally:
        timer.cancel()
        wiki.set_fake_lag(None)
    assert "allpages" in result["query"]
    assert run.counters.requests - before >= 2  # refused while lagged, then answered


def test_lasting_lag_ends_in_a_clear_error(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    run = make_bot(retry_max=0.2, max_retries=2)
    wiki.set_fake_lag(30)
    try:
        lasting = r"kept failing \(the wiki's databases stayed lagged\) through 2 retries; try again later"
        with pytest.raises(WikiUnavailable, match=lasting):
            run.gateway.get(list="allpages", aplimit=1)
    finally:
        wiki.set_fake_lag(None)


# Plain users may make 4 edits in 5 seconds; bots and sysops hold noratelimit.
RATE_LIMIT = "$wgRateLimits['edit']['user'] = [ 4, 5 ];"


def test_rate_limits_are_waited_out(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    wiki.anonymous().create_account("Plain editor", "plain-editor-password-1")
    run = make_bot(username="Plain editor", password="plain-editor-password-1", assert_user="user",
                   max_retries=8, retry_wait=1.0, retry_max=3.0)
    with wiki.extra_settings(RATE_LIMIT):
        for number in range(6):
            run.gateway.add_section("User talk:Mentor A", f"Notice {number}", "Text.", "notice")
    assert wiki.admin().revision_count("User talk:Mentor A") == 6
    assert run.counters.requests > run.counters.writes + 6  # the refused attempts were retried


def test_rate_limits_that_last_end_in_a_clear_error(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    wiki.anonymous().create_account("Plain editor", "plain-editor-password-1")
    run = make_bot(username="Plain editor", password="plain-editor-password-1", assert_user="user",
                   max_retries=1, retry_wait=0.1, retry_max=0.1)
    lasting = r"kept failing \(.+\) through 1 retry; try again later"
    with wiki.extra_settings(RATE_LIMIT), pytest.raises(WikiUnavailable, match=lasting):
        for number in range(8):
            run.gateway.add_section("User talk:Mentor A", f"Notice {number}", "Text.", "notice")
    assert wiki.admin().revision_count("User talk:Mentor A") < 8


def test_assert_bot_refuses_an_account_without_the_bot_flag(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    wiki.anonymous().create_account("Plain editor", "plain-editor-password-1")
    run = make_bot(username="Plain editor", password="plain-editor-password-1")
    with pytest.raises(ApiFailure, match="assertbotfailed"):
        run.gateway.add_section("User talk:Mentor A", "Notice", "Text.", "notice")
    assert wiki.admin().page_text("User talk:Mentor A") is None


# The wiki answers 503 with Retry-After while the counter file holds a positive number.
UNAVAILABLE = """
$counter = __DIR__ . '/unavailable-count';
if ( is_file( $counter ) && (int)file_get_contents( $counter ) > 0 ) {
    file_put_contents( $counter, (string)( (int)file_get_contents( $counter ) - 1 ) );
    header( 'Retry-After: 2', true, 503 );
    echo 'Service Unavailable';
    exit;
}
"""


def test_server_errors_are_retried_after_the_servers_retry_after(
        wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    run = make_bot(retry_wait=0.05, retry_max=0.1, max_retries=5)
    with wiki.extra_settings(UNAVAILABLE):
        (wiki.dir / "unavailable-count").write_text("2")
        before, started = run.counters.requests, time.monotonic()
        result = run.gateway.get(list="allpages", aplimit=1)
        waited = time.monotonic() - started
    assert "allpages" in result["query"]
    assert run.counters.requests - before == 3  # two 503 answers, then the real one
    assert waited >= 2.0  # Retry-After: 2 outweighs the configured 0.05 s retry wait


def test_server_errors_that_last_end_in_a_clear_error(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    run = make_bot(retry_wait=0.05, retry_max=0.1, max_retries=2)
    with wiki.extra_settings(UNAVAILABLE):
        (wiki.dir / "unavailable-count").write_text("1000")
        lasting = r"kept failing \(no usable answer.+\) through 2 retries; try again later"
        with pytest.raises(WikiUnavailable, match=lasting):
            run.gateway.get(list="allpages", aplimit=1)
        (wiki.dir / "unavailable-count").unlink()


def test_growthexperiments_writes_are_throttled_like_edits(wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    # pywikibot would throttle growthmanagementorlist as a read; the gateway spaces it as a write.
    user_id = wiki.anonymous().create_account("Mentor A", "mentor-password-123")
    run = make_bot(edit_interval=1.5)
    started = time.monotonic()
    run.gateway.post("growthmanagementorlist", geaction="add", username="Mentor A", weight=2)
    run.gateway.post("growthmanagementorlist", geaction="change", username="Mentor A", weight=4)
    run.gateway.add_section("User talk:Mentor A", "Notice", "Text.", "notice")
    assert time.monotonic() - started >= 3.0  # two gaps of 1.5 s between three writes
    listed = wiki.anonymous().get(list="growthmentorlist")["growthmentorlist"]
    assert listed[str(user_id)]["weight"] == 4


def test_the_operators_contact_is_in_the_user_agent(make_bot: Callable[..., BotRun]) -> None:
    from pywikibot.comms import http

    run = make_bot(contact="User:Example operator; ops@example.org")
    agent = http.user_agent(run.gateway.site)
    assert "mentorbot/" in agent and "User:Example operator; ops@example.org" in agent


def test_a_notice_never_replaces_one_the_bots_other_task_saved_a_moment_before(
        wiki: DevWiki, make_bot: Callable[..., BotRun]) -> None:
    """MediaWiki takes a save over the same account's own newer revision as no conflict: the bot puts it back."""
    sweep_task, blocks_task = make_bot(), make_bot()
    wiki.admin().edit("User talk:Mentor A", "Welcome.")
    read = sweep_task.gateway.read_page

    def read_then_the_other_task_posts(title: str) -> Any:
        page = read(title)
        if not blocks_task.counters.notices:
            blocks_task.gateway.add_section(title, "Blocks of your mentees", "A block. <!-- b -->", "blocks",
                                            marker="<!-- b -->")
        return page

    sweep_task.gateway.read_page = read_then_the_other_task_posts  # type: ignore[method-assign]
    sweep_task.gateway.add_section("User talk:Mentor A", "Your mentorship activity", "A warning. <!-- w -->",
                                   "sweep", marker="<!-- w -->")
    text = wiki.admin().page_text("User talk:Mentor A") or ""
    assert text.count("<!-- b -->") == 1 and text.count("<!-- w -->") == 1 and text.startswith("Welcome.")


def test_a_wait_goes_to_the_wiki_that_asked_for_it_when_a_run_reads_two(
        wiki: DevWiki, second_wiki: DevWiki, make_bot: Callable[..., BotRun], tmp_path: Path) -> None:
    """report wikis logs in to a second wiki mid-run: the first one's Retry-After must still be heard."""
    run = make_bot(retry_wait=0.05, retry_max=0.1, max_retries=5)
    other = BotConfig(api=second_wiki.api, username=second_wiki.bot_user, password=second_wiki.bot_password,
                      state_path=tmp_path / "state.sqlite", pywikibot_dir=tmp_path / "pywikibot", edit_interval=0.0,
                      retry_wait=0.05, retry_max=0.1, max_retries=5)
    connect(other, run.counters)
    with wiki.extra_settings(UNAVAILABLE):
        (wiki.dir / "unavailable-count").write_text("1")
        started = time.monotonic()
        assert "allpages" in run.gateway.get(list="allpages", aplimit=1)["query"]
        waited = time.monotonic() - started
    assert waited >= 2.0  # the first wiki's Retry-After: 2, not the configured 0.05 s
