"""Forms of the visits area (the report itself has dynamic rows and is read in services.parse_report_form)."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class RuDateField(StringField):
    """A date from <input type="date"> (YYYY-MM-DD), with a Russian error message."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_value = raw
        self.data = None
        if raw:
            try:
                self.data = date.fromisoformat(raw)
            except ValueError:
                raise ValueError("Дата указана неверно.") from None

    def _value(self):
        if self.data:
            return self.data.isoformat()
        return getattr(self, "raw_value", "") or ""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _month_or_day(form, field):
    if field.data and field.data not in {c[0] for c in field.choices or ()}:
        raise ValidationError("Выберите месяц из списка.")
    if not form.month.data and not form.day.data and not form.day.errors:
        raise ValidationError("Укажите месяц или день посещения.")


class PlanForm(FlaskForm):
    """A new visit: school, purposes, month or day; «внеплановое» when no purpose of the plan."""

    school = SelectField("Школа", coerce=int, validators=[DataRequired("Выберите школу.")],
                         validate_choice=False)
    purposes = MultiCheckboxField("Цели посещения", coerce=int, validate_choice=False)
    unplanned = BooleanField("Внеплановое посещение")
    month = SelectField("Месяц", validators=[_month_or_day], validate_choice=False)
    day = RuDateField("или точная дата", validators=[Optional()])


class CellPlanForm(FlaskForm):
    """One click in the planner: a school and a purpose, with a month or a day."""

    school = HiddenField(validators=[DataRequired()])
    purpose = HiddenField(validators=[DataRequired()])
    month = SelectField("Месяц", validators=[_month_or_day], validate_choice=False)
    day = RuDateField("или дата", validators=[Optional()])


class DateForm(FlaskForm):
    """A new date for the visit (the old one stays in the history)."""

    month = SelectField("Месяц", validators=[_month_or_day], validate_choice=False)
    day = RuDateField("или точная дата", validators=[Optional()])
    reason = StringField("Причина", validators=[Length(max=500, message="Не более 500 символов.")])
    postpone = BooleanField("Посещение переносится (статус «Перенесено»)")

    def validate_reason(self, field):
        if self.postpone.data and not (field.data or "").strip():
            raise ValidationError("Укажите причину переноса.")


class HeldForm(FlaskForm):
    day = RuDateField("Дата проведения", validators=[Optional()])


class ReasonForm(FlaskForm):
    """A reason is required: cancelling a visit, reopening a report."""

    reason = TextAreaField(
        "Причина",
        validators=[DataRequired("Укажите причину."), Length(max=2000, message="Не более 2000 символов.")],
    )


class PurposesForm(FlaskForm):
    purposes = MultiCheckboxField("Цели посещения", coerce=int, validate_choice=False)
    unplanned = BooleanField("Внеплановое посещение")


class ChecklistForm(FlaskForm):
    items = TextAreaField(
        "Пункты перечня (по одному на строку)",
        validators=[DataRequired("Перечень не может быть пустым."), Length(max=20000)],
    )


class DoneForm(FlaskForm):
    comment = TextAreaField(
        "Что сделано",
        validators=[DataRequired("Опишите, что сделано."), Length(max=4000, message="Не более 4000 символов.")],
    )


class ReturnForm(FlaskForm):
    note = TextAreaField(
        "Замечание",
        validators=[DataRequired("Напишите, почему возвращаете."), Length(max=4000, message="Не более 4000 символов.")],
    )
