"""Festival dates against published calendars (lunar ones move every year)."""

from __future__ import annotations

from datetime import date

import pytest

from vipdesk.services.festivals import festival_date, festival_on, festivals_in

KNOWN = [
    ("spring", date(2020, 1, 25)), ("spring", date(2023, 1, 22)), ("spring", date(2024, 2, 10)),
    ("spring", date(2025, 1, 29)), ("spring", date(2026, 2, 17)), ("spring", date(2030, 2, 3)),
    ("new_year_eve", date(2024, 2, 9)), ("new_year_eve", date(2025, 1, 28)),
    ("new_year_eve", date(2026, 2, 16)),
    ("lantern", date(2024, 2, 24)), ("lantern", date(2025, 2, 12)),
    ("dragon_boat", date(2023, 6, 22)), ("dragon_boat", date(2024, 6, 10)),
    ("dragon_boat", date(2025, 5, 31)), ("dragon_boat", date(2026, 6, 19)),
    ("qixi", date(2024, 8, 10)), ("qixi", date(2025, 8, 29)),
    ("mid_autumn", date(2023, 9, 29)), ("mid_autumn", date(2024, 9, 17)),
    ("mid_autumn", date(2025, 10, 6)), ("mid_autumn", date(2026, 9, 25)),
    ("double_ninth", date(2024, 10, 11)), ("double_ninth", date(2025, 10, 29)),
    ("new_year", date(2026, 1, 1)), ("national_day", date(2025, 10, 1)),
    ("christmas", date(2026, 12, 25)), ("labour_day", date(2026, 5, 1)),
]


@pytest.mark.parametrize(("code", "day"), KNOWN)
def test_known_dates(code: str, day: date) -> None:
    assert festival_date(code, day.year) == day
    found = festival_on(day)
    assert found is not None and found.code == code


def test_mid_autumn_on_national_day_keeps_the_lunar_name() -> None:
    festival = festival_on(date(2020, 10, 1))
    assert festival is not None and festival.name_zh == "中秋节"


def test_ordinary_day_and_day_after() -> None:
    assert festival_on(date(2024, 9, 18)) is None
    assert festival_on(date(2026, 2, 18)) is None


def test_every_year_has_all_festivals_within_the_calendar() -> None:
    for year in (1901, 1999, 2000, 2050, 2098):
        codes = {f.code for f in festivals_in(year).values()}
        assert len(codes) == 11, (year, codes)


def test_outside_the_lunar_table_only_solar_festivals() -> None:
    codes = {f.code for f in festivals_in(2150).values()}
    assert codes == {"new_year", "labour_day", "national_day", "christmas"}
