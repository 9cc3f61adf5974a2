"""The care list's churn rules kept current from each day's changes (the desk, SQLite).

Spend falling, tiers lapsing and members falling silent are questions about two years of
history, and asking them from scratch every morning was most of a million-member build.
But a member's answer changes only when their history changes or when one of their
purchases or visits crosses a window's edge (a purchase turning 12 months old leaves the
"last 12 months" sum, one turning 24 months old leaves the sum before, and so on). So the
desk keeps, per member:

- `care_spend_watch`: the members whose spend matches a rule now, with its three sums;
- `care_silence_watch`: every member with a usual cadence, and the day their silence
  will first exceed it (`alarm_on`);

and each build re-evaluates only the *affected* members: those the triggers marked in
`care_dirty_members` since the last build, and those with a purchase or visit in the
slice of time a window's edge moved over since then. Everyone else's answer is the one
stored, so the build is exactly the full evaluation (`carelist.rules.churn_spend` and
`churn_silence`, which stay the reference; tests compare both day by day).

A full evaluation (the first build, changed rules or tiers, a build of a day before the
last one, a gap of more than `_LONGEST_GAP`) rebuilds both watches.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    Table,
    Uuid,
    and_,
    case,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from vipdesk.models import (
    CareDirtyMember,
    CareSilenceWatch,
    CareSpendWatch,
    Purchase,
    SyncState,
    Visit,
)
from vipdesk.services.care_common import CareSettings, spend_suspects
from vipdesk.services.care_dates import utc_range

WATCH_KEY = "care.watch"  # the migration's triggers test for this key
# Past this many days since the last build, the slices are most of the history anyway.
_LONGEST_GAP = 31
SPEND_WATCH = cast(Table, CareSpendWatch.__table__)
SILENCE_WATCH = cast(Table, CareSilenceWatch.__table__)


@dataclass(frozen=True)
class SilenceAlarm:
    """A member whose silence first counts as a churn warning on or before the day."""

    member_id: uuid.UUID
    last_visit_on: date
    cadence_days: int
    alarm_on: date


@dataclass(frozen=True)
class Refreshed:
    """What a build must turn into tasks: the spend rows to insert tasks for (a temporary
    table shaped like `care_spend_watch`) and the silence alarms that are due."""

    spend_rows: Table
    alarms: list[SilenceAlarm]
    temporaries: tuple[Table, ...]

    def drop_temporaries(self, conn: Connection) -> None:
        drop_temporaries(conn, self.temporaries)


class Windows:
    """The rules' time windows for one build day, as UTC instants (as the full rules
    compute them): [start, end) for visits, [two_years, year_ago, horizon, now) for
    spend."""

    def __init__(self, day: date, tz: ZoneInfo, horizon_days: int) -> None:
        self.visits_start, self.now = utc_range(day - timedelta(days=730), day, tz)
        self.year_ago = self.now - timedelta(days=365)
        self.two_years = self.now - timedelta(days=730)
        self.horizon = min(self.year_ago + timedelta(days=horizon_days), self.now)

    def purchase_edges(self) -> tuple[datetime, ...]:
        return self.two_years, self.year_ago, self.horizon, self.now

    def visit_edges(self) -> tuple[datetime, ...]:
        return self.visits_start, self.now


class CareWatch:
    """Keeps the two watches current; `refresh` is called once per build (in its
    transaction: a build that rolls back leaves the watches as they were)."""

    def __init__(self, service: CareSettings) -> None:
        # The service whose rules, tiers and time zone the watches follow.
        self.service = service
        self.rules = service.rules
        self.tz: ZoneInfo = service.tz

    def windows(self, day: date) -> Windows:
        return Windows(day, self.tz, self.rules.tier_risk_horizon_days)

    def fingerprint(self) -> str:
        tiers = [(t.code, t.min_spend_cents) for t in self.service.tiers.tiers]
        return json.dumps([repr(self.rules), tiers, self.tz.key])

    def refresh(self, session: Session, day: date) -> Refreshed:
        conn = session.connection()
        since = self._since(session, day)
        windows = self.windows(day)
        affected = None if since is None else self._affected(conn, since, windows)
        self._refresh_spend(conn, windows, affected)
        self._refresh_silence(conn, day, affected)
        new_period = since is None or (since.year, since.month) != (day.year, day.month)
        rows = _spend_rows(conn, None if new_period else affected)
        alarms = self._due_alarms(conn, day, since, affected)
        conn.execute(delete(CareDirtyMember))
        session.merge(SyncState(key=WATCH_KEY, value=json.dumps(
            {"day": day.isoformat(), "fingerprint": self.fingerprint()})))
        session.flush()
        temporaries = (rows,) if affected is None else (rows, affected)
        return Refreshed(rows, alarms, temporaries)

    def _since(self, session: Session, day: date) -> date | None:
        """The day the watches were last brought to, if they can be moved to `day` by
        slices (else None: evaluate everyone)."""
        raw = session.scalar(select(SyncState.value).where(SyncState.key == WATCH_KEY))
        try:
            state = json.loads(raw or "null")
            since = date.fromisoformat(state["day"])
        except (ValueError, TypeError, KeyError):
            return None  # none, or unreadable: evaluating everyone is always right
        if state.get("fingerprint") != self.fingerprint():
            return None
        if since > day or (day - since).days > _LONGEST_GAP:
            return None
        return since

    # -- who must be looked at again ----------------------------------------------------

    def _affected(self, conn: Connection, since: date, windows: Windows) -> Table:
        """A temporary table of the members marked dirty plus those with a purchase or
        visit in a slice an edge moved over between `since` and the build day."""
        before = self.windows(since)
        affected = _temp_members(conn, "care_affected")
        conn.execute(insert(affected).prefix_with("OR IGNORE").from_select(
            ["member_id"], select(CareDirtyMember.member_id)))
        slices = [(old, new) for old, new in zip(before.purchase_edges(),
                                                  windows.purchase_edges(), strict=True)
                  if old < new]
        visit_slices = [(old, new) for old, new in zip(before.visit_edges(),
                                                        windows.visit_edges(), strict=True)
                        if old < new]
        for member, at, moved in ((Purchase.member_id, Purchase.occurred_at, slices),
                                  (Visit.member_id, Visit.checked_in_at, visit_slices)):
            if moved:
                crossed = or_(*[and_(at >= old, at < new) for old, new in moved])
                conn.execute(insert(affected).prefix_with("OR IGNORE").from_select(
                    ["member_id"], select(member).where(crossed)))
        return affected

    # -- spend --------------------------------------------------------------------------

    def _refresh_spend(self, conn: Connection, windows: Windows,
                       affected: Table | None) -> None:
        """Recompute the spend watch: everyone who can match (full), or the affected."""
        if affected is None:
            conn.execute(delete(CareSpendWatch))
            members = spend_suspects(self.service, windows.now).subquery()
            narrowed = Purchase.member_id.in_(select(members.c.member_id))
        else:
            conn.execute(delete(CareSpendWatch).where(
                CareSpendWatch.member_id.in_(select(affected.c.member_id))))
            narrowed = Purchase.member_id.in_(select(affected.c.member_id))
        conn.execute(insert(SPEND_WATCH).from_select(
            ["member_id", "s12", "prev", "keep"], self._spend_matches(windows, narrowed)))

    def _spend_matches(self, windows: Windows, narrowed: Any) -> Any:
        """Per member of `narrowed`: the three sums, kept when a rule matches."""
        r = self.rules
        amount = Purchase.amount_cents
        s12 = func.sum(case((Purchase.occurred_at >= windows.year_ago, amount), else_=0))
        prev = func.sum(case((Purchase.occurred_at < windows.year_ago, amount), else_=0))
        keep = func.sum(case((Purchase.occurred_at >= windows.horizon, amount), else_=0))
        dropping = and_(prev >= r.spend_drop_min_previous_yuan * 100,
                        s12 < prev * r.spend_drop_ratio)
        lapsing = [and_(s12 >= t.min_spend_cents, keep < t.min_spend_cents)
                   for t in self.service.tiers.tiers]
        return (select(Purchase.member_id, s12, prev, keep)
                .where(narrowed, Purchase.occurred_at >= windows.two_years,
                       Purchase.occurred_at < windows.now)
                .group_by(Purchase.member_id).having(or_(dropping, *lapsing)))

    # -- silence ------------------------------------------------------------------------

    def _refresh_silence(self, conn: Connection, day: date, affected: Table | None) -> None:
        """Recompute each affected member's cadence and alarm day (everyone's, in full)."""
        windows = self.windows(day)
        at = _unindexed(Visit.checked_in_at)
        stmt = (select(Visit.member_id, func.count(), func.min(Visit.checked_in_at),
                       func.max(Visit.checked_in_at))
                .where(at >= windows.visits_start, at < windows.now)
                .group_by(Visit.member_id)
                .having(func.count() >= self.rules.churn_min_visits))
        if affected is None:
            conn.execute(delete(CareSilenceWatch))
        else:
            members = select(affected.c.member_id)
            conn.execute(delete(CareSilenceWatch).where(CareSilenceWatch.member_id.in_(members)))
            stmt = stmt.where(Visit.member_id.in_(members))
        rows = [self.alarm(member_id, count, _aware(first), _aware(last))
                for member_id, count, first, last in conn.execute(stmt)]
        for i in range(0, len(rows), 5000):
            conn.execute(insert(SILENCE_WATCH), [
                {"member_id": a.member_id, "last_visit_on": a.last_visit_on,
                 "cadence_days": a.cadence_days, "alarm_on": a.alarm_on}
                for a in rows[i:i + 5000]])

    def alarm(self, member_id: uuid.UUID, count: int, first_at: datetime,
              last_at: datetime) -> SilenceAlarm:
        """The first day `churn_silence` matches this member if nothing changes: silent
        more than max(factor × cadence, minimum) days, and last seen before the quiet
        line (minimum days before the end of that day)."""
        r = self.rules
        cadence = (last_at - first_at).days / (count - 1)
        last = last_at.astimezone(self.tz).date()
        threshold = max(r.churn_cadence_factor * cadence, r.churn_min_silence_days)
        alarm_on = last + timedelta(days=math.floor(threshold) + 1)
        while not last_at < self.windows(alarm_on).now - timedelta(
                days=r.churn_min_silence_days):
            alarm_on += timedelta(days=1)
        return SilenceAlarm(member_id, last, round(cadence), alarm_on)

    def _due_alarms(self, conn: Connection, day: date, since: date | None,
                    affected: Table | None) -> list[SilenceAlarm]:
        """Alarms due by `day` that the last build did not already raise: every one in
        full, else those that came due since then and the affected members'."""
        w = SILENCE_WATCH.c
        stmt = select(w.member_id, w.last_visit_on, w.cadence_days, w.alarm_on).where(
            w.alarm_on <= day)
        if since is not None and affected is not None:
            stmt = stmt.where(or_(w.alarm_on > since,
                                  w.member_id.in_(select(affected.c.member_id))))
        return [SilenceAlarm(*row) for row in conn.execute(stmt)]


