"""Every text the bot writes on a wiki, in the wiki's own language.

The texts live in ``bot/i18n/CODE.json`` in MediaWiki's own format: one file per language, keys
``mentorbot-…``, parameters ``$1``, ``$2``…, and ``{{PLURAL:}}``, ``{{GENDER:}}`` and
``{{int:comma-separator}}`` left for the wiki's parser; ``qqq.json`` documents each message and its
parameters. A wiki's language is its content language (siteinfo), then MediaWiki's fallback chain
for it, then English. A community can replace any message by key on its settings page.

Code never writes prose for a wiki: it builds :class:`Text` (a key and its parameters), and the
wiki's :class:`Messages` turns that into wikitext. The command line shows the same ``Text`` in
English (:func:`english`), with the wiki markup resolved.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from bot.errors import MalformedDocument

LANGUAGES = ("en", "ko", "ru", "de", "ar", "es", "fr")  # the shipped translations
PARAMETER = re.compile(r"\$(\d+)")
COMMA = "{{int:comma-separator}}"


@dataclass(frozen=True)
class Text:
    """A message key and its parameters: wikitext in the wiki's language, English for operators."""

    key: str
    params: tuple[Param, ...] = ()

    def __init__(self, key: str, *params: Param) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", params)

    def __str__(self) -> str:
        return english(self)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "params": [param_to_json(p) for p in self.params]}

    @classmethod
    def from_json(cls, data: Any) -> Text:
        if isinstance(data, str):  # a plan journaled by an older version: its English sentence as it was
            return cls("mentorbot-raw", data)
        return cls(data["key"], *(param_from_json(p) for p in data["params"]))


@dataclass(frozen=True)
class Items:
    """Several parameters shown as one list, joined the wiki's way (``{{int:comma-separator}}``)."""

    items: tuple[Param, ...]


@dataclass(frozen=True)
class Native:
    """A message MediaWiki itself has, such as a user group's name: the wiki's own words on the wiki
    (``{{int:group-sysop}}``), the code for operators."""

    key: str
    code: str


@dataclass(frozen=True)
class Verbatim:
    """Text from outside the bot (a block reason, a page's words, an error): shown as typed, never
    parsed on the wiki (no links, templates, signatures or pings), flattened to one line."""

    text: str

    @property
    def flat(self) -> str:
        return " ".join(self.text.split())


Param = str | int | float | datetime | Text | Items | Native | Verbatim


def param_to_json(param: Param) -> Any:
    if isinstance(param, Text):
        return param.to_json()
    if isinstance(param, Items):
        return {"items": [param_to_json(p) for p in param.items]}
    if isinstance(param, datetime):
        return {"date": param.isoformat()}
    if isinstance(param, Native):
        return {"native": param.key, "code": param.code}
    if isinstance(param, Verbatim):
        return {"verbatim": param.text}
    return param


def param_from_json(data: Any) -> Param:
    if isinstance(data, dict):
        if "items" in data:
            return Items(tuple(param_from_json(p) for p in data["items"]))
        if "date" in data:
            return datetime.fromisoformat(data["date"])
        if "native" in data:
            return Native(data["native"], data["code"])
        if "verbatim" in data:
            return Verbatim(data["verbatim"])
        return Text.from_json(data)
    value: Param = data
    return value


@cache
def catalogue(code: str) -> dict[str, str]:
    """The messages of one language file (empty when the bot has no file for it)."""
    path = resources.files("bot").joinpath(f"i18n/{code}.json")
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in loaded.items() if not key.startswith("@")}


def parameter_count(message: str) -> int:
    return max((int(number) for number in PARAMETER.findall(message)), default=0)


def check_overrides(document: Any, source: str, where: str = "$.messages") -> dict[str, str]:
    """A settings page's replacement texts, refused where a key or a parameter is not the bot's."""
    overrides = document if isinstance(document, dict) else {}
    known = catalogue("en")
    for key, value in overrides.items():
        if key not in known:
            raise MalformedDocument(source, f"{where}.{key}", "no such message (the bot's i18n/en.json has the keys)")
        if parameter_count(value) > parameter_count(known[key]):
            raise MalformedDocument(source, f"{where}.{key}",
                                    f"uses ${parameter_count(value)}, but this message has only "
                                    f"{parameter_count(known[key])} parameters")
    return dict(overrides)


