"""What the history sub-commands (visit, complaint, homevisit, points) share: finding the
member from a lookup query, who acts (the person signed in with `vipdesk signin`), and
turning service errors into messages and exit codes (0 ok, 1 nothing found, 2 bad input
or not allowed, 4 nobody signed in: see `cli.identity`).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from vipdesk.cli.common import fail

if TYPE_CHECKING:  # the models and services load inside run(), keeping --help fast
    from sqlalchemy import Engine

    from vipdesk.desk import Desk
    from vipdesk.services.auth import Actor


class CliError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def resolve_member(engine: Engine, query: str) -> tuple[uuid.UUID, str]:
    """Exactly one member for the query, else a clear error listing what was found."""
    from vipdesk.services.lookup import LookupService

    outcome = LookupService(engine).search(query, limit=6)
    if not outcome.hits:
        raise CliError(f"no member matches {query!r}", 1)
    if len(outcome.hits) > 1:
        names = ", ".join(f"{h.member_no} {h.name}" for h in outcome.hits[:5])
        raise CliError(f"{query!r} matches several members ({names}…): be more specific")
    hit = outcome.hits[0]
    return hit.member_id, f"{hit.member_no} {hit.name}"


def resolve_actor(args: argparse.Namespace, engine: Engine) -> Actor:
    """The signed-in person (exit 4 without a session; a demo desk's manager there)."""
    from vipdesk.cli.identity import acting

    return acting(args, engine)


def desk_for(args: argparse.Namespace) -> tuple[Engine, Desk]:
    """The desk as the window has it — the same facades and the same store scope —
    acting as the signed-in person, so a rule cannot differ between the two doors."""
    from vipdesk.cli.common import config_from, open_db
    from vipdesk.desk import Desk

    engine = open_db(args)
    actor = resolve_actor(args, engine)
    return engine, Desk(engine, store_code=config_from(args).store, actor=actor)


def staff_id_of(engine: Engine, staff_no: str, option: str = "--advisor") -> uuid.UUID:
    """An active colleague named by an option (an advisor to assign), not who acts."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vipdesk.models import Staff

    with Session(engine) as session:
        staff = session.scalar(select(Staff).where(Staff.staff_no == staff_no.strip()))
    if staff is None:
        raise CliError(f"{option}: no staff member {staff_no!r}")
    if not staff.active:
        raise CliError(f"{option}: {staff_no} is not active")
    return staff.id  # type: ignore[no-any-return]


def parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{field}: not a date (YYYY-MM-DD): {text[:40]!r}") from None


def parse_uuid(text: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CliError(f"{field}: not an id: {text[:40]!r}") from None


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Service errors become one line on stderr and an exit code, never a traceback."""
    def wrapper(args: argparse.Namespace) -> int:
        from vipdesk.services.auth import PermissionDenied
        from vipdesk.services.records import MemberNotFound

        try:
            return run(args)
        except CliError as exc:
            return fail(str(exc), exc.code)
        except MemberNotFound as exc:
            return fail(str(exc), 1)
        except (PermissionDenied, ValueError) as exc:
            return fail(str(exc), 2)
    return wrapper


def when(value: Any, tz: str) -> str:
    """A UTC timestamp as the desk reads it: the store's time (`desk.tz`), minutes."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if value else "-"
