"""`vipdesk audit list [--member Q] [--action A] [--json]`, `vipdesk audit export --out F.csv`,
`vipdesk audit verify [--json]` (exit 0: every desk's chain intact; 4: a broken link,
named; the audit table missing counts as broken).

Listing and exporting act as the signed-in person (`vipdesk signin`; the service decides
who may); exporting is itself written to the log. `verify` is the desk checking itself:
it shows counts and entry ids, no member data, and needs no sign-in. The CSV is written
to a temporary file and renamed, so a failed export never leaves half a file behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

from vipdesk.cli.common import fail, open_db, print_json


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("audit", help="read or export the audit log")
    verbs = p.add_subparsers(dest="verb", required=True)
    lst = verbs.add_parser("list", parents=[parent], help="newest entries first")
    lst.add_argument("--member", help="member number or id")
    lst.add_argument("--action", help="e.g. member.view, member.reveal, staff.sign_in")
    lst.add_argument("--limit", type=int, default=200)
    lst.add_argument("--json", action="store_true")
    exp = verbs.add_parser("export", parents=[parent], help="write the log as CSV")
    exp.add_argument("--out", required=True, type=Path)
    exp.add_argument("--member", help="member number or id")
    ver = verbs.add_parser("verify", parents=[parent],
                           help="check every desk's hash chain; name the first broken link")
    ver.add_argument("--json", action="store_true")
    p.set_defaults(run=run)

BROKEN = 4  # `audit verify`: the log has been tampered with


def run(args: argparse.Namespace) -> int:
    from vipdesk.crypto import DatabaseKeyError, KeyFileError

    try:
        return {"export": _export, "verify": _verify}.get(args.verb, _list)(args)
    except (LookupError, PermissionError, DatabaseKeyError, KeyFileError, OSError) as exc:
        return fail(str(exc))


def _member_id(session: Any, query: str | None) -> uuid.UUID | None:
    from sqlalchemy import select

    from vipdesk.models import Member

    if not query:
        return None
    with contextlib.suppress(ValueError):  # not an id: try it as a member number
        return uuid.UUID(query)
    found = session.scalar(select(Member.id).where(Member.member_no == query.strip().upper()))
    if found is None:
        raise LookupError(f"no member {query[:40]!r} (give a member number or id)")
    return found  # type: ignore[no-any-return]


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from vipdesk.cli.identity import acting
    from vipdesk.services import audit

    engine = open_db(args)
    actor = acting(args, engine)
    with Session(engine) as session:
        rows = audit.entries(session, actor, _member_id(session, args.member),
                             limit=args.limit, action=args.action)
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r.at:%Y-%m-%d %H:%M:%S}Z\t{r.staff_no or '-'}\t{r.staff_name or '-'}\t"
                  f"{r.desk or '-'}\t{r.action}\t{r.member_no or '-'}\t{r.detail}")
    return 0 if rows else 1


def _export(args: argparse.Namespace) -> int:
    from vipdesk.cli.identity import acting
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services import audit

    engine = open_db(args)
    actor = acting(args, engine)
    out: Path = args.out.expanduser()
    tmp = out.with_name(out.name + ".partial")
    try:
        with unit_of_work(session_factory(engine)) as session, \
                tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            count = audit.export_csv(session, actor, fh, _member_id(session, args.member))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"{count} audit entries written to {out}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from vipdesk.outbox.audit_chain import AuditLogMissing, table_present, verify

    engine = open_db(args, audit_table=False)
    with engine.connect() as conn:
        if not table_present(conn):
            return fail(str(AuditLogMissing()), BROKEN)
        report = verify(conn)
    if args.json:
        print_json({"intact": report.intact, "local_desk": report.local_key,
                    "entries": report.entries, "breaks": report.breaks})
    else:
        for key, count in sorted(report.entries.items()):
            mark = " (this desk)" if key == report.local_key else ""
            print(f"{key}{mark}: {count} entries checked")
        for b in report.breaks:
            print(f"BROKEN {b.desk_key or '-'}: {b.problem} (entry id {b.entry_id})")
        print("audit log intact" if report.intact else "audit log has been tampered with")
    return 0 if report.intact else BROKEN
