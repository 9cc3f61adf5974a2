"""Lounge visits (到店): check-in, check-out, who is here now, the purchase it led to,
and voiding a wrong check-in (撤销来访登记).

A member has at most one open visit *today*. A visit left open on an earlier day (the
guest left while the desk was busy) is stale: it neither blocks a new check-in nor shows
as "here"; it stays as recorded, without an invented check-out time.

A check-in of the wrong member (the wrong search hit, at a busy desk) did not happen, so
voiding it deletes the row rather than adding a correcting record: otherwise it would
stay in the member's history, the care list's silence rule and the reports for ever.
The delete travels like any other (the outbox, then a tombstone at the centre that makes
a late edit from another desk obsolete); the audit log keeps who voided what and why.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Base, Member, Preference, Purchase, Staff, Store, Visit
from vipdesk.services import audit, auth, validation
from vipdesk.services.auth import Actor
from vipdesk.services.clock import DEFAULT_TZ, Clock, local_date
from vipdesk.services.records import member_for, not_before
from vipdesk.services.tiers import effective_tier_code
from vipdesk.services.validation import FieldError

MAX_PURPOSE = 200
MAX_OFFERED = 200
MAX_VOID_REASON = 200
VOID_DAYS = 7  # how far back a manager may void a check-in

# Why a void is refused; fixed words, so the window can say them in the desk's language.
VOID_PURCHASE = "this visit is linked to a purchase, so it really happened: it cannot be voided"
VOID_TOO_OLD = f"only check-ins of the last {VOID_DAYS} days can be voided"


class VisitError(ValueError):
    """A visit action that does not fit what is recorded (already here, not here…)."""


class VisitNotFound(VisitError):
    """No visit with that id (never recorded here, or already voided)."""


@dataclass(frozen=True)
class VisitDraft:
    purpose: str | None = None
    offered: str | None = None  # None: pre-filled from the member's `drink` preference


@dataclass(frozen=True)
class VisitRecord:
    visit_id: uuid.UUID
    member_id: uuid.UUID
    store_id: uuid.UUID | None
    checked_in_at: datetime
    checked_out_at: datetime | None
    received_by: uuid.UUID | None
    purpose: str | None
    offered: str | None
    purchase_id: uuid.UUID | None


@dataclass(frozen=True)
class VoidedVisit:
    """What a void removed, as the audit entry describes it."""

    visit_id: uuid.UUID
    member_id: uuid.UUID
    member_no: str
    checked_in_at: datetime
    purpose: str | None
    reason: str


@dataclass(frozen=True)
class GuestHere:
    """One row of the lounge's "who is here" board."""

    visit_id: uuid.UUID
    member_id: uuid.UUID
    member_no: str
    name: str
    tier_code: str | None
    checked_in_at: datetime
    purpose: str | None
    offered: str | None
    received_by: str | None


@dataclass(frozen=True)
class TellApart:
    """What tells two members of the same name apart in a list of hits."""

    here_since: datetime | None  # checked in today and not out yet
    last_visit: date | None  # the store's local date of the latest check-in
    birth_year: int | None


def validate_visit(draft: VisitDraft) -> list[FieldError]:
    return (validation.text("purpose", draft.purpose, limit=MAX_PURPOSE)
            + validation.text("offered", draft.offered, limit=MAX_OFFERED))


def validate_void(reason: str | None) -> list[FieldError]:
    return validation.text("reason", reason, limit=MAX_VOID_REASON, required=True)


def void_refusal(visit: VisitRecord, now: datetime) -> str | None:
    """Why `visit` may not be voided (None: it may), by someone who holds `visit.void`.

    Only managers hold it: lounge staff delete nothing (SPEC §1) and ask the manager,
    who is on the floor. A manager may take back any check-in of the last 7 days. A visit
    that led to a purchase is never voided: the member was there, whoever was checked in.
    """
    if visit.purchase_id is not None:
        return VOID_PURCHASE
    return None if visit.checked_in_at >= now - timedelta(days=VOID_DAYS) else VOID_TOO_OLD


def visit_references(session: Session, visit_id: uuid.UUID,
                     metadata: MetaData = Base.metadata) -> list[str]:
    """Rows of other tables that point at the visit ("queue_entries ×2"). None today;
    read from the schema, so a table that gains a foreign key to visits is covered."""
    found = []
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != Visit.__tablename__:
                continue
            n = session.scalar(select(func.count()).select_from(table)
                               .where(fk.parent == visit_id)) or 0
            if n:
                found.append(f"{table.name} ×{n}")
    return found


