"""The member's file at the desk: finding a member, opening the card (an audited view),
the timeline, revealing a masked number, renumbering, importing members from a CSV file.
Bound to the signed-in person."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vipdesk.db import unit_of_work
from vipdesk.desk.parts import DeskParts
from vipdesk.desk.records import VisitsDesk
from vipdesk.services import members as member_records
from vipdesk.services.card_view import CardView
from vipdesk.services.import_batches import ImportReport
from vipdesk.services.import_rejects import RejectionSink
from vipdesk.services.importer import Preview, import_members, preview_members
from vipdesk.services.lookup import LookupOutcome, LookupService
from vipdesk.services.privacy import open_member_file, read_member_file, reveal_phones
from vipdesk.services.profile import MemberProfile
from vipdesk.services.timeline import TimelineEntry, timeline


@dataclass(frozen=True)
class ImportOutcome:
    report: ImportReport
    rejected_file: str | None  # every rejected row with its line and reason, if any


class MembersDesk:
    def __init__(self, desk: DeskParts, visits: VisitsDesk) -> None:
        self.desk, self.visits = desk, visits
        self.lookup = LookupService(desk.engine, desk.tiers)

    def search(self, query: str, limit: int = 50) -> LookupOutcome:
        return self.lookup.search(query, limit)

    def profile(self, member_id: uuid.UUID, how: str = "lookup") -> MemberProfile | None:
        """The member card as the signed-in person may see it; the view is audited."""
        desk = self.desk
        with unit_of_work(desk.factory) as s:
            return open_member_file(s, desk.actor, member_id, desk.tiers, desk.clock, how,
                                    tz=desk.tz)

    def open_card(self, member_id: uuid.UUID, how: str = "lookup", *,
                  again: bool = False) -> CardView | None:
        """The card with what it offers, in one trip. Opening is audited (a write: the
        window runs it on the write lane); `again` re-reads the card the person already
        has open (after a change), which is not a new view."""
        desk = self.desk
        with unit_of_work(desk.factory) as s:
            profile = (read_member_file(s, desk.actor, member_id, desk.tiers, desk.clock,
                                        tz=desk.tz)
                       if again else
                       open_member_file(s, desk.actor, member_id, desk.tiers, desk.clock, how,
                                        tz=desk.tz))
        if profile is None:
            return None
        return CardView(profile, self.visits.in_lounge_since(member_id),
                        desk.may("care.log.own", member_id),
                        tuple(self.visits.voidable(member_id)))

    def timeline(self, member_id: uuid.UUID, before: tuple[datetime, uuid.UUID] | None = None,
                 kinds: tuple[str, ...] | None = None, limit: int = 50) -> list[TimelineEntry]:
        with self.desk.factory() as s:
            return timeline(s, member_id, limit=limit, before=before, kinds=kinds)

    def reveal_phones(self, member_id: uuid.UUID, reason: str) -> list[str]:
        """The full numbers, for a stated reason (audited)."""
        desk = self.desk
        with unit_of_work(desk.factory) as s:
            return reveal_phones(s, desk.actor, member_id, reason, desk.clock)

    def change_member_no(self, member_id: uuid.UUID, member_no: str) -> str:
        """Renumber a member (an ordinary, synced edit); returns the old number."""
        desk = self.desk
        with unit_of_work(desk.factory) as s:
            return member_records.change_member_no(s, desk.actor, member_id, member_no,
                                                   desk.clock)

    def import_preview(self, path: Path | str, encoding: str | None = None,
                       rows: int = 20) -> Preview:
        """The file's first rows as the import would store them; writes nothing."""
        return preview_members(self.desk.factory, path, rows, encoding, self.desk.today())

    def import_file(self, path: Path | str, encoding: str | None = None,
                    progress: Callable[[int], bool] | None = None) -> ImportOutcome:
        """Import the file (the import owns its sessions: one transaction per batch);
        every rejected row goes to the file beside it, as the command line does."""
        desk = self.desk
        with RejectionSink(str(path), as_json=False) as sink:
            report = import_members(desk.factory, path, desk.actor, today=desk.today(),
                                    encoding=encoding, on_reject=sink.write,
                                    progress=progress)
        return ImportOutcome(report, sink.path if sink.count else None)
