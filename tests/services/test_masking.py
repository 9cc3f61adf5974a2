"""The one masking rule, for every region phonenumbers knows, landlines and card numbers:
at most the last 4 digits visible, at least half of the national significant number
hidden, the country code visible for numbers from abroad."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from vipdesk.services import phones, privacy


def _examples() -> list[tuple[str, str]]:
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
                out.append((region, e164))
    return out


EXAMPLES = _examples()


def _holds_the_rule(hidden: str, national: str) -> None:
    visible = len(hidden) - hidden.count("*")
    assert len(hidden) == len(national)
    assert visible <= 4
    assert hidden.count("*") * 2 >= len(national)
    assert hidden.endswith(national[len(national) - visible:])  # only the tail shows
    assert set(hidden[:len(national) - visible]) <= {"*"}


def test_every_supported_region_has_examples() -> None:
    assert len({region for region, _ in EXAMPLES}) > 200


@pytest.mark.parametrize(("region", "e164"), EXAMPLES)
def test_every_regions_mobile_and_fixed_line_examples(region: str, e164: str) -> None:
    parsed = phonenumbers.parse(e164, None)
    national = phonenumbers.national_significant_number(parsed)
    masked = phones.mask(e164)
    if parsed.country_code == phones.HOME_COUNTRY_CODE:
        hidden = masked
    else:
        prefix = f"+{parsed.country_code} "
        assert masked.startswith(prefix), region
        hidden = masked[len(prefix):]
    _holds_the_rule(hidden, national)


@pytest.mark.parametrize(("e164", "masked"), [
    ("+8613800138000", "*******8000"),   # mainland mobile
    ("+862012345678", "******5678"),     # mainland landline (Guangzhou)
    ("+861012345678", "******5678"),     # Beijing landline
    ("+85291234567", "+852 ****4567"),   # Hong Kong mobile: 8 digits, 4 hidden
    ("+85228123456", "+852 ****3456"),   # Hong Kong landline
    ("+85366123456", "+853 ****3456"),   # Macau
    ("+886912345678", "+886 *****5678"),  # Taiwan mobile
    ("+886221234567", "+886 *****4567"),  # Taipei landline
    ("+12015550123", "+1 ******0123"),
    ("+447400123456", "+44 ******3456"),
    ("+390212345678", "+39 ******5678"),  # Italian landline keeps its leading 0
    ("+68221234", "+682 ***34"),          # Cook Islands: 5 digits, 2 shown
])
def test_known_numbers(e164: str, masked: str) -> None:
    assert phones.mask(e164) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("", ""), ("7", "*"), ("12", "*2"), ("1234", "**34"), ("12345678", "****5678"),
    ("13800138000", "*******8000"),
])
def test_hide_keeps_at_most_four_and_hides_half(text: str, masked: str) -> None:
    assert phones.hide(text) == masked


@pytest.mark.parametrize(("raw", "masked"), [
    ("8800 0000 0001", "********0001"),    # member card, as printed in groups
    ("6222021234567890123", "***************0123"),
    ("VIP001234", "*****1234"),
    ("110105199001011234", "**************1234"),  # identity card
    ("G1234 5678", "*****5678"),
    ("A123456(7)", "******6(7)"),
    ("1234567", "****567"),
])
def test_card_and_document_numbers(raw: str, masked: str) -> None:
    assert phones.mask_code(raw) == masked
    assert privacy.mask_id_number(raw) == masked
    _holds_the_rule(masked, "".join(raw.split()))


def test_unreadable_numbers_are_hidden_by_the_same_rule() -> None:
    assert phones.mask("+99912345") == "****2345"