def _spend_rows(conn: Connection, affected: Table | None) -> Table:
    """The spend watch's rows a build inserts tasks for: all of them when the task keys'
    period (month, quarter) is new, else only the affected members' (the others' tasks
    of this period were inserted when their row was)."""
    rows = Table("care_spend", MetaData(), Column("member_id", Uuid, primary_key=True),
                 *[Column(name, BigInteger) for name in ("s12", "prev", "keep")],
                 prefixes=["TEMPORARY"])
    rows.drop(conn, checkfirst=True)
    rows.create(conn)
    chosen = select(SPEND_WATCH.c.member_id, SPEND_WATCH.c.s12, SPEND_WATCH.c.prev,
                    SPEND_WATCH.c.keep)
    if affected is not None:
        chosen = chosen.where(SPEND_WATCH.c.member_id.in_(select(affected.c.member_id)))
    conn.execute(insert(rows).from_select(["member_id", "s12", "prev", "keep"], chosen))
    return rows


def _unindexed(column: Any) -> Any:
    """`column` behind SQLite's unary `+`, so the planner does not pick the column's own
    index for a range that covers most rows (two years of visits): the aggregate then
    walks the covering (member, time) index in member order with no sort, ≈ 3× faster."""
    return literal_column(f"+{column.table.name}.{column.name}", column.type)


def _temp_members(conn: Connection, name: str) -> Table:
    table = Table(name, MetaData(), Column("member_id", Uuid, primary_key=True),
                  prefixes=["TEMPORARY"])
    table.drop(conn, checkfirst=True)
    table.create(conn)
    return table


def _aware(at: datetime | str) -> datetime:
    # Aggregates (min/max) bypass the column type on SQLite and come back as text.
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def drop_temporaries(conn: Connection, tables: Iterable[Table]) -> None:
    for table in tables:
        table.drop(conn, checkfirst=True)
