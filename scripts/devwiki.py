"""A real MediaWiki 1.43 LTS test wiki on 127.0.0.1, with GrowthExperiments or its stand-in.

MediaWiki comes from Debian 13's ``mediawiki`` and ``mediawiki-classes`` packages, fetched with
apt through a private source list (the machine's own apt sources are not touched) and unpacked,
not installed. Two flavours, with the same accounts and grants:

* ``standin`` (the default): the project's PHP stand-in for GrowthExperiments' API
  (``tests/growth_standin``);
* ``real``: GrowthExperiments itself, branch REL1_43, from the source tarball given by
  ``MENTORBOT_GE_SOURCE`` (a ``.tar.gz`` as ``git archive`` writes it, or a directory), else
  ``../shared/vendor/GrowthExperiments-REL1_43.tar.gz`` beside the checkout when it is there. It
  needs VisualEditor, which Debian's package carries in ``extensions-core``; ``update.php``
  creates its tables. Its mentorship settings are ``$wgGE...`` settings here (no
  CommunityConfiguration on 1.43).

A prepared template wiki is built once per flavour and version of this file and of the extension;
``up`` copies it and serves it with ``php -S``.

Usage:
    dev-wiki up [--dir DIR] [--port PORT] [--growth standin|real]   start a wiki, print one JSON object
    dev-wiki reset DIR                                              restore the database to the template
    dev-wiki down DIR                                               stop the wiki started in DIR
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("MENTORBOT_DEV_CACHE", REPO / ".cache"))
STANDIN = REPO / "tests" / "growth_standin"
GLOBAL_LOCKS = REPO / "tests" / "global_locks"  # CentralAuth's locks, for both flavours
GE_TARBALL = REPO.parent / "shared" / "vendor" / "GrowthExperiments-REL1_43.tar.gz"
FLAVOURS = ("standin", "real")
MW_PACKAGES = ("mediawiki", "mediawiki-classes")
MW_SUITE = "trixie"  # Debian 13 carries MediaWiki 1.43 LTS
PHP_PACKAGES = ("php-cli", "php-gmp", "php-intl", "php-mbstring", "php-xml", "php-sqlite3")

ADMIN_USER = "Admin"
ADMIN_PASSWORD = "Admin-password-for-the-test-wiki-0001"
BOT_NAME = "MentorBot"
BOT_APP = "mentorbot"
# MediaWiki recognises a BotPassword only when it is 32+ characters of [0-9a-w].
BOT_PASSWORD = "mentorbotdevwikipassword0123456789"
BOT_GRANTS = (
    "basic,highvolume,editpage,editprotected,editinterface,editsiteconfig,"
    "createeditmovepage,blockusers,managementorship"
)

EXTRA_SETTINGS = r"""
# --- added by dev-wiki ---
$wgServer = WebRequest::detectServer();
$wgCacheDirectory = __DIR__ . '/cache';
$wgUploadDirectory = __DIR__ . '/images';
$wgDebugLogFile = '';
$wgDBerrorLog = false;
$wgShowExceptionDetails = true;
$wgEnableBotPasswords = true;
# Test wikis share a host and a database name: a cookie name of each wiki's own (its port) keeps one
# client's sessions on two of them apart, as different hosts do on Wikimedia's wikis.
$wgCookiePrefix = 'my_wiki_' . ( $_SERVER['SERVER_PORT'] ?? 'cli' );
# The rate limiter (and so the tests that provoke it) needs a real object cache.
$wgMainCacheType = CACHE_DB;
$wgMessageCacheType = CACHE_NONE;
# pywikibot's unblock() checks for this right.
$wgGroupPermissions['sysop']['unblock'] = true;
$wgJobRunRate = 0;
# Users named in this file are globally locked (the test stand-in of CentralAuth's locks).
$wgGlobalLocksStandinFile = __DIR__ . '/global-locks';
wfLoadExtension( 'GlobalLocksStandin', '@LOCKS@/extension.json' );
@GROWTH@
# Per-test settings: php -S caches this file for a few seconds, the included one is read afresh.
if ( is_file( __DIR__ . '/test-settings.php' ) ) {
	eval( '?>' . file_get_contents( __DIR__ . '/test-settings.php' ) );
}
"""


GROWTH_SETTINGS = {
    "standin": r"""
$wgGrowthStandinFakeLagFile = __DIR__ . '/fake-lag';
wfLoadExtension( 'GrowthStandin', '@STANDIN@/extension.json' );
""",
    "real": r"""
