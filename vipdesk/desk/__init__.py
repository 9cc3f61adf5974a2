"""The application layer: the `Desk` the window and the command line both work through.

It sits above the services, sync and printing (it composes them) and below the UI and
the command line. `Desk` holds what is shared (engine, clock, tiers, the signed-in
person); each noun has a small facade bound to that person (`desk.members`,
`desk.visits`, `desk.complaints`, `desk.home_visits`, `desk.points`, `desk.surveys`,
`desk.queue`, `desk.care`, `desk.reports`, `desk.review`, `desk.cards`). A facade method
is one unit of work: it opens the session, calls the service that owns the tables, and
returns plain data.
"""

from vipdesk.desk.desk import Desk, DeskInfo
from vipdesk.desk.lounge import CareTaskChoice
from vipdesk.desk.records import SurveyForm
from vipdesk.services.care import care_contact_kind

__all__ = ["CareTaskChoice", "Desk", "DeskInfo", "SurveyForm", "care_contact_kind"]
