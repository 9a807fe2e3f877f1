"""mentorbot: keeps GrowthExperiments' mentorship healthy on a wiki.

Every command ends with one summary line (requests, writes, notices, errors, seconds); with
--json the whole output is one JSON object. The options above the commands work before or
after the command's name.

\b
Example:
  export MENTORBOT_USERNAME='MentorBot@mentorbot' MENTORBOT_PASSWORD=...
  mentorbot --api https://test.wikipedia.org/w/api.php mentors
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from bot.blocks import BlockNotifier
from bot.check import run_check
from bot.community import read_community_settings
from bot.config import REPORT_NAMES, BotConfig, wikis_report_wiki
from bot.errors import ConfigError, MentorBotError, NoWikiGiven
from bot.gateway import Gateway
from bot.history import (
    Events,
    Evidence,
    Inputs,
    Registrations,
    build_history,
    dump_observations,
    fetch_history_logs,
    fetch_mentor_list_history,
    resolve_names,
    snapshot_observations,
    stored_events,
    write_history,
)
from bot.mentors import read_mentor_list
from bot.messages import Text
from bot.reports import cell_text, publish
from bot.reports.coverage import (
    UserFlags,
    coverage_report,
    fetch_registrations,
    indefinitely_blocked,
    read_registration_file,
    read_states_file,
    registration_batches,
)
from bot.reports.dashboard import mentor_dashboard
from bot.reports.graduation import (
    GraduationResult,
    GraduationSettings,
    graduation_report,
    read_report_settings,
    send_invitations,
)
from bot.reports.wikis import TASK, read_wiki_state, unreachable_state, wikis_report
from bot.rules import parse_rules
from bot.runner import GlobalOptions, Progress, TaskOutcome, execute, exit_on_error
from bot.site import connect
from bot.snapshot import snapshot_from_api, snapshot_from_dump
from bot.state import StateStore
from bot.status import status_report
from bot.sweep import Decision, run_sweep
from bot.transfer import export_state, import_state
from bot.words import counted

# The group's options: those that take a value, and flags. Each is accepted after the command too.
GLOBAL_VALUE_OPTIONS = ("--api", "--wiki", "--config", "--log")
GLOBAL_FLAGS = ("--dry-run", "--json", "--all-wikis")


def hoist_global_options(args: list[str], commands: set[str]) -> list[str]:
    """``mentorbot sweep --dry-run`` as ``mentorbot --dry-run sweep``: the group's options moved before the command."""
    position = next((index for index, arg in enumerate(args) if arg in commands), None)
    if position is None:
        return args
    before, command, after = args[:position], args[position], args[position + 1:]
    moved: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(after):
        arg = after[index]
        if arg == "--":
            rest += after[index:]
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS or (name in GLOBAL_VALUE_OPTIONS and "=" in arg):
            moved.append(arg)
        elif arg in GLOBAL_VALUE_OPTIONS and index + 1 < len(after):
            moved += after[index:index + 2]
            index += 1
        else:
            rest.append(arg)
        index += 1
    return [*before, *moved, command, *rest]


