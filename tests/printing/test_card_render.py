"""The card PDF: real Chinese text, embedded fonts, ink where it belongs, long names fit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cardkit import (
    BLANK,
    LONG_NAME,
    SAMPLE,
    changed_pixels,
    ink_outside_safe_area,
    pdf_fonts,
    pdf_text,
    raster,
)
from reportlab.lib.units import mm

from vipdesk.printing import fonts
from vipdesk.printing.fonts import MISSING_GLYPH, FontError, chain
from vipdesk.printing.render import fit, render_card
from vipdesk.printing.templates import FieldSpec, load_templates

TEMPLATES = sorted(load_templates())


@pytest.mark.parametrize("name", TEMPLATES)
def test_pdf_carries_the_chinese_text_and_embeds_every_font(name: str, tmp_path: Path) -> None:
    card = render_card(SAMPLE, load_templates()[name])
    text = pdf_text(card.pdf)
    for words in ("王先生", "Mr Wang", "上海恒隆广场店", "机场贵宾厅", "李娜"):
        assert words in text.replace("\n", " ") or words in text
    rows = pdf_fonts(card.pdf, tmp_path)
    assert rows, "no fonts in the PDF"
    assert any("WenQuanYi" in row[0] for row in rows)
    for row in rows:
        emb = row[-5]  # columns: name type… encoding emb sub uni object ID
        assert emb == "yes", f"font {row[0]} is not embedded"
        assert "STSong" not in row[0]


@pytest.mark.parametrize("name", TEMPLATES)
def test_card_is_card_sized_not_blank_and_text_stays_inside(name: str) -> None:
    template = load_templates()[name]
    card = render_card(SAMPLE, template)
    empty = render_card(BLANK, template)
    image, bare = raster(card.pdf), raster(empty.pdf)
    width, height = image.size  # 90×54 mm at 100 dpi; poppler rounds up
    assert abs(width - 90 / 25.4 * 100) <= 1 and abs(height - 54 / 25.4 * 100) <= 1
    assert len(image.getcolors(maxcolors=1 << 20) or ()) > 20, "card is a flat colour"
    assert changed_pixels(image, bare) > 800, "the text left no ink"
    assert ink_outside_safe_area(image, bare) == 0


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_sixty_character_mixed_script_name_shrinks_wraps_and_never_overflows(
        name: str) -> None:
    assert len(LONG_NAME) == 60
    template = load_templates()[name]
    data = dataclasses.replace(SAMPLE, name=LONG_NAME, name_alt=LONG_NAME,
                               store="上海恒隆广场店 " * 6, offer="今日礼遇 · " + "机场贵宾厅" * 8)
    card = render_card(data, template)
    boxes = {f.key: f for f in template.fields}
    for line in card.lines:
        x, y, w, h = (v * mm for v in boxes[line.key].box_mm)
        assert x - 0.01 <= line.x and line.x + line.width <= x + w + 0.01, line
        assert y - 0.01 <= line.baseline - line.size * 0.2 <= line.baseline <= y + h, line
    assert {"𪚥", "😀"} <= card.missing_glyphs
    assert "name" in card.truncated or len([ln for ln in card.lines if ln.key == "name"]) == 2
    assert MISSING_GLYPH in "".join(ln.text for ln in card.lines if ln.key == "name") or (
        "name" in card.truncated)
    assert ink_outside_safe_area(raster(card.pdf), raster(render_card(BLANK, template).pdf)) == 0


def test_the_safe_area_check_sees_text_at_the_edge() -> None:
    template = load_templates()["default"]
    edge = dataclasses.replace(template, fields=tuple(
        dataclasses.replace(f, box_mm=(0.3, 0.3, 60, 10.5)) if f.key == "name" else f
        for f in template.fields))
    assert ink_outside_safe_area(raster(render_card(SAMPLE, edge).pdf),
                                 raster(render_card(BLANK, edge).pdf)) > 0


SPEC = FieldSpec(key="name", box_mm=(0, 0, 60, 10.5), font="serif", size=20, min_size=9,
                 max_lines=2, line_height=1.15)


def test_fit_keeps_the_full_size_when_the_text_fits() -> None:
    fitted = fit("王先生", SPEC, chain("serif"))
    assert fitted == type(fitted)(20, ("王先生",))


def test_fit_shrinks_first_to_exactly_the_box_width() -> None:
    fonts_ = chain("serif")
    fitted = fit("王" * 12, SPEC, fonts_)
    assert 9 <= fitted.size < 20 and fitted.lines == ("王" * 12,)
    assert fonts_.width("王" * 12, fitted.size) == pytest.approx(60 * mm, rel=0.01)


def test_fit_wraps_at_min_size_then_cuts_with_an_ellipsis() -> None:
    fonts_ = chain("serif")
    wrapped = fit("王" * 24, SPEC, fonts_)
    assert wrapped.size == 9 and len(wrapped.lines) == 2 and not wrapped.truncated
    cut = fit("王" * 80, SPEC, fonts_)
    assert cut.truncated and len(cut.lines) == 2 and cut.lines[-1].endswith("…")
    assert all(fonts_.width(line, 9) <= 60 * mm for line in cut.lines)


def test_latin_words_wrap_between_words() -> None:
    fitted = fit("Alexandra Constance Montgomery-Worthington of Kent", SPEC,
                 chain("serif"))
    assert len(fitted.lines) == 2
    assert all(not line.startswith(" ") and not line.endswith(" ") for line in fitted.lines)
    assert " ".join(fitted.lines).split() == (
        ["Alexandra", "Constance", "Montgomery-Worthington", "of", "Kent"])


def test_runs_pick_the_latin_face_for_latin_and_the_cjk_font_for_chinese() -> None:
    runs = chain("serif").runs("Mr 王 𪚥")
    assert [r.text for r in runs] == ["Mr ", "王", " ", MISSING_GLYPH]
    assert runs[0].font != runs[1].font and runs[1].font == runs[3].font


def test_no_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "CJK_CANDIDATES", ())
    monkeypatch.setattr(fonts, "_fc_match", lambda pattern: [])
    monkeypatch.delenv(fonts.ENV_CJK_FONT, raising=False)
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(FontError, match="fonts-wqy-microhei"):
            fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()


def test_a_cff_or_missing_font_file_is_skipped_not_embedded(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"OTTO" + b"\0" * 100)  # a CFF (OpenType) header reportlab refuses
    assert fonts._loadable(fonts.FontFile(str(fake))) is None
    assert fonts._loadable(fonts.FontFile(str(tmp_path / "none.ttf"))) is None
