"""Service answers in the desk's language.

Services speak plain English to scripts and logs (`FieldError.message`, exception
messages); the window shows every one of them through here, so a person at a Chinese
desk never reads an English sentence or a raw code.
"""

from __future__ import annotations

from vipdesk.services.validation import FieldError
from vipdesk.ui.i18n import t

# The services' fixed field messages, in the desk's language; others are shown as written.
FIELD_MESSAGES = {"required": "Required", "is before the visit": "Is before the visit date",
                  "is in the future": "Is in the future",
                  "contains control characters": "Contains control characters"}


def field_text(error: FieldError) -> str:
    """One field's problem, in words."""
    if error.message.endswith(" is in the future"):
        return t("Is in the future")
    if error.message in FIELD_MESSAGES:
        return t(FIELD_MESSAGES[error.message])
    return error.message


def error_text(error: BaseException) -> str:
    """A refusal or failure from the services, in words."""
    return str(error)
