"""A brand's own tier table from a TOML file (SPEC §3: tiers are data, not code).

`parse_table` reads and checks the whole file first and names every problem (ranks,
thresholds, benefit codes, unknown keys); `apply_table` then writes it in one
transaction through the ORM (so it syncs to the centre and the other desks like any
table) and re-tiers every member in the same transaction, reporting who moved.

Ids are derived from the codes (as the default table's are), so two desks adopting the
same file write identical rows and the sync sees one table, not two.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, Tier, TierBenefit, TierChange
from vipdesk.services import audit, auth
from vipdesk.services.tiers import (
    DEFAULTS_NAMESPACE,
    WHY_TABLE,
    PassReport,
    load_tier_table,
    retier,
)

# The benefits the desk knows how to name and act on (the queue reads priority_booking,
# the care plan birthday_gift). A code outside this list is a typo or a benefit nobody
# at the desk would honour: refused, not stored.
KNOWN_BENEFITS: dict[str, tuple[str, str]] = {
    "advisor": ("专属顾问", "Dedicated advisor"),
    "birthday_gift": ("生日礼品", "Birthday gift"),
    "holiday_gift": ("节日礼品", "Holiday gift"),
    "discount": ("会员折扣", "Member discount"),
    "airport_lounge": ("机场贵宾厅", "Airport VIP lounge"),
    "priority_booking": ("优先预约", "Priority booking"),
    "parking": ("专属停车位", "Reserved parking"),
    "home_visit": ("上门拜访", "Home visits"),
    "event_invitation": ("活动邀请", "Event invitations"),
    "maintenance": ("增值保养", "Care and maintenance service"),
}
TIER_KEYS = frozenset({"code", "name_zh", "name_en", "rank", "min_spend_yuan",
                       "max_spend_yuan", "target_wait_minutes", "color", "in_care_plan",
                       "card_template", "points_per_yuan", "benefits"})
TOP_KEYS = frozenset({"tier", "points_per_yuan"})
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_SPEND_YUAN = 10**11


class TierTableError(ValueError):
    """The file is refused as a whole; one line per problem, each naming the tier."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the tier table is refused:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class BenefitSpec:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class TierSpec:
    code: str
    name_zh: str
    name_en: str
    rank: int
    min_spend_cents: int
    target_wait_minutes: int = 15
    color: str = "#8a6d3b"
    in_care_plan: bool = True
    card_template: str | None = None
    points_per_100_yuan: int = 100
    benefits: tuple[BenefitSpec, ...] = ()


@dataclass
class ApplyReport:
    tiers: list[str] = field(default_factory=list)  # codes, by rank
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    overrides_cleared: int = 0  # managers' overrides to a tier the file removes
    members: int = 0
    moves: dict[str, int] = field(default_factory=dict)  # "old → new" → members

    @property
    def moved(self) -> int:
        return sum(self.moves.values())


# -- reading and checking ---------------------------------------------------------------


def load_file(path: Path | str) -> list[TierSpec]:
    path = Path(path)
    if not path.is_file():
        raise TierTableError([f"{path}: no such file"])
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TierTableError([f"{path.name}: not a TOML file ({exc})"]) from exc
    return parse_table(data)


def parse_table(data: dict[str, Any], template_names: set[str] | None = None) -> list[TierSpec]:
    """Every tier of the table, by rank; TierTableError naming every problem at once."""
    problems = [f"unknown setting {k!r} (known: {', '.join(sorted(TOP_KEYS))})"
                for k in data if k not in TOP_KEYS]
    raw = data.get("tier")
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise TierTableError([*problems, "no [[tier]] tables: a tier table needs at least one"])
    base_rate = _number(data.get("points_per_yuan", 1), "points_per_yuan", problems, 0, 100)
    templates = template_names if template_names is not None else _template_names()
    specs = [s for i, t in enumerate(raw, 1) if (s := _tier(t, i, base_rate, templates, problems))]
    problems += _table_problems(specs, raw)
    if problems:
        raise TierTableError(problems)
    return sorted(specs, key=lambda s: s.rank)


def _template_names() -> set[str]:
    from vipdesk.resources import card_template_names  # reads the card folder

    return card_template_names()


