"""Time for the domain: one place to ask "now", replaceable in tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self, tz: str = DEFAULT_TZ) -> date:
        return self.now().astimezone(ZoneInfo(tz)).date()


class FixedClock(Clock):
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


def local_date(at: datetime, tz: str = DEFAULT_TZ) -> date:
    return at.astimezone(ZoneInfo(tz)).date()
