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

Where things are: `build` (`CareListService`: a build, the catch-up window, storing and
closing), `rules` (the reference rules in Python, which the centre runs), `sql_rules`
(their set-based versions on SQLite, tested equal to the reference), `listing` (what the
list shows); the task status rule is `care_status`, the wording `care_messages`, the
churn watches `care_watch`, the smaller rules `care_festivals`, `care_milestones`,
`care_followups` and `care_complaints`, all below this package (they import nothing of
it).
"""

from vipdesk.models.lounge import birthday_md
from vipdesk.services.care_common import Candidate
from vipdesk.services.care_complaints import (  # the pending states: the desk's too
    CONTACT_PENDING,
    FOLLOWUP_PENDING,
)
from vipdesk.services.care_config import CareRules, load_defaults, seed_templates
from vipdesk.services.care_dates import add_months, utc_range
from vipdesk.services.care_items import CareItem
from vipdesk.services.care_messages import render
from vipdesk.services.care_status import OPEN_STATUSES, STATUSES, status_rank, task_status
from vipdesk.services.carelist.build import CareListService
from vipdesk.services.carelist.listing import CARE_PAGE, CareList
from vipdesk.services.carelist.marks import INPUTS_KEY, LAST_BUILD_KEY

__all__ = ["CARE_PAGE", "CONTACT_PENDING", "FOLLOWUP_PENDING", "INPUTS_KEY",
           "LAST_BUILD_KEY", "OPEN_STATUSES", "STATUSES", "Candidate", "CareItem", "CareList",
           "CareListService", "CareRules", "add_months", "birthday_md", "load_defaults",
           "render", "seed_templates", "status_rank", "task_status", "utc_range"]
