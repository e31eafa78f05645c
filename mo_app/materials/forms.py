"""The two ways to attach a material: a file or a link, each with a title."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

TITLE_MAX = 200
URL_MAX = 2000


def _title() -> StringField:
    return StringField("Название", validators=[
        DataRequired("Укажите название."), Length(max=TITLE_MAX, message=f"Не длиннее {TITLE_MAX} символов."),
    ])


class FileMaterialForm(FlaskForm):
    title = _title()
    file = FileField("Файл", validators=[FileRequired("Выберите файл.")])


class LinkMaterialForm(FlaskForm):
    title = _title()
    url = StringField("Ссылка", validators=[
        DataRequired("Укажите ссылку."), Length(max=URL_MAX, message=f"Не длиннее {URL_MAX} символов."),
    ])
