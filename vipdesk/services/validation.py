"""Form checks the UI runs as people type, and the services run again before writing.

Each history service exposes `validate_<thing>(draft) -> list[FieldError]`; the same
function guards the write (`raise_if(errors)`), so what the form accepts is exactly what
the service accepts and nothing is half-saved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FieldError:
    """`message` is the English sentence scripts and logs read; the common problems also
    carry a `code` and its `params` (as text, in the message's form), so the desk words
    them in its own language without reading the sentence. Two errors are equal by field
    and message."""

    field: str  # the draft's attribute name, so the UI can mark the widget
    message: str  # words a person at the desk understands
    code: str = dataclasses.field(default="", compare=False)  # "required"…; "": none
    params: tuple[str, ...] = dataclasses.field(default=(), compare=False)


def _required(name: str) -> FieldError:
    return FieldError(name, "required", "required")


class FormError(ValueError):
    """Input that cannot be saved; `errors` lists every problem, field by field."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise FormError(errors)


def text(field: str, value: str | None, *, limit: int, required: bool = False) -> list[FieldError]:
    """Required/optional free text with a length limit (counted in characters)."""
    if value is None or not value.strip():
        return [_required(field)] if required else []
    if len(value) > limit:
        return [FieldError(field, f"at most {limit} characters (now {len(value)})", "too_long",
                           (str(limit), str(len(value))))]
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        return [FieldError(field, "contains control characters", "control_characters")]
    return []


def choice(field: str, value: str | None, allowed: Iterable[str], *,
           required: bool = True) -> list[FieldError]:
    options = tuple(allowed)
    if value is None or value == "":
        return [_required(field)] if required else []
    if value not in options:
        return [FieldError(field, f"must be one of {', '.join(options)} (got {value[:40]!r})",
                           "not_an_option")]
    return []


def not_future(field: str, value: date | None, today: date, *,
               required: bool = True) -> list[FieldError]:
    if value is None:
        return [_required(field)] if required else []
    if value > today:
        return [FieldError(field, f"{value.isoformat()} is in the future", "in_future")]
    return []


def int_range(field: str, value: int | None, lo: int, hi: int) -> list[FieldError]:
    if value is None:
        return [_required(field)]
    if not lo <= value <= hi:
        return [FieldError(field, f"must be between {lo:,} and {hi:,} (got {value:,})",
                           "out_of_range", (f"{lo:,}", f"{hi:,}", f"{value:,}"))]
    return []


def clean(value: str | None) -> str | None:
    """Stored form of optional text: trimmed, and empty means absent."""
    if value is None:
        return None
    value = value.strip()
    return value or None
