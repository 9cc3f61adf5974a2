from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.services.phone_writings import example_numbers, writings
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


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("(852) 6123-9876", "+85261239876"), ("852 6123 9876", "+85261239876"),
     ("853-6612 3456", "+85366123456"), ("(886) 912-345-678", "+886912345678"),
     ("886 2 2345 6789", "+886223456789"),  # a Taipei landline
     ("0912-345-678", "+886912345678"), ("0912345678", "+886912345678"),  # TW at home
     ("0912-3456789", "+869123456789"),  # a mainland landline (榆林 0912) stays mainland
     ("010-12345678", "+861012345678")],
)
def test_hong_kong_macau_and_taiwan_numbers_as_written_at_home(typed: str, e164: str) -> None:
    assert phones.normalize(typed) == e164


@pytest.mark.parametrize("ambiguous", ["91234567", "85212345678", "8526123", "0912-345-67"])
def test_what_is_no_number_anywhere_stays_refused(ambiguous: str) -> None:
    """A bare 8-digit number could be a Hong Kong mobile or a mainland local one: the
    desk asks for the country code rather than guess."""
    with pytest.raises(phones.InvalidPhone):
        phones.normalize(ambiguous)


@pytest.mark.parametrize("garbage", ["", "abc", "138001", "+", "12345678901234567890", "☎️"])
def test_garbage_is_refused_with_a_message(garbage: str) -> None:
    with pytest.raises(phones.InvalidPhone, match="not a"):
        phones.normalize(garbage)


def test_mask_keeps_the_last_four_only() -> None:
    assert phones.mask(CN) == "*******8000"


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


# -- writings from IMEs, share sheets and QR codes ----------------------------------------

CN_MOBILE = "+8613912345678"


@pytest.mark.parametrize(
    "typed",
    ["tel:+86-139-1234-5678", "TEL:+86 139 1234 5678", "tel:13912345678",
     "tel:+86-139-1234-5678;phone-context=+86", "tel://+8613912345678",
     "139—1234—5678", "139——1234——5678", "139–1234–5678", "139\u20111234\u20115678",
     "139\u20121234\u20125678", "139\u22121234\u22125678", "139\u20101234\u20105678",
     "１３９　１２３４　５６７８", "+86\u00a0139\u202f1234\u20095678", "139\u200b1234\u200b5678",
     "（139）1234－5678", "139ー1234ー5678", "+86 (0)139 1234 5678"],
)
def test_shared_and_ime_writings_of_a_mobile(typed: str) -> None:
    assert phones.normalize(typed) == CN_MOBILE


@pytest.mark.parametrize(("region", "e164"), example_numbers())
def test_every_writing_of_each_regions_example_numbers(region: str, e164: str) -> None:
    for typed in writings(e164):
        assert phones.normalize(typed) == e164, (region, typed)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("8800 0000 0001", "880000000001"), ("8800—0000—0001", "880000000001"),
     ("８８００　００００　０００１", "880000000001"), ("8800-0000-0001", "880000000001"),
     ("vip 0012 34", "VIP001234"), ("H-CARD", "H-CARD")],
)
def test_card_numbers_in_groups(typed: str, code: str) -> None:
    assert phones.code_number(typed) == code
