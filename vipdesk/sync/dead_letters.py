"""Changes the sync refused (dead letters), for a manager: plain data to list, and two
ways to close one — send it again, or decide it needs nothing more.

One desk table, two sources:
- pushed: the centre refused this desk's change (push.py keeps the ack's reason) — a
  member number another store took while this desk was offline, a value PostgreSQL
  refuses. The desk still has its record; the centre does not.
- pulled: this desk could not apply one of the centre's changes (pull.py's reasons
  start with "pulled") — the other store's member clashes with the local one.

`retry` queues the record's *current* local row as a fresh op, so a fix made meanwhile
(a new member number: an ordinary edit) travels with it; a pulled change is applied
here again. The letters of records that belong to it (a member's phones and cards,
refused because their member was) go along. `dismiss` closes a letter with a note.
Both mark the letters handled — nothing is deleted — and write an audit entry.

Why one module (~600 lines): listing, grouping, sending again and applying again share
the letters' private reading helpers and one set of refusal words; split, each part
would import the others' internals.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, SyncDeadLetter, SyncOutbox
from vipdesk.outbox import tables
from vipdesk.outbox.capture import _Pending, write_ops
from vipdesk.outbox.ops import DELETE, INSERT, UPDATE, Change
from vipdesk.services import audit, auth, phones
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.members import write_terms
from vipdesk.sync import authority

PERMISSION = "sync.dead_letters"
PULLED = "pulled "  # how pull.py's reasons begin (a test pins its wording)
RETRIED, DISMISSED = "retried", "dismissed"
MAX_NOTE = 500
LIST_LIMIT = 500

# Words for people (English sources; the UI translates them, resources/i18n).
TABLE_WORDS = {
    "members": "Member", "member_phones": "Member phone", "member_cards": "Member card",
    "preferences": "Preferences", "visits": "Visit", "purchases": "Purchase",
    "complaints": "Complaint", "complaint_events": "Complaint step", "points_entries": "Points",
    "care_contacts": "Care contact", "home_visits": "Home visit",
    "follow_up_tasks": "Follow-up task", "surveys": "Survey", "survey_answers": "Survey answer",
    "tier_changes": "Tier change", "queue_entries": "Queue entry", "tiers": "Tier",
    "tier_benefits": "Tier benefit", "staff": "Staff account", "stores": "Store",
    "care_templates": "Care template", "audit_log": "Audit entry",
    "sync_conflicts": "Sync conflict",
}
KIND_WORDS = {INSERT: "Added", UPDATE: "Changed", DELETE: "Deleted"}
REASONS = {
    "member_no_taken": "Member number %1 is already used by another member at the centre",
    "card_no_taken": "Card number %1 is already used at the centre",
    "unique_taken": "A value that must be unique is already used at the centre",
    "same_id": "The centre has another version of this record; this desk was given the "
               "centre's",
    "parent_missing": "What it belongs to (the member or record) is not at the centre",
    "not_at_centre": "The record is not at the centre (adding it was refused)",
    "value_refused": "The centre refused one of its values",
    "unknown_table": "The centre does not know this kind of record (program versions differ)",
    "malformed": "The change was malformed (a program fault)",
    "refused_before": "The centre had already refused this change",
    "other_store": "This record belongs to store %1: a lounge records only its own "
                   "visits, complaints, queue and staff",
    "refused": "The centre refused this change",
    "member_no_here": "Member number %1 is already used by another member on this desk",
    "card_no_here": "Card number %1 is already used on this desk",
    "unique_here": "A value that must be unique is already used on this desk",
    "parent_missing_here": "What it belongs to (the member or record) is not on this desk",
    "not_applied_here": "This desk could not apply the centre's change",
    "waits_for_record": "An edit of a record this desk could not add: it is applied with "
                        "that record when it is sent again",
}
GONE_HERE = "The record is no longer on this desk"
BACK_HERE = "The record is on this desk again"
NOT_HERE = "The record is not on this desk"
OTHER_STORE = "Another store's record: sending it again is refused too; close it with a note"
NOTE_REQUIRED = "Note: say briefly why nothing more is needed"
NOTE_TOO_LONG = "Note: at most %1 characters"
NO_SUCH_LETTER = "This refused change no longer exists"
ALREADY_HANDLED = "This refused change was already handled by %1"
_VALUE_WORDS = ("invalid input", "too long", "out of range", "check constraint", "not-null",
                "not null", "null value")


class DeadLetterError(ValueError):
    """A dead letter cannot be handled as asked. `template` is the English sentence
    (the UI translates it), `value` fills its %1."""

    def __init__(self, template: str, value: str = "") -> None:
        super().__init__(template.replace("%1", value))
        self.template = template
        self.value = value


@dataclass(frozen=True)
class DeadLetterView:
    id: uuid.UUID
    at: datetime
    pulled: bool  # True: this desk could not apply the centre's change; False: refused there
    store: str
    kind: str  # insert / update / delete
    table_name: str
    what: str  # the record in staff terms (English source: "Member", "Visit"…)
    change: str  # "Added" / "Changed" / "Deleted" (English source)
    record_id: uuid.UUID
    member_id: uuid.UUID | None
    member_no: str | None
    member_name: str | None
    reason_code: str  # a key of REASONS
    reason: str  # REASONS[reason_code], English, "%1" not filled in
    reason_value: str  # fills %1 (a member or card number), else ""
    raw_reason: str  # as the database or the centre said it
    payload: Any  # the change as sent or pulled (phones masked, secrets hidden)
    retry_blocked: str  # why it cannot be sent again ("" when it can)
    handled_at: datetime | None = None
    handled_by: str | None = None
    handling: str | None = None
    note: str | None = None

    @property
    def can_retry(self) -> bool:
        return not self.retry_blocked

    @property
    def reason_text(self) -> str:
        return self.reason.replace("%1", self.reason_value)

    @property
    def member_label(self) -> str:
        parts = [self.member_name or "", f"({self.member_no})" if self.member_no else ""]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Handled:
    """What one retry or dismissal closed: the letter itself and those belonging to it;
    `left_open` could not go along (their record is gone, or still fails here)."""

    handled: int
    left_open: int


def open_count(session: Session) -> int:
    """Letters nobody has handled yet (for the status bar: no details, no permission)."""
    stmt = select(func.count()).select_from(SyncDeadLetter).where(
        SyncDeadLetter.handled_at.is_(None))
    return int(session.scalar(stmt) or 0)


def list_dead_letters(session: Session, *, open_only: bool = True,
                      limit: int = LIST_LIMIT) -> list[DeadLetterView]:
    """Newest first, as plain data the UI shows without asking the database again."""
    stmt = select(SyncDeadLetter).order_by(SyncDeadLetter.at.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(SyncDeadLetter.handled_at.is_(None))
    letters = list(session.scalars(stmt).all())
    # One sync round (the same second): what was pulled (after the push) first, and
    # within each the member before its phones and cards.
    letters.sort(key=lambda r: (-int(r.at.timestamp()), not is_pulled(r),
                                _apply_order(r)[1], r.table_name))
    reader = _Reader(session)
    return [reader.view(letter) for letter in letters]


def retry(session: Session, actor: Actor, dead_letter_id: uuid.UUID,
          clock: Clock | None = None) -> Handled:
    """Send the record again as it is now (pushed), or apply the centre's change here
    again (pulled), in the caller's transaction."""
    auth.require(actor, PERMISSION)
    letter = _open_letter(session, dead_letter_id)
    if letter.reason.startswith(authority.REFUSED):
        raise DeadLetterError(OTHER_STORE)
    if is_pulled(letter):
        done, left = _Reapply(session).run(_group(session, letter))
    else:
        letter = _owning_insert(session, letter)
        done, left = _resend(session, _group(session, letter))
    _close(session, done, RETRIED, actor, None, clock)
    _audit(session, actor, "sync.dead_letter.retry", letter, len(done) - 1, clock)
    return Handled(len(done), left)


