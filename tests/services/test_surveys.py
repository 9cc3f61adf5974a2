from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Survey
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.surveys import (
    SCALE,
    SurveyDraft,
    SurveyService,
    default_book,
    load_book,
    validate_survey,
)
from vipdesk.services.validation import FormError

if TYPE_CHECKING:
    from tests.services.conftest import Lounge


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> SurveyService:
    return SurveyService(factory, lounge.clock)


def test_the_seeds_questionnaires_are_data() -> None:
    book = default_book()
    assert set(book.questionnaires) == {"sales", "installation", "after_sales"}
    assert [s.zh for s in book.scale] == ["非常满意", "比较满意", "一般", "不太满意", "非常不满意",
                                          "不予评价"]
    after = book.questionnaires["after_sales"]
    assert after.questions[0].zh == "礼貌并友善" and after.questions[-1].code == "overall"


def test_record_and_tally(svc: SurveyService, lounge: Lounge) -> None:
    start = lounge.clock.now()
    svc.record(lounge.staff, lounge.wang,
               SurveyDraft("sales", {"courteous": "very_satisfied", "design": "no_rating"}))
    svc.record(lounge.advisor, lounge.wang, SurveyDraft("sales", {"courteous": "neutral"}))
    tally = svc.results("sales", start, start + timedelta(seconds=1))
    assert tally["courteous"]["very_satisfied"] == 1 and tally["courteous"]["neutral"] == 1
    assert tally["design"]["no_rating"] == 1 and sum(tally["professional"].values()) == 0
    assert list(tally["courteous"]) == list(SCALE)


def test_refuses_unknown_questions_and_answers(svc: SurveyService, lounge: Lounge,
                                               factory: sessionmaker[Session]) -> None:
    errors = validate_survey(SurveyDraft("sales", {"colour": "very_satisfied",
                                                   "courteous": "superb"}))
    assert [e.field for e in errors] == ["answers.colour", "answers.courteous"]
    assert [e.field for e in validate_survey(SurveyDraft("sales", {}))] == ["answers"]
    assert [e.field for e in validate_survey(SurveyDraft("nps", {"x": "y"}))] == [
        "questionnaire"]
    with pytest.raises(FormError):
        svc.record(lounge.staff, lounge.wang, SurveyDraft("sales", {"courteous": "5"}))
    with pytest.raises(PermissionDenied):
        svc.record(lounge.other_advisor, lounge.wang,
                   SurveyDraft("sales", {"courteous": "neutral"}))
    with factory() as s:
        assert s.scalars(select(Survey)).all() == []


def test_a_broken_scale_in_the_data_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text('[[scale]]\ncode = "good"\nzh = "好"\nen = "good"\n'
                   '[[questionnaire]]\ncode = "q"\nzh = "q"\nen = "q"\nquestions = []\n',
                   encoding="utf-8")
    with pytest.raises(ValueError, match="scale must be exactly"):
        load_book(bad)
