"""Where the shipped resources live (icons, QSS, templates, translations, defaults)."""

from __future__ import annotations

import tomllib
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
CARDS = RESOURCES / "cards"  # one TOML file per card template, and the wording file
CARD_WORDING = "wording.toml"  # the cards' words in each language: not a template


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


def card_template_files(folder: Path = CARDS) -> list[Path]:
    return [p for p in sorted(folder.glob("*.toml")) if p.name != CARD_WORDING]


def card_template_names(folder: Path = CARDS) -> set[str]:
    """The names the card templates go by (their `name`, else the file's stem), read
    without checking the rest: the tier table only names a template, printing
    validates it when it loads it (`vipdesk.printing.templates`)."""
    names = set()
    for path in card_template_files(folder):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            raw = {}
        names.add(str(raw.get("name") or path.stem))
    return names
