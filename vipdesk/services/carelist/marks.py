"""What a build leaves in the desk's `sync_state` for the next one: the newest day built
and the mark of the inputs its rules saw (`inputs_mark`: the day, the rules, the tier
thresholds, the desk's change marks and the largest rowid of each table the rules
read). The next build compares marks to skip unchanged same-day rebuilds, and reads the
rowids to find the rows written since (`written_since`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import SyncState

LAST_BUILD_KEY = "care.last_build_day"
INPUTS_KEY = "care.last_build_inputs"
# The desk's change marks (vipdesk.outbox state keys: the HLC every captured write ticks,
# the pull cursor, the last sync) and the tables the rules read.
CHANGE_KEYS = ("hlc", "cursor", "last_sync")
INPUT_TABLES = ("members", "purchases", "visits", "complaints", "complaint_events",
                "tier_changes", "follow_up_tasks")


def inputs_mark(session: Session, day: date, settings: list[Any]) -> str:
    """The mark of what the rules read as of now, with the build's `settings` (rules and
    tiers) in it."""
    states = {key: value for key, value in session.execute(
        select(SyncState.key, SyncState.value).where(SyncState.key.in_(CHANGE_KEYS)))}
    conn = session.connection()
    rowids = [conn.exec_driver_sql(f"SELECT max(rowid) FROM {name}").scalar()
              for name in INPUT_TABLES]
    return json.dumps([day.isoformat(), *settings,
                       [states.get(k) for k in CHANGE_KEYS], rowids], default=str)


def stored_mark(session: Session) -> str | None:
    return session.scalar(select(SyncState.value).where(SyncState.key == INPUTS_KEY)) or None


def written_since(session: Session) -> dict[str, int] | None:
    """The largest rowid of each input table when the last build ran (rows above it were
    written since), or None when the last build left no mark (none yet, or a look back
    at an earlier day)."""
    mark = stored_mark(session)
    if mark is None:
        return None
    rowids = json.loads(mark)[-1]
    if not isinstance(rowids, list) or len(rowids) != len(INPUT_TABLES):
        return None  # a mark of another version (other tables): as if none
    return {name: rowid or 0 for name, rowid in zip(INPUT_TABLES, rowids, strict=True)}


def last_build(session: Session) -> date | None:
    raw = session.scalar(select(SyncState.value).where(SyncState.key == LAST_BUILD_KEY))
    return date.fromisoformat(raw) if raw else None


def remember_build(session: Session, day: date, inputs: str | None = None) -> None:
    """Persist the newest day built (a look back at an earlier day leaves it) and the
    mark of the inputs its rules saw (an earlier day's build forgets it: the next build
    of the newest day runs its rules again)."""
    last = last_build(session)
    if last is None or day > last:
        session.merge(SyncState(key=LAST_BUILD_KEY, value=day.isoformat()))
    if last is None or day >= last:
        session.merge(SyncState(key=INPUTS_KEY, value=inputs or ""))
    else:
        session.merge(SyncState(key=INPUTS_KEY, value=""))
    session.flush()
