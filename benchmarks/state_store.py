"""What the state store costs on MariaDB, with the embedded SQLite store as the baseline.

Starts a throwaway MariaDB server from Debian's packages on 127.0.0.1 (``scripts.devdb``) and
runs the same work, through the same ``StateStore`` methods, on an SQLite file and on the
server, in this process:

* registrations: N account creations stored in one transaction (the incremental log fetch),
  then read back in order (the coverage report);
* a snapshot: P mentorship pairs stored, then the same pairs again (every row an update);
* small units of work: U sweep steps, one transaction each (the sweep and the block notices);
* run locks: L lock-and-release cycles (every job takes one).

Prints seconds and rows or operations per second for each, and the ratio MariaDB / SQLite.
Loopback hides network latency; on ToolsDB each small transaction also pays a round trip or two.
Run from the repository root: ``.venv/bin/python -m benchmarks.state_store [--registrations N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.config import BotConfig
from bot.state import StateStore, open_store
from scripts import devdb

WIKI = "https://en.wikipedia.org/w/api.php"


def store_registrations(store: StateStore, count: int) -> int:
    wiki_id = store.wiki_number(WIKI)
    rows = ((log_id, log_id + 7, 20210101000000 + log_id % 1_000_000, "create", log_id % 11 == 0)
            for log_id in range(1, count + 1))
    with store.transaction() as db:
        return store.save_registrations(db, wiki_id, ((a, b, c, d, int(e)) for a, b, c, d, e in rows))


def read_registrations(store: StateStore, _count: int) -> int:
    return sum(1 for _ in store.registrations(WIKI))


def store_pairs(store: StateStore, count: int) -> int:
    pairs = [(mentee, "primary", mentee % 997, f"Mentee {mentee}", f"Mentor {mentee % 997}")
             for mentee in range(1, count + 1)]
    for taken_at in (1.0, 2.0):  # the second pass finds every pair and updates it
        with store.transaction() as db:
            store.save_pairs(db, WIKI, taken_at, pairs)
    return 2 * count


def small_transactions(store: StateStore, count: int) -> int:
    for number in range(count):
        store.record_step(WIKI, number, "2026-12-01T00:00:00Z", "warn")
    return count


def run_locks(store: StateStore, count: int) -> int:
    for _ in range(count):
        with store.run_lock(WIKI, "blocks"):
            pass
    return count


def timed(work: Callable[[StateStore, int], int], store: StateStore, count: int) -> tuple[float, int]:
    started = time.perf_counter()
    done = work(store, count)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--locks", type=int, default=500)
    args = parser.parse_args()
    plan: list[tuple[str, Callable[[StateStore, int], int], int, str]] = [
        ("store registrations", store_registrations, args.registrations, "rows"),
        ("read registrations", read_registrations, args.registrations, "rows"),
        ("snapshot, insert + update", store_pairs, args.pairs, "rows"),
        ("small transactions", small_transactions, args.units, "units"),
        ("run lock + release", run_locks, args.locks, "locks"),
    ]
    work_dir = Path(tempfile.mkdtemp(prefix="mentorbot-bench-state-"))
    server = devdb.start(work_dir / "mariadb")
    try:
        stores = {"sqlite": open_store(BotConfig(state_path=work_dir / "state.sqlite")),
                  "mariadb": open_store(BotConfig(state_url=server.new_database()))}
        print(f"{'work':<28} {'SQLite s':>9} {'MariaDB s':>10} {'MariaDB per s':>15} {'ratio':>6}")
        for name, work, count, unit in plan:
            (base, done), (server_time, server_done) = (timed(work, stores[kind], count) for kind in stores)
            assert done == server_done, f"{name}: SQLite did {done}, MariaDB {server_done}"
            print(f"{name:<28} {base:>9.2f} {server_time:>10.2f} {server_done / server_time:>11,.0f} "
                  f"{unit:<5} {server_time / base:>4.1f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
