"""The HTTP service's JSON forms of ops, acks and change-log rows.

Payloads travel as the JSON text the desk stored (a string inside the JSON body), not
re-encoded: the centre hashes and logs exactly what the desk wrote, as in the direct
mode, and an integer beyond 64 bits keeps its digits.
"""

from __future__ import annotations

import uuid
from typing import Any

from vipdesk.outbox.ops import KINDS, Ack, Change, Op, Outcome, PushResult, loads


class WireError(ValueError):
    """A request or answer that is not in the protocol's form."""


def op_to_wire(op: Op) -> dict[str, Any]:
    return {"op_id": str(op.op_id), "kind": op.kind, "table": op.table_name,
            "record_id": str(op.record_id), "hlc": op.hlc, "protocol": op.protocol,
            "payload": op.payload_text if op.payload_text is not None else op.payload_json()}


def op_from_wire(item: Any) -> Op:
    try:
        text = item["payload"]
        if not isinstance(text, str) or item["kind"] not in KINDS:
            raise WireError("an op needs a JSON text payload and a known kind")
        payload = loads(text)
        if not isinstance(payload, dict):
            raise WireError("an op's payload must be a JSON object")
        return Op(uuid.UUID(str(item["op_id"])), str(item["kind"]), str(item["table"]),
                  uuid.UUID(str(item["record_id"])), payload, str(item["hlc"]),
                  int(item.get("protocol", 1)), text)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, WireError):
            raise
        raise WireError(f"malformed op: {error}") from error


def result_to_wire(result: PushResult) -> dict[str, Any]:
    return {"acks": [[str(a.op_id), a.outcome.value, a.reason] for a in result.acks],
            "server_time_ms": result.server_time_ms, "counts": result.counts}


def result_from_wire(body: Any) -> PushResult:
    try:
        acks = [Ack(uuid.UUID(op_id), Outcome(outcome), str(reason))
                for op_id, outcome, reason in body["acks"]]
        counts = {str(k): int(v) for k, v in body["counts"].items()}
        return PushResult(acks, int(body["server_time_ms"]), counts)
    except (KeyError, TypeError, ValueError) as error:
        raise WireError(f"malformed push answer: {error}") from error


def change_row_to_wire(row: Any) -> list[Any]:
    """(txid, seq, kind, table_name, record_id, payload text, store) as read at the centre."""
    txid, seq, kind, table_name, record_id, payload, store = row
    return [int(txid), int(seq), kind, table_name, str(record_id), payload, store]


def change_from_wire(item: Any) -> Change:
    try:
        return Change.from_tuple(item)
    except (TypeError, ValueError) as error:
        raise WireError(f"malformed change: {error}") from error