def _number(value: Any, name: str, problems: list[str], low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(f"{name}: a number from {low:g} to {high:g}, not {value!r}")
        return low
    return float(value)


def _text(t: dict[str, Any], key: str, where: str, problems: list[str], limit: int = 64) -> str:
    value = t.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(f"{where}: {key} is required (text of at most {limit} characters)")
        return ""
    return value.strip()


def _tier(t: dict[str, Any], index: int, base_rate: float, templates: set[str],
          problems: list[str]) -> TierSpec | None:
    code = t.get("code")
    where = f"tier {code!r}" if isinstance(code, str) and code else f"tier #{index}"
    before = len(problems)
    problems += [f"{where}: unknown key {k!r}" for k in t if k not in TIER_KEYS]
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append(f"{where}: code must be lower-case letters, digits or _ "
                        "(at most 32, starting with a letter)")
    rank = t.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        problems.append(f"{where}: rank must be a whole number from 1 up")
    spend = _number(t.get("min_spend_yuan"), f"{where}: min_spend_yuan", problems, 0,
                    MAX_SPEND_YUAN)
    if "max_spend_yuan" in t:
        _number(t["max_spend_yuan"], f"{where}: max_spend_yuan", problems, 0, MAX_SPEND_YUAN)
    wait = _number(t.get("target_wait_minutes", 15), f"{where}: target_wait_minutes",
                   problems, 1, 240)
    color = t.get("color", "#8a6d3b")
    if not isinstance(color, str) or not _COLOR.match(color):
        problems.append(f"{where}: color must be #rrggbb, not {color!r}")
    in_plan = t.get("in_care_plan", True)
    if not isinstance(in_plan, bool):
        problems.append(f"{where}: in_care_plan must be true or false")
    template = t.get("card_template")
    if template is not None and template not in templates:
        problems.append(f"{where}: no card template {template!r} "
                        f"(known: {', '.join(sorted(templates))})")
    rate = _number(t.get("points_per_yuan", base_rate), f"{where}: points_per_yuan",
                   problems, 0, 100)
    benefits = _benefits(t.get("benefits", []), where, problems)
    names = (_text(t, "name_zh", where, problems), _text(t, "name_en", where, problems))
    if len(problems) > before:
        return None
    return TierSpec(str(code), names[0], names[1], int(rank or 0), round(spend * 100), int(wait),
                    str(color), bool(in_plan), template, round(rate * 100), benefits)


def _benefits(raw: Any, where: str, problems: list[str]) -> tuple[BenefitSpec, ...]:
    if not isinstance(raw, list):
        problems.append(f"{where}: benefits must be a list of {{ code = … }}")
        return ()
    out = []
    for b in raw:
        code = b.get("code") if isinstance(b, dict) else b
        if code not in KNOWN_BENEFITS:
            problems.append(f"{where}: unknown benefit code {code!r} "
                            f"(known: {', '.join(KNOWN_BENEFITS)})")
            continue
        zh, en = KNOWN_BENEFITS[code]
        if isinstance(b, dict):
            zh, en = b.get("name_zh") or zh, b.get("name_en") or en
        out.append(BenefitSpec(code, str(zh)[:128], str(en)[:128]))
    return tuple(out)


def _table_problems(specs: list[TierSpec], raw: list[dict[str, Any]]) -> list[str]:
    """Across tiers: codes and ranks unique; thresholds rising with rank, each band
    meeting the next (a stated upper bound must be the next tier's lower one)."""
    problems = []
    for what, values in (("code", [s.code for s in specs]),
                         ("rank", [str(s.rank) for s in specs])):
        dupes = sorted({v for v in values if values.count(v) > 1})
        problems += [f"{what} {v} is used by more than one tier" for v in dupes]
    benefit_codes = [b.code for s in specs for b in s.benefits]
    problems += [f"benefit {c!r} is given at more than one tier (benefits accumulate "
                 "upwards: list it once, at the lowest tier that has it)"
                 for c in sorted({c for c in benefit_codes if benefit_codes.count(c) > 1})]
    uppers = {t.get("code"): t["max_spend_yuan"] for t in raw if "max_spend_yuan" in t}
    ordered = sorted(specs, key=lambda s: s.rank)
    for low, high in pairwise(ordered):
        if high.min_spend_cents <= low.min_spend_cents:
            problems.append(
                f"tier {high.code!r} (rank {high.rank}) starts at ¥{high.min_spend_cents // 100:,}"
                f", not above tier {low.code!r} (rank {low.rank}) at "
                f"¥{low.min_spend_cents // 100:,}: thresholds must rise with rank")
        problems += _band_problem(low, high, uppers.get(low.code))
    if ordered and ordered[-1].code in uppers:
        problems.append(f"tier {ordered[-1].code!r}: the top tier has no max_spend_yuan")
    return problems


def _band_problem(low: TierSpec, high: TierSpec, upper_yuan: Any) -> list[str]:
    if not isinstance(upper_yuan, int | float) or isinstance(upper_yuan, bool):
        return []
    upper = round(upper_yuan * 100)
    if upper > high.min_spend_cents:
        return [f"tier {low.code!r} up to ¥{upper // 100:,} overlaps tier {high.code!r} "
                f"from ¥{high.min_spend_cents // 100:,}"]
    if upper < high.min_spend_cents:
        return [f"tier {low.code!r} ends at ¥{upper // 100:,} but tier {high.code!r} starts "
                f"at ¥{high.min_spend_cents // 100:,}: spend in between would earn neither"]
    return []


# -- writing ----------------------------------------------------------------------------


def tier_id(code: str) -> uuid.UUID:
    return uuid.uuid5(DEFAULTS_NAMESPACE, code)


def benefit_id(tier_code: str, code: str) -> uuid.UUID:
    return uuid.uuid5(DEFAULTS_NAMESPACE, f"{tier_code}/{code}")


def require_admin(actor: auth.Actor) -> None:
    """The tier table is the administrator's (SPEC §1)."""
    if actor.role != "admin":
        raise auth.PermissionDenied(f"{actor.name} ({actor.role}) may not change the tier "
                                    "table (administrators only)", "tier.table")


def apply_table(session: Session, actor: auth.Actor, specs: list[TierSpec],
                now: datetime) -> ApplyReport:
    """Adopt the table and re-tier every member, in the caller's one transaction."""
    require_admin(actor)
    report = ApplyReport(tiers=[s.code for s in specs])
    wanted = {s.code: s for s in specs}
    stored = {t.code: t for t in session.scalars(select(Tier))}
    report.removed = sorted(set(stored) - set(wanted))
    report.overrides_cleared = _clear_overrides(session, report.removed, actor)
    for code in report.removed:
        _delete_tier(session, stored.pop(code))
    session.flush()
    for kept in stored.values():  # out of the way of the unique ranks about to be set
        kept.rank = -kept.rank - 1_000_000
    session.flush()
    for spec in specs:
        tier = stored.get(spec.code)
        if tier is None:
            report.added.append(spec.code)
            tier = Tier(id=tier_id(spec.code), code=spec.code)
            session.add(tier)
        elif _differs(session, tier, spec):
            report.changed.append(spec.code)
        _write_tier(tier, spec)
        session.flush()
    session.flush()
    for spec in specs:
        _write_benefits(session, spec)
    session.flush()
    moved = retier(session, load_tier_table(session), WHY_TABLE, now)
    report.members, report.moves = moved.members, _named(moved)
    audit.record(session, actor, "tier.table",
                 detail=f"tiers {', '.join(report.tiers)}; {moved.moved} members moved")
    return report


def _named(moved: PassReport) -> dict[str, int]:
    return {f"{a or '-'} → {b or '-'}": n for (a, b), n in sorted(
        moved.moves.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))}


