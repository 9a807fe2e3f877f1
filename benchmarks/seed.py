"""Seed the local test wiki with many mentors of mixed activity, straight into its SQLite database.

The benchmark this serves measures how many API requests the bot spends per mentor on a wiki with
about 1,000 mentors. Building such a wiki through the API (account creation plus tens of thousands
of edits) would take far longer than the measurement itself, and the seeding time is no part of
the measured figure, so this module writes the rows MediaWiki 1.43 would have written directly
into ``<wiki_dir>/data/my_wiki.sqlite``, in one transaction with ``executemany``. Only the mentor
list, ``MediaWiki:GrowthMentors.json``, is saved through the API (one edit as the admin), so the
wiki itself checks it like any other edit of that page.

What is written per mentor ``Bench mentor N``: a ``user`` row (registration, ``user_editcount``
equal to the revisions added) and its ``actor`` row; per edit a ``revision`` row with its
``slots``, ``content`` and ``text`` rows (so every revision can also be read, diffed and parsed),
on ``page`` rows created for the purpose; one shared ``comment`` row; ``site_stats`` is kept in
step. Not written: ``recentchanges``, ``change_tag``, link tables and the search index, which no
part of the benchmark reads.

Activity mix (shares of ``count``): 60 % last edited within the last 10 days, 15 % last edited
15 to 60 days ago, 15 % more than 90 days ago, 10 % never edited. Exactly half of the first group
(and about a quarter of the second) make at least 20 content edits (namespace 0) and 10 talk edits
(namespaces 1 and 3) in the last 90 days; the others fall short of one bound or both. Edits are
spread over namespaces 0 to 4. Everything follows from ``seed`` and ``now``.

Run as ``python -m benchmarks.seed WIKI_DIR [--count N] [--seed S] [--api URL]`` from the
repository root against a wiki started by ``scripts/dev-wiki up``; it prints a JSON summary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sqlite3
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.devwiki import ADMIN_PASSWORD, ADMIN_USER
from tests.wikiclient import WikiClient

NAME_PREFIX = "Bench mentor"
SEED_COMMENT = "benchmark seed edit"
MENTOR_LIST_TITLE = "MediaWiki:GrowthMentors.json"
NAMESPACES = (0, 1, 2, 3, 4)
CONTENT_NAMESPACES = (0,)
TALK_NAMESPACES = (1, 3)
ARTICLE_POOL = 400  # "Bench article K" in namespaces 0 and 1
NOTICEBOARD_POOL = 20  # "Bench noticeboard K" in namespace 4 (Project)
WINDOW_DAYS = 90  # the span that SeededMentor.edits_by_namespace counts
DAY = 86_400
LOG = logging.getLogger(__name__)
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
FILLER = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua. [[Bench article 1]] and {{PAGENAME}} appear here and there. "
) * 12


@dataclass(frozen=True)
class SeededMentor:
    """One seeded mentor, as the benchmark should find it on the wiki.

    ``edits_by_namespace`` counts the edits of the last 90 days before ``now`` (keys 0 to 4, zeros
    included); ``edit_count`` is every seeded edit, older ones included, which is the account's
    ``user_editcount``.
    """

    user_id: int
    name: str
    weight: int
    last_edit: datetime | None
    edits_by_namespace: dict[int, int]
    registration: datetime
    edit_count: int = 0


@dataclass
class _Plan:
    """A mentor's edits before they get pages and revision ids: (unix time, namespace) pairs."""

    index: int
    weight: int
    registration: int
    edits: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Page:
    page_id: int
    namespace: int
    title: str  # database key, underscores for spaces
    revisions: int = 0
    latest: int = 0
    latest_len: int = 0
    latest_ts: str = ""


