"""The bot's texts: message files, the wiki's language and its fallbacks, overrides, and English for operators."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import MalformedDocument
from bot.messages import (
    LANGUAGES,
    Items,
    Messages,
    Native,
    Text,
    catalogue,
    check_overrides,
    english,
    plain_english,
    site_messages,
)

pytestmark = pytest.mark.unit

I18N = Path(__file__).parent.parent / "bot" / "i18n"
BOT = Path(__file__).parent.parent / "bot"
PARAMETER = re.compile(r"\$(\d+)")


def parameters(text: str) -> set[str]:
    return set(PARAMETER.findall(text))


def test_every_message_the_code_names_exists_and_every_message_is_used() -> None:
    source = "\n".join(path.read_text() for path in BOT.rglob("*.py"))
    named = {key for key in re.findall(r'"(mentorbot-[a-z0-9-]+)"', source) if not key.endswith("-")}
    english_keys = set(catalogue("en"))
    assert named - english_keys == {"mentorbot-state"}  # the state file's format name, not a message
    # Keys built from a stem in the code (f"mentorbot-status-{status}"): each must be a stem the code has.
    stems = set(re.findall(r'f?"(mentorbot-[a-z0-9-]*-)(?:\{|")', source))
    unused = {key for key in english_keys - named if not any(key.startswith(stem) for stem in stems)}
    assert unused == set()


def test_qqq_documents_every_message_and_each_translation_is_complete() -> None:
    english_texts = catalogue("en")
    documented = json.loads((I18N / "qqq.json").read_text(encoding="utf-8"))
    assert set(documented) - {"@metadata"} == set(english_texts)
    for key, text in english_texts.items():
        for number in parameters(text):
            assert f"${number}" in documented[key], f"qqq.json does not document ${number} of {key}"
    for code in LANGUAGES[1:]:
        translated = catalogue(code)
        assert set(translated) == set(english_texts), code
        for key, text in translated.items():
            # Korean has no plural: a number only used inside PLURAL may go.
            assert parameters(text) <= parameters(english_texts[key]), (code, key)
            assert text.count("{{") == text.count("}}") and text.count("[[") == text.count("]]"), (code, key)
            assert text.strip(), (code, key)


def test_edit_summaries_and_log_reasons_have_no_markup_in_any_language() -> None:
    """MediaWiki parses neither an edit summary nor a log reason: {{PLURAL:}} would show as written."""
    for code in LANGUAGES:
        for key, text in catalogue(code).items():
            if key.startswith(("mentorbot-summary-", "mentorbot-setmentor-")):
                assert "{{" not in text and "[[" not in text, (code, key)


def test_the_wiki_language_then_its_fallbacks_then_english() -> None:
    general = {"lang": "de-formal", "fallback": [{"code": "de"}], "rtl": False}
    messages = site_messages(general)
    assert messages.chain == ("de-formal", "de", "en")
    assert messages("mentorbot-runlog-column-mentor") == catalogue("de")["mentorbot-runlog-column-mentor"]
    unknown = site_messages({"lang": "xx"})  # no file of its own, no fallback given: English
    assert unknown("mentorbot-status-ok") == "ok"


def test_a_wiki_replaces_a_message_by_key_and_keeps_the_rest() -> None:
    messages = Messages("ko").with_overrides({"mentorbot-blocks-heading": "멘티 차단 알림 ($1)"})
    assert messages("mentorbot-blocks-heading") == "멘티 차단 알림 ($1)"  # no parameter given: left as written
    assert messages("mentorbot-blocks-intro", "멘토") == Messages("ko")("mentorbot-blocks-intro", "멘토")


def test_parameters_nested_messages_lists_and_dates_fill_in() -> None:
    when = datetime(2026, 6, 1, 12, tzinfo=UTC)
    talk = Text("mentorbot-group-talk")
    text = Text("mentorbot-reason-few-edits", Items((Text("mentorbot-reason-edits-short", 1, "help", 2),
                                                     Text("mentorbot-reason-edits-short", 0, talk, 1))), 30)
    assert Messages()(text.key, *text.params) == (
        "only 1 of 2 {{PLURAL:2|edit|edits}} in help{{int:comma-separator}}0 of 1 {{PLURAL:1|edit|edits}} in talk "
        "pages in the last 30 {{PLURAL:30|day|days}}")
    assert english(text) == "only 1 of 2 edits in help, 0 of 1 edit in talk pages in the last 30 days"
    assert english(Text("mentorbot-blocks-until", when)) == "until 2026-06-01"
    assert english(Text("mentorbot-notice-moved-item", "A", "B")) == "A to B"  # links as their labels
    assert english(Text("mentorbot-blocks-blocked", "A", "B", "2026-06-01 10:00", "x", "y", "z")).endswith(
        "See the block log and their talk page.")


@pytest.mark.parametrize(("overrides", "path", "reason"), [
    ({"mentorbot-nothing": "x"}, "$.messages.mentorbot-nothing",
     "no such message (the bot's i18n/en.json has the keys)"),
    ({"mentorbot-status-ok": "fine $1"}, "$.messages.mentorbot-status-ok",
     "uses $1, but this message has only 0 parameters"),
])
def test_an_override_the_bot_cannot_fill_is_refused_by_its_key(overrides: dict[str, str], path: str,
                                                               reason: str) -> None:
    with pytest.raises(MalformedDocument) as refused:
        check_overrides(overrides, "[[Rules]]")
    assert (refused.value.path, refused.value.reason) == (path, reason)


def test_a_text_survives_json() -> None:
    text = Text("mentorbot-reason-failing-since", Text("mentorbot-reason-few-edits", Items((1, "a")), 3),
                datetime(2026, 1, 2, tzinfo=UTC))
    assert Text.from_json(json.loads(json.dumps(text.to_json()))) == text


def test_mediawikis_own_messages_on_the_wiki_and_codes_for_operators() -> None:
    sysop, bot = Native("group-sysop", "sysop"), Native("group-bot", "bot")
    groups = Text("mentorbot-graduation-why-groups", Items((sysop, bot)))
    assert Messages("ko").wikitext(groups).endswith("{{int:group-sysop}}{{int:comma-separator}}{{int:group-bot}})")
    assert english(groups) == "experienced (user groups: sysop, bot)"
    assert Messages(for_wiki=False).with_overrides({}).param(bot) == "bot"
    assert Messages("ko").with_overrides({"mentorbot-status-ok": "x"}).param(bot) == "{{int:group-bot}}"
    assert Text.from_json(json.loads(json.dumps(groups.to_json()))) == groups
    assert Text.from_json("an older plan's English") == Text("mentorbot-raw", "an older plan's English")


def test_english_for_the_command_line_resolves_the_wikis_markup() -> None:
    assert plain_english("{{PLURAL:1|day|days}} {{PLURAL:11|day|days}} {{PLURAL:2|day}}") == "day days day"
    assert plain_english("{{GENDER:Ann|he|she|they}} {{GENDER:Bo|one}}") == "they one"
    bold = "'" * 3
    assert plain_english(f"{bold}In total:{bold} [[Special:EnrollAsMentor|sign up]], [[Page]], [https://x.org/ here]"
                         ) == "In total: sign up, Page, here"
    assert Messages().with_overrides({"mentorbot-status-ok": "$0 $1 $2"})("mentorbot-status-ok", "a") == "$0 a $2"


def test_the_chain_and_a_missing_message() -> None:
    messages = site_messages({"lang": "de-formal", "fallback": [{"code": "de"}]})
    assert messages.with_overrides({}).chain == messages.chain == ("de-formal", "de", "en")
    assert site_messages({}).chain == ("en",)
    with pytest.raises(KeyError, match="no message mentorbot-nothing"):
        Messages("ko")("mentorbot-nothing")
    assert check_overrides(None, "[[Rules]]") == {} and check_overrides([], "[[Rules]]") == {}