wfLoadExtension( 'VisualEditor', '@CODE@/extensions-core/VisualEditor/extension.json' );
wfLoadExtension( 'GrowthExperiments', '@GE@/extension.json' );
# Mentorship for every new account, as on the wikis that run it; no remote task services.
$wgGEHomepageEnabled = true;
$wgGEHomepageNewAccountEnablePercentage = 100;
$wgGEMentorshipEnabled = true;
$wgGEMentorshipNewAccountEnablePercentage = 100;
$wgGEHomepageSuggestedEditsEnabled = false;
$wgGELevelingUpFeaturesEnabled = false;
$wgGEUseCommunityConfigurationExtension = false;
$wgWelcomeSurveyEnabled = false;
""",
}


class GrowthSourceMissing(SystemExit):
    """The real flavour was asked for, and no GrowthExperiments source is to be had."""


def growth_source() -> Path:
    """GrowthExperiments' REL1_43 source, unpacked once into the cache; where its extension.json is."""
    given = os.environ.get("MENTORBOT_GE_SOURCE")
    source = Path(given) if given else GE_TARBALL
    if source.is_dir():
        if not (source / "extension.json").exists():
            raise GrowthSourceMissing(f"dev-wiki: {source} holds no extension.json of GrowthExperiments")
        return source
    if not source.is_file():
        raise GrowthSourceMissing(
            "dev-wiki: no GrowthExperiments source: set MENTORBOT_GE_SOURCE to its REL1_43 tarball or checkout"
            if given else f"dev-wiki: no GrowthExperiments source ({GE_TARBALL} is absent; set MENTORBOT_GE_SOURCE)")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    unpacked = CACHE / f"GrowthExperiments-{digest}"
    if not (unpacked / "extension.json").exists():
        log(f"unpacking GrowthExperiments from {source.name}")
        staging = Path(tempfile.mkdtemp(dir=CACHE, prefix="ge-"))
        run(["tar", "-xzf", str(source), "-C", str(staging)])
        shutil.rmtree(unpacked, ignore_errors=True)
        staging.rename(unpacked)
    return unpacked


