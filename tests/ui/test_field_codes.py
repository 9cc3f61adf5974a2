"""The common field problems carry a code and its params: the desk words them from the
code, exactly as it worded the English sentence before, in both languages; the sentence
itself stays for scripts and logs."""

from __future__ import annotations

from datetime import date

import pytest

from vipdesk.services import validation
from vipdesk.services.validation import FieldError
from vipdesk.ui import i18n
from vipdesk.ui.messages import FIELD_CODES, field_text

TODAY = date(2026, 11, 25)


def _coded() -> list[FieldError]:
    return [
        *validation.text("notes", "", limit=10, required=True),
        *validation.text("notes", "x" * 12, limit=10),
        *validation.text("notes", "a\x01b", limit=10),
        *validation.choice("severity", "", ("minor", "severe")),
        *validation.choice("severity", "huge", ("minor", "severe")),
        *validation.not_future("visited_on", date(2026, 12, 1), TODAY),
        *validation.int_range("points", 20_000, -10_000, 10_000),
        *validation.int_range("points", None, 0, 10),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_coded_problem_reads_as_its_sentence_did(qapp: object, lang: str) -> None:
    i18n.install(lang)
    try:
        errors = _coded()
        assert {e.code for e in errors} == set(FIELD_CODES)
        for error in errors:
            sentence_only = FieldError(error.field, error.message)
            assert field_text(error) == field_text(sentence_only), error
    finally:
        i18n.install("en")


def test_the_english_sentence_stays_and_equality_ignores_the_code() -> None:
    error = validation.int_range("points", 20_000, -10_000, 10_000)[0]
    assert error.message == "must be between -10,000 and 10,000 (got 20,000)"
    assert error.params == ("-10,000", "10,000", "20,000")
    assert error == FieldError("points", error.message)
