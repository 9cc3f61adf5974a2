"""Fonts and the style sheet. CJK needs a font that has the glyphs: prefer WenQuanYi
Micro Hei or Noto Sans CJK **SC** explicitly (Qt otherwise may pick the Japanese face)."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from vipdesk.resources import resource

CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC",
                "Microsoft YaHei", "PingFang SC")


def apply(app: QApplication) -> None:
    families = set(QFontDatabase.families())
    family = next((f for f in CJK_FAMILIES if f in families), None)
    if family:
        font = QFont(family)
        font.setPointSize(11)
        app.setFont(font)
    app.setStyleSheet(resource("qss", "desk.qss").read_text(encoding="utf-8"))
