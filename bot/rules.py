"""The sweep's rules: written by each community on a JSON page, validated before anything is done.

The page format is public (``bot/schemas/sweep-rules.schema.json``, documented in the README).
A page that breaks it stops the sweep with the key path and the reason; nothing is changed.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema
import jsonschema.exceptions

from bot.errors import MalformedDocument, load_json
from bot.mentors import Mentor
from bot.messages import Items, Text, check_overrides

DEFAULT_AWAY_DAYS = 30
DEFAULT_MAX_ACTION_SHARE = 0.2
MAX_AWAY_DAYS = 365
DEFAULT_NOTICE_DAYS = 7
DEFAULT_GROUPS = ("content", "talk", "all")
QUESTION_TAGS = ("mentorship module question", "mentorship panel question")


def schema(name: str) -> dict[str, Any]:
    text = resources.files("bot").joinpath(f"schemas/{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def load_checked(text: str, source: str, schema_name: str) -> Any:
    """An on-wiki JSON page, parsed and checked against its schema, or refused with the key path."""
    document = load_json(text, source, object_root=False)  # the schema names a wrong root
    return check_document(document, source, schema_name)


def check_document(document: Any, source: str, schema_name: str) -> Any:
    """A parsed document checked against its schema in ``bot/schemas``, or refused with the key path."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    breach = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if breach is not None:
        raise MalformedDocument(source, _json_path(breach), breach.message)
    return document


@dataclass(frozen=True)
class Measure:
    """One activity measure. ``key`` names it in the state store and in reasons."""

    kind: str  # last-edit, last-action, edits-in-window, answered-questions
    window_days: int = 0
    min_edits: tuple[tuple[str, int], ...] = ()
    answer_within_days: int = 0
    min_share: float = 0.0
    min_questions: int = 1

    @property
    def key(self) -> str:
        if self.kind == "edits-in-window":
            counts = ",".join(f"{group}>={n}" for group, n in self.min_edits)
            return f"edits-in-window:{self.window_days}d:{counts}"
        if self.kind == "answered-questions":
            return f"answered-questions:{self.window_days}d:{self.answer_within_days}d:{self.min_share}"
        return self.kind

    @property
    def is_count_rule(self) -> bool:
        """Count rules have no date of their own: days count from the first failed sweep."""
        return self.kind in ("edits-in-window", "answered-questions")

    def describe(self) -> Text:
        if self.kind == "last-edit":
            return Text("mentorbot-measure-last-edit")
        if self.kind == "last-action":
            return Text("mentorbot-measure-last-action")
        if self.kind == "edits-in-window":
            wanted = Items(tuple(Text("mentorbot-measure-edits-group", n, group_name(group))
                                 for group, n in self.min_edits))
            return Text("mentorbot-measure-edits", wanted, self.window_days)
        return Text("mentorbot-measure-questions", f"{self.min_share:.0%}", self.answer_within_days,
                    self.window_days)


def group_name(group: str) -> Text | str:
    """The default namespace groups are named in the wiki's language; a community's own keep their name."""
    return Text(f"mentorbot-group-{group}") if group in DEFAULT_GROUPS else group


