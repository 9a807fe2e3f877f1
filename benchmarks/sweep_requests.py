"""API requests per mentor for a full dry-run sweep of 1,000 mentors, against a baseline.

Starts a local test wiki, seeds it with 1,000 mentors of mixed activity straight into its
database (``benchmarks.seed``; not part of the figure), then runs, in the same process:

* the bot's dry-run sweep with the last-edit rule and with Korean Wikipedia's rule (at least
  20 content and 10 talk edits in 90 days), counting every HTTP request, and
* the one-request-per-mentor baseline that existing bots use (``list=usercontribs`` for one
  user at a time, paging as needed), which must reach the same facts.

Run from the repository root: ``.venv/bin/python -m benchmarks.sweep_requests [--count N]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.seed import SeededMentor, seed_mentors
from bot.activity import parse_time
from bot.community import read_community_settings
from bot.config import BotConfig
from bot.gateway import Counters, Gateway
from bot.mentors import read_mentor_list
from bot.rules import parse_rules
from bot.site import connect
from bot.state import StateStore
from bot.sweep import run_sweep
from scripts import devwiki

WARN_AFTER_DAYS = 10
RULES: dict[str, dict[str, Any]] = {
    "last-edit": {"activity": {"measure": "last-edit"}, "warn_after_days": WARN_AFTER_DAYS, "away_after_days": 14,
                  "remove_after_days": 60, "max_action_share": 1},
    "korean": {"activity": {"measure": "edits-in-window", "window_days": 90,
                            "min_edits": {"content": 20, "talk": 10}},
               "remove_after_days": 60, "max_action_share": 1,
               "namespace_groups": {"content": [0], "talk": [1, 3]}},
}
TARGETS = {"last-edit": 0.02, "korean": 0.05}


def gateway_for(info: dict[str, Any], workdir: Path) -> Gateway:
    config = BotConfig(api=str(info["api"]), username=str(info["bot_user"]), password=str(info["bot_password"]),
                       state_path=workdir / "state.sqlite", pywikibot_dir=workdir / "pywikibot",
                       edit_interval=0, dry_run=True)
    counters = Counters()
    return Gateway(connect(config, counters), config, counters, echo=lambda _line: None)


def bot_sweep(gateway: Gateway, store: StateStore, name: str) -> tuple[int, set[str]]:
    """Requests spent by one full dry-run sweep, and the mentors it found failing the rule."""
    rules = parse_rules(json.dumps(RULES[name]), f"benchmark rules ({name})")
    before = gateway.counters.requests
    result = run_sweep(gateway, store, rules, read_mentor_list(gateway), read_community_settings(gateway), force=True)
    # Failing a count rule for the first time starts its clock at 0 days: no action yet, but a reason.
    failing = {d.mentor.username for d in result.decisions if d.action != "none" or str(d.reason).startswith("only ")}
    return gateway.counters.requests - before, failing


def baseline(gateway: Gateway, name: str, mentors: list[SeededMentor]) -> tuple[int, set[str]]:
    """One user per request, as existing bots do; returns the mentors failing the rule."""
    before = gateway.counters.requests
    failing = set()
    now = datetime.now(UTC)
    for mentor in mentors:
        if name == "last-edit":
            result = gateway.get(list="usercontribs", ucuser=mentor.name, uclimit=1, ucprop="timestamp")
            contributions = result["query"]["usercontribs"]
            last = parse_time(contributions[0]["timestamp"]) if contributions else mentor.registration
            if now - last >= timedelta(days=WARN_AFTER_DAYS):
                failing.add(mentor.name)
        else:
            counts = {"content": 0, "talk": 0}
            for result in gateway.query_all(list="usercontribs", ucuser=mentor.name, uclimit="max", ucprop="title",
                                            ucnamespace="0|1|3",
                                            ucend=(now - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")):
                for contribution in result["query"]["usercontribs"]:
                    counts["content" if contribution["ns"] == 0 else "talk"] += 1
            if counts["content"] < 20 or counts["talk"] < 10:
                failing.add(mentor.name)
    return gateway.counters.requests - before, failing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="mentorbot-bench-"))
    info = devwiki.up(str(workdir / "wiki"), None)
    try:
        seeded = seed_mentors(workdir / "wiki", args.count, api=str(info["api"]))
        gateway = gateway_for(info, workdir)
        store = StateStore(workdir / "state.sqlite")
        print(f"{len(seeded)} mentors seeded; dry-run sweeps, requests counted per mentor\n")
        print(f"{'rule':<10} {'bot':>8} {'per mentor':>11} {'baseline':>9} {'per mentor':>11} "
              f"{'ratio':>7} {'target':>7}")
        for name in RULES:
            spent, failing = bot_sweep(gateway, store, name)
            base_spent, base_failing = baseline(gateway, name, seeded)
            per_mentor, base_per_mentor = spent / len(seeded), base_spent / len(seeded)
            verdict = "ok" if per_mentor <= TARGETS[name] else "MISSED"
            print(f"{name:<10} {spent:>8} {per_mentor:>11.4f} {base_spent:>9} {base_per_mentor:>11.4f} "
                  f"{base_per_mentor / per_mentor:>6.0f}x {TARGETS[name]:>7} {verdict}")
            agree = "the same mentors" if failing == base_failing else f"DIFFERENT mentors ({len(base_failing)})"
            print(f"{'':<10} {len(failing)} mentors fail the rule; the baseline finds {agree}")
    finally:
        devwiki.down(str(info["dir"]))
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
