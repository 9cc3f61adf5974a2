"""A manager report as PDF: title, period, each table, and a bar chart where the table
names one. Chinese needs the embedded TrueType CJK font (`fonts.cjk_font`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from vipdesk.printing.fonts import cjk_font
from vipdesk.services.reports import Report, Table, atomic_write

GOLD = colors.HexColor("#8c6d46")
CHART_W, CHART_H = 240 * mm, 60 * mm


def to_pdf(report: Report, path: Path) -> None:
    """Write the PDF atomically (a failure leaves no half-written file)."""
    font = cjk_font().fontName
    story: list[Any] = [
        Paragraph(report.title, ParagraphStyle("t", fontName=font, fontSize=18, leading=24)),
        Paragraph(report.period, ParagraphStyle("p", fontName=font, fontSize=10, leading=14,
                                                textColor=colors.grey)),
        Spacer(1, 6 * mm)]
    for table in report.tables:
        story += _table(table, font)

    def write(fh: Any) -> None:
        doc = SimpleDocTemplate(fh, pagesize=landscape(A4), title=report.title,
                                leftMargin=15 * mm, rightMargin=15 * mm,
                                topMargin=15 * mm, bottomMargin=15 * mm)
        doc.build(story)

    atomic_write(path, write, text=False)


def _table(table: Table, font: str) -> list[Any]:
    head = ParagraphStyle("h", fontName=font, fontSize=12, leading=16, textColor=GOLD)
    cells = [list(table.columns)] + [["" if v is None else str(v) for v in row]
                                      for row in table.rows]
    if not table.rows:
        cells.append(["(无数据 no data)"] + [""] * (len(table.columns) - 1))
    grid = PdfTable(cells, repeatRows=1, hAlign="LEFT")
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3ede4")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, GOLD),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#faf8f5")]),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT")]))
    out: list[Any] = [Paragraph(table.title, head), Spacer(1, 2 * mm), grid, Spacer(1, 4 * mm)]
    chart = _chart(table, font)
    if chart is not None:
        out += [chart, Spacer(1, 6 * mm)]
    return out


def _chart(table: Table, font: str) -> Drawing | None:
    if table.chart is None:
        return None
    label_col, value_col = table.chart
    points = [(str(r[label_col]), float(r[value_col])) for r in table.rows
              if isinstance(r[value_col], int | float) and not isinstance(r[value_col], bool)]
    if not points:
        return None
    drawing = Drawing(CHART_W, CHART_H)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 30, 25, CHART_W - 50, CHART_H - 35
    bars.data = [[v for _, v in points]]
    bars.categoryAxis.categoryNames = [label[:14] for label, _ in points]
    bars.categoryAxis.labels.fontName = font
    bars.categoryAxis.labels.fontSize = 8
    bars.valueAxis.labels.fontName = font
    bars.valueAxis.valueMin = 0
    bars.bars[0].fillColor = GOLD
    bars.barLabelFormat = "%g"
    bars.barLabels.fontName = font
    bars.barLabels.fontSize = 7
    bars.barLabels.nudge = 6
    drawing.add(bars)
    return drawing
