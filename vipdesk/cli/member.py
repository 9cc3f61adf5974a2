"""`vipdesk member add|edit|show`: registering a VIP and keeping their file current from a
script, with the desk's rules (consent, duplicate checks, roles, audit)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from vipdesk.cli.history_common import CliError, guarded

if TYPE_CHECKING:
    import uuid

    from sqlalchemy import Engine

    from vipdesk.services.member_edit import MemberChanges

CONTACT_OPTIONS = ("name_zh", "name_latin", "gender", "email", "address")
FILE_OPTIONS = ("occupation", "family", "hobbies", "career", "lifestyle", "referral",
                "purchase_intent")


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("member", parents=[parent], help="register and edit members")
    actions = p.add_subparsers(dest="member_action", required=True)
    add = actions.add_parser("add", parents=[parent], help="register a new member")
    _person_options(add)
    add.add_argument("--phone", action="append", default=[], help="mobile (repeatable)")
    add.add_argument("--card", action="append", default=[], help="card number (repeatable)")
    add.add_argument("--occupation")
    add.add_argument("--advisor", metavar="STAFF_NO", help="assign an advisor (managers)")
    add.add_argument("--pref", action="append", default=[], metavar="TAG=VALUE",
                     help="a preference, e.g. drink=龙井 (repeatable)")
    add.add_argument("--consent", action="store_true",
                     help="the customer agreed to the registration of their personal data")
    add.add_argument("--same-person-ok", action="store_true",
                     help="register even though a member has the same name and birthday")
    add.add_argument("--json", action="store_true")
    add.set_defaults(run=guarded(run_add))
    edit = actions.add_parser("edit", parents=[parent], help="change a member's file")
    edit.add_argument("query", metavar="MEMBER", help="phone, card, member number or name")
    _person_options(edit)
    for name in FILE_OPTIONS:
        edit.add_argument("--" + name.replace("_", "-"))
    edit.add_argument("--phone-add", action="append", default=[])
    edit.add_argument("--phone-remove", action="append", default=[])
    edit.add_argument("--card-add", action="append", default=[])
    edit.add_argument("--card-remove", action="append", default=[])
    edit.add_argument("--pref", action="append", default=[], metavar="TAG=VALUE",
                      help="add a preference (repeatable)")
    edit.add_argument("--pref-remove", action="append", default=[], metavar="TAG",
                      help="remove every preference with this tag (repeatable)")
    edit.add_argument("--advisor", metavar="STAFF_NO", help="assign (or 'none'; managers)")
    edit.add_argument("--tier", metavar="CODE", help="override the tier (or 'none'; managers)")
    edit.add_argument("--tier-reason", help="why (required with --tier)")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(run=guarded(run_edit))
    show = actions.add_parser("show", parents=[parent], help="a member's editable file")
    show.add_argument("query", metavar="MEMBER")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=guarded(run_show))
    merge = actions.add_parser("merge", parents=[parent],
                               help="merge two records of one person (managers)")
    merge.add_argument("keep", metavar="KEEP", help="the member to keep")
    merge.add_argument("remove", metavar="REMOVE", help="the duplicate, deleted once merged")
    merge.add_argument("--yes", action="store_true", help="confirm: the duplicate goes")
    merge.add_argument("--json", action="store_true")
    merge.set_defaults(run=guarded(run_merge))


def _person_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name-zh", help="Chinese name")
    p.add_argument("--name-latin", help="Latin name")
    p.add_argument("--gender", choices=("F", "M"))
    p.add_argument("--birthday", metavar="YYYY-MM-DD")
    p.add_argument("--email")
    p.add_argument("--address")


def _prefs(pairs: list[str]) -> list[tuple[str, str]]:
    prefs = []
    for pair in pairs:
        tag, sep, value = pair.partition("=")
        if not sep or not tag.strip():
            raise CliError(f"--pref: TAG=VALUE expected, got {pair[:40]!r}")
        prefs.append((tag.strip(), value.strip()))
    return prefs


def _setup(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace
    from typing import cast

    from vipdesk.cli.common import open_db
    from vipdesk.cli.history_common import resolve_actor
    from vipdesk.db import session_factory
    from vipdesk.services.clock import Clock
    from vipdesk.services.member_edit import DeskParts, MemberDesk
    from vipdesk.services.tiers import load_tier_table

    engine = open_db(args)
    factory = session_factory(engine)
    with factory() as s:
        table = load_tier_table(s)
    # What MemberDesk reads of a desk: its database, clock, tiers and who acts.
    parts = SimpleNamespace(factory=factory, clock=Clock(), tiers=table,
                            actor=resolve_actor(args, engine),
                            store_code=getattr(args, "store", None) or "")
    return engine, MemberDesk(cast(DeskParts, parts))


def _staff_id(engine: Engine, staff_no: str | None) -> Any:
    """The staff id for --advisor; None for 'none'; UNCHANGED when not given."""
    from vipdesk.services.member_edit import UNCHANGED

    if staff_no is None:
        return UNCHANGED
    if staff_no.strip().lower() == "none":
        return None
    from vipdesk.cli.history_common import staff_id_of

    return staff_id_of(engine, staff_no)


def run_add(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import parse_date
    from vipdesk.services.member_edit import UNCHANGED, Registration

    engine, desk = _setup(args)
    advisor = _staff_id(engine, args.advisor)
    draft = Registration(
        name_zh=args.name_zh, name_latin=args.name_latin, gender=args.gender,
        birthday=parse_date(args.birthday, "--birthday") if args.birthday else None,
        phones=args.phone, cards=args.card, email=args.email, address=args.address,
        occupation=args.occupation, advisor_id=None if advisor is UNCHANGED else advisor,
        preferences=_prefs(args.pref), consent=args.consent,
        same_person_ok=args.same_person_ok)
    done = desk.register(draft)
    if args.json:
        print_json(done)
    else:
        print(f"{done.member_no}\t{done.name}\tregistered\t{done.member_id}")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import resolve_member

    engine, desk = _setup(args)
    member_id, label = resolve_member(engine, args.query)
    changes = _changes(engine, desk, member_id, args)
    done = desk.apply(member_id, changes)
    if args.json:
        print_json({"member_id": member_id, "member": label, "changed": done})
    else:
        print(f"{label}\t" + ("; ".join(done) if done else "nothing changed"))
    return 0


def _changes(engine: Engine, desk: Any, member_id: uuid.UUID,
             args: argparse.Namespace) -> MemberChanges:
    from vipdesk.cli.history_common import parse_date
    from vipdesk.services.member_edit import MemberChanges

    changes = MemberChanges(
        contact={k: getattr(args, k) for k in CONTACT_OPTIONS if getattr(args, k) is not None},
        file={k: getattr(args, k) for k in FILE_OPTIONS if getattr(args, k) is not None},
        phones_add=args.phone_add, cards_add=args.card_add, cards_remove=args.card_remove,
        prefs_add=_prefs(args.pref), advisor_id=_staff_id(engine, args.advisor))
    if args.birthday is not None:
        changes.contact["birthday"] = (parse_date(args.birthday, "--birthday")
                                       if args.birthday else None)
    view = desk.edit_view(member_id)
    changes.phones_remove = _phone_ids(engine, member_id, args.phone_remove)
    removed = {t.strip() for t in args.pref_remove}
    changes.prefs_remove = [p.id for p in view.preferences if p.tag in removed]
    if args.tier is not None:
        code = None if args.tier.lower() == "none" else args.tier
        changes.tier_override = (code, args.tier_reason or "")
    elif args.tier_reason:
        raise CliError("--tier-reason goes with --tier")
    return changes


def _phone_ids(engine: Engine, member_id: uuid.UUID, numbers: list[str]) -> list[uuid.UUID]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vipdesk.models import MemberPhone
    from vipdesk.services import phones

    ids = []
    with Session(engine) as s:
        for raw in numbers:
            e164 = phones.try_normalize(raw)
            found = s.scalar(select(MemberPhone.id).where(
                MemberPhone.member_id == member_id, MemberPhone.e164 == e164))
            if e164 is None or found is None:
                raise CliError(f"--phone-remove: not a phone of this member: {raw[:40]!r}")
            ids.append(found)
    return ids


def run_show(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import resolve_member

    engine, desk = _setup(args)
    member_id, label = resolve_member(engine, args.query)
    view = desk.edit_view(member_id)
    if args.json:
        print_json({**asdict(view), "may": sorted(view.may)})
        return 0
    print(label)
    for name in ("name_zh", "name_latin", "gender", "birthday", "email", "address"):
        print(f"  {name}: {getattr(view, name) or '-'}")
    print(f"  phones: {', '.join(m for _i, m in view.phones) or '-'}")
    print(f"  cards: {', '.join(view.cards) or '-'}")
    for pref in view.preferences:
        print(f"  pref {pref.tag}: {pref.value}  ({pref.by or '-'})")
    for field, value in view.file.items():
        print(f"  {field}: {value}")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import resolve_member
    from vipdesk.db import unit_of_work
    from vipdesk.services.member_merge import merge_members

    engine, desk = _setup(args)
    keep_id, keep = resolve_member(engine, args.keep)
    remove_id, remove = resolve_member(engine, args.remove)
    if not args.yes:
        raise CliError(f"this deletes {remove} after moving its records to {keep}: "
                       "add --yes to go ahead")
    parts = desk.desk
    with unit_of_work(parts.factory) as s:
        done = merge_members(s, parts.actor, keep_id, remove_id, parts.tiers, parts.clock)
    if args.json:
        print_json(done)
    else:
        print(f"{keep}\tmerged {done.removed_no}: {done.moved} records moved"
              + (f", filled {', '.join(done.filled)}" if done.filled else ""))
    return 0
