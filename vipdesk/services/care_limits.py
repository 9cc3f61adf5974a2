"""Not too much care (seed 000 二(一)3(2): 控制频率，避免过度打扰): which open tasks
the list holds back.

- a member who asked for no care contacts (preference `care_opt_out`) gets none;
- a member gets at most `monthly_contact_cap` care contacts a calendar month, counted
  chain-wide (contacts sync): once this month's contacts reach it, their open tasks
  wait; on the way there, only as many as the month has room for show, the higher ones
  in `contact_priority` first. A held-back task stays open and
  comes back when the month turns or a higher one is done, until it lapses.
Service tasks (`care_plan.SERVICE_KINDS`: complaint deadlines, home-visit follow-ups)
are never held back, and contacts filed as service do not count.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, case, func, literal_column, or_, select, union

from vipdesk.models import CareContact, CareTask, Preference
from vipdesk.services.care_config import CareRules
from vipdesk.services.care_dates import add_months, utc_range
from vipdesk.services.care_plan import OPT_OUT_TAG, SERVICE_CONTACT_KINDS, SERVICE_KINDS

CARE_TASKS = cast(Table, CareTask.__table__)


def month_range(day: date, tz: Any) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    start, _ = utc_range(first, first, tz)
    end, _ = utc_range(add_months(first, 1), add_months(first, 1), tz)
    return start, end


def _service_contact() -> Any:
    """A contact filed as service, or one that closed a service task (the desk files a
    follow-up's contact under its own kinds)."""
    key = func.coalesce(CareContact.task_key, "")
    return or_(CareContact.kind.in_(SERVICE_CONTACT_KINDS),
               *[key.startswith(kind + ":") for kind in sorted(SERVICE_KINDS)])


def held_back(window: Any, day: date, day_end: datetime, tz: Any,
              rules: CareRules) -> Select[Any]:
    """The ids of the open care tasks within `window` (a condition on `care_tasks`) that
    the list holds back on `day`.

    Set-based, for 150k listed tasks: only the members contacted this month (counted per
    member once, on the contacts' time index) or opted out (their partial index
    `ix_preferences_care_opt_out`; the tag is a literal so SQLite can use it) can have a
    task held back; of the contacted, only those whose open tasks and contacts pass the
    cap have their tasks ranked."""
    t = CARE_TASKS.c
    start, end = month_range(day, tz)
    pending = and_(window, or_(t.closed_at.is_(None), t.closed_at >= day_end),
                   t.kind.not_in(SERVICE_KINDS))
    used = (select(CareContact.member_id, func.count().label("n"))
            .where(CareContact.at >= start, CareContact.at < end, ~_service_contact())
            .group_by(CareContact.member_id).subquery())
    crowded = (select(t.member_id).join(used, used.c.member_id == t.member_id)
               .where(pending).group_by(t.member_id, used.c.n)
               .having(func.count() + used.c.n > rules.monthly_contact_cap))
    opted_out = select(Preference.member_id).where(
        Preference.tag == literal_column(f"'{OPT_OUT_TAG}'"))
    priority = {kind: rank for rank, kind in enumerate(rules.contact_priority)}
    order = case(priority, value=t.kind, else_=len(priority)) if priority else t.kind
    nth = func.row_number().over(partition_by=t.member_id,
                                 order_by=(order, t.due_on, t.task_key))
    ranked = (select(t.id, t.member_id, nth.label("nth"),
                     func.coalesce(used.c.n, 0).label("used"))
              .select_from(CARE_TASKS).outerjoin(used, used.c.member_id == t.member_id)
              .where(pending, t.member_id.in_(union(crowded, opted_out)))
              .subquery())
    return select(ranked.c.id).where(or_(ranked.c.member_id.in_(opted_out),
                                         ranked.c.nth + ranked.c.used > rules.monthly_contact_cap))
