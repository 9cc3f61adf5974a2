"""Card PDF with reportlab: ornaments, artwork, and every field fitted into its box.

Fitting rule (never overflow the card): shrink from the field's size down to its
min_size (text width is linear in the size, so the largest size that fits is computed,
not searched); if it still does not fit, wrap at min_size into as many lines as the box
and max_lines allow; what is left after the last line is cut with "…" and reported.
"""

from __future__ import annotations

import functools
import io
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from vipdesk.printing.data import CardData
from vipdesk.printing.fonts import FontChain, chain, cjk_font
from vipdesk.printing.templates import CardTemplate, FieldSpec, Ornament

ELLIPSIS = "…"
ASCENT = 0.80  # of the font size, for placing the first line under a box top
DESCENT = 0.20


@dataclass(frozen=True)
class PlacedLine:
    key: str
    text: str
    x: float  # points, left edge of the ink
    baseline: float
    width: float
    size: float


@dataclass(frozen=True)
class CardPdf:
    pdf: bytes
    template: str
    size_mm: tuple[float, float]
    lines: tuple[PlacedLine, ...]
    missing_glyphs: frozenset[str] = frozenset()
    truncated: tuple[str, ...] = ()  # field keys cut with "…"
    data: CardData | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Fit:
    size: float
    lines: tuple[str, ...]
    truncated: bool = False


# -- fitting ----------------------------------------------------------------------------