def dismiss(session: Session, actor: Actor, dead_letter_id: uuid.UUID, note: str,
            clock: Clock | None = None) -> Handled:
    """Nothing more to do (the same person registered twice, say): closed with the
    manager's note, together with the letters of records that belong to it."""
    auth.require(actor, PERMISSION)
    text = " ".join(note.split())
    if not text:
        raise DeadLetterError(NOTE_REQUIRED)
    if len(text) > MAX_NOTE:
        raise DeadLetterError(NOTE_TOO_LONG, str(MAX_NOTE))
    letter = _open_letter(session, dead_letter_id)
    group = _group(session, letter)
    _close(session, group, DISMISSED, actor, text, clock)
    _audit(session, actor, "sync.dead_letter.dismiss", letter, len(group) - 1, clock)
    return Handled(len(group), 0)


def is_pulled(letter: SyncDeadLetter) -> bool:
    return letter.reason.startswith(PULLED)


def describe_reason(letter: SyncDeadLetter) -> tuple[str, str]:
    """(reason code, the value its sentence names) for a letter's raw reason."""
    return classify(letter.table_name, letter.reason, _values(_payload(letter)))


def classify(table_name: str, reason: str, values: dict[str, Any]) -> tuple[str, str]:
    """What push.py/merge.py (the centre's answers and PostgreSQL's or SQLite's errors)
    and pull.py write as a reason, as a key of REASONS and the value it names."""
    low = reason.lower()
    here = reason.startswith(PULLED)
    if any(w in low for w in ("unique value", "unique constraint", "duplicate key")):
        return _taken(table_name, values, here)
    if "foreign key" in low:
        return ("parent_missing_here" if here else "parent_missing"), ""
    if here and "could not add yet" in low:
        return "waits_for_record", ""
    if here:
        return "not_applied_here", ""
    if low.startswith(authority.REFUSED):
        found = re.search(r"belongs to store (.+?);", reason)
        return "other_store", found.group(1) if found else ""
    for start, code in (("same id", "same_id"), ("record not found", "not_at_centre"),
                        ("unknown table", "unknown_table"), ("malformed", "malformed"),
                        ("rejected before", "refused_before")):
        if low.startswith(start):
            return code, ""
    return ("value_refused" if any(w in low for w in _VALUE_WORDS) else "refused"), ""


