"""Forms of the plan area: goals, visit purposes, a new year, best-practice entries and their files."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..models.plan import BP_STAGES

TITLE_MAX = 1000
TOO_LONG = "Слишком длинный текст."


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GoalForm(FlaskForm):
    title = TextAreaField(
        "Цель или задача",
        validators=[DataRequired("Введите формулировку цели."), Length(max=TITLE_MAX, message=TOO_LONG)],
    )


class PurposeForm(FlaskForm):
    title = TextAreaField(
        "Цель посещения",
        validators=[DataRequired("Введите цель посещения."), Length(max=TITLE_MAX, message=TOO_LONG)],
    )
    schools = MultiCheckboxField("Образовательные учреждения", coerce=int)


class NewYearForm(FlaskForm):
    entries = MultiCheckboxField("Записи передового опыта", coerce=int)


def _goal_lines(form, field):
    lines = [line.strip(" -–;\t") for line in (field.data or "").splitlines()]
    if not any(lines):
        raise ValidationError("Укажите хотя бы одну цель изучения опыта.")
    if any(len(line) > 500 for line in lines):
        raise ValidationError("Каждая цель — не длиннее 500 символов.")


class ProposalForm(FlaskForm):
    """What a librarian fills to propose their own experience."""

    topic = StringField(
        "Тема опыта",
        validators=[DataRequired("Введите тему опыта."), Length(max=300, message="Не длиннее 300 символов.")],
    )
    goals = TextAreaField("Цели изучения опыта (каждая с новой строки)", validators=[_goal_lines])
    form = StringField(
        "Предлагаемая форма обобщения", validators=[Length(max=300, message="Не длиннее 300 символов.")]
    )

    def goal_list(self) -> list[str]:
        return [line.strip(" -–;\t") for line in (self.goals.data or "").splitlines() if line.strip(" -–;\t")]


class PracticeForm(ProposalForm):
    """The methodologist's full form of a register entry."""

    author = SelectField("Автор", coerce=int, validators=[DataRequired("Выберите автора.")])
    stage = SelectField("Этап работы", choices=dict(BP_STAGES))
    form = StringField("Форма обобщения", validators=[Length(max=300, message="Не длиннее 300 символов.")])
    event = SelectField("Мероприятие плана (обобщение опыта)", coerce=int, default=0)


class AcceptForm(FlaskForm):
    stage = SelectField("Этап работы", choices=dict(BP_STAGES))


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        "Что доработать",
        validators=[DataRequired("Напишите, что нужно доработать."), Length(max=2000, message=TOO_LONG)],
    )


class UploadForm(FlaskForm):
    file = FileField("Файл", validators=[FileRequired("Выберите файл.")])