def _void_detail(session: Session, visit: Visit, member_no: str, tz: str, reason: str) -> str:
    """The audit entry: which visit it was (no personal data beyond the member number)."""
    store = session.get(Store, visit.store_id) if visit.store_id else None
    local = visit.checked_in_at.astimezone(ZoneInfo(tz))
    return (f"visit {visit.id}: {member_no} checked in {local:%Y-%m-%d %H:%M} at "
            f"{store.code if store else '-'}, purpose {visit.purpose or '-'}; reason: {reason}")


def _record(v: Visit) -> VisitRecord:
    return VisitRecord(v.id, v.member_id, v.store_id, v.checked_in_at, v.checked_out_at,
                       v.received_by, v.purpose, v.offered, v.purchase_id)


def day_start(now: datetime, tz: str) -> datetime:
    """Midnight of `now`'s local day, as a UTC instant."""
    local = now.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date(), time(0), ZoneInfo(tz)).astimezone(UTC)


def usual_drink(session: Session, member_id: uuid.UUID) -> str | None:
    """The member's most recent `drink` preference: what the desk offers unasked."""
    return session.scalar(
        select(Preference.value).where(Preference.member_id == member_id,
                                       Preference.tag == "drink")
        .order_by(Preference.created_at.desc(), Preference.id.desc()).limit(1)
    )


def open_visit(session: Session, member_id: uuid.UUID, since: datetime) -> Visit | None:
    return session.scalar(
        select(Visit).where(Visit.member_id == member_id, Visit.checked_out_at.is_(None),
                            Visit.checked_in_at >= since)
        .order_by(Visit.checked_in_at.desc()).limit(1)
    )


