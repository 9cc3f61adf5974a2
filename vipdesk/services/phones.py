"""Phone numbers: whatever people type, stored and compared as E.164 (default region CN)."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

DEFAULT_REGION = "CN"
HOME_COUNTRY_CODE = 86  # DEFAULT_REGION's
_PHONE_CHARS = re.compile(r"^\+?[0-9]+$")
# A number shared from a phone's contact sheet or a QR code: `tel:+86-139-1234-5678`,
# RFC 3966 parameters (`;ext=…`, `;phone-context=…`) after it.
_TEL_URI = re.compile(r"^\s*(?:tel|callto|sms):(?://)?([^;?]*)", re.IGNORECASE)
# Between digit groups people type brackets, dots, slashes and, besides the ASCII hyphen,
# whatever their IME or a copied web page gives: em and en dashes (139—1234—5678), the
# non-breaking hyphen (U+2011), figure dash (U+2012), minus sign, the wave dash, the
# Japanese prolonged sound mark that IMEs offer as a dash (ー).
_PUNCTUATION = frozenset("()[].·/\u2212\u30fc\uff70")


class InvalidPhone(ValueError):
    """A phone number that cannot be a real number; the message says why, for staff."""


def squeeze(text: str) -> str:
    """A typed or shared phone or card number without what people put between its digit
    groups: `tel:` prefix, spaces of any width, dashes of any kind, brackets, dots.
    Full-width digits become ASCII (NFKC). The one normaliser for lookup and import."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if ":" in text and (uri := _TEL_URI.match(text)):
        text = uri.group(1)
    if text.isascii():  # the common case, by table (a million-row import squeezes 4M)
        return text.translate(_ASCII_SEPARATORS)
    return "".join(c for c in text if not _is_separator(c))


def _is_separator(char: str) -> bool:
    if char in _PUNCTUATION or char.isspace():
        return True
    # Pd: every dash; Zs: every space (U+3000, U+00A0, U+202F); Cf: zero-width and
    # direction marks a copied number carries invisibly.
    return unicodedata.category(char) in ("Pd", "Zs", "Cf")


_ASCII_SEPARATORS = str.maketrans("", "", "".join(
    c for c in map(chr, range(128)) if _is_separator(c)))


def code_number(text: str) -> str:
    """A card or member number as typed, read out or printed in groups: `8800 0000 0001`,
    `8800—0000—0001` → 880000000001; `vip 0012 34` → VIP001234. Dashes go only between
    digit groups: in `H-CARD` a dash is no separator but a wrong character."""
    digits = squeeze(text)
    if digits.isdigit():
        return digits
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if not (c.isspace() or unicodedata.category(c) == "Zs")
                   ).upper()


def looks_like_phone(text: str) -> bool:
    return bool(_PHONE_CHARS.match(squeeze(text)))


