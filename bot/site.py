"""Open a pywikibot Site from the bot's configuration, without any file from the operator.

pywikibot is imported only here and only when a command needs the wiki, after its runtime
directory (cookies, ``throttle.ctrl``, API cache) has been pointed away from the current
directory. An operator's own ``PYWIKIBOT_DIR`` with a ``user-config.py`` is respected.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests

from bot import __version__
from bot.config import BotConfig, require_private
from bot.errors import ConfigError, LoginFailed, OutputError, WikiUnavailable
from bot.faults import TRANSIENT_CODES, note_on_stderr, one_line, retries, transient_reason

if TYPE_CHECKING:
    from bot.gateway import Counters


def _runtime_dir(config: BotConfig, task: str = "") -> tuple[Path, bool]:
    """Where pywikibot keeps its files, and whether an operator's user-config lives there.

    By default one directory per task: pywikibot spaces the edits of every process that shares
    a ``throttle.ctrl``, so a daily sweep would otherwise slow down the block notices.
    """
    operator_dir = os.environ.get("PYWIKIBOT_DIR")
    if config.pywikibot_dir is None and operator_dir and (Path(operator_dir) / "user-config.py").exists():
        return Path(operator_dir), True
    # The session cookie is kept per credentials: another name or password never reuses it.
    credentials = hashlib.sha256(f"{config.username}\n{config.password}".encode()).hexdigest()[:12]
    directory = config.pywikibot_dir or config.state_path.parent / "pywikibot" / f"{task or 'default'}-{credentials}"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # pywikibot expects this file once a process has used another directory before.
        (directory / "throttle.ctrl").touch()
    except OSError as error:
        raise OutputError("pywikibot's session files", directory, error) from None
    return directory, (directory / "user-config.py").exists()


def import_pywikibot(config: BotConfig, task: str = "") -> Any:
    directory, has_user_config = _runtime_dir(config, task)
    if not has_user_config:
        os.environ["PYWIKIBOT_NO_USER_CONFIG"] = "2"
    os.environ["PYWIKIBOT_DIR"] = str(directory)
    import pywikibot  # only now: it reads the environment set above at import time

    pywikibot.config.base_dir = str(directory)
    return pywikibot


def family_name(api: str) -> str:
    parsed = urlparse(api)
    host = (parsed.hostname or "wiki").replace(".", "-")
    return f"{host}-{parsed.port}" if parsed.port else host


def connect(config: BotConfig, counters: Counters | None = None, task: str = "",
            note: Callable[[str], None] | None = None, anonymous: bool = False) -> Any:
    """Return a logged-in pywikibot APISite (or, with ``anonymous``, one that reads as anyone may);
    every HTTP request is counted in ``counters``.

    ``note`` gets one line for each request retried after a fault (stderr by default).
    """
    note = note or note_on_stderr
    if config.api:
        probe(config.api)
        if counters is not None:
            counters.requests += 1
    pywikibot = import_pywikibot(config, task)
    watcher = ResponseWatcher(counters)
    watcher.install()
    settings = pywikibot.config
    settings.put_throttle = config.edit_interval
    settings.read_maxlag = settings.write_maxlag = config.maxlag  # Wikimedia asks for 5 on all
    settings.max_retries = config.max_retries
    settings.retry_wait = config.retry_wait
    settings.retry_max = config.retry_max
    settings.user_agent_description = f"mentorbot/{__version__}" + (
        f" ({config.contact})" if config.contact else ""
    )
    settings.noisysleep = max(config.retry_max, 1.0) + 1  # keep pywikibot's sleeps quiet

    quiet_retries(pywikibot, note)
    account = config.username.split("@", 1)[0] if config.username else None
    for attempt in range(1, config.max_retries + 2):
        try:
            site = _open_and_login(pywikibot, config, account, watcher, reuse_session=task != "check",
                                   anonymous=anonymous)
        except Exception as error:
            reason = transient_reason(error)
            if reason is None:
                raise
            if attempt > config.max_retries:
                raise WikiUnavailable(f"Cannot log in to {config.wiki_key}: {reason}, through "
                                      f"{retries(config.max_retries)}; try again later.") from None
            wait = min(config.retry_wait * 2 ** (attempt - 1), config.retry_max)
            note(f"retrying the login in {wait:g} s ({attempt}/{config.max_retries}): {reason}")
            time.sleep(wait)
        else:
            return site
    raise AssertionError("unreachable")


def _open_and_login(pywikibot: Any, config: BotConfig, account: str | None, watcher: ResponseWatcher,
                    reuse_session: bool, anonymous: bool = False) -> Any:
    from pywikibot import login
    from pywikibot.exceptions import Error as PywikibotError
    from pywikibot.exceptions import NoUsernameError
    from pywikibot.family import AutoFamily

    settings = pywikibot.config
    try:
        if config.api:
            family = AutoFamily(family_name(config.api), config.api)
            if account:
                settings.usernames[family.name]["*"] = account
            site = pywikibot.Site(family.name, family)
        else:
            assert config.wiki is not None
            fam, _, code = config.wiki.rpartition(":")
            if account:
                settings.usernames[fam or "wikipedia"][code] = account
            site = pywikibot.Site(code, fam or "wikipedia")
    except PywikibotError as error:
        if transient_reason(error):
            raise
        raise ConfigError(f"Cannot open the wiki {config.wiki_key}: {error}") from None
    watcher.watch(site)
    if anonymous:
        return site
    try:
        if config.username and config.password:
            _login_with_password(site, login, config.username, config.password, reuse_session)
        else:
            check_password_file(settings)
            site.login()
    except NoUsernameError as error:
        if "is undefined" in str(error):  # pywikibot's advice names its own config files; ours is the README's
            raise LoginFailed(NO_CREDENTIALS) from None
        raise LoginFailed(login_failure(config, str(error).replace(f" on {site}", ""))) from None
    except PywikibotError as error:
        if transient_reason(error):
            raise
        raise LoginFailed(login_failure(config, str(error).replace(str(site), config.wiki_key))) from None
    except EOFError:
        raise LoginFailed(NO_CREDENTIALS) from None
    if not site.logged_in():
        raise LoginFailed(login_failure(config, "the wiki did not accept the session"))
    return site


NO_CREDENTIALS = ("No credentials: set MENTORBOT_USERNAME and MENTORBOT_PASSWORD (a BotPassword: Name@app and its "
                  "password), or username and password in the config file, or give pywikibot a password file.")


def login_failure(config: BotConfig, why: str) -> str:
    """A refused login in one sentence, with what to check."""
    who = config.username or "the configured account"
    hint = ("A BotPassword logs in as Name@app, the name Special:BotPasswords shows, with the password it gave."
            if config.username and "@" not in config.username else
            "Check the password Special:BotPasswords gave (making a new one replaces it).")
    return f"Login to {config.wiki_key} as {who} failed: {why.strip().rstrip('.')}. {hint}"


class OneLineRetries(logging.Filter):
    """pywikibot's chatter about faults it retries, as one line in the bot's words.

    pywikibot prints a traceback (or 20 lines of an error page) for each request it sends again,
    and a warning for every API error, handled or not. The bot says what it did about an error
    itself; a retry becomes ``note: retrying a request: <why>``.
    """

    DROPPED = ("An error occurred for uri", "Waiting ", "API error ", "Http response status")
    DROPPED_INFO = ("Logging in to ",)  # names pywikibot's site, not the wiki the operator gave

    def __init__(self, note: Callable[[str], None]) -> None:
        super().__init__()
        self.note = note

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno < logging.WARNING:
            return not message.startswith(self.DROPPED_INFO)
        lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
        code = message[len("API error "):].split(":", 1)[0] if message.startswith("API error ") else ""
        why = (lines[-1] if "Traceback (most recent call last)" in message
               else "the answer was not JSON" if message.startswith("Non-JSON response received")
               else f"the wiki answered {code}" if code in TRANSIENT_CODES else None)
        if why:
            self.note(f"retrying a request: {why}")
            return False
        return not message.startswith(self.DROPPED)


def quiet_retries(pywikibot: Any, note: Callable[[str], None]) -> None:
    pywikibot.bot.init_handlers()
    for handler in logging.getLogger("pywiki").handlers:
        for old in [f for f in handler.filters if isinstance(f, OneLineRetries)]:
            handler.removeFilter(old)
        handler.addFilter(OneLineRetries(note))


def check_password_file(settings: Any) -> None:
    """Refuse pywikibot's password file when anyone but its owner may read or change it."""
    if not settings.password_file:
        return
    path = Path(settings.base_dir) / settings.password_file
    if path.exists():  # else pywikibot says so itself
        require_private(path, "The password file")


