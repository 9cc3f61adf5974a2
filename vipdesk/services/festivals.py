"""The festivals a greeting mentions: lunar ones (春节, 中秋 …) move every year, so
they come from the Chinese calendar (`lunardate`, valid 1900–2099); solar ones are fixed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate


@dataclass(frozen=True)
class Festival:
    code: str
    name_zh: str
    name_en: str


# (code, 中文, English, lunar month, lunar day)
LUNAR = (
    ("spring", "春节", "Spring Festival", 1, 1),
    ("lantern", "元宵节", "Lantern Festival", 1, 15),
    ("dragon_boat", "端午节", "Dragon Boat Festival", 5, 5),
    ("qixi", "七夕", "Qixi Festival", 7, 7),
    ("mid_autumn", "中秋节", "Mid-Autumn Festival", 8, 15),
    ("double_ninth", "重阳节", "Double Ninth Festival", 9, 9),
)
# (code, 中文, English, month, day)
SOLAR = (
    ("new_year", "元旦", "New Year's Day", 1, 1),
    ("labour_day", "劳动节", "Labour Day", 5, 1),  # 五一
    ("national_day", "国庆节", "National Day", 10, 1),
    ("christmas", "圣诞节", "Christmas", 12, 25),
)
EVE = Festival("new_year_eve", "除夕", "Chinese New Year's Eve")


def _solar(lunar_year: int, month: int, day: int) -> date | None:
    try:
        moment = LunarDate(lunar_year, month, day)
        convert = getattr(moment, "to_solar_date", None) or moment.toSolarDate
        return convert()  # type: ignore[no-any-return]
    except ValueError:  # outside the calendar's table (before 1900, from 2100)
        return None


@functools.cache
def festivals_in(year: int) -> dict[date, Festival]:
    """Every festival falling in the Gregorian `year`, by date.

    Lunar festivals of lunar year `year` all fall in Gregorian `year` (春节 is between
    21 January and 20 February); 除夕 is the day before 春节 (the 12th lunar month has 29
    or 30 days, so it is never a fixed lunar date).
    """
    found: dict[date, Festival] = {}
    for code, zh, en, month, day in LUNAR:
        on = _solar(year, month, day)
        if on is not None and on.year == year:
            found[on] = Festival(code, zh, en)
    spring = _solar(year, 1, 1)
    if spring is not None:
        found[spring - timedelta(days=1)] = EVE
    for code, zh, en, month, day in SOLAR:
        # A lunar festival on the same day (rare: 中秋 on 1 October) keeps its name first.
        found.setdefault(date(year, month, day), Festival(code, zh, en))
    return found


def festival(code: str) -> Festival | None:
    """The festival named by `code` (a greeting list in the care rules names them so)."""
    every = [Festival(c, zh, en) for c, zh, en, *_ in (*LUNAR, *SOLAR)] + [EVE]
    return next((f for f in every if f.code == code), None)


def festival_on(day: date) -> Festival | None:
    return festivals_in(day.year).get(day)


def festival_date(code: str, year: int) -> date | None:
    """When festival `code` falls in `year` (None outside the calendar's range)."""
    return next((on for on, f in festivals_in(year).items() if f.code == code), None)