def _home_mobile_pattern() -> re.Pattern[str]:
    """The home region's mobile numbers as phonenumbers' own metadata describes them."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(DEFAULT_REGION)
    assert meta is not None and meta.mobile is not None
    assert meta.mobile.national_number_pattern is not None
    return re.compile(meta.mobile.national_number_pattern)


_HOME_MOBILE = _home_mobile_pattern()


def normalize(text: str, region: str = DEFAULT_REGION) -> str:
    """E.164 for a typed number: `138 0013 8000`, `+86 138-0013-8000`, `008613800138000`."""
    raw = squeeze(text)
    if not _PHONE_CHARS.match(raw):
        raise InvalidPhone(f"not a phone number: {text[:40]!r}")
    # Fast path for the common case (a million-row import parses each phone twice):
    # a home mobile written nationally is valid exactly when it matches the metadata's
    # mobile pattern, and its E.164 is the country code before it (~1 µs, not ~20).
    if region == DEFAULT_REGION and len(raw) == 11 and _HOME_MOBILE.fullmatch(raw):
        return "+86" + raw
    if raw.startswith("+86") and len(raw) == 14 and _HOME_MOBILE.fullmatch(raw, 3):
        return raw  # already E.164 (the import normalises once, then passes these on)
    if raw.startswith("00"):
        raw = "+" + raw[2:]  # international call prefix as dialled from China
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {text[:40]!r}") from exc
    if not phonenumbers.is_valid_number(parsed):
        neighbour = _neighbour(raw) if region == DEFAULT_REGION else None
        if neighbour is None:
            raise InvalidPhone(f"not a valid number: {text[:40]!r}")
        return neighbour
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Hong Kong, Macau and Taiwan guests write their numbers as at home: the country code
# without a plus, often in brackets (`(852) 6123-9876`, `853-6612 3456`), or a Taiwanese
# mobile in its domestic form (`0912-345-678`). Read so only when the number is no valid
# mainland number; a bare 8-digit number stays refused (a mainland local number looks
# the same).
_NEIGHBOUR_CODES = ("852", "853", "886")
_TW_DOMESTIC_MOBILE = re.compile(r"^09[0-9]{8}$")


def _neighbour(raw: str) -> str | None:
    """E.164 of a mainland-invalid number that reads as a valid HK, Macau or Taiwan one."""
    if raw.startswith(_NEIGHBOUR_CODES):
        candidate = "+" + raw
    elif _TW_DOMESTIC_MOBILE.match(raw):
        candidate = "+886" + raw[1:]
    else:
        return None
    return _valid_e164(candidate)


def _valid_e164(candidate: str) -> str | None:
    """`+…` digits as E.164 when they are a valid number, else None."""
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def neighbour_readings(digits: str) -> list[str]:
    """The Hong Kong, Macau and Taiwan numbers bare digits can be, for a search (not for
    storing: `normalize` refuses them as ambiguous): a guest gives `6123 9876` as at home.
    8 digits: a Hong Kong or Macau number; 9 starting with 9: a Taiwanese mobile."""
    if not digits.isdigit():
        return []
    if len(digits) == 8:
        candidates = ["+852" + digits, "+853" + digits]
    elif len(digits) == 9 and digits.startswith("9"):
        candidates = ["+886" + digits]
    else:
        return []
    return [number for c in candidates if (number := _valid_e164(c))]


def try_normalize(text: str, region: str = DEFAULT_REGION) -> str | None:
    try:
        return normalize(text, region)
    except InvalidPhone:
        return None


def suffix4(e164: str) -> str:
    return e164[-4:]


# The one masking rule for every number on screen (phones, cards, documents): at most the
# last 4 characters stay visible and at least half are hidden, so a reveal (audited) is
# what it takes to learn a number, whatever its length. Only the tail shows because staff
# tell two guests apart by their last 4 digits (the lookup's own key) and a prefix
# narrows the rest down (carrier, area) without helping anyone at the desk.
MASK_KEEP = 4


def hide(chars: str) -> str:
    """`13800138000` → `*******8000`, `91234567` → `****4567`, `12345` → `***45`."""
    keep = min(MASK_KEEP, len(chars) // 2)
    return "*" * (len(chars) - keep) + chars[len(chars) - keep:]


def mask(e164: str) -> str:
    """What the screen shows until someone reveals the number: the national significant
    number hidden by `hide`, behind its country code unless it is a home number —
    `+8613800138000` → `*******8000`, `+85291234567` → `+852 ****4567`."""
    country, national = _split(e164)
    if country is None:  # not a number phonenumbers can read: hide every digit the same way
        return hide(e164.lstrip("+"))
    hidden = hide(national)
    return hidden if country == HOME_COUNTRY_CODE else f"+{country} {hidden}"


def mask_code(text: str) -> str:
    """A card or identity document number under the same rule (spaces dropped)."""
    return hide("".join(text.split()))


def _split(e164: str) -> tuple[int | None, str]:
    """Country calling code and national significant number (an Italian fixed line keeps
    its leading zero, which `national_number` drops)."""
    if e164.startswith("+86") and e164[3:].isdigit():
        return HOME_COUNTRY_CODE, e164[3:]
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None, ""
    return parsed.country_code, phonenumbers.national_significant_number(parsed)


def national_digits(e164: str) -> str:
    # Home numbers skip phonenumbers.parse (~20 µs; a last-4 lookup masks 200 numbers):
    # country codes are prefix-free, so after "+86" comes the whole national number.
    if e164.startswith("+86") and e164[3:].isdigit():
        return e164[3:]
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164.lstrip("+")
    return str(parsed.national_number)


def display(e164: str) -> str:
    """How staff read a number: national format at home, international otherwise."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(parsed) == DEFAULT_REGION:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
