"""Facades for the manager's desk: the priority queue, the care list, reports, and the
review of what sync could not settle on its own. Bound to the signed-in person."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.db import unit_of_work
from vipdesk.desk.parts import DeskParts
from vipdesk.models import CareContact, CareTask, Complaint, Store
from vipdesk.services import auth
from vipdesk.services import care as care_rules
from vipdesk.services import queue as queue_rules
from vipdesk.services.care import CareDraft, CareRecord, CareService, care_contact_kind
from vipdesk.services.carelist import (
    CARE_PAGE,
    CONTACT_PENDING,
    FOLLOWUP_PENDING,
    CareItem,
    CareList,
    CareListService,
    task_status,
)
from vipdesk.services.queue import QueueError, QueueRow, QueueService
from vipdesk.services.reports import Report, ReportError, ReportService, to_csv
from vipdesk.services.validation import FieldError
from vipdesk.sync.conflicts import ConflictView, list_conflicts, settle_conflict
from vipdesk.sync.dead_letters import (
    PERMISSION,
    DeadLetterView,
    Handled,
    dismiss,
    list_dead_letters,
    open_count,
    retry,
)


class QueueDesk:
    """排队: the peak-hour board, tier-aware (SPEC §5)."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = QueueService(desk.tiers, desk.clock)

    def _store_id(self) -> uuid.UUID | None:
        """The lounge's queue is the desk's store's, whoever is signed in."""
        return self.desk.store_id or self.desk.actor.store_id

    def board(self) -> list[QueueRow]:
        with self.desk.factory() as s:
            return self.service.board(s, self._store_id())

    def add(self, member_id: uuid.UUID, purpose: str, appointment: bool) -> uuid.UUID:
        """Put an arriving guest on the board; `appointment` = they hold a booking now."""
        now = self.desk.clock.now()
        with unit_of_work(self.desk.factory) as s:
            return self.service.add(s, self.desk.actor, member_id, purpose,
                                    appointment_at=now if appointment else None,
                                    store_id=self._store_id()).id

    def call_next(self, advisor_id: uuid.UUID | None = None) -> uuid.UUID | None:
        """Call the top guest (their own advisor when free); None when nobody waits."""
        actor = self.desk.actor
        with unit_of_work(self.desk.factory) as s:
            entry = self.service.call_next(s, actor, self._store_id(), advisor_id)
            return entry.id if entry else None

    def assign(self, entry_id: uuid.UUID, advisor_id: uuid.UUID) -> None:
        with unit_of_work(self.desk.factory) as s:
            self.service.assign(s, self.desk.actor, entry_id, advisor_id)

    def finish(self, entry_id: uuid.UUID, state: str) -> None:
        """`state` is "served" or "left"."""
        if state not in ("served", "left"):
            raise QueueError(f"state: {state!r} is not served or left")
        finish = self.service.served if state == "served" else self.service.left
        with unit_of_work(self.desk.factory) as s:
            finish(s, self.desk.actor, entry_id)

    def advisor_choices(self, member_id: uuid.UUID
                        ) -> tuple[list[tuple[uuid.UUID, str, bool]], uuid.UUID | None]:
        """(advisor id, label, busy with another guest), the guest's own advisor first,
        and the one to suggest."""
        with self.desk.factory() as s:
            return queue_rules.advisor_choices(s, member_id)


@dataclass(frozen=True)
class CareTaskChoice:
    """A care-list task still open for one member, as the care-contact form offers it."""

    task_key: str
    kind: str  # the care list's task kind (birthday, callback_3d, churn_silence…)
    contact_kind: str  # the care contact kind a contact closing it is filed under
    due_on: date
    status: str  # overdue / due / upcoming, as the care list would show it


