"""Desk-local facts that never sync: command-line sessions and the desk's own settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vipdesk.models.base import Base

DESK_LOCAL = {"sync": False}


class CliSession(Base):
    """A person signed in on the command line, for one OS user on this desk database.

    Only the SHA-256 of the session token is kept: the token itself lives in a file only
    that OS user can read. `credential_stamp` is derived from the account's secret hash,
    role and active flag when the session opened, so a PIN change, a new role or a
    disabled account ends the session without touching this table.
    """

    __tablename__ = "cli_sessions"
    __table_args__ = {"info": DESK_LOCAL}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                                index=True)
    os_user: Mapped[str] = mapped_column(String(64))
    credential_stamp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]


class DeskSetting(Base):
    """A small fact about this database file (e.g. `demo`: made by `vipdesk demo`).

    Desk-local on purpose: a demo lounge published to the centre must not make the desks
    that receive it demo desks."""

    __tablename__ = "desk_settings"
    __table_args__ = {"info": DESK_LOCAL}

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
