from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.services.auth import PermissionDenied
from vipdesk.services.care import CareDraft, CareService, validate_care
from vipdesk.services.validation import FormError

if TYPE_CHECKING:
    from tests.services.conftest import Lounge


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> CareService:
    return CareService(factory, lounge.clock)


def test_log_and_close_a_care_list_task(svc: CareService, lounge: Lounge) -> None:
    rec = svc.log(lounge.advisor, lounge.wang,
                  CareDraft("birthday", "wechat", "客户很开心", task_key="birthday:M0000001:2026"))
    assert (rec.kind, rec.channel, rec.by, rec.at) == (
        "birthday", "wechat", lounge.advisor.staff_id, lounge.clock.now())
    lounge.clock.advance(minutes=1)
    svc.log(lounge.staff, lounge.wang, CareDraft("welcome_card", "print"))
    assert [r.kind for r in svc.recent(lounge.wang)] == ["welcome_card", "birthday"]
    assert svc.done_task_keys(["birthday:M0000001:2026", "callback:x"]) == {
        "birthday:M0000001:2026"}


def test_refuses_unknown_kind_or_channel(svc: CareService, lounge: Lounge) -> None:
    assert [e.field for e in validate_care(CareDraft("party", "pigeon"))] == ["kind", "channel"]
    with pytest.raises(FormError, match="channel"):
        svc.log(lounge.staff, lounge.wang, CareDraft("callback", "fax"))
    assert svc.recent(lounge.wang) == []


def test_permissions(svc: CareService, lounge: Lounge) -> None:
    with pytest.raises(PermissionDenied):
        svc.log(lounge.other_advisor, lounge.wang, CareDraft("callback", "phone"))
    with pytest.raises(PermissionDenied):
        svc.log(lounge.admin, lounge.wang, CareDraft("callback", "phone"))
    svc.log(lounge.other_advisor, lounge.li, CareDraft("callback", "phone"))
    svc.log(lounge.manager, lounge.wang, CareDraft("callback", "phone"))
