"""The daily care list (每日问候任务, SPEC §7): today's greetings, callbacks, deadlines and
churn warnings, built from the rules in `resources/defaults/care_templates.toml`.

How it stays fast and never forgets a task:
- every rule is a set-based range scan on an indexed date column (birthdays by their
  month-day key, purchases by time, members by join time, open complaints by state);
  churn (spend falling, tiers lapsing, silence) is about two years of history, so the
  desk keeps per-member watches current from each day's changes (`care_watch`) instead
  of summing that history every morning;
- each task has a stable `task_key` ("birthday:<member>:2026"); the first build that
  sees it stores it in `care_tasks`, so an undone task carries over (overdue) even after
  the rule stops matching, until a care contact with that key is logged;
- each rule looks back to the last build day (kept in the desk's `sync_state`), at most
  `catch_up_days`, so a desk closed over a long weekend still gets the birthdays it missed
  (as overdue), never creates a task twice, and a rebuild the same day scans one day —
  or none: when no input changed since the last build (`inputs_mark`) it skips the rules;
- the desk lists a page sorted by the database (`limit`, see `page`), with whole-list
  counts;
- tasks are desk-local (every desk derives them from synced facts; only the care
  contact that finishes one syncs), so new ones are written in bulk.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from vipdesk.models import (
    CareContact,
    CareTask,
    Member,
    Purchase,
    Staff,
    SyncState,
    Visit,
)
from vipdesk.models.base import utcnow
from vipdesk.models.lounge import birthday_md
from vipdesk.services import auth, care_festivals, care_followups, care_milestones
from vipdesk.services.auth import Actor
from vipdesk.services.care_complaints import (  # the pending states: the desk's too
    CONTACT_PENDING,
    FOLLOWUP_PENDING,
    close_complaints,
    complaint_deadlines,
)
from vipdesk.services.care_config import CareRules, load_defaults, seed_templates, stored_templates
from vipdesk.services.care_dates import add_months, add_years, utc_range
from vipdesk.services.care_items import ITEM_COLUMNS, CareItem, ItemMaker
from vipdesk.services.care_limits import held_back
from vipdesk.services.care_messages import TierWords, render
from vipdesk.services.care_plan import in_care_plan
from vipdesk.services.clock import DEFAULT_TZ, Clock
from vipdesk.services.festivals import festival_on
from vipdesk.services.tiers import TierTable

LAST_BUILD_KEY = "care.last_build_day"
INPUTS_KEY = "care.last_build_inputs"
# The desk's change marks (vipdesk.sync.state's keys: the HLC every captured write ticks,
# the pull cursor, the last sync) and the tables the rules read.
_CHANGE_KEYS = ("hlc", "cursor", "last_sync")
_INPUT_TABLES = ("members", "purchases", "visits", "complaints", "complaint_events",
                 "tier_changes", "follow_up_tasks")
_BATCH = 5000
# The desk shows at most this many of the most urgent items: far above a real store's
# day (hundreds; the dense 3,000-member demo lists ≈ 1,800), so only a chain-sized list
# is cut. Its summary and kind filter count the whole list (`CareList.counts`).
CARE_PAGE = 5000
CARE_TASKS = cast(Table, CareTask.__table__)


# -- what the list shows ---------------------------------------------------------------

@dataclass(frozen=True)
class CareList:
    day: date
    items: list[CareItem]
    created: int  # tasks this build discovered
    # When `items` is only the most urgent page (`limit`): items per status and the
    # kinds over the whole list, from one aggregate query.
    counts: dict[str, int] | None = None
    all_kinds: frozenset[str] | None = None

    @property
    def open_items(self) -> list[CareItem]:
        return [i for i in self.items if i.status != "done"]

    @property
    def open_count(self) -> int:
        if self.counts is None:
            return len(self.open_items)
        return sum(n for status, n in self.counts.items() if status != "done")

    @property
    def overdue_count(self) -> int:
        if self.counts is None:
            return sum(1 for i in self.items if i.status == "overdue")
        return self.counts.get("overdue", 0)

    @property
    def kinds(self) -> frozenset[str]:
        return self.all_kinds if self.all_kinds is not None else frozenset(
            i.kind for i in self.items)


@dataclass(frozen=True)
class Candidate:
    task_key: str
    kind: str
    member_id: uuid.UUID
    due_on: date
    due_at: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)


class CareListService:
    def __init__(self, tiers: TierTable, clock: Clock | None = None,
                 rules: CareRules | None = None, tz: str = DEFAULT_TZ) -> None:
        self.tiers = tiers
        self.clock = clock or Clock()
        self.rules = rules or load_defaults()[0]
        self.tz = ZoneInfo(tz)

    def build(self, session: Session, actor: Actor, day: date | None = None, *,
              store_id: uuid.UUID | None = None, limit: int | None = None) -> CareList:
        """Discover the day's tasks, close the done ones, list what is open (one unit of
        work; the caller commits). Advisors see only their own members; `store_id` and
        `limit` narrow the list shown (see `listing` and `page`), never the tasks
        discovered."""
        auth.require(actor, "care.view")
        day = day or self.clock.today(self.tz.key)
        first = self.catch_up_start(session, day)
        inputs = self.inputs_mark(session, day)
        created = 0
        if inputs is None or inputs != _stored_mark(session):
            created = self.discover(session, day, first)
        _remember_build(session, day, inputs)
        self.close_done(session)
        advisor = actor.staff_id if actor.role == "advisor" else None
        if limit is None:
            return CareList(day, self.listing(session, day, advisor, store_id=store_id),
                            created)
        items, counts, kinds = self.page(session, day, advisor, store_id=store_id,
                                         limit=limit)
        return CareList(day, items, created, counts, kinds)

    # -- discovering ------------------------------------------------------------------

    def discover(self, session: Session, day: date, first: date | None = None) -> int:
        """Run the rules and store the new tasks; returns how many were new. On SQLite
        (the desk) birthdays and callbacks (one per offset) are `INSERT … SELECT … ON
        CONFLICT DO NOTHING`, and the churn rules come from the watches kept current
        from the day's changes (`care_watch`): a million members' tasks never become
        Python objects and two years of history are not summed every morning."""
        if session.get_bind().dialect.name != "sqlite":
            return self.store(session, day, self.candidates(session, day, first))
        from vipdesk.services.care_watch import CareWatch

        session.flush()  # pending ORM changes first, so the statements see them
        created = self.insert_birthdays(session, day, first)
        created += self.insert_callbacks(session, day, first)
        watched = CareWatch(self).refresh(session, day)
        created += self.insert_spend(session, day, watched.spend_rows)
        watched.drop_temporaries(session.connection())
        created += care_festivals.insert_festivals(self, session, day, first)
        skip = {"birthdays", "callbacks", "festivals", "churn_spend", "churn_silence"}
        found = self.candidates(session, day, first, skip)
        found += [self.silence_candidate(day, alarm) for alarm in watched.alarms]
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
        states = {key: value for key, value in session.execute(
            select(SyncState.key, SyncState.value).where(SyncState.key.in_(_CHANGE_KEYS)))}
        conn = session.connection()
        rowids = [conn.exec_driver_sql(f"SELECT max(rowid) FROM {name}").scalar()
                  for name in _INPUT_TABLES]
        tiers = [(t.code, t.min_spend_cents, in_care_plan(t)) for t in self.tiers.tiers]
        return json.dumps([day.isoformat(), repr(self.rules), tiers,
                           [states.get(k) for k in _CHANGE_KEYS], rowids], default=str)

    def catch_up_start(self, session: Session, day: date) -> date:
        """The first due date a build of `day` looks at: the last build day (a rebuild
        the same day scans only today), never more than the catch-up days back. A build
        of a day before the last one (looking back) gets the full catch-up."""
        earliest = day - timedelta(days=self.rules.catch_up_days - 1)
        last = _last_build(session)
        if last is None or last > day:
            return earliest
        return max(last, earliest)

    def _window(self, day: date, first: date | None = None) -> tuple[date, date]:
        """Due dates a build of `day` may create: from `first` (the catch-up start, by
        default the full catch-up days) up to today."""
        return first or day - timedelta(days=self.rules.catch_up_days - 1), day

    def birthdays(self, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
        ahead = self.rules.birthday_days_ahead
        on_key = self._birthday_keys(day, first)
        rows = session.execute(select(Member.id, Member.birthday_md).where(
            Member.birthday_md.in_(sorted(on_key)), Member.erased_at.is_(None)))
        for member_id, md in rows:
            birthday = on_key[md or 0]
            festival = festival_on(birthday)
            yield Candidate(f"birthday:{member_id}:{birthday.year}", "birthday", member_id,
                            birthday - timedelta(days=ahead), context={
                                "birthday": birthday.isoformat(),
                                "festival": festival.name_zh if festival else None,
                                "festival_en": festival.name_en if festival else None})

    def _birthday_keys(self, day: date, first: date | None) -> dict[int, date]:
        """The month-day keys (`birthday_md`) whose birthday falls due in the window."""
        ahead = self.rules.birthday_days_ahead
        first, last = self._window(day, first)
        on_key: dict[int, date] = {}
        for n in range((last - first).days + 1):
            birthday = first + timedelta(days=n + ahead)
            on_key[birthday.month * 100 + birthday.day] = birthday
            if birthday.month == 2 and birthday.day == 28 and not _leap(birthday.year):
                on_key[229] = birthday  # 29 February birthdays are kept on the 28th
        return on_key

    def insert_birthdays(self, session: Session, day: date, first: date | None = None) -> int:
        """`birthdays` as SQL on SQLite: the window's few birthdays (with their festival)
        go in as a JSON list, joined to members on the `birthday_md` index."""
        ahead = timedelta(days=self.rules.birthday_days_ahead)
        days = []
        for md, birthday in self._birthday_keys(day, first).items():
            festival = festival_on(birthday)
            days.append({"md": md, "birthday": birthday.isoformat(),
                         "due": (birthday - ahead).isoformat(),
                         "festival": festival.name_zh if festival else None,
                         "festival_en": festival.name_en if festival else None})
        result = session.connection().execute(_BIRTHDAYS_SQL, {
            "days": json.dumps(days), "day": day.isoformat(),
            "now": _sqlite_stamp(utcnow())})
        return max(cast(Any, result).rowcount, 0)

    def anniversaries(self, session: Session, day: date,
                      first: date | None = None) -> Iterator[Candidate]:
        years = self.rules.anniversary_years
        first, last = self._window(day, first)
        start, end = utc_range(add_years(first, -years) - timedelta(days=1),
                               add_years(last, -years) + timedelta(days=1), self.tz)
        before = aliased(Purchase)
        earlier = select(before.id).where(before.member_id == Purchase.member_id,
                                          before.occurred_at < start)
        rows = session.execute(
            select(Purchase.member_id, func.min(Purchase.occurred_at))
            .join(Member, Member.id == Purchase.member_id)
            .where(Purchase.occurred_at >= start, Purchase.occurred_at < end,
                   Member.erased_at.is_(None), ~earlier.exists())
            .group_by(Purchase.member_id))
        for member_id, first_at in rows:
            bought = first_at.astimezone(self.tz).date()
            due = add_years(bought, years)
            if first <= due <= last:
                yield Candidate(f"anniversary:{member_id}:{due.year}", "anniversary", member_id,
                                due, context={"purchase_date": bought.isoformat()})

    def callbacks(self, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
        """3 days, 3 months and 6 months after a purchase, counted from its delivery when
        it was delivered; one call per member, kind and day however many items."""
        first, last = self._window(day, first)
        for kind, days, months in self._callback_offsets():
            # month ends clamp (29, 30, 31 Nov + 3 months = 28 Feb): pad, then filter exactly
            pad = timedelta(days=3 if months else 0)
            start, end = utc_range(_shift(first, -days, -months) - pad,
                                   _shift(last, -days, -months) + pad, self.tz)
            rows = session.execute(
                select(Purchase.member_id, Purchase.occurred_at, Purchase.delivered_at,
                       Purchase.description)
                .where(or_(and_(Purchase.occurred_at >= start, Purchase.occurred_at < end),
                           and_(Purchase.delivered_at >= start, Purchase.delivered_at < end))))
            for member_id, occurred, delivered, what in rows:
                ref = (delivered or occurred).astimezone(self.tz).date()
                due = _shift(ref, days, months)
                if first <= due <= last:
                    yield Candidate(f"{kind}:{member_id}:{ref.isoformat()}", kind, member_id,
                                    due, context={"purchase": what or "",
                                                  "purchase_date": ref.isoformat()})

    def insert_callbacks(self, session: Session, day: date, first: date | None = None) -> int:
        """`callbacks` as SQL on SQLite: the same purchases, key, due date and context,
        with the local day and the month shift in SQL."""
        first, last = self._window(day, first)
        _register_functions(session, self.tz)
        created = 0
        params = {"first": first.isoformat(), "last": last.isoformat(),
                  "day": day.isoformat(), "now": _sqlite_stamp(utcnow())}
        for kind, days, months in self._callback_offsets():
            pad = timedelta(days=3 if months else 0)
            start, end = utc_range(_shift(first, -days, -months) - pad,
                                   _shift(last, -days, -months) + pad, self.tz)
            sql = _CALLBACKS_SQL.format(local_day=_local_day_sql(
                "coalesce(delivered_at, occurred_at)", self.tz, start, end))
            result = session.connection().execute(sql_text(sql), {
                **params, "kind": kind, "plus_days": f"{days:+d} days",
                "plus_months": f"{months:+d} months", "plus_next": f"{months + 1:+d} months",
                "start": _sqlite_stamp(start), "end": _sqlite_stamp(end)})
            created += max(cast(Any, result).rowcount, 0)
        return created

    def _callback_offsets(self) -> list[tuple[str, int, int]]:
        offsets = [("callback_3d", self.rules.callback_days, 0)]
        return offsets + [(f"callback_{m}m", 0, m) for m in self.rules.callback_months]

    def churn_silence(self, session: Session, day: date,
                      first: date | None = None) -> Iterator[Candidate]:
        """Silent much longer than their usual gap between visits (two-year cadence)."""
        r = self.rules
        start, today_end = utc_range(day - timedelta(days=730), day, self.tz)
        quiet_since = today_end - timedelta(days=r.churn_min_silence_days)
        last_visit = func.max(Visit.checked_in_at)
        rows = session.execute(
            select(Visit.member_id, func.count(), func.min(Visit.checked_in_at), last_visit)
            .where(Visit.checked_in_at >= start, Visit.checked_in_at < today_end)
            .group_by(Visit.member_id)
            .having(func.count() >= r.churn_min_visits, last_visit < quiet_since))
        for member_id, count, first_at, last_at in rows:
            first_at, last_at = _aware(first_at), _aware(last_at)
            cadence = (last_at - first_at).days / (count - 1)
            silent = (day - last_at.astimezone(self.tz).date()).days
            if silent > max(r.churn_cadence_factor * cadence, r.churn_min_silence_days):
                last = last_at.astimezone(self.tz).date()
                yield Candidate(f"churn_silence:{member_id}:{last.isoformat()}",
                                "churn_silence", member_id, day,
                                context={"days_silent": silent, "cadence_days": round(cadence)})

    def silence_candidate(self, day: date, alarm: Any) -> Candidate:
        """`churn_silence`'s task for a member whose watched alarm is due (`care_watch`)."""
        last = alarm.last_visit_on
        return Candidate(f"churn_silence:{alarm.member_id}:{last.isoformat()}",
                         "churn_silence", alarm.member_id, day,
                         context={"days_silent": (day - last).days,
                                  "cadence_days": alarm.cadence_days})

    def churn_spend(self, session: Session, day: date,
                    first: date | None = None) -> Iterator[Candidate]:
        """Spend falling sharply (12 months vs the 12 before) and tiers lapsing within the
        horizon, summed only for the members who can match (`_spend_suspects`)."""
        r = self.rules
        _, now = utc_range(day, day, self.tz)
        year_ago, two_years = now - timedelta(days=365), now - timedelta(days=730)
        horizon = min(year_ago + timedelta(days=r.tier_risk_horizon_days), now)
        amount = Purchase.amount_cents
        s12 = func.sum(case((Purchase.occurred_at >= year_ago, amount), else_=0))
        prev = func.sum(case((Purchase.occurred_at < year_ago, amount), else_=0))
        keep = func.sum(case((Purchase.occurred_at >= horizon, amount), else_=0))
        dropping = and_(prev >= r.spend_drop_min_previous_yuan * 100,
                        s12 < prev * r.spend_drop_ratio)
        lapsing = [and_(s12 >= t.min_spend_cents, keep < t.min_spend_cents)
                   for t in self.tiers.tiers]
        suspects = self.spend_suspects(now).subquery()
        rows = session.execute(
            select(Purchase.member_id, s12, prev, keep)
            .where(Purchase.member_id.in_(select(suspects.c.member_id)),
                   Purchase.occurred_at >= two_years, Purchase.occurred_at < now)
            .group_by(Purchase.member_id).having(or_(dropping, *lapsing)))
        yield from self._spend_candidates(session, day, list(rows))

    def insert_spend(self, session: Session, day: date, spend: Table) -> int:
        """`churn_spend`'s tasks on SQLite from the rows of the spend watch the build
        chose (`care_watch`): spend drops and tiers at risk, by SQL."""
        stamp = utcnow()  # as the model default stamps Python-stored tasks
        conn = session.connection()
        return sum(max(cast(Any, conn.execute(stmt)).rowcount, 0)
                   for stmt in (self._spend_drop_insert(spend, day, stamp),
                                self._tier_risk_insert(spend, day, stamp)))

    def _spend_drop_insert(self, spend: Table, day: date, stamp: datetime) -> Any:
        r = self.rules
        quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        key = ("churn_spend:" + _member_text("care_spend.member_id")
               + ":" + quarter)
        context = func.json_object("spend_12m", _yuan(spend.c.s12),
                                   "spend_prev", _yuan(spend.c.prev))
        dropping = and_(spend.c.prev >= r.spend_drop_min_previous_yuan * 100,
                        spend.c.s12 < spend.c.prev * r.spend_drop_ratio)
        return _task_insert(select(
            key, spend.c.member_id,
            *_task_constants("churn_spend", day, stamp), context).where(dropping))

    def _tier_risk_insert(self, spend: Table, day: date, stamp: datetime) -> Any:
        """`TierTable.for_spend` as CASEs (the last tier reached, in the table's order)."""
        tiers = list(reversed(self.tiers.tiers))
        now_tier = case(*[(spend.c.s12 >= t.min_spend_cents, t.code) for t in tiers])
        later = case(*[(spend.c.keep >= t.min_spend_cents, t.code) for t in tiers])
        names = {t.code: t.name_zh for t in tiers}
        key = ("tier_risk:" + _member_text("care_spend.member_id") + ":" + now_tier
               + f":{day:%Y-%m}")
        context = func.json_object(
            "tier", case(names, value=now_tier),
            "tier_after", func.coalesce(case(names, value=later), "普通会员"))
        return _task_insert(select(
            key, spend.c.member_id,
            *_task_constants("tier_risk", day, stamp), context)
            .join_from(spend, Member, Member.id == spend.c.member_id)
            .where(now_tier.is_not(None), now_tier.is_distinct_from(later),
                   Member.tier_override_code.is_(None)))

    def spend_suspects(self, now: datetime) -> Any:
        """Members who may match, each found by a range scan of the purchase time index:
        - a drop needs the previous year to reach the floor: its sum over that year alone;
        - a lapse needs spend now (s12 ≥ the tier) that is gone at the horizon (keep <
          the tier), so s12 − keep, the spend in [a year ago, the horizon), is positive:
          someone bought in that window (30 days), nobody else can lapse."""
        r = self.rules
        year_ago, two_years = now - timedelta(days=365), now - timedelta(days=730)
        horizon = min(year_ago + timedelta(days=r.tier_risk_horizon_days), now)
        floor = r.spend_drop_min_previous_yuan * 100
        in_previous_year = and_(Purchase.occurred_at >= two_years, Purchase.occurred_at < year_ago)
        dropping = (select(Purchase.member_id).where(in_previous_year)
                    .group_by(Purchase.member_id)
                    .having(func.sum(Purchase.amount_cents) >= floor))
        if floor <= 0:  # no floor: anyone who bought in two years (refunds can drop too)
            dropping = select(Purchase.member_id).where(Purchase.occurred_at >= two_years,
                                                        Purchase.occurred_at < now)
        lapsing = select(Purchase.member_id).where(Purchase.occurred_at >= year_ago,
                                                   Purchase.occurred_at < horizon)
        return union(dropping, lapsing)

    def _spend_candidates(self, session: Session, day: date,
                          rows: list[Any]) -> Iterator[Candidate]:
        r = self.rules
        overridden = _overridden(session, [row[0] for row in rows])
        quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        for member_id, s12, prev, keep in rows:
            if prev >= r.spend_drop_min_previous_yuan * 100 and s12 < prev * r.spend_drop_ratio:
                yield Candidate(f"churn_spend:{member_id}:{quarter}", "churn_spend", member_id,
                                day, context={"spend_12m": f"{s12 // 100:,}",
                                              "spend_prev": f"{prev // 100:,}"})
            now_tier, later = self.tiers.for_spend(s12), self.tiers.for_spend(keep)
            if now_tier and now_tier != later and member_id not in overridden:
                key = f"tier_risk:{member_id}:{now_tier.code}:{day:%Y-%m}"
                yield Candidate(key, "tier_risk", member_id, day, context={
                    "tier": now_tier.name_zh, "tier_after": later.name_zh if later else "普通会员"})

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
            task.closed_at, task.closed_by = _aware(at), "contact"
        return (len(done) + close_complaints(session, self.clock.now())
                + care_followups.close_follow_ups(session))

    # -- listing ----------------------------------------------------------------------

    def listing(self, session: Session, day: date, advisor_id: uuid.UUID | None = None,
                *, store_id: uuid.UUID | None = None) -> list[CareItem]:
        """Open tasks known by `day` (within the carry-over limit) and those done on it,
        most urgent first. One Core query of the columns an item shows (no ORM entities:
        at 150k tasks building them was most of the build); `store_id` keeps the
        members whose home store it is or whose advisor works there."""
        day_start, day_end = utc_range(day, day, self.tz)
        window = self._in_window(day, day_start, day_end)
        stmt = (select(*ITEM_COLUMNS).select_from(CareTask)
                .join(Member, Member.id == CareTask.member_id)
                .where(window, *self._in_scope(advisor_id, store_id),
                       CareTask.id.not_in(self._held_back(window, day, day_end))))
        # Core rows from the connection: no ORM row loading for plain columns.
        make = self._maker(session, day, day_end)
        items = [make(row) for row in session.connection().execute(stmt)]
        order = {status: rank for rank, status in enumerate(_STATUSES)}
        items.sort(key=lambda i: (order[i.status], i.due_on, i.kind, i.member_no))
        return items

    def page(self, session: Session, day: date, advisor_id: uuid.UUID | None = None,
             *, store_id: uuid.UUID | None = None, limit: int = CARE_PAGE,
             ) -> tuple[list[CareItem], dict[str, int], frozenset[str]]:
        """The desk's view: the `limit` most urgent items of `listing`'s list, with the
        whole list's items per status and its kinds. The list is first copied to a
        temporary table in member order with its status computed once; the counts and
        the sorted page read the copy, and only the page's rows are parsed and rendered
        (at 150k tasks this is ≈ 2× faster than sorting and counting over the join)."""
        day_start, day_end = utc_range(day, day, self.tz)
        conn = session.connection()
        listed = self._copy_list(conn, day, day_start, day_end, advisor_id, store_id)
        counts: dict[str, int] = {}
        kinds: set[str] = set()
        for status_rank, kind, n in conn.execute(
                select(listed.c.rank, listed.c.kind, func.count())
                .group_by(listed.c.rank, listed.c.kind)):
            status = _STATUSES[status_rank]
            counts[status] = counts.get(status, 0) + n
            kinds.add(kind)
        order = (listed.c.rank, listed.c.due_on, listed.c.kind, listed.c.member_no,
                 listed.c.task_key)
        # Cut the page first, then join: SQLite would join every listed row before
        # sorting.
        top = select(listed).order_by(*order).limit(max(limit, 0)).subquery()
        stmt = (select(*ITEM_COLUMNS).select_from(top)
                .join(CareTask, CareTask.id == top.c.id)
                .join(Member, Member.id == CareTask.member_id)
                .order_by(*[top.c[c.name] for c in order]))
        make = self._maker(session, day, day_end)
        items = [make(row) for row in conn.execute(stmt)]
        for table in (listed, _LISTED_TASKS):
            table.drop(conn)
        return items, counts, frozenset(kinds)

    def _copy_list(self, conn: Any, day: date, day_start: datetime, day_end: datetime,
                   advisor_id: uuid.UUID | None, store_id: uuid.UUID | None) -> Table:
        """The list as a temporary table (task id, status rank, due day, kind, member
        number, key). Two steps on purpose: the window's tasks are copied in member
        order first, so the join to members that applies the scope walks the member
        index in order instead of seeking at random (≈ 3× faster at 150k tasks)."""
        tasks = _LISTED_TASKS
        tasks.drop(conn, checkfirst=True)
        tasks.create(conn)
        conn.execute(insert(tasks).from_select(
            [c.name for c in tasks.c],
            select(*[CARE_TASKS.c[c.name] for c in tasks.c])
            .where(self._in_window(day, day_start, day_end))
            .order_by(CareTask.member_id)))
        held = self._held_back(self._in_window(day, day_start, day_end), day, day_end)
        conn.execute(delete(tasks).where(tasks.c.id.in_(held)))
        listed = _LISTED
        listed.drop(conn, checkfirst=True)
        listed.create(conn)
        t = tasks.c
        rank = self._status_rank(day, day_end, t.closed_at, t.due_on, t.due_at)
        conn.execute(insert(listed).from_select(
            ["id", "rank", "due_on", "kind", "member_no", "task_key"],
            select(t.id, rank, t.due_on, t.kind, Member.member_no, t.task_key)
            .select_from(tasks).join(Member, Member.id == t.member_id)
            .where(*self._in_scope(advisor_id, store_id))))
        return listed

    def _held_back(self, window: Any, day: date, day_end: datetime) -> Any:
        """Open tasks the list holds back (opt-out, monthly cap: `care_limits`)."""
        return held_back(window, day, day_end, self.tz, self.rules)

    def _maker(self, session: Session, day: date, day_end: datetime) -> ItemMaker:
        return ItemMaker(day, day_end, self.clock.now(), stored_templates(session),
                         TierWords.of(self.tiers))

    def _status_rank(self, day: date, day_end: datetime, closed_at: Any, due_on: Any,
                     due_at: Any) -> Any:
        """`_ItemMaker.status` in SQL, as its index in `_STATUSES` (the sort order)."""
        return case((and_(closed_at.is_not(None), closed_at < day_end), 3),
                    (or_(due_on < day,
                         and_(due_at.is_not(None), due_at < self.clock.now())), 0),
                    (due_on == day, 1), else_=2)

    def _in_window(self, day: date, day_start: datetime, day_end: datetime) -> Any:
        """Tasks known by `day`: open ones within the carry-over limit, and those closed
        on the day (they show as done)."""
        oldest = day - timedelta(days=self.rules.carry_over_days)
        still_open = or_(CareTask.closed_at.is_(None), CareTask.closed_at >= day_end)
        return and_(CareTask.generated_on <= day,
                    or_(and_(still_open, CareTask.due_on >= oldest,
                             ~care_festivals.passed(CareTask.kind, CareTask.due_on, self, day)),
                        and_(CareTask.closed_at >= day_start, CareTask.closed_at < day_end)))

    def _in_scope(self, advisor_id: uuid.UUID | None,
                  store_id: uuid.UUID | None) -> list[Any]:
        """Whose tasks the list shows: members not erased; an advisor's own clients; a
        lounge's own members and its advisors' clients."""
        conditions: list[Any] = [Member.erased_at.is_(None)]
        if advisor_id is not None:
            conditions.append(Member.advisor_id == advisor_id)
        if store_id is not None:
            advisors_here = select(Staff.id).where(Staff.store_id == store_id)
            conditions.append(or_(Member.home_store_id == store_id,
                                  Member.advisor_id.in_(advisors_here)))
        return conditions


