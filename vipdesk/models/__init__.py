"""The one schema shared by the desk (SQLite) and the central database (PostgreSQL)."""

from vipdesk.models.audit import AuditEntry
from vipdesk.models.base import Base, utcnow, uuid7
from vipdesk.models.desk_local import CliSession, DeskSetting
from vipdesk.models.history import (
    CareContact,
    Complaint,
    ComplaintEvent,
    FollowUpTask,
    HomeVisit,
    PointsEntry,
    Purchase,
    Survey,
    SurveyAnswer,
    TierChange,
    Visit,
)
from vipdesk.models.lounge import (
    CareDirtyMember,
    CareSilenceWatch,
    CareSpendWatch,
    CareTask,
    CareTemplate,
    QueueEntry,
)
from vipdesk.models.members import Member, MemberCard, MemberPhone, MemberTerm, Preference
from vipdesk.models.org import ROLES, Staff, Store
from vipdesk.models.sync import (
    SyncAppliedOp,
    SyncChangeLog,
    SyncConflict,
    SyncDeadLetter,
    SyncFieldStamp,
    SyncOutbox,
    SyncState,
    SyncTombstone,
)
from vipdesk.models.tiers import Tier, TierBenefit

__all__ = [
    "ROLES",
    "AuditEntry",
    "Base",
    "CareContact",
    "CareDirtyMember",
    "CareSilenceWatch",
    "CareSpendWatch",
    "CareTask",
    "CareTemplate",
    "CliSession",
    "Complaint",
    "ComplaintEvent",
    "DeskSetting",
    "FollowUpTask",
    "HomeVisit",
    "Member",
    "MemberCard",
    "MemberPhone",
    "MemberTerm",
    "PointsEntry",
    "Preference",
    "Purchase",
    "QueueEntry",
    "Staff",
    "Store",
    "Survey",
    "SurveyAnswer",
    "SyncAppliedOp",
    "SyncChangeLog",
    "SyncConflict",
    "SyncDeadLetter",
    "SyncFieldStamp",
    "SyncOutbox",
    "SyncState",
    "SyncTombstone",
    "Tier",
    "TierBenefit",
    "TierChange",
    "Visit",
    "utcnow",
    "uuid7",
]
