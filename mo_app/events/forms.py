"""Forms of the events area, with Russian messages."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..dates import DATE_KINDS, DATETIME, DAY, MONTH, SPAN, TBD, YEAR, PlanDate
from ..forms import InSchoolYear, RuDateField, RuIntegerField, RuMonthField, RuTimeField, YearForm, fits
from ..models.events import EVENT_KINDS, ConsultationRequest

try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choices(pairs) -> list:
    """Select options from (value, label) pairs, in the form the installed WTForms prefers."""
    pairs = list(pairs)
    if SelectChoice is None:
        return pairs
    return [SelectChoice(v, label) for v, label in pairs]


def _int_or_none(value):
    if value in (None, "", "0", 0):
        return None
    return int(value)


class EventForm(YearForm):
    """Create or edit an event: the date as the plan writes it, seats, sign-up deadline."""

    kind = SelectField("Форма", choices=choices(EVENT_KINDS.items()), validators=[DataRequired("Выберите форму.")])
    goal_id = SelectField("Направление (цель плана)", coerce=_int_or_none, validate_choice=False)
    title = StringField("Тема", validators=[DataRequired("Введите тему мероприятия."), Length(max=500)])
    description = TextAreaField("Описание", validators=[Optional(), Length(max=5000)])
    venue_id = SelectField("Место проведения (на базе)", coerce=_int_or_none, validate_choice=False)
    date_kind = SelectField("Дата", choices=choices(DATE_KINDS.items()), default=MONTH)
    month_start = RuMonthField("Месяц (или первый месяц периода)", validators=[Optional(), InSchoolYear()])
    month_end = RuMonthField("Последний месяц периода", validators=[Optional(), InSchoolYear()])
    day = RuDateField("День", validators=[Optional(), InSchoolYear()])
    at = RuTimeField("Время начала", validators=[Optional()])
    capacity = RuIntegerField(
        "Количество мест",
        validators=[Optional(), NumberRange(min=1, max=10000, message="Число мест — от 1 до 10000.")],
        description="Пусто — без ограничения.",
    )
    hours = RuIntegerField(
        "Объём, ч.",
        validators=[Optional(), NumberRange(min=1, max=1000, message="Объём — от 1 до 1000 академических часов.")],
        description="В академических часах, для сертификатов участников.",
    )
    signup_deadline = RuDateField("Запись до (включительно)", validators=[Optional(), InSchoolYear()])
    is_open = BooleanField("Запись открыта", default=True)

    def __init__(self, *args, goals=(), venues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.goal_id.choices = choices([(0, "— без направления —")] + [(g.id, g.title) for g in goals])
        self.venue_id.choices = choices([(0, "— не указано —")] + [(o.id, o.short_name) for o in venues])
        self._goal_ids = {g.id for g in goals}
        self._venue_ids = {o.id for o in venues}

    def validate_goal_id(self, field):
        if field.data is not None and field.data not in self._goal_ids:
            raise ValidationError("Выберите направление из списка.")

    def validate_venue_id(self, field):
        if field.data is not None and field.data not in self._venue_ids:
            raise ValidationError("Выберите место из списка.")

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then what the chosen kind of date requires (empty optional fields skip their own)."""
        ok = super().validate(extra_validators)
        kind = self.date_kind.data

        def need(field, message):
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                return False
            return True

        if kind in (MONTH, SPAN):
            ok = need(self.month_start, "Выберите месяц.") and ok
        if kind == SPAN:
            ok = need(self.month_end, "Выберите последний месяц периода.") and ok
            if self.month_start.data and self.month_end.data and self.month_end.data <= self.month_start.data:
                self.month_end.errors = [*self.month_end.errors, "Последний месяц должен быть позже первого."]
                ok = False
        if kind in (DAY, DATETIME):
            ok = need(self.day, "Укажите день.") and ok
        if kind == DATETIME:
            ok = need(self.at, "Укажите время.") and ok
        if ok and self.signup_deadline.data:
            last = self.plan_date().last_day
            if last and self.signup_deadline.data > last:
                self.signup_deadline.errors = [*self.signup_deadline.errors,
                                               "Срок записи не может быть позже даты мероприятия."]
                ok = False
        return ok

    def plan_date(self) -> PlanDate:
        """The date the form describes."""
        kind = self.date_kind.data
        if kind == YEAR:
            start = self.year_start or date.today().year
            return PlanDate.whole_year(start)
        if kind == MONTH:
            return PlanDate(MONTH, self.month_start.data.replace(day=1))
        if kind == SPAN:
            return PlanDate(SPAN, self.month_start.data.replace(day=1), self.month_end.data.replace(day=1))
        if kind == DAY:
            return PlanDate(DAY, self.day.data)
        if kind == DATETIME:
            return PlanDate(DATETIME, self.day.data, None, self.at.data)
        return PlanDate(TBD)

    def data_for_service(self) -> dict:
        return {
            "kind": self.kind.data,
            "goal_id": self.goal_id.data,
            "title": self.title.data.strip(),
            "description": (self.description.data or "").strip() or None,
            "venue_id": self.venue_id.data,
            "capacity": self.capacity.data,
            "hours": self.hours.data,
            "signup_deadline": self.signup_deadline.data,
            "is_open": bool(self.is_open.data),
            "plan_date": self.plan_date(),
        }

    def fill_from(self, event) -> None:
        """Set the fields from an event (GET of the edit form)."""
        pd = event.plan_date
        self.kind.data = event.kind
        self.goal_id.data = event.goal_id
        self.title.data = event.title
        self.description.data = event.description
        self.venue_id.data = event.venue_id
        self.date_kind.data = pd.kind
        if pd.kind in (MONTH, SPAN):
            self.month_start.data = pd.start
            self.month_end.data = pd.end
        if pd.kind in (DAY, DATETIME):
            self.day.data = pd.start
            self.at.data = pd.at
        self.capacity.data = event.capacity
        self.hours.data = event.hours
        self.signup_deadline.data = event.signup_deadline
        self.is_open.data = event.is_open


