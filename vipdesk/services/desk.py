"""The desk's application service: the one object the window talks to.

It owns the engine, the tier snapshot, the lookup index and the clock, and exposes
plain-data methods (no ORM objects escape). Every method is safe to call from a worker
thread: each opens its own session for one unit of work.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import CareContact, CareTask, Complaint, Member, Staff, Store
from vipdesk.services import auth
from vipdesk.services import care as care_rules
from vipdesk.services import complaints as complaint_rules
from vipdesk.services import homevisits as homevisit_rules
from vipdesk.services import members as member_records
from vipdesk.services import queue as queue_rules
from vipdesk.services import staff as staff_accounts
from vipdesk.services import visits as visit_rules
from vipdesk.services.auth import SYSTEM, Actor
from vipdesk.services.card_view import CardView
from vipdesk.services.care import CareDraft, CareRecord, CareService
from vipdesk.services.carelist import (
    CARE_PAGE,
    CONTACT_PENDING,
    FOLLOWUP_PENDING,
    CareItem,
    CareList,
    CareListService,
)
from vipdesk.services.clock import Clock, local_date
from vipdesk.services.complaints import (
    ComplaintDraft,
    ComplaintService,
    ComplaintView,
    EmergencyAlert,
    StepDraft,
)
from vipdesk.services.homevisits import HomeVisitDraft, HomeVisitRecord, HomeVisitService
from vipdesk.services.lookup import LookupOutcome, LookupService
from vipdesk.services.points import PointsDraft, PointsRecord, PointsService, validate_points
from vipdesk.services.privacy import open_member_file, read_member_file, reveal_phones
from vipdesk.services.profile import MemberProfile
from vipdesk.services.queue import QueueError, QueueRow, QueueService
from vipdesk.services.reports import Report, ReportService
from vipdesk.services.surveys import SurveyDraft, SurveyRecord, SurveyService, validate_survey
from vipdesk.services.tiers import TierTable, load_tier_table
from vipdesk.services.timeline import TimelineEntry, timeline
from vipdesk.services.validation import FieldError
from vipdesk.services.visits import VisitDraft, VisitRecord, VisitService, VoidedVisit

if TYPE_CHECKING:
    from vipdesk.services.cards import CardService
    from vipdesk.sync.conflicts import ConflictView
    from vipdesk.sync.dead_letters import DeadLetterView, Handled


@dataclass(frozen=True)
class SurveyForm:
    """One questionnaire as the survey dialog shows it: names in one language."""

    code: str
    name: str
    questions: tuple[tuple[str, str], ...]  # (question code, wording)


@dataclass(frozen=True)
class CareTaskChoice:
    """A care-list task still open for one member, as the care-contact form offers it."""

    task_key: str
    kind: str  # the care list's task kind (birthday, callback_3d, churn_silence…)
    contact_kind: str  # the care contact kind a contact closing it is filed under
    due_on: date
    status: str  # overdue / due / upcoming, as the care list would show it


@dataclass(frozen=True)
class DeskInfo:
    store_code: str
    store_name: str | None
    members: int


class Desk:
    def __init__(self, engine: Engine, store_code: str = "SH01", clock: Clock | None = None,
                 actor: Actor = SYSTEM) -> None:
        self.engine = engine
        self.factory = session_factory(engine)
        self.clock = clock or Clock()
        self.store_code = store_code
        self.actor = actor
        with Session(engine) as session:
            self.tiers: TierTable = load_tier_table(session)
        self.lookup = LookupService(engine, self.tiers)
        self.visits = VisitService(self.factory, self.clock)
        self.complaints = ComplaintService(self.factory, self.clock)
        self.home_visits = HomeVisitService(self.factory, self.clock)
        self.queue = QueueService(self.tiers, self.clock)
        self.care_list_service = CareListService(self.tiers, self.clock)
        self.care = CareService(self.factory, self.clock)
        self.reports = ReportService(self.factory, self.tiers, self.clock)
        self.points = PointsService(self.factory, self.clock)
        self.surveys = SurveyService(self.factory, self.clock)

    @cached_property
    def cards(self) -> CardService:
        """Welcome cards (reportlab loads on first use, not at start-up)."""
        from vipdesk.services.cards import CardService

        return CardService(self.engine, tiers=self.tiers, clock=self.clock,
                           store_code=self.store_code)

    def info(self) -> DeskInfo:
        with self.factory() as s:
            store = s.scalar(select(Store).where(Store.code == self.store_code))
            count = s.scalar(select(func.count()).select_from(Member)) or 0
        return DeskInfo(self.store_code, store.name if store else None, int(count))

    def search(self, query: str, limit: int = 50) -> LookupOutcome:
        return self.lookup.search(query, limit)

    def profile(self, member_id: uuid.UUID, how: str = "lookup") -> MemberProfile | None:
        """The member card as the signed-in person may see it; the view is audited."""
        with unit_of_work(self.factory) as s:
            return open_member_file(s, self.actor, member_id, self.tiers, self.clock, how)

    def open_card(self, member_id: uuid.UUID, how: str = "lookup", *,
                  again: bool = False) -> CardView | None:
        """The card with what it offers. Opening is audited (a write: the window runs it
        on the write lane); `again` re-reads the card the person already has open."""
        with unit_of_work(self.factory) as s:
            profile = (read_member_file(s, self.actor, member_id, self.tiers, self.clock)
                       if again else
                       open_member_file(s, self.actor, member_id, self.tiers, self.clock, how))
        if profile is None:
            return None
        return CardView(profile, self.visits.in_lounge_since(self.actor, member_id),
                        self.may("care.log.own", member_id),
                        tuple(self.visits.voidable(self.actor, member_id)))

    def sign_in(self, staff_no: str, secret: str) -> Actor:
        """Whoever signs in (also over a locked desk) is who the desk acts as from now."""
        self.actor = staff_accounts.sign_in(self.factory, staff_no, secret, self.clock,
                                            desk=self.store_code)
        return self.actor

    def change_own_pin(self, current: str, new: str) -> None:
        """The signed-in person's new PIN, given their current one (counted like a
        sign-in attempt when wrong)."""
        staff_accounts.change_own_secret(self.factory, self.actor, current, new, self.clock)

    def conflicts(self) -> list[ConflictView]:
        """Concurrent edits from two stores, newest first, for a manager to review."""
        from vipdesk.sync.conflicts import list_conflicts

        with self.factory() as s:
            return list_conflicts(s)

    def settle_conflict(self, conflict_id: uuid.UUID, choice: str) -> None:
        """"kept" confirms the centre's choice; "lost" puts the other value back (syncs)."""
        from vipdesk.sync.conflicts import settle_conflict

        with unit_of_work(self.factory) as s:
            settle_conflict(s, conflict_id, choice, self.actor, self.clock)

    def dead_letters(self) -> list[DeadLetterView]:
        """Changes the sync refused that nobody has handled, newest first (managers and
        administrators: the records carry members' files)."""
        from vipdesk.sync.dead_letters import PERMISSION, list_dead_letters

        auth.require(self.actor, PERMISSION)
        with self.factory() as s:
            return list_dead_letters(s)

    def open_dead_letters(self) -> int:
        """How many refused changes wait for a manager (a count for the status bar)."""
        from vipdesk.sync.dead_letters import open_count

        with self.factory() as s:
            return open_count(s)

    def retry_dead_letter(self, dead_letter_id: uuid.UUID) -> Handled:
        """Send the record again as it is now (or apply the centre's change here again)."""
        from vipdesk.sync.dead_letters import retry

        with unit_of_work(self.factory) as s:
            return retry(s, self.actor, dead_letter_id, self.clock)

    def dismiss_dead_letter(self, dead_letter_id: uuid.UUID, note: str) -> Handled:
        from vipdesk.sync.dead_letters import dismiss

        with unit_of_work(self.factory) as s:
            return dismiss(s, self.actor, dead_letter_id, note, self.clock)

    def change_member_no(self, member_id: uuid.UUID, member_no: str) -> str:
        """Renumber a member (an ordinary, synced edit); returns the old number."""
        with unit_of_work(self.factory) as s:
            return member_records.change_member_no(s, self.actor, member_id, member_no,
                                                   self.clock)

    def reveal_phones(self, member_id: uuid.UUID, reason: str) -> list[str]:
        with unit_of_work(self.factory) as s:
            return reveal_phones(s, self.actor, member_id, reason, self.clock)

    def timeline_page(
        self, member_id: uuid.UUID, before: tuple[datetime, uuid.UUID] | None = None,
        kinds: tuple[str, ...] | None = None, limit: int = 50,
    ) -> list[TimelineEntry]:
        with self.factory() as s:
            return timeline(s, member_id, limit=limit, before=before, kinds=kinds)

    # -- service history (issue 3): the window's forms call these ----------------------

    def suggested_offer(self, member_id: uuid.UUID) -> str | None:
        return self.visits.suggested_offer(member_id)

    def validate_visit(self, draft: VisitDraft) -> list[FieldError]:
        return visit_rules.validate_visit(draft)

    def check_in(self, member_id: uuid.UUID, purpose: str | None,
                 offered: str | None) -> VisitRecord:
        return self.visits.check_in(self.actor, member_id, VisitDraft(purpose, offered))

    def validate_complaint(self, draft: ComplaintDraft) -> list[FieldError]:
        return complaint_rules.validate_complaint(draft, self.clock.now())

    def open_complaint(self, member_id: uuid.UUID, draft: ComplaintDraft) -> ComplaintView:
        return self.complaints.open(self.actor, member_id, draft)

    def validate_step(self, draft: StepDraft, state: str, severity: str) -> list[FieldError]:
        return complaint_rules.validate_step(draft, state, severity)

    def advance_complaint(self, complaint_id: uuid.UUID, draft: StepDraft) -> ComplaintView:
        return self.complaints.advance(self.actor, complaint_id, draft)

    def open_complaints(self, member_id: uuid.UUID | None = None) -> list[ComplaintView]:
        """Not yet closed, most urgent first; all members when `member_id` is None."""
        return self.complaints.list_open(member_id=member_id, now=self.clock.now())

    def overdue_complaints(self) -> list[ComplaintView]:
        return self.complaints.overdue(self.clock.now())

    def complaint_watch(self) -> tuple[list[ComplaintView], list[EmergencyAlert]]:
        """What the window keeps an eye on: overdue clocks, and (managers) the
        more-than-10-in-24-hours alert per category."""
        now = self.clock.now()
        alerts = self.complaints.emergency_alerts(now) if self.actor.role in (
            "manager", "admin") else []
        return self.complaints.overdue(now), alerts

    def validate_home_visit(self, draft: HomeVisitDraft) -> list[FieldError]:
        return homevisit_rules.validate_home_visit(draft, self.today())

    def log_home_visit(self, member_id: uuid.UUID, draft: HomeVisitDraft) -> HomeVisitRecord:
        return self.home_visits.log(self.actor, member_id, draft)

    def today(self) -> date:
        return local_date(self.clock.now(), self.home_visits.tz)

    def advisors(self) -> list[tuple[uuid.UUID, str]]:
        """Active advisors and managers, for the home-visit form's "advisor" choice."""
        with self.factory() as s:
            rows = s.execute(select(Staff.id, Staff.staff_no, Staff.name)
                             .where(Staff.active, Staff.role.in_(("advisor", "manager")))
                             .order_by(Staff.staff_no)).all()
        return [(row.id, f"{row.staff_no} {row.name}") for row in rows]

    # -- check-out and points from the card (issue 3 left-outs) -----------------------

    def is_checked_in(self, member_id: uuid.UUID) -> bool:
        """Whether the member has a visit today that is not checked out yet."""
        since = visit_rules.day_start(self.clock.now(), self.visits.tz)
        with self.factory() as s:
            return visit_rules.open_visit(s, member_id, since) is not None

    def check_out(self, member_id: uuid.UUID) -> VisitRecord:
        return self.visits.check_out(self.actor, member_id)

    # -- taking back a wrong check-in (撤销来访登记) ----------------------------------

    def voidable_visits(self, member_id: uuid.UUID) -> list[VisitRecord]:
        """The member's visits the signed-in person may void, newest first: the card
        offers 撤销登记… only for these (the service checks again when voiding)."""
        return self.visits.voidable(self.actor, member_id)

    def validate_void(self, reason: str | None) -> list[FieldError]:
        return visit_rules.validate_void(reason)

    def void_check_in(self, visit_id: uuid.UUID, reason: str) -> VoidedVisit:
        return self.visits.void_check_in(self.actor, visit_id, reason)

    def can(self, action: str) -> bool:
        """Whether the signed-in actor may do `action` (to offer only what is allowed)."""
        return auth.allowed(self.actor, action)

    def points_balance(self, member_id: uuid.UUID) -> int:
        return self.points.balance(member_id)

    def validate_points(self, draft: PointsDraft) -> list[FieldError]:
        return validate_points(draft)

    def change_points(self, member_id: uuid.UUID, draft: PointsDraft) -> PointsRecord:
        """Earn, redeem or adjust (by `draft.kind`); the service checks rights and balance."""
        if draft.kind not in ("earn", "redeem", "adjust"):
            raise ValueError(f"kind: not a desk points action: {draft.kind!r}")
        change = getattr(self.points, draft.kind)
        return change(self.actor, member_id, draft.points, draft.reason)  # type: ignore[no-any-return]

    # -- satisfaction surveys from the card (SPEC §4, seed 002 第六章) ---------------------

    def survey_forms(self, lang: str) -> list[SurveyForm]:
        """The questionnaires as the data lists them, worded in `lang` ("zh" or "en")."""
        zh = lang == "zh"
        return [SurveyForm(q.code, q.zh if zh else q.en,
                           tuple((x.code, x.zh if zh else x.en) for x in q.questions))
                for q in self.surveys.book.questionnaires.values()]

    def validate_survey(self, draft: SurveyDraft) -> list[FieldError]:
        return validate_survey(draft, self.surveys.book)

    def record_survey(self, member_id: uuid.UUID, draft: SurveyDraft) -> SurveyRecord:
        return self.surveys.record(self.actor, member_id, draft)

    # -- the manager's desk (issue 6): queue board, care list, reports ------------------

    def queue_board(self) -> list[QueueRow]:
        with self.factory() as s:
            return self.queue.board(s, self.actor.store_id)

    def queue_add(self, member_id: uuid.UUID, purpose: str, appointment: bool) -> uuid.UUID:
        """Put an arriving guest on the board; `appointment` = they hold a booking now."""
        with unit_of_work(self.factory) as s:
            entry = self.queue.add(s, self.actor, member_id, purpose,
                                   appointment_at=self.clock.now() if appointment else None)
            return entry.id

    def queue_call_next(self, advisor_id: uuid.UUID | None = None) -> uuid.UUID | None:
        """Call the top guest (their own advisor when free); None when nobody waits."""
        with unit_of_work(self.factory) as s:
            entry = self.queue.call_next(s, self.actor, self.actor.store_id, advisor_id)
            return entry.id if entry else None

    def queue_assign(self, entry_id: uuid.UUID, advisor_id: uuid.UUID) -> None:
        with unit_of_work(self.factory) as s:
            self.queue.assign(s, self.actor, entry_id, advisor_id)

    def queue_finish(self, entry_id: uuid.UUID, state: str) -> None:
        """`state` is "served" or "left"."""
        if state not in ("served", "left"):
            raise QueueError(f"state: {state!r} is not served or left")
        with unit_of_work(self.factory) as s:
            getattr(self.queue, state)(s, self.actor, entry_id)

    def queue_advisor_choices(self, member_id: uuid.UUID
                              ) -> tuple[list[tuple[uuid.UUID, str, bool]], uuid.UUID | None]:
        """(advisor id, label, busy with another guest), the guest's own advisor first, and
        the one to suggest (`queue.advisor_choices`)."""
        with self.factory() as s:
            return queue_rules.advisor_choices(s, member_id)

    def care_list(self) -> CareList:
        """Today's care list; building it stores newly found tasks (so: a write). The
        lounge lists its own store's members and its advisors' clients; a desk whose
        store code is not in the database lists everyone (as before stores existed)."""
        with unit_of_work(self.factory) as s:
            store_id = s.scalar(select(Store.id).where(Store.code == self.store_code))
            return self.care_list_service.build(s, self.actor, self.today(),
                                                store_id=store_id, limit=CARE_PAGE)

    def log_care_task(self, item: CareItem, channel: str, outcome: str | None) -> CareRecord:
        """Log the contact with the task's key: that is what closes the task."""
        return self.care.log(self.actor, item.member_id,
                             CareDraft(care_contact_kind(item.kind), channel, outcome,
                                       task_key=item.task_key))

    # -- care contacts from the member card (outside the care list) ---------------------

    def may(self, action: str, member_id: uuid.UUID) -> bool:
        """Whether the actor may do `action` to this member (advisors: their own VIPs),
        so the card offers only what the service will accept."""
        with self.factory() as s:
            advisor_id = s.scalar(select(Member.advisor_id).where(Member.id == member_id))
        return auth.allowed(self.actor, action, advisor_id)

    def validate_care(self, draft: CareDraft) -> list[FieldError]:
        return care_rules.validate_care(draft)

    def log_care(self, member_id: uuid.UUID, draft: CareDraft) -> CareRecord:
        """A contact logged from the card; a `task_key` from `open_care_tasks` closes
        that task (the next care-list build caches it as done)."""
        return self.care.log(self.actor, member_id, draft)

    def open_care_tasks(self, member_id: uuid.UUID) -> list[CareTaskChoice]:
        """The member's care-list tasks still open today, most urgent first — read from
        the tasks the last build stored (no rebuild), for those who see the care list.
        Tasks a logged contact or the complaint's progress already finished are left
        out even before the next build caches that."""
        if not auth.allowed(self.actor, "care.view"):
            return []
        day, now = self.today(), self.clock.now()
        oldest = day - timedelta(days=self.care_list_service.rules.carry_over_days)
        logged = select(CareContact.task_key).where(CareContact.member_id == member_id,
                                                    CareContact.task_key.is_not(None))
        with self.factory() as s:
            rows = s.execute(select(CareTask.task_key, CareTask.kind, CareTask.due_on,
                                    CareTask.due_at, CareTask.context).where(
                CareTask.member_id == member_id, CareTask.closed_at.is_(None),
                CareTask.generated_on <= day, CareTask.due_on >= oldest,
                CareTask.task_key.not_in(logged))).all()
            rows = [r for r in rows if _complaint_pending(s, r.kind, r.context)]
        choices = [CareTaskChoice(r.task_key, r.kind, care_contact_kind(r.kind), r.due_on,
                                  _task_status(day, now, r.due_on, r.due_at)) for r in rows]
        rank = {"overdue": 0, "due": 1, "upcoming": 2}
        return sorted(choices, key=lambda c: (rank[c.status], c.due_on, c.kind))

    def report(self, name: str, days: int) -> Report:
        return self.reports.build(self.actor, name, self.today(), days)

    def export_report(self, report: Report, path: Path) -> Path:
        """CSV or PDF by the file's suffix; written atomically by the services."""
        from vipdesk.printing.report_pdf import to_pdf
        from vipdesk.services.reports import ReportError, to_csv

        suffix = Path(path).suffix.lower()
        if suffix not in (".csv", ".pdf"):
            raise ReportError(f"out: {Path(path).name} must end in .csv or .pdf")
        (to_csv if suffix == ".csv" else to_pdf)(report, Path(path))
        return Path(path)


# The care list's task kinds → the care contact kinds a logged contact is filed under.
CARE_CONTACT_KIND = {
    "birthday": "birthday", "anniversary": "anniversary", "callback": "callback",
    "welcome": "new_vip", "complaint_contact": "complaint_contact",
    "complaint_followup": "complaint_follow_up", "churn": "churn", "tier": "other",
    "festival": "holiday", "follow_up": "home_visit",
}


def care_contact_kind(task_kind: str) -> str:
    """"callback_3d" → "callback": the kind a contact closing such a task is filed under."""
    return (CARE_CONTACT_KIND.get(task_kind)
            or CARE_CONTACT_KIND.get(task_kind.split("_")[0], "other"))


def _task_status(day: date, now: datetime, due_on: date, due_at: datetime | None) -> str:
    """The care list's rule (`CareListService._status_rank`) for an open task."""
    if due_on < day or (due_at is not None and due_at < now):
        return "overdue"
    return "due" if due_on == day else "upcoming"


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
