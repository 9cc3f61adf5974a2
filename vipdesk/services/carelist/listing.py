"""What the care list shows: the tasks known by a day, their status (`care_status`, the
one rule), in the list's order, as `CareItem`s with their message. `listing` returns the
whole list; `page` the desk's view (the most urgent page with whole-list counts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from vipdesk.models import CareTask, Member, Staff
from vipdesk.services import care_festivals
from vipdesk.services.care_common import CareSettings
from vipdesk.services.care_config import stored_templates
from vipdesk.services.care_dates import utc_range
from vipdesk.services.care_items import ITEM_COLUMNS, CareItem, ItemMaker
from vipdesk.services.care_limits import held_back
from vipdesk.services.care_messages import TierWords
from vipdesk.services.care_status import STATUSES, status_rank
from vipdesk.services.clock import Clock

# The desk shows at most this many of the most urgent items: far above a real store's
# day (hundreds; the dense 3,000-member demo lists ≈ 1,800), so only a chain-sized list
# is cut. Its summary and kind filter count the whole list (`CareList.counts`).
CARE_PAGE = 5000
CARE_TASKS = cast(Table, CareTask.__table__)


@dataclass(frozen=True)
class CareList:
    day: date
    items: list[CareItem]
    created: int  # tasks this build discovered
    # When `items` is only the most urgent page (`limit`): items per status and the
    # kinds over the whole list, from one aggregate query.
    counts: dict[str, int] | None = None
    all_kinds: frozenset[str] | None = None

    @property
    def open_items(self) -> list[CareItem]:
        return [i for i in self.items if i.status != "done"]

    @property
    def open_count(self) -> int:
        if self.counts is None:
            return len(self.open_items)
        return sum(n for status, n in self.counts.items() if status != "done")

    @property
    def overdue_count(self) -> int:
        if self.counts is None:
            return sum(1 for i in self.items if i.status == "overdue")
        return self.counts.get("overdue", 0)

    @property
    def kinds(self) -> frozenset[str]:
        return self.all_kinds if self.all_kinds is not None else frozenset(
            i.kind for i in self.items)


class Lister(CareSettings, Protocol):
    """A list's settings and the clock its statuses are read by."""

    @property
    def clock(self) -> Clock: ...


def listing(svc: Lister, session: Session, day: date, advisor_id: uuid.UUID | None = None,
            *, store_id: uuid.UUID | None = None, staff_language: str = "zh"
            ) -> list[CareItem]:
    """Open tasks known by `day` (within the carry-over limit) and those done on it,
    most urgent first. One Core query of the columns an item shows (no ORM entities:
    at 150k tasks building them was most of the build); `store_id` keeps the
    members whose home store it is or whose advisor works there."""
    day_start, day_end = utc_range(day, day, svc.tz)
    shown = in_window(svc, day, day_start, day_end)
    stmt = (select(*ITEM_COLUMNS).select_from(CareTask)
            .join(Member, Member.id == CareTask.member_id)
            .where(shown, *in_scope(advisor_id, store_id),
                   CareTask.id.not_in(held_back(shown, day, day_end, svc.tz, svc.rules))))
    # Core rows from the connection: no ORM row loading for plain columns.
    make = _maker(svc, session, day, day_end, staff_language)
    items = [make(row) for row in session.connection().execute(stmt)]
    order = {status: rank for rank, status in enumerate(STATUSES)}
    items.sort(key=lambda i: (order[i.status], i.due_on, i.kind, i.member_no))
    return items


def page(svc: Lister, session: Session, day: date, advisor_id: uuid.UUID | None = None,
         *, store_id: uuid.UUID | None = None, limit: int = CARE_PAGE,
         staff_language: str = "zh") -> tuple[list[CareItem], dict[str, int], frozenset[str]]:
    """The desk's view: the `limit` most urgent items of `listing`'s list, with the
    whole list's items per status and its kinds. The list is first copied to a
    temporary table in member order with its status computed once; the counts and
    the sorted page read the copy, and only the page's rows are parsed and rendered
    (at 150k tasks this is ≈ 2× faster than sorting and counting over the join)."""
    day_start, day_end = utc_range(day, day, svc.tz)
    conn = session.connection()
    listed = _copy_list(svc, conn, day, day_start, day_end, advisor_id, store_id)
    counts: dict[str, int] = {}
    kinds: set[str] = set()
    for rank, kind, n in conn.execute(select(listed.c.rank, listed.c.kind, func.count())
                                      .group_by(listed.c.rank, listed.c.kind)):
        counts[STATUSES[rank]] = counts.get(STATUSES[rank], 0) + n
        kinds.add(kind)
    order = (listed.c.rank, listed.c.due_on, listed.c.kind, listed.c.member_no,
             listed.c.task_key)
    # Cut the page first, then join: SQLite would join every listed row before sorting.
    top = select(listed).order_by(*order).limit(max(limit, 0)).subquery()
    stmt = (select(*ITEM_COLUMNS).select_from(top)
            .join(CareTask, CareTask.id == top.c.id)
            .join(Member, Member.id == CareTask.member_id)
            .order_by(*[top.c[c.name] for c in order]))
    make = _maker(svc, session, day, day_end, staff_language)
    items = [make(row) for row in conn.execute(stmt)]
    for table in (listed, _LISTED_TASKS):
        table.drop(conn)
    return items, counts, frozenset(kinds)


