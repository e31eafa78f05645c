"""«Оцените мероприятие»: usefulness 1–5 and three comments."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation

TEXT_MAX = 2000
SCORES = [SelectChoice(5, "5 — очень полезно"), *(SelectChoice(n, str(n)) for n in (4, 3, 2)),
          SelectChoice(1, "1 — бесполезно")]


def _text(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[Length(max=TEXT_MAX, message=f"Не длиннее {TEXT_MAX} символов.")])


SCORE_MESSAGE = "Оцените полезность от 1 до 5."


class ScoreField(RadioField):
    """1–5 as radio buttons; anything else (missing, out of range, not a number) gets the one Russian message."""

    def process_formdata(self, valuelist):
        try:
            self.data = int(valuelist[0]) if valuelist else None
        except ValueError:
            self.data = None

    def pre_validate(self, form):
        if self.data not in range(1, 6):
            raise StopValidation(SCORE_MESSAGE)


class FeedbackForm(FlaskForm):
    usefulness = ScoreField("Насколько полезным было мероприятие", coerce=int, choices=SCORES)
    most_useful = _text("Что было самым полезным")
    to_improve = _text("Что улучшить")
    topics_wanted = _text("Какие темы вы хотели бы в следующем году")