def probe(api: str) -> None:
    """Fail fast, in one sentence, when nothing answers at the API URL.

    pywikibot would retry a refused connection for minutes with a traceback each time.
    """
    try:
        response = requests.get(api, params={"action": "query", "meta": "siteinfo", "format": "json"},
                                timeout=30, headers={"User-Agent": f"mentorbot/{__version__} (probe)"})
    except requests.RequestException as error:
        raise WikiUnavailable(f"Cannot reach the wiki at {api}: {unreachable_reason(error)}.") from None
    if response.status_code < 500 and "json" not in response.headers.get("content-type", ""):
        raise ConfigError(f"{api} does not answer like a MediaWiki api.php (HTTP {response.status_code}).")


def unreachable_reason(error: BaseException) -> str:
    """Why a connection failed, in a few words, from the innermost cause (not urllib3's pool message)."""
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused (is the host and port right, and the wiki running?)"
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve (is it spelled right?)"
        if isinstance(cause, ssl.SSLError):
            return f"the secure connection failed ({cause.reason or cause})"
        if isinstance(cause, (TimeoutError, socket.timeout, requests.Timeout)):
            return "no answer within 30 s"
    return one_line(causes[-1])


def _login_with_password(site: Any, login: Any, username: str, password: str, reuse_session: bool) -> None:
    """Log in with credentials from the environment (a BotPassword: ``Name@app``).

    A task may go on with the session of its last run: the cookie file lives in a folder tied to
    these credentials. ``check`` always logs in afresh, so that it tests the password itself.
    """
    from pywikibot.comms import http

    account = username.split("@", 1)[0]
    site._username = account
    if reuse_session:
        site.login(cookie_only=True)
        if site.logged_in():
            return
    else:  # MediaWiki refuses a login sent with a BotPassword session's cookie
        http.cookie_jar.clear()
    manager = login.ClientLoginManager(site=site, user=account, password=password)
    manager.login_name = username
    manager.login(retry=False)
    site._loginstatus = login.LoginStatus.AS_USER
    del site.userinfo  # reload as the logged-in account
    site.userinfo  # noqa: B018 - fetches it


