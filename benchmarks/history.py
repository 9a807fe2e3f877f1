"""Wall time and peak memory of ``mentorbot history`` at English Wikipedia's size, against a baseline.

Generates (not timed, in a child process) 13 weekly dumps of 5.45 million rows each in the layout
``mariadb-dump`` writes with Wikimedia's options (``benchmarks.dumpgen``): the first is the
coverage benchmark's table; each later week a share of the mentees gets another primary mentor,
some pairs vanish and new mentees arrive. Also 10.8 million registrations and 300,000 mentor
changes from the log, stored in the state store as the incremental fetch stores them.

Then, each in a fresh child process so that its peak memory is its own:

* the bot's history over the first 1, 2, 4, 8 and 13 dumps with the logs: intervals, exact bounds,
  the monthly table, every file written;
* the baseline a researcher writes first, in the same run: each dump's rows into a ``dict`` by
  (mentee, role), consecutive dumps compared row by row, on the first two dumps; beside it the
  bot's same work (intervals from those two dumps, nothing else), and both must find the same
  number of intervals.

Target (one core): 13 dumps and the logs in under 2 minutes and under 1 GiB.
Run from the repository root: ``.venv/bin/python -m benchmarks.history [--rows N] [--dumps N]``.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy

from benchmarks.coverage_report import import_registrations, measure
from benchmarks.dumpgen import (
    DUMP_ROWS,
    REGISTRATIONS,
    DumpOrigin,
    MentorTable,
    dump_text,
    mentor_rows,
    write_registrations,
)
from bot.dump import read_mentor_rows
from bot.history import (
    Evidence,
    Inputs,
    Registrations,
    build_history,
    dump_observations,
    observed_intervals,
    stored_events,
    write_history,
)
from bot.state import StateStore

SEED = 2026
WIKI = "bench"
FIRST_DUMP = datetime(2026, 9, 5, tzinfo=UTC)
TARGET_SECONDS = 120
TARGET_MIB = 1024
EVENTS = 300_000
WEEKLY_CHANGED = 0.004  # of the mentees, a new primary mentor each week
WEEKLY_GONE = 0.002  # pairs that vanish (blocks, opt-outs, graduation)
WEEKLY_NEW = 40_000  # new mentees a week


def write_inputs(folder: Path, rows: int, dumps: int, registrations: int) -> None:
    """The dumps, week after week, and the state store with the registrations and the log's changes."""
    registrations_file = folder / "registrations.csv.gz"
    write_registrations(registrations_file, registrations, seed=SEED)
    table = mentor_rows(rows, seed=SEED, registrations=registrations)
    mentees, mentors = numpy.array(table.mentee_ids), numpy.array(table.mentor_ids)
    primary = numpy.array([role == "primary" for role in table.roles])
    active = numpy.array(table.active)
    rng = numpy.random.default_rng(SEED)
    pool = numpy.unique(mentors)
    next_id = int(mentees.max()) + 1
    events: list[tuple[int, str, int, str, str, str]] = []
    for week in range(dumps):
        day = FIRST_DUMP + timedelta(weeks=week)
        if week:
            changed = primary & (rng.random(len(mentees)) < WEEKLY_CHANGED)
            mentors[changed] = rng.choice(pool, int(changed.sum()))
            for mentee, mentor in zip(mentees[changed][:EVENTS // max(dumps - 1, 1)].tolist(),
                                      mentors[changed][:EVENTS // max(dumps - 1, 1)].tolist(), strict=True):
                moment = int((day - timedelta(seconds=int(rng.integers(1, 7 * 86400)))).timestamp())
                events.append((len(events) + 1, "setmentor", moment, f"U{mentee}", "Admin", f"U{mentor}"))
            kept = rng.random(len(mentees)) >= WEEKLY_GONE
            new = numpy.arange(next_id, next_id + WEEKLY_NEW)
            next_id += WEEKLY_NEW
            mentees = numpy.concatenate([mentees[kept], new])
            mentors = numpy.concatenate([mentors[kept], rng.choice(pool, WEEKLY_NEW)])
            primary = numpy.concatenate([primary[kept], numpy.ones(WEEKLY_NEW, dtype=bool)])
            active = numpy.concatenate([active[kept], numpy.ones(WEEKLY_NEW, dtype=active.dtype)])
        order = numpy.lexsort((primary, mentees, active, mentors))  # the gemm_mentor index, as mariadb-dump reads
        week_table = MentorTable(mentees[order].tolist(), ["primary" if p else "backup" for p in primary[order]],
                                 mentors[order].tolist(), active[order].tolist())
        path = folder / "dumps" / f"{day:%Y%m%d}-enwiki-growthexperiments_mentor_mentee.sql.gz"
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
            for text in dump_text(week_table, DumpOrigin()):
                out.write(text)
    import_registrations(folder, registrations_file, folder)  # as the coverage benchmark stores them
    store = StateStore(folder / "state.sqlite")
    wiki_id = store.wiki_number(WIKI)
    with store.transaction() as db:
        store.save_log_events(db, wiki_id, events)
    names = {name: int(name[1:]) for _id, _kind, _at, target, _by, new in events for name in (target, new)}
    store.save_user_ids(WIKI, {**names, "Admin": 1})
    store.close()


def bot(folder: Path, count: int) -> int:
    store = StateStore(folder / "state.sqlite")
    evidence, inputs = Evidence(), Inputs()
    inputs.dumps = dump_observations(folder / "dumps")[:count]
    changes, blocks, inputs.unusable = stored_events(store, WIKI, None, evidence)
    inputs.logs_since = "2021-01-01"
    history = build_history(inputs.dumps, partial(Registrations.from_store, store, WIKI), changes, blocks, evidence,
                            inputs)
    write_history(history, folder / f"out-{count}")
    return len(history.intervals)


def bot_observations(folder: Path, count: int) -> int:
    """The bot's part that the baseline does too: intervals from the dumps alone, nothing written."""
    return len(observed_intervals(dump_observations(folder / "dumps")[:count], Evidence()))


def baseline(folder: Path, count: int) -> int:
    """Dicts by (mentee, role): an interval ends where the next dump lacks the pair or has another mentor."""
    paths = sorted((folder / "dumps").iterdir())[:count]
    intervals = 0
    before: dict[tuple[int, str], int] = {}
    for path in paths:
        now = {(row.mentee_id, row.role): row.mentor_id for row in read_mentor_rows(path)}
        intervals += sum(1 for pair, mentor in before.items() if now.get(pair) != mentor)
        before = now
    return intervals + len(before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DUMP_ROWS, help="rows of the first dump (default: %(default)s)")
    parser.add_argument("--dumps", type=int, default=13, help="(default: %(default)s)")
    parser.add_argument("--registrations", type=int, default=REGISTRATIONS, help="(default: %(default)s)")
    parser.add_argument("--inputs", type=Path, help="keep the generated inputs in this folder, and use them "
                                                     "when it holds them already")
    args = parser.parse_args(argv)
    random.seed(SEED)
    folder = args.inputs or Path(tempfile.mkdtemp(prefix="mentorbot-history-bench-"))
    try:
        if not (folder / "state.sqlite").exists():
            (folder / "dumps").mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            writer = multiprocessing.get_context("spawn").Process(target=write_inputs, args=(
                folder, args.rows, args.dumps, args.registrations))
            writer.start()
            writer.join()
            if writer.exitcode != 0:
                raise SystemExit(f"generating the inputs failed (exit code {writer.exitcode})")
            print(f"generated the inputs in {time.perf_counter() - started:.0f} s (not timed below)", flush=True)
        size = sum(path.stat().st_size for path in (folder / "dumps").iterdir()) / 2**20
        print(f"{args.dumps} dumps ({size:.0f} MiB), {args.registrations:,} registrations and {EVENTS:,} mentor "
              "changes in the state store", flush=True)
        base_seconds, base_mib, base_intervals = measure(baseline, folder, 2)
        print(f"{'run':<34} {'seconds':>8} {'peak MiB':>9} {'intervals':>11} {'vs baseline':>12}")
        print(f"{'baseline: dicts, 2 dumps':<34} {base_seconds:8.1f} {base_mib:9.0f} {base_intervals:11,} {'1.0x':>12}",
              flush=True)
        seconds, mib, intervals = measure(bot_observations, folder, 2)
        assert intervals == base_intervals, (intervals, base_intervals)
        print(f"{'bot, the same work (2 dumps)':<34} {seconds:8.1f} {mib:9.0f} {intervals:11,} "
              f"{f'{base_seconds / seconds:.1f}x faster':>12}", flush=True)
        counts = sorted({count for count in (1, 2, 4, 8, args.dumps) if count <= args.dumps})
        results = {}
        for count in counts:
            seconds, mib, intervals = measure(bot, folder, count)
            results[count] = (seconds, mib)
            print(f"{f'bot, {count} dumps and the logs':<34} {seconds:8.1f} {mib:9.0f} {intervals:11,}", flush=True)
        seconds, mib = results[args.dumps]
        print(f"target: {args.dumps} dumps under {TARGET_SECONDS} s and {TARGET_MIB} MiB: "
              + ("met" if seconds < TARGET_SECONDS and mib < TARGET_MIB else "NOT met"))
        if len(counts) > 1:
            first, last = counts[0], counts[-1]
            print(f"growth from {first} to {last} dumps: time x{results[last][0] / results[first][0]:.1f}, "
                  f"memory x{results[last][1] / results[first][1]:.1f}")
    finally:
        if args.inputs is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
