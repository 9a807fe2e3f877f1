"""Numbers in English sentences for the command line: "1 write", "2 writes"."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` and the noun it counts, singular for exactly one."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
