"""Card templates as data: one TOML file per template in resources/cards/.

A template says the card's size, palette, optional artwork, vector ornaments (frames,
rules, corner marks, a guilloche rosette) and where each field goes (a box in mm from
the card's bottom-left corner, a font role, a size it may shrink from). Loading
validates everything once, so a bad template fails with a message naming the file and
the field, never half-way through printing a card.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vipdesk.resources import CARD_WORDING, card_template_files, resource

CARDS_DIR = resource("cards")
WORDING_FILE = CARD_WORDING
DEFAULT_TEMPLATE = "default"
FIELD_KEYS = ("store", "tier", "greeting", "name", "name_alt", "birthday", "offer",
              "advisor", "date", "member_no")
ORNAMENT_KINDS = ("frame", "rule", "corners", "rosette", "band")
ALIGNS = ("left", "center", "right")
FONT_ROLES = ("serif", "sans", "light")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class TemplateError(ValueError):
    """A template file is wrong; the message names the file and what to fix."""


@dataclass(frozen=True)
class FieldSpec:
    key: str
    box_mm: tuple[float, float, float, float]  # x, y (bottom), width, height
    font: str = "sans"
    size: float = 8.0
    min_size: float = 5.0
    max_lines: int = 1
    color: str = "ink"
    align: str = "left"
    valign: str = "bottom"  # bottom / top / middle
    tracking: float = 0.0  # letter spacing, points
    upper: bool = False
    line_height: float = 1.25


@dataclass(frozen=True)
class Ornament:
    kind: str
    color: str = "accent"
    width_pt: float = 0.4
    alpha: float = 1.0
    inset_mm: float = 3.0
    gap_mm: float = 0.0  # frame: a second, inner frame this far inside
    x_mm: float = 0.0
    y_mm: float = 0.0
    length_mm: float = 10.0  # rule length, corner arm, band width
    height_mm: float = 0.0  # band height
    radius_mm: float = 10.0  # rosette
    lobes: int = 24
    loops: int = 5


@dataclass(frozen=True)
class CardTemplate:
    name: str
    label: str
    size_mm: tuple[float, float]
    palette: dict[str, str]
    fields: tuple[FieldSpec, ...]
    ornaments: tuple[Ornament, ...] = ()
    tiers: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    artwork: Path | None = None
    artwork_alpha: float = 1.0
    wording: dict[str, dict[str, str]] = field(default_factory=dict)
    label_zh: str = ""  # the name a Chinese desk shows ("" → `label`)

    def color(self, role: str) -> str:
        return self.palette.get(role, role)


def _fail(source: str, message: str) -> TemplateError:
    return TemplateError(f"card template {source}: {message}")


def _number(value: Any, source: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, f"{what} must be a number, not {value!r}")
    return float(value)


def _check_color(value: str, palette: dict[str, str], source: str, what: str) -> None:
    if value not in palette and not _HEX.match(value):
        raise _fail(source, f"{what}: {value!r} is neither a palette name nor #rrggbb")


def _field(raw: dict[str, Any], size: tuple[float, float], palette: dict[str, str],
           source: str) -> FieldSpec:
    key = raw.get("key")
    if key not in FIELD_KEYS:
        raise _fail(source, f"field key {key!r} unknown; use one of {', '.join(FIELD_KEYS)}")
    box = raw.get("box_mm")
    if not isinstance(box, list) or len(box) != 4:
        raise _fail(source, f"field {key!r}: box_mm must be [x, y, width, height]")
    x, y, w, h = (_number(v, source, f"field {key!r} box_mm") for v in box)
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > size[0] or y + h > size[1]:
        raise _fail(source, f"field {key!r}: box {box} is not inside the "
                            f"{size[0]:g}×{size[1]:g} mm card")
    spec = FieldSpec(key=key, box_mm=(x, y, w, h), **{
        k: v for k, v in raw.items() if k not in ("key", "box_mm")})
    _validate_field(spec, palette, source)
    return spec


def _validate_field(spec: FieldSpec, palette: dict[str, str], source: str) -> None:
    where = f"field {spec.key!r}"
    if spec.font not in FONT_ROLES:
        raise _fail(source, f"{where}: font must be one of {', '.join(FONT_ROLES)}")
    if spec.align not in ALIGNS or spec.valign not in ("bottom", "top", "middle"):
        raise _fail(source, f"{where}: align/valign {spec.align}/{spec.valign} unknown")
    if not 0 < spec.min_size <= spec.size or spec.max_lines < 1:
        raise _fail(source, f"{where}: need 0 < min_size ≤ size and max_lines ≥ 1")
    if spec.min_size * 0.72 > spec.box_mm[3] / 25.4 * 72:
        raise _fail(source, f"{where}: box is lower than one line at min_size")
    _check_color(spec.color, palette, source, where)


def _ornament(raw: dict[str, Any], palette: dict[str, str], source: str) -> Ornament:
    try:
        ornament = Ornament(**raw)
    except TypeError as exc:
        raise _fail(source, f"ornament {raw.get('kind')!r}: {exc}") from None
    if ornament.kind not in ORNAMENT_KINDS:
        raise _fail(source, f"ornament kind {ornament.kind!r} unknown; "
                            f"use one of {', '.join(ORNAMENT_KINDS)}")
    _check_color(ornament.color, palette, source, f"ornament {ornament.kind!r}")
    return ornament


def _palette(raw: dict[str, Any], source: str) -> dict[str, str]:
    palette = {str(k): str(v) for k, v in raw.get("palette", {}).items()}
    for role in ("background", "ink", "accent", "muted"):
        if role not in palette:
            raise _fail(source, f"palette needs {role!r}")
    for role, value in palette.items():
        if not _HEX.match(value):
            raise _fail(source, f"palette {role!r}: {value!r} is not #rrggbb")
    return palette


def _artwork(raw: dict[str, Any], folder: Path, source: str) -> tuple[Path | None, float]:
    art = raw.get("artwork")
    if not art:
        return None, 1.0
    path = (folder / str(art["image"])).resolve()
    if not path.is_file():
        raise _fail(source, f"artwork image {art['image']!r} not found next to the template")
    return path, float(art.get("alpha", 1.0))


def parse_template(raw: dict[str, Any], source: str, folder: Path = CARDS_DIR) -> CardTemplate:
    try:
        size_raw = raw.get("size_mm", [90, 54])
        size = (_number(size_raw[0], source, "size_mm"), _number(size_raw[1], source, "size_mm"))
        palette = _palette(raw, source)
        fields = tuple(_field(f, size, palette, source) for f in raw.get("field", []))
        if not any(f.key == "name" for f in fields):
            raise _fail(source, "a card needs a 'name' field")
        artwork, alpha = _artwork(raw, folder, source)
        return CardTemplate(
            name=str(raw.get("name") or Path(source).stem), label=str(raw.get("label", "")),
            size_mm=size, palette=palette, fields=fields,
            ornaments=tuple(_ornament(o, palette, source) for o in raw.get("ornament", [])),
            tiers=tuple(raw.get("tiers", ())), brands=tuple(raw.get("brands", ())),
            artwork=artwork, artwork_alpha=alpha, wording=dict(raw.get("wording", {})),
            label_zh=str(raw.get("label_zh", "")))
    except (KeyError, IndexError, TypeError) as exc:
        raise _fail(source, f"malformed ({exc!r})") from None


def load_template_file(path: Path) -> CardTemplate:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path.name, f"cannot be read: {exc}") from None
    return parse_template(raw, path.name, path.parent)


@functools.cache
def load_templates(folder: Path = CARDS_DIR) -> dict[str, CardTemplate]:
    """Every template in the folder, by name; the wording file is not a template."""
    out = {}
    for path in card_template_files(folder):
        template = load_template_file(path)
        out[template.name] = template
    if DEFAULT_TEMPLATE not in out:
        raise TemplateError(f"{folder} has no {DEFAULT_TEMPLATE!r} card template")
    return out


@functools.cache
def load_wording(folder: Path = CARDS_DIR) -> dict[str, dict[str, str]]:
    path = folder / WORDING_FILE
    with path.open("rb") as fh:
        return {lang: dict(words) for lang, words in tomllib.load(fh).items()}


def choose_template(tier_code: str | None, brand: str | None = None, name: str | None = None,
                    folder: Path = CARDS_DIR) -> CardTemplate:
    """By explicit name; else the template for this tier (and brand, if one says so);
    else the default. An unknown explicit name is an error, not a silent default."""
    templates = load_templates(folder)
    if name:
        if name not in templates:
            raise TemplateError(f"no card template {name!r}; "
                                f"known: {', '.join(sorted(templates))}")
        return templates[name]
    for_tier = [t for t in templates.values() if tier_code and tier_code in t.tiers]
    branded = [t for t in for_tier if brand and brand in t.brands]
    unbranded = [t for t in for_tier if not t.brands]
    return (branded or unbranded or [templates[DEFAULT_TEMPLATE]])[0]
