"""Issuing a welcome card (SPEC §8): the member's card as PDF, printed, and logged.

A card counts as issued only when the print service accepted the job: then, and only
then, a CareContact(kind="welcome_card", channel="print") is written. A refused job
raises `CardPrintError` carrying the printer's answer, so the desk can offer retry or
"save PDF" and nothing is recorded. Runs on a worker thread (UI) or in the CLI.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import CareContact, Member, Store
from vipdesk.printing import cups
from vipdesk.printing.data import card_data
from vipdesk.printing.render import CardPdf, render_card
from vipdesk.printing.templates import CardTemplate, choose_template, load_templates
from vipdesk.services.auth import Actor
from vipdesk.services.clock import DEFAULT_TZ, Clock
from vipdesk.services.profile import load_profile
from vipdesk.services.records import MemberNotFound, member_for
from vipdesk.services.tiers import TierTable, load_tier_table

KIND = "welcome_card"
CHANNEL = "print"

# (pdf file, printer or None for the default, card size in mm, job title) → result
PrintFn = Callable[[Path, str | None, tuple[float, float], str], cups.PrintResult]


class CardPrintError(RuntimeError):
    """The card was not printed; the message says why and what to do. Nothing logged."""

    def __init__(self, result: cups.PrintResult) -> None:
        super().__init__(result.message)
        self.result = result


@dataclass(frozen=True)
class IssuedCard:
    card: CardPdf
    printer: str
    job_id: str | None
    contact_id: uuid.UUID


def cups_print(pdf: Path, printer: str | None, size_mm: tuple[float, float],
               title: str) -> cups.PrintResult:
    return cups.submit(pdf, printer, media_mm=size_mm, title=title)


def write_pdf(card: CardPdf, path: Path) -> Path:
    """Atomically: a half-written PDF never replaces a good one."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name ending in .pdf")
    if not path.parent.is_dir():
        raise ValueError(f"folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".card-", suffix=".pdf", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(card.pdf)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class CardService:
    """Thread-safe: each call opens its own session."""

    def __init__(self, engine: Engine, *, tiers: TierTable | None = None,
                 clock: Clock | None = None, store_code: str = "", brand: str | None = None,
                 print_fn: PrintFn = cups_print, tz: str = DEFAULT_TZ) -> None:
        self.factory: sessionmaker[Session] = session_factory(engine)
        if tiers is None:
            with self.factory() as session:
                tiers = load_tier_table(session)
        self.tiers = tiers
        self.clock = clock or Clock()
        self.store_code = store_code
        self.brand = brand
        self.print_fn = print_fn
        self.tz = tz  # the store's: the card's date and "birthday in 3 days"

    @staticmethod
    def templates(lang: str = "en") -> list[tuple[str, str]]:
        """(name, the name people read): the Chinese one for `lang` "zh" where given."""
        return [(t.name, (t.label_zh if lang == "zh" else "") or t.label)
                for t in load_templates().values()]

    def render(self, member_id: uuid.UUID, template: str | None = None) -> CardPdf:
        """The card as it would print now. MemberNotFound for an unknown/erased member,
        TemplateError for an unknown template, FontError without a CJK font."""
        with self.factory() as session:
            profile = load_profile(session, member_id, self.tiers, self.clock.now(),
                                   timeline_limit=0, tz=self.tz)
            if profile is None:
                raise MemberNotFound(f"no member with id {member_id}")
            store = self._store_name(session, member_id)
        chosen = self._template(profile.tier_code, template)
        data = card_data(profile, store, self.clock.today(self.tz), chosen)
        return render_card(replace(data, member_id=str(member_id)), chosen)

    def _template(self, tier_code: str | None, name: str | None) -> CardTemplate:
        """The one asked for; else the one the brand's tier table names for the tier
        (`tiers apply`); else the card folder's own choice for the tier. A tier naming a
        template that is no longer installed falls back rather than refusing to print."""
        if name:
            return choose_template(tier_code, self.brand, name)
        tier = self.tiers.get(tier_code)
        configured = tier.card_template if tier else None
        if configured and configured in load_templates():
            return choose_template(tier_code, self.brand, configured)
        return choose_template(tier_code, self.brand)

    def issue(self, actor: Actor, member_id: uuid.UUID, printer: str | None = None,
              template: str | None = None, card: CardPdf | None = None) -> IssuedCard:
        """Print `card` (what the desk previewed) or a fresh one, then log the contact."""
        with self.factory() as session:
            member_for(session, actor, "card.issue", member_id)  # before paper comes out
        if card is None or card.data is None or card.data.member_id != str(member_id):
            card = self.render(member_id, template)
        result = self._print(card, printer)
        if not result.ok:
            raise CardPrintError(result)
        contact_id = self._log(actor, member_id, result)
        return IssuedCard(card, result.printer, result.job_id, contact_id)

    def _print(self, card: CardPdf, printer: str | None) -> cups.PrintResult:
        fd, tmp = tempfile.mkstemp(prefix="vipdesk-card-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(card.pdf)
            title = f"vipdesk card {card.data.member_no if card.data else ''}".strip()
            return self.print_fn(Path(tmp), printer, card.size_mm, title)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _log(self, actor: Actor, member_id: uuid.UUID, result: cups.PrintResult) -> uuid.UUID:
        now = self.clock.now()
        # Printer and job as they are, no sentence: the outcome shows on desks in either
        # language (the card's kind and channel already say it was a printed card).
        outcome = " · ".join(part for part in (result.printer, result.job_id) if part)
        with unit_of_work(self.factory) as session:
            contact = CareContact(member_id=member_id, kind=KIND, channel=CHANNEL,
                                  outcome=outcome[:500], at=now, by=actor.staff_id,
                                  created_at=now)
            session.add(contact)
            session.flush()
            return contact.id

    def _store_name(self, session: Session, member_id: uuid.UUID) -> str:
        """This desk's store; else the member's home store; else nothing."""
        if self.store_code:
            name = session.scalar(select(Store.name).where(Store.code == self.store_code))
            if name:
                return name
        home = session.scalar(select(Store.name).join(Member, Member.home_store_id == Store.id)
                              .where(Member.id == member_id))
        return home or ""
