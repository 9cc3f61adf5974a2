"""Service answers in the desk's language.

Services speak plain English to scripts and logs (`FieldError.message`, exception
messages); the window shows every one of them through here, so a person at a Chinese
desk never reads an English sentence or a raw code.

Two ways in, whichever is stable: errors that carry data the words need have it as
attributes (`PermissionDenied.action`, `SignInFailed.locked_until`, a dead letter's
`template`, the common field problems' `FieldError.code` and `params`); the services'
other fixed sentences (field problems, refusals) are matched here by pattern, their
numbers and names carried over. A sentence nobody taught this module is
shown as written on the English desk and as a general line on the Chinese one (the
English original goes to the log), never as an English sentence among Chinese ones.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from vipdesk.services.auth import PERMISSIONS, PermissionDenied
from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.services.staff import SignInFailed
from vipdesk.services.validation import FieldError
from vipdesk.storage import storage_problem
from vipdesk.ui.i18n import current, t
from vipdesk.ui.names import STATE_NAMES, tier_name

log = logging.getLogger(__name__)

# The common field problems by code (vipdesk/services/validation.py); %1, %2… are the
# error's params in order.
FIELD_CODES = {
    "required": "Required",
    "too_long": "At most %1 characters (now %2)",
    "control_characters": "Contains control characters",
    "not_an_option": "Choose one of the options offered",
    "in_future": "Is in the future",
    "out_of_range": "Must be between %1 and %2 (now %3)",
}
# English source (translated with t) for each fixed field message without a code; %1,
# %2… are the pattern's groups in order.
FIELD_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words) for pattern, words in (
        (r"required", "Required"),
        (r"at most (\d+) characters \(now (\d+)\)", "At most %1 characters (now %2)"),
        (r"contains control characters", "Contains control characters"),
        (r"must be one of .*", "Choose one of the options offered"),
        (r"(?:\S+ )?is in the future", "Is in the future"),
        (r"must be between (-?[\d,]+) and (-?[\d,]+) \(got (-?[\d,]+)\)",
         "Must be between %1 and %2 (now %3)"),
        (r"is before the visit", "Is before the visit date"),
        (r"compensation is given when resolving", "Compensation is given when resolving"),
        (r"say what was done: .*", "Say what was done: what the guest was told, given or said"),
        (r"minor complaints are compensated with points.*",
         "A minor complaint is compensated with points; gifts and vouchers are for severe "
         "ones"),
        (r"a severe complaint is compensated with a gift or voucher.*",
         "A severe complaint is compensated with a gift or voucher: say which"),
        (r"at most (\d+) per visit", "At most %1 per visit"),
        (r"letters, digits and _ only.*", "Letters, digits and _ only"),
        (r"no such staff member", "No such staff member"),
        (r"answer at least one question", "Answer at least one question"),
        (r"not a question of .*", "Not a question of this questionnaire"),
        (r"an adjustment of 0 changes nothing", "An adjustment of 0 changes nothing"),
    ))
CHINESE = re.compile(r"[\u3400-\u9fff]")
REFUSED = re.compile(r".* may not ([\w.]+)")  # auth.require's words, when only they arrive
COMPLAINT_STEP = re.compile(r"a (\w+) complaint can only go to (.+), not (\w+)")

# The services' refusals that reach a person at the desk.
ERROR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words) for pattern, words in (
        (r"(.+) is already checked in \(since (\d\d:\d\d)\); check out first",
         "%1 is already checked in (since %2); check out first"),
        (r"(.+) is not checked in today", "%1 is not checked in today"),
        (r"(.+) is already on the board", "%1 is already on the board"),
        (r"no (?:visit|complaint|member|follow-up task|queue entry) .*",
         "This record no longer exists. Refresh and try again."),
        (r"queue entry .*: not found", "This record no longer exists. Refresh and try again."),
        (r"member: not found.*", "This record no longer exists. Refresh and try again."),
        (r"queue entry is already \w+", "This guest has already left the queue"),
        (r"advisor: no such active staff member", "No such staff member"),
        (r"purchase: not a purchase of this member", "Not a purchase of this member"),
        (r"purchase: this visit already has another purchase linked",
         "This visit already has another purchase linked"),
        (r"this visit is still referenced .*",
         "Other records refer to this visit, so it cannot be voided"),
        (r"points: balance is ([\d,]+), cannot take ([\d,]+)",
         "Not enough points: the balance is %1, %2 cannot be taken"),
        (r"reason: say why you need the full number \(at least (\d+) characters\)",
         "Say why you need the full number (at least %1 characters)"),
        (r"not a (?:valid|phone) number: .*", "Not a phone number"),
        (r"this conflict was already settled", "This conflict was already settled"),
        (r"the record no longer exists.*",
         "This record no longer exists. Refresh and try again."),
        (r"the member was erased.*", "The member was erased: their data cannot come back"),
        # a new PIN or password (vipdesk/services/staff.py secret_problem)
        (r"PIN: at least (\d+) digits", "PIN: at least %1 digits"),
        (r"PIN: too easy to guess.*",
         "PIN: too easy to guess (one digit repeated or a simple run)"),
        (r"password: at least (\d+) characters \(or a PIN of (\d+)\+ digits\)",
         "Password: at least %1 characters (or a PIN of %2+ digits)"),
        (r"password: no control characters.*",
         "Password: no control characters or leading/trailing spaces"),
        (r"secret: at most (\d+) characters", "At most %1 characters"),
        (r"new PIN/password: the same as the current one",
         "The new PIN is the same as the current one"),
        # printing (vipdesk/printing/cups.py, fonts.py, templates.py)
        (r"(?:Cannot print: )?no printer chosen and this desk has no default printer\.?",
         "Cannot print: no printer is chosen and this desk has no default printer. "
         "Choose a printer, or save the PDF."),
        (r"(?:Cannot print: )?the print service \(CUPS\) is not running.*",
         "Cannot print: the print service is not running. Start it or ask IT."),
        (r"(?:Cannot print: )?the print service is not installed.*",
         "Cannot print: the print service is not installed. Ask IT."),
        (r"(?:Cannot print: )?the print service did not answer.*",
         "Cannot print: the print service did not answer. Retry, or save the PDF."),
        (r"Printer “(.+)” does not exist\..*",
         "Printer “%1” does not exist. Choose another printer, or save the PDF."),
        (r"Printer “(.+)” is stopped.*",
         "Printer “%1” is stopped. Start it (or choose another printer) and retry, "
         "or save the PDF."),
        (r"Printer “(.+)” is not accepting jobs.*",
         "Printer “%1” is not accepting jobs. Start it (or choose another printer) and retry, "
         "or save the PDF."),
        # reports (vipdesk/services/reports.py, desk.reports.export)
        (r"out: .* must end in \.csv or \.pdf", "The file name must end in .csv or .pdf"),
        (r"out: folder (.+) does not exist", "The folder %1 does not exist"),
        (r"The printer refused the card: .*",
         "The printer refused the card. Retry, or save the PDF."),
        (r"No TrueType Chinese font found.*",
         "No Chinese font is installed, so the card cannot show Chinese names. Ask IT."),
        (r"no card template .*", "This card template no longer exists"),
    ))

# Notes the services themselves write into the records (tier changes, printed cards),
# shown in the member's history; what staff typed is shown as typed.
NOTE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words) for pattern, words in (
        # an automatic tier change: why it moved (services/tiers.py WHY_*), then the spend
        (r"purchase: 12m spend (¥[\d,]+)", "New purchases; 12-month spend %1"),
        (r"lapse: 12m spend (¥[\d,]+)",
         "Earlier purchases no longer count (over 12 months); 12-month spend %1"),
        (r"tier table: 12m spend (¥[\d,]+)", "New tier table; 12-month spend %1"),
        (r"12m spend (¥[\d,]+)", "12-month spend %1"),
        (r"imported, 12m spend (.+)", "Imported; 12-month spend %1"),
        (r"nightly recompute", "Recomputed overnight"),
        (r"printed on (.+?)(?:, job (.+))?", "%1 · %2"),  # a card printed before
    ))

# Who may do what, in words a refusal can name (by the roles an action allows).
MANAGER_ROLES = frozenset({"manager", "admin"})


def _fill(words: str, values: tuple[str | None, ...]) -> str:
    text = t(words)
    for number, value in enumerate(values, start=1):
        text = text.replace(f"%{number}", value or "")
    return text


def _matched(message: str, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    for pattern, words in patterns:
        found = pattern.fullmatch(message)
        if found is not None:
            return _fill(words, found.groups())
    return None


def field_text(error: FieldError) -> str:
    """One field's problem, in words."""
    if error.code in FIELD_CODES:
        return _fill(FIELD_CODES[error.code], error.params)
    step = COMPLAINT_STEP.fullmatch(error.message)
    if step is not None:
        return complaint_step_text(step[1], step[2])
    return _matched(error.message, FIELD_PATTERNS) or _unknown(error.message)


