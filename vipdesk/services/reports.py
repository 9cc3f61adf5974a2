"""Manager reports (SPEC §11) as plain tables: today's lounge, complaint KPIs, care-list
completion, tiers, satisfaction. Each table may name a bar chart (label and value
columns); `to_csv` writes them here, `vipdesk.printing.report_pdf` renders the PDF.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import (
    CareContact,
    CareTask,
    Member,
    QueueEntry,
    Survey,
    SurveyAnswer,
    TierChange,
    Visit,
)
from vipdesk.services import auth
from vipdesk.services.auth import Actor
from vipdesk.services.carelist import utc_range
from vipdesk.services.clock import DEFAULT_TZ, Clock
from vipdesk.services.complaints import ComplaintService
from vipdesk.services.queue import UNTIERED_TARGET_MINUTES, waits_minutes
from vipdesk.services.surveys import SCALE, load_book
from vipdesk.services.tiers import TierTable

NAMES = ("lounge", "complaints", "care", "tiers", "satisfaction")
ANSWERS = SCALE  # very_satisfied … very_unsatisfied, no_rating
ANSWER_ZH = dict(zip(ANSWERS, ("非常满意", "比较满意", "一般", "不太满意", "非常不满意",
                               "不予评价"), strict=True))


class Words(str):
    """A label in both languages. As a string it reads as the exports always did (both
    languages, or the code it names); the window shows `.zh` or `.en` alone."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str, shown: str | None = None) -> Words:
        words = super().__new__(cls, f"{zh} {en}" if shown is None else shown)
        words.zh, words.en = zh, en
        return words


CARE_KINDS = {
    "birthday": ("生日祝福", "Birthday greeting"),
    "anniversary": ("入会周年", "Membership anniversary"),
    "callback_3d": ("购后3天回访", "Callback after 3 days"),
    "callback_3m": ("购后3个月回访", "Callback after 3 months"),
    "callback_6m": ("购后6个月回访", "Callback after 6 months"),
    "welcome_call": ("入会欢迎电话", "Welcome call"),
    "complaint_contact": ("投诉：首次联系", "Complaint: first contact"),
    "complaint_followup": ("投诉：回访", "Complaint: follow-up"),
    "churn_silence": ("流失预警：久未到店", "Churn: silent"),
    "churn_spend": ("流失预警：消费下降", "Churn: spending less"),
    "tier_risk": ("等级即将下调", "Tier at risk"),
    "tier_upgrade": ("升级祝贺", "Upgrade congratulations")}
MOVES = {"upgrade": ("升级", "upgrade"), "downgrade": ("降级", "downgrade"),
         "override": ("手动调整", "set by a manager"),
         "override_cleared": ("取消手动调整", "manager's setting removed")}


def _coded(code: str, names: dict[str, tuple[str, str]]) -> Words:
    zh, en = names.get(code, (code, code))
    return Words(zh, en, shown=code)


class ReportError(ValueError):
    """An unknown report or an unusable period or output file."""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    chart: tuple[int, int] | None = None  # (label column, value column) for a bar chart


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    period: str
    tables: list[Table]


W = Words
MEASURE, COUNT = W("指标", "measure"), W("数量", "count")
TIER, KIND = W("等级", "tier"), W("类型", "kind")


