"""Fonts a card can embed, and splitting text into runs each font can draw.

Chinese needs an embedded TrueType-outline CJK font: reportlab refuses CFF outlines
(Noto CJK) and the non-embedded CID font STSong-Light prints as garbage through CUPS,
so neither is ever used. A role ("serif", "sans") is a fallback chain: each character
is drawn with the first font of the chain that has a glyph for it; a character no
font has becomes 〓 (the typesetter's mark for a missing glyph) and is reported.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

MISSING_GLYPH = "〓"

# Known places first (fast, deterministic), then whatever fontconfig suggests.
CJK_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/System/Library/Fonts/STHeiti Medium.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)
LATIN_CANDIDATES: dict[str, tuple[str, ...]] = {
    "serif": ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
    "sans": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
             "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    "light": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}
ENV_CJK_FONT = "VIPDESK_CJK_FONT"  # path[:subfont index], to force a font


class FontError(RuntimeError):
    """No usable font; the message says what to install."""


@dataclass(frozen=True)
class Run:
    font: str  # registered reportlab font name
    text: str


class FontChain:
    """Fonts tried in order for each character (Latin face first, CJK after)."""

    def __init__(self, fonts: list[TTFont]) -> None:
        self.fonts = fonts
        self.names = [f.fontName for f in fonts]
        self._maps = [f.face.charToGlyph for f in fonts]

    def font_for(self, char: str) -> str | None:
        code = ord(char)
        for name, cmap in zip(self.names, self._maps, strict=True):
            if code in cmap:
                return name
        return None

    def runs(self, text: str) -> list[Run]:
        """Consecutive characters drawn with the same font, missing glyphs replaced."""
        out: list[Run] = []
        for char in text:
            font = self.font_for(char)
            if font is None:
                char, font = MISSING_GLYPH, self.font_for(MISSING_GLYPH) or self.names[-1]
            if out and out[-1].font == font:
                out[-1] = Run(font, out[-1].text + char)
            else:
                out.append(Run(font, char))
        return out

    def missing(self, text: str) -> set[str]:
        return {c for c in text if not c.isspace() and self.font_for(c) is None}

    def width(self, text: str, size: float, tracking: float = 0.0) -> float:
        """Advance width in points, letter-spacing included (none after the last)."""
        total = sum(pdfmetrics.stringWidth(r.text, r.font, size) for r in self.runs(text))
        return total + tracking * max(len(text) - 1, 0)


@dataclass(frozen=True)
class FontFile:
    path: str
    subfont: int = 0


def _loadable(candidate: FontFile) -> TTFont | None:
    if not Path(candidate.path).is_file():
        return None
    name = "vd-" + Path(candidate.path).stem + f"-{candidate.subfont}"
    try:
        return TTFont(name, candidate.path, subfontIndex=candidate.subfont)
    except (TTFError, OSError, ValueError):
        return None  # CFF outlines (Noto CJK), a broken file: not embeddable


def _fc_match(pattern: str) -> list[FontFile]:
    if shutil.which("fc-match") is None:
        return []
    try:
        out = subprocess.run(["fc-match", "-s", "-f", "%{file}|%{index}\n", pattern],
                             capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines()[:30]:
        path, _, index = line.partition("|")
        if path.lower().endswith((".ttf", ".ttc")):
            found.append(FontFile(path, int(index or 0)))
    return found


def _env_font() -> list[FontFile]:
    value = os.environ.get(ENV_CJK_FONT, "")
    if not value:
        return []
    path, _, index = value.partition(":")
    return [FontFile(path, int(index or 0))]


def _has_chinese(font: TTFont) -> bool:
    cmap = font.face.charToGlyph
    return all(ord(c) in cmap for c in "王先生女士欢迎")


def _first(candidates: Iterable[FontFile], want_cjk: bool) -> TTFont | None:
    for candidate in candidates:
        font = _loadable(candidate)
        if font is not None and (not want_cjk or _has_chinese(font)):
            return font
    return None


@functools.cache
def cjk_font() -> TTFont:
    """The embeddable CJK font, registered with reportlab; FontError if there is none."""
    known = [FontFile(p, i) for p, i in CJK_CANDIDATES]
    font = _first([*_env_font(), *known], want_cjk=True)
    font = font or _first(_fc_match("sans:lang=zh-cn"), want_cjk=True)
    if font is None:
        raise FontError(
            "No TrueType Chinese font found, so a card cannot show Chinese names. "
            "Install one (Debian: apt-get install fonts-wqy-microhei) or set "
            f"{ENV_CJK_FONT}=/path/to/font.ttf")
    pdfmetrics.registerFont(font)
    return font


@functools.cache
def chain(role: str) -> FontChain:
    """The fallback chain for a role: its Latin face (if installed), then the CJK font."""
    if role not in LATIN_CANDIDATES:
        raise FontError(f"unknown font role {role!r}: use one of {sorted(LATIN_CANDIDATES)}")
    fonts: list[TTFont] = []
    latin = _first([FontFile(p) for p in LATIN_CANDIDATES[role]], want_cjk=False)
    if latin is not None:
        pdfmetrics.registerFont(latin)
        fonts.append(latin)
    fonts.append(cjk_font())
    return FontChain(fonts)
