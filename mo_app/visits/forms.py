"""Forms of the visits area, and the month choices and plan dates they post (the report itself has dynamic rows
and is read in services.parse_report_form)."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..dates import DAY, MONTH, PlanDate
from ..forms import InSchoolYear, RuDateField, YearForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _month_or_day(form, field):
    if field.data and field.data not in {c[0] for c in field.choices or ()}:
        raise ValidationError("Выберите месяц из списка.")
    if not form.month.data and not form.day.data and not form.day.errors:
        raise ValidationError("Укажите месяц или день посещения.")


class PlanForm(YearForm):
    """A new visit: school, purposes, month or day; «внеплановое» when no purpose of the plan."""

    school = SelectField("Школа", coerce=int, validators=[DataRequired("Выберите школу.")],
                         validate_choice=False)
    purposes = MultiCheckboxField("Цели посещения", coerce=int, validate_choice=False)
    unplanned = BooleanField("Внеплановое посещение")
    month = SelectField("Месяц", validators=[_month_or_day], validate_choice=False)
    day = RuDateField("или точная дата", validators=[Optional(), InSchoolYear()])


class CellPlanForm(YearForm):
    """One click in the planner: a school and a purpose, with a month or a day."""

    school = HiddenField(validators=[DataRequired()])
    purpose = HiddenField(validators=[DataRequired()])
    month = SelectField("Месяц", validators=[_month_or_day], validate_choice=False)
    day = RuDateField("или дата", validators=[Optional(), InSchoolYear()])


class DateForm(YearForm):
    """A new date for the visit (the old one stays in the history)."""

    month = SelectField("Месяц", validators=[_month_or_day], validate_choice=False)
    day = RuDateField("или точная дата", validators=[Optional(), InSchoolYear()])
    reason = StringField("Причина", validators=[Length(max=500, message="Не более 500 символов.")])
    postpone = BooleanField("Посещение переносится (статус «Перенесено»)")

    def validate_reason(self, field):
        if self.postpone.data and not (field.data or "").strip():
            raise ValidationError("Укажите причину переноса.")


class HeldForm(YearForm):
    day = RuDateField("Дата проведения", validators=[Optional(), InSchoolYear()])


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


def month_choices(start_year: int) -> list[tuple[str, str]]:
    """The months of a school year (September – August) as select options «2026-09» → «сентябрь 2026»."""
    out = []
    for i in range(12):
        y, m = start_year + (8 + i) // 12, (8 + i) % 12 + 1
        out.append((f"{y}-{m:02d}", PlanDate(MONTH, date(y, m, 1)).text()))
    return out


def plan_date_from(month: str | None, day: date | None) -> PlanDate | None:
    """A day if given, else the month («2026-12»); None when neither is."""
    if day is not None:
        return PlanDate(DAY, day)
    if month:
        try:
            y, m = (int(x) for x in month.split("-"))
            return PlanDate(MONTH, date(y, m, 1))
        except ValueError:
            return None
    return None