def complaint_step_text(state: str, allowed: str) -> str:
    """"a contacted complaint can only go to resolved or closed, not received"."""
    name = t(STATE_NAMES.get(state, state))
    steps = [t(STATE_NAMES.get(s, s)) for s in allowed.split(" or ") if s != "nothing"]
    if not steps:
        return t("A complaint that is “%1” cannot change any more").replace("%1", name)
    return (t("A complaint that is “%1” can only go to: %2").replace("%1", name)
            .replace("%2", t(", ").join(steps)))


def error_text(error: BaseException, tz: str = DEFAULT_TZ) -> str:
    """A refusal or failure from the services, in words. `tz`: the store's time zone,
    for any time the words name."""
    if isinstance(error, PermissionDenied):
        return permission_text(error)
    if isinstance(error, SignInFailed):
        return sign_in_text(error, tz)
    storage = storage_problem(error)  # busy, disk full, read-only: what it means, not SQL
    if storage is not None:
        return t(storage)
    template = getattr(error, "template", None)  # a refused change's fixed words
    if isinstance(template, str):
        return t(template).replace("%1", str(getattr(error, "value", "")))
    return message_text(str(error) or type(error).__name__)


def message_text(message: str) -> str:
    """A failure known only by its message (an exception that carries nothing more)."""
    refused = REFUSED.fullmatch(message)
    if refused is not None:
        return permission_text(PermissionDenied(message, refused[1]))
    return _matched(message, ERROR_PATTERNS) or _unknown(message)


