"""The centre builds the ready-made desk file (see desk_file.py) into a folder the
service serves from: nightly, and after a large load.

Under one consistent view of the centre (`snapshot.consistent_view`, the cursor the
row snapshot would give), every synced table is copied by binary COPY into a fresh desk
database made by the desk's own migrations, through the same wire-to-SQLite conversion
a pull uses; the name search index is computed once here instead of on every new desk.
The file is gzip-compressed (a SQLite file shrinks about 3×: what a store's line
carries), hashed, and published by renaming: the manifest names the new file only once
it is complete, and the previous file is kept for a desk still downloading it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import uuid
from itertools import islice
from pathlib import Path

from sqlalchemy import Connection, Engine

from vipdesk.db import open_desk_db
from vipdesk.models import utcnow
from vipdesk.services import name_index
from vipdesk.sync import bulk
from vipdesk.sync.desk_file import (
    DERIVED,
    SAFE_NAME,
    Manifest,
    copied_tables,
    drop_secondary_indexes,
    foreign_keys_unchecked,
    schema_revision,
)
from vipdesk.sync.snapshot import SnapshotHead, consistent_view, copy_rows

MANIFEST = "desk-file.json"
BATCH = 5000
KEEP_FILES = 2  # the current file and the one before it


def build(centre: Engine, folder: Path) -> Manifest:
    """Build, compress and publish a desk file of everything the centre holds now."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".building-{uuid.uuid4().hex[:8]}.sqlite"
    try:
        desk = open_desk_db(work)
        try:
            head, members = _fill(desk, centre)
            with desk.connect() as conn:
                schema = schema_revision(conn)
            _single_file(desk)
        finally:
            desk.dispose()
        name = f"desk-{head.cursor[0]}-{uuid.uuid4().hex[:8]}.sqlite.gz"
        size, digest = _compress(work, folder / name)
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            leftover.unlink(missing_ok=True)
    manifest = Manifest(name=name, cursor=head.cursor, hlc=head.hlc, schema=schema,
                        size=size, sha256=digest, members=members,
                        built_at=utcnow().isoformat())
    publish(folder, manifest)
    return manifest


def current(folder: Path) -> Manifest | None:
    """The published manifest, or None when no file was built (or it went missing)."""
    try:
        manifest = Manifest.from_json(json.loads((folder / MANIFEST).read_text("utf-8")))
    except FileNotFoundError:
        return None
    return manifest if (folder / manifest.name).is_file() else None


def published_file(folder: Path | None, name: str) -> Path | None:
    """A desk file the folder serves (the current or the previous), by its name only."""
    if folder is None or not SAFE_NAME.match(name):
        return None
    path = folder / name
    return path if path.is_file() else None


def publish(folder: Path, manifest: Manifest) -> None:
    staged = folder / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    staged.write_text(json.dumps(manifest.to_json(), indent=1), "utf-8")
    os.replace(staged, folder / MANIFEST)  # atomic: readers see the old or the new one
    files = sorted(folder.glob("desk-*.sqlite.gz"), key=lambda p: p.stat().st_mtime)
    for old in files[:-KEEP_FILES]:
        if old.name != manifest.name:
            old.unlink(missing_ok=True)


def _fill(desk: Engine, centre: Engine) -> tuple[SnapshotHead, int]:
    """Replace the fresh desk's own rows (its seeded defaults) with the centre's; the
    centre's view stays open only while its rows are read, not while the name index
    is computed (a long snapshot would hold back PostgreSQL's vacuum)."""
    with desk.connect() as conn, foreign_keys_unchecked(conn), conn.begin():
        for name in reversed(copied_tables()):
            conn.exec_driver_sql(f'DELETE FROM "{name}"')
        # Never built here: the desk builds its own after the copy (a third of the file).
        drop_secondary_indexes(conn, copied_tables(), schema="main")
        with consistent_view(centre) as (head, view):
            for name in copied_tables():
                if name not in DERIVED:
                    _copy_table(conn, view, name)
        members = _index_names(conn)
    return head, members


def _copy_table(conn: Connection, view: Connection, name: str) -> None:
    rows = copy_rows(view, name)
    while chunk := list(islice(rows, BATCH)):
        if not bulk.sqlite_insert_all_new(conn, name, chunk):
            raise RuntimeError(f"the centre's {name} rows clash in a fresh desk file")


def _index_names(conn: Connection) -> int:
    """The name search index, by the rules a pull indexes its members with. Staged
    unindexed and moved in sorted by its key: inserted member by member, each of
    millions of terms would land on a random page of the index."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("CREATE TEMP TABLE staged_terms (term TEXT, member_id TEXT, weight INTEGER)")
    members = raw.execute("SELECT id, name_zh, name_latin FROM members")
    count = 0
    while chunk := members.fetchmany(BATCH):
        count += len(chunk)
        raw.executemany("INSERT INTO staged_terms VALUES (?, ?, ?)", [
            (term, member_id, weight) for member_id, name_zh, name_latin in chunk
            for term, weight in name_index.terms_of(name_zh, name_latin)])
    raw.execute("INSERT INTO member_terms (term, member_id, weight) SELECT term, member_id,"
                " weight FROM staged_terms ORDER BY term, member_id")
    raw.execute("DROP TABLE staged_terms")
    return count


def _single_file(desk: Engine) -> None:
    """Everything in the main file (no WAL beside it), so it can be copied alone."""
    with desk.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")


def _compress(source: Path, target: Path) -> tuple[int, str]:
    """gzip (fast level) into `target`, via a partial name; (size, sha256) of the result."""
    partial = target.with_name(f".{target.name}.part")
    with source.open("rb") as raw, gzip.open(partial, "wb", compresslevel=1) as packed:
        shutil.copyfileobj(raw, packed, 1 << 20)
    digest = hashlib.sha256()
    with partial.open("rb") as done:
        while block := done.read(1 << 20):
            digest.update(block)
    os.replace(partial, target)
    return target.stat().st_size, digest.hexdigest()
