"""Fixtures: one real MediaWiki for the whole session, reset to a fresh database per test."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import BotConfig
from bot.gateway import Counters, Gateway
from bot.site import connect
from bot.state import StateStore, open_store
from scripts import devdb, devwiki
from tests.wikiclient import WikiClient


@dataclass(frozen=True)
class DevWiki:
    api: str
    dir: Path
    admin_user: str
    admin_password: str
    bot_user: str
    bot_password: str
    growth: str = "standin"  # or "real": GrowthExperiments REL1_43

    def reset(self) -> None:
        devwiki.reset(str(self.dir))

    def admin(self) -> WikiClient:
        return WikiClient(self.api).login(self.admin_user, self.admin_password)

    def anonymous(self) -> WikiClient:
        return WikiClient(self.api)

    @contextmanager
    def extra_settings(self, php: str) -> Iterator[None]:
        """Apply extra PHP settings to the running wiki for the duration of the block.

        The test wiki's LocalSettings.php evaluates test-settings.php on each request (dev-wiki
        puts that hook in, since php -S may serve a cached LocalSettings.php for a while); a
        probe value tells when the settings are live.
        """
        probe = f"test-settings-{time.monotonic_ns()}"
        overlay = self.dir / "test-settings.php"
        overlay.write_text(f"<?php\n$wgRightsText = '{probe}';\n{php}\n")
        anonymous = self.anonymous()
        deadline = time.monotonic() + 10
        while anonymous.get(meta="siteinfo", siprop="rightsinfo")["query"]["rightsinfo"]["text"] != probe:
            assert time.monotonic() < deadline, "the test settings did not take effect"
            time.sleep(0.1)
        try:
            yield
        finally:
            overlay.unlink(missing_ok=True)

    @property
    def settings_page(self) -> str:
        """Where this wiki keeps the community's mentorship settings (REL1_43 has no CommunityConfiguration)."""
        return ("MediaWiki:GrowthExperimentsMentorship.json" if self.growth == "standin"
                else "MediaWiki:GrowthExperimentsConfig.json")

    def away_until(self, name: str) -> datetime | None:
        """The mentor's away date as GrowthExperiments keeps it (the user option), on both flavours.

        Read from the wiki's database, not through the API the bot uses: an oracle of its own.
        """
        database = sqlite3.connect(self.dir / "data" / "my_wiki.sqlite")
        try:
            row = database.execute(
                "SELECT up_value FROM user_properties JOIN user ON up_user = user_id "
                "WHERE user_name = ? AND up_property = 'growthexperiments-mentor-away-timestamp'",
                (name,)).fetchone()
        finally:
            database.close()
        if not row or not row[0]:
            return None
        value = row[0].decode() if isinstance(row[0], bytes) else row[0]
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    def lock_globally(self, name: str) -> None:
        """Lock an account as CentralAuth would (the test wiki's stand-in for global locks)."""
        with (self.dir / "global-locks").open("a") as locks:
            locks.write(name + "\n")

    def set_fake_lag(self, seconds: float | None) -> None:
        lag_file = self.dir / "fake-lag"
        if seconds is None:
            lag_file.unlink(missing_ok=True)
        else:
            lag_file.write_text(str(seconds))


@contextmanager
def running_wiki(growth: str = "standin") -> Iterator[DevWiki]:
    """A test wiki of its own; ``growth`` is "standin" or "real" (GrowthExperiments REL1_43)."""
    directory = Path(tempfile.mkdtemp(prefix="mentorbot-test-wiki-"))
    try:
        info = devwiki.up(str(directory), None, growth)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield DevWiki(
            api=str(info["api"]), dir=directory,
            admin_user=str(info["admin_user"]), admin_password=str(info["admin_password"]),
            bot_user=str(info["bot_user"]), bot_password=str(info["bot_password"]), growth=growth,
        )
    finally:
        devwiki.down(str(directory))
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def dev_wiki() -> Iterator[DevWiki]:
    with running_wiki() as wiki:
        yield wiki


@pytest.fixture(scope="session")
def second_dev_wiki() -> Iterator[DevWiki]:
    """Another wiki on its own port, for runs over several wikis; started only when a test asks."""
    with running_wiki() as wiki:
        yield wiki


