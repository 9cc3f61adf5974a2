"""`vipdesk whoami [--json]`: who the commands act as (exit 4 when nobody is signed in)."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import open_db, print_json


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("whoami", parents=[parent], help="who is signed in on the command line")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vipdesk.cli import identity
    from vipdesk.models import Store

    engine = open_db(args)
    actor = identity.signed_in(args, engine)
    demo = actor is None
    actor = actor or identity.acting(args, engine)  # a demo desk's manager, else exit 4
    with Session(engine) as session:
        store = session.scalar(select(Store.code).where(Store.id == actor.store_id))
    if args.json:
        print_json({"staff_no": actor.staff_no, "name": actor.name, "role": actor.role,
                    "store": store, "signed_in": not demo})
    else:
        note = "\t(demo desk: not signed in)" if demo else ""
        print(f"{actor.staff_no}\t{actor.name}\t{actor.role}\t{store or '-'}{note}")
    return 0