_STATUSES = ("overdue", "due", "upcoming", "done")


# `page`'s temporary copies of the list (see `_copy_list`), typed as the task columns
# so that dates and times compare as they are stored.
_LISTED_TASKS = Table(
    "care_listed_tasks", MetaData(),
    *[Column(name, CARE_TASKS.c[name].type)
      for name in ("id", "member_id", "due_on", "due_at", "closed_at", "kind", "task_key")],
    prefixes=["TEMPORARY"])
_LISTED = Table(
    "care_listed", MetaData(), Column("id", CARE_TASKS.c.id.type), Column("rank", Integer),
    *[Column(name, CARE_TASKS.c[name].type) for name in ("due_on", "kind", "task_key")],
    Column("member_no", String), prefixes=["TEMPORARY"])


# -- set-based rules on SQLite ----------------------------------------------------------

# Member ids are stored as 32 hex digits; task keys show them as str(UUID) does.
_MEMBER_TEXT = ("lower(substr({c}, 1, 8) || '-' || substr({c}, 9, 4) || '-' || "
                "substr({c}, 13, 4) || '-' || substr({c}, 17, 4) || '-' || substr({c}, 21))")

# One callback offset: purchases (or deliveries) in the padded range, each member's call
# on its reference day once (the key), due within the build's window. The CTE is
# materialised so each row's local day and due date are computed once; it follows the
# INSERT (not before it) so the driver sees DML and reports the rows inserted. The due
# date is `_shift` in SQL: date(ref, '+3 months') overflows (30 Nov → 2 Mar), so it is
# capped by the target month's last day.
_CALLBACKS_SQL = f"""
INSERT INTO care_tasks (task_key, member_id, kind, generated_on, due_on, due_at,
                        context, closed_at, closed_by, created_at)
WITH bought AS MATERIALIZED (
    SELECT member_id, description,
           {{local_day}} AS ref
    FROM purchases
    WHERE (occurred_at >= :start AND occurred_at < :end)
       OR (delivered_at >= :start AND delivered_at < :end)),
due AS MATERIALIZED (
    SELECT member_id, description, ref, date(min(date(ref, :plus_months),
               date(ref, 'start of month', :plus_next, '-1 day')), :plus_days) AS due_on,
           :kind || ':' || {_MEMBER_TEXT.format(c="member_id")} || ':' || ref AS task_key
    FROM bought)
SELECT task_key, member_id, :kind, :day, due_on, NULL,
       json_object('purchase', coalesce(description, ''), 'purchase_date', ref),
       NULL, NULL, :now
FROM due WHERE due_on BETWEEN :first AND :last
ON CONFLICT(task_key) DO NOTHING
"""


