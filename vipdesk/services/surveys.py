"""Satisfaction surveys (满意度, seed 002 第六章): questionnaires are data, answers are rows.

The questionnaires live in `resources/defaults/surveys.toml`. Every answer is one of the
six-point scale's codes; a question or answer not in the data is refused, so reports
never meet a value they cannot place.
"""

from __future__ import annotations

import tomllib
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Survey, SurveyAnswer
from vipdesk.resources import resource
from vipdesk.services import validation
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.records import member_for
from vipdesk.services.validation import FieldError

# The scale is the spec's (SPEC §4); its wording is data. Order: best to worst, then none.
SCALE = ("very_satisfied", "satisfied", "neutral", "unsatisfied", "very_unsatisfied",
         "no_rating")


@dataclass(frozen=True)
class Label:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Questionnaire:
    code: str
    zh: str
    en: str
    questions: tuple[Label, ...]

    def question_codes(self) -> tuple[str, ...]:
        return tuple(q.code for q in self.questions)


@dataclass(frozen=True)
class SurveyBook:
    scale: tuple[Label, ...]
    questionnaires: dict[str, Questionnaire]


@dataclass(frozen=True)
class SurveyDraft:
    questionnaire: str | None
    answers: dict[str, str]  # question code → scale code


@dataclass(frozen=True)
class SurveyRecord:
    survey_id: uuid.UUID
    member_id: uuid.UUID
    questionnaire: str
    taken_at: datetime
    answers: dict[str, str]


def load_book(path: Path | None = None) -> SurveyBook:
    with (path or resource("defaults", "surveys.toml")).open("rb") as fh:
        data = tomllib.load(fh)
    scale = tuple(Label(s["code"], s["zh"], s["en"]) for s in data["scale"])
    if tuple(s.code for s in scale) != SCALE:
        raise ValueError(f"surveys.toml: the scale must be exactly {', '.join(SCALE)}")
    books = {}
    for q in data["questionnaire"]:
        questions = tuple(Label(x["code"], x["zh"], x["en"]) for x in q["questions"])
        if len({x.code for x in questions}) != len(questions):
            raise ValueError(f"surveys.toml: duplicate question code in {q['code']}")
        books[q["code"]] = Questionnaire(q["code"], q["zh"], q["en"], questions)
    return SurveyBook(scale, books)


@cache
def default_book() -> SurveyBook:
    return load_book()


def validate_survey(draft: SurveyDraft, book: SurveyBook | None = None) -> list[FieldError]:
    book = book or default_book()
    errors = validation.choice("questionnaire", draft.questionnaire, tuple(book.questionnaires))
    if errors or draft.questionnaire is None:
        return errors
    known = book.questionnaires[draft.questionnaire].question_codes()
    if not draft.answers:
        return [FieldError("answers", "answer at least one question")]
    for question, answer in draft.answers.items():
        if question not in known:
            errors.append(FieldError(f"answers.{question[:64]}",
                                     f"not a question of {draft.questionnaire}"))
        else:
            errors += validation.choice(f"answers.{question}", answer, SCALE)
    return errors


class SurveyService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None,
                 book: SurveyBook | None = None) -> None:
        self.factory = factory
        self.clock = clock or Clock()
        self.book = book or default_book()

    def record(self, actor: Actor, member_id: uuid.UUID, draft: SurveyDraft) -> SurveyRecord:
        validation.raise_if(validate_survey(draft, self.book))
        assert draft.questionnaire is not None
        now = self.clock.now()
        with unit_of_work(self.factory) as session:
            member_for(session, actor, "survey.record.own", member_id)
            survey = Survey(member_id=member_id, questionnaire=draft.questionnaire,
                            taken_at=now, by=actor.staff_id, created_at=now)
            session.add(survey)
            session.flush()
            session.add_all(SurveyAnswer(survey_id=survey.id, question=q, answer=a)
                            for q, a in draft.answers.items())
            return SurveyRecord(survey.id, member_id, survey.questionnaire, now,
                                dict(draft.answers))

    def results(self, questionnaire: str, start: datetime,
                end: datetime) -> dict[str, dict[str, int]]:
        """Per question, how many gave each answer (surveys taken in [start, end))."""
        rows = select(SurveyAnswer.question, SurveyAnswer.answer).join(Survey).where(
            Survey.questionnaire == questionnaire, Survey.taken_at >= start,
            Survey.taken_at < end)
        with self.factory() as session:
            counts = Counter(tuple(r) for r in session.execute(rows))
        known = self.book.questionnaires[questionnaire].question_codes()
        return {q: {a: counts.get((q, a), 0) for a in SCALE} for q in known}