@dataclass(frozen=True)
class SweepRules:
    measures: tuple[Measure, ...]
    warn_after_days: int | None = None
    away_after_days: int | None = None
    remove_after_days: int | None = None
    away_days_without_removal: int = DEFAULT_AWAY_DAYS
    exempt: frozenset[str] = frozenset()
    skip_manual_mentors: bool = False
    remove_indefinitely_blocked: bool = False
    move_mentees: bool = True
    max_action_share: float = DEFAULT_MAX_ACTION_SHARE
    run_log_page: str | None = None
    namespace_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    notice_days: int = DEFAULT_NOTICE_DAYS  # a stage comes only this long after the notice of the one before
    explanation_page: str | None = None  # the rules in words, for people: notices link there
    messages: dict[str, str] = field(default_factory=dict)  # the wiki's own texts, by message key
    page: str = ""

    def is_exempt(self, username: str) -> bool:
        return normalize_username(username) in self.exempt

    def leaves_alone(self, mentor: Mentor) -> Text | None:
        """Why the rules never touch this mentor, or None."""
        if self.is_exempt(mentor.username):
            return Text("mentorbot-reason-exempt")
        if self.skip_manual_mentors and mentor.weight == 0:
            return Text("mentorbot-reason-manual")
        return None

    @property
    def explained_at(self) -> str:
        """Where people read the rules: the community's page in words, else this JSON page."""
        return self.explanation_page or self.page.strip("[]")

    def in_words(self) -> Text:
        """The rules as a sentence for people (the dashboard states it)."""
        stages = tuple(Text(f"mentorbot-rules-{stage}", days) for stage, days in (
            ("warn", self.warn_after_days), ("away", self.away_after_days), ("remove", self.remove_after_days)) if days)
        return Text("mentorbot-rules-in-words", self.explained_at, Items(tuple(m.describe() for m in self.measures)),
                    Items(stages), self.notice_days)

    @property
    def first_stage_days(self) -> int:
        stages = [d for d in (self.warn_after_days, self.away_after_days, self.remove_after_days) if d]
        return min(stages)


def normalize_username(name: str) -> str:
    """As MediaWiki spells a user name: no User: prefix, spaces for underscores, a capital first letter."""
    name = " ".join(name.replace("_", " ").split())
    prefix, _, rest = name.partition(":")
    if rest and prefix.strip().lower() == "user":
        name = rest.strip()
    return name[:1].upper() + name[1:]


def _json_path(error: jsonschema.exceptions.ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_rules(text: str, source: str) -> SweepRules:
    """Validate the rules page's text and turn it into plain data, or refuse with the key path."""
    document = load_checked(text, source, "sweep-rules")
    raw_measures = document["activity"] if isinstance(document["activity"], list) else [document["activity"]]
    measures = tuple(
        Measure(
            kind=m["measure"],
            window_days=m.get("window_days", 0),
            min_edits=tuple(sorted(m.get("min_edits", {}).items())),
            answer_within_days=m.get("answer_within_days", 0),
            min_share=float(m.get("min_share", 0.0)),
            min_questions=m.get("min_questions", 1),
        )
        for m in raw_measures
    )
    stages = {name: document.get(name) for name in ("warn_after_days", "away_after_days", "remove_after_days")}
    if not any(stages.values()):
        raise MalformedDocument(source, "$", "no stage: set warn_after_days, away_after_days or remove_after_days")
    order = [(name, days) for name, days in stages.items() if days]
    for (earlier, first), (later, second) in itertools.pairwise(order):
        if first >= second:
            raise MalformedDocument(source, f"$.{later}", f"must be more than {earlier} ({first})")
    groups = {name: tuple(numbers) for name, numbers in document.get("namespace_groups", {}).items()}
    for index, measure in enumerate(measures):
        for group, _count in measure.min_edits:
            if group not in groups and group not in DEFAULT_GROUPS:
                where = "$.activity" + (f"[{index}]" if isinstance(document["activity"], list) else "")
                raise MalformedDocument(source, f"{where}.min_edits.{group}", "unknown namespace group")
    return SweepRules(
        measures=measures,
        warn_after_days=stages["warn_after_days"],
        away_after_days=stages["away_after_days"],
        remove_after_days=stages["remove_after_days"],
        away_days_without_removal=document.get("away_days_without_removal", DEFAULT_AWAY_DAYS),
        exempt=frozenset(normalize_username(name) for name in document.get("exempt", [])),
        skip_manual_mentors=document.get("skip_manual_mentors", False),
        remove_indefinitely_blocked=document.get("remove_indefinitely_blocked", False),
        move_mentees=document.get("move_mentees", True),
        max_action_share=document.get("max_action_share", DEFAULT_MAX_ACTION_SHARE),
        run_log_page=document.get("run_log_page"),
        namespace_groups=groups,
        notice_days=document.get("notice_days", DEFAULT_NOTICE_DAYS),
        explanation_page=document.get("explanation_page"),
        messages=check_overrides(document.get("messages", {}), source),
        page=source,
    )
