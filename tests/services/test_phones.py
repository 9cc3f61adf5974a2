from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vipdesk.services import phones

CN = "+8613800138000"


@pytest.mark.parametrize(
    "typed",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138-0013-8000", "008613800138000",
     "(138) 0013 8000", "+86 (138) 0013-8000", "86 138 0013 8000", "１３８００１３８０００",
     "138.0013.8000"],
)
def test_common_writings_of_a_cn_mobile(typed: str) -> None:
    from vipdesk.services.scan import clean

    assert phones.normalize(clean(typed)) == CN


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("+33 6 12 34 56 78", "+33612345678"), ("+1 (415) 555-0132", "+14155550132"),
     ("00852 9123 4567", "+85291234567"), ("+44 7911 123456", "+447911123456")],
)
def test_foreign_numbers(typed: str, e164: str) -> None:
    assert phones.normalize(typed) == e164


@pytest.mark.parametrize("garbage", ["", "abc", "138001", "+", "12345678901234567890", "☎️"])
def test_garbage_is_refused_with_a_message(garbage: str) -> None:
    with pytest.raises(phones.InvalidPhone, match="not a"):
        phones.normalize(garbage)


def test_mask_keeps_prefix_and_last_four() -> None:
    assert phones.mask(CN) == "138****8000"


SEPARATORS = st.sampled_from(["", " ", "-", " - ", ".", "(", ")"])


@st.composite
def written_cn_mobile(draw: st.DrawFn) -> tuple[str, str]:
    prefix = draw(st.sampled_from(["138", "139", "150", "186", "199", "177"]))
    rest = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    digits = prefix + rest
    groups = [digits[:3], digits[3:7], digits[7:]]
    country = draw(st.sampled_from(["", "+86", "0086", "+86 ", "86"]))
    text = country + "".join(g + draw(SEPARATORS) for g in groups)
    return text, "+86" + digits


@given(written_cn_mobile())
def test_any_writing_of_a_mobile_normalises_to_one_e164(case: tuple[str, str]) -> None:
    text, e164 = case
    assert phones.normalize(text) == e164


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text: str) -> None:
    result = phones.try_normalize(text)
    assert result is None or result.startswith("+")
