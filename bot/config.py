"""The operator's configuration: one TOML file, environment variables, command-line overrides.

Every setting has a default, so ``--api URL`` plus ``MENTORBOT_USERNAME``/``MENTORBOT_PASSWORD``
is a complete configuration. Unknown keys are refused so that a typo does not silently fall back
to a default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

ASSERT_VALUES = ("bot", "user")
REPORT_NAMES = ("mentors", "graduation", "coverage")


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "mentorbot"


@dataclass(frozen=True)
class BotConfig:
    """Settings for one wiki. Times are seconds, counts are whole numbers."""

    api: str | None = None
    wiki: str | None = None
    contact: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    state_path: Path = field(default_factory=lambda: default_state_dir() / "state.sqlite")
    state_url: str | None = field(default=None, repr=False)  # mariadb://[user[:password]@]host[:port]/database
    state_credentials: Path | None = None  # my.cnf-style file with user and password (replica.my.cnf)
    pywikibot_dir: Path | None = None
    assert_user: str = "bot"
    edit_interval: float = 10.0
    max_writes: int = 100
    stop_page: str | None = None
    rules_page: str = "MediaWiki:Mentorbot-sweep-rules.json"
    blocks_page: str = "MediaWiki:Mentorbot-blocks.json"
    reports_page: str = "MediaWiki:Mentorbot-reports.json"
    report_pages: dict[str, str] = field(default_factory=dict)  # report name -> page; default in the bot's space
    report_dir: Path | None = None  # default: "reports" beside the state store
    registrations_since: str = "2021-01-01"  # where the first fetch of the account-creation log starts
    maxlag: int = 5
    max_retries: int = 5
    retry_wait: float = 5.0
    retry_max: float = 120.0
    dry_run: bool = False

    @property
    def wiki_key(self) -> str:
        """A stable name for this wiki in the state store and the run lock."""
        return self.api or self.wiki or "unknown"

    def stop_page_for(self, username: str) -> str:
        return self.stop_page or f"User:{username}/Stop"

    def report_page_for(self, name: str, username: str) -> str:
        return self.report_pages.get(name) or f"User:{username}/Mentorship reports/{name.capitalize()}"

    @property
    def report_output(self) -> Path:
        return self.report_dir or self.state_path.parent / "reports"

    def validate(self) -> None:
        if not self.api and not self.wiki:
            raise ConfigError(
                "No wiki given: pass --api URL (the wiki's api.php) or --wiki CODE, "
                "or set api = \"...\" in the config file."
            )
        if self.api and not self.api.startswith(("http://", "https://")):
            raise ConfigError(f"api must be an http(s) URL of api.php, not {self.api!r}.")
        if self.state_url is not None and not self.state_url.startswith(("mariadb://", "mysql://")):
            raise ConfigError("state_url must be a MariaDB URL, mariadb://[user[:password]@]host[:port]/database; "
                              "for an SQLite file set state_path instead.")
        if self.assert_user not in ASSERT_VALUES:
            raise ConfigError(f"assert must be one of {', '.join(ASSERT_VALUES)}, not {self.assert_user!r}.")
        unknown = set(self.report_pages) - set(REPORT_NAMES)
        if unknown or not all(isinstance(title, str) and title for title in self.report_pages.values()):
            raise ConfigError(f"report_pages takes a page title for each of {', '.join(REPORT_NAMES)}; "
                              f"got {self.report_pages!r}.")
        try:
            datetime.strptime(self.registrations_since, "%Y-%m-%d")
        except (TypeError, ValueError):
            raise ConfigError(f"registrations_since must be a date like 2021-01-01, not "
                              f"{self.registrations_since!r}.") from None
        for name in ("edit_interval", "max_writes", "maxlag", "max_retries", "retry_wait", "retry_max"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative.")


# Config-file key -> dataclass field, where they differ ("assert" is a Python keyword).
FILE_KEYS = {"assert": "assert_user"}
PATH_FIELDS = {"state_path", "state_credentials", "pywikibot_dir", "report_dir"}


def require_private(path: Path, what: str) -> None:
    """Refuse a file of secrets that anyone but its owner may read or change."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist.") from None
    if mode & 0o077:
        raise ConfigError(f"{what} {path} can be read or changed by others (mode {mode:o}); "
                          f"make it private with: chmod 600 {path}")