@pytest.fixture(scope="session")
def real_dev_wiki() -> Iterator[DevWiki]:
    """A test wiki running GrowthExperiments itself (REL1_43); skipped, with the reason, without its source."""
    try:
        context = running_wiki("real")
        wiki = context.__enter__()
    except devwiki.GrowthSourceMissing as missing:
        pytest.skip(f"real GrowthExperiments flavour skipped: {missing}")
    try:
        yield wiki
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def second_wiki(second_dev_wiki: DevWiki) -> DevWiki:
    second_dev_wiki.reset()
    return second_dev_wiki


@pytest.fixture
def wiki(request: pytest.FixtureRequest) -> DevWiki:
    """The test wiki with a fresh database: the template's admin and bot accounts only.

    With the stand-in, unless the test is marked ``both_flavours``: then once with the stand-in
    and once with GrowthExperiments itself (REL1_43).
    """
    flavour = getattr(request, "param", "standin")
    wiki: DevWiki = request.getfixturevalue("dev_wiki" if flavour == "standin" else "real_dev_wiki")
    wiki.reset()
    return wiki


FLAVOURS = ("standin", "real")
# Runs a test once on the stand-in and once on real GrowthExperiments; the test reads wiki.growth
# where the two versions differ.
both_flavours = pytest.mark.parametrize("wiki", FLAVOURS, indirect=True)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process, without the developer's own MENTORBOT_ or PYWIKIBOT_ settings."""
    return {**{key: value for key, value in os.environ.items()
               if not key.startswith(("MENTORBOT_", "PYWIKIBOT_"))}, **extra}


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start helper processes that are killed when the test ends, whether it passed or not."""
    started: list[subprocess.Popen[str]] = []

    def start(args: list[str], **kwargs: object) -> subprocess.Popen[str]:
        process: subprocess.Popen[str] = subprocess.Popen(args, text=True, env=child_env(), **kwargs)  # type: ignore[call-overload]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture(autouse=True)
def pywikibot_state_is_restored() -> Iterator[None]:
    """pywikibot's directory, its config and its cache of sites are process-wide: no test leaves them behind."""
    saved = {key: os.environ.get(key) for key in ("PYWIKIBOT_DIR", "PYWIKIBOT_NO_USER_CONFIG")}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    import sys

    pywikibot = sys.modules.get("pywikibot")
    if pywikibot is not None:
        pywikibot._sites.clear()