def _taken(table_name: str, values: dict[str, Any], here: bool) -> tuple[str, str]:
    suffix = "here" if here else "taken"
    if table_name == "members" and values.get("member_no"):
        return f"member_no_{suffix}", str(values["member_no"])
    if table_name == "member_cards" and values.get("card_no"):
        return f"card_no_{suffix}", str(values["card_no"])
    return f"unique_{suffix}", ""


# -- reading -----------------------------------------------------------------------------


def _payload(letter: SyncDeadLetter) -> dict[str, Any]:
    return _payload_text(letter.payload)


def _payload_text(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _values(payload: dict[str, Any]) -> dict[str, Any]:
    """The record's fields an op carries: the whole row (insert) or the changed ones."""
    found = payload.get("row") or payload.get("set") or {}
    return found if isinstance(found, dict) else {}


def _as_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def local_row(conn: Connection, table_name: str, record_id: uuid.UUID) -> dict[str, Any] | None:
    """The record as this desk holds it now, in wire form (None: not here, or a table
    this version does not sync)."""
    if not tables.is_synced(table_name):
        return None
    table = tables.table(table_name)
    row = conn.execute(select(table).where(table.c.id == record_id)).first()
    return None if row is None else tables.encode_row(table_name, row._mapping)


class _Reader:
    """Turns letters into views: which member a record concerns, looked up on this desk
    first and else in the letters themselves (the other store's member that could not
    be applied here is known only from its letter)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn = session.connection()
        self.lettered: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        for name, record_id, payload in session.execute(select(
                SyncDeadLetter.table_name, SyncDeadLetter.record_id, SyncDeadLetter.payload)
                .where(SyncDeadLetter.kind == INSERT,
                       SyncDeadLetter.table_name.in_(_member_owners()))):
            self.lettered[(name, record_id)] = _values(_payload_text(payload))

    def view(self, letter: SyncDeadLetter) -> DeadLetterView:
        payload = _payload(letter)
        here = local_row(self.conn, letter.table_name, letter.record_id)
        known = (here or {}) | _values(payload)
        member_id = self.member_of(letter.table_name, letter.record_id, known)
        member = self._record("members", member_id) if member_id else {}
        if member_id == letter.record_id and here is not None:
            member = here  # the member as it is now (renumbered, say), not as refused
        code, value = describe_reason(letter)
        return DeadLetterView(
            id=letter.id, at=letter.at, pulled=is_pulled(letter), store=letter.store,
            kind=letter.kind, table_name=letter.table_name,
            what=TABLE_WORDS.get(letter.table_name, letter.table_name),
            change=KIND_WORDS.get(letter.kind, letter.kind),
            record_id=letter.record_id, member_id=member_id,
            member_no=member.get("member_no"),
            member_name=member.get("name_zh") or member.get("name_latin"),
            reason_code=code, reason=REASONS[code], reason_value=value,
            raw_reason=letter.reason, payload=_shown(payload),
            retry_blocked=_retry_blocked(letter, here is not None),
            handled_at=letter.handled_at, handled_by=letter.handled_by,
            handling=letter.handling, note=letter.note)

    def _record(self, table_name: str, record_id: uuid.UUID) -> dict[str, Any]:
        return (local_row(self.conn, table_name, record_id)
                or self.lettered.get((table_name, record_id)) or {})

    def member_of(self, table_name: str, record_id: uuid.UUID,
                   values: dict[str, Any]) -> uuid.UUID | None:
        if table_name == "members":
            return record_id
        if values.get("member_id"):
            return _as_id(values["member_id"])
        if not tables.is_synced(table_name):
            return None
        for fk in tables.table(table_name).foreign_keys:  # a complaint step → its complaint
            parent = fk.column.table
            parent_id = _as_id(values.get(fk.parent.name))
            if "member_id" in parent.c and parent_id is not None:
                return _as_id(self._record(parent.name, parent_id).get("member_id"))
        return None


@cache
def _member_owners() -> tuple[str, ...]:
    """Tables whose rows say which member they concern (and the members themselves)."""
    return tuple(name for name, table in tables.synced_tables().items()
                 if name == "members" or "member_id" in table.c)


def _shown(value: Any, key: str = "") -> Any:
    """The payload for the screen: phone numbers masked as everywhere else, password
    hashes hidden."""
    if isinstance(value, dict):
        return {k: _shown(v, k) for k, v in value.items()}
    if key == "e164" and isinstance(value, str):
        return phones.mask(value)
    if key == "password_hash" and value:
        return "••••"
    return value


def _retry_blocked(letter: SyncDeadLetter, exists_here: bool) -> str:
    if letter.reason.startswith(authority.REFUSED):
        return OTHER_STORE  # the centre refuses it whatever this desk changes
    if is_pulled(letter):
        return NOT_HERE if letter.kind == UPDATE and not exists_here else ""
    if letter.kind == DELETE:
        return BACK_HERE if exists_here else ""
    return "" if exists_here else GONE_HERE


# -- which letters go together -------------------------------------------------------------


def _open_letter(session: Session, dead_letter_id: uuid.UUID) -> SyncDeadLetter:
    letter = session.get(SyncDeadLetter, dead_letter_id)
    if letter is None:
        raise DeadLetterError(NO_SUCH_LETTER)
    if letter.handled_at is not None:
        raise DeadLetterError(ALREADY_HANDLED, letter.handled_by or "?")
    return letter


def _open_letters(session: Session, pulled: bool) -> list[SyncDeadLetter]:
    rows = session.scalars(select(SyncDeadLetter).where(SyncDeadLetter.handled_at.is_(None))
                           .order_by(SyncDeadLetter.at)).all()
    return [r for r in rows if is_pulled(r) == pulled]


def _owning_insert(session: Session, letter: SyncDeadLetter) -> SyncDeadLetter:
    """A refused edit of a record whose adding was refused too goes with that: the
    record is sent whole, edit included."""
    if letter.kind != UPDATE:
        return letter
    for other in _open_letters(session, pulled=False):
        if other.kind == INSERT and other.record_id == letter.record_id:
            return other
    return letter


def _group(session: Session, letter: SyncDeadLetter) -> list[SyncDeadLetter]:
    """The letter and the open letters of the same direction that depend on it: added
    records whose row points at it (recursively: a complaint's steps), and refused
    edits of the records being added (the whole row carries them). Parents first."""
    group, ids = [letter], {letter.record_id}
    if letter.kind != INSERT:
        return group
    others = [o for o in _open_letters(session, is_pulled(letter)) if o.id != letter.id]
    grew = True
    while grew:
        grew = False
        for other in others:
            if other in group:
                continue
            if other.kind == UPDATE and other.record_id in ids:
                group.append(other)
            elif other.kind == INSERT and _points_at(other, ids):
                group.append(other)
                ids.add(other.record_id)
                grew = True
    return sorted(group, key=_apply_order)


def _apply_order(letter: SyncDeadLetter) -> tuple[int, int, datetime]:
    rank = tables.dependency_rank(letter.table_name) if tables.is_synced(
        letter.table_name) else 0
    return (0 if letter.kind == INSERT else 1, rank, letter.at)


def _points_at(letter: SyncDeadLetter, ids: set[uuid.UUID]) -> bool:
    if not tables.is_synced(letter.table_name):
        return False
    row = _values(_payload(letter))
    return any(_as_id(row.get(fk.parent.name)) in ids
               for fk in tables.table(letter.table_name).foreign_keys)


# -- sending again (pushed) ------------------------------------------------------------------


def _resend(session: Session, group: list[SyncDeadLetter]
            ) -> tuple[list[SyncDeadLetter], int]:
    conn = session.connection()
    first = group[0]
    missing: set[uuid.UUID] = set()  # records sent whole (the group lists inserts first)
    done: list[SyncDeadLetter] = []
    ops: list[_Pending] = []
    for letter in group:
        if letter.kind == UPDATE and letter.record_id in missing:
            done.append(letter)  # the whole row sent carries this edit
            continue
        op = _op_for(conn, letter)
        if op is None:
            if letter is first:
                raise DeadLetterError(_retry_blocked(letter, letter.kind == DELETE))
            continue  # a record of it deleted here since: that letter stays listed
        ops.append(op)
        done.append(letter)
        if op.kind == INSERT:
            missing.add(op.record_id)
    if describe_reason(first)[0] == "same_id":
        missing.clear()  # the centre has the record: queued edits are fine where they are
    queued = _take_queued(conn, missing)
    write_ops(conn, ops)
    _requeue(conn, queued)
    return done, len(group) - len(done)


def _op_for(conn: Connection, letter: SyncDeadLetter) -> _Pending | None:
    row = local_row(conn, letter.table_name, letter.record_id)
    if letter.kind == DELETE:
        return None if row is not None else _Pending(DELETE, letter.table_name,
                                                      letter.record_id, {})
    if row is None:
        return None
    if letter.kind == INSERT:
        return _Pending(INSERT, letter.table_name, letter.record_id, {"row": row})
    payload = _payload(letter)
    fields = [k for k in payload.get("set") or {} if k in row]
    base = {k: v for k, v in (payload.get("base") or {}).items() if k in fields}
    return _Pending(UPDATE, letter.table_name, letter.record_id,
                    {"set": {k: row[k] for k in fields}, "base": base})


def _take_queued(conn: Connection, missing: set[uuid.UUID]) -> list[dict[str, Any]]:
    """Ops still queued for the records being sent again, or for records added since
    that point at them (a visit logged meanwhile, and that visit's later edits): taken
    out of the queue. The first are dropped — the re-sent row is the record as it is
    now — the others are returned, in their order, to follow the re-sent rows."""
    if not missing:
        return []
    rows = [dict(r._mapping) for r in conn.execute(select(SyncOutbox).order_by(SyncOutbox.seq))]
    behind: set[uuid.UUID] = set()
    grew = True
    while grew:  # a complaint logged since, then its steps
        found = {r["record_id"] for r in rows if r["record_id"] not in behind
                 and _queued_points_at(r, missing | behind)}
        grew = bool(found)
        behind |= found
    taken = [r for r in rows if r["record_id"] in missing | behind]
    if taken:
        conn.execute(delete(SyncOutbox).where(SyncOutbox.seq.in_([r["seq"] for r in taken])))
    return [r for r in taken if r["record_id"] in behind]


def _queued_points_at(row: dict[str, Any], ids: set[uuid.UUID]) -> bool:
    if row["kind"] != INSERT or not tables.is_synced(row["table_name"]):
        return False
    values = _values(_payload_text(row["payload"]))
    return any(_as_id(values.get(fk.parent.name)) in ids
               for fk in tables.table(row["table_name"]).foreign_keys)


def _requeue(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Back at the end of the queue, unchanged (same op id: if one was already on its way,
    the centre answers it as a repeat)."""
    for row in rows:
        row.pop("seq")
        conn.execute(insert(SyncOutbox).values(**row))


# -- applying again (pulled) -----------------------------------------------------------------


class _Reapply:
    """Applies pulled changes as the pull does (pull.Applier, careful mode), without
    writing new letters: a change that still fails here leaves its letter open."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def run(self, group: list[SyncDeadLetter]) -> tuple[list[SyncDeadLetter], int]:
        done: list[SyncDeadLetter] = []
        renamed: set[uuid.UUID] = set()
        for letter in group:
            failure = self._apply(letter, renamed)
            if failure and letter is group[0]:
                if failure == NOT_HERE:
                    raise DeadLetterError(NOT_HERE)
                code, value = classify(letter.table_name, failure, _values(_payload(letter)))
                raise DeadLetterError(REASONS[code], value)
            if not failure:
                done.append(letter)
        self._refresh_terms(renamed)
        return done, len(group) - len(done)

    def _apply(self, letter: SyncDeadLetter, renamed: set[uuid.UUID]) -> str:
        conn = self.session.connection()
        exists = local_row(conn, letter.table_name, letter.record_id) is not None
        if letter.kind == UPDATE and not exists:
            return NOT_HERE
        if letter.kind == INSERT and exists:
            return ""  # it came here meanwhile: nothing to apply
        applier = _quiet_applier()(conn)
        applier.run([Change(0, 0, letter.kind, letter.table_name, letter.record_id,
                            _payload(letter), letter.store)])
        renamed |= applier.renamed
        return applier.reasons[0] if applier.failed else ""

    def _refresh_terms(self, member_ids: set[uuid.UUID]) -> None:
        """The name search index is derived (not synced): rebuilt for members applied."""
        for member in self.session.scalars(select(Member).where(Member.id.in_(member_ids))):
            write_terms(self.session, member)
        self.session.flush()


@cache
def _quiet_applier() -> type[Any]:
    """pull.Applier (careful: one savepoint per change), reporting a change that still
    fails instead of writing a new letter. Imported on first use: pull.py loads the
    centre's client (psycopg), which a desk without a centre never needs."""
    from vipdesk.sync.pull import Applier

    class QuietApplier(Applier):
        def __init__(self, conn: Connection) -> None:
            super().__init__(conn, careful=True)
            self.reasons: list[str] = []

        def _dead_letter(self, change: Change, reason: str) -> None:
            self.failed += 1
            self.reasons.append(reason)

    return QuietApplier


# -- closing ------------------------------------------------------------------------------------


def _close(session: Session, letters: Iterable[SyncDeadLetter], handling: str, actor: Actor,
           note: str | None, clock: Clock | None) -> None:
    now = (clock or Clock()).now()
    for letter in letters:
        letter.handled_at = now
        letter.handled_by = actor.name
        letter.handling = handling
        letter.note = note
    session.flush()


def _audit(session: Session, actor: Actor, action: str, letter: SyncDeadLetter,
           along: int, clock: Clock | None) -> None:
    """Which record and why, never its content (the note stays with the letter)."""
    code, _value = describe_reason(letter)
    member_id = _Reader(session).member_of(letter.table_name, letter.record_id,
                                            _values(_payload(letter)))
    detail = f"{letter.table_name} {letter.record_id} ({letter.kind}, {code})"
    if along:
        detail += f"; with {along} belonging to it"
    audit.record(session, actor, action, member_id, detail, clock)
