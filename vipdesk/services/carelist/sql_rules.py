"""The rules as set-based SQL on SQLite (the desk): `INSERT … SELECT … ON CONFLICT DO
NOTHING` per rule, so a million members' tasks never become Python objects. Each stores
exactly the rows (keys, due dates, contexts) its Python reference in `rules` (or
`care_festivals`) would; tests/services/test_carelist.py and test_care_sql_rules.py
compare them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    String,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    union,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vipdesk.models import CareDirtyMember, CareTask, Member, TierChange
from vipdesk.models.base import utcnow
from vipdesk.services import care_festivals
from vipdesk.services.care_common import CareSettings, window
from vipdesk.services.carelist import marks
from vipdesk.services.carelist.rules import birthday_keys, callback_offsets, callback_range
from vipdesk.services.festivals import festival_on

CARE_TASKS = cast(Table, CareTask.__table__)

# Member ids are stored as 32 hex digits; task keys show them as str(UUID) does.
_MEMBER_TEXT = ("lower(substr({c}, 1, 8) || '-' || substr({c}, 9, 4) || '-' || "
                "substr({c}, 13, 4) || '-' || substr({c}, 17, 4) || '-' || substr({c}, 21))")

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

# One callback offset: purchases (or deliveries) in the padded range, each member's call
# on its reference day once (the key), due within the build's window. The CTE is
# materialised so each row's local day and due date are computed once; it follows the
# INSERT (not before it) so the driver sees DML and reports the rows inserted. The due
# date is `rules.shift` in SQL: date(ref, '+3 months') overflows (30 Nov → 2 Mar), so
# it is capped by the target month's last day.
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


def insert_birthdays(svc: CareSettings, session: Session, day: date,
                     first: date | None = None) -> int:
    """`rules.birthdays`: the window's few birthdays (with their festival) go in as a
    JSON list, joined to members on the `birthday_md` index."""
    ahead = timedelta(days=svc.rules.birthday_days_ahead)
    days = []
    for md, birthday in birthday_keys(svc, day, first).items():
        festival = festival_on(birthday)
        days.append({"md": md, "birthday": birthday.isoformat(),
                     "due": (birthday - ahead).isoformat(),
                     "festival": festival.name_zh if festival else None,
                     "festival_en": festival.name_en if festival else None})
    result = session.connection().execute(_BIRTHDAYS_SQL, {
        "days": json.dumps(days), "day": day.isoformat(), "now": sqlite_stamp(utcnow())})
    return _count(result)


def insert_callbacks(svc: CareSettings, session: Session, day: date,
                     first: date | None = None) -> int:
    """`rules.callbacks`: the same purchases, key, due date and context, with the local
    day and the month shift in SQL."""
    first, last = window(svc, day, first)
    _register_functions(session, svc.tz)
    created = 0
    params = {"first": first.isoformat(), "last": last.isoformat(),
              "day": day.isoformat(), "now": sqlite_stamp(utcnow())}
    for kind, days, months in callback_offsets(svc):
        start, end = callback_range(svc, first, last, days, months)
        sql = _CALLBACKS_SQL.format(local_day=_local_day_sql(
            "coalesce(delivered_at, occurred_at)", svc.tz, start, end))
        created += _count(session.connection().execute(sql_text(sql), {
            **params, "kind": kind, "plus_days": f"{days:+d} days",
            "plus_months": f"{months:+d} months", "plus_next": f"{months + 1:+d} months",
            "start": sqlite_stamp(start), "end": sqlite_stamp(end)}))
    return created


def insert_festivals(svc: CareSettings, session: Session, day: date,
                     first: date | None = None) -> int:
    """`care_festivals.festivals`: one statement per festival greeting due, for every
    care-plan member; for a festival still ahead whose greeting fell due before the
    window, only for the members written since the last build (`_written_since`): the
    rest were greeted by the build that saw it due, and asking a million members again
    on each day ahead would cost a second each."""
    created = 0
    for named, on, due in care_festivals.greetings_due(svc, day, first):
        created += _insert_festival(svc, session, day, named, on, due)
    late = care_festivals.still_ahead(svc, day, first)
    if late:
        written = _written_since(session)
        for named, on, due in late:
            created += _insert_festival(svc, session, day, named, on, due, written)
    return created


def _insert_festival(svc: CareSettings, session: Session, day: date,
                     named: care_festivals.Festival, on: date, due: date,
                     among: Any = None) -> int:
    key = f"{care_festivals.KIND}:" + member_text("members.id") + f":{named.code}:{on.year}"
    kind, generated, _, stamp = task_constants(care_festivals.KIND, day, utcnow())
    context = json.dumps(care_festivals.context(named, on), ensure_ascii=False)
    rows = select(key, Member.id, kind, generated, literal(due, generated.type), stamp,
                  literal(context)).where(*care_festivals.greeted(svc))
    if among is not None:
        rows = rows.where(Member.id.in_(among))
    return _count(session.connection().execute(task_insert(rows)))


def _written_since(session: Session) -> Any:
    """The members a build may not have seen yet, as a query (None: all of them):
    rows added to members since the last build (registered, pulled), members with a
    tier change since, and those the triggers marked (an override set). Read before
    the churn watches consume the marks."""
    since = marks.written_since(session)
    if since is None:
        return None
    added = select(Member.id).where(literal_column("members.rowid") > since["members"])
    raised = select(TierChange.member_id).where(
        literal_column("tier_changes.rowid") > since["tier_changes"])
    return union(added, raised, select(CareDirtyMember.member_id))


def insert_spend(svc: CareSettings, session: Session, day: date, spend: Table) -> int:
    """`rules.churn_spend`'s tasks from the rows of the spend watch the build chose
    (`care_watch`): spend drops and tiers at risk."""
    stamp = utcnow()  # as the model default stamps Python-stored tasks
    conn = session.connection()
    return sum(_count(conn.execute(stmt)) for stmt in (
        _spend_drop_insert(svc, spend, day, stamp), _tier_risk_insert(svc, spend, day, stamp)))


def _spend_drop_insert(svc: CareSettings, spend: Table, day: date, stamp: datetime) -> Any:
    r = svc.rules
    quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    key = "churn_spend:" + member_text("care_spend.member_id") + ":" + quarter
    context = func.json_object("spend_12m", _yuan(spend.c.s12),
                               "spend_prev", _yuan(spend.c.prev))
    dropping = and_(spend.c.prev >= r.spend_drop_min_previous_yuan * 100,
                    spend.c.s12 < spend.c.prev * r.spend_drop_ratio)
    return task_insert(select(
        key, spend.c.member_id, *task_constants("churn_spend", day, stamp), context)
        .where(dropping))


def _tier_risk_insert(svc: CareSettings, spend: Table, day: date, stamp: datetime) -> Any:
    """`TierTable.for_spend` as CASEs (the last tier reached, in the table's order)."""
    tiers = list(reversed(svc.tiers.tiers))
    now_tier = case(*[(spend.c.s12 >= t.min_spend_cents, t.code) for t in tiers])
    later = case(*[(spend.c.keep >= t.min_spend_cents, t.code) for t in tiers])
    names = {t.code: t.name_zh for t in tiers}
    key = ("tier_risk:" + member_text("care_spend.member_id") + ":" + now_tier
           + f":{day:%Y-%m}")
    context = func.json_object(
        "tier", case(names, value=now_tier),
        "tier_after", func.coalesce(case(names, value=later), "普通会员"))
    return task_insert(select(
        key, spend.c.member_id, *task_constants("tier_risk", day, stamp), context)
        .join_from(spend, Member, Member.id == spend.c.member_id)
        .where(now_tier.is_not(None), now_tier.is_distinct_from(later),
               Member.tier_override_code.is_(None)))


def member_text(column: str) -> Any:
    return literal_column(_MEMBER_TEXT.format(c=column), String)


def _yuan(cents: Any) -> Any:
    """f"{cents // 100:,}" in SQL (floor division, as Python's, for refunds too)."""
    floored = (cents - ((cents % 100) + 100) % 100) / 100
    return func.printf("%,d", floored)


def task_constants(kind: str, day: date, stamp: datetime) -> tuple[Any, ...]:
    """kind, generated_on, due_on (the day) and created_at, typed as their columns."""
    c = CARE_TASKS.c
    return (literal(kind, c.kind.type), literal(day, c.generated_on.type),
            literal(day, c.due_on.type), literal(stamp, c.created_at.type))


def task_insert(rows: Any) -> Any:
    """New tasks from `rows` (key, member, kind, generated, due, created, context);
    keys already stored are left as they are."""
    columns = ["task_key", "member_id", "kind", "generated_on", "due_on",
               "created_at", "context"]
    return (sqlite_insert(CARE_TASKS).from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["task_key"]))


def _count(result: Any) -> int:
    return max(cast(Any, result).rowcount, 0)


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


def sqlite_stamp(at: datetime) -> str:
    """A UTC time as SQLAlchemy stores it on SQLite (naive, microseconds)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