class Messages:
    """The texts for one wiki: its overrides, then its language and MediaWiki's fallbacks for it, then English."""

    def __init__(self, language: str = "en", fallbacks: tuple[str, ...] = (), overrides: dict[str, str] | None = None,
                 *, for_wiki: bool = True) -> None:
        self.for_wiki = for_wiki  # False: for the command line, where MediaWiki's own messages are not at hand
        self.language = language
        self.chain = tuple(dict.fromkeys((language, *fallbacks, "en")))
        self.overrides = dict(overrides or {})

    def with_overrides(self, overrides: dict[str, str]) -> Messages:
        return Messages(self.language, self.chain[1:], {**self.overrides, **overrides}, for_wiki=self.for_wiki)

    def template(self, key: str) -> str:
        if key in self.overrides:
            return self.overrides[key]
        for code in self.chain:
            found = catalogue(code).get(key)
            if found is not None:
                return found
        raise KeyError(f"no message {key}")

    def wikitext(self, text: Text | str) -> str:
        """The wikitext of a message with its parameters filled in (a plain string is taken as it is)."""
        if isinstance(text, str):
            return text
        values = [self.param(p) for p in text.params]
        return PARAMETER.sub(lambda m: values[int(m[1]) - 1] if 0 < int(m[1]) <= len(values) else m[0],
                             self.template(text.key))

    def param(self, param: Param) -> str:
        if isinstance(param, Text):
            return self.wikitext(param)
        if isinstance(param, Items):
            return COMMA.join(self.param(p) for p in param.items)
        if isinstance(param, datetime):
            return f"{param:%Y-%m-%d}"
        if isinstance(param, Native):
            return f"{{{{int:{param.key}}}}}" if self.for_wiki else param.code
        if isinstance(param, Verbatim):
            if not self.for_wiki:  # kept from plain_english's reading of markup, restored by it
                return param.flat.translate(GUARDED)
            return "<nowiki>" + html.escape(param.flat, quote=False) + "</nowiki>" if param.flat else ""
        return str(param)

    def __call__(self, key: str, *params: Param) -> str:
        return self.wikitext(Text(key, *params))


ENGLISH = Messages(for_wiki=False)
# Markup characters of verbatim text, as private-use characters while plain_english reads the markup around them.
MARKUP = "[]{}|'"
GUARDED = str.maketrans({c: chr(0xE000 + i) for i, c in enumerate(MARKUP)})
UNGUARDED = str.maketrans({chr(0xE000 + i): c for i, c in enumerate(MARKUP)})
PLURAL = re.compile(r"\{\{PLURAL:\s*([^|{}]*)\|([^{}]*)\}\}")
GENDER = re.compile(r"\{\{GENDER:[^|{}]*\|([^{}]*)\}\}")
BOLD_ITALIC = re.compile("'{2,3}")
LINK = re.compile(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]")
EXTERNAL = re.compile(r"\[(?:https?:)?//?\S+ ([^\]]*)\]|\[\{\{fullurl:[^}]*\}\}\}* ([^\]]*)\]")


def plain_english(wikitext: str) -> str:
    """English wikitext as an operator reads it on the command line: plurals chosen, links as their labels."""
    def plural(match: re.Match[str]) -> str:
        forms = match[2].split("|")
        return forms[0] if match[1].strip() == "1" or len(forms) == 1 else forms[1]

    text = PLURAL.sub(plural, wikitext)
    text = GENDER.sub(lambda m: m[1].split("|")[-1], text)
    text = BOLD_ITALIC.sub("", text.replace(COMMA, ", "))
    text = EXTERNAL.sub(lambda m: m[1] or m[2], text)
    return LINK.sub(lambda m: m[1], text).translate(UNGUARDED)


def english(text: Text | str) -> str:
    return plain_english(ENGLISH.wikitext(text))


def site_messages(general: dict[str, Any]) -> Messages:
    """The messages for a wiki, from siteinfo's general section (its language and MediaWiki's fallbacks for it)."""
    fallbacks = tuple(str(item.get("code")) for item in general.get("fallback", []) if isinstance(item, dict))
    return Messages(str(general.get("lang", "en")), fallbacks)
