"""The one door to the wiki. Every task reads and writes only through a ``Gateway``.

The gateway owns what must hold for every write, whichever module it goes to (GrowthExperiments'
own modules included, which pywikibot would treat as reads): the write throttle, ``assert``,
the dry run, the on-wiki stop switch, the edit budget, bot exclusion on pages it posts to, and
edit-conflict safety. pywikibot underneath retries lag, rate limits and server errors a bounded
number of times and refreshes a stale token; the gateway turns what is left into plain errors.
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import mwparserfromhell

from bot.config import BotConfig
from bot.errors import (
    ApiFailure,
    BotExcluded,
    EditBudgetSpent,
    EditConflictUnresolved,
    StopSwitchOn,
    WikiUnavailable,
    load_json,
)
from bot.faults import note_on_stderr, one_line, retries, transient_reason
from bot.messages import Messages, site_messages

# GrowthExperiments and CommunityConfiguration modules, as paraminfo names them.
GE_MODULES = (
    "query+growthmentorlist",
    "query+growthmentormentee",
    "growthmanagementorlist",
    "growthsetmentor",
    "query+communityconfiguration",
    "query+globaluserinfo",  # CentralAuth: global locks
)
STOP_VALUES = ("", "run")
T = TypeVar("T")
HTML_RETRIES = 2
CONFLICT_ATTEMPTS = 3
Echo = Callable[[str], None]


@dataclass
class Counters:
    """What a run did, for the closing summary."""

    requests: int = 0
    writes: int = 0
    skipped_writes: int = 0  # writes a dry run did not send
    notices: int = 0
    errors: int = 0
    retries: int = 0  # requests sent again after a transient fault
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "writes": self.writes,
            "dry_run_writes": self.skipped_writes,
            "notices": self.notices,
            "errors": self.errors,
            "retries": self.retries,
            "seconds": round(time.monotonic() - self.started, 2),
        }


@dataclass(frozen=True)
class PageText:
    """A page as read: the text and the revision the next save is based on."""

    title: str
    text: str
    exists: bool
    revid: int = 0
    timestamp: str = ""
    contentmodel: str = "wikitext"


@dataclass(frozen=True)
class Capabilities:
    modules: frozenset[str]

    def has(self, module: str) -> bool:
        return module in self.modules


def bot_may_edit(text: str, username: str, notice_type: str | None = None) -> bool:
    """Apply the {{bots}}/{{nobots}} exclusion convention to a page's wikitext."""
    me = username.lower()
    for template in mwparserfromhell.parse(text).filter_templates():
        name = str(template.name).strip().lower()
        if name == "nobots":
            return False
        if name != "bots":
            continue
        for param in template.params:
            key = str(param.name).strip().lower()
            names = {n.strip().lower() for n in str(param.value).split(",")}
            if key == "allow":
                return bool(names & {me, "all"}) and "none" not in names
            if key == "deny" and (names & {me, "all"}):
                return False
            if key == "optout" and notice_type and (names & {notice_type.lower(), "all"}):
                return False
    return True


def appended(text: str, section: str) -> str:
    return (text.rstrip() + "\n\n" if text.strip() else "") + section


def notice_marker(*parts: object) -> str:
    """The hidden comment that marks one notice (or one entry of it) on a talk page, so it is posted once."""
    return f"<!-- mentorbot:{':'.join(map(str, parts))} -->"


