"""Rows per second and peak memory of the weekly-dump readers, on the layout Wikimedia publishes.

Generates (not timed, in a child process) a ``growthexperiments_mentor_mentee`` dump of English
Wikipedia's size with ``benchmarks.dumpgen``, which writes byte for byte what Debian 12's
``mariadb-dump`` writes with Wikimedia's options (a test proves it against the real tool): an
extended INSERT of about 1 MB with one row per line. Then reads it, each reader in a fresh child
process of its own, whose ru_maxrss is its peak memory (or this parent's, some 18 MiB, if that is
larger: Linux counts it in every child):

* ``read_mentor_batches`` with a consumer that works on whole columns, as a real one does (the
  coverage report's): one flag byte per user id in a numpy array as large as the ids, the
  mentees' primary, backup and active bits or'ed in by fancy indexing, the active rows counted;
* ``read_mentor_batches`` alone, nothing done with the batches but ``len``: the reader's own cost;
* ``read_mentor_rows``, a trivial per-row loop over its MentorRow objects (add up is_active);
* the baseline a researcher writes first: the decompressed file line by line, a regular
  expression per line for a row, its ids made ints;
* mwsql 1.0.4 (``Dump.from_file(path).rows(...)``), with ``convert_dtypes=True`` (ids as ints, as the
  bot's readers give them) and without (every value a str). It cannot read this layout (it fails
  on the first row line); it is tried, and then measured on the same rows in the older MySQL
  layout (each INSERT on one line), a file of its own;
* as floors, plain decompression of the file in chunks, no parsing at all: with Python's
  ``gzip`` (zlib), and with ISA-L as the bot's reader decompresses.

Every reader must see the same rows (count, and active rows where it counts them). Times are the
best of ``--repeat`` runs, from opening the file to the last row. Targets, on one core, on the
real layout: the batches at least 5 million rows/s and at least 5 times the regular expression,
with a peak under 64 MiB.
Run from the repository root: ``.venv/bin/python -m benchmarks.dump_read [--rows N]``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import importlib.util
import multiprocessing
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from benchmarks.dumpgen import DUMP_ROWS, DUMPED_AT, REGISTRATIONS, TABLE, write_mentor_dump

# The readers import what they need themselves (bot.dump brings numpy, some 11 MiB; mwsql some
# 14 MiB), in their own process and before the clock starts: see Reader.

TARGET_ROWS_PER_SECOND = 5_000_000
TARGET_TIMES_BASELINE = 5
TARGET_PEAK_MIB = 64
SEED = 2026

# What a reader saw: rows, and rows with is_active set (None if it does not look).
Totals = tuple[int, int | None]
# The consumer's bits, one byte per user id, as the coverage report keeps them.
PRIMARY, BACKUP, ACTIVE = 1, 2, 4
#: bot.dump.CHUNK_SIZE (a test checks it), not imported: that would load numpy into the floor's process.
FLOOR_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    peak_mib: float
    totals: Totals | None  # None for the gzip floor, which reads no rows
    rows: int  # the rows of the file it read
    layout: str  # of that file
    failure: str = ""  # what stopped the reader, if it could not read the file

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def batches_consumed(path: Path) -> Totals:
    """Flags by mentee id, as the coverage report sets them, a batch at a time."""
    import numpy

    from bot.dump import read_mentor_batches

    # numpy.zeros takes its pages from the system only as they are written to, so room for the ids
    # of English Wikipedia (near 50 million) costs only the pages of the ids seen.
    bits = numpy.zeros(1 << 26, dtype=numpy.uint8)
    rows = active = 0
    for batch in read_mentor_batches(path):
        rows += len(batch)
        active += int(numpy.count_nonzero(batch.active))
        if len(batch) and (largest := int(batch.mentee_ids.max())) >= len(bits):
            grown = numpy.zeros(max(largest + 1, 2 * len(bits)), dtype=numpy.uint8)
            grown[:len(bits)] = bits
            bits = grown
        # A mentee id comes twice in a statement when it has a backup mentor too, but never twice with
        # the same bit, so each bit can be set by one fancy-indexed assignment.
        bits[batch.mentee_ids[batch.primary]] |= PRIMARY
        bits[batch.mentee_ids[~batch.primary]] |= BACKUP
        bits[batch.mentee_ids[batch.active]] |= ACTIVE
    return rows, active


def batches_alone(path: Path) -> Totals:
    from bot.dump import read_mentor_batches

    return sum(len(batch) for batch in read_mentor_batches(path)), None


# The per-row loop is the same for every other reader and as light as can be: count the active.

ROW_LINE = re.compile(rb"\((\d+),'(primary|backup)',(\d+),([01])\)[,;]$")


def regex_lines(path: Path) -> Totals:
    rows = active = 0
    with gzip.open(path, "rb") as stream:
        for line in stream:
            match = ROW_LINE.match(line.rstrip(b"\n"))
            if match is None:
                continue
            _mentee_id, _role, _mentor_id, is_active = int(match[1]), match[2], int(match[3]), match[4] == b"1"
            rows += 1
            active += is_active
    return rows, active


def rows_loop(path: Path) -> Totals:
    from bot.dump import read_mentor_rows

    rows = active = 0
    for row in read_mentor_rows(path):
        rows += 1
        active += row.is_active
    return rows, active


def mwsql_loop(path: Path, convert: bool) -> Totals:
    from mwsql import Dump  # type: ignore[import-untyped,import-not-found,unused-ignore]  # optional, untyped

    rows = active = 0
    for _mentee_id, _role, _mentor_id, is_active in Dump.from_file(path).rows(convert_dtypes=convert):
        rows += 1
        active += is_active if convert else is_active == "1"
    return rows, active


def gzip_floor(path: Path) -> None:
    with gzip.open(path, "rb") as stream:
        while stream.read1(FLOOR_CHUNK_SIZE):
            pass


def isal_floor(path: Path) -> None:
    from bot.dump import DumpError
    from bot.gzipped import GzipChunks

    with path.open("rb") as raw:
        chunks = GzipChunks(raw, path.name, DumpError, FLOOR_CHUNK_SIZE)
        while chunks.read():
            pass


@dataclass(frozen=True)
class Reader:
    run: Callable[[Path], Totals | None]
    imports: tuple[str, ...] = ()  # imported before the clock starts: a run is reading, not loading
    mwsql: bool = False  # needs mwsql, and is measured on the older layout too


READERS: dict[str, Reader] = {
    "read_mentor_batches + consumer": Reader(batches_consumed, ("numpy", "bot.dump")),
    "read_mentor_batches alone": Reader(batches_alone, ("bot.dump",)),
    "read_mentor_rows": Reader(rows_loop, ("bot.dump",)),
    "regular expression, line by line": Reader(regex_lines, ("re", "gzip")),
    "mwsql, ints (convert_dtypes)": Reader(lambda path: mwsql_loop(path, convert=True), ("mwsql",), mwsql=True),
    "mwsql, strings": Reader(lambda path: mwsql_loop(path, convert=False), ("mwsql",), mwsql=True),
    "decompression alone, zlib (gzip)": Reader(gzip_floor),
    "decompression alone, ISA-L (the reader's)": Reader(isal_floor, ("bot.dump", "bot.gzipped")),
}
REAL_LAYOUT = "mariadb-dump, a row a line"
OLDER_LAYOUT = "older MySQL, an INSERT a line"


def _child(name: str, path: Path, send: Connection) -> None:
    reader = READERS[name]
    for module in reader.imports:
        importlib.import_module(module)
    started = time.perf_counter()
    try:
        totals = reader.run(path)
    except Exception as error:  # a reader that cannot read the file is a result too
        send.send((0.0, 0.0, None, f"{type(error).__name__}: {error}"))
        return
    seconds = time.perf_counter() - started
    send.send((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, totals, ""))  # Linux: KiB


def measure(name: str, path: Path, rows: int, layout: str, repeat: int) -> Result:
    """The best time of ``repeat`` runs, each in a fresh interpreter; the highest peak memory."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, forked from this small process
    runs = []
    for _ in range(repeat):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(name, path, send))
        process.start()
        runs.append(receive.recv())
        process.join()
        if runs[-1][3]:
            return Result(name, 0.0, 0.0, None, rows, layout, runs[-1][3])
    seconds = min(run[0] for run in runs)
    return Result(name, seconds, max(run[1] for run in runs), runs[0][2], rows, layout)


