"""Changes the sync refused, for a manager (vipdesk/sync/dead_letters.py).

The letters are made the real way: two desks take member number M1 offline and sync
through a SQLite stand-in centre, and again through the central service; desk B's
member (and its phone and card) is refused there, and the centre's M1 (with its phone
and card) cannot be applied on B. One test runs the whole story on PostgreSQL, straight
and through the central service: refused → listed in plain words → renumbered → sent
again → applied at the centre and pulled by the other desk.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from tests.sync.conftest import centre_by_name
from tests.sync.helpers import count, digest, member_field, wait_for_watermark
from vipdesk.db import session_factory, unit_of_work
from vipdesk.desk import Desk
from vipdesk.models import AuditEntry, Member, MemberCard, MemberPhone, SyncDeadLetter, SyncOutbox
from vipdesk.services.auth import Actor, PermissionDenied
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import MemberDataError, NewMember, add_member
from vipdesk.sync import dead_letters
from vipdesk.sync.central import Centre
from vipdesk.sync.dead_letters import DeadLetterError, DeadLetterView
from vipdesk.sync.engine import sync_once
from vipdesk.sync.push import read_batch

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
MANAGER = Actor(uuid.uuid4(), "manager", "周婷", None, "S001", "BJ01-desk")


def person(role: str) -> Actor:
    return Actor(uuid.uuid4(), role, f"a {role}", None, "S0xx")


def add(desk: Engine, member_no: str, name: str, phone: str, card: str) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        return add_member(s, NewMember(member_no=member_no, name_zh=name, phones=[phone],
                                       cards=[card])).id


@dataclass
class Clash:
    a: Engine
    b: Engine
    centre: Centre
    wang: uuid.UUID  # desk A's M1, at the centre
    li: uuid.UUID  # desk B's M1, refused
    desk: Desk  # desk B with its manager

    def letters(self) -> list[DeadLetterView]:
        return self.desk.review.dead_letters()

    def letter(self, table: str, pulled: bool = False) -> DeadLetterView:
        return next(v for v in self.letters() if v.table_name == table and v.pulled == pulled)


def make_clash(centre: Centre, make_desk) -> Clash:  # type: ignore[no-untyped-def]
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    wang = add(a, "M1", "王芳", "13800138000", "CA1")
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)  # B must see A's M1 (PostgreSQL: a busy server holds it back)
    li = add(b, "M1", "李娜", "13900139000", "CB1")
    report = sync_once(b, centre, "BJ01")
    assert report.pushed.outcomes == {"rejected": 3}
    assert report.pulled.failed == 3  # the centre's M1, its phone and its card
    return Clash(a, b, centre, wang, li, Desk(b, "BJ01", FixedClock(NOW), MANAGER))


@pytest.fixture(params=["sqlite", "service"])
def clash(request: pytest.FixtureRequest, make_desk) -> Clash:  # type: ignore[no-untyped-def]
    """The clash made through the SQLite stand-in and through the central service (its
    refusals travel over HTTPS in the acks and the pulled log)."""
    return make_clash(centre_by_name(request, request.param), make_desk)


def queued(desk: Engine) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    """The outbox, without the audit entries (they sync too)."""
    with desk.connect() as conn:
        return [(op.kind, op.table_name, op.payload) for _, op in read_batch(conn, 100)
                if op.table_name != "audit_log"]


def pushed_all(desk: Engine, centre: Centre) -> bool:
    """Sync desk B; True when the centre applied everything it sent."""
    return set(sync_once(desk, centre, "BJ01").pushed.outcomes) == {"applied"}


def audit_entries(desk: Engine, action: str) -> list[AuditEntry]:
    with session_factory(desk)() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# -- listing ------------------------------------------------------------------------------


def test_each_refusal_is_listed_in_plain_words(clash: Clash) -> None:
    views = clash.letters()
    assert len(views) == 6 and clash.desk.review.open_count() == 6
    member = clash.letter("members")
    assert (member.what, member.kind, member.member_label) == ("Member", "insert", "李娜 (M1)")
    assert member.reason_code == "member_no_taken"
    assert member.reason_text == "Member number M1 is already used by another member at the centre"
    assert member.raw_reason == "another record already holds one of its unique values"
    assert member.can_retry and not member.pulled and member.store == "BJ01"
    phone = clash.letter("member_phones")
    assert (phone.what, phone.member_label, phone.reason_code) == (
        "Member phone", "李娜 (M1)", "parent_missing")
    assert phone.payload["row"]["e164"] == "*******9000"  # masked as on every screen
    theirs = clash.letter("members", pulled=True)
    assert theirs.member_label == "王芳 (M1)"  # known only from the letter: not on this desk
    assert theirs.reason_code == "member_no_here" and theirs.store == "SH01"
    assert theirs.reason_text == "Member number M1 is already used by another member on this desk"
    their_phone = clash.letter("member_phones", pulled=True)
    assert (their_phone.reason_code, their_phone.member_label) == (
        "parent_missing_here", "王芳 (M1)")
    seconds = [int(v.at.timestamp()) for v in views]
    assert seconds == sorted(seconds, reverse=True)  # newest first; in one round…
    for pulled in (False, True):  # …each member before its phone and card
        assert next(v.table_name for v in views if v.pulled == pulled) == "members"


def test_the_pull_goes_on_past_the_clash(clash: Clash) -> None:
    """The centre's M1 phone and card fail here on their missing member (sqlite3's own
    IntegrityError, from the plain-sqlite3 insert path): kept as letters, and the desk
    keeps pulling what comes after."""
    later = add(clash.a, "M3", "陈静", "13600136000", "CA3")
    sync_once(clash.a, clash.centre, "SH01")
    sync_once(clash.b, clash.centre, "BJ01")
    assert member_field(clash.b, later, "name_zh") == "陈静"
    assert clash.desk.review.open_count() == 6  # nothing new refused


def test_pull_reasons_keep_the_wording_the_screen_reads(clash: Clash) -> None:
    with session_factory(clash.b)() as s:
        pulled = [r for r in s.scalars(select(SyncDeadLetter)) if r.store == "SH01"]
    assert len(pulled) == 3
    assert all(r.reason.startswith(dead_letters.PULLED) for r in pulled)


@pytest.mark.parametrize(("table", "reason", "values", "expected"), [
    ("visits", 'insert or update on table "visits" violates foreign key constraint '
               '"fk_visits_member_id_members"', {}, ("parent_missing", "")),
    ("visits", 'invalid input syntax for type timestamp with time zone: "not a time"', {},
     ("value_refused", "")),
    ("members", "value too long for type character varying(32)", {}, ("value_refused", "")),
    ("members", 'duplicate key value violates unique constraint "uq_members_member_no"',
     {"member_no": "M9"}, ("member_no_taken", "M9")),
    ("member_cards", "UNIQUE constraint failed: member_cards.card_no", {"card_no": "C7"},
     ("card_no_taken", "C7")),
    ("visits", "same id already stored with different content", {}, ("same_id", "")),
    ("members", "record not found at the centre", {}, ("not_at_centre", "")),
    ("gifts", "unknown table or kind: gifts/insert", {}, ("unknown_table", "")),
    ("visits", "rejected before: see the centre's dead letters", {}, ("refused_before", "")),
    ("visits", "deadlock detected", {}, ("refused", "")),
    ("member_cards", "pulled record clashes with a local record (same unique value, "
                     "different id)", {"card_no": "C7"}, ("card_no_here", "C7")),
    ("visits", "pulled change could not be applied here: CHECK constraint failed", {},
     ("not_applied_here", "")),
])
def test_known_reasons_get_a_sentence(table: str, reason: str, values: dict,  # type: ignore[type-arg]
                                      expected: tuple[str, str]) -> None:
    assert dead_letters.classify(table, reason, values) == expected


# -- sending again --------------------------------------------------------------------------


def test_retry_sends_the_member_as_it_is_now_with_its_phone_and_card(clash: Clash) -> None:
    clash.desk.members.change_member_no(clash.li, "M2")  # the manager's fix: an ordinary edit
    assert [(k, t) for k, t, _ in queued(clash.b)] == [("update", "members")]
    done = clash.desk.review.retry(clash.letter("members").id)
    assert (done.handled, done.left_open) == (3, 0)
    ops = queued(clash.b)
    # The update is carried by the whole row; parents before children.
    assert [(k, t) for k, t, _ in ops] == [
        ("insert", "members"), ("insert", "member_cards"), ("insert", "member_phones")]
    assert ops[0][2]["row"]["member_no"] == "M2"
    assert {v.table_name for v in clash.letters()} == {"members", "member_phones",
                                                        "member_cards"}
    assert all(v.pulled for v in clash.letters())  # only the centre's M1 is left
    with session_factory(clash.b)() as s:
        mine = [r for r in s.scalars(select(SyncDeadLetter)) if r.store == "BJ01"]
    assert {(r.handling, r.handled_by, r.handled_at) for r in mine} == {
        ("retried", "周婷", NOW)}
    entry, = audit_entries(clash.b, "sync.dead_letter.retry")
    assert entry.member_id == clash.li and entry.staff_name == "周婷"
    assert "members" in entry.detail and "李娜" not in entry.detail
    assert pushed_all(clash.b, clash.centre)


def test_a_member_added_meanwhile_is_queued_behind_its_member(clash: Clash) -> None:
    """A visit logged after the refusal (not yet pushed) would reach the centre before
    the re-sent member and be refused in turn: it moves behind it, with its edit."""
    from vipdesk.models import Visit, utcnow

    with unit_of_work(session_factory(clash.b)) as s:
        s.get(Member, clash.li).member_no = "M2"  # type: ignore[union-attr]
        visit = Visit(member_id=clash.li, checked_in_at=utcnow(), purpose="browse")
        s.add(visit)
    with unit_of_work(session_factory(clash.b)) as s:
        s.get(Visit, visit.id).purpose = "fitting"  # type: ignore[union-attr]
    clash.desk.review.retry(clash.letter("members").id)
    assert [(k, t) for k, t, _ in queued(clash.b)] == [
        ("insert", "members"), ("insert", "member_cards"), ("insert", "member_phones"),
        ("insert", "visits"), ("update", "visits")]
    assert pushed_all(clash.b, clash.centre)


def test_an_edit_refused_because_its_member_was_goes_with_the_member(clash: Clash) -> None:
    clash.desk.members.change_member_no(clash.li, "M2")
    sync_once(clash.b, clash.centre, "BJ01")  # the edit travels alone, and is refused
    edit = next(v for v in clash.letters() if v.kind == "update")
    assert edit.reason_code == "not_at_centre" and edit.member_label == "李娜 (M2)"
    done = clash.desk.review.retry(edit.id)  # the manager picks the edit's letter
    assert done.handled == 4  # the member's, its phone's, its card's, the edit's
    assert [t for _, t, _ in queued(clash.b)] == ["members", "member_cards", "member_phones"]
    assert pushed_all(clash.b, clash.centre)


def test_retry_refuses_when_the_record_is_gone(clash: Clash) -> None:
    with unit_of_work(session_factory(clash.b)) as s:
        s.delete(s.get(MemberPhone, clash.letter("member_phones").record_id))
    phone = clash.letter("member_phones")
    assert phone.retry_blocked == dead_letters.GONE_HERE and not phone.can_retry
    before = queued(clash.b)
    with pytest.raises(DeadLetterError, match="no longer on this desk"):
        clash.desk.review.retry(phone.id)
    assert queued(clash.b) == before and clash.letter("member_phones").id == phone.id
    # The member goes; the gone phone's letter stays listed for a decision.
    clash.desk.members.change_member_no(clash.li, "M2")
    done = clash.desk.review.retry(clash.letter("members").id)
    assert (done.handled, done.left_open) == (2, 1)


def test_a_handled_letter_cannot_be_handled_again(clash: Clash) -> None:
    letter = clash.letter("members")
    clash.desk.review.retry(letter.id)
    with pytest.raises(DeadLetterError, match="already handled by 周婷"):
        clash.desk.review.retry(letter.id)
    with pytest.raises(DeadLetterError, match="already handled"):
        clash.desk.review.dismiss(letter.id, "twice")


def test_the_centres_member_is_applied_here_once_the_number_is_free(clash: Clash) -> None:
    theirs = clash.letter("members", pulled=True)
    with pytest.raises(DeadLetterError) as refused:  # B's own member still holds M1
        clash.desk.review.retry(theirs.id)
    assert refused.value.template == dead_letters.REASONS["member_no_here"]
    assert refused.value.value == "M1"
    clash.desk.members.change_member_no(clash.li, "M2")
    done = clash.desk.review.retry(theirs.id)
    assert (done.handled, done.left_open) == (3, 0)
    assert member_field(clash.b, clash.wang, "name_zh") == "王芳"
    assert count(clash.b, MemberPhone) == 2 and count(clash.b, MemberCard) == 2
    assert [t for _, t, _ in queued(clash.b)] == ["members"]  # only B's own renumbering
    assert [h.member_no for h in clash.desk.members.search("王芳").hits] == ["M1"]  # name index


def test_edits_pulled_after_the_clash_wait_with_the_record_and_come_with_it(
        clash: Clash) -> None:
    """Desk A edits its member after B could not add it: B's pull cannot apply the edit
    to a row it does not have, so the edit waits with the refused record; the retry
    applies the record and then the edit — B ends as the centre is, not as it was."""
    from tests.sync.helpers import edit_member

    edit_member(clash.a, clash.wang, email="wang.fang@example.com")
    sync_once(clash.a, clash.centre, "SH01")
    wait_for_watermark(clash.centre)
    sync_once(clash.b, clash.centre, "BJ01")
    waiting = [v for v in clash.letters() if v.pulled and v.kind == "update"]
    assert [v.table_name for v in waiting] == ["members"]
    assert waiting[0].reason_text == dead_letters.REASONS["waits_for_record"]
    clash.desk.members.change_member_no(clash.li, "M2")
    added = next(v for v in clash.letters()
                 if v.pulled and v.kind == "insert" and v.table_name == "members")
    done = clash.desk.review.retry(added.id)
    assert (done.handled, done.left_open) == (4, 0)  # member, phone, card, the edit
    assert member_field(clash.b, clash.wang, "email") == "wang.fang@example.com"
    assert not [v for v in clash.letters() if v.pulled]


# -- dismissing, permissions ---------------------------------------------------------------------


def test_dismiss_needs_a_note_and_closes_what_belongs_to_it(clash: Clash) -> None:
    theirs = clash.letter("members", pulled=True)
    with pytest.raises(DeadLetterError, match="Note"):
        clash.desk.review.dismiss(theirs.id, "   ")
    with pytest.raises(DeadLetterError, match="at most 500"):
        clash.desk.review.dismiss(theirs.id, "x" * 501)
    done = clash.desk.review.dismiss(theirs.id, "同一位客人，\n两店各登记了一次")
    assert (done.handled, done.left_open) == (3, 0)
    assert all(not v.pulled for v in clash.letters())
    with session_factory(clash.b)() as s:
        closed = [r for r in s.scalars(select(SyncDeadLetter)) if r.handled_at]
    assert {(r.handling, r.note) for r in closed} == {
        ("dismissed", "同一位客人， 两店各登记了一次")}  # one line, as the screen shows it
    entry, = audit_entries(clash.b, "sync.dead_letter.dismiss")
    assert entry.member_id == clash.wang
    assert "客人" not in entry.detail and "with 2 belonging to it" in entry.detail
    assert queued(clash.b) == []  # nothing travels


@pytest.mark.parametrize("role", ["staff", "advisor"])
def test_only_managers_and_administrators_handle_them(clash: Clash, role: str) -> None:
    letter = clash.letter("members")
    clash.desk.actor = person(role)
    with pytest.raises(PermissionDenied):
        clash.desk.review.dead_letters()
    with pytest.raises(PermissionDenied):
        clash.desk.review.retry(letter.id)
    with pytest.raises(PermissionDenied):
        clash.desk.review.dismiss(letter.id, "not mine to decide")
    assert clash.desk.review.open_count() == 6  # the status bar's count is for everyone
    clash.desk.actor = person("admin")
    assert clash.desk.review.dismiss(letter.id, "checked").handled == 3


def test_renumbering_checks_the_number_and_is_audited(clash: Clash) -> None:
    with pytest.raises(MemberDataError, match="already this member's number"):
        clash.desk.members.change_member_no(clash.li, "M1")
    with pytest.raises(MemberDataError, match="letters, digits"):
        clash.desk.members.change_member_no(clash.li, "M 2")
    add(clash.b, "M5", "赵敏", "13700137000", "CB5")
    with pytest.raises(MemberDataError, match="M5 is already used by 赵敏"):
        clash.desk.members.change_member_no(clash.li, "M5")
    assert clash.desk.members.change_member_no(clash.li, " M2 ") == "M1"
    entry, = audit_entries(clash.b, "member.change")
    assert entry.detail == "member_no M1 → M2" and entry.member_id == clash.li
    clash.desk.actor = person("staff")
    with pytest.raises(PermissionDenied):
        clash.desk.members.change_member_no(clash.li, "M3")


# -- the whole story on PostgreSQL ---------------------------------------------------------------


def test_refused_member_renumbered_and_sent_again_reaches_the_other_desk(
        centre: Centre, make_desk) -> None:  # type: ignore[no-untyped-def]
    story = make_clash(centre, make_desk)
    # B's manager sees why, in plain words.
    mine = story.letter("members")
    assert mine.reason_text == "Member number M1 is already used by another member at the centre"
    assert mine.member_label == "李娜 (M1)"
    # Renumbers the member (a normal edit) and sends it again, phone and card along.
    story.desk.members.change_member_no(story.li, "M2")
    assert story.desk.review.retry(mine.id).handled == 3
    assert pushed_all(story.b, centre)
    # M1 is free on B now: the centre's member, refused there before, is applied too.
    assert story.desk.review.retry(story.letter("members", pulled=True).id).handled == 3
    assert story.desk.review.open_count() == 0
    wait_for_watermark(centre)
    sync_once(story.a, centre, "SH01")
    assert member_field(story.a, story.li, "member_no") == "M2"
    assert member_field(story.a, story.li, "name_zh") == "李娜"
    with session_factory(story.a)() as s:
        cards = s.scalars(select(MemberCard.card_no).where(MemberCard.member_id == story.li))
        assert list(cards) == ["CB1"]
    sync_once(story.b, centre, "BJ01")  # the last audit entry, then everyone agrees
    wait_for_watermark(centre)
    sync_once(story.a, centre, "SH01")
    assert digest(story.a) == digest(story.b) == digest(centre.engine)
    with centre.engine.connect() as conn:  # the centre keeps its record of the refusal
        refused = conn.execute(select(SyncDeadLetter.table_name, SyncDeadLetter.payload)
                               .where(SyncDeadLetter.store == "BJ01")).all()
    assert len(refused) == 3
    assert json.loads(next(p for t, p in refused if t == "members"))["row"]["member_no"] == "M1"
    with story.b.connect() as conn:
        assert conn.scalar(select(SyncOutbox.seq)) is None


# -- erasure ------------------------------------------------------------------------------


def test_erasing_a_member_scrubs_and_closes_their_refused_changes(clash: Clash) -> None:
    """A refused change keeps its payload for a manager to read (name, phone, card): an
    erasure request must take that too (a trigger, so it holds wherever the erasure lands:
    on this desk, pulled from another, applied at the centre)."""
    from vipdesk.services.erasure import erase_member

    admin = Actor(uuid.uuid4(), "admin", "管理员", None, "S009")
    with unit_of_work(session_factory(clash.b)) as s:
        erase_member(s, clash.li, admin, FixedClock(NOW))
    with session_factory(clash.b)() as s:
        letters = list(s.scalars(select(SyncDeadLetter)))
    about_li = [x for x in letters if not x.reason.startswith(dead_letters.PULLED)]
    about_wang = [x for x in letters if x.reason.startswith(dead_letters.PULLED)]
    assert len(about_li) == 3 and len(about_wang) == 3
    for letter in about_li:
        assert letter.payload == '{"erased": true}' and "李娜" not in letter.reason
        assert letter.handled_at is not None and letter.handling == "dismissed"
    assert all("13800138000" in x.payload or "王芳" in x.payload or "CA1" in x.payload
               for x in about_wang)  # another member's letters are left as they were
    assert all(v.table_name for v in clash.letters())  # still listed: Wang's, open
    assert {v.pulled for v in clash.letters()} == {True}