def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Break opportunities: after each wide (CJK) character and around spaces."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if _is_wide(char) or char.isspace():
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def _split_long(token: str, fonts: FontChain, size: float, width: float,
                tracking: float) -> list[str]:
    pieces, piece = [], ""
    for char in token:
        if piece and fonts.width(piece + char, size, tracking) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap(text: str, fonts: FontChain, size: float, width: float,
         tracking: float = 0.0) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        for piece in _split_long(token, fonts, size, width, tracking):
            if not line or fonts.width(line + piece, size, tracking) <= width:
                line += piece
            else:
                lines.append(line.rstrip())
                line = piece.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _ellipsize(line: str, fonts: FontChain, size: float, width: float,
               tracking: float) -> str:
    while line and fonts.width(line + ELLIPSIS, size, tracking) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def fit(text: str, spec: FieldSpec, fonts: FontChain) -> Fit:
    width, height = spec.box_mm[2] * mm, spec.box_mm[3] * mm
    n = len(text)
    at_one_pt = fonts.width(text, 1.0)
    room = width - spec.tracking * max(n - 1, 0)
    best = min(spec.size, room / at_one_pt if at_one_pt else spec.size, height / (ASCENT + DESCENT))
    if best >= spec.min_size:
        return Fit(round(best, 2), (text,))
    size = spec.min_size
    by_height = int((height - size * (ASCENT + DESCENT)) // (size * spec.line_height)) + 1
    limit = max(1, min(spec.max_lines, by_height))
    lines = wrap(text, fonts, size, width, spec.tracking)
    if len(lines) <= limit:
        return Fit(size, tuple(lines))
    kept = lines[:limit]
    kept[-1] = _ellipsize(kept[-1], fonts, size, width, spec.tracking)
    return Fit(size, tuple(kept), truncated=True)


# -- drawing ----------------------------------------------------------------------------

def _color(template: CardTemplate, role: str, alpha: float = 1.0) -> Color:
    base = HexColor(template.color(role))
    return Color(base.red, base.green, base.blue, alpha=alpha)


def _baselines(spec: FieldSpec, fitted: Fit) -> list[float]:
    _, y, _, h = (v * mm for v in spec.box_mm)
    step = fitted.size * spec.line_height
    block = fitted.size * (ASCENT + DESCENT) + step * (len(fitted.lines) - 1)
    top = {"top": y + h, "bottom": y + block, "middle": y + (h + block) / 2}[spec.valign]
    first = top - fitted.size * ASCENT
    return [first - i * step for i in range(len(fitted.lines))]


def _draw_line(canvas: Canvas, fonts: FontChain, text: str, x: float, y: float,
               size: float, tracking: float) -> None:
    for run in fonts.runs(text):
        canvas.setFont(run.font, size)
        canvas.drawString(x, y, run.text, charSpace=tracking)
        x += fonts.width(run.text, size, tracking) + tracking


def _draw_field(canvas: Canvas, template: CardTemplate, spec: FieldSpec,
                text: str) -> tuple[list[PlacedLine], bool]:
    fonts = chain(spec.font)
    fitted = fit(text.upper() if spec.upper else text, spec, fonts)
    canvas.setFillColor(_color(template, spec.color))
    x0, width = spec.box_mm[0] * mm, spec.box_mm[2] * mm
    placed = []
    for line, baseline in zip(fitted.lines, _baselines(spec, fitted), strict=True):
        line_width = fonts.width(line, fitted.size, spec.tracking)
        x = {"left": x0, "center": x0 + (width - line_width) / 2,
             "right": x0 + width - line_width}[spec.align]
        _draw_line(canvas, fonts, line, x, baseline, fitted.size, spec.tracking)
        placed.append(PlacedLine(spec.key, line, x, baseline, line_width, fitted.size))
    return placed, fitted.truncated


def _frame(canvas: Canvas, o: Ornament, w: float, h: float) -> None:
    inset = o.inset_mm * mm
    canvas.rect(inset, inset, w - 2 * inset, h - 2 * inset, stroke=1, fill=0)
    if o.gap_mm:
        inner = inset + o.gap_mm * mm
        canvas.rect(inner, inner, w - 2 * inner, h - 2 * inner, stroke=1, fill=0)


def _corners(canvas: Canvas, o: Ornament, w: float, h: float) -> None:
    i, arm = o.inset_mm * mm, o.length_mm * mm
    for cx, cy, dx, dy in ((i, i, 1, 1), (w - i, i, -1, 1), (i, h - i, 1, -1),
                           (w - i, h - i, -1, -1)):
        canvas.lines([(cx, cy, cx + dx * arm, cy), (cx, cy, cx, cy + dy * arm)])


@functools.cache
def _rosette_path(o: Ornament) -> PDFPathObject:
    """A guilloche rosette (hypotrochoid): the engraved pattern of banknotes and watch
    dials, as one thin vector path. Thousands of points: built once per template and
    reused by every card (drawPath only reads it)."""
    big, cx, cy = o.radius_mm * mm, o.x_mm * mm, o.y_mm * mm
    small = big / o.lobes
    arm = big * 0.55
    scale = big / (big - small + arm)
    path = PDFPathObject()
    steps = o.lobes * o.loops * 24
    for i in range(steps + 1):
        t = 2 * math.pi * o.loops * i / steps
        x = (big - small) * math.cos(t) + arm * math.cos((big - small) / small * t)
        y = (big - small) * math.sin(t) - arm * math.sin((big - small) / small * t)
        (path.moveTo if i == 0 else path.lineTo)(cx + x * scale, cy + y * scale)
    return path


def _ornament(canvas: Canvas, template: CardTemplate, o: Ornament, w: float, h: float) -> None:
    canvas.setStrokeColor(_color(template, o.color, o.alpha))
    canvas.setFillColor(_color(template, o.color, o.alpha))
    canvas.setLineWidth(o.width_pt)
    if o.kind == "frame":
        _frame(canvas, o, w, h)
    elif o.kind == "corners":
        _corners(canvas, o, w, h)
    elif o.kind == "rule":
        canvas.line(o.x_mm * mm, o.y_mm * mm, (o.x_mm + o.length_mm) * mm, o.y_mm * mm)
    elif o.kind == "band":
        canvas.rect(o.x_mm * mm, o.y_mm * mm, o.length_mm * mm, o.height_mm * mm,
                    stroke=0, fill=1)
    elif o.kind == "rosette":
        canvas.drawPath(_rosette_path(o), stroke=1, fill=0)


@functools.cache
def _image(path: Path) -> ImageReader:
    return ImageReader(str(path))


def _background(canvas: Canvas, template: CardTemplate, w: float, h: float) -> None:
    canvas.setFillColor(_color(template, "background"))
    canvas.rect(0, 0, w, h, stroke=0, fill=1)
    if template.artwork is not None:
        canvas.saveState()
        canvas.setFillAlpha(template.artwork_alpha)
        canvas.drawImage(_image(template.artwork), 0, 0, w, h, mask="auto")
        canvas.restoreState()


def _save(canvas: Canvas) -> None:
    """Binary streams, not ASCII85: reportlab's pure-Python ASCII85 encoder was half the
    time of a card (and 25 % of its size). Every PDF reader takes binary streams."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = before


def render_card(data: CardData, template: CardTemplate) -> CardPdf:
    """One page, the card's exact size, fonts embedded (subset)."""
    w, h = template.size_mm[0] * mm, template.size_mm[1] * mm
    buffer = io.BytesIO()
    # initialFontName: otherwise reportlab references a non-embedded Helvetica.
    canvas = Canvas(buffer, pagesize=(w, h), invariant=True, pageCompression=1,
                    initialFontName=cjk_font().fontName)
    canvas.setTitle(f"Welcome card — {data.name}")
    canvas.setAuthor("vipdesk")
    _background(canvas, template, w, h)
    for ornament in template.ornaments:
        _ornament(canvas, template, ornament, w, h)
    values = data.fields()
    lines: list[PlacedLine] = []
    truncated: list[str] = []
    missing: set[str] = set()
    for spec in template.fields:
        text = values.get(spec.key, "").strip()
        if not text:
            continue
        placed, cut = _draw_field(canvas, template, spec, text)
        lines += placed
        missing |= chain(spec.font).missing(text)
        if cut:
            truncated.append(spec.key)
    canvas.showPage()
    _save(canvas)
    return CardPdf(buffer.getvalue(), template.name, template.size_mm, tuple(lines),
                   frozenset(missing), tuple(truncated), data)
