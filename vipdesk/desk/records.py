"""Facades for what staff record on the card: visits, complaints, home visits, points
and surveys. Each is bound to the desk's signed-in person (`desk.actor`, read at each
call, so a sign-in or a lock takes effect at once)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from vipdesk.desk.parts import DeskParts
from vipdesk.services import complaints as complaint_rules
from vipdesk.services import homevisits as homevisit_rules
from vipdesk.services import visits as visit_rules
from vipdesk.services.complaints import (
    ComplaintDraft,
    ComplaintService,
    ComplaintStep,
    ComplaintView,
    EmergencyAlert,
    NextStep,
    StepDraft,
)
from vipdesk.services.homevisits import (
    FollowUpRecord,
    HomeVisitDraft,
    HomeVisitRecord,
    HomeVisitService,
)
from vipdesk.services.points import PointsDraft, PointsRecord, PointsService, validate_points
from vipdesk.services.surveys import SurveyDraft, SurveyRecord, SurveyService, validate_survey
from vipdesk.services.validation import FieldError
from vipdesk.services.visits import (
    GuestHere,
    TellApart,
    VisitDraft,
    VisitRecord,
    VisitService,
    VoidedVisit,
)


@dataclass(frozen=True)
class SurveyForm:
    """One questionnaire as the survey dialog shows it: names in one language."""

    code: str
    name: str
    questions: tuple[tuple[str, str], ...]  # (question code, wording)


class VisitsDesk:
    """到店登记: check-in, check-out, taking a wrong check-in back, who is here."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = VisitService(desk.factory, desk.clock, desk.tz)

    def validate(self, draft: VisitDraft) -> list[FieldError]:
        return visit_rules.validate_visit(draft)

    def suggested_offer(self, member_id: uuid.UUID) -> str | None:
        return self.service.suggested_offer(member_id)

    def check_in(self, member_id: uuid.UUID, purpose: str | None,
                 offered: str | None) -> VisitRecord:
        # The visit happened at this desk's store, whoever is signed in.
        return self.service.check_in(self.desk.actor, member_id, VisitDraft(purpose, offered),
                                     store_id=self.desk.store_id)

    def check_out(self, member_id: uuid.UUID) -> VisitRecord:
        return self.service.check_out(self.desk.actor, member_id)

    def in_lounge_since(self, member_id: uuid.UUID) -> datetime | None:
        return self.service.in_lounge_since(self.desk.actor, member_id)

    def is_checked_in(self, member_id: uuid.UUID) -> bool:
        """Whether the member has a visit today that is not checked out yet."""
        return self.in_lounge_since(member_id) is not None

    def voidable(self, member_id: uuid.UUID) -> list[VisitRecord]:
        """The member's visits this person may void, newest first: the card offers
        撤销登记… only for these (the service checks again when voiding)."""
        return self.service.voidable(self.desk.actor, member_id)

    def validate_void(self, reason: str | None) -> list[FieldError]:
        return visit_rules.validate_void(reason)

    def void(self, visit_id: uuid.UUID, reason: str) -> VoidedVisit:
        return self.service.void_check_in(self.desk.actor, visit_id, reason)

    def tell_apart(self, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, TellApart]:
        return self.service.tell_apart(self.desk.actor, member_ids)

    def here_now(self) -> list[GuestHere]:
        """Who is in this store's lounge now."""
        return self.service.here_now(self.desk.actor, self.desk.store_code)