def _copy_list(svc: Lister, conn: Any, day: date, day_start: datetime, day_end: datetime,
               advisor_id: uuid.UUID | None, store_id: uuid.UUID | None) -> Table:
    """The list as a temporary table (task id, status rank, due day, kind, member
    number, key). Two steps on purpose: the window's tasks are copied in member
    order first, so the join to members that applies the scope walks the member
    index in order instead of seeking at random (≈ 3× faster at 150k tasks)."""
    tasks = _LISTED_TASKS
    tasks.drop(conn, checkfirst=True)
    tasks.create(conn)
    conn.execute(insert(tasks).from_select(
        [c.name for c in tasks.c],
        select(*[CARE_TASKS.c[c.name] for c in tasks.c])
        .where(in_window(svc, day, day_start, day_end)).order_by(CareTask.member_id)))
    held = held_back(in_window(svc, day, day_start, day_end), day, day_end, svc.tz, svc.rules)
    conn.execute(delete(tasks).where(tasks.c.id.in_(held)))
    listed = _LISTED
    listed.drop(conn, checkfirst=True)
    listed.create(conn)
    t = tasks.c
    rank = status_rank(day, day_end, svc.clock.now(), t.closed_at, t.due_on, t.due_at)
    conn.execute(insert(listed).from_select(
        ["id", "rank", "due_on", "kind", "member_no", "task_key"],
        select(t.id, rank, t.due_on, t.kind, Member.member_no, t.task_key)
        .select_from(tasks).join(Member, Member.id == t.member_id)
        .where(*in_scope(advisor_id, store_id))))
    return listed


def _maker(svc: Lister, session: Session, day: date, day_end: datetime,
           staff_language: str) -> ItemMaker:
    return ItemMaker(day, day_end, svc.clock.now(), stored_templates(session),
                     TierWords.of(svc.tiers), staff_language)


def in_window(svc: CareSettings, day: date, day_start: datetime, day_end: datetime) -> Any:
    """Tasks known by `day`: open ones within the carry-over limit, and those closed
    on the day (they show as done)."""
    oldest = day - timedelta(days=svc.rules.carry_over_days)
    still_open = or_(CareTask.closed_at.is_(None), CareTask.closed_at >= day_end)
    return and_(CareTask.generated_on <= day,
                or_(and_(still_open, CareTask.due_on >= oldest,
                         ~care_festivals.passed(CareTask.kind, CareTask.due_on, svc, day)),
                    and_(CareTask.closed_at >= day_start, CareTask.closed_at < day_end)))


def in_scope(advisor_id: uuid.UUID | None, store_id: uuid.UUID | None) -> list[Any]:
    """Whose tasks the list shows: members not erased; an advisor's own clients; a
    lounge's own members and its advisors' clients."""
    conditions: list[Any] = [Member.erased_at.is_(None)]
    if advisor_id is not None:
        conditions.append(Member.advisor_id == advisor_id)
    if store_id is not None:
        advisors_here = select(Staff.id).where(Staff.store_id == store_id)
        conditions.append(or_(Member.home_store_id == store_id,
                              Member.advisor_id.in_(advisors_here)))
    return conditions


# `page`'s temporary copies of the list (see `_copy_list`), typed as the task columns
# so that dates and times compare as they are stored.
_LISTED_TASKS = Table(
    "care_listed_tasks", MetaData(),
    *[Column(name, CARE_TASKS.c[name].type)
      for name in ("id", "member_id", "due_on", "due_at", "closed_at", "kind", "task_key")],
    prefixes=["TEMPORARY"])
_LISTED = Table(
    "care_listed", MetaData(), Column("id", CARE_TASKS.c.id.type), Column("rank", Integer),
    *[Column(name, CARE_TASKS.c[name].type) for name in ("due_on", "kind", "task_key")],
    Column("member_no", String), prefixes=["TEMPORARY"])
