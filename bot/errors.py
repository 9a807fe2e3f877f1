"""Every refusal the bot makes is one of these, so the caller can say exactly what and where."""

from __future__ import annotations

import json
from typing import Any


class MentorBotError(Exception):
    """Base class: a problem the bot explains in a plain sentence."""

    exit_code = 1


class ConfigError(MentorBotError):
    """The operator's configuration is missing something or holds a bad value."""

    exit_code = 2


class NoWikiGiven(ConfigError):
    """Neither the command line nor the config file names a wiki."""


class OutputError(MentorBotError):
    """A file or folder the bot was told to write cannot be written."""

    exit_code = 2

    def __init__(self, what: str, path: object, error: OSError) -> None:
        super().__init__(f"Cannot write {what} to {path}: {error.strerror or error}.")


class WikiUnavailable(MentorBotError):
    """The wiki could not be reached or kept failing after the allowed retries."""


class LoginFailed(MentorBotError):
    """The credentials were refused."""


class ApiFailure(MentorBotError):
    """The wiki refused a request; code and info come from the API."""

    def __init__(self, code: str, info: str, action: str = "") -> None:
        self.code = code
        self.info = info
        self.action = action
        where = f" ({action})" if action else ""
        super().__init__(f"The wiki refused a request{where}: {code}: {info}")


class MalformedDocument(MentorBotError):
    """An on-wiki JSON document does not follow its contract; ``path`` names the place."""

    def __init__(self, source: str, path: str, reason: str) -> None:
        self.source = source
        self.path = path
        self.reason = reason
        super().__init__(f"{source} is malformed at {path}: {reason}")


def load_json(text: str, source: str, *, object_root: bool = True) -> Any:
    """Parse an on-wiki JSON document, or refuse it naming the line and column (or the root)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedDocument(source, f"line {error.lineno} column {error.colno}", error.msg) from None
    if object_root and not isinstance(document, dict):
        raise MalformedDocument(source, "$", "the root must be an object")
    return document


class StopRun(MentorBotError):
    """A deliberate, clean stop before the next write (stop switch, edit budget)."""


class StopSwitchOn(StopRun):
    exit_code = 3


class EditBudgetSpent(StopRun):
    exit_code = 0


class BotExcluded(MentorBotError):
    """The page asks this bot not to edit it ({{bots}}/{{nobots}})."""


class RunLocked(MentorBotError):
    """Another run of the same task on the same wiki holds the lock."""

    exit_code = 4


class LockLost(RunLocked):
    """The run's lock went with its connection to the state store; another run may hold it now."""


class EditConflictUnresolved(MentorBotError):
    """The page kept changing under the bot; nothing was overwritten."""


class StateError(MentorBotError):
    """The state store refused a read or a write (the connection was lost, a row breaks a rule...)."""
