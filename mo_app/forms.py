"""Form fields and validators every area shares: dates as people type them and as browsers send them, Russian
parse errors, the school year a date must fall in, and text limits taken from the model's columns."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField, TimeField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import DateInput, MonthInput

from .dates import DATE_MESSAGE, MONTH_MESSAGE, in_school_year, outside_school_year, parse_date, parse_month
from .models.base import column_length


class RuDateField(StringField):
    """A day: «2026-12-17» as <input type="date"> sends it, or «17.12.2026» as typed in Russian.

    Drawn as <input type="date"> with the ISO value a browser expects; a value that did not parse is drawn
    back as typed (`raw_value`) beside its Russian error."""

    widget = DateInput()

    def process_formdata(self, valuelist):
        self.raw_value = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if self.raw_value:
            try:
                self.data = parse_date(self.raw_value)
            except ValueError:
                raise ValueError(DATE_MESSAGE) from None

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.isoformat()
        return getattr(self, "raw_value", "") or ""


class RuMonthField(StringField):
    """A month: «2026-12» as <input type="month"> sends it, or «12.2026»; its data is the month's first day."""

    widget = MonthInput()

    def process_formdata(self, valuelist):
        self.raw_value = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if self.raw_value:
            try:
                self.data = parse_month(self.raw_value)
            except ValueError:
                raise ValueError(MONTH_MESSAGE) from None

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.strftime("%Y-%m")
        return getattr(self, "raw_value", "") or ""


class RuTimeField(TimeField):
    """A time of day «14:30», with a Russian parse error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Введите время в формате ЧЧ:ММ.") from None


class RuIntegerField(IntegerField):
    """An integer field whose parse error is Russian."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Введите целое число.") from None


class InSchoolYear:
    """The field's day (or month) lies in the school year `form.year_start` (1 September – 31 August):
    «Дата вне 2026–2027 учебного года». The view sets `form.year_start` before validating; a form without
    it is a programming error, not a date to let through."""

    def __call__(self, form, field: Field) -> None:
        if not isinstance(field.data, date):
            return
        start_year = getattr(form, "year_start", None)
        if start_year is None:
            raise RuntimeError(f"{type(form).__name__}.year_start is not set: cannot check {field.name}")
        if not in_school_year(field.data, start_year):
            raise ValidationError(outside_school_year(start_year))


class YearForm(FlaskForm):
    """A form whose dates belong to one school year (`year_start`, its first calendar year): InSchoolYear reads it."""

    def __init__(self, *args, year_start: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.year_start = year_start


def fits(column) -> Length:
    """A Length validator as long as the model column allows, with a Russian message."""
    n = column_length(column)
    return Length(max=n, message=f"Не длиннее {n} символов.")