def mwsql_available() -> bool:
    # Found, not imported: importing it here (with requests and tqdm) would add to every child's peak.
    return importlib.util.find_spec("mwsql") is not None


def _write_dump(path: Path, rows: int) -> None:
    # As many registrations per dump row as English Wikipedia has, so a smaller dump is made as fast.
    write_mentor_dump(path, rows, seed=SEED, registrations=max(round(rows * REGISTRATIONS / DUMP_ROWS), 1000))
    # The same rows in the older layout, for mwsql.
    with gzip.open(path, "rb") as real, gzip.open(older_layout(path), "wb", compresslevel=6) as older:
        older.write(real.read().replace(b" VALUES\n(", b" VALUES (").replace(b"),\n(", b"),("))


def older_layout(path: Path) -> Path:
    return path.with_name(path.name.replace(".sql.gz", "-one-line.sql.gz"))


def generate(directory: Path, rows: int) -> tuple[Path, float]:
    """Write the dump in a child process, so that this one stays small (see ``peak_floor_mib``)."""
    path = directory / f"{DUMPED_AT:%Y%m%d}-enwiki-{TABLE}-{rows}.sql.gz"
    started = time.perf_counter()
    process = multiprocessing.get_context("spawn").Process(target=_write_dump, args=(path, rows))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"generating the dump failed (exit code {process.exitcode})")
    return path, time.perf_counter() - started


