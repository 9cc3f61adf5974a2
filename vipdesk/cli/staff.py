"""`vipdesk staff add|list|set-password|disable|enable|unlock|init-admin`: accounts.

Every verb but `init-admin` acts as the person signed in with `vipdesk signin`; the
service allows it to an administrator only (`staff.manage`), and every change names
them in the audit log. `init-admin` creates the first administrator of a desk that has
none (refused once one exists) and needs no sign-in: nobody could sign in yet.
Secrets are never taken on the command line (they would show in `ps` and shell
history): they are prompted for twice, or read from one line of standard input with
`--stdin`; an empty entry or the end of input is a one-line refusal.
"""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import fail, open_db, print_json


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    # The common options (--db, --store) go on each verb: `vipdesk staff list --db F`.
    p = sub.add_parser("staff", help="manage staff accounts")
    verbs = p.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", parents=[parent], help="create an account")
    _account_args(add)
    add.add_argument("--role", required=True, choices=("staff", "manager", "advisor", "admin"))
    add.add_argument("--home-store", dest="store_code", help="their store code (e.g. SH01)")
    add.add_argument("--no-secret", action="store_true", help="create without a PIN yet")
    admin = verbs.add_parser("init-admin", parents=[parent],
                             help="create the first administrator (refused if one exists)")
    _account_args(admin)
    lst = verbs.add_parser("list", parents=[parent], help="list accounts")
    lst.add_argument("--json", action="store_true")
    for verb, text in (("set-password", "set a PIN/password"), ("disable", "disable"),
                       ("enable", "re-enable"), ("unlock", "clear a lock-out")):
        v = verbs.add_parser(verb, parents=[parent], help=f"{text} an account")
        v.add_argument("staff_no")
        if verb == "set-password":
            _secret_args(v)
    p.set_defaults(run=run)


def _account_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("staff_no")
    p.add_argument("--name", required=True)
    _secret_args(p)


def _secret_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stdin", action="store_true",
                   help="read the PIN/password from one line of standard input")


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.identity import NoSecret
    from vipdesk.crypto import DatabaseKeyError, KeyFileError
    from vipdesk.services.staff import StaffError

    try:
        return _VERBS[args.verb](args)
    except (StaffError, NoSecret, PermissionError, DatabaseKeyError, KeyFileError) as exc:
        return fail(str(exc))


def _read_secret(args: argparse.Namespace) -> str:
    from vipdesk.cli.identity import read_secret
    from vipdesk.services.staff import StaffError, secret_problem

    try:
        secret = read_secret(args.stdin, confirm=True)
    except ValueError as exc:
        raise StaffError(str(exc)) from None
    problem = secret_problem(secret)
    if problem:
        raise StaffError(problem)
    return secret


def _signed_in(args: argparse.Namespace) -> tuple[Any, Any]:
    """The engine and the signed-in person, before any secret is asked for."""
    from vipdesk.cli.identity import acting

    engine = open_db(args)
    return engine, acting(args, engine)


def _write(engine: Any, work: Any, done: str = "") -> int:
    """Run `work(session)` in one transaction; print what it returned, or `done`."""
    from vipdesk.db import session_factory, unit_of_work

    with unit_of_work(session_factory(engine)) as session:
        message = work(session)
    print(done or message)
    return 0


def _add(args: argparse.Namespace) -> int:
    from vipdesk.services import staff

    engine, actor = _signed_in(args)
    secret = None if args.no_secret else _read_secret(args)
    return _write(engine, lambda s: "added " + _describe(staff.add_staff(
        s, actor, args.staff_no, args.name, args.role, secret, args.store_code)))


def _init_admin(args: argparse.Namespace) -> int:
    from vipdesk.services import staff

    engine = open_db(args)
    secret = _read_secret(args)
    return _write(engine, lambda s: "first administrator " + _describe(
        staff.init_admin(s, args.staff_no, args.name, secret)))


def _set_password(args: argparse.Namespace) -> int:
    from vipdesk.services import staff

    engine, actor = _signed_in(args)
    secret = _read_secret(args)
    return _write(engine, lambda s: staff.set_secret(s, actor, args.staff_no, secret),
                  f"{args.staff_no}: PIN/password set")


def _set_active(args: argparse.Namespace) -> int:
    from vipdesk.services import staff

    engine, actor = _signed_in(args)
    active = args.verb == "enable"
    return _write(engine, lambda s: staff.set_active(s, actor, args.staff_no, active),
                  f"{args.staff_no}: {'enabled' if active else 'disabled'}")


def _unlock(args: argparse.Namespace) -> int:
    from vipdesk.services import staff

    engine, actor = _signed_in(args)
    return _write(engine, lambda s: staff.unlock(s, actor, args.staff_no),
                  f"{args.staff_no}: unlocked")


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from vipdesk.services import staff

    engine, actor = _signed_in(args)
    with Session(engine) as session:
        accounts = staff.list_staff(session, actor)
    if args.json:
        print_json(accounts)
    else:
        for a in accounts:
            print(_describe(a))
    return 0 if accounts else 1


def _describe(a: Any) -> str:
    flags = [f for f, on in (("disabled", not a.active), ("no PIN", not a.has_secret)) if on]
    if a.locked_until is not None:
        flags.append(f"locked until {a.locked_until:%Y-%m-%d %H:%M} UTC")
    return f"{a.staff_no}\t{a.name}\t{a.role}\t{a.store_code or '-'}" + \
        (f"\t({', '.join(flags)})" if flags else "")


_VERBS = {"add": _add, "init-admin": _init_admin, "set-password": _set_password,
          "disable": _set_active, "enable": _set_active, "unlock": _unlock, "list": _list}
