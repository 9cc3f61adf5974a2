"""The care list's rules and message templates as data (`resources/defaults/
care_templates.toml`): the numbers each rule uses, the shipped texts, and the database's
copy of the texts (which a manager may have changed)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vipdesk.models import CareTemplate
from vipdesk.resources import resource

Templates = dict[tuple[str, str], str]


@dataclass(frozen=True)
class CareRules:
    birthday_days_ahead: int = 3
    anniversary_years: int = 1
    callback_days: int = 3
    callback_months: tuple[int, ...] = (3, 6)
    welcome_call_days: int = 3
    festival_days_ahead: int = 3
    festivals: tuple[str, ...] = ("new_year", "spring", "labour_day", "dragon_boat",
                                  "mid_autumn", "national_day", "christmas")
    follow_up_days_ahead: int = 3
    monthly_contact_cap: int = 4
    contact_priority: tuple[str, ...] = ()
    catch_up_days: int = 7
    carry_over_days: int = 30
    churn_cadence_factor: float = 2.0
    churn_min_silence_days: int = 60
    churn_min_visits: int = 3
    spend_drop_ratio: float = 0.5
    spend_drop_min_previous_yuan: int = 20000
    tier_risk_horizon_days: int = 30


_LISTS = ("callback_months", "festivals", "contact_priority")


@functools.cache  # a packaged file: read once per process
def _shipped() -> dict[str, Any]:
    with resource("defaults", "care_templates.toml").open("rb") as fh:
        return tomllib.load(fh)


def _texts(entries: list[dict[str, str]]) -> Templates:
    return {(t["kind"], lang): t[lang] for t in entries for lang in ("zh", "en") if lang in t}


def load_defaults() -> tuple[CareRules, Templates]:
    """The shipped rules and templates ((kind, language) → text)."""
    data = _shipped()
    raw = dict(data.get("rules", {}))
    for name in _LISTS:
        if name in raw:
            raw[name] = tuple(raw[name])
    return CareRules(**raw), _texts(data.get("template", []))


def superseded() -> Templates:
    """Texts the shipped templates had before (a stored copy of one is out of date)."""
    return _texts(_shipped().get("superseded", []))


def seed_templates(session: Session) -> None:
    """Install the default message templates if the database has none (idempotent)."""
    if session.scalar(select(func.count()).select_from(CareTemplate)):
        return
    for (kind, language), text in load_defaults()[1].items():
        session.add(CareTemplate(kind=kind, language=language, text=text))


def stored_templates(session: Session) -> Templates:
    """The stored templates over the shipped ones: a kind added since the database was
    seeded (such as a belated birthday wish) reads the shipped text, and so does a
    stored copy of a text the shipped template has since replaced."""
    old = superseded()
    stored = {(t.kind, t.language): t.text for t in session.scalars(select(CareTemplate))
              if old.get((t.kind, t.language)) != t.text}
    return load_defaults()[1] | stored
