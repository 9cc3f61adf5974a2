from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import FollowUpTask, HomeVisit, Preference
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.homevisits import (
    FollowUpDraft,
    HomeVisitDraft,
    HomeVisitService,
    validate_home_visit,
    validate_learned,
)
from vipdesk.services.validation import FormError

if TYPE_CHECKING:
    from tests.services.conftest import Lounge

TODAY = date(2026, 11, 25)  # the lounge clock's local day


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> HomeVisitService:
    return HomeVisitService(factory, lounge.clock)


def draft(**kw: object) -> HomeVisitDraft:
    base: dict[str, object] = dict(
        visited_on=TODAY - timedelta(days=1), present="王先生, 王太太", gift="定制茶具",
        notes="新居装修完成", learned="太太喜欢白茶", satisfaction="very_satisfied",
        follow_ups=[FollowUpDraft(TODAY + timedelta(days=7), "送白茶样品")])
    base.update(kw)
    return HomeVisitDraft(**base)  # type: ignore[arg-type]


def test_log_with_follow_ups(svc: HomeVisitService, lounge: Lounge,
                             factory: sessionmaker[Session]) -> None:
    rec = svc.log(lounge.advisor, lounge.wang, draft())
    assert rec.advisor_id == lounge.advisor.staff_id and rec.satisfaction == "very_satisfied"
    assert [(t.due_on, t.description) for t in rec.follow_ups] == [
        (TODAY + timedelta(days=7), "送白茶样品")]
    assert [t.task_id for t in svc.open_follow_ups(lounge.wang)] == [rec.follow_ups[0].task_id]
    done = svc.complete_follow_up(lounge.advisor, rec.follow_ups[0].task_id)
    assert done.done_at == lounge.clock.now() and svc.open_follow_ups(lounge.wang) == []
    with factory() as s:
        task = s.scalars(select(FollowUpTask)).one()
        assert task.source_id == rec.home_visit_id and task.assigned_to == lounge.advisor.staff_id


def test_apply_learned_adds_a_preference(svc: HomeVisitService, lounge: Lounge,
                                         factory: sessionmaker[Session]) -> None:
    assert svc.apply_learned(lounge.advisor, lounge.wang, "Drink ", " 白茶 ") == ("drink", "白茶")
    with factory() as s:
        pref = s.scalars(select(Preference).where(Preference.member_id == lounge.wang,
                                                  Preference.value == "白茶")).one()
        assert (pref.tag, pref.created_by) == ("drink", lounge.advisor.staff_id)
    assert [e.field for e in validate_learned("drink size", "")] == ["tag", "value"]


def test_advisors_only_for_their_own_vips(svc: HomeVisitService, lounge: Lounge,
                                          factory: sessionmaker[Session]) -> None:
    with pytest.raises(PermissionDenied):
        svc.log(lounge.other_advisor, lounge.wang, draft())
    with pytest.raises(PermissionDenied):
        svc.apply_learned(lounge.other_advisor, lounge.wang, "drink", "白茶")
    with pytest.raises(PermissionDenied):
        svc.log(lounge.staff, lounge.wang, draft())
    svc.log(lounge.manager, lounge.wang, draft(advisor_id=lounge.advisor.staff_id))
    with factory() as s:
        assert len(s.scalars(select(HomeVisit)).all()) == 1


def test_validation_refuses_and_writes_nothing(svc: HomeVisitService, lounge: Lounge,
                                               factory: sessionmaker[Session]) -> None:
    bad = draft(visited_on=TODAY + timedelta(days=1), satisfaction="great",
                follow_ups=[FollowUpDraft(TODAY + timedelta(days=5), ""),
                            FollowUpDraft(None, "call")])
    fields = [e.field for e in validate_home_visit(bad, TODAY)]
    assert fields == ["visited_on", "satisfaction", "follow_ups[0].description",
                      "follow_ups[1].due_on"]
    assert "before the visit" in str(validate_home_visit(
        draft(follow_ups=[FollowUpDraft(TODAY - timedelta(days=5), "x")]), TODAY))
    with pytest.raises(FormError, match="in the future"):
        svc.log(lounge.advisor, lounge.wang, draft(visited_on=TODAY + timedelta(days=1)))
    with pytest.raises(FormError, match="no such staff"):
        svc.log(lounge.manager, lounge.wang, draft(advisor_id=lounge.store_id))
    with factory() as s:
        assert s.scalars(select(HomeVisit)).all() == []
        assert s.scalars(select(FollowUpTask)).all() == []