def permission_text(error: PermissionDenied) -> str:
    """Who may do it instead, not the action's code."""
    roles = PERMISSIONS.get(error.action)
    if not error.action or roles is None:
        return t("Sign in first.")
    if roles == frozenset({"admin"}):
        return t("Only an administrator may do this.")
    if roles <= MANAGER_ROLES:
        return t("This needs a manager.")
    if error.action.endswith(".own"):
        return t("Only the member's advisor or a manager may do this.")
    if error.action.endswith(".received"):
        return t("Only whoever took this down, or a manager, may do this.")
    return t("Your role may not do this.")


def sign_in_text(error: SignInFailed, tz: str = DEFAULT_TZ) -> str:
    if error.locked_until is not None:
        return t("Too many wrong PINs: your account is locked until %1. "
                 "Wait, or ask a manager to unlock it.").replace(
                     "%1", local_time(error.locked_until, tz))
    return t("Wrong staff number or PIN. Please try again.")


def local_time(at: datetime, tz: str = DEFAULT_TZ) -> str:
    """A moment as the store's clock on the wall shows it."""
    return at.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def _unknown(message: str) -> str:
    if current() == "en" or CHINESE.search(message):
        return message  # in the desk's language already (a form's own words)
    log.warning("no desk wording for a service message: %s", message)
    return t("This could not be done. The details are in the desk's log.")


# A manager's override cleared because the new tier table has no such tier (tier_config).
REMOVED_TIER_NOTE = re.compile(r"tier table: tier (.+) removed")


def note_text(note: str) -> str:
    """A note in a record: the services' own words in the desk's language, staff's as
    they typed them."""
    removed = REMOVED_TIER_NOTE.fullmatch(note)
    if removed is not None:  # the tier by its name, not its code
        return _fill("New tier table; tier %1 removed", (tier_name(removed[1], removed[1]),))
    return (_matched(note, NOTE_PATTERNS) or note).strip(" ·")
