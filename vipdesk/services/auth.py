"""Who is acting, and what their role allows (SPEC §1). Enforced here, in the services.

Every mutating service function takes an `Actor` and calls `require` before it writes;
hiding a button in the UI is a courtesy, not the control.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    staff_id: uuid.UUID | None
    role: str  # staff / manager / advisor / admin
    name: str
    store_id: uuid.UUID | None = None
    staff_no: str = ""
    desk: str = ""  # which desk (host / configured desk name) the audit log records


# The desk itself (demo builder, imports run by an administrator from the shell).
SYSTEM = Actor(None, "admin", "system")
# Nobody signed in yet: a role that no permission names, so every service refuses.
NOBODY = Actor(None, "", "—")


class PermissionDenied(PermissionError):
    """The actor's role does not allow the action; the message says which and why.
    `action` names it (a key of PERMISSIONS), so the desk can say who may instead."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.action = action


ALL = frozenset({"staff", "manager", "advisor", "admin"})
DESK = frozenset({"staff", "manager", "advisor"})

# action → roles allowed. Actions ending in ".own" are limited to the member's advisor
# for the advisor role (managers and admins are not limited). Actions ending in
# ".received" are limited to the person who received the record (who took the complaint
# down) for every role but the managing ones.
PERMISSIONS: dict[str, frozenset[str]] = {
    "member.view": ALL,
    "member.import": frozenset({"manager", "admin"}),
    "member.edit.own": frozenset({"manager", "advisor", "admin"}),
    # The file is built at the desk (SPEC §2): anyone there registers a new VIP and
    # records preferences (advisors: for their own members); managers assign advisors.
    "member.register": ALL,
    "member.preference.own": ALL,
    "member.advisor.assign": frozenset({"manager", "admin"}),
    "member.merge": frozenset({"manager", "admin"}),  # two records of one person
    "tier.override": frozenset({"manager"}),
    "member.erase": frozenset({"manager", "admin"}),  # SPEC §10 erasure request
    "sync.settle": frozenset({"manager", "admin"}),  # review concurrent edits (SPEC §1)
    # changes the sync refused (dead letters): read them, send again or close with a note
    "sync.dead_letters": frozenset({"manager", "admin"}),
    # The manager's desk (SPEC §6, §7, §11): anyone at the desk queues an arriving VIP;
    # staff and managers run the board; the care list is for managers and advisors (an
    # advisor sees their own members); reports are the managers'.
    "queue.view": ALL,
    "queue.add": DESK,
    "queue.call": frozenset({"manager", "staff"}),
    "queue.assign": frozenset({"manager", "staff"}),
    "queue.finish": DESK,
    "care.view": frozenset({"manager", "advisor", "admin"}),
    "report.view": frozenset({"manager", "admin"}),
    # Trust (SPEC §10): revealing a masked phone needs a reason and is audited; the
    # private part of the file (family, lifestyle) is for the member's advisor and
    # managers; the audit log is read by managers; accounts are the administrator's.
    "member.reveal": ALL,
    "member.private.own": frozenset({"manager", "advisor", "admin"}),
    "audit.view": frozenset({"manager", "admin"}),
    "audit.export": frozenset({"manager", "admin"}),
    "staff.manage": frozenset({"admin"}),
    # Service history (visits, complaints, home visits, care contacts, surveys, points).
    "visit.log": DESK,
    # take back a wrong check-in (today's at this store; managers: the last 7 days)
    "visit.void": frozenset({"manager"}),  # staff delete nothing (SPEC §1)
    "complaint.open": DESK,
    "complaint.advance": frozenset({"manager"}),
    # The first contact (received/reopened → contacted, SPEC §5's 30-minute clock): whoever
    # took the complaint down may record that they called the customer back.
    "complaint.contact.received": DESK,
    "complaint.compensate": frozenset({"manager"}),
    "homevisit.log.own": frozenset({"manager", "advisor"}),
    "care.log.own": DESK,
    "card.issue": ALL,  # print a welcome card (and log it as a care contact)
    "survey.record.own": DESK,
    "points.earn": frozenset({"staff", "manager"}),
    "points.redeem": DESK,
    "points.adjust": frozenset({"manager"}),
}


MANAGING = frozenset({"manager", "admin"})  # never limited to their own records


def _is(actor: Actor, staff_id: uuid.UUID | None) -> bool:
    return actor.staff_id is not None and actor.staff_id == staff_id


def allowed(actor: Actor, action: str, member_advisor_id: uuid.UUID | None = None, *,
            received_by: uuid.UUID | None = None) -> bool:
    roles = PERMISSIONS.get(action)
    if roles is None or actor.role not in roles:
        return False
    if action.endswith(".own") and actor.role == "advisor":
        return _is(actor, member_advisor_id)
    if action.endswith(".received") and actor.role not in MANAGING:
        return _is(actor, received_by)
    return True


def role_may(actor: Actor, action: str) -> bool:
    """Whether the actor's role may ever do `action`, on some member or record: what a
    window offers at all (an advisor's own members, a complaint the person took down are
    then checked on the record)."""
    return actor.role in PERMISSIONS.get(action, frozenset())


def require(actor: Actor, action: str, member_advisor_id: uuid.UUID | None = None, *,
            received_by: uuid.UUID | None = None) -> None:
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}: add it to PERMISSIONS")
    if not allowed(actor, action, member_advisor_id, received_by=received_by):
        raise PermissionDenied(f"{actor.name} ({actor.role}) may not {action}", action)
