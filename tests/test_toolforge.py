"""The Toolforge jobs file, checked by the Jobs Framework's own command-line client."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from jobs_cli.cli import _job_to_arg_parser_args, arg_parser, get_api_payload

from bot.cli import cli
from tests.conftest import DevWiki, child_env

REPO = Path(__file__).resolve().parent.parent
JOBS_FILE = REPO / "toolforge" / "jobs.yaml"


def jobs() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(JOBS_FILE.read_text())
    return loaded


def test_every_job_is_accepted_by_the_jobs_framework_client() -> None:
    for job in jobs():
        # What `toolforge jobs load` does with each entry before it sends anything.
        payload = get_api_payload(arg_parser(["run", *_job_to_arg_parser_args(job=job)]))
        assert payload["job_type"] == "scheduled" and payload["emails"] == "onfailure", job["name"]
        assert payload["memory"] and payload["cpu"], job["name"]


def test_a_key_the_framework_does_not_know_is_refused() -> None:
    job = {**jobs()[0], "memory": "1Gi"}  # the key is "mem"
    with pytest.raises(SystemExit):
        arg_parser(["run", *_job_to_arg_parser_args(job=job)])


def test_the_schedules_are_those_the_tasks_need_at_odd_minutes() -> None:
    schedules = {job["name"]: job["schedule"].split() for job in jobs()}
    assert schedules["mentorbot-blocks"][0] == "3-59/10"  # every 10 minutes
    assert schedules["mentorbot-snapshot"][1] == "1-23/6"  # every 6 hours
    assert schedules["mentorbot-sweep"][1:] == ["5", "*", "*", "*"]  # daily
    assert all(fields[2:] == ["*", "*", "1"] for name, fields in schedules.items() if "report" in name)  # weekly
    minutes = [int(fields[0].split("-")[0]) for fields in schedules.values()]
    assert all(minute % 2 == 1 for minute in minutes) and len(set(minutes)) == len(minutes)


def test_every_job_runs_a_mentorbot_command_that_exists() -> None:
    for job in jobs():
        program, *args = shlex.split(job["command"])
        assert program == "./mentorbot/toolforge/run"
        # Parsed as the bot would parse it: an unknown command or option raises.
        with cli.make_context("mentorbot", list(args), resilient_parsing=False) as context:
            command = cli.get_command(context, args[0])
            assert isinstance(command, click.Command)
            command.make_context(args[0], args[1:], parent=context)


def test_the_job_wrapper_says_what_is_missing(tmp_path: Path) -> None:
    result = subprocess.run([str(REPO / "toolforge" / "run"), "blocks"], capture_output=True, text=True,
                            env=child_env(HOME=str(tmp_path)), check=False)
    assert result.returncode == 2
    assert f"no mentorbot in {tmp_path}/mentorbot-venv; run scripts/toolforge-setup first" in result.stderr


def test_the_setup_script_builds_a_fresh_environment_and_names_what_is_missing(wiki: DevWiki, tmp_path: Path) -> None:
    environment = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path),
        # The packages come from pip's cache when it has them, as on a second setup run.
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
    }
    setup = str(REPO / "scripts" / "toolforge-setup")
    first = subprocess.run([setup], env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 1, first.stderr
    assert "setup: installed mentorbot, version" in first.stdout
    assert f"- the config file {tmp_path}/mentorbot.toml" in first.stdout
    assert "- credentials: MENTORBOT_USERNAME and MENTORBOT_PASSWORD" in first.stdout

    (tmp_path / "mentorbot.toml").write_text(f'[wikis.test]\napi = "{wiki.api}"\n')  # the shape for many wikis
    environment.update(MENTORBOT_USERNAME=wiki.bot_user, MENTORBOT_PASSWORD=wiki.bot_password)
    second = subprocess.run([setup], env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"== test ({wiki.api}) ==" in second.stdout and "No problems found." in second.stdout
    assert "mentorbot check on 1 wiki: 1 ok" in second.stdout and "setup: ready." in second.stdout
    assert not (REPO / "build").exists()  # nothing left behind in the checkout
    # The jobs' wrapper now finds the bot in the new environment, for every wiki the config lists,
    run = subprocess.run([str(REPO / "toolforge" / "run"), "mentors"], env=environment, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0 and "mentorbot mentors on 1 wiki: 1 ok" in run.stdout, run.stderr
    # or for the one wiki of a config that names only that.
    (tmp_path / "mentorbot.toml").write_text(f'api = "{wiki.api}"\n')
    run = subprocess.run([str(REPO / "toolforge" / "run"), "mentors"], env=environment, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0 and run.stdout.splitlines()[-1].startswith("mentorbot mentors: ok"), run.stderr
