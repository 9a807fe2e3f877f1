"""The operator's configuration: one TOML file, environment variables, command-line overrides.

Every setting has a default, so ``--api URL`` plus ``MENTORBOT_USERNAME``/``MENTORBOT_PASSWORD``
is a complete configuration. Unknown keys are refused so that a typo does not silently fall back
to a default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, MalformedDocument, NoWikiGiven
from bot.rules import check_document

REPORT_NAMES = ("mentors", "graduation", "coverage", "wikis")


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
    wikis_report_on: str | None = None  # the file's wiki (by name or api.php URL) that shows `report wikis`
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
            raise NoWikiGiven(
                "No wiki given: pass --api URL (the wiki's api.php) or --wiki CODE, "
                "or set api = \"...\" in the config file."
            )
        if self.api and self.wiki:
            raise ConfigError(f"Both api ({self.api}) and wiki ({self.wiki}) are given: give one.")
        if self.wiki and ":" not in self.wiki and self.wiki.endswith(tuple(suffix for suffix, _ in PROJECTS)):
            try:
                api = api_for_dbname(self.wiki)
            except ConfigError:
                pass
            else:  # a database name where pywikibot wants family:code
                host = api.split("/")[2]
                language, project = host.split(".")[0], host.split(".")[1]
                instead = (f"--api {api}" if self.wiki in SPECIAL_DBNAMES
                           else f"--wiki {project}:{language}, or --api {api}")
                raise ConfigError(f"--wiki takes pywikibot's family:code, not a database name: for {self.wiki} "
                                  f"give {instead}.")
        if self.api and not self.api.startswith(("http://", "https://")):
            raise ConfigError(f"api must be an http(s) URL of api.php, not {self.api!r}.")
        if self.state_url is not None and not self.state_url.startswith(("mariadb://", "mysql://")):
            raise ConfigError("state_url must be a MariaDB URL, mariadb://[user[:password]@]host[:port]/database; "
                              "for an SQLite file set state_path instead.")
        try:  # the file's schema checks the form; this, that the day exists
            datetime.strptime(self.registrations_since, "%Y-%m-%d")
        except (TypeError, ValueError):
            raise ConfigError(f"registrations_since must be a date like 2021-01-01, not "
                              f"{self.registrations_since!r}.") from None


# Config-file key -> dataclass field, where they differ ("assert" is a Python keyword).
FILE_KEYS = {"assert": "assert_user"}
PATH_FIELDS = {"state_path", "state_credentials", "pywikibot_dir", "report_dir"}
TOP_LEVEL_ONLY = ("wikis", "wikis_file", "wikis_report_on")


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


def wikis_report_wiki(path: Path | None, wikis: list[tuple[str, BotConfig]], **overrides: Any) -> BotConfig:
    """Where ``report wikis --all-wikis`` is published: ``wikis_report_on`` (a wiki of the file by
    name, or an api.php URL with the file's top-level settings), else the file's first wiki."""
    target = wikis[0][1].wikis_report_on
    if target is None:
        return wikis[0][1]
    if target.startswith(("http://", "https://")):
        return load_config(path, **{**overrides, "api": target})
    for name, config in wikis:
        if name == target:
            return config
    raise ConfigError(f"Config file {path}: wikis_report_on names {target!r}, which is neither a wiki of the file "
                      f"({', '.join(name for name, _config in wikis)}) nor an api.php URL.")


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
    given = {key: value for key, value in overrides.items() if value is not None}
    if "api" in given or "wiki" in given:  # the command line's wiki replaces the file's, however named
        values.pop("api", None)
        values.pop("wiki", None)
    values.update(given)
    config = replace(BotConfig(), **values)
    config.validate()
    return config


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The file's top-level settings, and the settings of each wiki it lists (by name)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except OSError as error:
        raise ConfigError(f"Config file {path} cannot be read ({error.strerror or error}).") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"Config file {path} is not UTF-8 text ({error.reason} at byte {error.start}).") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}") from None
    _unknown_keys(raw, path)
    raw = _checked(raw, path)
    tables = raw.pop("wikis", {})
    wikis: dict[str, dict[str, Any]] = {}
    if "wikis_file" in raw:
        listed = Path(os.path.expanduser(str(raw.pop("wikis_file"))))
        try:
            names = [line.split("#", 1)[0].strip() for line in listed.read_text(encoding="utf-8").splitlines()]
        except OSError as error:
            raise ConfigError(f"Config file {path}: wikis_file {listed} cannot be read ({error.strerror}).") from None
        wikis.update({name: {"api": api_for_dbname(name)} for name in names if name})
    for name, table in tables.items():
        wikis[name] = {**wikis.get(name, {}), **_settings(table)}
    return _settings(raw), wikis


def _unknown_keys(raw: dict[str, Any], path: Path) -> None:
    """A typo in a key is named as such (the schema would only say the key was unexpected)."""
    allowed = {f.name for f in fields(BotConfig)} - {"dry_run"} | set(FILE_KEYS) | {"wikis", "wikis_file"}
    wikis = raw.get("wikis")
    for where, table in [(str(path), raw)] + [(f"{path} [wikis.{name}]", value) for name, value in
                                               (wikis.items() if isinstance(wikis, dict) else [])
                                               if isinstance(value, dict)]:
        for key in table:
            if FILE_KEYS.get(key, key) not in allowed or (where != str(path) and key in TOP_LEVEL_ONLY):
                raise ConfigError(f"Config file {where}: unknown key {key!r}.")


def _settings(raw: dict[str, Any]) -> dict[str, Any]:
    """A table's keys as BotConfig's fields (keys and types were checked when the file was read)."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = FILE_KEYS.get(key, key)
        values[name] = Path(os.path.expanduser(str(value))) if name in PATH_FIELDS else value
    return values


def _checked(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """The file's tables checked key by key against bot/schemas/config.schema.json (types, ranges)."""
    def plain(value: Any) -> Any:  # TOML's own dates, as the text the schema expects
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value.isoformat() if isinstance(value, date) else value

    document = plain(raw)
    try:
        check_document(document, str(path), "config")
    except MalformedDocument as breach:
        key = breach.path.removeprefix("$").removeprefix(".") or "the file"
        raise ConfigError(f"Config file {path}: {key}: {breach.reason}.") from None
    return dict(document)
