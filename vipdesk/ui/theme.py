"""Fonts and the style sheet. CJK needs a font that has the glyphs: prefer WenQuanYi
Micro Hei or Noto Sans CJK **SC** explicitly (Qt otherwise may pick the Japanese face).

Type follows the screen: the style sheet's sizes are for a 768-high screen (the common
store PC, 1366 × 768) and grow with taller screens, so a 1920 × 1080 desk reads from a
step back instead of showing the same small text with more empty space around it."""

from __future__ import annotations

import re

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication

from vipdesk.resources import resource

CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC",
                "Microsoft YaHei", "PingFang SC")
BASE_HEIGHT = 768  # the style sheet's sizes are right for this screen height
BASE_POINTS = 11
MAX_SCALE = 1.5
FONT_SIZE = re.compile(r"font-size:\s*(\d+)px")


def scale_for(screen_height: int) -> float:
    """1.0 up to 768 pixels high, then in step with the height (about 1.4 at 1080)."""
    return min(max(screen_height / BASE_HEIGHT, 1.0), MAX_SCALE)


def scaled_sheet(sheet: str, scale: float) -> str:
    """The style sheet with every `font-size: Npx` multiplied by `scale`."""
    if scale == 1.0:
        return sheet
    return FONT_SIZE.sub(lambda m: f"font-size: {round(int(m.group(1)) * scale)}px", sheet)


def apply(app: QApplication, screen_height: int | None = None) -> float:
    """Font and style sheet for a screen this high (default: the primary screen's);
    returns the scale used."""
    scale = scale_for(screen_height or _primary_height())
    families = set(QFontDatabase.families())
    family = next((f for f in CJK_FAMILIES if f in families), None)
    if family:
        font = QFont(family)
        font.setPointSizeF(BASE_POINTS * scale)
        app.setFont(font)
    sheet = resource("qss", "desk.qss").read_text(encoding="utf-8")
    app.setStyleSheet(scaled_sheet(sheet, scale))
    return scale


def _primary_height() -> int:
    screen = QGuiApplication.primaryScreen()
    return screen.size().height() if screen is not None else BASE_HEIGHT