def log(message: str) -> None:
    print(f"dev-wiki: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(
            f"dev-wiki: command failed ({result.returncode}): {' '.join(cmd)}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result  # type: ignore[no-any-return]


def ensure_php() -> None:
    """Install PHP and the extensions MediaWiki needs from the machine's own apt sources."""
    probe = subprocess.run(
        ["php", "-r", "exit(extension_loaded('intl') && extension_loaded('pdo_sqlite')"
         " && extension_loaded('mbstring') && extension_loaded('dom') ? 0 : 1);"],
        capture_output=True,
    ) if shutil.which("php") else None
    if probe is not None and probe.returncode == 0:
        return
    log("installing PHP from Debian packages")
    run(["apt-get", "update", "-q"])
    run(["apt-get", "install", "-y", "-q", *PHP_PACKAGES], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def mediawiki_root() -> Path:
    """Fetch and unpack Debian's MediaWiki 1.43 packages once; return the code directory."""
    unpacked = CACHE / "mediawiki-1.43"
    code = unpacked / "usr" / "share" / "mediawiki"
    if (code / "api.php").exists():
        return code
    log("fetching MediaWiki 1.43 from Debian's archive")
    apt = CACHE / "apt"
    for sub in ("lists/partial", "cache/archives/partial", "debs"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    sources = apt / "sources.list"
    sources.write_text(
        f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {debian_archive()} {MW_SUITE} main\n"
    )
    options = [
        "-o", f"Dir::Etc::SourceList={sources}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={apt / 'lists'}",
        "-o", f"Dir::Cache={apt / 'cache'}",
        "-o", "Dir::State::status=/dev/null",
        "-o", "APT::Sandbox::User=root",
    ]
    run(["apt-get", *options, "update", "-q"])
    run(["apt-get", *options, "download", *MW_PACKAGES], cwd=apt / "debs")
    staging = Path(tempfile.mkdtemp(dir=CACHE))
    for deb in sorted((apt / "debs").glob("*.deb")):
        run(["dpkg-deb", "-x", str(deb), str(staging)])
    shutil.rmtree(unpacked, ignore_errors=True)
    staging.rename(unpacked)
    return code


def debian_archive() -> str:
    """The Debian archive this machine's apt fetches its own release from, as apt reads its sources.

    ``apt-get indextargets`` lists what apt's configuration names, sources.list lines and deb822
    ``.sources`` files alike: the entry for this release's own suite (its codename, component
    main) is the archive, whatever mirror the machine uses. Only the suite is switched.
    """
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    codename = release.get("VERSION_CODENAME", "").strip('"')
    targets = run(["apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE) $(COMPONENT)"]).stdout
    for line in sorted(set(targets.splitlines())):
        uri, suite, component = [*line.split(), "", "", ""][:3]
        if suite == codename and component == "main":
            return uri
    raise SystemExit(f"dev-wiki: apt's sources name no Debian archive for {codename or 'this release'} "
                     "(a 'main' component of its own suite); MediaWiki is fetched from the same archive")


def template_key(growth: str, ge: Path | None) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes() + growth.encode() + str(ge).encode())
    for root in (STANDIN, GLOBAL_LOCKS) if growth == "standin" else (GLOBAL_LOCKS,):
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def maintenance(code: Path, wiki: Path, script: str, *args: str) -> str:
    env = {**os.environ, "MW_CONFIG_FILE": str(wiki / "LocalSettings.php")}
    return run(["php", str(code / "maintenance" / "run.php"), script, *args], env=env).stdout


def build_template(code: Path, growth: str) -> Path:
    ge = growth_source() if growth == "real" else None
    template = CACHE / f"template-{growth}-{template_key(growth, ge)}"
    if (template / "ready").exists():
        return template
    log(f"building the template wiki ({growth})")
    staging = Path(tempfile.mkdtemp(dir=CACHE, prefix="building-"))
    for sub in ("data", "cache", "images"):
        (staging / sub).mkdir()
    run([
        "php", str(code / "maintenance" / "install.php"),
        "--dbtype", "sqlite", "--dbpath", str(staging / "data"), "--dbname", "my_wiki",
        "--server", "http://127.0.0.1", "--scriptpath", "",
        "--pass", ADMIN_PASSWORD, "--confpath", str(staging), "--lang", "en",
        "Test Wiki", ADMIN_USER,
    ])
    settings = staging / "LocalSettings.php"
    # The installer writes absolute paths; the template is copied, so make them relative.
    text = settings.read_text().replace(f'"{staging}/data"', "__DIR__ . '/data'")
    growth_settings = GROWTH_SETTINGS[growth].replace("@STANDIN@", str(STANDIN)).replace(
        "@CODE@", str(code)).replace("@GE@", str(ge))
    settings.write_text(text + EXTRA_SETTINGS.replace("@GROWTH@", growth_settings).replace(
        "@LOCKS@", str(GLOBAL_LOCKS)))
    maintenance(code, staging, "update", "--quick")
    maintenance(code, staging, "createAndPromote", "--bot", "--sysop",
                "--custom-groups", "interface-admin", BOT_NAME, BOT_PASSWORD + "-main")
    maintenance(code, staging, "createBotPassword", "--appid", BOT_APP, "--grants", BOT_GRANTS,
                BOT_NAME, BOT_PASSWORD)
    (staging / "ready").write_text("")
    shutil.rmtree(template, ignore_errors=True)
    staging.rename(template)
    for old in CACHE.glob(f"template-{growth}-*"):
        if old != template:
            shutil.rmtree(old, ignore_errors=True)
    return template


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(api: str, pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    url = api + "?action=query&meta=siteinfo&format=json"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if b'"sitename"' in response.read():
                    return
        except OSError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise SystemExit("dev-wiki: php -S exited before serving the wiki") from None
        time.sleep(0.1)
    raise SystemExit(f"dev-wiki: the wiki at {api} did not answer within {timeout:.0f} s")


def copy_data(template: Path, wiki: Path) -> None:
    (wiki / "data").mkdir(parents=True, exist_ok=True)
    for path in (wiki / "data").glob("*.sqlite*"):
        path.unlink()
    for path in (template / "data").glob("*.sqlite"):
        shutil.copyfile(path, wiki / "data" / path.name)
    for knob in ("fake-lag", "test-settings.php", "global-locks"):
        (wiki / knob).unlink(missing_ok=True)


@contextlib.contextmanager
def cache_lock() -> Iterator[None]:
    """One process at a time fills the cache (test workers start their wikis side by side)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def up(directory: str | None, port: int | None, growth: str = "standin") -> dict[str, object]:
    with cache_lock():
        ensure_php()
        code = mediawiki_root()
        template = build_template(code, growth)
    wiki = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="mentorbot-wiki-"))
    wiki.mkdir(parents=True, exist_ok=True)
    for sub in ("cache", "images"):
        (wiki / sub).mkdir(exist_ok=True)
    shutil.copyfile(template / "LocalSettings.php", wiki / "LocalSettings.php")
    copy_data(template, wiki)
    (wiki / "template").write_text(str(template))
    port = port or free_port()
    env = {**os.environ, "MW_CONFIG_FILE": str(wiki / "LocalSettings.php")}
    server_log = open(wiki / "server.log", "ab")  # noqa: SIM115 - handed to the server
    process = subprocess.Popen(
        ["php", "-d", "error_reporting=E_ALL & ~E_DEPRECATED", "-S", f"127.0.0.1:{port}", "-t", str(code)],
        env=env, stdout=server_log, stderr=server_log, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    (wiki / "pid").write_text(str(process.pid))
    api = f"http://127.0.0.1:{port}/api.php"
    wait_for(api, process.pid)
    return {
        "api": api,
        "dir": str(wiki),
        "pid": process.pid,
        "admin_user": ADMIN_USER,
        "admin_password": ADMIN_PASSWORD,
        "bot_user": f"{BOT_NAME}@{BOT_APP}",
        "bot_password": BOT_PASSWORD,
        "growth": growth,
    }


def reset(directory: str) -> None:
    wiki = Path(directory)
    copy_data(Path((wiki / "template").read_text()), wiki)


def down(directory: str) -> None:
    pid_file = Path(directory) / "pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    pid_file.unlink()


def set_language(api: str, directory: str, code: str) -> None:
    """Make the running wiki's content language ``code`` (as $wgLanguageCode), and wait until it is served."""
    if code == "en":
        return
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", code):
        raise SystemExit(f"dev-wiki: {code!r} is not a language code")
    wiki = Path(directory)
    (wiki / "test-settings.php").write_text(f"<?php\n$wgLanguageCode = '{code}';\n")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(api + "?action=query&meta=siteinfo&format=json", timeout=10) as response:
            if json.loads(response.read())["query"]["general"]["lang"] == code:
                return
        time.sleep(0.2)
    raise SystemExit(f"dev-wiki: the wiki did not switch to {code} within 30 s")


def backdate(wiki: Any, username: str, days: float, *, tables: tuple[str, ...] = ("revision",)) -> None:
    """Move a user's rows (edits by default) and registration ``days`` into the past.

    ``wiki`` is the wiki's directory, or anything with a ``dir`` attribute naming it. Tests and
    the demo use it to make a mentor inactive for a while without waiting.
    """
    directory = Path(getattr(wiki, "dir", wiki))
    columns = {"revision": ("rev_id", "rev_timestamp", "rev_actor"),
               "recentchanges": ("rc_id", "rc_timestamp", "rc_actor"),
               "logging": ("log_id", "log_timestamp", "log_actor")}

    def shift(stamp: str | bytes) -> str:
        text = stamp.decode() if isinstance(stamp, bytes) else stamp
        return (datetime.strptime(text, "%Y%m%d%H%M%S") - timedelta(days=days)).strftime("%Y%m%d%H%M%S")

    database = sqlite3.connect(directory / "data" / "my_wiki.sqlite")
    try:
        actor, user_id = database.execute(
            "SELECT actor_id, actor_user FROM actor WHERE actor_name = ?", (username,)).fetchone()
        for table in tables:
            key, stamp, who = columns[table]
            rows = database.execute(f"SELECT {key}, {stamp} FROM {table} WHERE {who} = ?", (actor,)).fetchall()
            database.executemany(f"UPDATE {table} SET {stamp} = ? WHERE {key} = ?",
                                 [(shift(value), row_id) for row_id, value in rows])
        (registration,) = database.execute("SELECT user_registration FROM user WHERE user_id = ?",
                                           (user_id,)).fetchone()
        database.execute("UPDATE user SET user_registration = ? WHERE user_id = ?", (shift(registration), user_id))
        database.commit()
    finally:
        database.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev-wiki", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up")
    start.add_argument("--dir")
    start.add_argument("--port", type=int)
    start.add_argument("--growth", choices=FLAVOURS, default="standin",
                       help="GrowthExperiments itself (REL1_43) or the project's stand-in (default)")
    commands.add_parser("reset").add_argument("dir")
    commands.add_parser("down").add_argument("dir")
    args = parser.parse_args(argv)
    if args.command == "up":
        print(json.dumps(up(args.dir, args.port, args.growth)))
    elif args.command == "reset":
        reset(args.dir)
    else:
        down(args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
