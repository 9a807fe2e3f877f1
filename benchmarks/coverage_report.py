"""Wall time and peak memory of the whole coverage report at English Wikipedia's size, against a baseline.

Generates (not timed, in a child process) a weekly dump of 5.45 million rows, byte for byte as
``mariadb-dump`` writes it with Wikimedia's options, and a registrations file with 10.8 million
account creations (``benchmarks.dumpgen``), then runs,
each in a child process of its own so that its peak resident memory is its own:

* the bot's coverage report from the two files: dump read into one byte per user id,
  registrations streamed a megabyte at a time and counted in numpy, the table built,
  ``coverage.csv`` and ``coverage.png`` written;
* the same report from the state store: the registrations imported into SQLite first (as the
  incremental log fetch stores them; the import is timed apart), then counted from there;
* the baseline a researcher would write first: the dump's rows into a ``dict`` by mentee id,
  the registrations through ``csv.DictReader``, counted the same way. Both must give the same
  table.

Targets (one core), from the files: the whole report in under 15 seconds, peak memory under 200 MiB.
Run from the repository root: ``.venv/bin/python -m benchmarks.coverage_report [--rows N] [--registrations N]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import multiprocessing
import resource
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.dumpgen import DUMP_ROWS, REGISTRATIONS, write_mentor_dump, write_registrations
from bot.dump import read_mentor_rows
from bot.reports import write_files
from bot.reports.coverage import (
    BACKUP,
    PRIMARY,
    coverage_report,
    read_registration_file,
    registration_batches,
)
from bot.state import StateStore

TARGET_SECONDS = 15
TARGET_MIB = 200
SEED = 2026


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


R = TypeVar("R")
Table = dict[tuple[str, str], tuple[int, int]]  # (month, kind) -> (registered, with a mentor)


def table_of(rows: list[list[Any]]) -> Table:
    return {(str(row[0]), str(row[1])): (int(str(row[2])), int(str(row[3]))) for row in rows}


def report_from_files(dump: Path, registrations: Path, out: Path) -> Table:
    report = coverage_report(read_registration_file(registrations), "the file", dump=dump)
    write_files(report, out)
    return table_of(report.rows)


def import_registrations(_dump: Path, registrations: Path, out: Path) -> Table:
    """Store the registrations as the incremental log fetch would (timed apart from the report)."""
    store = StateStore(out / "state.sqlite")
    wiki_id = store.wiki_number("bench")
    with gzip.open(registrations, "rt", encoding="utf-8", newline="") as handle, store.transaction() as db:
        rows = csv.reader(handle)
        next(rows)  # the header
        store.save_registrations(db, wiki_id, (
            (int(log_id), int(user_id), int(stamp), action, 1 if name.startswith("~2") else 0)
            for log_id, user_id, name, stamp, action in rows))
    store.close()
    return {}


def report_from_store(dump: Path, _registrations: Path, out: Path) -> Table:
    store = StateStore(out / "state.sqlite")
    report = coverage_report(registration_batches(store.registration_pages("bench")), "the store", dump=dump)
    write_files(report, out)
    return table_of(report.rows)


def baseline(dump: Path, registrations: Path, out: Path) -> Table:
    """Plain dicts and DictReader: what one writes first. The same counts come out."""
    mentees: dict[int, int] = {}
    for row in read_mentor_rows(dump):
        mentees[row.mentee_id] = mentees.get(row.mentee_id, 0) | (PRIMARY if row.role == "primary" else BACKUP)
    counts: Counter[tuple[str, str, bool]] = Counter()
    with gzip.open(registrations, "rt", encoding="utf-8", newline="") as handle:
        for entry in csv.DictReader(handle):
            stamp = entry["timestamp"]
            kind = "temporary" if entry["user_name"].startswith("~2") else entry["action"]
            counts[f"{stamp[:4]}-{stamp[4:6]}", kind, bool(mentees.get(int(entry["user_id"]), 0) & PRIMARY)] += 1
    table: Table = {}
    for (month, kind, has_mentor), number in counts.items():
        registered, with_mentor = table.get((month, kind), (0, 0))
        table[month, kind] = (registered + number, with_mentor + (number if has_mentor else 0))
    return table


def _child(work: Callable[..., R], args: tuple[Any, ...], answer: Any) -> None:
    started = time.perf_counter()
    result = work(*args)
    answer.send((time.perf_counter() - started, peak_mib(), result))


def measure(work: Callable[..., R], *args: Any) -> tuple[float, float, R]:
    """``work(*args)`` in a fresh interpreter: its wall time, its peak memory (MiB) and what it returned."""
    # A fresh interpreter for each run. Linux carries a process's peak memory across fork and
    # exec, so the parent itself never holds much.
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, args, send))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"{work.__name__} failed in its child process (exit code {process.exitcode})")
    result: tuple[float, float, R] = receive.recv()
    return result


def _write_inputs(dump: Path, registrations: Path, rows: int, registration_count: int) -> None:
    write_registrations(registrations, registration_count, seed=SEED)
    write_mentor_dump(dump, rows, seed=SEED, registrations=registration_count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DUMP_ROWS, help="dump rows (default: %(default)s)")
    parser.add_argument("--registrations", type=int, default=REGISTRATIONS, help="(default: %(default)s)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the dict-based baseline")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="mentorbot-coverage-bench-"))
    try:
        dump = workdir / "20261121-enwiki-growthexperiments_mentor_mentee.sql.gz"
        registrations = workdir / "registrations.csv.gz"
        started = time.perf_counter()
        # In a child process: the dump's rows are sorted in memory, and a parent's peak counts in
        # every child's (see measure).
        writer = multiprocessing.get_context("spawn").Process(target=_write_inputs, args=(
            dump, registrations, args.rows, args.registrations))
        writer.start()
        writer.join()
        if writer.exitcode != 0:
            raise SystemExit(f"generating the inputs failed (exit code {writer.exitcode})")
        print(f"generated {args.rows:,} dump rows ({dump.stat().st_size / 2**20:.0f} MiB) and "
              f"{args.registrations:,} registrations ({registrations.stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - started:.0f} s (not timed below)", flush=True)
        results: dict[str, tuple[float, float, Table]] = {}
        runs: list[tuple[str, Callable[[Path, Path, Path], Table]]] = [
            ("bot, from the files", report_from_files), ("bot, from the state store", report_from_store)]
        if not args.skip_baseline:
            runs.append(("baseline: dict + DictReader", baseline))
        for number, (name, work) in enumerate(runs):
            out = workdir / f"run-{number}"
            out.mkdir()
            if work is report_from_store:
                seconds, mib, _table = measure(import_registrations, dump, registrations, out)
                print(f"  (imported the registrations into the state store in {seconds:.1f} s, peak {mib:.0f} MiB: "
                      "not counted below)", flush=True)
            results[name] = measure(work, dump, registrations, out)
            seconds, mib, table = results[name]
            print(f"{name:<30} {seconds:7.1f} s  peak {mib:6.0f} MiB  {len(table)} table rows, "
                  f"{sum(r for r, _m in table.values()):,} registrations counted", flush=True)
        bot_seconds, bot_mib, bot_table = results["bot, from the files"]
        assert sum(r for r, _m in bot_table.values()) == args.registrations, "every registration is counted"
        assert results["bot, from the state store"][2] == bot_table, "the store gives the same table"
        print(f"\ntargets: under {TARGET_SECONDS} s: {'met' if bot_seconds < TARGET_SECONDS else 'MISSED'} "
              f"({bot_seconds:.1f} s); under {TARGET_MIB} MiB: {'met' if bot_mib < TARGET_MIB else 'MISSED'} "
              f"({bot_mib:.0f} MiB)")
        if "baseline: dict + DictReader" in results:
            base_seconds, base_mib, base_table = results["baseline: dict + DictReader"]
            assert base_table == bot_table, "the baseline must give the same table"
            print(f"baseline / bot: time {base_seconds / bot_seconds:.1f}, peak memory {base_mib / bot_mib:.1f} "
                  "(above 1: the bot does better)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
