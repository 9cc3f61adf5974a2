"""Not too much care (seed 000 二(一)3(2): 控制频率，避免过度打扰): which open tasks
the list holds back.

- a member who asked for no care contacts (preference `care_opt_out`) gets none;
- a member gets at most `monthly_contact_cap` care contacts a calendar month, counted
  chain-wide (contacts sync): once this month's contacts and their open tasks would pass
  it, the lower-priority tasks (`contact_priority`) wait. A held-back task stays open and
  comes back when the month turns or a higher one is done, until it lapses.
Service tasks (`care_plan.SERVICE_KINDS`: complaint deadlines, home-visit follow-ups)
are never held back, and contacts filed as service do not count.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, exists, func, or_, select

from vipdesk.models import CareContact, Preference
from vipdesk.services.care_config import CareRules
from vipdesk.services.care_dates import add_months, utc_range
from vipdesk.services.care_plan import OPT_OUT_TAG, SERVICE_CONTACT_KINDS, SERVICE_KINDS


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


def held_back(tasks: Any, day: date, day_end: datetime, tz: Any, rules: CareRules) -> Select[Any]:
    """The ids of the open tasks in `tasks` (a table or subquery with the care task's id,
    member_id, kind, due_on, task_key and closed_at) that the list holds back on `day`."""
    c = tasks.c
    start, end = month_range(day, tz)
    priority = {kind: rank for rank, kind in enumerate(rules.contact_priority)}
    order = case(priority, value=c.kind, else_=len(priority)) if priority else c.kind
    nth = func.row_number().over(partition_by=c.member_id,
                                 order_by=(order, c.due_on, c.task_key))
    used = (select(func.count()).select_from(CareContact)
            .where(CareContact.member_id == c.member_id, CareContact.at >= start,
                   CareContact.at < end, ~_service_contact())
            .scalar_subquery())
    opted_out = exists().where(Preference.member_id == c.member_id,
                               Preference.tag == OPT_OUT_TAG)
    ranked = (select(c.id, nth.label("nth"), used.label("used"),
                     opted_out.label("opted_out"))
              .where(or_(c.closed_at.is_(None), c.closed_at >= day_end),
                     c.kind.not_in(SERVICE_KINDS))
              .subquery())
    return select(ranked.c.id).where(or_(ranked.c.opted_out,
                                         ranked.c.nth + ranked.c.used > rules.monthly_contact_cap))
