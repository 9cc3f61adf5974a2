"""Understanding what a barcode scanner or a QR code on a member's phone typed.

Accepted payloads (anything else is treated as typed text):
  `VIPCARD:8800123456`, `vipdesk://card/8800123456`, `vipdesk://member/M0001234`,
  an URL with `card=` / `card_no=` / `member=` / `member_no=` in its query,
  JSON `{"card_no": "..."}` or `{"member_no": "..."}`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

MAX_QUERY = 200
_CODE = re.compile(r"^[A-Za-z0-9]{1,40}$")
_PREFIXED = re.compile(r"^(?:VIPCARD|CARD):([A-Za-z0-9]{1,40})$", re.IGNORECASE)


@dataclass(frozen=True)
class ScanPayload:
    card_no: str | None = None
    member_no: str | None = None


def clean(text: str) -> str:
    """NFKC (full-width digits → ASCII) without control characters, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c)[0] != "C" or is_ideograph_plane(c)
                   ).strip()


def is_ideograph_plane(char: str) -> bool:
    """Planes 2 and 3 hold only CJK ideographs. Python's Unicode tables trail the
    standard (3.11 knows Unicode 14: not Extension H, U+31350–U+323AF, nor I), and an
    ideograph they do not know yet is "unassigned" to them, yet a real name's character."""
    return 0x20000 <= ord(char) <= 0x3FFFD


def parse_payload(text: str) -> ScanPayload | None:
    if len(text) > 2000:
        return None
    match = _PREFIXED.match(text)
    if match:
        return ScanPayload(card_no=match.group(1).upper())
    if text.startswith("{"):
        return _from_json(text)
    if "://" in text:
        return _from_url(text)
    return None


def _valid(code: object) -> str | None:
    if isinstance(code, int | str) and _CODE.match(str(code)):
        return str(code).upper()
    return None


def _from_json(text: str) -> ScanPayload | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    card = _valid(data.get("card_no", data.get("card")))
    member = _valid(data.get("member_no", data.get("member")))
    return ScanPayload(card, member) if card or member else None


def _from_url(text: str) -> ScanPayload | None:
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme == "vipdesk":
        code = _valid(parts.path.strip("/"))
        if parts.netloc == "card" and code:
            return ScanPayload(card_no=code)
        if parts.netloc == "member" and code:
            return ScanPayload(member_no=code)
        return None
    params = parse_qs(parts.query)
    card = _valid(_first(params, "card_no", "card"))
    member = _valid(_first(params, "member_no", "member"))
    return ScanPayload(card, member) if card or member else None


def _first(params: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if params.get(name):
            return params[name][0]
    return None
