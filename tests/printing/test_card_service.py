"""Issuing a card: data from the member profile, and a care contact only when printed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cardkit import pdf_text
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.desk.cards import CardPrintError, CardService, write_pdf
from vipdesk.models import CareContact, Member, Staff
from vipdesk.printing.cups import PrintResult
from vipdesk.printing.data import todays_offer
from vipdesk.printing.templates import TemplateError
from vipdesk.services.auth import SYSTEM, Actor, PermissionDenied
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.records import MemberNotFound
from vipdesk.services.tiers import Benefit, TierTable

CLOCK = FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai


def member_id(engine: Engine, member_no: str) -> uuid.UUID:
    with Session(engine) as s:
        return s.scalars(select(Member.id).where(Member.member_no == member_no)).one()


def contacts(engine: Engine, member: uuid.UUID) -> list[CareContact]:
    with Session(engine) as s:
        return list(s.scalars(select(CareContact).where(
            CareContact.member_id == member, CareContact.kind == "welcome_card")))


class FakePrinter:
    def __init__(self, ok: bool) -> None:
        self.ok = ok
        self.seen: list[tuple[bytes, str | None, tuple[float, float]]] = []

    def __call__(self, pdf: Path, printer: str | None, size: tuple[float, float],
                 title: str) -> PrintResult:
        self.seen.append((pdf.read_bytes(), printer, size))
        if self.ok:
            return PrintResult(True, printer or "Desk", "Desk-7", "Sent")
        return PrintResult(False, printer or "Desk", message="Printer “Desk” is stopped.")


def test_the_showcase_card_greets_wang_with_his_birthday_and_gift(demo_engine: Engine) -> None:
    service = CardService(demo_engine, clock=CLOCK, store_code="SH01")
    card = service.render(member_id(demo_engine, "M0000001"))
    data = card.data
    assert data is not None
    assert (data.name, data.name_alt, data.language) == ("王先生", "Mr Wang", "zh")
    assert card.template == "black" and data.tier == "黑卡会员"
    assert data.birthday == "生日将至，提前祝您生日快乐"  # two days to go
    assert data.offer == "今日礼遇 · 生日礼品"
    assert data.advisor.startswith("专属顾问") and data.store == "上海恒隆广场店"
    assert data.date == "2026.11.25"
    text = pdf_text(card.pdf)
    assert "王先生" in text and "上海恒隆广场店" in text


def test_a_member_without_gender_or_tier_gets_the_full_name_on_the_default_card(
        demo_copy: Engine) -> None:
    with Session(demo_copy) as s, s.begin():
        plain = add_member(s, NewMember(member_no="T0000001", name_zh="欧阳娜娜"))
        s.flush()
        plain_id = plain.id
    card = CardService(demo_copy, clock=CLOCK).render(plain_id)
    assert card.template == "default" and card.data
    assert (card.data.name, card.data.name_alt, card.data.offer) == ("欧阳娜娜", "", "")
    assert "欧阳娜娜" in pdf_text(card.pdf)


def test_english_speaking_members_get_english_words(demo_copy: Engine) -> None:
    wang = member_id(demo_copy, "M0000001")
    with Session(demo_copy) as s, s.begin():
        s.get_one(Member, wang).language = "en"
    data = CardService(demo_copy, clock=CLOCK).render(wang).data
    assert data is not None
    assert (data.name, data.name_alt) == ("Mr Wang", "王先生")
    assert data.tier == "Black Card" and data.offer == "Today for you · Birthday gift"
    assert data.date == "25.11.2026"


def test_the_offer_rotates_daily_and_skips_standing_services() -> None:
    benefits = (Benefit("advisor", "专属顾问", "Advisor"), Benefit("discount", "折扣", "Discount"),
                Benefit("birthday_gift", "生日礼品", "Gift"),
                Benefit("airport_lounge", "机场贵宾厅", "Lounge"),
                Benefit("parking", "专属停车位", "Parking"))
    days = {todays_offer(benefits, datetime(2026, 11, d).date(), False).code  # type: ignore[union-attr]
            for d in range(1, 8)}
    assert days == {"airport_lounge", "parking"}
    assert todays_offer(benefits, datetime(2026, 11, 1).date(), True).code == "birthday_gift"  # type: ignore[union-attr]
    assert todays_offer(benefits[:2], datetime(2026, 11, 1).date(), False) is None


def test_an_accepted_job_is_logged_once_as_a_welcome_card(demo_copy: Engine) -> None:
    printer = FakePrinter(ok=True)
    service = CardService(demo_copy, clock=CLOCK, print_fn=printer)
    wang = member_id(demo_copy, "M0000001")
    preview = service.render(wang, "diamond")
    with Session(demo_copy) as s:
        staff = s.scalars(select(Staff).where(Staff.role == "staff")).first()
        assert staff is not None
        actor = Actor(staff.id, staff.role, staff.name)
    issued = service.issue(actor, wang, "Desk", card=preview)
    assert printer.seen == [(preview.pdf, "Desk", (90.0, 54.0))]  # what was previewed
    [contact] = contacts(demo_copy, wang)
    assert (contact.channel, contact.by, contact.id) == ("print", staff.id, issued.contact_id)
    assert contact.outcome == "Desk · Desk-7"
    assert contact.at == CLOCK.now()


def test_a_refused_job_raises_with_the_printers_words_and_logs_nothing(demo_copy: Engine) -> None:
    service = CardService(demo_copy, clock=CLOCK, print_fn=FakePrinter(ok=False))
    wang = member_id(demo_copy, "M0000001")
    with pytest.raises(CardPrintError, match="stopped") as caught:
        service.issue(SYSTEM, wang, "Desk")
    assert caught.value.result.ok is False
    assert contacts(demo_copy, wang) == []


def test_a_card_previewed_for_someone_else_is_not_printed_for_this_member(
        demo_copy: Engine) -> None:
    printer = FakePrinter(ok=True)
    service = CardService(demo_copy, clock=CLOCK, print_fn=printer)
    other = service.render(member_id(demo_copy, "M0000002"))
    issued = service.issue(SYSTEM, member_id(demo_copy, "M0000001"), card=other)
    assert issued.card.data and issued.card.data.member_no == "M0000001"
    assert printer.seen[0][0] == issued.card.pdf != other.pdf


def test_no_permission_means_no_paper_and_no_record(demo_copy: Engine) -> None:
    printer = FakePrinter(ok=True)
    service = CardService(demo_copy, clock=CLOCK, print_fn=printer)
    wang = member_id(demo_copy, "M0000001")
    with pytest.raises(PermissionDenied):
        service.issue(Actor(None, "visitor", "nobody"), wang)
    assert printer.seen == [] and contacts(demo_copy, wang) == []


def test_unknown_member_and_template_are_clear_errors(demo_engine: Engine) -> None:
    service = CardService(demo_engine, clock=CLOCK)
    with pytest.raises(MemberNotFound):
        service.render(uuid.uuid4())
    with pytest.raises(TemplateError, match="no card template 'neon'"):
        service.render(member_id(demo_engine, "M0000001"), "neon")


def test_write_pdf_is_atomic_and_refuses_a_folder(demo_engine: Engine, tmp_path: Path) -> None:
    card = CardService(demo_engine, clock=CLOCK).render(member_id(demo_engine, "M0000001"))
    target = tmp_path / "card.pdf"
    assert write_pdf(card, target).read_bytes() == card.pdf
    with pytest.raises(ValueError, match="is a folder"):
        write_pdf(card, tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        write_pdf(card, tmp_path / "nope" / "card.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.pdf"]


def test_the_store_falls_back_to_the_members_home_store(demo_engine: Engine) -> None:
    wang = member_id(demo_engine, "M0000001")
    here = CardService(demo_engine, clock=CLOCK, store_code="BJ01").render(wang)
    unknown = CardService(demo_engine, clock=CLOCK, store_code="XX99").render(wang)
    assert here.data and here.data.store == "北京SKP店"
    assert unknown.data and unknown.data.store == "上海恒隆广场店"


def test_the_tier_tables_card_template_chooses_the_card(demo_engine: Engine) -> None:
    """A brand's tier table may name each tier's card; an explicit choice still wins,
    and a name no longer installed falls back to the folder's choice for the tier."""
    from dataclasses import replace

    service = CardService(demo_engine, clock=CLOCK, store_code="SH01")
    wang = member_id(demo_engine, "M0000001")  # a black-card member: the "black" card
    tiers = service.tiers.tiers

    def with_black_card(name: str) -> TierTable:
        return TierTable([replace(t, card_template=name) if t.code == "black" else t
                          for t in tiers])

    service.tiers = with_black_card("default")
    assert service.render(wang).template == "default"
    assert service.render(wang, "diamond").template == "diamond"
    service.tiers = with_black_card("gone")
    assert service.render(wang).template == "black"
