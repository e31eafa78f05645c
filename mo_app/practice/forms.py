"""Forms of best practice: a proposal, the methodologist's entry, review, files."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..models.plan import BP_STAGES
from ..plan.forms import TOO_LONG


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
