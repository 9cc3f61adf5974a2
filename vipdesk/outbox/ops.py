"""The wire form of a change (an op) and of the centre's answer (an ack)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

import orjson

PROTOCOL = 1

INSERT = "insert"
UPDATE = "update"
DELETE = "delete"
KINDS = (INSERT, UPDATE, DELETE)


class Outcome(StrEnum):
    APPLIED = "applied"  # the change is now the centre's state
    DUPLICATE = "duplicate"  # seen before (a retry) or identical content already there
    CONFLICT = "conflict"  # applied or overruled by last-writer-wins, recorded for review
    OBSOLETE = "obsolete"  # the record was deleted or erased: nothing to do
    REJECTED = "rejected"  # cannot apply (bad content, same id with other content): dead letter


@dataclass(frozen=True)
class Op:
    """One change. `payload` is {"row": {...}} for an insert (every synced column),
    {"set": {...}, "base": {...}} for an update (changed fields, and the values the
    desk saw before, when it knew them), {} for a delete."""

    op_id: uuid.UUID
    kind: str
    table_name: str
    record_id: uuid.UUID
    payload: dict[str, Any]
    hlc: str
    protocol: int = PROTOCOL
    # The payload as the desk stored it (canonical JSON), when at hand: saves re-encoding.
    payload_text: str | None = field(default=None, compare=False, repr=False)

    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Ack:
    op_id: uuid.UUID
    outcome: Outcome
    reason: str = ""


@dataclass
class PushResult:
    acks: list[Ack]
    server_time_ms: int
    counts: dict[str, int] = field(default_factory=dict)


class Change(NamedTuple):
    """One entry of the centre's change log, as a desk applies it. A named tuple, not a
    frozen dataclass: equally immutable, and a pull builds one per row (100,000s), where
    a frozen dataclass's `object.__setattr__` per field costs several times more."""

    txid: int
    seq: int
    kind: str
    table_name: str
    record_id: uuid.UUID
    payload: dict[str, Any]
    store: str

    @staticmethod
    def from_tuple(row: Any) -> Change:
        """(txid, seq, kind, table_name, record_id, payload, store) as read."""
        txid, seq, kind, table_name, record_id, payload, store = row
        if not isinstance(record_id, uuid.UUID):
            record_id = uuid.UUID(str(record_id))
        return Change(int(txid), int(seq), kind, table_name, record_id, loads(payload), store)


# orjson turns an integer beyond 64 bits into a float (silently losing digits): any run
# of 19+ digits (in a string too — harmless, just the slower path) goes to the stdlib.
_LONG_DIGITS = re.compile(r"\d{19}")


def loads(text: str) -> Any:
    """JSON → Python, several times faster than the stdlib (a pull decodes every row),
    with the same result for every payload: what orjson refuses but the stdlib writes
    (NaN, Infinity) or would read differently (integers beyond 64 bits) goes to the
    stdlib. Malformed JSON raises `json.JSONDecodeError` either way."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    # Only a float in the result can be an integer orjson could not hold: then look for
    # the long run of digits (a scan of the text costs ten times the decoding).
    if _has_float(value) and _LONG_DIGITS.search(text):
        return json.loads(text)
    return value


def _has_float(value: Any) -> bool:
    # A loop over a stack, not recursion: a push decodes every op's payload and this
    # walk was a tenth of the service's work with a call per value.
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False