class TaskGroup(click.Group):
    """The commands in the order an operator meets them, and the group's options accepted anywhere."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args, set(self.commands)))


@click.group(cls=TaskGroup, help=__doc__, context_settings={"max_content_width": 120})
@click.option("--api", metavar="URL", help="The wiki's api.php URL; needs no family file.")
@click.option("--wiki", metavar="CODE", help="A pywikibot family:code, e.g. wikipedia:ko.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              envvar="MENTORBOT_CONFIG", help="The bot's TOML config file.")
@click.option("--dry-run", is_flag=True, help="Send no write of any kind; show what would change.")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON object.")
@click.option("--all-wikis", is_flag=True, help="Run the task on every wiki of the config file, in turn.")
@click.option("--log", "log_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON object per line (wiki, task, event, decision, reason, counts).")
@click.version_option(package_name="mentorbot")
@click.pass_context
def cli(ctx: click.Context, api: str | None, wiki: str | None, config_path: Path | None,
        dry_run: bool, json_output: bool, all_wikis: bool, log_format: str) -> None:
    if api and wiki:
        raise click.UsageError("--api and --wiki both name the wiki: give one.")
    if all_wikis and (api or wiki):
        raise click.UsageError("--all-wikis takes the wikis from the config file; leave out --api and --wiki.")
    if json_output and log_format == "json":
        raise click.UsageError("--json prints one document at the end, --log json a line per event: choose one.")
    ctx.obj = GlobalOptions(api, wiki, config_path, dry_run, json_output, all_wikis, log_format == "json")


@cli.command(short_help="Can the bot account do its work here?")
@click.pass_obj
def check(options: GlobalOptions) -> None:
    """Check login, rights, GrowthExperiments modules, community settings and the stop switch."""

    def body(gateway: Gateway, _store: StateStore | None) -> TaskOutcome:
        report = run_check(gateway)
        lines = report.fact_lines()
        lines += [f"found: {behaviour}" for behaviour in report.facts.get("behaviours", [])]
        lines += [f"note: {note}" for note in report.notes]
        lines += [f"problem: {problem}" for problem in report.problems]
        if not report.problems:
            lines.append("No problems found.")
        data = {"facts": report.facts, "problems": report.problems, "notes": report.notes}
        if report.problems:
            count = len(report.problems)
            return TaskOutcome(data, lines, exit_code=1, status=f"{count} problem{'s' if count != 1 else ''} found")
        return TaskOutcome(data, lines)

    sys.exit(execute(options, "check", body, lock=False))


@cli.command(short_help="Read, check and print the mentor list.")
@click.option("--source", type=click.Choice(["auto", "api", "page"]), default="auto", show_default=True,
              help="Who is a mentor: MediaWiki:GrowthMentors.json (page), list=growthmentorlist (api, cached by "
                   "GrowthExperiments), or the page compared with the module (auto).")
@click.pass_obj
def mentors(options: GlobalOptions, source: str) -> None:
    """Read the mentor list as GrowthExperiments reads it, print it and warn of anything unusual in it."""

    def body(gateway: Gateway, _store: StateStore | None) -> TaskOutcome:
        mentor_list = read_mentor_list(gateway, source)
        rows = [("name", "id", "weight", "away until", "message")]
        for m in mentor_list.mentors:
            away = ("blocked or locked" if m.away_blocked
                    else m.away_until.strftime("%Y-%m-%d %H:%M") if m.away_until else "")
            message = (m.message or "").replace("\n", " ")
            rows.append((m.username, str(m.user_id), str(m.weight), away,
                         message[:57] + "..." if len(message) > 60 else message))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip()
                 for row in rows]
        lines.append(f"{len(mentor_list.mentors)} mentors, read from the "
                     + ("GrowthExperiments module" if mentor_list.source == "api" else "JSON page"))
        lines.extend(f"note: {note}" for note in mentor_list.notes())
        lines.extend(f"warning: {anomaly}" for anomaly in mentor_list.anomalies)
        data = {"source": mentor_list.source, "away_source": mentor_list.away_source,
                "served_not_listed": list(mentor_list.served_not_listed),
                "listed_not_served": list(mentor_list.listed_not_served),
                "mentors": [m.to_json() for m in mentor_list.mentors],
                "anomalies": [str(anomaly) for anomaly in mentor_list.anomalies]}
        return TaskOutcome(data, lines)

    sys.exit(execute(options, "mentors", body))


@cli.command(short_help="Warn, mark away or remove inactive mentors.")
@click.option("--force", is_flag=True, help="Act even if the circuit breaker would stop the run.")
@click.pass_obj
def sweep(options: GlobalOptions, force: bool) -> None:
    """Warn, mark away or remove inactive mentors by the rules page the wiki wrote."""

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        assert store is not None
        rules_page = gateway.read_page(gateway.config.rules_page)
        if not rules_page.exists:
            raise MentorBotError(f"The rules page [[{gateway.config.rules_page}]] does not exist: write it first "
                              "(see the README for its format), or set rules_page in the config.")
        rules = parse_rules(rules_page.text, f"[[{rules_page.title}]]")
        settings = read_community_settings(gateway)
        mentor_list = read_mentor_list(gateway)

        def show(decisions: list[Decision]) -> None:
            for decision in decisions:
                if decision.action != "none":
                    options.decision(decision)

        result = run_sweep(gateway, store, rules, mentor_list, settings, force=force,
                           on_decisions=show)
        refused = {(mentor, action) for mentor, action, _reason in [*result.refused, *result.postponed]}
        counts = Counter(d.action for d in result.decisions if (d.mentor.username, d.action) not in refused)
        lines = [f"note: {note}" for note in result.notes]
        lines += [f"moved {mentee}: {old} -> {new}" for mentee, old, new in result.moved]
        lines += [f"refused: {action} {mentor}: {reason}" for mentor, action, reason in result.refused]
        lines += [f"postponed: {action} {mentor}: {reason}; the next run does it"
                  for mentor, action, reason in result.postponed]
        lines.append(f"{len(result.decisions)} mentors: {counts['warn']} warned, {counts['away']} marked away, "
                     f"{counts['remove']} removed, {len(result.moved)} mentees moved, "
                     f"{len(result.refused)} refused by the wiki, {counts['none']} left alone")
        data = {
            "decisions": [{"mentor": d.mentor.username, "user_id": d.mentor.user_id, "action": d.action,
                           "reason": d.explanation, "rule": str(d.rule) if d.rule else None, "days": d.days,
                           "lapse_start": d.lapse_start,
                           "away_until": d.away_until.isoformat() if d.away_until else None,
                           "next_stage": d.next_stage or None,
                           "next_date": d.next_date.isoformat() if d.next_date else None}
                          for d in result.decisions],
            "moved": [{"mentee": m, "from": old, "to": new} for m, old, new in result.moved],
            "refused": [{"mentor": m, "action": action, "reason": reason} for m, action, reason in result.refused],
            "notes": result.notes,
            "postponed": [{"mentor": m, "action": action, "reason": reason} for m, action, reason in result.postponed],
        }
        if result.postponed:  # not done: a scheduler should see it, and the next run finishes it
            return TaskOutcome(data, lines, exit_code=1,
                               status=f"{counted(len(result.postponed), 'step')} postponed")
        return TaskOutcome(data, lines)

    sys.exit(execute(options, "sweep", body, writes=True))


@cli.command(short_help="Record who mentors whom, keeping history.")
@click.option("--dump", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Read Wikimedia's weekly growthexperiments_mentor_mentee dump (.sql.gz) instead of the API.")
@click.pass_obj
def snapshot(options: GlobalOptions, dump: Path | None) -> None:
    """Record who mentors whom now, keeping every earlier pair as history."""

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        assert store is not None
        result = snapshot_from_dump(gateway, store, dump) if dump else snapshot_from_api(gateway, store)
        line = f"{result.pairs} pairs recorded from the {'dump' if dump else 'API'}, {result.mentors} mentors"
        if dump:
            line += f", {result.names_resolved} names looked up"
        return TaskOutcome({"source": result.source, "pairs": result.pairs, "mentors": result.mentors}, [line])

    sys.exit(execute(options, "snapshot", body))


@cli.command(short_help="Tell mentors of blocked mentees; restore after.")
@click.pass_obj
def blocks(options: GlobalOptions) -> None:
    """Tell mentors about blocks of their mentees; restore the mentor after an indefinite block ends."""

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        assert store is not None
        result = BlockNotifier(gateway, store, gateway.config.blocks_page).run()
        if result.started:
            lines = ["First run: the block log will be read from now on."]
        else:
            lines = [f"notice to {who}: log ids {', '.join(map(str, ids))}" for who, ids in result.posted.items()]
            lines += [f"restored {mentee}'s mentor {mentor}" for mentee, mentor in result.restored]
            lines += [f"skipped {reason}" for reason in result.skipped]
            lines.append(f"{counted(result.events, 'new block-log entry', 'new block-log entries')}, "
                         f"{counted(len(result.posted), 'mentor')} told, "
                         f"{counted(len(result.restored), 'mentor')} restored")
        data = {"started": result.started, "events": result.events, "posted": result.posted,
                "restored": result.restored, "skipped": result.skipped}
        return TaskOutcome(data, lines)

    sys.exit(execute(options, "blocks", body, writes=True))


@cli.command(short_help="Publish a report (mentors, graduation, coverage).")
@click.argument("name", type=click.Choice(REPORT_NAMES))
@click.option("--page", metavar="TITLE", help="Publish on this page instead of the configured one.")
@click.option("--output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for NAME.csv and NAME.png (default: 'reports' beside the state store).")
@click.option("--dump", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="coverage, mentors: mentor rows from the weekly growthexperiments_mentor_mentee dump (.sql.gz).")
@click.option("--registrations", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="coverage: registrations from a CSV file instead of the account-creation log.")
@click.option("--states", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="coverage: a released table of mentorship states per user (CSV user_id,state).")
@click.option("--invite", is_flag=True, help="graduation: invite mentees who newly meet the thresholds to mentor.")
@click.pass_obj
def report(options: GlobalOptions, name: str, page: str | None, output: Path | None, dump: Path | None,
           registrations: Path | None, states: Path | None, invite: bool) -> None:
    """Publish a report (mentors, graduation, coverage) on the wiki and as files."""
    if name != "coverage" and (registrations or states):
        raise click.UsageError("--registrations and --states belong to the coverage report.")
    if name == "graduation" and dump:
        raise click.UsageError("--dump belongs to the coverage and mentors reports.")
    if name != "graduation" and invite:
        raise click.UsageError("--invite belongs to the graduation report.")
    if name == "wikis":
        if dump:
            raise click.UsageError("--dump belongs to the coverage and mentors reports.")
        sys.exit(report_wikis(options, page, output))

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        assert store is not None
        config = gateway.config
        lines: list[str] = []
        data: dict[str, Any] = {}
        graduation: GraduationResult | None = None
        own = GraduationSettings()
        if name == "mentors":
            rules = gateway.read_settings(config.rules_page, parse_rules, None)
            built = mentor_dashboard(gateway, store, read_mentor_list(gateway), rules,
                                     read_community_settings(gateway), dump=dump)
        elif name == "graduation":
            own = read_report_settings(gateway)
            graduation = graduation_report(gateway, store, list(read_mentor_list(gateway).mentors),
                                           read_community_settings(gateway), own)
            built = graduation.report
        else:
            if registrations is not None:
                source, rows = (Text("mentorbot-coverage-accounts-file", registrations.name),
                                read_registration_file(registrations))
            else:
                since = datetime.strptime(config.registrations_since, "%Y-%m-%d").replace(tzinfo=UTC)
                progress = Progress(options.say, terminal=sys.stdout.isatty() and not (
                    options.json_output or options.log_json))
                fetched = fetch_registrations(gateway, store, since, progress)
                progress.done()
                entries = counted(fetched, "new account-creation log entry", "new account-creation log entries")
                lines.append(f"{entries} stored")
                source = Text("mentorbot-coverage-accounts-log", config.registrations_since)
                rows = registration_batches(store.registration_pages(config.wiki_key))
            built = coverage_report(rows, source, dump=dump, store=store, wiki=config.wiki_key, states=states,
                                    blocked=indefinitely_blocked(gateway))
        title = page or config.report_page_for(name, gateway.username)
        published = publish(gateway, built, title, output or config.report_output, overrides=own.messages)
        lines += built.lines
        lines += [f"{label}: {cell_text(value)}" for label, value in built.totals]
        lines += [f"wrote {path}" for path in published.files]
        lines.append(f"[[{published.page}]] " + ("unchanged" if not published.page_changed else
                                                  "updated" if not config.dry_run else "not saved: dry run"))
        if graduation is not None and invite:
            lines += invite_graduates(gateway, store, graduation, own)
            data["invited"] = graduation.invited
        data.update({"report": name, "page": published.page, "page_changed": published.page_changed,
                     "files": [str(p) for p in published.files], **built.as_json()})
        return TaskOutcome(data, lines)

    sys.exit(execute(options, f"report-{name}", body, writes=True))


def report_wikis(options: GlobalOptions, page: str | None, output: Path | None) -> int:
    """One table of every configured wiki (or of the one given), published on one wiki."""
    with exit_on_error():
        if options.all_wikis:
            wikis = options.load_all()
            target = wikis_report_wiki(options.config_path, wikis, dry_run=options.dry_run or None)
            if len({(config.state_url, config.state_path) for _name, config in wikis} | {
                    (target.state_url, target.state_path)}) > 1:
                raise ConfigError("report wikis reads every wiki's runs from one state store: set state_url or "
                                  "state_path once for all the wikis.")
        else:
            target = options.load()
            wikis = [(urlsplit(target.api).netloc if target.api else target.wiki_key, target)]

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        assert store is not None
        states = []
        for name, config in wikis:
            try:  # the wiki published on is read through its own session
                reader = gateway if config.wiki_key == gateway.config.wiki_key else Gateway(
                    connect(config, gateway.counters, TASK, note=options.retry), config, gateway.counters,
                    echo=options.say, note=options.retry)
                states.append(read_wiki_state(name, reader, store))
            except MentorBotError as error:
                states.append(unreachable_state(name, config.wiki_key, store, str(error)))
        built = wikis_report(states)
        title = page or gateway.config.report_page_for("wikis", gateway.username)
        published = publish(gateway, built, title, output or gateway.config.report_output)
        lines = [*built.lines, *(f"{label}: {cell_text(value)}" for label, value in built.totals)]
        lines += [f"wrote {path}" for path in published.files]
        lines.append(f"[[{published.page}]] " + ("unchanged" if not published.page_changed else
                                                  "updated" if not gateway.config.dry_run else "not saved: dry run"))
        data = {"report": "wikis", "page": published.page, "page_changed": published.page_changed,
                "files": [str(p) for p in published.files],
                "requests": {state.name: state.requests for state in states}, **built.as_json()}
        return TaskOutcome(data, lines)

    return execute(options, TASK, body, writes=True, config=target)


def invite_graduates(gateway: Gateway, store: StateStore, graduation: GraduationResult,
                     own: GraduationSettings) -> list[str]:
    if not own.invite:
        return [f"note: no invitations: the wiki has not turned them on (graduation.invite in "
                f"[[{gateway.config.reports_page}]])."]
    send_invitations(gateway, store, graduation, own)
    if graduation.first_invite_run:
        return [f"First run with --invite: the {len(graduation.graduating)} mentees who already meet the "
                "thresholds are recorded and not invited; mentees who meet them from now on will be."]
    lines = [f"invited {name}" for name in graduation.invited]
    lines += [f"not invited {name}: their talk page excludes this bot" for name in graduation.skipped]
    return [*lines, f"{counted(len(graduation.invited), 'mentee')} invited to become mentors"]


@cli.command(short_help="When each mentee got each mentor: a dataset for research.")
@click.option("--dumps", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A folder of weekly growthexperiments_mentor_mentee dumps (.sql.gz), dated by their file names.")
@click.option("--states", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A released table of mentorship states per user (CSV user_id,state).")
@click.option("--output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for intervals.csv.gz, monthly.csv.gz, mentors.csv.gz and methods.md (default: 'history' "
                   "beside the reports; with --all-wikis a folder a wiki in it).")
@click.pass_obj
def history(options: GlobalOptions, dumps: Path | None, states: Path | None, output: Path | None) -> None:
    """Join the dumps, the bot's snapshots and the public logs into intervals of who mentored whom.

    Without a wiki (no --api, --wiki or config), only the dumps are read. With one, the account-creation,
    growthexperiments and block logs are fetched into the state store first (anonymously when no
    account is configured), a page at a time with a cursor that survives interruption.
    """
    progress = Progress(options.say, terminal=sys.stdout.isatty() and not (options.json_output or options.log_json))

    def run(gateway: Gateway | None, store: StateStore | None, folder: Path) -> TaskOutcome:
        evidence, inputs, lines = Evidence(), Inputs(), []
        observations = inputs.dumps = dump_observations(dumps) if dumps else []
        registrations: Callable[[], Registrations] = Registrations.empty
        changes, blocks = Events.of([]), Events.of([])
        if gateway is not None and store is not None:
            wiki, since = gateway.config.wiki_key, gateway.config.registrations_since
            start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
            new = fetch_registrations(gateway, store, start, progress) + fetch_history_logs(gateway, store, start,
                                                                                            progress)
            progress.done()
            asked = resolve_names(gateway, store)
            revisions = fetch_mentor_list_history(gateway, store)
            lines.append(f"{counted(new, 'new log entry', 'new log entries')} stored, "
                         f"{counted(asked, 'name')} looked up, "
                         f"{counted(revisions, 'new revision')} of the mentor list stored")
            inputs.mentor_list = store.mentor_list_revisions(wiki)
            inputs.snapshots = snapshot_observations(store, wiki)
            observations = [*observations, *inputs.snapshots]
            registrations = partial(Registrations.from_store, store, wiki)
            changes, blocks, inputs.unusable = stored_events(store, wiki, gateway.username or None, evidence)
            inputs.logs_since = since
        flags = None
        if states is not None:
            flags = UserFlags()
            inputs.states = read_states_file(flags, states)
        built = build_history(observations, registrations, changes, blocks, evidence, inputs, flags, progress)
        progress.done()
        files = write_history(built, folder)
        lines += [f"{len(built.intervals)} intervals from {counted(len(observations), 'observation')}",
                  *(f"{what}: {count}" for what, count in built.exact.items()),
                  *(f"wrote {path}" for path in files)]
        return TaskOutcome({"intervals": len(built.intervals), "observations": [o.label for o in observations],
                            "exact": built.exact, "files": [str(path) for path in files]}, lines)

    if options.all_wikis and dumps:
        raise click.UsageError("--dumps holds one wiki's dumps: give that wiki with --api or --wiki, not --all-wikis.")
    try:
        if not options.all_wikis:
            options.load()
    except NoWikiGiven:  # a researcher with a folder of dumps and nothing else
        started = time.monotonic()
        with exit_on_error():
            outcome = run(None, None, output or BotConfig().report_output.parent / "history")
        if options.json_output:
            click.echo(json.dumps({"result": outcome.data}, indent=2))
        else:
            for line in outcome.lines:
                click.echo(line)
            click.echo(f"mentorbot history: ok; 0 requests, {time.monotonic() - started:.2f} s")
        return
    except MentorBotError:
        pass  # execute says it, as for every task

    def body(gateway: Gateway, store: StateStore | None) -> TaskOutcome:
        folder = output or gateway.config.report_output.parent / "history"
        config = gateway.config
        if options.all_wikis:  # a folder a wiki, named by its host (or family:code)
            folder = folder / (urlsplit(config.api).netloc if config.api else config.wiki_key.replace(":", "-"))
        return run(gateway, store, folder)

    sys.exit(execute(options, "history", body, login_optional=True))


@cli.command(short_help="The last runs, pending work, the stop switch.")
@click.pass_obj
def status(options: GlobalOptions) -> None:
    """Per wiki and task: the last run and its outcome, pending work, and the stop switch. No login.

    With --all-wikis, the stop switch of every wiki in the config file is read.
    """
    with exit_on_error():
        configs, store = options.load_with_store()
    now = time.time()
    wikis = status_report(configs, store, now)
    contents = store.contents()
    store.close()
    failing = sorted({f"{wiki} {t.task}" for wiki, entry in wikis.items() for t in entry["tasks"]
                      if t.outcome == "error"})
    if options.json_output:
        click.echo(json.dumps({"result": {wiki: {
            "tasks": [{"task": t.task, "outcome": t.outcome, "finished_at": t.finished_at, "summary": t.summary,
                       "failed_in_a_row": t.failed_in_a_row} for t in entry["tasks"]],
            "pending": entry["pending"], "stop_switch": entry.get("stop_switch")} for wiki, entry in wikis.items()},
            "summary": {"task": "status", "wikis": len(wikis), "failing": failing, "store": contents.description,
                        "first_run": contents.first_run, "rows": contents.rows}},
            indent=2, ensure_ascii=False))
        return
    click.echo(f"state store: {contents.sentence(now)}")
    for wiki, entry in wikis.items():
        click.echo(f"{wiki}")
        if not entry["tasks"]:
            click.echo("  no runs recorded yet")
        for task in entry["tasks"]:
            click.echo(f"  {task.line(now)}")
        for line in entry["pending"]:
            click.echo(f"  pending: {line}")
        if "stop_switch" in entry:
            click.echo(f"  stop switch: {entry['stop_switch']}")
    click.echo(f"mentorbot status: {counted(len(wikis), 'wiki')}; "
               + (f"last run failed: {', '.join(failing)}" if failing else "no task's last run failed"))


@cli.group(short_help="Export or import the state store.")
def state() -> None:
    """Move the state store to another place or database: export it to one file, import it back."""


@state.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def state_export(options: GlobalOptions, path: Path) -> None:
    """Write every table of the state store to PATH (JSON lines; gzip'd if it ends in .gz)."""
    with exit_on_error():
        counts = export_state(options.load_with_store()[1], path)
    click.echo(f"exported {sum(counts.values())} rows of {len(counts)} tables to {path}")


@state.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_obj
def state_import(options: GlobalOptions, path: Path) -> None:
    """Read a file written by `state export` into an empty state store, all or nothing."""
    with exit_on_error():
        store = options.load_with_store()[1]
        counts = import_state(store, path)
    click.echo(f"imported {sum(counts.values())} rows of {len(counts)} tables into {store.description}")


for _command in cli.commands.values():
    _command.epilog = "Options of mentorbot itself (--api, --dry-run, --json...) work here too."


def main() -> None:
    # pywikibot recommends a password file for BotPasswords; environment credentials are deliberate.
    warnings.filterwarnings("ignore", message="When using BotPasswords")
    cli(prog_name="mentorbot")
