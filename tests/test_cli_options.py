"""The command line as an operator meets it: help that reads as a table, options in either place."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli, hoist_global_options

COMMANDS = ["check", "mentors", "sweep", "snapshot", "blocks", "report", "history", "status", "state"]


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
    from bot.runner import GlobalOptions, RunResult, show

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


BAD_CONFIGS = [
    'max_writes = "100"', "max_writes = -1", "edit_interval = []", "maxlag = 1.5", 'assert = "sysop"',
    "report_pages = 5", 'report_pages = { other = "P" }', 'registrations_since = "2021-02-30"',
    "registrations_since = 2021-02-03", 'state_path = "/nonexistent/dir/state.sqlite"', "wikis = 5",
    "[wikis.x]\nmaxlag = 'a'", 'wikis_file = "/nonexistent/wikis.txt"', "unknown = 1", "contact = 5",
    'state_url = "postgres://x"', 'pywikibot_dir = "/proc/forbidden"', "this is not toml",
]
BAD_ARGUMENTS = [
    ["--wiki", "kowiki", "check"], ["--api", "ftp://x", "mentors"], ["--api", "http://127.0.0.1:9/w/api.php",
                                                                    "--wiki", "wikipedia:ko", "sweep"],
    ["report", "nothing"], ["report", "coverage", "--registrations", "/nonexistent.csv"],
    ["snapshot", "--dump", "/nonexistent.sql.gz"], ["sweep", "--frobnicate"], ["--log", "xml", "status"],
    ["state", "export", "/nonexistent/dir/state.jsonl"], ["state", "import", "/nonexistent.jsonl"],
    ["--all-wikis", "mentors"], ["--json", "--log", "json", "status"],
]


def test_no_input_from_the_command_line_or_the_config_file_ends_in_a_traceback(tmp_path: Path) -> None:
    """Each bad input ends with a sentence and an exit code, never with an exception escaping."""
    runner = CliRunner(env={"MENTORBOT_USERNAME": "Bot@app", "MENTORBOT_PASSWORD": "x", "MENTORBOT_CONFIG": "",
                            "XDG_STATE_HOME": str(tmp_path / "state")})
    config = tmp_path / "mentorbot.toml"
    runs = [["--config", str(config), "--api", "http://127.0.0.1:9/w/api.php", "status"]]
    for text in BAD_CONFIGS:
        config.write_text(f'api = "http://127.0.0.1:9/w/api.php"\n{text}\n')
        result = runner.invoke(cli, ["--config", str(config), "mentors"], prog_name="mentorbot")
        assert isinstance(result.exception, SystemExit) and result.exit_code in (1, 2), (text, result.output)
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2, (text, result.output)
    for args in BAD_ARGUMENTS + runs:
        result = runner.invoke(cli, args, prog_name="mentorbot")
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code != 0 or args in runs, (args, result.output)
        assert "Traceback" not in result.output, args