def load_config(path: Path | None, **overrides: Any) -> BotConfig:
    """Read the config file (if any), then the environment, then the command line."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_read_file(path)[0])
    return _finish(values, overrides)


def load_wiki_configs(path: Path | None, **overrides: Any) -> list[tuple[str, BotConfig]]:
    """One config per wiki of the file: its ``[wikis.NAME]`` tables and the names in ``wikis_file``.

    Each wiki's settings go over the file's top-level ones (its rules page, report pages, stop
    switch...), so a setting shared by all is written once.
    """
    if path is None:
        raise ConfigError("--all-wikis needs a config file (--config or MENTORBOT_CONFIG) that lists the wikis.")
    common, wikis = _read_file(path)
    if not wikis:
        raise ConfigError(f"Config file {path} lists no wikis: add [wikis.NAME] tables or wikis_file.")
    return [(name, _finish({**common, **values}, overrides)) for name, values in wikis.items()]


def api_for_dbname(dbname: str) -> str:
    """Wikimedia's api.php for a database name: kowiki, zh_yuewiki, frwiktionary, commonswiki..."""
    if dbname in SPECIAL_DBNAMES:
        return f"https://{SPECIAL_DBNAMES[dbname]}/w/api.php"
    for suffix, project in PROJECTS:
        if dbname.endswith(suffix) and len(dbname) > len(suffix):
            language = dbname[:-len(suffix)].replace("_", "-")
            return f"https://{language}.{project}.org/w/api.php"
    raise ConfigError(f"{dbname!r} is not a Wikimedia database name this bot knows (like kowiki or frwiktionary).")


SPECIAL_DBNAMES = {"commonswiki": "commons.wikimedia.org", "metawiki": "meta.wikimedia.org",
                   "mediawikiwiki": "www.mediawiki.org", "wikidatawiki": "www.wikidata.org",
                   "specieswiki": "species.wikimedia.org", "testwiki": "test.wikipedia.org",
                   "test2wiki": "test2.wikipedia.org"}
# Longest first, so that "wiktionary" is not read as "wik" + "tionary".
PROJECTS = (("wiktionary", "wiktionary"), ("wikibooks", "wikibooks"), ("wikinews", "wikinews"),
            ("wikiquote", "wikiquote"), ("wikisource", "wikisource"), ("wikiversity", "wikiversity"),
            ("wikivoyage", "wikivoyage"), ("wiki", "wikipedia"))


def _finish(values: dict[str, Any], overrides: dict[str, Any]) -> BotConfig:
    values = dict(values)
    env_user = os.environ.get("MENTORBOT_USERNAME")
    env_password = os.environ.get("MENTORBOT_PASSWORD")
    if env_user:
        values["username"] = env_user
    if env_password:
        values["password"] = env_password
    if os.environ.get("MENTORBOT_STATE_URL"):
        values["state_url"] = os.environ["MENTORBOT_STATE_URL"]
    values.update({key: value for key, value in overrides.items() if value is not None})
    config = replace(BotConfig(), **values)
    config.validate()
    return config


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The file's top-level settings, and the settings of each wiki it lists (by name)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}") from None
    tables = raw.pop("wikis", {})
    wikis: dict[str, dict[str, Any]] = {}
    if "wikis_file" in raw:
        listed = Path(os.path.expanduser(str(raw.pop("wikis_file"))))
        try:
            names = [line.split("#", 1)[0].strip() for line in listed.read_text(encoding="utf-8").splitlines()]
        except OSError as error:
            raise ConfigError(f"Config file {path}: wikis_file {listed} cannot be read ({error.strerror}).") from None
        wikis.update({name: {"api": api_for_dbname(name)} for name in names if name})
    if not isinstance(tables, dict) or not all(isinstance(table, dict) for table in tables.values()):
        raise ConfigError(f"Config file {path}: wikis must be tables, as in [wikis.kowiki].")
    for name, table in tables.items():
        wikis[name] = {**wikis.get(name, {}), **_settings(table, f"{path} [wikis.{name}]")}
    return _settings(raw, str(path)), wikis


def _settings(raw: dict[str, Any], where: str) -> dict[str, Any]:
    known = {f.name: f for f in fields(BotConfig)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = FILE_KEYS.get(key, key)
        if name not in known or name == "dry_run":
            raise ConfigError(f"Config file {where}: unknown key {key!r}.")
        if name in PATH_FIELDS:
            value = Path(os.path.expanduser(str(value)))
        values[name] = value
    return values
