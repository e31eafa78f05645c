"""Forms of the plan area: goals, visit purposes, a new year."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

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