def _member_text(column: str) -> Any:
    return literal_column(_MEMBER_TEXT.format(c=column), String)


def _yuan(cents: Any) -> Any:
    """f"{cents // 100:,}" in SQL (floor division, as Python's, for refunds too)."""
    floored = (cents - ((cents % 100) + 100) % 100) / 100
    return func.printf("%,d", floored)


def _task_constants(kind: str, day: date, stamp: datetime) -> tuple[Any, ...]:
    """kind, generated_on, due_on (the day) and created_at, typed as their columns."""
    c = CARE_TASKS.c
    return (literal(kind, c.kind.type), literal(day, c.generated_on.type),
            literal(day, c.due_on.type), literal(stamp, c.created_at.type))


def _task_insert(rows: Any) -> Any:
    """New tasks from `rows` (key, member, kind, generated, due, created, context);
    keys already stored are left as they are."""
    columns = ["task_key", "member_id", "kind", "generated_on", "due_on",
               "created_at", "context"]
    return (sqlite_insert(CARE_TASKS).from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["task_key"]))


_BIRTHDAYS_SQL = sql_text(f"""
INSERT INTO care_tasks (task_key, member_id, kind, generated_on, due_on, due_at,
                        context, closed_at, closed_by, created_at)
WITH days AS MATERIALIZED (
    SELECT value ->> 'md' AS md, value ->> 'birthday' AS birthday, value ->> 'due' AS due,
           value ->> 'festival' AS festival, value ->> 'festival_en' AS festival_en
    FROM json_each(:days)),
found AS MATERIALIZED (
    SELECT m.id AS member_id, d.birthday, d.due, d.festival, d.festival_en,
           'birthday:' || {_MEMBER_TEXT.format(c="m.id")} || ':' || substr(d.birthday, 1, 4)
               AS task_key
    FROM days d JOIN members m ON m.birthday_md = d.md
    WHERE m.erased_at IS NULL)
SELECT task_key, member_id, 'birthday', :day, due, NULL,
       json_object('birthday', birthday, 'festival', festival, 'festival_en', festival_en),
       NULL, NULL, :now
FROM found WHERE true
ON CONFLICT(task_key) DO NOTHING
""")


