"""The run harness every command goes through: options, one task on one wiki or on each configured
wiki in turn, the run lock, the summary line, exit codes, progress lines, and the run recorded.

The click commands in ``bot.cli`` stay thin: each builds a task body and hands it to :func:`execute`.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bot.config import BotConfig, load_config, load_wiki_configs
from bot.errors import ConfigError, MentorBotError, StopRun
from bot.gateway import Counters, Gateway
from bot.site import connect
from bot.state import StateStore, open_store
from bot.sweep import Decision
from bot.timestamps import iso
from bot.words import counted


@dataclass
class TaskOutcome:
    """What a task hands back to the command line: data for --json, lines for people."""

    data: Any
    lines: list[str] = field(default_factory=list)
    exit_code: int = 0
    status: str = "ok"  # the summary line's word for how it went ("problems found" for a failed check)


@dataclass
class GlobalOptions:
    api: str | None
    wiki: str | None
    config_path: Path | None
    dry_run: bool
    json_output: bool
    all_wikis: bool = False
    log_json: bool = False  # one JSON object per line, for log collectors
    where: dict[str, str] = field(default_factory=dict)  # the wiki and task being run, for log lines

    def load(self) -> BotConfig:
        return load_config(self.config_path, api=self.api, wiki=self.wiki, dry_run=self.dry_run or None)

    def load_all(self) -> list[tuple[str, BotConfig]]:
        return load_wiki_configs(self.config_path, dry_run=self.dry_run or None)

    def load_with_store(self) -> tuple[list[BotConfig], StateStore]:
        """The wiki given (or, with --all-wikis, the config's wikis) and the state store they share."""
        configs = [config for _name, config in self.load_all()] if self.all_wikis else [self.load()]
        stores = {(config.state_url, config.state_path) for config in configs}
        if len(stores) > 1:
            raise ConfigError("These wikis keep their state in different stores; give one wiki with --api "
                              "for each, or set state_url / state_path once for all.")
        return configs, open_store(configs[0])

    def say(self, text: str) -> None:
        """Progress and dry-run lines: stdout for people, stderr when stdout carries JSON."""
        if self.log_json:
            self.emit("message", text=text)
        else:
            click.echo(text, err=self.json_output)

    def emit(self, event: str, **fields: Any) -> None:
        """One structured log line: when, which wiki and task, what happened."""
        moment = iso(datetime.now(UTC))
        click.echo(json.dumps({"time": moment, **self.where, "event": event, **fields}, default=str,
                              ensure_ascii=False))

    def retry(self, text: str) -> None:
        """A fault the bot handled (a retry): one line on stderr, or one JSON event."""
        if self.log_json:
            self.emit("retry", text=text)
        else:
            click.echo(f"note: {text}", err=True)

    def decision(self, decision: Decision) -> None:
        if self.log_json:
            self.emit("decision", mentor=decision.mentor.username, action=decision.action,
                      reason=decision.explanation, rule=str(decision.rule) if decision.rule else None,
                      days=decision.days, next_stage=decision.next_stage or None,
                      next_date=decision.next_date.isoformat() if decision.next_date else None)
        else:
            self.say(decision.line())


class Progress:
    """How far a long fetch got: one line rewritten in place on a terminal, else a line a minute.

    Scheduled jobs write to log files, where a line per page of a fetch of millions would drown
    everything else.
    """

    def __init__(self, say: Callable[[str], None], terminal: bool, every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.say = say
        self.terminal = terminal
        self.every = every
        self.clock = clock
        self.last: float | None = None
        self.width = 0

    def __call__(self, text: str) -> None:
        if self.terminal:
            click.echo("\r" + text.ljust(self.width), nl=False)
            self.width = len(text)
            return
        now = self.clock()
        if self.last is None or now - self.last >= self.every:
            self.say(text)
            self.last = now

    def done(self) -> None:
        if self.terminal and self.width:
            click.echo()
            self.width = 0


@dataclass
class RunResult:
    task: str
    status: str  # ok, stopped, error
    exit_code: int
    message: str
    summary: dict[str, Any]
    outcome: TaskOutcome | None

    def document(self) -> dict[str, Any]:
        document = {"result": self.outcome.data if self.outcome else None, "summary": self.summary}
        if self.message:
            document["message"] = self.message
        return document


def run_task(options: GlobalOptions, task: str, body: Callable[[Gateway, StateStore | None], TaskOutcome],
             lock: bool, config: BotConfig | None = None, writes: bool = False,
             login_optional: bool = False) -> RunResult:
    """One task on one wiki (the one given, else from the options): lock, login, the task; the run is recorded."""
    counters = Counters()
    outcome: TaskOutcome | None = None
    status, exit_code, message = "ok", 0, ""
    store: StateStore | None = None
    wall_start = time.time()
    options.where = {"task": task}
    try:
        config = config or options.load()
        options.where = {"wiki": config.wiki_key, "task": task}
        store = open_store(config) if lock else None
        with store.run_lock(config.wiki_key, task) if store else nullcontext() as lock_check:
            # A task that only reads public data reads anonymously when no account is configured.
            site = connect(config, counters, task, note=options.retry,
                           anonymous=login_optional and not config.username)
            gateway = Gateway(site, config, counters, echo=options.say, lock_check=lock_check, note=options.retry)
            if writes and not config.dry_run:  # a task that would write nothing today still says it stopped
                gateway.stop_if_switched()
            outcome = body(gateway, store)
            status, exit_code = outcome.status, outcome.exit_code
    except StopRun as stop:
        status, exit_code, message = "stopped", stop.exit_code, str(stop)
    except MentorBotError as error:
        counters.errors = 1  # the error that ended the run (answers a task handled are not errors)
        status, exit_code, message = "error", error.exit_code, str(error)
    summary = {"task": task, "outcome": status, **counters.summary()}
    if store is None and config is not None and not lock:
        # A task without the lock (check) is recorded too; a store it cannot open is its own problem to say.
        with contextlib.suppress(MentorBotError):
            store = open_store(config)
    if store is not None and config is not None:
        try:
            store.record_run(config.wiki_key, task, wall_start, status, summary)
        except MentorBotError as error:  # the store itself failed: say so beside what the task did
            message = f"{message} The run could not be recorded: {error}".strip()
            exit_code = exit_code or error.exit_code
        store.close()
    return RunResult(task, status, exit_code, message, summary, outcome)


def show(options: GlobalOptions, result: RunResult) -> None:
    """The task's lines for people, then its one summary line (or all of it as log lines)."""
    if options.log_json:
        for line in result.outcome.lines if result.outcome else []:
            options.emit("message", text=line)
        options.emit("summary", **result.summary, **({"message": result.message} if result.message else {}))
        return
    for line in result.outcome.lines if result.outcome else []:
        click.echo(line)
    if result.message:
        click.echo(result.message, err=result.status == "error")
    summary = result.summary
    click.echo(
        f"mentorbot {command_name(result.task)}: {result.status}; {counted(summary['requests'], 'request')}, "
        f"{counted(summary['writes'], 'write')}"
        + (f" ({summary['dry_run_writes']} not sent: dry run)" if summary["dry_run_writes"] else "")
        + f", {counted(summary['notices'], 'notice')}, {counted(summary['errors'], 'error')}, {summary['seconds']} s"
    )


def command_name(task: str) -> str:
    """The command as typed: the task report-mentors is ``report mentors``."""
    return task.replace("-", " ")


def execute(options: GlobalOptions, task: str, body: Callable[[Gateway, StateStore | None], TaskOutcome], *,
            lock: bool = True, writes: bool = False, config: BotConfig | None = None,
            login_optional: bool = False) -> int:
    """Run one task on the wiki given (or on ``config``'s), or on every configured wiki in turn.
    Returns the exit code.

    With --all-wikis a failing wiki is reported and the others still run; the exit code is 1 if
    any failed, and the closing line names them.
    """
    if config is not None or not options.all_wikis:
        result = run_task(options, task, body, lock, config, writes=writes, login_optional=login_optional)
        if options.json_output:
            click.echo(json.dumps(result.document(), indent=2, default=str, ensure_ascii=False))
        else:
            show(options, result)
        return result.exit_code
    try:
        wikis = options.load_all()
    except MentorBotError as error:
        click.echo(str(error), err=True)
        return error.exit_code
    results: dict[str, RunResult] = {}
    for name, config in wikis:
        if not (options.json_output or options.log_json):
            click.echo(f"== {name} ({config.wiki_key}) ==")
        results[name] = run_task(options, task, body, lock, config, writes=writes, login_optional=login_optional)
        if not options.json_output:
            show(options, results[name])
    failed = {name: result for name, result in results.items() if result.exit_code != 0}
    if options.json_output:
        click.echo(json.dumps({"wikis": {name: result.document() for name, result in results.items()},
                               "failed": sorted(failed)}, indent=2, default=str, ensure_ascii=False))
    elif options.log_json:
        options.where = {"task": task}
        options.emit("wikis", ok=len(results) - len(failed), failed=sorted(failed))
    else:
        click.echo(f"mentorbot {task} on {len(results)} wiki{'s' if len(results) != 1 else ''}: "
                   f"{len(results) - len(failed)} ok"
                   + (", failed: " + ", ".join(f"{name} ({result.status}, exit code {result.exit_code})"
                                               for name, result in failed.items()) if failed else ""))
    return 1 if failed else 0


@contextmanager
def exit_on_error() -> Iterator[None]:
    """For commands outside ``execute``: a MentorBotError ends them with its sentence and exit code."""
    try:
        yield
    except MentorBotError as error:
        click.echo(str(error), err=True)
        sys.exit(error.exit_code)
