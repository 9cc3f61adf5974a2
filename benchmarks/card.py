"""Welcome-card PDF generation: the template renderer vs raw reportlab drawing the same strings.

`python -m benchmarks.card [--runs N]`. Three figures per tier template:
  card        render_card(data, template): ornaments, artwork, fit-to-box, font fallback
  raw         a reportlab Canvas of the same size drawing the same strings with the same
              embedded fonts at fixed places (no fitting, no ornaments): the floor
  service     CardService.render: member profile from SQLite + the card (demo lounge)
Target: card median ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.common import median_p99_ms
from vipdesk.db import open_desk_db
from vipdesk.desk.cards import CardService
from vipdesk.models import Member
from vipdesk.printing.data import CardData
from vipdesk.printing.fonts import chain, cjk_font
from vipdesk.printing.render import _save, render_card
from vipdesk.printing.templates import load_templates
from vipdesk.services.clock import FixedClock
from vipdesk.services.demo import build_demo

SAMPLE = CardData(
    language="zh", name="王先生", name_alt="Mr Wang", tier="黑卡会员",
    greeting="欢迎莅临 · 恭候已久", birthday="生日将至，提前祝您生日快乐",
    offer="今日礼遇 · 机场贵宾厅", advisor="专属顾问  李娜", store="上海恒隆广场店",
    date="2026.11.25", member_no="M0000001")


def raw_reportlab(data: CardData) -> bytes:
    """The same strings, the same size and fonts, nothing clever."""
    font = cjk_font().fontName
    latin = chain("serif").names[0]
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(90 * mm, 54 * mm), invariant=True, pageCompression=1,
               initialFontName=font)
    y = 48 * mm
    for text in data.fields().values():
        c.setFont(font if any(ord(ch) > 0x2E80 for ch in text) else latin, 7)
        c.drawString(8 * mm, y, text)
        y -= 4 * mm
    c.showPage()
    _save(c)  # binary streams, as render_card writes them
    return buffer.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    templates = load_templates()
    render_card(SAMPLE, templates["black"])  # register fonts, load artwork once
    rows = []
    for name in ("black", "diamond", "senior", "default"):
        card = median_p99_ms(lambda t=templates[name]: render_card(SAMPLE, t), args.runs)
        rows.append((name, card))
    raw = median_p99_ms(lambda: raw_reportlab(SAMPLE), args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_desk_db(Path(tmp) / "cards.db")
        build_demo(engine, members=500, seed=7, today=date(2026, 11, 25))
        with Session(engine) as s:
            wang = s.scalars(select(Member.id).where(Member.member_no == "M0000001")).one()
        service = CardService(engine, clock=FixedClock(datetime(2026, 11, 25, 2, tzinfo=UTC)),
                              store_code="SH01")
        full = median_p99_ms(lambda: service.render(wang), args.runs)
        engine.dispose()
    print(f"welcome card PDF, 90×54 mm, {args.runs} runs each (median / p99, ms)")
    for name, (med, p99) in rows:
        print(f"  card  {name:<8} {med:7.2f} / {p99:7.2f}   ratio to raw {med / raw[0]:4.1f}x")
    print(f"  raw reportlab    {raw[0]:7.2f} / {raw[1]:7.2f}   (same strings and fonts)")
    print(f"  service.render   {full[0]:7.2f} / {full[1]:7.2f}   (profile from SQLite + card)")
    worst = max(med for _, (med, _) in rows)
    print(f"  target: card median ≤ 100 ms — {'met' if worst <= 100 else 'MISSED'} "
          f"(worst {worst:.1f} ms)")


if __name__ == "__main__":
    main()