class ComplaintsDesk:
    """投诉: taken at the desk, moved through its steps, watched against its clocks."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = ComplaintService(desk.factory, desk.clock)

    def validate(self, draft: ComplaintDraft) -> list[FieldError]:
        return complaint_rules.validate_complaint(draft, self.desk.clock.now())

    def open(self, member_id: uuid.UUID, draft: ComplaintDraft) -> ComplaintView:
        return self.service.open(self.desk.actor, member_id, draft, store_id=self.desk.store_id)

    def validate_step(self, draft: StepDraft, state: str, severity: str) -> list[FieldError]:
        return complaint_rules.validate_step(draft, state, severity)

    def advance(self, complaint_id: uuid.UUID, draft: StepDraft) -> ComplaintView:
        return self.service.advance(self.desk.actor, complaint_id, draft)

    def next_steps(self, view: ComplaintView) -> list[NextStep]:
        return self.service.next_steps(self.desk.actor, view)

    def get(self, complaint_id: uuid.UUID) -> ComplaintView:
        return self.service.get(complaint_id)

    def steps(self, complaint_id: uuid.UUID) -> list[ComplaintStep]:
        """Every step taken, oldest first: who, when, the note, any compensation."""
        return self.service.steps(complaint_id)

    def steps_of(self, complaint_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ComplaintStep]]:
        """Each complaint's steps taken, oldest first: who, when, the note, any
        compensation (one query for all)."""
        return self.service.steps_of(complaint_ids)

    def list_open(self, member_id: uuid.UUID | None = None) -> list[ComplaintView]:
        """Not yet closed, most urgent first; all members when `member_id` is None."""
        return self.service.list_open(member_id=member_id, now=self.desk.clock.now())

    def overdue(self) -> list[ComplaintView]:
        return self.service.overdue(self.desk.clock.now())

    def watch(self) -> tuple[list[ComplaintView], list[EmergencyAlert]]:
        """What the window keeps an eye on: overdue clocks, and (managers) the
        more-than-10-in-24-hours alert per category."""
        now = self.desk.clock.now()
        alerts = self.service.emergency_alerts(now) if self.desk.actor.role in (
            "manager", "admin") else []
        return self.service.overdue(now), alerts


class HomeVisitsDesk:
    """家访: logged by advisors (often offline), with their follow-ups."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = HomeVisitService(desk.factory, desk.clock, desk.tz)

    def validate(self, draft: HomeVisitDraft) -> list[FieldError]:
        return homevisit_rules.validate_home_visit(draft, self.desk.today())

    def log(self, member_id: uuid.UUID, draft: HomeVisitDraft) -> HomeVisitRecord:
        return self.service.log(self.desk.actor, member_id, draft)

    def open_follow_ups(self, member_id: uuid.UUID) -> list[FollowUpRecord]:
        return self.service.open_follow_ups(member_id)


class PointsDesk:
    """积分: balance, earn, redeem and adjust (the service checks rights and balance)."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = PointsService(desk.factory, desk.clock)

    def balance(self, member_id: uuid.UUID) -> int:
        return self.service.balance(member_id)

    def validate(self, draft: PointsDraft) -> list[FieldError]:
        return validate_points(draft)

    def change(self, member_id: uuid.UUID, draft: PointsDraft) -> PointsRecord:
        """Earn, redeem or adjust, by `draft.kind`."""
        if draft.kind not in ("earn", "redeem", "adjust"):
            raise ValueError(f"kind: not a desk points action: {draft.kind!r}")
        return self.service.record(self.desk.actor, member_id, draft)


class SurveysDesk:
    """满意度: the questionnaires and the answers a guest gives."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk
        self.service = SurveyService(desk.factory, desk.clock)

    def forms(self, lang: str) -> list[SurveyForm]:
        """The questionnaires as the data lists them, worded in `lang` ("zh" or "en")."""
        zh = lang == "zh"
        return [SurveyForm(q.code, q.zh if zh else q.en,
                           tuple((x.code, x.zh if zh else x.en) for x in q.questions))
                for q in self.service.book.questionnaires.values()]

    def validate(self, draft: SurveyDraft) -> list[FieldError]:
        return validate_survey(draft, self.service.book)

    def record(self, member_id: uuid.UUID, draft: SurveyDraft) -> SurveyRecord:
        return self.service.record(self.desk.actor, member_id, draft)