def seed_mentors(
    wiki_dir: Path,
    count: int = 1000,
    *,
    now: datetime | None = None,
    seed: int = 1,
    api: str | None = None,
    admin: tuple[str, str] | None = None,
) -> list[SeededMentor]:
    """Create ``count`` mentors with their edit history in the wiki in ``wiki_dir``; list them.

    The users, actors, pages and revisions go straight into the database; then the mentor list
    page is replaced by one naming exactly these mentors (weights 1, 2 and 4, no messages),
    saved through ``api`` as ``admin`` (user name, password). ``api`` defaults to the address the
    wiki's ``php -S`` server was started on, ``admin`` to the test wiki's admin account.
    Refuses a wiki that already has ``Bench mentor`` accounts: reset it first.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    unix_now = int(_utc_seconds(now or datetime.now(UTC)).timestamp())
    started = time.perf_counter()
    plans = _plan(count, unix_now, random.Random(seed))
    mentors = _write_database(wiki_dir / "data" / "my_wiki.sqlite", plans, unix_now, seed)
    written = time.perf_counter()
    LOG.info("database: %d mentors, %d revisions in %.2f s", len(mentors), sum(m.edit_count for m in mentors),
             written - started)
    _save_mentor_list(api or running_api(wiki_dir), admin, mentors)
    LOG.info("mentor list saved through the API in %.2f s", time.perf_counter() - written)
    return mentors


def running_api(wiki_dir: Path) -> str:
    """The api.php address of the ``php -S`` server that ``scripts/dev-wiki up`` started for ``wiki_dir``."""
    try:
        pid = int((wiki_dir / "pid").read_text())
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        address = arguments[arguments.index(b"-S") + 1].decode()
    except (OSError, ValueError, IndexError) as error:
        raise RuntimeError(f"no running test wiki found in {wiki_dir}; start it or pass api=") from error
    return f"http://{address}/api.php"


def _utc_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _plan(count: int, now: int, rng: random.Random) -> list[_Plan]:
    """Decide every mentor's activity group, registration, weight and edits (time, namespace)."""
    active = round(count * 0.60)
    lapsed = round(count * 0.15)
    dormant = round(count * 0.15)
    groups = ["active"] * active + ["lapsed"] * lapsed + ["dormant"] * dormant
    groups += ["never"] * (count - len(groups))
    rng.shuffle(groups)
    active_positions = [i for i, group in enumerate(groups) if group == "active"]
    qualifying = set(rng.sample(active_positions, len(active_positions) // 2))

    window_start = now - 88 * DAY  # a margin inside 90 days, so a later run still counts them
    history_end = now - 92 * DAY  # and a margin outside for the older history
    plans: list[_Plan] = []
    for position, group in enumerate(groups):
        weight = rng.choice((1, 2, 2, 4))
        if group == "never":
            plans.append(_Plan(position + 1, weight, now - rng.randint(DAY, 2000 * DAY)))
            continue
        if group == "dormant":
            last = now - rng.randint(95 * DAY, 720 * DAY)
            registration = last - rng.randint(30 * DAY, 2500 * DAY)
            times = [last] + [rng.randint(registration + 3600, last) for _ in range(rng.randint(0, 39))]
            edits = [(moment, _any_namespace(rng)) for moment in times]
            plans.append(_Plan(position + 1, weight, registration, edits))
            continue
        registration = now - rng.randint(180 * DAY, 3650 * DAY)
        if group == "active":
            last = now - rng.randint(60, 10 * DAY)
            counts = _window_counts(rng, position in qualifying)
        else:
            last = now - rng.randint(15 * DAY, 60 * DAY)
            counts = _window_counts(rng, rng.random() < 0.25)
        recent = [ns for ns, edits in counts.items() for _ in range(edits)]
        if not recent:
            recent = [_any_namespace(rng)]
        rng.shuffle(recent)
        edits = [(last, recent[0])] + [(rng.randint(window_start, last), ns) for ns in recent[1:]]
        edits += [(rng.randint(registration + 3600, history_end), _any_namespace(rng))
                  for _ in range(rng.randint(0, 20))]
        plans.append(_Plan(position + 1, weight, registration, edits))
    return plans


def _window_counts(rng: random.Random, qualifies: bool) -> dict[int, int]:
    """Edits per namespace in the last 90 days, meeting "20 content and 10 talk edits" or not.

    Those who fall short miss the content bound, the talk bound or both.
    """
    if qualifies:
        content = rng.randint(20, 70) if rng.random() < 0.9 else rng.randint(70, 160)  # a few heavy editors
        talk = rng.randint(10, 35)
    else:
        short = rng.choice(("content", "talk", "both"))
        content = rng.randint(0, 19) if short != "talk" else rng.randint(20, 60)
        talk = rng.randint(0, 9) if short != "content" else rng.randint(10, 30)
    user_talk = sum(rng.random() < 0.6 for _ in range(talk))
    return {0: content, 1: talk - user_talk, 2: rng.randint(0, 6), 3: user_talk, 4: rng.randint(0, 8)}


def _any_namespace(rng: random.Random) -> int:
    return rng.choices(NAMESPACES, weights=(50, 10, 8, 22, 10))[0]


def _write_database(path: Path, plans: list[_Plan], now: int, seed: int) -> list[SeededMentor]:
    if not path.is_file():
        raise FileNotFoundError(f"no wiki database at {path}")
    rng = random.Random(seed + 1)
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            mentors = _insert_all(connection, plans, now, rng)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    finally:
        connection.close()
    return mentors


def _insert_all(db: sqlite3.Connection, plans: list[_Plan], now: int, rng: random.Random) -> list[SeededMentor]:
    taken = db.execute("SELECT COUNT(*) FROM user WHERE user_name LIKE ?", (NAME_PREFIX + " %",)).fetchone()[0]
    if taken:
        raise RuntimeError(f"the wiki already has {taken} '{NAME_PREFIX} N' accounts; reset it before seeding")
    role_main = _name_id(db, "slot_roles", "role", "main")
    model_wikitext = _name_id(db, "content_models", "model", "wikitext")
    comment_id = _comment_id(db, SEED_COMMENT)
    next_user, next_actor = _next_id(db, "user", "user_id"), _next_id(db, "actor", "actor_id")
    next_page, next_rev = _next_id(db, "page", "page_id"), _next_id(db, "revision", "rev_id")
    next_text, next_content = _next_id(db, "text", "old_id"), _next_id(db, "content", "content_id")
    now_ts = _mw_timestamp(now)

    # Every edit gets a page; revisions are numbered in time order across the whole wiki.
    pages: dict[tuple[int, str], _Page] = {}
    edits: list[tuple[int, int, int, _Page]] = []  # (time, order, mentor index, page)
    for plan in plans:
        for moment, namespace in plan.edits:
            key = (namespace, _page_title(namespace, plan.index, len(plans), rng))
            page = pages.get(key)
            if page is None:
                page = pages[key] = _Page(next_page + len(pages), *key)
            edits.append((moment, len(edits), plan.index, page))
    edits.sort(key=lambda edit: (edit[0], edit[1]))

    users = [(next_user + plan.index - 1, f"{NAME_PREFIX} {plan.index}") for plan in plans]
    actor_of = {plan.index: next_actor + plan.index - 1 for plan in plans}
    revisions: list[tuple[Any, ...]] = []
    texts: list[tuple[int, str, str]] = []
    contents: list[tuple[int, int, str, int, str]] = []
    slots: list[tuple[int, int, int, int]] = []
    for number, (moment, _, index, page) in enumerate(edits):
        rev_id, text_id, content_id = next_rev + number, next_text + number, next_content + number
        timestamp = _mw_timestamp(moment)
        text = f"Benchmark seed text, revision {rev_id}.\n\n" + FILLER[: rng.randint(40, 900)]
        blob = text.encode()
        sha1 = _base36_sha1(blob)
        texts.append((text_id, text, "utf-8"))
        contents.append((content_id, len(blob), sha1, model_wikitext, f"tt:{text_id}"))
        slots.append((rev_id, role_main, content_id, rev_id))
        minor = int(page.revisions > 0 and rng.random() < 0.2)
        revisions.append((rev_id, page.page_id, comment_id, actor_of[index], timestamp, minor, 0, len(blob),
                          page.latest, sha1))
        page.revisions += 1
        page.latest, page.latest_len, page.latest_ts = rev_id, len(blob), timestamp

    edit_counts = Counter(index for _, _, index, _ in edits)
    db.executemany(
        "INSERT INTO user (user_id, user_name, user_real_name, user_password, user_newpassword, user_email,"
        " user_touched, user_token, user_registration, user_editcount, user_is_temp)"
        " VALUES (?, ?, '', '', '', '', ?, ?, ?, ?, 0)",
        [(user_id, name, now_ts, rng.randbytes(16).hex(), _mw_timestamp(plan.registration), edit_counts[plan.index])
         for (user_id, name), plan in zip(users, plans, strict=True)],
    )
    db.executemany("INSERT INTO actor (actor_id, actor_user, actor_name) VALUES (?, ?, ?)",
                   [(actor_of[plan.index], user_id, name) for (user_id, name), plan in zip(users, plans, strict=True)])
    db.executemany(
        "INSERT INTO page (page_id, page_namespace, page_title, page_is_redirect, page_is_new, page_random,"
        " page_touched, page_links_updated, page_latest, page_len, page_content_model, page_lang)"
        " VALUES (?, ?, ?, 0, ?, ?, ?, NULL, ?, ?, 'wikitext', NULL)",
        [(page.page_id, page.namespace, page.title, int(page.revisions == 1), rng.random(), page.latest_ts,
          page.latest, page.latest_len) for page in pages.values()],
    )
    db.executemany("INSERT INTO text (old_id, old_text, old_flags) VALUES (?, ?, ?)", texts)
    db.executemany("INSERT INTO content (content_id, content_size, content_sha1, content_model, content_address)"
                   " VALUES (?, ?, ?, ?, ?)", contents)
    db.executemany(
        "INSERT INTO revision (rev_id, rev_page, rev_comment_id, rev_actor, rev_timestamp, rev_minor_edit,"
        " rev_deleted, rev_len, rev_parent_id, rev_sha1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        revisions,
    )
    db.executemany("INSERT INTO slots (slot_revision_id, slot_role_id, slot_content_id, slot_origin)"
                   " VALUES (?, ?, ?, ?)", slots)
    db.execute("UPDATE site_stats SET ss_total_edits = ss_total_edits + ?, ss_total_pages = ss_total_pages + ?,"
               " ss_users = ss_users + ?", (len(edits), len(pages), len(plans)))

    window_start = now - WINDOW_DAYS * DAY
    mentors = []
    for (user_id, name), plan in zip(users, plans, strict=True):
        recent = Counter(namespace for moment, namespace in plan.edits if moment > window_start)
        last = max((moment for moment, _ in plan.edits), default=None)
        mentors.append(SeededMentor(
            user_id=user_id, name=name, weight=plan.weight,
            last_edit=None if last is None else datetime.fromtimestamp(last, UTC),
            edits_by_namespace={namespace: recent[namespace] for namespace in NAMESPACES},
            registration=datetime.fromtimestamp(plan.registration, UTC),
            edit_count=len(plan.edits),
        ))
    return mentors


def _page_title(namespace: int, index: int, count: int, rng: random.Random) -> str:
    """Articles and their talk pages from a shared pool, the mentor's own user page, another
    mentor's user talk page, or one of a few project noticeboards."""
    if namespace in (0, 1):
        return f"Bench_article_{rng.randint(1, ARTICLE_POOL)}"
    if namespace == 2:
        return f"{NAME_PREFIX}_{index}".replace(" ", "_")
    if namespace == 3:
        other = rng.randint(1, count - 1) if count > 1 else index
        if count > 1 and other >= index:
            other += 1  # someone else's talk page
        return f"{NAME_PREFIX}_{other}".replace(" ", "_")
    return f"Bench_noticeboard_{rng.randint(1, NOTICEBOARD_POOL)}"


def _next_id(db: sqlite3.Connection, table: str, column: str) -> int:
    """The next AUTOINCREMENT id; explicit ids above it move sqlite_sequence on by themselves."""
    highest = db.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}").fetchone()[0]
    sequence = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    return max(int(highest), int(sequence[0]) if sequence else 0) + 1


def _name_id(db: sqlite3.Connection, table: str, prefix: str, name: str) -> int:
    """Id of a NameTableStore entry (slot role, content model), added if the wiki lacks it."""
    row = db.execute(f"SELECT {prefix}_id FROM {table} WHERE {prefix}_name = ?", (name,)).fetchone()
    if row:
        return int(row[0])
    return int(db.execute(f"INSERT INTO {table} ({prefix}_name) VALUES (?)", (name,)).lastrowid or 0)


def _comment_id(db: sqlite3.Connection, text: str) -> int:
    """One comment row shared by every seeded revision, hashed as CommentStore does."""
    digest = zlib.crc32(text.encode())  # crc32(text) ^ crc32(''), and crc32('') is 0
    if digest >= 0x80000000:
        digest -= 1 << 32
    row = db.execute("SELECT comment_id FROM comment WHERE comment_hash = ? AND comment_text = ?"
                     " AND comment_data IS NULL", (digest, text)).fetchone()
    if row:
        return int(row[0])
    cursor = db.execute("INSERT INTO comment (comment_hash, comment_text, comment_data) VALUES (?, ?, NULL)",
                        (digest, text))
    return int(cursor.lastrowid or 0)


def _mw_timestamp(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y%m%d%H%M%S")


def _base36_sha1(blob: bytes) -> str:
    """SHA-1 in base 36, 31 digits, as MediaWiki stores it in rev_sha1 and content_sha1."""
    value = int.from_bytes(hashlib.sha1(blob).digest(), "big")
    digits = []
    while value:
        value, digit = divmod(value, 36)
        digits.append(BASE36[digit])
    return "".join(reversed(digits)).rjust(31, "0")


def _save_mentor_list(api: str, admin: tuple[str, str] | None, mentors: list[SeededMentor]) -> None:
    user, password = admin or (ADMIN_USER, ADMIN_PASSWORD)
    entries = {str(m.user_id): {"username": m.name, "weight": m.weight, "message": None} for m in mentors}
    text = json.dumps({"Mentors": entries}, indent=1, ensure_ascii=False)
    WikiClient(api).login(user, password).edit(MENTOR_LIST_TITLE, text, summary=f"Benchmark: {len(mentors)} mentors")


def summarize(mentors: list[SeededMentor], now: datetime) -> dict[str, Any]:
    """Counts for a report: activity groups, the 20-content/10-talk split, edits and revisions."""
    moment = _utc_seconds(now)
    groups: Counter[str] = Counter()
    for mentor in mentors:
        if mentor.last_edit is None:
            groups["never edited"] += 1
        else:
            age = (moment - mentor.last_edit).total_seconds() / DAY
            groups["last 10 days" if age <= 10 else "15-60 days" if 15 <= age <= 60 else
                   "over 90 days" if age > 90 else "other"] += 1
    edited_recently = [m for m in mentors if m.last_edit and (moment - m.last_edit).total_seconds() <= 10 * DAY]
    return {
        "mentors": len(mentors),
        "groups": dict(groups),
        "weights": dict(sorted(Counter(m.weight for m in mentors).items())),
        "meets 20 content + 10 talk in 90 days": {
            "all": sum(map(_meets_rule, mentors)),
            "of those active in the last 10 days": f"{sum(map(_meets_rule, edited_recently))}/{len(edited_recently)}",
        },
        "edits in 90 days by namespace": {ns: sum(m.edits_by_namespace[ns] for m in mentors) for ns in NAMESPACES},
        "revisions": sum(m.edit_count for m in mentors),
    }


def _meets_rule(mentor: SeededMentor) -> bool:
    content = sum(mentor.edits_by_namespace[ns] for ns in CONTENT_NAMESPACES)
    talk = sum(mentor.edits_by_namespace[ns] for ns in TALK_NAMESPACES)
    return content >= 20 and talk >= 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wiki_dir", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="seed: %(message)s")
    now = datetime.now(UTC)
    started = time.perf_counter()
    mentors = seed_mentors(args.wiki_dir, args.count, now=now, seed=args.seed, api=args.api)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2), **summarize(mentors, now)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