class Gateway:
    """Reads and writes for one wiki, with the run's counters."""

    def __init__(self, site: Any, config: BotConfig, counters: Counters | None = None,
                 echo: Echo = print, lock_check: Callable[[], None] | None = None,
                 note: Echo | None = None) -> None:
        self.site = site
        self.config = config
        self.counters = counters or Counters()
        self.echo = echo
        self.note = note or note_on_stderr  # retries and the like
        self.lock_check = lock_check  # raises when the run's lock in the state store is lost
        self._capabilities: Capabilities | None = None
        self._messages: Messages | None = None

    @property
    def username(self) -> str:
        return str(self.site.user() or self.site.username() or "")

    # --- reading ------------------------------------------------------------------------

    def _submit(self, params: dict[str, Any], *, write: bool = False,
                expected_warnings: bool = False) -> dict[str, Any]:
        """One API request, retried a bounded number of times while the fault is transient.

        Transient: no answer, an answer that is not JSON (cut, or an HTML error page), a 5xx,
        maxlag, ratelimited, badtoken. A write is retried too: each kind of write the bot makes
        is safe to repeat (see ``save_page``, and the callers' read-backs of GE's modules).
        """
        params = {"formatversion": "2", **params}
        action = str(params.get("action", ""))
        for attempt in range(1, self.config.max_retries + 2):
            outcome = self._submit_once(params, write, expected_warnings)
            if isinstance(outcome, dict):
                return outcome
            if attempt > self.config.max_retries:
                raise WikiUnavailable(f"The wiki at {self.config.wiki_key} kept failing ({outcome}) through "
                                      f"{retries(self.config.max_retries)}; try again later.")
            self.counters.retries += 1
            wait = min(self.config.retry_wait * 2 ** (attempt - 1), self.config.retry_max)
            self.note(f"retrying {action or 'request'} in {wait:g} s ({attempt}/{self.config.max_retries}): "
                      f"{outcome}")
            if outcome == "the wiki answered badtoken":
                self.site.tokens.clear()  # fetched afresh on the next try
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _submit_once(self, params: dict[str, Any], write: bool, expected_warnings: bool) -> dict[str, Any] | str:
        """The answer, or why a retry may help; raises for a fault a retry would not mend."""
        from pywikibot.data import api
        from pywikibot.exceptions import APIError

        try:
            # The token is fetched here, inside the retried part: fetching it is a request too.
            request = api.Request(site=self.site, parameters={**params, "token": self.site.tokens["csrf"]}
                                  if write else dict(params), use_get=False)
            if write:
                # pywikibot knows only core write actions; make it throttle every write as one,
                # and set assert after it has put its own default in.
                request.write = True
                request["assert"] = self.config.assert_user
            if expected_warnings:
                request._warning_handler = lambda module, text: True
            result: dict[str, Any] = request.submit()
        except Exception as error:
            reason = transient_reason(error)
            if reason is not None:
                return reason
            if isinstance(error, APIError):  # the caller may handle it (an answer GE gives): not an error yet
                raise ApiFailure(error.code, error.info, str(params.get("action", ""))) from None
            raise
        return result

    def get(self, **params: Any) -> dict[str, Any]:
        """One read request; ``action`` defaults to ``query``."""
        params.setdefault("action", "query")
        return self._submit(params)

    def query_all(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a continued query, one response at a time."""
        params.setdefault("action", "query")
        cont: dict[str, Any] = {}
        while True:
            result = self._submit({**params, **cont})
            yield result
            if "continue" not in result:
                return
            cont = result["continue"]

    def read_pages(self, titles: list[str]) -> dict[str, PageText]:
        """Current text and revision of several pages: 50 titles a request, 500 for a bot."""
        pages: dict[str, PageText] = {}
        size = 500 if self.site.has_right("apihighlimits") else 50
        for start in range(0, len(titles), size):
            batch = titles[start:start + size]
            for result in self.query_all(prop="revisions", rvprop="ids|timestamp|content|contentmodel",
                                         rvslots="main", titles="|".join(batch)):
                normalized = {n["to"]: n["from"] for n in result["query"].get("normalized", [])}
                for page in result["query"].get("pages", []):
                    asked = normalized.get(page["title"], page["title"])
                    if page.get("missing") or page.get("invalid"):
                        pages[asked] = PageText(title=page["title"], text="", exists=False)
                    elif page.get("revisions"):  # pages left for the next part of a continued answer
                        revision = page["revisions"][0]
                        slot = revision["slots"]["main"]
                        pages[asked] = PageText(
                            title=page["title"], text=slot.get("content", ""), exists=True,
                            revid=int(revision["revid"]), timestamp=revision["timestamp"],
                            contentmodel=slot.get("contentmodel", "wikitext"),
                        )
        return pages

    def read_page(self, title: str) -> PageText:
        return self.read_pages([title])[title]

    def read_settings(self, title: str, parse: Callable[[str, str], T], default: T) -> T:
        """An on-wiki settings page, parsed (a page that breaks its schema is refused by the key at
        fault), or ``default`` while the page does not exist."""
        page = self.read_page(title)
        return parse(page.text, f"[[{page.title}]]") if page.exists else default

    def read_html(self, title: str, **params: str) -> str | None:
        """A page as index.php renders it (for what the API does not give), or None if it cannot be had.

        A 5xx, no answer or a page cut short (no closing ``</html>``) is retried like any request:
        a cut page would silently lack rows.
        """
        from pywikibot.comms import http

        url = self.site.base_url(self.site.path())
        # Few tries: a special page can fail for good (REL1_43's Special:ManageMentors answers 500 to a weight of 3).
        tries = min(self.config.max_retries, HTML_RETRIES)
        for attempt in range(1, tries + 2):
            try:
                response = http.fetch(url, params={"title": title, **params})
            except Exception as error:  # any failure is retried, then means: not readable here
                reason = one_line(error)
            else:
                if response.status_code == 200 and "</html>" in response.text[-500:]:
                    return str(response.text)
                if 400 <= response.status_code < 500:
                    return None
                reason = f"HTTP {response.status_code}" if response.status_code != 200 else "the page was cut short"
            if attempt > tries:
                return None
            self.counters.retries += 1
            wait = min(self.config.retry_wait * 2 ** (attempt - 1), self.config.retry_max)
            self.note(f"retrying {title} in {wait:g} s ({attempt}/{tries}): {reason}")
            time.sleep(wait)
        return None

    def capabilities(self) -> Capabilities:
        """Which GrowthExperiments modules this wiki has (paraminfo), asked once a run."""
        if self._capabilities is None:
            # A missing module is an expected answer here, not a warning worth printing.
            result = self._submit({"action": "paraminfo", "modules": "|".join(GE_MODULES)},
                                  expected_warnings=True)
            found = {m["path"] for m in result["paraminfo"].get("modules", [])}
            self._capabilities = Capabilities(frozenset(found))
        return self._capabilities

    def messages(self, overrides: dict[str, str] | None = None) -> Messages:
        """The texts for this wiki: its content language, MediaWiki's fallbacks, then English (asked once a run)."""
        if self._messages is None:
            general = self.get(meta="siteinfo", siprop="general")["query"]["general"]
            self._messages = site_messages(general)
        return self._messages.with_overrides(overrides or {})

    # --- guards -------------------------------------------------------------------------

    def stop_switch(self) -> str | None:
        """The stop page's text if it asks the bot to stop, else None."""
        title = self.config.stop_page_for(self.username)
        page = self.read_page(title)
        value = page.text.strip()
        if not page.exists or value.lower() in STOP_VALUES:
            return None
        return value

    def _before_write(self) -> bool:
        """True when the write may be sent; False in a dry run. Raises to stop the run."""
        if self.config.dry_run:
            self.counters.skipped_writes += 1
            return False
        if self.counters.writes >= self.config.max_writes:
            raise EditBudgetSpent(
                f"Stopped: the edit budget of {self.config.max_writes} writes for this run is spent."
            )
        if self.lock_check is not None:
            self.lock_check()
        self.stop_if_switched()
        return True

    def stop_if_switched(self) -> None:
        """Raise StopSwitchOn if the stop page asks the bot to stop (before each write, and as a task starts)."""
        stop = self.stop_switch()
        if stop is not None:
            title = self.config.stop_page_for(self.username)
            raise StopSwitchOn(f"Stopped by the stop switch on [[{title}]], which says: {' '.join(stop.split())!r}")

    # --- writing ------------------------------------------------------------------------

    def post(self, action: str, **params: Any) -> dict[str, Any] | None:
        """Send one write to any module. Returns the response, or None in a dry run."""
        return self._write({"action": action, **params})

    def _write(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The single place a write leaves the process (or, in a dry run, is only shown)."""
        if not self._before_write():
            shown = " ".join(f"{k}={v}" for k, v in params.items() if k != "text")
            self.echo(f"DRY RUN: would POST {shown}")
            return None
        result = self._submit(params, write=True)
        self.counters.writes += 1
        return result

    def save_page(self, page: PageText, text: str, summary: str, *, minor: bool = False,
                  check_exclusion: bool = True) -> dict[str, Any] | None:
        """Replace a page's text, based on the revision that was read.

        Returns the edit result (None in a dry run or when nothing changes). An edit conflict
        raises ApiFailure with code ``editconflict``; nothing is overwritten.
        """
        if text == page.text:
            return None
        if check_exclusion and page.exists and not bot_may_edit(page.text, self.username):
            raise BotExcluded(f"[[{page.title}]] excludes this bot with {{{{bots}}}}/{{{{nobots}}}}.")
        if self.config.dry_run:
            self.show_diff(page, text)
        params: dict[str, Any] = {"title": page.title, "text": text, "summary": summary}
        if page.exists:
            params.update(baserevid=page.revid, basetimestamp=page.timestamp, nocreate=1)
        else:
            params["createonly"] = 1
        if minor:
            params["minor"] = 1
        if self.config.assert_user == "bot":
            params["bot"] = 1
        return self._write({"action": "edit", **params})

    def add_section(self, title: str, heading: str, text: str, summary: str,
                    notice_type: str | None = None, marker: str | None = None,
                    page: PageText | None = None) -> bool:
        """Post a new section (a notice) to a page, honouring bot exclusion. False if excluded.

        The section is appended to the text as read and saved against that revision, so the save
        is safe to repeat: sent again after a lost answer it changes nothing (MediaWiki takes the
        bot's own save as no conflict, and the text is the same), and one that meets someone
        else's edit conflicts and is redone on the page as it is then; a reply is never lost. A
        ``marker`` (a hidden comment inside ``text``) already on the page means the notice is
        there (a lost answer, or a run that crashed before recording it): it is not posted twice.
        ``page`` is the page as read in a batch earlier in the run, to save a request.
        """
        section = f"== {heading} ==\n{text}"

        def settled(read: PageText) -> bool | None:
            """False if the page excludes the bot, True if the notice is on it already, else None."""
            if read.exists and not bot_may_edit(read.text, self.username, notice_type):
                self.echo(f"Skipped [[{title}]]: it excludes this bot.")
                return False
            return True if marker and marker in read.text else None

        if page is not None and (answer := settled(page)) is not None:
            return answer
        for _attempt in range(CONFLICT_ATTEMPTS):
            page = self.read_page(title)  # the base is read just before the save, never from earlier in the run
            if (answer := settled(page)) is not None:
                return answer
            try:
                saved = self.save_page(page, appended(page.text, section), summary, check_exclusion=False)
            except ApiFailure as failure:
                if failure.code not in ("editconflict", "articleexists"):
                    raise
                continue  # someone else saved meanwhile (or our lost save did): look again
            if saved is not None:
                self.counters.notices += 1
                self._restore_replaced(page, saved, section, summary)
            return True
        raise EditConflictUnresolved(f"[[{title}]] changed under the bot {CONFLICT_ATTEMPTS} times; "
                                     "the notice was not posted.")

    def _restore_replaced(self, page: PageText, saved: dict[str, Any], section: str, summary: str) -> None:
        """MediaWiki takes a save on top of the same account's own newer revision as no conflict; if
        another task of this bot saved the page between our read and our save, put its text back."""
        replaced = int(saved.get("edit", {}).get("oldrevid") or page.revid)
        if not page.exists or replaced == page.revid:
            return
        self.echo(f"[[{page.title}]] was saved by this bot's other task just before: keeping both.")
        current = self.read_page(page.title)
        self.save_page(current, appended(self.read_revision(replaced), section), summary, check_exclusion=False)

    def read_revision(self, revid: int) -> str:
        result = self.get(prop="revisions", revids=revid, rvprop="content", rvslots="main")
        return str(result["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"])

    def edit_json_page(self, title: str, change: Callable[[Any], Any], summary: str) -> bool:
        """Apply ``change`` (old document -> new document) to a JSON page without losing edits.

        On an edit conflict the page is read again and the change applied to what is there
        now, so a concurrent human edit is kept. MediaWiki cannot see a conflict between two
        saves in the same second; the save's ``oldrevid`` shows it, and the change is then
        redone on top of the other person's revision. Returns True if the page changed.
        """
        changed = False
        base_override: int | None = None
        for _attempt in range(CONFLICT_ATTEMPTS):
            page = self.read_page(title)
            text = self.read_revision(base_override) if base_override else page.text
            document = load_json(text, f"[[{title}]]", object_root=False) if page.exists else None
            new_document = change(document)
            if new_document is None or (new_document == document and base_override is None):
                return changed
            new_text = json.dumps(new_document, ensure_ascii=False, indent="\t")
            try:
                result = self.save_page(page, new_text, summary, check_exclusion=False)
            except ApiFailure as failure:
                if failure.code == "editconflict":
                    self.echo(f"Edit conflict on [[{title}]]: reading it again.")
                    continue
                raise
            changed = changed or result is not None or self.config.dry_run
            previous = int((result or {}).get("edit", {}).get("oldrevid") or page.revid)
            if result is None or previous == page.revid:
                return changed
            self.echo(f"[[{title}]] was saved by someone else just before the bot: redoing the change on top.")
            base_override = previous
        raise EditConflictUnresolved(
            f"[[{title}]] changed under the bot {CONFLICT_ATTEMPTS} times; nothing was overwritten."
        )

    def show_diff(self, page: PageText, text: str) -> None:
        diff = difflib.unified_diff(
            page.text.splitlines(), text.splitlines(),
            fromfile=f"{page.title} (current)", tofile=f"{page.title} (proposed)", lineterm="",
        )
        self.echo("\n".join(diff))
