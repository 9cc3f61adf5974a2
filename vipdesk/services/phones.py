"""Phone numbers: whatever people type, stored and compared as E.164 (default region CN)."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "CN"
_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_PHONE_CHARS = re.compile(r"^\+?[0-9]+$")


class InvalidPhone(ValueError):
    """A phone number that cannot be a real number; the message says why, for staff."""


def squeeze(text: str) -> str:
    """Drop the separators people type between digit groups: spaces, dashes, brackets, dots."""
    return _SEPARATORS.sub("", text)


def looks_like_phone(text: str) -> bool:
    return bool(_PHONE_CHARS.match(squeeze(text)))


def normalize(text: str, region: str = DEFAULT_REGION) -> str:
    """E.164 for a typed number: `138 0013 8000`, `+86 138-0013-8000`, `008613800138000`."""
    raw = squeeze(text)
    if not _PHONE_CHARS.match(raw):
        raise InvalidPhone(f"not a phone number: {text[:40]!r}")
    if raw.startswith("00"):
        raw = "+" + raw[2:]  # international call prefix as dialled from China
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {text[:40]!r}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"not a valid number: {text[:40]!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_normalize(text: str, region: str = DEFAULT_REGION) -> str | None:
    try:
        return normalize(text, region)
    except InvalidPhone:
        return None


def suffix4(e164: str) -> str:
    return e164[-4:]


def mask(e164: str) -> str:
    """`+8613800138000` → `138****8000`: what the screen shows until someone reveals it."""
    national = national_digits(e164)
    if len(national) <= 7:
        return national[:1] + "*" * max(len(national) - 5, 0) + national[-4:]
    return national[:3] + "****" + national[-4:]


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
