"""`CareListService`: one build of the day's list (discover the new tasks, close the
done ones, list what is open) and the memory of builds that makes it incremental (the
last build day and the mark of the inputs it saw, in the desk's `sync_state`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from vipdesk.models import CareContact, CareTask
from vipdesk.services import auth, care_festivals, care_followups, care_milestones
from vipdesk.services.auth import Actor
from vipdesk.services.care_common import Candidate, window
from vipdesk.services.care_complaints import close_complaints, complaint_deadlines
from vipdesk.services.care_config import CareRules, load_defaults
from vipdesk.services.care_items import CareItem
from vipdesk.services.care_plan import in_care_plan
from vipdesk.services.care_watch import CareWatch
from vipdesk.services.carelist import listing as lists
from vipdesk.services.carelist import marks, rules, sql_rules
from vipdesk.services.carelist.listing import CARE_PAGE, CareList
from vipdesk.services.clock import DEFAULT_TZ, Clock
from vipdesk.services.tiers import TierTable

_BATCH = 5000
CARE_TASKS = cast(Table, CareTask.__table__)
# The rules the desk runs as SQL or from the watches, not through `candidates`.
_SET_BASED = frozenset({"birthdays", "callbacks", "festivals", "churn_spend", "churn_silence"})


class CareListService:
    def __init__(self, tiers: TierTable, clock: Clock | None = None,
                 rules: CareRules | None = None, tz: str = DEFAULT_TZ) -> None:
        self.tiers = tiers
        self.clock = clock or Clock()
        self.rules = rules or load_defaults()[0]
        self.tz = ZoneInfo(tz)

    def build(self, session: Session, actor: Actor, day: date | None = None, *,
              store_id: uuid.UUID | None = None, limit: int | None = None,
              staff_language: str = "zh") -> CareList:
        """Discover the day's tasks, close the done ones, list what is open (one unit of
        work; the caller commits). Advisors see only their own members; `store_id` and
        `limit` narrow the list shown (see `listing` and `page`), never the tasks
        discovered. `staff_language`: the desk's, for the instructions to staff."""
        auth.require(actor, "care.view")
        day = day or self.clock.today(self.tz.key)
        first = self.catch_up_start(session, day)
        inputs = self.inputs_mark(session, day)
        created = 0
        if inputs is None or inputs != marks.stored_mark(session):
            created = self.discover(session, day, first)
        marks.remember_build(session, day, inputs)
        self.close_done(session)
        advisor = actor.staff_id if actor.role == "advisor" else None
        if limit is None:
            return CareList(day, self.listing(session, day, advisor, store_id=store_id,
                                              staff_language=staff_language), created)
        items, counts, kinds = self.page(session, day, advisor, store_id=store_id,
                                         limit=limit, staff_language=staff_language)
        return CareList(day, items, created, counts, kinds)

    # -- discovering ------------------------------------------------------------------

    def discover(self, session: Session, day: date, first: date | None = None) -> int:
        """Run the rules and store the new tasks; returns how many were new. On SQLite
        (the desk) birthdays, callbacks and festivals are `INSERT … SELECT … ON CONFLICT
        DO NOTHING` (`sql_rules`), and the churn rules come from the watches kept current
        from the day's changes (`care_watch`): a million members' tasks never become
        Python objects and two years of history are not summed every morning."""
        if session.get_bind().dialect.name != "sqlite":
            return self.store(session, day, self.candidates(session, day, first))
        session.flush()  # pending ORM changes first, so the statements see them
        created = self.insert_birthdays(session, day, first)
        created += self.insert_callbacks(session, day, first)
        # Festivals read the triggers' marks, which refreshing the watches consumes.
        created += sql_rules.insert_festivals(self, session, day, first)
        watched = CareWatch(self).refresh(session, day)
        created += self.insert_spend(session, day, watched.spend_rows)
        watched.drop_temporaries(session.connection())
        found = self.candidates(session, day, first, _SET_BASED)
        found += [rules.silence_candidate(day, alarm) for alarm in watched.alarms]
        return created + self.store(session, day, found)

    def candidates(self, session: Session, day: date, first: date | None = None,
                   skip: frozenset[str] | set[str] = frozenset()) -> list[Candidate]:
        found: list[Candidate] = []
        for rule in self.rules_in_order():
            if rule.__name__ not in skip:
                found.extend(rule(session, day, first))
        return found

    def rules_in_order(self) -> tuple[Any, ...]:
        """Each rule is called (session, day, first) and named by its `__name__`."""
        return (self.birthdays, self.anniversaries, self.callbacks,
                *[self._rule(rule) for rule in (
                    care_milestones.welcome_calls, care_milestones.tier_upgrades,
                    care_festivals.festivals, care_followups.follow_ups, complaint_deadlines)],
                self.churn_silence, self.churn_spend)

    def _rule(self, rule: Any) -> Any:
        """A rule of another module, bound to this service."""
        def bound(session: Session, day: date, first: date | None = None) -> Any:
            return rule(self, session, day, first)
        bound.__name__ = rule.__name__
        return bound

    # The reference rules (`rules`) and their SQL versions (`sql_rules`), as methods so
    # that tests and the benchmark reach (and time) each one.

    def birthdays(self, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
        return rules.birthdays(self, session, day, first)

    def anniversaries(self, session: Session, day: date,
                      first: date | None = None) -> Iterator[Candidate]:
        return rules.anniversaries(self, session, day, first)

    def callbacks(self, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
        return rules.callbacks(self, session, day, first)

    def churn_silence(self, session: Session, day: date,
                      first: date | None = None) -> Iterator[Candidate]:
        return rules.churn_silence(self, session, day, first)

    def churn_spend(self, session: Session, day: date,
                    first: date | None = None) -> Iterator[Candidate]:
        return rules.churn_spend(self, session, day, first)

    def _spend_candidates(self, session: Session, day: date,
                          rows: list[Any]) -> Iterator[Candidate]:
        return rules.spend_candidates(self, session, day, rows)

    def insert_birthdays(self, session: Session, day: date, first: date | None = None) -> int:
        return sql_rules.insert_birthdays(self, session, day, first)

    def insert_callbacks(self, session: Session, day: date, first: date | None = None) -> int:
        return sql_rules.insert_callbacks(self, session, day, first)

    def insert_spend(self, session: Session, day: date, spend: Table) -> int:
        return sql_rules.insert_spend(self, session, day, spend)

    def inputs_mark(self, session: Session, day: date) -> str | None:
        """What the rules read, as of now: the day, the rules and tier thresholds, and the
        desk's change marks. A same-day rebuild whose mark equals the last build's skips
        the rules: with the same facts, its window (today only) finds a subset of what
        the last build found and stored. Every synced write on this desk ticks the HLC
        (`sync_state` "hlc", written with the outbox row), every pull moves the cursor;
        the largest rowid of each input table also catches rows written around the
        outbox (the demo builder). SQLite desks only (the centre builds no lists)."""
        if session.get_bind().dialect.name != "sqlite":
            return None
        tiers = [(t.code, t.min_spend_cents, in_care_plan(t)) for t in self.tiers.tiers]
        return marks.inputs_mark(session, day, [repr(self.rules), tiers])

    def catch_up_start(self, session: Session, day: date) -> date:
        """The first due date a build of `day` looks at: the last build day (a rebuild
        the same day scans only today), never more than the catch-up days back. A build
        of a day before the last one (looking back) gets the full catch-up."""
        earliest = window(self, day)[0]
        last = marks.last_build(session)
        if last is None or last > day:
            return earliest
        return max(last, earliest)

    # -- remembering ------------------------------------------------------------------

    def store(self, session: Session, day: date, found: Iterable[Candidate]) -> int:
        """Insert the tasks not seen before (in bulk: tasks are desk-local, so no outbox
        row is owed); returns how many were new."""
        fresh = {c.task_key: c for c in found}
        known: set[str] = set()
        keys = list(fresh)
        for i in range(0, len(keys), _BATCH):
            known.update(session.scalars(select(CareTask.task_key)
                                         .where(CareTask.task_key.in_(keys[i:i + _BATCH]))))
        rows = [{"task_key": key,
                 "member_id": c.member_id, "kind": c.kind, "generated_on": day,
                 "due_on": c.due_on, "due_at": c.due_at,
                 "context": json.dumps(c.context, ensure_ascii=False)}
                for key, c in fresh.items() if key not in known]
        session.flush()  # pending ORM changes first, so the bulk insert sees them
        for i in range(0, len(rows), _BATCH):
            session.execute(insert(CARE_TASKS), rows[i:i + _BATCH])  # Core executemany
        return len(rows)

    def close_done(self, session: Session) -> int:
        """Close open tasks that a care contact (or the complaint's progress) finished."""
        done = session.execute(
            select(CareTask, func.min(CareContact.at))
            .join(CareContact, CareContact.task_key == CareTask.task_key)
            .where(CareTask.closed_at.is_(None)).group_by(CareTask.id)).all()
        for task, at in done:
            task.closed_at, task.closed_by = rules.aware(at), "contact"
        return (len(done) + close_complaints(session, self.clock.now())
                + care_followups.close_follow_ups(session))

    # -- listing (`listing`) ------------------------------------------------------------

    def listing(self, session: Session, day: date, advisor_id: uuid.UUID | None = None,
                *, store_id: uuid.UUID | None = None, staff_language: str = "zh"
                ) -> list[CareItem]:
        return lists.listing(self, session, day, advisor_id, store_id=store_id,
                             staff_language=staff_language)

    def page(self, session: Session, day: date, advisor_id: uuid.UUID | None = None,
             *, store_id: uuid.UUID | None = None, limit: int = CARE_PAGE,
             staff_language: str = "zh") -> tuple[list[CareItem], dict[str, int], frozenset[str]]:
        return lists.page(self, session, day, advisor_id, store_id=store_id, limit=limit,
                          staff_language=staff_language)