def peak_floor_mib() -> float:
    """This process's peak RSS, which every child's ru_maxrss includes.

    Linux counts a child's pages at fork (or, with vfork, the parent's peak) in the child's
    ru_maxrss, even after exec: so the parent never holds more than the interpreter and imports.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(results: list[Result]) -> Iterator[str]:
    baseline = next(result for result in results if result.name.startswith("regular expression"))
    yield (f"{'reader':<42} {'layout':<30} {'rows':>11} {'seconds':>8} {'rows/s':>10} {'peak RSS':>10} "
           f"{'vs regex':>9}")
    for result in results:
        if result.failure:
            yield f"{result.name:<42} {result.layout:<30} cannot read it: {result.failure[:80]}"
            continue
        versus = f"{result.rate / baseline.rate:8.1f}x" if result.totals is not None else ""
        yield (f"{result.name:<42} {result.layout:<30} {result.rows:>11,} {result.seconds:8.2f} "
               f"{result.rate / 1e6:8.2f} M {result.peak_mib:6.0f} MiB {versus}")
    for batches in (result for result in results if result.name.startswith("read_mentor_batches")):
        checks = [
            (f">= {TARGET_ROWS_PER_SECOND / 1e6:.0f} M rows/s", f"{batches.rate / 1e6:.2f} M rows/s",
             batches.rate >= TARGET_ROWS_PER_SECOND),
            (f">= {TARGET_TIMES_BASELINE}x the regular expression", f"{batches.rate / baseline.rate:.1f}x",
             batches.rate >= TARGET_TIMES_BASELINE * baseline.rate),
            (f"peak < {TARGET_PEAK_MIB} MiB", f"{batches.peak_mib:.0f} MiB", batches.peak_mib < TARGET_PEAK_MIB),
        ]
        for target, measured, met in checks:
            yield f"target: {batches.name} {target}: {measured}, {'met' if met else 'NOT met'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DUMP_ROWS, help="dump rows (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader, the best counts (default: 3)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="mentorbot-dump-bench-"))
    try:
        path, seconds = generate(workdir, args.rows)
        print(f"generated {args.rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB gzip'd ("
              f"{older_layout(path).stat().st_size / 2**20:.0f} MiB in the older layout), in {seconds:.0f} s "
              "(not timed below)", flush=True)
        results = []
        for name, reader in READERS.items():
            if reader.mwsql and not mwsql_available():
                print(f"  {name}: mwsql is not installed (.venv/bin/pip install mwsql==1.0.4): not compared")
                continue
            runs = [(path, REAL_LAYOUT)] + ([(older_layout(path), OLDER_LAYOUT)] if reader.mwsql else [])
            for file, layout in runs:
                result = measure(name, file, args.rows, layout, args.repeat)
                print(f"  {name}, {layout}: {result.failure or f'{result.seconds:.2f} s'}", flush=True)
                results.append(result)
        expected = results[0].totals
        assert expected is not None and expected[1] is not None  # the batches with their consumer count both
        for result in results:
            if result.totals is None:
                continue
            rows, active = result.totals
            if rows != expected[0] or active not in (None, expected[1]):
                print(f"MISMATCH: {result.name} on {result.layout} saw {result.totals}, {results[0].name} {expected}")
                return 1
        print(f"\nbest of {args.repeat} runs, each in a fresh process; one core; rows/s = rows of its file / seconds; "
              f"peak RSS = the child's ru_maxrss (at least this parent's {peak_floor_mib():.0f} MiB)")
        for line in report(results):
            print(line)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
