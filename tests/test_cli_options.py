"""The command line as an operator meets it: help that reads as a table, options in either place."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bot.cli import cli, hoist_global_options

COMMANDS = ["check", "mentors", "sweep", "snapshot", "blocks", "report", "status", "state"]


def test_the_help_lists_each_command_once_in_full_in_the_order_they_are_used() -> None:
    result = CliRunner().invoke(cli, ["--help"], prog_name="mentorbot")
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == COMMANDS
    assert "…" not in result.output and "..." not in result.output.split("Commands:\n", 1)[1]
    assert "\\" not in result.output
    example = result.output.split("Example:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.strip().split()[0] for line in example] == ["export", "mentorbot"]  # kept as two lines
    assert all(re.fullmatch(r"  \S+ +\S.*", line) for line in listed if line.strip())  # one line each


def test_each_command_says_where_the_global_options_go() -> None:
    for command in COMMANDS:
        result = CliRunner().invoke(cli, [command, "--help"], prog_name="mentorbot")
        assert result.exit_code == 0, command
        assert result.output.rstrip().endswith(
            "\n  Options of mentorbot itself (--api, --dry-run, --json...) work here too."), command


def test_global_options_after_the_command_are_moved_before_it() -> None:
    commands = set(COMMANDS)
    assert hoist_global_options(["sweep", "--dry-run", "--api", "U", "--force"], commands) == [
        "--dry-run", "--api", "U", "sweep", "--force"]
    assert hoist_global_options(["--json", "report", "coverage", "--log=json", "--page", "P"], commands) == [
        "--json", "--log=json", "report", "coverage", "--page", "P"]
    assert hoist_global_options(["report", "coverage", "--", "--json"], commands) == [
        "report", "coverage", "--", "--json"]
    assert hoist_global_options(["--api", "check"], commands) == ["--api", "check"]  # left for click to refuse
    assert hoist_global_options(["--help"], commands) == ["--help"]


def test_a_global_option_after_the_command_is_taken_as_before_it(tmp_path: object) -> None:
    env = {"MENTORBOT_USERNAME": "", "MENTORBOT_PASSWORD": "", "MENTORBOT_CONFIG": ""}
    for args in (["check", "--dry-run"], ["--dry-run", "check"]):
        result = CliRunner(env=env).invoke(cli, args, prog_name="mentorbot")
        assert result.exit_code == 2, result.output
        assert "No such option" not in result.output
        assert "No wiki given: pass --api URL" in result.output
    both = CliRunner(env=env).invoke(cli, ["check", "--api", "http://127.0.0.1:9/w/api.php", "--all-wikis"],
                                     prog_name="mentorbot")
    assert both.exit_code == 2 and "--all-wikis takes the wikis from the config file" in both.output


def test_the_summary_line_counts_in_words_and_names_the_command_as_typed(capsys: object) -> None:
    from bot.cli import GlobalOptions, RunResult, show

    options = GlobalOptions(None, None, None, False, False)
    summary = {"requests": 1, "writes": 1, "dry_run_writes": 0, "notices": 1, "errors": 0, "seconds": 0.5}
    show(options, RunResult("report-mentors", "ok", 0, "", summary, None))
    summary = {"requests": 12, "writes": 0, "dry_run_writes": 2, "notices": 2, "errors": 1, "seconds": 3}
    show(options, RunResult("sweep", "stopped", 4, "", summary, None))
    assert capsys.readouterr().out.splitlines() == [  # type: ignore[attr-defined]
        "mentorbot report mentors: ok; 1 request, 1 write, 1 notice, 0 errors, 0.5 s",
        "mentorbot sweep: stopped; 12 requests, 0 writes (2 not sent: dry run), 2 notices, 1 error, 3 s"]


def test_the_demo_left_running_says_how_to_go_on(tmp_path: object) -> None:
    from pathlib import Path

    from scripts.demo import keep_going

    info: dict[str, object] = {"api": "http://127.0.0.1:8080/api.php", "admin_user": "Admin",
                               "admin_password": "admin-pw", "bot_user": "MentorBot@mentorbot",
                               "bot_password": "bot-pw", "dir": "/tmp/the-wiki"}
    lines = keep_going(info, Path("/tmp/the-demo")).splitlines()
    assert "  In a browser: http://127.0.0.1:8080/index.php?title=Special:ManageMentors" in lines
    assert "  Log in there as Admin with the password admin-pw" in lines
    assert "    export MENTORBOT_USERNAME='MentorBot@mentorbot' MENTORBOT_PASSWORD='bot-pw'" in lines
    assert "    export MENTORBOT_CONFIG=/tmp/the-demo/mentorbot.toml XDG_STATE_HOME=/tmp/the-demo/state" in lines
    assert lines[-1] == "  Stop the wiki: scripts/dev-wiki down /tmp/the-wiki"
