"""Each region's example phone numbers and the ways people write them (shared by the
phone and lookup tests)."""

from __future__ import annotations

import phonenumbers

from vipdesk.services import phones

# Home, Hong Kong, Macau, Taiwan, and where many guests come from.
E164 = phonenumbers.PhoneNumberFormat.E164
REGIONS = ("CN", "HK", "MO", "TW", "SG", "MY", "JP", "KR", "US", "GB", "FR", "AU")


def example_numbers() -> list[tuple[str, str]]:
    """(region, E.164) of each region's example fixed-line and mobile numbers."""
    out = []
    for region in REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE,
                     phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            assert number is not None
            out.append((region, phonenumbers.format_number(number, E164)))
    return list(dict.fromkeys(out))  # some regions give one number for both


def writings(e164: str) -> list[str]:
    """The ways people write one number: as printed, with dashes of any kind, 00 for +,
    from a phone's share sheet (tel:), in full width, with ideographic spaces."""
    number = phonenumbers.parse(e164)
    spaced = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    dashed = spaced.replace(" ", "-")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in spaced)
    out = [e164, spaced, dashed, dashed.replace("-", "—"), dashed.replace("-", "\u2011"),
           "00" + e164[1:], "00 " + spaced[1:],
           phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966),
           full_width.replace(" ", "\u3000")]
    if phonenumbers.region_code_for_number(number) == phones.DEFAULT_REGION:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        out += [national, national.replace(" ", "—")]
    return out