class ResponseWatcher:
    """Sees every HTTP response pywikibot receives (login and tokens included).

    It counts them, and passes a failed answer's ``Retry-After`` to the site's throttle:
    pywikibot reads that header only from successful answers, so without this a 503 or 429
    would be retried after its own fixed wait instead of when the server asked.
    """

    def __init__(self, counters: Counters | None) -> None:
        self.counters = counters
        # Each wiki's site by its address: a run that reads several wikis (report wikis) must send a
        # wait to the wiki that asked for it.
        self.sites: dict[str, Any] = {}

    def watch(self, site: Any) -> None:
        self.sites[site.base_url(site.scriptpath()) + "/"] = site

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> None:
        if self.counters is not None:
            self.counters.requests += 1
        retry_after = response.headers.get("Retry-After")
        if retry_after and (response.status_code >= 500 or response.status_code == 429):
            site = next((site for base, site in self.sites.items() if str(response.url).startswith(base)), None)
            if site is not None:
                with contextlib.suppress(ValueError):
                    site.throttle.retry_after = int(float(retry_after))

    def install(self) -> None:
        """The one watcher of pywikibot's session; one counting for the same run keeps the wikis it knew."""
        from pywikibot.comms import http

        hooks = http.session.hooks["response"]
        for hook in hooks:
            if isinstance(hook, ResponseWatcher) and hook.counters is self.counters:
                self.sites.update(hook.sites)
        hooks[:] = [hook for hook in hooks if not isinstance(hook, ResponseWatcher)]
        hooks.append(self)
