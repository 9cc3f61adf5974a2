"""Registering VIPs at the desk and editing their file: validation, duplicates, the role
rules of SPEC §1, the audit log and the sync outbox."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import AuditEntry, Member, MemberTerm, SyncOutbox, TierChange
from vipdesk.services import member_edit as me
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.lookup import LookupService
from vipdesk.services.tiers import load_tier_table
from vipdesk.services.validation import FormError

from .conftest import Lounge


def _register(factory: sessionmaker[Session], lounge: Lounge, actor=None,  # type: ignore[no-untyped-def]
              **fields) -> me.Registered:
    draft = me.Registration(**{"name_zh": "欧阳娜娜", "gender": "F", "consent": True,
                               "phones": ["139 1234 5678"], **fields})
    with unit_of_work(factory) as s:
        return me.register(s, actor or lounge.staff, draft, lounge.clock, lounge.store_id)


def _apply(factory: sessionmaker[Session], lounge: Lounge, actor, member_id,  # type: ignore[no-untyped-def]
           changes: me.MemberChanges) -> list[str]:
    with unit_of_work(factory) as s:
        table = load_tier_table(s)
        return me.apply_changes(s, actor, member_id, changes, table, lounge.clock)


def test_staff_register_a_new_member_with_consent_who_and_when(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    done = _register(factory, lounge, cards=["vip777"], email="nana@example.com",
                     preferences=[("drink", "龙井")], birthday=date(1990, 5, 4))
    with factory() as s:
        member = s.get(Member, done.member_id)
        assert member is not None
        assert member.consent_by == lounge.staff.staff_id
        assert member.consent_at == lounge.clock.now()
        assert [c.card_no for c in member.cards] == ["VIP777"]
        assert member.phones[0].e164 == "+8613912345678" and member.phones[0].is_primary
        assert member.birthday_md == 504
        pref = member.preferences[0]
        assert (pref.tag, pref.value, pref.created_by) == ("drink", "龙井",
                                                           lounge.staff.staff_id)
        assert member.member_no.startswith("SH01")
        kinds = {row.table_name for row in s.scalars(select(SyncOutbox))}
        assert {"members", "member_phones", "member_cards", "preferences"} <= kinds
        log = s.scalars(select(AuditEntry).where(AuditEntry.member_id == member.id)).all()
        assert [e.action for e in log] == ["member.change"]
        assert "13912345678" not in log[0].detail
    found = LookupService(factory.kw["bind"]).search("欧阳", 5)
    assert done.member_id in [h.member_id for h in found.hits]


@pytest.mark.parametrize("field, value, problem", [
    ("consent", False, "consent"), ("name_zh", "", "name_zh"), ("phones", ["12ab"], "phones"),
    ("email", "not-mail", "email"), ("birthday", date(2030, 1, 1), "birthday"),
    ("cards", ["卡123"], "cards"), ("gender", "X", "gender")])
def test_registration_is_refused_field_by_field_and_nothing_is_written(
        factory: sessionmaker[Session], lounge: Lounge, field: str, value: object,
        problem: str) -> None:
    with pytest.raises(FormError) as refused:
        _register(factory, lounge, **{field: value})
    assert problem in {e.field for e in refused.value.errors}
    with factory() as s:
        assert s.scalar(select(Member).where(Member.name_zh == "欧阳娜娜")) is None


def test_same_phone_or_card_is_refused_and_says_whose(factory: sessionmaker[Session],
                                                      lounge: Lounge) -> None:
    with pytest.raises(me.DuplicateMember) as same_phone:
        _register(factory, lounge, phones=["+86 138-0013-8000"])
    assert [(m.member_no, m.why) for m in same_phone.value.matches] == [("M0000001", "phone")]
    assert "王小明" in str(same_phone.value)
    _register(factory, lounge, cards=["C1"])
    with pytest.raises(me.DuplicateMember) as same_card:
        _register(factory, lounge, name_zh="别人", phones=[], cards=["c1"])
    assert same_card.value.matches[0].why == "card"


def test_same_name_and_birthday_asks_first_then_saves_when_confirmed(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    _register(factory, lounge, birthday=date(1990, 5, 4))
    with pytest.raises(me.DuplicateMember) as asked:
        _register(factory, lounge, birthday=date(1990, 5, 4), phones=["13700137000"])
    assert asked.value.matches[0].why == "name_birthday"
    again = _register(factory, lounge, birthday=date(1990, 5, 4), phones=["13700137000"],
                      same_person_ok=True)
    assert again.member_no


def test_only_managers_assign_an_advisor(factory: sessionmaker[Session], lounge: Lounge) -> None:
    with pytest.raises(PermissionDenied):
        _register(factory, lounge, advisor_id=lounge.advisor.staff_id)
    done = _register(factory, lounge, lounge.manager, advisor_id=lounge.advisor.staff_id)
    with pytest.raises(PermissionDenied):
        _apply(factory, lounge, lounge.advisor, done.member_id,
               me.MemberChanges(advisor_id=lounge.other_advisor.staff_id))
    _apply(factory, lounge, lounge.manager, done.member_id,
           me.MemberChanges(advisor_id=lounge.other_advisor.staff_id))
    with factory() as s:
        assert s.get(Member, done.member_id).advisor_id == lounge.other_advisor.staff_id  # type: ignore[union-attr]


def test_roles_per_part_of_the_edit(factory: sessionmaker[Session], lounge: Lounge) -> None:
    contact = me.MemberChanges(contact={"email": "w@example.com"})
    private = me.MemberChanges(file={"family": "两个孩子"})
    prefs = me.MemberChanges(prefs_add=[("size", "42")])
    # lounge staff: preferences only
    _apply(factory, lounge, lounge.staff, lounge.wang, prefs)
    for refused in (contact, private):
        with pytest.raises(PermissionDenied):
            _apply(factory, lounge, lounge.staff, lounge.wang, refused)
    # advisors: their own members, not others'
    for changes in (contact, private, prefs):
        _apply(factory, lounge, lounge.advisor, lounge.wang, changes)
        with pytest.raises(PermissionDenied):
            _apply(factory, lounge, lounge.other_advisor, lounge.wang, changes)
    with pytest.raises(PermissionDenied):
        _apply(factory, lounge, lounge.advisor, lounge.wang,
               me.MemberChanges(tier_override=("black", "转介绍")))


def test_a_refused_edit_writes_nothing(factory: sessionmaker[Session], lounge: Lounge) -> None:
    with pytest.raises(FormError):
        _apply(factory, lounge, lounge.manager, lounge.wang, me.MemberChanges(
            contact={"email": "w@example.com"}, phones_add=["13900139000"]))  # 李华's phone
    with factory() as s:
        assert s.get(Member, lounge.wang).email is None  # type: ignore[union-attr]


def test_preferences_change_newest_first_with_who_and_when(factory: sessionmaker[Session],
                                                           lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        old = me.edit_view(s, lounge.staff, lounge.wang).preferences
    assert [p.tag for p in old] == ["drink"]
    lounge.clock.advance(minutes=5)
    _apply(factory, lounge, lounge.staff, lounge.wang, me.MemberChanges(
        prefs_remove=[old[0].id], prefs_add=[("drink", "普洱"), ("size", "42")]))
    with unit_of_work(factory) as s:
        view = me.edit_view(s, lounge.manager, lounge.wang)
    assert {(p.tag, p.value) for p in view.preferences} == {("drink", "普洱"), ("size", "42")}
    assert all(p.by == "张敏" and p.at == lounge.clock.now() for p in view.preferences)
    lounge.clock.advance(minutes=5)
    _apply(factory, lounge, lounge.staff, lounge.wang,
           me.MemberChanges(prefs_add=[("avoid", "10点前来电")]))
    with factory() as s:
        member = s.get(Member, lounge.wang)
        assert member is not None and member.preferences[0].tag == "avoid"
        detail = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.member_id == lounge.wang, AuditEntry.action == "member.change")).all()
        assert any("preferences +2 -1" in d for d in detail)


def test_staff_do_not_see_the_private_file_in_the_edit_form(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    _apply(factory, lounge, lounge.manager, lounge.wang,
           me.MemberChanges(file={"family": "两个孩子", "hobbies": "高尔夫"}))
    with unit_of_work(factory) as s:
        staff_view = me.edit_view(s, lounge.staff, lounge.wang)
        advisor_view = me.edit_view(s, lounge.advisor, lounge.wang)
    assert staff_view.file == {"hobbies": "高尔夫"}
    assert "member.private.own" not in staff_view.may
    assert advisor_view.file["family"] == "两个孩子"


def test_name_edit_rewrites_the_search_index_and_numbers_move(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        phone_id = me.edit_view(s, lounge.manager, lounge.wang).phones[0][0]
    _apply(factory, lounge, lounge.manager, lounge.wang, me.MemberChanges(
        contact={"name_zh": "王晓明"}, phones_add=["13811112222"], phones_remove=[phone_id],
        cards_add=["N1"]))
    with factory() as s:
        terms = set(s.scalars(select(MemberTerm.term).where(MemberTerm.member_id == lounge.wang)))
        member = s.get(Member, lounge.wang)
        assert member is not None
        assert [p.e164 for p in member.phones] == ["+8613811112222"]
        assert member.phones[0].is_primary
    assert "晓明" in terms and "小明" not in terms
    lookup = LookupService(factory.kw["bind"])
    assert [h.member_id for h in lookup.search("13811112222", 5).hits] == [lounge.wang]
    assert lookup.search("13800138000", 5).hits == []


def test_manager_overrides_the_tier_with_a_reason(factory: sessionmaker[Session],
                                                  lounge: Lounge) -> None:
    with pytest.raises(FormError):
        _apply(factory, lounge, lounge.manager, lounge.wang,
               me.MemberChanges(tier_override=("diamond", " ")))
    with factory() as s:
        code = load_tier_table(s).tiers[-1].code
    _apply(factory, lounge, lounge.manager, lounge.wang,
           me.MemberChanges(tier_override=(code, "特殊贡献")))
    with factory() as s:
        member = s.get(Member, lounge.wang)
        assert member is not None and member.tier_override_code == code
        assert s.scalar(select(TierChange.kind).where(TierChange.member_id == lounge.wang)) \
            == "override"


def test_a_manager_merges_a_duplicate_from_the_edit(factory: sessionmaker[Session],
                                                    lounge: Lounge) -> None:
    twin = _register(factory, lounge, name_zh="王小明", phones=["13712345678"])
    with pytest.raises(PermissionDenied):
        _apply(factory, lounge, lounge.advisor, lounge.wang,
               me.MemberChanges(merge_from=twin.member_no))
    with pytest.raises(FormError) as unknown:
        _apply(factory, lounge, lounge.manager, lounge.wang,
               me.MemberChanges(merge_from="NOPE1"))
    assert unknown.value.errors[0].field == "merge_from"
    done = _apply(factory, lounge, lounge.manager, lounge.wang,
                  me.MemberChanges(contact={"email": "w@example.com"},
                                   merge_from=twin.member_no))
    assert done == ["email", f"merged {twin.member_no}"]
    with factory() as s:
        assert s.get(Member, twin.member_id) is None
        member = s.get(Member, lounge.wang)
        assert member is not None and len(member.phones) == 2