class VisitService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None,
                 tz: str = DEFAULT_TZ) -> None:
        self.factory = factory
        self.clock = clock or Clock()
        self.tz = tz  # the store's timezone decides what "today" is

    def suggested_offer(self, member_id: uuid.UUID) -> str | None:
        """What the check-in form pre-fills in "offered"."""
        with self.factory() as session:
            return usual_drink(session, member_id)

    def check_in(self, actor: Actor, member_id: uuid.UUID, draft: VisitDraft | None = None,
                 *, received_by: uuid.UUID | None = None,
                 store_id: uuid.UUID | None = None) -> VisitRecord:
        draft = draft or VisitDraft()
        validation.raise_if(validate_visit(draft))
        now = self.clock.now()
        with unit_of_work(self.factory) as session:
            member = member_for(session, actor, "visit.log", member_id)
            here = open_visit(session, member_id, day_start(now, self.tz))
            if here is not None:
                since = here.checked_in_at.astimezone(ZoneInfo(self.tz))
                raise VisitError(f"{member.display_name} is already checked in (since "
                                 f"{since:%H:%M}); check out first")
            offered = usual_drink(session, member_id) if draft.offered is None else draft.offered
            visit = Visit(member_id=member_id, store_id=store_id or actor.store_id,
                          checked_in_at=now, received_by=received_by or actor.staff_id,
                          purpose=validation.clean(draft.purpose),
                          offered=validation.clean(offered), created_at=now)
            session.add(visit)
            session.flush()
            return _record(visit)

    def check_out(self, actor: Actor, member_id: uuid.UUID) -> VisitRecord:
        now = self.clock.now()
        with unit_of_work(self.factory) as session:
            member = member_for(session, actor, "visit.log", member_id)
            visit = open_visit(session, member_id, day_start(now, self.tz))
            if visit is None:
                raise VisitError(f"{member.display_name} is not checked in today")
            visit.checked_out_at = not_before(now, visit.checked_in_at)
            return _record(visit)

    def link_purchase(self, actor: Actor, visit_id: uuid.UUID,
                      purchase_id: uuid.UUID) -> VisitRecord:
        """Attach the purchase a visit led to (once; the same member's purchase only)."""
        with unit_of_work(self.factory) as session:
            visit = session.get(Visit, visit_id)
            if visit is None:
                raise VisitError(f"no visit with id {visit_id}")
            member_for(session, actor, "visit.log", visit.member_id)
            purchase = session.get(Purchase, purchase_id)
            if purchase is None or purchase.member_id != visit.member_id:
                raise VisitError("purchase: not a purchase of this member")
            if visit.purchase_id not in (None, purchase_id):
                raise VisitError("purchase: this visit already has another purchase linked")
            visit.purchase_id = purchase_id
            return _record(visit)

    def void_check_in(self, actor: Actor, visit_id: uuid.UUID, reason: str) -> VoidedVisit:
        """Take back a wrong check-in: the visit row is deleted (and the delete syncs),
        the audit log records who, when, why and what the visit was."""
        validation.raise_if(validate_void(reason))
        why = validation.clean(reason) or ""
        now = self.clock.now()
        with unit_of_work(self.factory) as session:
            visit = session.get(Visit, visit_id)
            if visit is None:
                raise VisitNotFound(f"no visit with id {visit_id} (already voided?)")
            member = member_for(session, actor, "visit.void", visit.member_id)
            refusal = void_refusal(_record(visit), now)
            if refusal is not None:
                raise VisitError(refusal)
            linked = visit_references(session, visit.id)
            if linked:
                raise VisitError(f"this visit is still referenced ({', '.join(linked)}); "
                                 "it cannot be voided")
            voided = VoidedVisit(visit.id, visit.member_id, member.member_no,
                                 visit.checked_in_at, visit.purpose, why)
            audit.record(session, actor, "visit.void", visit.member_id,
                         _void_detail(session, visit, member.member_no, self.tz, why),
                         self.clock)
            session.delete(visit)  # through the session: the outbox captures the delete
            return voided

    def voidable(self, actor: Actor, member_id: uuid.UUID) -> list[VisitRecord]:
        """The member's visits `actor` may void, newest first (the card offers these)."""
        if not auth.allowed(actor, "visit.void"):
            return []
        now = self.clock.now()
        since = now - timedelta(days=VOID_DAYS)
        with self.factory() as session:
            rows = session.scalars(
                select(Visit).where(Visit.member_id == member_id, Visit.checked_in_at >= since,
                                    Visit.purchase_id.is_(None))
                .order_by(Visit.checked_in_at.desc())).all()
            return [_record(v) for v in rows
                    if void_refusal(_record(v), now) is None
                    and not visit_references(session, v.id)]

    def who_is_here(self, store_id: uuid.UUID | None) -> list[GuestHere]:
        """Open visits checked in today at the store (all stores when None), oldest first."""
        since = day_start(self.clock.now(), self.tz)
        stmt = (
            select(Visit, Member, Staff.name)
            .join(Member, Member.id == Visit.member_id)
            .outerjoin(Staff, Staff.id == Visit.received_by)
            .where(Visit.checked_out_at.is_(None), Visit.checked_in_at >= since,
                   Member.erased_at.is_(None))
            .order_by(Visit.checked_in_at)
        )
        if store_id is not None:
            stmt = stmt.where(Visit.store_id == store_id)
        with self.factory() as session:
            return [GuestHere(v.id, m.id, m.member_no, m.display_name, effective_tier_code(m),
                              v.checked_in_at, v.purpose, v.offered, staff)
                    for v, m, staff in session.execute(stmt)]

    def here_now(self, actor: Actor, store_code: str) -> list[GuestHere]:
        """The lounge's board for the desk of `store_code` (every store when the code is
        not in the database, as on a desk set up before stores existed)."""
        auth.require(actor, "member.view")
        with self.factory() as session:
            store_id = session.scalar(select(Store.id).where(Store.code == store_code))
        return self.who_is_here(store_id)

    def in_lounge_since(self, actor: Actor, member_id: uuid.UUID) -> datetime | None:
        """When the member checked in today, while the visit is open (any store)."""
        auth.require(actor, "member.view")
        with self.factory() as session:
            visit = open_visit(session, member_id, day_start(self.clock.now(), self.tz))
            return visit.checked_in_at if visit is not None else None

    def tell_apart(self, actor: Actor,
                   member_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, TellApart]:
        """For a page of search hits, in one grouped query on the member/time index:
        who is in the lounge now, each one's last visit and birth year."""
        auth.require(actor, "member.view")
        if not member_ids:
            return {}
        now = self.clock.now()
        open_today = and_(Visit.checked_out_at.is_(None),
                          Visit.checked_in_at >= day_start(now, self.tz))
        past = Visit.checked_in_at <= now  # a clock set back must not show a future visit
        stmt = (
            select(Member.id, Member.birthday, func.max(case((past, Visit.checked_in_at))),
                   func.max(case((open_today, Visit.checked_in_at))))
            .outerjoin(Visit, Visit.member_id == Member.id)
            .where(Member.id.in_(list(member_ids)))
            .group_by(Member.id, Member.birthday)
        )
        with self.factory() as session:
            rows = session.execute(stmt).all()
        return {member_id: TellApart(
            here, local_date(last, self.tz) if last else None,
            birthday.year if birthday else None) for member_id, birthday, last, here in rows}

    def history(self, actor: Actor, member_id: uuid.UUID, limit: int = 50) -> list[VisitRecord]:
        with self.factory() as session:
            auth.require(actor, "member.view")
            rows = session.scalars(
                select(Visit).where(Visit.member_id == member_id)
                .order_by(Visit.checked_in_at.desc()).limit(limit)
            ).all()
            return [_record(v) for v in rows]

