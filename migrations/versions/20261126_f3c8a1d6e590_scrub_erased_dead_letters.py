"""an erased member's refused changes lose their payload (both dialects, by trigger)

A dead letter keeps the refused change's payload for a manager to read: a member's
name, phone or card. When the member is erased — on this desk, pulled from another, or
applied at the centre — those payloads must go too. A trigger on `members.erased_at`
does it wherever the erasure lands, and closes the letters (nothing is left to send).

Revision ID: f3c8a1d6e590
Revises: b5d0e3f7a912
Create Date: 2026-11-26 19:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'f3c8a1d6e590'
down_revision: str | None = 'b5d0e3f7a912'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCRUBBED = '{"erased": true}'
NOTE = "member erased: payload removed"

# SQLite stores ids as 32 hex digits; payloads hold them as str(UUID) does.
_SQLITE_DASHED = ("lower(substr(NEW.id, 1, 8) || '-' || substr(NEW.id, 9, 4) || '-' || "
                  "substr(NEW.id, 13, 4) || '-' || substr(NEW.id, 17, 4) || '-' || "
                  "substr(NEW.id, 21))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION scrub_erased_dead_letters() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN UPDATE sync_dead_letters SET"
            f" payload = '{SCRUBBED}', handled_at = coalesce(handled_at, now()),"
            " handling = coalesce(handling, 'dismissed'),"
            f" note = coalesce(note, '{NOTE}')"
            " WHERE record_id = NEW.id OR payload LIKE '%' || NEW.id::text || '%';"
            " RETURN NULL; END $$")
        op.execute(
            "CREATE TRIGGER members_erased_scrub_dead_letters AFTER UPDATE OF erased_at"
            " ON members FOR EACH ROW"
            " WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)"
            " EXECUTE FUNCTION scrub_erased_dead_letters()")
        return
    now = "strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000000'"
    op.execute(
        "CREATE TRIGGER members_erased_scrub_dead_letters AFTER UPDATE OF erased_at"
        " ON members WHEN NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL BEGIN"
        f" UPDATE sync_dead_letters SET payload = '{SCRUBBED}',"
        f" handled_at = coalesce(handled_at, {now}),"
        " handling = coalesce(handling, 'dismissed'),"
        f" note = coalesce(note, '{NOTE}')"
        f" WHERE record_id = NEW.id OR payload LIKE '%' || {_SQLITE_DASHED} || '%'; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS members_erased_scrub_dead_letters"
               + (" ON members" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS scrub_erased_dead_letters()")