class CareDesk:
    """关怀: the daily care list and the contacts that finish its tasks."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = CareService(desk.factory, desk.clock)
        self.lists = CareListService(desk.tiers, desk.clock, tz=desk.tz)

    def build_list(self, day: date | None = None, limit: int | None = CARE_PAGE, *,
                   staff_language: str = "zh") -> CareList:
        """The day's care list (today by default); building it stores newly found tasks
        (so: a write). The lounge lists its own store's members and its advisors'
        clients; a desk whose store code is not in the database lists everyone (as
        before stores existed). The window shows the most urgent page (`limit`), the
        instructions to staff in its language (`staff_language`)."""
        desk = self.desk
        with unit_of_work(desk.factory) as s:
            store_id = s.scalar(select(Store.id).where(Store.code == desk.store_code))
            return self.lists.build(s, desk.actor, day or desk.today(), store_id=store_id,
                                    limit=limit, staff_language=staff_language)

    def log_task(self, item: CareItem, channel: str, outcome: str | None) -> CareRecord:
        """Log the contact with the task's key: that is what closes the task."""
        return self.service.log(self.desk.actor, item.member_id,
                                CareDraft(care_contact_kind(item.kind), channel, outcome,
                                          task_key=item.task_key))

    def validate(self, draft: CareDraft) -> list[FieldError]:
        return care_rules.validate_care(draft)

    def log(self, member_id: uuid.UUID, draft: CareDraft) -> CareRecord:
        """A contact logged from the card; a `task_key` from `open_tasks` closes that
        task (the next care-list build caches it as done)."""
        return self.service.log(self.desk.actor, member_id, draft)

    def open_tasks(self, member_id: uuid.UUID) -> list[CareTaskChoice]:
        """The member's care-list tasks still open today, most urgent first — read from
        the tasks the last build stored (no rebuild), for those who see the care list.
        Tasks a logged contact or the complaint's progress already finished are left
        out even before the next build caches that."""
        desk = self.desk
        if not auth.allowed(desk.actor, "care.view"):
            return []
        day, now = desk.today(), desk.clock.now()
        oldest = day - timedelta(days=self.lists.rules.carry_over_days)
        logged = select(CareContact.task_key).where(CareContact.member_id == member_id,
                                                    CareContact.task_key.is_not(None))
        with desk.factory() as s:
            rows = s.execute(select(CareTask.task_key, CareTask.kind, CareTask.due_on,
                                    CareTask.due_at, CareTask.context).where(
                CareTask.member_id == member_id, CareTask.closed_at.is_(None),
                CareTask.generated_on <= day, CareTask.due_on >= oldest,
                CareTask.task_key.not_in(logged))).all()
            rows = [r for r in rows if _complaint_pending(s, r.kind, r.context)]
        choices = [CareTaskChoice(r.task_key, r.kind, care_contact_kind(r.kind), r.due_on,
                                  task_status(day, now, r.due_on, r.due_at)) for r in rows]
        rank = {"overdue": 0, "due": 1, "upcoming": 2}
        return sorted(choices, key=lambda c: (rank[c.status], c.due_on, c.kind))


class ReportsDesk:
    """报表: the lounge's reports, shown and exported."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = ReportService(desk.factory, desk.tiers, desk.clock, tz=desk.tz)

    def build(self, name: str, days: int, day: date | None = None) -> Report:
        """The report for the `days` up to `day` (today by default)."""
        return self.service.build(self.desk.actor, name, day or self.desk.today(), days)

    def export(self, report: Report, path: Path) -> Path:
        """CSV or PDF by the file's suffix; written atomically."""
        from vipdesk.printing.report_pdf import to_pdf  # reportlab loads on first use

        suffix = Path(path).suffix.lower()
        if suffix not in (".csv", ".pdf"):
            raise ReportError(f"out: {Path(path).name} must end in .csv or .pdf")
        (to_csv if suffix == ".csv" else to_pdf)(report, Path(path))
        return Path(path)


class ReviewDesk:
    """What sync could not settle alone, for a manager: concurrent edits from two stores
    (conflicts) and changes one side refused (dead letters)."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk

    def conflicts(self) -> list[ConflictView]:
        """Newest first."""
        with self.desk.factory() as s:
            return list_conflicts(s)

    def settle(self, conflict_id: uuid.UUID, choice: str) -> None:
        """"kept" confirms the centre's choice; "lost" puts the other value back (syncs)."""
        with unit_of_work(self.desk.factory) as s:
            settle_conflict(s, conflict_id, choice, self.desk.actor, self.desk.clock)

    def dead_letters(self) -> list[DeadLetterView]:
        """Refused changes nobody has handled, newest first (managers and
        administrators: the records carry members' files)."""
        auth.require(self.desk.actor, PERMISSION)
        with self.desk.factory() as s:
            return list_dead_letters(s)

    def open_count(self) -> int:
        """How many refused changes wait for a manager (a count for the status bar)."""
        with self.desk.factory() as s:
            return open_count(s)

    def retry(self, dead_letter_id: uuid.UUID) -> Handled:
        """Send the record again as it is now (or apply the centre's change here again)."""
        with unit_of_work(self.desk.factory) as s:
            return retry(s, self.desk.actor, dead_letter_id, self.desk.clock)

    def dismiss(self, dead_letter_id: uuid.UUID, note: str) -> Handled:
        with unit_of_work(self.desk.factory) as s:
            return dismiss(s, self.desk.actor, dead_letter_id, note, self.desk.clock)


def _complaint_pending(session: Session, kind: str, context: str | None) -> bool:
    """A complaint deadline is finished by the complaint moving on, not only by a
    contact; the care list notices that at its next build, the form right away."""
    pending = {"complaint_contact": CONTACT_PENDING,
               "complaint_followup": FOLLOWUP_PENDING}.get(kind)
    if pending is None:
        return True
    complaint_id = json.loads(context or "{}").get("complaint_id")
    if complaint_id is None:
        return True
    state = session.scalar(select(Complaint.state)
                           .where(Complaint.id == uuid.UUID(complaint_id)))
    return state in pending
