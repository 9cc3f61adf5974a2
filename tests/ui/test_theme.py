"""Type follows the screen's height."""

from __future__ import annotations

from vipdesk.ui.theme import scale_for, scaled_sheet


def test_the_common_store_screen_keeps_the_sheet_sizes() -> None:
    assert scale_for(768) == 1.0
    assert scale_for(720) == 1.0  # never smaller: 1280 × 720 fits at these sizes too
    sheet = "QWidget { font-size: 14px; padding: 6px 14px; }"
    assert scaled_sheet(sheet, 1.0) == sheet


def test_a_1080_high_screen_gets_larger_type_only() -> None:
    scale = scale_for(1080)
    assert 1.3 < scale < 1.5
    sheet = scaled_sheet("QWidget { font-size: 14px; padding: 6px 14px; }", scale)
    assert sheet == "QWidget { font-size: 20px; padding: 6px 14px; }"
    assert scale_for(2160) == 1.5  # 4K at 100 %: larger, within reason