def _clear_overrides(session: Session, removed: list[str], actor: auth.Actor) -> int:
    members = session.scalars(select(Member).where(Member.tier_override_code.in_(removed))).all()
    for m in members:
        session.add(TierChange(member_id=m.id, from_tier=m.tier_override_code,
                               to_tier=m.tier_code, kind="override_cleared",
                               reason=f"{WHY_TABLE}: tier {m.tier_override_code} removed",
                               created_by=actor.staff_id))
        m.tier_override_code = m.tier_override_reason = None
        m.tier_override_by = m.tier_override_at = None
    return len(members)


def _delete_tier(session: Session, tier: Tier) -> None:
    # Benefits first, through the ORM: the database's cascade would bypass the outbox.
    for benefit in session.scalars(select(TierBenefit).where(TierBenefit.tier_id == tier.id)):
        session.delete(benefit)
    session.flush()  # the unit of work knows no link between the two: benefits go first
    session.delete(tier)


_COLUMNS = ("name_zh", "name_en", "target_wait_minutes", "color", "in_care_plan",
            "card_template", "points_per_100_yuan")


def _differs(session: Session, tier: Tier, spec: TierSpec) -> bool:
    stored_benefits = [(b.code, b.name_zh, b.name_en) for b in session.scalars(
        select(TierBenefit).where(TierBenefit.tier_id == tier.id).order_by(TierBenefit.sort))]
    return (any(getattr(tier, c) != getattr(spec, c) for c in _COLUMNS)
            or tier.min_spend_12m_cents != spec.min_spend_cents
            or -tier.rank - 1_000_000 != spec.rank
            or stored_benefits != [(b.code, b.name_zh, b.name_en) for b in spec.benefits])


def _write_tier(tier: Tier, spec: TierSpec) -> None:
    for column in _COLUMNS:
        setattr(tier, column, getattr(spec, column))
    tier.rank = spec.rank
    tier.min_spend_12m_cents = spec.min_spend_cents


def _write_benefits(session: Session, spec: TierSpec) -> None:
    tid = session.scalar(select(Tier.id).where(Tier.code == spec.code))
    stored = {b.code: b for b in session.scalars(
        select(TierBenefit).where(TierBenefit.tier_id == tid))}
    for i, b in enumerate(spec.benefits):
        row = stored.pop(b.code, None)
        if row is None:
            row = TierBenefit(id=benefit_id(spec.code, b.code), tier_id=tid, code=b.code)
            session.add(row)
        row.name_zh, row.name_en, row.sort = b.name_zh, b.name_en, i
    for gone in stored.values():
        session.delete(gone)


def tier_counts(session: Session) -> dict[str | None, int]:
    """Members per effective tier (an override counts as the tier it sets)."""
    effective = func.coalesce(Member.tier_override_code, Member.tier_code)
    return {code: int(n) for code, n in session.execute(
        select(effective, func.count()).where(Member.erased_at.is_(None)).group_by(effective))}
