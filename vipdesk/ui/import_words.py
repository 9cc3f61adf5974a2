"""The member import's sentences in the desk's language.

The import service speaks to the command line (`ImportFileError` messages, each row's
problems, the evidence for the encoding), naming fields by their codes (`member_no`,
`spend_12m`). The desk words the fixed sentences here in either language, carrying over
the line numbers, encodings and the file's own text; a sentence nobody taught this
module is shown as written on the English desk and as a general line on the Chinese one.
"""

from __future__ import annotations

import re

from vipdesk.ui.i18n import current, t
from vipdesk.ui.messages import error_text

# The import's fields (services/importer.py HEADER_ALIASES), as the dialog names them.
FIELD_LABELS = {"member_no": "Member no.", "name": "Name", "name_en": "English name",
                "phone": "Phone", "card_no": "Card no.", "birthday": "Birthday",
                "gender": "Gender", "email": "Email", "spend_12m": "12-month spend",
                "shared_phone": "Shared phone"}

_FILE = tuple((re.compile(p), words) for p, words in (
    (r".*: no such file", "The file is not there (moved or renamed?)"),
    (r".*: the file is empty", "The file is empty"),
    (r"line (\d+): the first line must be the header.*",
     "Line %1: the first line must be the header"),
    (r"line 1: two columns mean (\w+): (.*)", "Two columns mean the same field (%1): %2"),
    (r"line 1: no member_no column; .*\(found: (.*)\)",
     "The header has no member number column (found: %1)"),
    (r"line 1: no name column; .*\(found: (.*)\)",
     "The header has no name column (found: %1)"),
    (r"line 1: no (.*) column; .*\(found: (.*)\)",
     "The header has no member number or name column (found: %2)"),
    (r"cannot tell the file's encoding: the name column reads as names in (.*); re-save.*",
     "Cannot tell the file's encoding: the names read as names in %1. Choose the encoding "
     "below, or re-save the file as “CSV UTF-8”"),
    (r"the name column does not read as names in any encoding tried \((.*)\); re-save.*",
     "The names do not read as names in any encoding (%1). Choose the encoding below, "
     "or re-save the file as “CSV UTF-8”"),
    (r"line (\d+): not valid (\S+) \(bytes (.*)\); fix.*",
     "Line %1 is not valid %2 (bytes %3). Choose another encoding, or re-save the file "
     "as “CSV UTF-8”"),
    (r"line (\d+): bytes (.*) are not UTF-8, GB18030 or Big5 text; .*",
     "Line %1: bytes %2 are not text in any encoding the desk knows. Re-save the file "
     "as “CSV UTF-8”"),
    (r"the file starts with a (\S+) byte order mark but is not \1 .*",
     "The file says it is %1 (byte order mark) but is not"),
))

_EVIDENCE = tuple((re.compile(p), words) for p, words in (
    (r"byte order mark", "the file says so (byte order mark)"),
    (r"given with --encoding", "chosen here"),
    (r"valid UTF-8.*", "every byte is valid UTF-8 and the names read as names"),
    (r"every candidate reads the same text", "every encoding reads the same text"),
    (r"the only encoding whose header and names read right",
     "the only encoding whose header and names read right"),
    (r"(\d+%) of names start with a common surname \((\S+): (\d+%)\)",
     "%1 of the names start with a common surname (%2: %3)"),
))

_ROW = tuple((re.compile(p), words) for p, words in (
    (r"(\w+): required.*", "%F: required"),
    (r"expected (\d+) columns, found (\d+)", "Expected %1 columns, found %2"),
    (r"broken CSV .*", "Broken CSV: check the quotes"),
    (r"line longer than .*", "The line is far too long"),
    (r"(\w+): not a valid number: (.*)", "%F: not a valid number: %1"),
    (r"(\w+): not a date .*", "%F: not a date (YYYY-MM-DD)"),
    (r"(\w+): (?:no such day|.* is not a plausible birthday).*", "%F: not a possible date"),
    (r"(\w+): F/M.*", "%F: F/M or female/male"),
    (r"(\w+): not an amount in yuan.*", "%F: not an amount in yuan"),
    (r"(\w+): implausibly large.*", "%F: implausibly large"),
    (r"(\w+): not an e-mail address", "%F: not an e-mail address"),
    (r"(\w+): yes/no.*", "%F: yes/no or 1/0"),
    (r"(\w+): letters(?:,| and) digits.*", "%F: letters and digits only"),
    (r"(\w+): [\d,]+ characters \(at most.*", "%F: too long"),
    (r"(\w+): longer than.*", "%F: too long"),
    (r"(\w+): the cell spans several lines.*", "%F: the cell spans several lines"),
    (r"(\w+): contains control characters", "%F: contains control characters"),
    (r"(\w+): .* is not Chinese, but an English name .* is given too",
     "%F: not Chinese, and an English name is given too"),
    # Clashes with an earlier line or with the desk's members (services/import_batches).
    (r"(\w+) (\S+): already on line (\d+) \(member (.*)\)",
     "%F %1: already on line %2 (member %3)"),
    (r"(\w+) (\S+): already belongs to member (.*)", "%F %1: already belongs to member %2"),
    (r"a family's shared phone needs shared_phone=yes on the row",
     "A family's shared phone needs “shared phone” = yes on the row"),
    (r"member_no (\S+) already on line (\d+)", "Member no. %1 already on line %2"),
))
# A member already on the desk whose details the file gives otherwise (the fields listed).
_DIFFERS = re.compile(r"member (\S+) exists, differs in (.*); not overwritten.*")


def _fill(words: str, groups: tuple[str | None, ...]) -> str:
    text = t(words)
    if "%F" in text and groups:
        field = groups[0] or ""
        text = text.replace("%F", t(FIELD_LABELS.get(field, field)))
        groups = groups[1:]
    for number, value in enumerate(groups, start=1):
        text = text.replace(f"%{number}", value or "")
    return text


def _match(text: str, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    for pattern, words in patterns:
        found = pattern.fullmatch(text)
        if found is not None:
            return _fill(words, found.groups())
    return None


def file_problem(error: BaseException) -> str:
    """Why the file as a whole cannot be imported (or previewed)."""
    from vipdesk.services.importer import ImportFileError

    if not isinstance(error, ImportFileError):
        return error_text(error)
    return _match(str(error), _FILE) or error_text(error)


def evidence_text(why: str) -> str:
    """Why the import assumed the encoding it did."""
    if not why:
        return t("the first encoding that reads the whole file")
    if current() == "en":
        return why
    return _match(why, _EVIDENCE) or t("judged from the names")


def row_problem(reason: str) -> str:
    """One row's problems ("phone: …; birthday: …"), each in the desk's language."""
    if not reason:
        return reason
    parts = [_differs(part) or _match(part, _ROW) or _unknown_part(part)
             for part in reason.split("; ")]
    return t("; ").join(parts)


def _differs(part: str) -> str | None:
    found = _DIFFERS.fullmatch(part)
    if found is None:
        return None
    fields = t(", ").join(t(FIELD_LABELS.get(f, f)) for f in found.group(2).split(", "))
    return t("Member %1 is already here with another %2: not overwritten (edit the member "
             "in the app)").replace("%1", found.group(1)).replace("%2", fields)


def _unknown_part(part: str) -> str:
    if current() == "en":
        return part
    field = part.split(":", 1)[0]
    if field in FIELD_LABELS:
        return t("%1: cannot be imported as written").replace("%1", t(FIELD_LABELS[field]))
    return t("Cannot be imported as written")
