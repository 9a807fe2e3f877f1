"""Faults on the way to the wiki: which a retry may mend, and how to say so in one line."""

from __future__ import annotations

import sys

# API error codes that mean "try again" (pywikibot retries these itself first, then gives up).
TRANSIENT_CODES = frozenset({"maxlag", "ratelimited", "badtoken", "readonly", "actionthrottledtext"})


def transient_reason(error: BaseException) -> str | None:
    """Why a retry may mend this fault, in a few words; None when it will not."""
    import requests
    from pywikibot.exceptions import (
        APIError,
        FatalServerError,
        MaxlagTimeoutError,
        ServerError,
        SiteDefinitionError,
        UnknownFamilyError,
        UnknownSiteError,
    )
    from pywikibot.exceptions import ApiTimeoutError as PywikibotTimeout

    if isinstance(error, UnknownSiteError | UnknownFamilyError | FatalServerError):
        return None  # a wrong wiki name or URL, or a certificate: no retry mends it

    if isinstance(error, APIError):
        transient = error.code in TRANSIENT_CODES or error.code.startswith("internal_api_error")
        return f"the wiki answered {error.code}" if transient else None
    if isinstance(error, MaxlagTimeoutError):
        return "the wiki's databases stayed lagged"
    if isinstance(error, SiteDefinitionError):  # pywikibot's word, for a site given by URL, for a non-JSON answer
        return "the answer was not JSON (cut short, or an error page)"
    if isinstance(error, PywikibotTimeout):
        return "no usable answer, through pywikibot's own retries too"
    if isinstance(error, ServerError | requests.RequestException | ConnectionError | TimeoutError):
        return f"no usable answer ({one_line(error)})"
    return None


def retries(count: int) -> str:
    return f"{count} retry" if count == 1 else f"{count} retries"


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[-1] if text else ''}".rstrip(": ")


def note_on_stderr(line: str) -> None:
    """Where one-line notes about retried faults go unless the caller routes them (the run log's JSON)."""
    print(f"note: {line}", file=sys.stderr)
