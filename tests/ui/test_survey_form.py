"""The satisfaction survey from the member card, on a writable demo lounge (manager S001)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from vipdesk.models import Member, Survey, SurveyAnswer
from vipdesk.services.surveys import SCALE
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.survey_form import SurveyDialog


def _open_member(qtbot: Any, win: MainWindow) -> None:
    with win.desk.factory() as s:
        member_no = s.scalar(select(Member.member_no).order_by(Member.member_no).limit(1))
    assert member_no is not None
    win.open_member(win.desk.members.search(member_no).hits[0])
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_no == member_no, timeout=5000)


def _survey_dialog(qtbot: Any, win: MainWindow) -> SurveyDialog:
    _open_member(qtbot, win)
    assert win.card.survey_button.text() == "满意度…"
    win.card.survey_button.click()
    dialog = win.survey_forms.dialog
    assert isinstance(dialog, SurveyDialog)
    return dialog


def _pick(dialog: SurveyDialog, code: str) -> None:
    dialog.questionnaire.setCurrentIndex(dialog.questionnaire.findData(code))


def _surveys(win: MainWindow) -> int:
    with win.desk.factory() as s:
        return int(s.scalar(select(func.count()).select_from(Survey)) or 0)


def test_the_questionnaires_are_the_data_in_chinese(qtbot: Any, win: MainWindow) -> None:
    dialog = _survey_dialog(qtbot, win)
    names = [dialog.questionnaire.itemText(i) for i in range(dialog.questionnaire.count())]
    assert names[1:] == ["销售体验调查", "安装服务调查", "售后服务调查"]
    assert not dialog.is_valid() and dialog.answers == {}
    _pick(dialog, "installation")
    assert list(dialog.answers) == ["appointment", "explained_work", "service_info",
                                    "care_instructions", "final_check"]
    box = dialog.answers["final_check"]
    # the questionnaire's own wording (seed 002 第六章, resources/defaults/surveys.toml)
    assert [box.itemText(i) for i in range(1, box.count())] == [
        "非常满意", "比较满意", "一般", "不太满意", "非常不满意", "不予评价"]
    _pick(dialog, "after_sales")  # switching replaces the questions, not adds to them
    assert len(dialog.answers) == 9 and "appointment" not in dialog.answers
    dialog.reject()


def test_ok_waits_for_every_answer_then_the_survey_is_saved(qtbot: Any,
                                                            win: MainWindow) -> None:
    before = _surveys(win)
    dialog = _survey_dialog(qtbot, win)
    _pick(dialog, "sales")
    codes = list(dialog.answers)
    for i, code in enumerate(codes[:-1]):
        box = dialog.answers[code]
        box.setCurrentIndex(box.findData(SCALE[i % len(SCALE)]))
        assert not dialog.is_valid()  # one still unanswered
    assert dialog.progress.text() == f"已答 {len(codes) - 1} / {len(codes)} 题"
    dialog.submit()  # pressing Enter now only points at the blank question
    error = dialog.errors[f"answers.{codes[-1]}"]
    assert error.isVisibleTo(dialog) and error.text() == "必填"
    assert _surveys(win) == before
    last = dialog.answers[codes[-1]]
    last.setCurrentIndex(last.findData("no_rating"))  # "不予评价" is an answer
    assert dialog.is_valid()
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: bool(win.card.timeline.entries)
                    and win.card.timeline.entries[0].kind == "survey", timeout=5000)
    assert win.card.profile is not None
    with win.desk.factory() as s:
        survey = s.scalars(select(Survey).where(Survey.member_id == win.card.profile.member_id)
                           .order_by(Survey.taken_at.desc())).first()
        assert survey is not None and survey.questionnaire == "sales"
        answers = {q: a for q, a in s.execute(
            select(SurveyAnswer.question, SurveyAnswer.answer)
            .where(SurveyAnswer.survey_id == survey.id))}
    assert answers[codes[-1]] == "no_rating" and set(answers) == set(codes)
    assert answers[codes[0]] == SCALE[0]
    assert _surveys(win) == before + 1
