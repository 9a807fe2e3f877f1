"""The whole workflow on a Korean and an Arabic wiki: what the bot writes is in the wiki's language.

The demo's workflow (every task: sweep stage by stage, block notices, the four reports, the
invitations) runs against a test wiki whose content language is set with $wgLanguageCode. Then
every page the bot edited is rendered by the wiki itself (action=parse), and its visible text must
hold no English word from the bot's message files. What is data and not the bot's text (user
names, a block reason an admin typed) is taken out first.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from bot.messages import catalogue
from scripts import demo, devwiki
from tests.conftest import DevWiki

# Words a translation may keep as they are.
PROPER = {"utc", "api", "growthexperiments"}  # GrowthExperiments: the extension's name
MARKUP = re.compile(r"\{\{(?:PLURAL|GENDER):[^|{}]*\||\{\{int:[^{}]*\}\}|\{\{fullurl:(?:[^{}]|\{\{[^{}]*\}\})*\}\}|"
                    r"\$\d+|\[\[[^|\]]*\||\[\[|\]\]|\}\}|\||'''")


def english_words() -> set[str]:
    """The words of the bot's English messages, as a reader would see them (no link targets, no markup)."""
    words: set[str] = set()
    for text in catalogue("en").values():
        words |= {word.lower() for word in re.findall(r"[A-Za-z]{3,}", MARKUP.sub(" ", text))}
    return words - PROPER


def visible_text(rendered: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", rendered, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def bot_pages(wiki: DevWiki) -> list[str]:
    """Every wikitext page the bot account edited."""
    contributions = wiki.admin().get(list="usercontribs", ucuser=devwiki.BOT_NAME, uclimit="max",
                                     ucprop="title")["query"]["usercontribs"]
    titles = sorted({entry["title"] for entry in contributions})
    pages = wiki.admin().get(prop="info", titles="|".join(titles))["query"]["pages"]
    return sorted(page["title"] for page in pages if page.get("contentmodel") == "wikitext")


@pytest.mark.parametrize("language", ["ko", "ar"])
def test_the_whole_workflow_speaks_the_wikis_language(wiki: DevWiki, tmp_path: Path, language: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    info: dict[str, object] = {"api": wiki.api, "dir": str(wiki.dir), "admin_user": wiki.admin_user,
                               "admin_password": wiki.admin_password, "bot_user": wiki.bot_user,
                               "bot_password": wiki.bot_password}
    with wiki.extra_settings(f"$wgLanguageCode = '{language}';"):
        admin = wiki.admin()
        assert demo.workflow(info, tmp_path, admin) == 0, capsys.readouterr().out[-3000:]
        pages = bot_pages(wiki)
        # Talk pages of mentors and mentees, the run log, the four reports.
        assert len(pages) >= 10, pages
        assert sum(title.endswith(("Bot log", "Coverage", "Graduation", "Mentors", "Wikis")) for title in pages) == 5
        data = sorted([name for name, *_rest in demo.MENTORS] + demo.MENTEES + [demo.BLOCK_REASON, wiki.admin_user,
                                                                               devwiki.BOT_NAME], key=len, reverse=True)
        english = english_words()
        for title in pages:
            parsed = admin.get(action="parse", page=title, prop="text|displaytitle", disableeditsection=1,
                               disabletoc=1)["parse"]
            text = visible_text(parsed["text"])
            for name in data:  # user names and what admins typed are the wiki's data, not the bot's words
                text = text.replace(name, " ")
            found = sorted({word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)} & english)
            assert not found, f"English on [[{title}]]: {found}\n{text[:3000]}"
            if language == "ar":  # the wiki lays the page out right to left; nothing of the bot's undoes that
                assert 'dir="rtl"' in parsed["text"] and 'dir="ltr"' not in parsed["text"]
