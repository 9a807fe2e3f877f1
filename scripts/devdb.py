"""A throwaway MariaDB server for tests and benchmarks: Debian's mariadbd on 127.0.0.1, data in a folder.

The bot reaches it as it reaches ToolsDB: over TCP, as an ordinary user who may create tables in
the databases named after it, never as root. ``stop`` ends the server and removes the folder.

It also makes the weekly mentorship dump as Wikimedia makes it (:meth:`MariaServer.mentor_dump`):
GrowthExperiments' table with its real schema, filled with the rows given, written out by
Debian's ``mariadb-dump`` with Wikimedia's options.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pymysql

USER = "mentorbot"
PASSWORD = "test-password"

MENTOR_TABLE = "growthexperiments_mentor_mentee"
# GrowthExperiments' schema of the table (its sql/mysql/growthexperiments_mentor_mentee.sql).
MENTOR_TABLE_SCHEMA = f"""CREATE TABLE {MENTOR_TABLE} (
  gemm_mentee_id INT UNSIGNED NOT NULL,
  gemm_mentor_role VARBINARY(255) NOT NULL,
  gemm_mentor_id INT UNSIGNED NOT NULL,
  gemm_mentee_is_active TINYINT(1) DEFAULT 1 NOT NULL,
  INDEX gemm_mentor (gemm_mentor_id, gemm_mentee_is_active),
  PRIMARY KEY(gemm_mentee_id, gemm_mentor_role)
) ENGINE=InnoDB DEFAULT CHARSET=binary"""
#: How Wikimedia dumps the table every week (then gzip'd).
WIKIMEDIA_DUMP_OPTIONS = ("--opt", "--quick", "--skip-add-locks", "--skip-lock-tables")


def program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise RuntimeError(f"{name} is missing: scripts/install installs MariaDB from Debian's packages")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MariaServer:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    _numbers: itertools.count[int]

    @property
    def socket_path(self) -> str:
        return str(self.directory / "mariadb.sock")

    def root(self) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        return pymysql.connect(unix_socket=self.socket_path, user="root", autocommit=True)

    def new_database(self) -> str:
        """An empty database the bot's user owns; returns its state_url."""
        name = f"{USER}_{next(self._numbers)}"
        with self.root() as connection, connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        return f"mariadb://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def mentor_dump(self, rows: Iterable[tuple[int, str, int, int]], *options: str,
                    database: str = "enwiki") -> bytes:
        """What ``mariadb-dump`` writes for GrowthExperiments' table holding ``rows``.

        ``rows`` are (mentee id, role, mentor id, is_active); ``options`` come after Wikimedia's
        own (``--compact``, ``--skip-extended-insert``, ``--hex-blob``, ``--net-buffer-length=N``).
        The table lives in a database of that name (the dump's header names it) only while it is
        dumped.
        """
        with self.root() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
            cursor.execute(f"CREATE DATABASE `{database}`")
            try:
                cursor.execute(f"USE `{database}`")
                cursor.execute(MENTOR_TABLE_SCHEMA)
                batch: list[tuple[int, str, int, int]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == 10_000:
                        cursor.executemany(f"INSERT INTO {MENTOR_TABLE} VALUES (%s, %s, %s, %s)", batch)
                        batch.clear()
                if batch:
                    cursor.executemany(f"INSERT INTO {MENTOR_TABLE} VALUES (%s, %s, %s, %s)", batch)
                return self.dump(database, MENTOR_TABLE, *options)
            finally:
                cursor.execute(f"DROP DATABASE `{database}`")

    def dump(self, database: str, table: str, *options: str) -> bytes:
        """What ``mariadb-dump`` writes for one table with Wikimedia's options, then ``options``."""
        return subprocess.run([program("mariadb-dump"), "--no-defaults", f"--socket={self.socket_path}",
                               "--user=root", *WIKIMEDIA_DUMP_OPTIONS, *options, database, table],
                              check=True, capture_output=True).stdout

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start(directory: Path) -> MariaServer:
    data = directory / "data"
    log = directory / "server.log"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    # --force --skip-name-resolve: the grant tables name addresses, not this machine, so a machine
    # whose name does not resolve (no /etc/hosts, as in a bare Debian root) needs no setup of its own.
    subprocess.run([program("mariadb-install-db"), "--no-defaults", f"--datadir={data}", *as_root,
                    "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve",
                    "--force"],
                   check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [program("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={directory / 'mariadb.sock'}",
         f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={directory / 'mariadb.pid'}",
         f"--log-error={log}", "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
         "--innodb-flush-log-at-trx-commit=2", *as_root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = MariaServer(directory, port, process, itertools.count(1))
    deadline = time.monotonic() + 60
    while True:
        try:
            with server.root() as connection, connection.cursor() as cursor:
                cursor.execute(f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'")
                cursor.execute(f"GRANT ALL ON `{USER}\\_%`.* TO '{USER}'@'127.0.0.1'")
            return server
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                told = log.read_text() if log.exists() else ""
                server.stop()
                raise RuntimeError(f"MariaDB did not start; its log: {told}") from None
            time.sleep(0.1)
