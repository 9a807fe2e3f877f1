"""``mentorbot status``: what the scheduled runs did, read from the state store.

Per wiki and task: the last run, when it ended, its outcome and counts, and how many runs in a
row failed; the work still pending behind each cursor (how far behind the block log and the
account-creation log are read); and whether the on-wiki stop switch is on. It needs no login:
the store is the bot's own, and the stop page is read anonymously, so it also works while the
bot's account or the wiki has trouble (then the stop switch is shown as unknown, with the reason).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests

from bot import __version__
from bot.config import BotConfig
from bot.gateway import STOP_VALUES
from bot.state import StateStore, ago
from bot.timestamps import parse_iso


@dataclass(frozen=True)
class TaskStatus:
    wiki: str
    task: str
    finished_at: float
    outcome: str  # ok, stopped, error
    summary: dict[str, Any]
    failed_in_a_row: int

    def line(self, now: float) -> str:
        counts = ", ".join(f"{self.summary.get(key, 0)} {key}" for key in ("requests", "writes", "notices", "errors"))
        failing = f"; {self.failed_in_a_row} failed runs in a row" if self.failed_in_a_row > 1 else ""
        return f"{self.task:<20} {self.outcome:<8} {ago(now - self.finished_at):>10} ago  ({counts}){failing}"


def task_statuses(store: StateStore) -> list[TaskStatus]:
    """The newest run of every (wiki, task) the store has seen."""
    statuses = []
    for (wiki, task), runs in store.newest_runs().items():
        failed = 0
        for _finished, outcome, _summary in runs:
            if outcome != "error":
                break
            failed += 1
        finished, outcome, summary = runs[0]
        statuses.append(TaskStatus(wiki, task, finished, outcome, json.loads(summary), failed))
    return statuses


def parse_moment(value: str) -> float:
    return parse_iso(value).timestamp()


def pending_work(store: StateStore, wiki: str, now: float) -> list[str]:
    """How far behind each cursor is, in words."""
    lines = []
    blocks = store.get_cursor(wiki, "blocks")
    if blocks:
        lines.append(f"block log: read up to {blocks} ({ago(now - parse_moment(blocks))} behind)")
    registrations = store.get_cursor(wiki, "registrations")
    if registrations:
        try:
            position = json.loads(registrations)
            newest = str(position.get("newest", position.get("start", "")))
            parse_moment(newest)
        except (ValueError, AttributeError):
            return [*lines, f"account-creation log: the stored position is unreadable ({registrations[:80]!r})"]
        state = "fetch in progress, interrupted or running" if position.get("continue") else "read"
        lines.append(f"account-creation log: {state} up to {newest} ({ago(now - parse_moment(newest))} behind)")
    return lines


def stop_switch(config: BotConfig) -> str:
    """The stop page's state, read without logging in: off, ON (with its words), or unknown (why)."""
    if not config.api:
        return "unknown: only checked for a wiki given by --api"
    account = (config.username or "").split("@", 1)[0]
    if not account and not config.stop_page:
        return "unknown: no bot account configured"
    title = config.stop_page_for(account)
    try:
        response = requests.get(config.api, timeout=30, headers={"User-Agent": f"mentorbot/{__version__} (status)"},
                                params={"action": "query", "prop": "revisions", "rvprop": "content",
                                        "rvslots": "main", "titles": title, "format": "json", "formatversion": "2"})
        response.raise_for_status()
        page = response.json()["query"]["pages"][0]
    except (requests.RequestException, ValueError, KeyError, IndexError) as error:
        return f"unknown: [[{title}]] could not be read ({error})"
    text = "" if page.get("missing") else str(page["revisions"][0]["slots"]["main"]["content"]).strip()
    return f"off ([[{title}]])" if text.lower() in STOP_VALUES else f"ON: [[{title}]] says {text[:200]!r}"


def status_report(configs: list[BotConfig], store: StateStore, now: float | None = None) -> dict[str, Any]:
    """Every wiki with recorded runs, and every configured wiki, with its stop switch read."""
    now = now or time.time()
    wikis: dict[str, dict[str, Any]] = {}
    for status in task_statuses(store):
        entry = wikis.setdefault(status.wiki, {"tasks": []})
        entry["tasks"].append(status)
    for config in configs:
        wikis.setdefault(config.wiki_key, {"tasks": []})
    for wiki, entry in wikis.items():
        entry["pending"] = pending_work(store, wiki, now)
    for config in configs:
        wikis[config.wiki_key]["stop_switch"] = stop_switch(config)
    return wikis