# Fixtures that start a test wiki or a MariaDB server; a test that uses none of them is a unit test.
WIKI_FIXTURES = {"wiki", "dev_wiki", "real_dev_wiki", "second_wiki", "second_dev_wiki", "transcripts"}
MARIADB_FIXTURES = {"mariadb", "real_dump"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test ``wiki``, ``mariadb`` or ``unit``, from what it needs: ``-m unit`` is the fast lane."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        uses_mariadb = bool(needs & MARIADB_FIXTURES) or "mariadb" in params.values()
        if needs & WIKI_FIXTURES:
            item.add_marker(pytest.mark.wiki)
        if uses_mariadb:
            item.add_marker(pytest.mark.mariadb)
        if not needs & WIKI_FIXTURES and not uses_mariadb:
            item.add_marker(pytest.mark.unit)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module that sets ``WIKI_FLAVOURS = FLAVOURS`` runs each of its wiki tests on both flavours."""
    if "wiki" not in metafunc.fixturenames:
        return
    if any(mark.args and mark.args[0] == "wiki" for mark in metafunc.definition.iter_markers("parametrize")):
        return
    flavours = getattr(metafunc.module, "WIKI_FLAVOURS", ("standin",))
    if len(flavours) > 1:
        metafunc.parametrize("wiki", flavours, indirect=True)


@pytest.fixture(scope="session")
def mariadb() -> Iterator[devdb.MariaServer]:
    """One MariaDB server for the session; each test that asks gets a database of its own."""
    server = devdb.start(Path(tempfile.mkdtemp(prefix="mentorbot-test-mariadb-")))
    try:
        yield server
    finally:
        server.stop()


MentorTableRow = tuple[int, str, int, int]  # mentee id, role, mentor id, is_active


@pytest.fixture
def real_dump(mariadb: devdb.MariaServer) -> Callable[..., Path]:
    """Write, gzip'd, what ``mariadb-dump`` makes of GrowthExperiments' table holding the rows given.

    ``real_dump(path, rows, *options)``: Wikimedia's options, then ``options``; returns ``path``.
    """

    def write(path: Path, rows: list[MentorTableRow], *options: str) -> Path:
        path.write_bytes(gzip.compress(mariadb.mentor_dump(rows, *options), mtime=0))
        return path

    return write


@dataclass(frozen=True)
class StateBackend:
    """An empty state store on one kind of database, opened as the bot opens it."""

    name: str
    path: Path
    url: str | None

    def open(self) -> StateStore:
        return open_store(BotConfig(state_path=self.path, state_url=self.url))

    def opening_code(self) -> str:
        """Python lines that open this store as ``store`` in another process."""
        return ("from pathlib import Path; from bot.config import BotConfig; from bot.state import open_store\n"
                f"store = open_store(BotConfig(state_path=Path({str(self.path)!r}), state_url={self.url!r}))\n")


@pytest.fixture
def make_state(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], StateBackend]:
    numbers = iter(range(1, 1000))

    def make(name: str) -> StateBackend:
        path = tmp_path / f"state-{next(numbers)}.sqlite"
        url = request.getfixturevalue("mariadb").new_database() if name == "mariadb" else None
        return StateBackend(name, path, url)

    return make


@pytest.fixture
def state_backend(request: pytest.FixtureRequest, make_state: Callable[[str], StateBackend]) -> StateBackend:
    """An SQLite store, unless the test is marked ``both_stores``: then once on each."""
    return make_state(getattr(request, "param", "sqlite"))


# Runs a test once on an SQLite file and once on a MariaDB server.
both_stores = pytest.mark.parametrize("state_backend", ["sqlite", "mariadb"], indirect=True)


def pytest_report_header() -> str:
    return "test wiki: MediaWiki 1.43 LTS from Debian, with the GrowthExperiments stand-in"



@dataclass
class BotRun:
    """A gateway logged in to the test wiki, with what it printed."""

    gateway: Gateway
    output: list[str] = field(default_factory=list)

    @property
    def counters(self) -> Counters:
        return self.gateway.counters


@pytest.fixture
def make_bot(wiki: DevWiki, tmp_path: Path) -> Callable[..., BotRun]:
    """Build a logged-in bot for the test wiki; keyword arguments override its config.

    Writes are not spaced out (edit_interval 0) and retries are short, so tests stay fast.
    """

    def make(**overrides: object) -> BotRun:
        import pywikibot

        settings: dict[str, object] = {
            "api": wiki.api, "username": wiki.bot_user, "password": wiki.bot_password,
            "state_path": tmp_path / "state.sqlite", "pywikibot_dir": tmp_path / "pywikibot",
            "edit_interval": 0.0, "max_retries": 3, "retry_wait": 0.2, "retry_max": 2.0,
        }
        settings.update(overrides)
        config = BotConfig(**settings)  # type: ignore[arg-type]
        pywikibot._sites.clear()  # each test logs in afresh against its fresh database
        counters = Counters()
        run = BotRun(Gateway(connect(config, counters), config, counters))
        run.gateway.echo = run.output.append
        return run

    import bot.site

    bot.site.import_pywikibot(BotConfig(api=wiki.api, pywikibot_dir=tmp_path / "pywikibot"))
    return make


CONTENT_TABLES = ("page", "revision", "slots", "content", "text", "logging", "recentchanges",
                  "user_properties", "user_groups", "block", "growthexperiments_mentor_mentee")


def content_digest(wiki: DevWiki) -> dict[str, int]:
    """A hash per table of everything a bot write could change, read from the wiki's database."""
    import hashlib
    import sqlite3

    database = sqlite3.connect(f"file:{wiki.dir / 'data' / 'my_wiki.sqlite'}?mode=ro", uri=True)
    digest: dict[str, int] = {}
    try:
        for table in CONTENT_TABLES:
            # page_touched moves when caches are purged; what a page holds is its latest revision.
            columns = "page_id, page_namespace, page_title, page_latest, page_len" if table == "page" else "*"
            try:
                rows = database.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()
            except sqlite3.OperationalError:
                continue
            digest[table] = int(hashlib.sha256(repr(rows).encode()).hexdigest()[:12], 16)
    finally:
        database.close()
    return digest


def run_maintenance(wiki: DevWiki, script: str, *args: str) -> str:
    """Run a MediaWiki maintenance script against the test wiki (what a server admin does)."""
    return str(devwiki.maintenance(devwiki.mediawiki_root(), wiki.dir, script, *args))

