"""The operator's config file: each key's type and range checked when it is read, named when wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import FILE_KEYS, BotConfig, load_config, load_wiki_configs
from bot.errors import ConfigError

API = 'api = "http://127.0.0.1/w/api.php"\n'


def refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mentorbot.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_wiki_configs(path) if "[wikis." in text else load_config(path)
    return str(error.value).removeprefix(f"Config file {path}")


@pytest.mark.parametrize(("text", "reason"), [
    (API + 'max_writes = "100"\n', ": max_writes: '100' is not of type 'integer'."),
    (API + "max_writes = true\n", ": max_writes: True is not of type 'integer'."),
    (API + "edit_interval = -1\n", ": edit_interval: -1 is less than the minimum of 0."),
    (API + 'assert = "sysop"\n', ": assert: 'sysop' is not one of ['bot', 'user']."),
    (API + 'registrations_since = "March 2021"\n',
     ": registrations_since: 'March 2021' does not match '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'."),
    (API + 'report_pages = { mentors = "" }\n', ": report_pages.mentors: '' should be non-empty."),
    (API + 'report_pages = { colours = "Page" }\n',
     ": report_pages: Additional properties are not allowed ('colours' was unexpected)."),
    ('api = "ftp://example.org/api.php"\n', ": api: 'ftp://example.org/api.php' does not match '^https?://'."),
    (API + "max_edits = 5\n", ": unknown key 'max_edits'."),
    (API + "[wikis.kowiki]\nmaxlag = 1.5\n", ": wikis.kowiki.maxlag: 1.5 is not of type 'integer'."),
    (API + "[wikis.kowiki]\nmax_edits = 5\n", " [wikis.kowiki]: unknown key 'max_edits'."),
    (API + "wikis = 5\n[x]\n", ": unknown key 'x'."),
    (API + "wikis = 5\n", ": wikis: 5 is not of type 'object'."),
])
def test_a_wrong_key_or_value_is_named_with_what_was_wanted(tmp_path: Path, text: str, reason: str) -> None:
    assert refused(tmp_path, text) == reason


def test_a_toml_date_and_every_documented_key_are_taken(tmp_path: Path) -> None:
    path = tmp_path / "mentorbot.toml"
    path.write_text(API + "registrations_since = 2021-03-04\nmax_writes = 0\nedit_interval = 2\nretry_wait = 0.5\n"
                    'assert = "user"\nreport_pages = { coverage = "Project:Coverage" }\n')
    config = load_config(path)
    assert (config.registrations_since, config.max_writes, config.edit_interval, config.retry_wait) == (
        "2021-03-04", 0, 2, 0.5)
    assert config.assert_user == "user" and config.report_pages == {"coverage": "Project:Coverage"}


def test_the_schema_names_exactly_the_settings_the_bot_has() -> None:
    schema = json.loads((Path(__file__).parent.parent / "bot" / "schemas" / "config.schema.json").read_text())
    top_level_only = set(schema["properties"]) - {"wikis", "wikis_file"}  # settings no single wiki may change
    documented = set(schema["$defs"]["settings"]["properties"]) | top_level_only
    settings = {FILE_KEYS.get(key, key) for key in documented}
    assert settings == {f.name for f in fields(BotConfig)} - {"dry_run"}


def test_a_config_file_that_cannot_be_read_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "mentorbot.toml"
    path.write_bytes(b'api = "http://127.0.0.1/w/api.php"\ncontact = "\xff"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == f"Config file {path} is not UTF-8 text (invalid start byte at byte 46)."
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigError) as error:
        load_config(folder)
    assert str(error.value) == f"Config file {folder} cannot be read (Is a directory)."


def test_a_wrong_type_on_the_command_line_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mentorbot.toml"
    path.write_text(API + 'max_writes = "100"\n')
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "mentors"], capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=60,
                            cwd=Path(__file__).parent.parent)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Config file {path}: max_writes: '100' is not of type 'integer'."]


def test_a_state_path_in_a_folder_that_does_not_exist_is_refused_not_made(tmp_path: Path) -> None:
    from bot.state import open_store

    typo = tmp_path / "nonexistent" / "dir" / "state.sqlite"
    with pytest.raises(ConfigError) as error:
        open_store(BotConfig(api="http://127.0.0.1/w/api.php", state_path=typo))
    assert str(error.value) == (f"state_path {typo}: the folder {typo.parent} does not exist; create it first, or "
                                "correct the path.")
    assert not (tmp_path / "nonexistent").exists()
    open_store(BotConfig(api="http://127.0.0.1/w/api.php", state_path=tmp_path / "state.sqlite")).close()
    assert (tmp_path / "state.sqlite").is_file()  # in a folder that exists, the file itself is made


@pytest.mark.parametrize(("wiki", "message"), [
    ("kowiki", "--wiki takes pywikibot's family:code, not a database name: for kowiki give --wiki wikipedia:ko, "
               "or --api https://ko.wikipedia.org/w/api.php."),
    ("frwiktionary", "--wiki takes pywikibot's family:code, not a database name: for frwiktionary give --wiki "
                     "wiktionary:fr, or --api https://fr.wiktionary.org/w/api.php."),
    ("commonswiki", "--wiki takes pywikibot's family:code, not a database name: for commonswiki give --api "
                    "https://commons.wikimedia.org/w/api.php."),
])
def test_a_database_name_given_as_wiki_gets_the_form_that_works(wiki: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(None, wiki=wiki)
    assert str(error.value) == message
    assert load_config(None, wiki="wikipedia:ko").wiki == "wikipedia:ko"
    assert load_config(None, wiki="ko").wiki == "ko"


def test_the_command_lines_wiki_replaces_the_files_and_both_at_once_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mentorbot.toml"
    path.write_text('wiki = "wikipedia:ko"\n')
    config = load_config(path, api="http://127.0.0.1/w/api.php")
    assert (config.api, config.wiki) == ("http://127.0.0.1/w/api.php", None)
    assert load_config(path).wiki == "wikipedia:ko"
    path.write_text('wiki = "wikipedia:ko"\n' + API)
    with pytest.raises(ConfigError, match=r"^Both api \(http://127.0.0.1/w/api.php\) and wiki \(wikipedia:ko\) "
                                          r"are given: give one\.$"):
        load_config(path)
    result = CliRunner().invoke(cli, ["--api", "http://127.0.0.1/w/api.php", "--wiki", "wikipedia:ko", "check"])
    assert result.exit_code == 2 and "--api and --wiki both name the wiki: give one." in result.output
