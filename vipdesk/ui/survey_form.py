"""The satisfaction survey from the member card (满意度, SPEC §4, seed 002 第六章).

Staff pick the questionnaire (the list and the questions are data, through `Desk`), then
answer every question on the six-point scale; "no rating" is an answer, a blank is not.
OK stays disabled until the service's own `validate_survey` is satisfied *and* every
question has an answer (the service accepts partial surveys; the desk does not, so
results per question compare like with like). Saving runs through `ops.mutate`; the card
reloads and the survey shows in the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from vipdesk.desk import Desk
from vipdesk.services.profile import MemberProfile
from vipdesk.services.surveys import SCALE, SurveyDraft
from vipdesk.services.validation import FieldError
from vipdesk.ui.forms import ERROR_STYLE, CardForms, FormDialog
from vipdesk.ui.i18n import t
from vipdesk.ui.names import SCALE_NAMES
from vipdesk.ui.ops import Ops

ANSWER_PREFIX = "answers."  # the service names a question's errors "answers.<code>"


class SurveyDialog(FormDialog):
    """Pick a questionnaire, answer each of its questions, save."""

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile, lang: str = "zh",
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Satisfaction survey — %1").replace("%1", profile.name))
        self.setMinimumWidth(520)
        self.forms = {f.code: f for f in desk.surveys.forms(lang)}
        self.answers: dict[str, QComboBox] = {}
        self.questionnaire = QComboBox()
        self.questionnaire.addItem(t("— choose —"), "")
        for form in self.forms.values():
            self.questionnaire.addItem(form.name, form.code)
        self.add_row("questionnaire", t("Questionnaire"), self.questionnaire)
        self.progress = QLabel()
        self.progress.setObjectName("surveyProgress")
        self.form.addRow(self.progress)
        self.questions = QWidget()  # replaced whenever the questionnaire changes
        self.form.addRow(self.questions)
        self.questionnaire.currentIndexChanged.connect(self._show_questions)
        self._show_questions()

    def _show_questions(self, *_: object) -> None:
        for code in self.answers:
            self.errors.pop(ANSWER_PREFIX + code, None)
            self.touched.discard(ANSWER_PREFIX + code)
        self.answers = {}
        box = QWidget()
        rows = QFormLayout(box)
        rows.setContentsMargins(0, 0, 0, 0)
        form = self.forms.get(self.questionnaire.currentData() or "")
        for code, wording in form.questions if form else ():
            self.answers[code] = self._answer_row(rows, code, wording)
        self.form.replaceWidget(self.questions, box)
        self.questions.deleteLater()
        self.questions = box
        box.show()  # a widget added to an already shown dialog stays hidden otherwise
        self.revalidate()

    def _answer_row(self, rows: QFormLayout, code: str, wording: str) -> QComboBox:
        choice = QComboBox()
        choice.setObjectName(f"answer_{code}")
        choice.addItem(t("— choose —"), "")
        for answer in SCALE:
            choice.addItem(t(SCALE_NAMES[answer]), answer)
        error = QLabel()
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        cell = QVBoxLayout()
        cell.setSpacing(2)
        cell.addWidget(choice)
        cell.addWidget(error)
        label = QLabel(wording)
        label.setWordWrap(True)
        rows.addRow(label, cell)
        self.errors[ANSWER_PREFIX + code] = error
        self._watch(ANSWER_PREFIX + code, choice)
        return choice

    def _field(self, error: FieldError) -> str:
        # A question's error goes under that question, not under the form.
        return error.field if error.field in self.errors else super()._field(error)

    def draft(self) -> SurveyDraft:
        answers = {code: box.currentData() for code, box in self.answers.items()
                   if box.currentData()}
        return SurveyDraft(self.questionnaire.currentData() or None, answers)

    def validate(self, draft: SurveyDraft) -> list[FieldError]:
        errors = self.desk.surveys.validate(draft)
        missing = [code for code in self.answers if code not in draft.answers]
        self._show_progress(len(self.answers) - len(missing), len(self.answers))
        if draft.questionnaire is None:
            return errors
        # Every question, not "at least one": the desk records whole surveys only.
        errors = [e for e in errors if e.field != "answers"]
        return errors + [FieldError(ANSWER_PREFIX + code, "required") for code in missing]

    def _show_progress(self, answered: int, total: int) -> None:
        self.progress.setText(t("Answered %1 of %2").replace("%1", str(answered))
                              .replace("%2", str(total)) if total else "")

    def save(self, draft: SurveyDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.surveys.record(member_id, draft)


class SurveyForms(CardForms):
    """Opens the survey from the card's 满意度 button; the card reloads after a save."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        window.card.sig_survey_requested.connect(self.open)

    def open(self) -> SurveyDialog | None:
        return self.open_for_member(lambda profile: SurveyDialog(
            self.desk, self.ops, profile, self.window.lang, self.window))