def _local_day_sql(column: str, tz: ZoneInfo, start: datetime, end: datetime) -> str:
    """SQL for the desk's local day of a stored UTC time within [start, end]: a fixed
    offset when the zone keeps one over the whole range (checked hourly: China has no
    DST), else the Python function (`care_local_day`)."""
    offsets = {(start + timedelta(hours=h)).astimezone(tz).utcoffset()
               for h in range(int((end - start).total_seconds() // 3600) + 2)}
    if len(offsets) == 1:
        offset = offsets.pop() or timedelta(0)
        return f"date({column}, '{int(offset.total_seconds()):+d} seconds')"
    return f"care_local_day({column})"


def _register_functions(session: Session, tz: ZoneInfo) -> None:
    """The Python piece the SQL rules call: the desk's local day of a stored UTC time
    (zones with DST)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None

    def local_day(stamp: str | None) -> str | None:
        if stamp is None:
            return None
        at = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
        return at.astimezone(tz).date().isoformat()

    raw.create_function("care_local_day", 1, local_day, deterministic=True)


def _sqlite_stamp(at: datetime) -> str:
    """A UTC time as SQLAlchemy stores it on SQLite (naive, microseconds)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# -- small helpers -----------------------------------------------------------------------

def _shift(day: date, days: int, months: int) -> date:
    return add_months(day, months) + timedelta(days=days)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _aware(at: datetime) -> datetime:
    # Aggregates (min/max) bypass the column type on SQLite and come back naive UTC.
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _last_build(session: Session) -> date | None:
    raw = session.scalar(select(SyncState.value).where(SyncState.key == LAST_BUILD_KEY))
    return date.fromisoformat(raw) if raw else None


def _remember_build(session: Session, day: date, inputs: str | None = None) -> None:
    """Persist the newest day built (a look back at an earlier day leaves it) and the
    mark of the inputs its rules saw (an earlier day's build forgets it: the next build
    of the newest day runs its rules again)."""
    last = _last_build(session)
    if last is None or day > last:
        session.merge(SyncState(key=LAST_BUILD_KEY, value=day.isoformat()))
    if last is None or day >= last:
        session.merge(SyncState(key=INPUTS_KEY, value=inputs or ""))
    else:
        session.merge(SyncState(key=INPUTS_KEY, value=""))
    session.flush()


def _stored_mark(session: Session) -> str | None:
    return session.scalar(select(SyncState.value).where(SyncState.key == INPUTS_KEY)) or None


def _overridden(session: Session, member_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for i in range(0, len(member_ids), 500):
        found.update(session.scalars(select(Member.id).where(
            Member.id.in_(member_ids[i:i + 500]), Member.tier_override_code.is_not(None))))
    return found


__all__ = ["CONTACT_PENDING", "FOLLOWUP_PENDING", "CareItem", "CareList", "CareListService",
           "CareRules", "birthday_md", "load_defaults", "render", "seed_templates"]
