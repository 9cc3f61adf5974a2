"""Opening the desk a second time in one process must not drop the locks the first
connection holds: closing any descriptor of a file releases all of this process's POSIX
locks on it, and another process could then take the file for itself (a checkpoint that
removes the write-ahead log under a reader) and damage it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from vipdesk.crypto import is_plain_sqlite
from vipdesk.db import open_desk_db

# Another process asks for SQLite's shared-lock bytes of the database file exclusively:
# refused while any connection of ours holds its shared lock.
PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002, os.SEEK_SET)
except OSError:
    print("held")
else:
    print("free")
"""


def shared_lock(path: Path) -> str:
    return subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


def reading(path: Path) -> sqlite3.Connection:
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchall()  # holds a shared lock
    return reader


def test_a_second_open_keeps_the_first_connections_lock(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    open_desk_db(path).dispose()
    reader = reading(path)
    assert shared_lock(path) == "held"
    again = open_desk_db(path, migrate=False)  # a second engine in the same process
    assert shared_lock(path) == "held"
    again.dispose()
    reader.close()


def test_the_probe_sees_a_dropped_lock(tmp_path: Path) -> None:
    """What the desk must not do: read the header with a plain file handle."""
    path = tmp_path / "desk.db"
    open_desk_db(path).dispose()
    reader = reading(path)
    is_plain_sqlite(path)
    assert shared_lock(path) == "free"
    reader.close()