class ReportService:
    def __init__(self, factory: sessionmaker[Session], tiers: TierTable,
                 clock: Clock | None = None, tz: str = DEFAULT_TZ) -> None:
        self.factory = factory
        self.tiers = tiers
        self.clock = clock or Clock()
        self.tz = ZoneInfo(tz)

    def build(self, actor: Actor, name: str, day: date | None = None, days: int = 30) -> Report:
        """Report `name` for the `days` ending with `day` (lounge: that one day)."""
        auth.require(actor, "report.view")
        if days < 1 or days > 3660:
            raise ReportError("days: between 1 and 3660")
        makers: dict[str, Callable[[date, int], Report]] = {
            "lounge": self.lounge, "complaints": self.complaints, "care": self.care,
            "tiers": self.tier_report, "satisfaction": self.satisfaction}
        if name not in makers:
            raise ReportError(f"report: {name!r} is not one of {', '.join(NAMES)}")
        return makers[name](day or self.clock.today(self.tz.key), days)

    def _period(self, day: date, days: int) -> tuple[datetime, datetime, str]:
        first = day - timedelta(days=days - 1)
        start, end = utc_range(first, day, self.tz)
        return start, end, f"{first.isoformat()} – {day.isoformat()}"

    def _tier_name(self, code: str | None) -> Words:
        tier = self.tiers.get(code)
        if tier is None:
            return Words("会员 (无等级)", "Member (no tier)", shown="会员 (无等级)")
        return Words(tier.name_zh, tier.name_en, shown=tier.name_zh)

    # -- today's lounge ---------------------------------------------------------------

    def lounge(self, day: date, _days: int) -> Report:
        start, end = utc_range(day, day, self.tz)
        with self.factory() as s:
            visits = s.scalar(select(func.count()).select_from(Visit).where(
                Visit.checked_in_at >= start, Visit.checked_in_at < end)) or 0
            entries = s.scalars(select(QueueEntry).where(QueueEntry.arrived_at >= start,
                                                         QueueEntry.arrived_at < end)).all()
        summary = Table(W("到店与排队", "Visits and queue"), (MEASURE, COUNT),
                        [(W("到店", "visits"), visits), (W("排队", "queued"), len(entries)),
                         (W("已接待", "served"), sum(e.state == "served" for e in entries)),
                         (W("离开", "left"), sum(e.state == "left" for e in entries)),
                         (W("等候中", "waiting"), sum(e.state in ("waiting", "called")
                                                     for e in entries))])
        return Report("lounge", W("今日贵宾室", "Today's lounge"), day.isoformat(),
                      [summary, self._waits_by_tier(entries)])

    def _waits_by_tier(self, entries: Any) -> Table:
        by_tier: dict[str | None, list[float]] = defaultdict(list)
        for e in entries:
            wait = waits_minutes(e)
            if wait is not None:
                by_tier[e.tier_code].append(wait)
        rows = []
        order = [t.code for t in reversed(self.tiers.tiers)] + [None]
        for code in (c for c in order if c in by_tier):
            waits = sorted(by_tier[code])
            tier = self.tiers.get(code)
            target = tier.target_wait_minutes if tier else UNTIERED_TARGET_MINUTES
            within = sum(w <= target for w in waits) / len(waits)
            rows.append((self._tier_name(code), len(waits), round(sum(waits) / len(waits), 1),
                         round(_percentile(waits, 0.9), 1), round(waits[-1], 1), target,
                         f"{within:.0%}"))
        return Table(W("等候时间", "Waits by tier (minutes)"),
                     (TIER, W("人数", "guests"), W("平均", "mean"), "P90", W("最长", "max"),
                      W("目标", "target"), W("达标", "within target")), rows, chart=(0, 2))

    # -- complaints -------------------------------------------------------------------

    def complaints(self, day: date, days: int) -> Report:
        start, end, period = self._period(day, days)
        k = ComplaintService(self.factory, self.clock).kpis(start, end, now=self.clock.now())
        rows = [(W("收到", "received"), k.received, ""),
                (W("已关闭", "closed"), k.closed, _pct(k.closure_rate)),
                (W("30分钟内联系", "contacted within 30 min"),
                 f"{k.contacted_in_time}/{k.contact_measured}", _pct(k.contacted_in_time_rate)),
                (W("3天内回访", "followed up within 3 days"),
                 f"{k.followed_up_in_time}/{k.follow_up_measured}",
                 _pct(k.followed_up_in_time_rate))]
        return Report("complaints", W("投诉指标", "Complaint KPIs"), period,
                      [Table(W("投诉", "KPIs"), (MEASURE, COUNT, W("比例", "rate")), rows)])

    # -- care list --------------------------------------------------------------------

    def care(self, day: date, days: int) -> Report:
        first = day - timedelta(days=days - 1)
        with self.factory() as s:
            # A contact logged since the last care-list build closes its task too.
            contact = (select(func.min(CareContact.at))
                       .where(CareContact.task_key == CareTask.task_key).scalar_subquery())
            rows = s.execute(select(CareTask.kind, CareTask.due_on, CareTask.due_at,
                                    func.coalesce(CareTask.closed_at, contact))
                             .where(CareTask.due_on >= first, CareTask.due_on <= day)).all()
        stats: dict[str, Counter[str]] = defaultdict(Counter)
        for kind, due_on, due_at, closed_at in rows:
            c = stats[kind]
            c["tasks"] += 1
            if closed_at is not None:
                c["done"] += 1
                deadline = due_at or utc_range(due_on, due_on, self.tz)[1]
                c["on_time"] += _aware(closed_at) <= deadline
        table = [(_coded(kind, CARE_KINDS), c["tasks"], c["done"], c["on_time"],
                  c["tasks"] - c["done"], _pct(c["done"] / c["tasks"]))
                 for kind, c in sorted(stats.items())]
        total = sum(c["tasks"] for c in stats.values())
        done = sum(c["done"] for c in stats.values())
        table.append((W("合计", "total"), total, done, sum(c["on_time"] for c in stats.values()),
                      total - done, _pct(done / total if total else None)))
        return Report("care", W("关怀任务完成情况", "Care-list completion"), _span(first, day),
                      [Table(W("任务", "Tasks due in the period"),
                             (KIND, W("任务", "tasks"), W("完成", "done"),
                              W("按时", "on time"), W("未完成", "open"), W("完成率", "rate")),
                             table, chart=(0, 2))])

    # -- tiers ------------------------------------------------------------------------

    def tier_report(self, day: date, days: int) -> Report:
        start, end, period = self._period(day, days)
        code = func.coalesce(Member.tier_override_code, Member.tier_code)
        with self.factory() as s:
            counts: dict[str | None, int] = dict(
                s.execute(select(code, func.count()).where(Member.erased_at.is_(None))
                          .group_by(code)).all())
            moves = s.execute(select(TierChange.from_tier, TierChange.to_tier, TierChange.kind,
                                     func.count())
                              .where(TierChange.created_at >= start, TierChange.created_at < end)
                              .group_by(TierChange.from_tier, TierChange.to_tier,
                                        TierChange.kind)).all()
        order = [t.code for t in reversed(self.tiers.tiers)] + [None]
        distribution = [(self._tier_name(c), counts.get(c, 0)) for c in order]
        movement = [(self._tier_name(a), self._tier_name(b), _direction(self.tiers, a, b, kind),
                     n) for a, b, kind, n in moves]
        return Report("tiers", W("会员等级", "Tiers"), period, [
            Table(W("等级分布", "Distribution (today)"), (TIER, W("会员", "members")),
                  distribution, chart=(0, 1)),
            Table(W("等级变动", "Movements"), (W("原等级", "from"), W("新等级", "to"), KIND,
                                               W("人数", "members")),
                  sorted(movement, key=lambda r: (-r[3], r[0])))])

    # -- satisfaction -----------------------------------------------------------------

    def satisfaction(self, day: date, days: int) -> Report:
        start, end, period = self._period(day, days)
        with self.factory() as s:
            rows = s.execute(select(SurveyAnswer.question, SurveyAnswer.answer, func.count())
                             .join(Survey, Survey.id == SurveyAnswer.survey_id)
                             .where(Survey.taken_at >= start, Survey.taken_at < end)
                             .group_by(SurveyAnswer.question, SurveyAnswer.answer)).all()
        by_question: dict[str, Counter[str]] = defaultdict(Counter)
        for question, answer, n in rows:
            by_question[question][answer] += n
        book = load_book()
        wording = {q.code: (q.zh, q.en) for qn in book.questionnaires.values()
                   for q in qn.questions}
        table = []
        for question, c in sorted(by_question.items()):
            rated = sum(c[a] for a in ANSWERS[:5])
            happy = c["very_satisfied"] + c["satisfied"]
            table.append((_coded(question, wording), *(c[a] for a in ANSWERS),
                          round(100 * happy / rated, 1) if rated else None))
        scale = {s.code: s.en for s in book.scale}
        columns = (W("问题", "question"),
                   *(Words(ANSWER_ZH[a], scale.get(a, a), shown=f"{ANSWER_ZH[a]} {a}")
                     for a in ANSWERS), W("满意率", "% satisfied"))
        return Report("satisfaction", W("满意度", "Satisfaction by question"), period,
                      [Table(W("按问题", "By question"), columns, table,
                             chart=(0, len(columns) - 1))])


