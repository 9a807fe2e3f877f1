"""MediaWiki's API timestamps (ISO 8601 in UTC, with a Z) and expiries, one way to write and read them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """``2026-10-01T00:00:00Z``, as the API writes and takes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """An API timestamp (or any ISO 8601 time with an offset), as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# The words MediaWiki uses for "never expires" in block expiries and durations.
INDEFINITE = ("infinite", "indefinite", "infinity", "never")


def is_indefinite(expiry: str) -> bool:
    return expiry in INDEFINITE
