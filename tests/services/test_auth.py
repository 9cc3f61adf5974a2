"""The full permission matrix (SPEC §1): every action × every role, and for the advisor
both a member of their own and someone else's. The expectations are written out here,
independently of `auth.PERMISSIONS`, so a change to either side shows up as a failure.
"""

from __future__ import annotations

import uuid

import pytest

from vipdesk.services import auth
from vipdesk.services.auth import Actor, PermissionDenied

ROLES = ("staff", "manager", "advisor", "admin")
OWN = "advisor (own)"  # the advisor only for members assigned to them
RECEIVED = "(received it)"  # staff and advisors only for a record they took down themselves

# action → who may. Written by reading SPEC §1, not by copying PERMISSIONS.
EXPECTED: dict[str, set[str]] = {
    "member.view": {"staff", "manager", "advisor", "admin"},
    "member.import": {"manager", "admin"},
    "member.edit.own": {"manager", OWN, "admin"},
    "member.register": {"staff", "manager", "advisor", "admin"},
    "member.preference.own": {"staff", "manager", OWN, "admin"},
    "member.advisor.assign": {"manager", "admin"},
    "member.merge": {"manager", "admin"},
    "member.reveal": {"staff", "manager", "advisor", "admin"},
    "member.erase": {"manager", "admin"},
    "sync.settle": {"manager", "admin"},
    "sync.dead_letters": {"manager", "admin"},
    "member.private.own": {"manager", OWN, "admin"},
    "tier.override": {"manager"},
    "queue.view": {"staff", "manager", "advisor", "admin"},
    "queue.add": {"staff", "manager", "advisor"},
    "queue.call": {"staff", "manager"},
    "queue.assign": {"staff", "manager"},
    "queue.finish": {"staff", "manager", "advisor"},
    "care.view": {"manager", "advisor", "admin"},
    "report.view": {"manager", "admin"},
    "audit.view": {"manager", "admin"},
    "audit.export": {"manager", "admin"},
    "staff.manage": {"admin"},
    "visit.log": {"staff", "manager", "advisor"},
    "visit.void": {"manager"},
    "complaint.open": {"staff", "manager", "advisor"},
    "complaint.advance": {"manager"},
    # the first contact stops the 30-minute clock: whoever took the complaint down records
    # it; a manager always may (SPEC §5)
    "complaint.contact.received": {"manager", RECEIVED},
    "complaint.compensate": {"manager"},
    "homevisit.log.own": {"manager", OWN},
    "care.log.own": {"staff", "manager", OWN},
    "card.issue": {"staff", "manager", "advisor", "admin"},
    "survey.record.own": {"staff", "manager", OWN},
    "points.earn": {"staff", "manager"},
    "points.redeem": {"staff", "manager", "advisor"},
    "points.adjust": {"manager"},
}

MY_ID = uuid.uuid4()
SOMEONE_ELSE = uuid.uuid4()


def actor(role: str) -> Actor:
    return Actor(MY_ID, role, f"a {role}")


def expected(action: str, role: str, member_advisor: uuid.UUID | None,
             received_by: uuid.UUID | None) -> bool:
    who = EXPECTED[action]
    if role in who:
        return True
    if RECEIVED in who and role in ("staff", "advisor"):
        return received_by == MY_ID
    return role == "advisor" and OWN in who and member_advisor == MY_ID


IDS = {"mine": MY_ID, "other": SOMEONE_ELSE, "nobody": None}
CELLS = [(action, role, owner, receiver)
         for action in EXPECTED for role in ROLES
         for owner in ("mine", "other", "nobody")
         for receiver in ("mine", "other", "nobody")]


@pytest.mark.parametrize(("action", "role", "owner", "receiver"), CELLS)
def test_matrix_cell(action: str, role: str, owner: str, receiver: str) -> None:
    """`owner`: whose member (advisor); `receiver`: who took the record down."""
    member_advisor, received_by = IDS[owner], IDS[receiver]
    want = expected(action, role, member_advisor, received_by)
    assert auth.allowed(actor(role), action, member_advisor, received_by=received_by) is want
    if want:
        auth.require(actor(role), action, member_advisor, received_by=received_by)
    else:
        with pytest.raises(PermissionDenied, match=action):
            auth.require(actor(role), action, member_advisor, received_by=received_by)


def test_every_action_is_in_the_matrix() -> None:
    missing = sorted(set(auth.PERMISSIONS) - set(EXPECTED))
    assert missing == [], f"add these actions to EXPECTED in {__file__}: {missing}"
    assert sorted(set(EXPECTED) - set(auth.PERMISSIONS)) == []


@pytest.mark.parametrize("action", sorted(auth.PERMISSIONS))
def test_spec_invariants_hold_for_every_action(action: str) -> None:
    """Rules from SPEC §1 that any action, including ones added later, must keep."""
    roles = auth.PERMISSIONS[action]
    assert roles <= set(ROLES)
    if any(word in action for word in ("tier.", "delete", "erase", "purge")):
        assert "staff" not in roles, "staff never change tiers or delete"
    if action.startswith("member.edit") and "advisor" in roles:
        assert action.endswith(".own"), "advisors edit only their own VIPs"
    if action.startswith(("staff.", "audit.")):
        assert "staff" not in roles and "advisor" not in roles


def test_advisor_without_an_id_owns_nobody() -> None:
    anonymous = Actor(None, "advisor", "nobody")
    assert not auth.allowed(anonymous, "member.edit.own", None)


@pytest.mark.parametrize(("action", "role"), [(a, r) for a in EXPECTED for r in ROLES])
def test_role_may_is_allowed_on_some_record(action: str, role: str) -> None:
    """What a window offers a role at all: allowed on their own member / own record."""
    some_record = any(expected(action, role, MY_ID, received) for received in (MY_ID, None))
    assert auth.role_may(actor(role), action) is some_record


def test_staff_without_an_id_received_nothing() -> None:
    anonymous = Actor(None, "staff", "nobody")
    assert not auth.allowed(anonymous, "complaint.contact.received", received_by=None)


def test_staff_never_take_a_complaint_past_its_first_contact() -> None:
    """SPEC §1: staff record a complaint as it is told; handling it is a manager's."""
    me = actor("staff")
    for action in ("complaint.advance", "complaint.compensate"):
        assert not auth.allowed(me, action, MY_ID, received_by=MY_ID)


def test_unknown_role_gets_nothing() -> None:
    intruder = Actor(MY_ID, "root", "who?")
    assert not any(auth.allowed(intruder, a, MY_ID) for a in auth.PERMISSIONS)


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="PERMISSIONS"):
        auth.require(actor("admin"), "member.teleport")
    assert not auth.allowed(actor("admin"), "member.teleport")


def test_denial_names_who_and_what() -> None:
    with pytest.raises(PermissionDenied) as err:
        auth.require(Actor(MY_ID, "staff", "张敏"), "tier.override")
    assert "张敏" in str(err.value) and "staff" in str(err.value)