# -- export ------------------------------------------------------------------------------

def to_csv(report: Report, path: Path) -> None:
    """Each table as a titled block; written to a temporary file, then renamed, so a
    failure never leaves half a file (UTF-8 with BOM: Excel opens Chinese correctly)."""
    def write(fh: Any) -> None:
        out = csv.writer(fh)
        out.writerow([report.title, report.period])
        for table in report.tables:
            out.writerow([])
            out.writerow([table.title])
            out.writerow(table.columns)
            out.writerows(["" if v is None else v for v in row] for row in table.rows)

    atomic_write(path, write, text=True)


def atomic_write(path: Path, write: Callable[[Any], None], text: bool) -> None:
    path = Path(path)
    if not path.parent.is_dir():
        raise ReportError(f"out: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        fh: Any = (os.fdopen(fd, "w", encoding="utf-8-sig", newline="") if text
                   else os.fdopen(fd, "wb"))
        with fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _aware(at: datetime | str) -> datetime:
    # coalesce() over two columns comes back untyped (text, naive UTC) on SQLite
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _percentile(values: list[float], q: float) -> float:
    index = min(int(q * len(values)), len(values) - 1)
    return sorted(values)[index]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _span(first: date, last: date) -> str:
    return f"{first.isoformat()} – {last.isoformat()}"


def _direction(tiers: TierTable, before: str | None, after: str | None, kind: str) -> Words:
    if kind != "auto":
        return _coded(kind, MOVES)
    return _coded("upgrade" if tiers.rank(after) > tiers.rank(before) else "downgrade", MOVES)