class CancelEventForm(FlaskForm):
    reason = TextAreaField("Причина отмены (увидят участники)", validators=[Optional(), Length(max=1000)])


class ConsultationRequestForm(FlaskForm):
    """A librarian asks for an individual consultation."""

    topic_event_id = SelectField("Тема из плана", coerce=_int_or_none, validate_choice=False)
    topic = TextAreaField("Или своя тема", validators=[Length(max=2000)])
    preferred_dates = StringField(
        "Удобные даты", validators=[DataRequired("Укажите удобные даты."), Length(max=500)],
        description="Например: «вторники в декабре, после 14:00».",
    )

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.topic_event_id.choices = choices([(0, "— своя тема —")] + [(t.id, t.title) for t in topics])
        self._topic_ids = {t.id for t in topics}

    def validate_topic_event_id(self, field):
        if field.data is not None and field.data not in self._topic_ids:
            raise ValidationError("Выберите тему из списка.")

    def validate_topic(self, field):
        if self.topic_event_id.data is None and not (field.data or "").strip():
            raise ValidationError("Выберите тему из плана или напишите свою.")


CONSULTATION_ACTIONS = {
    "schedule": "Назначить",
    "answer": "Ответить",
    "held": "Отметить проведённой",
    "decline": "Отклонить",
}


class ConsultationHandleForm(YearForm):
    """The methodologist schedules, answers, marks held or declines a consultation request."""

    action = SelectField("Действие", choices=choices(CONSULTATION_ACTIONS.items()))
    scheduled_date = RuDateField("День", validators=[Optional(), InSchoolYear()])
    scheduled_time = RuTimeField("Время", validators=[Optional()])
    place = StringField("Место", validators=[fits(ConsultationRequest.place)])
    answer = TextAreaField("Ответ", validators=[Length(max=5000)])
    held_note = TextAreaField("Заметка о проведении", validators=[Optional(), Length(max=5000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.action.data == "schedule" and not self.scheduled_date.data and not self.scheduled_date.errors:
            self.scheduled_date.errors = [*self.scheduled_date.errors, "Укажите день консультации."]
            ok = False
        return ok

    def validate_place(self, field):
        if self.action.data == "schedule" and not (field.data or "").strip():
            raise ValidationError("Укажите место.")

    def validate_answer(self, field):
        if self.action.data in ("answer", "decline") and not (field.data or "").strip():
            raise ValidationError("Напишите ответ.")
