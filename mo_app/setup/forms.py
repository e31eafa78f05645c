"""The setup page's and the settings page's forms."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Regexp, ValidationError

from ..auth.forms import strong_password
from ..people.forms import _lower, _max, _strip
from ..people.services import LOGIN_RE, LOGIN_RULE

ASSOCIATION_HINT = "Как в шапке документов: «Методическое объединение школьных библиотекарей Центрального района»"
CENTRE_HINT = "Например: «ИМЦ Центрального района»"


def _association_field():
    return StringField("Полное название методического объединения", filters=[_strip],
                       validators=[DataRequired("Введите название методического объединения."), _max(300)])


def _centre_field():
    return StringField("Название центра", filters=[_strip],
                       validators=[DataRequired("Введите название центра, при котором работает объединение."),
                                   _max(300)])


class SetupForm(FlaskForm):
    """The first run: the association, its centre and the methodologist's account."""

    association_name = _association_field()
    centre_name = _centre_field()
    last_name = StringField("Фамилия", filters=[_strip], validators=[DataRequired("Введите фамилию."), _max(80)])
    first_name = StringField("Имя", filters=[_strip], validators=[DataRequired("Введите имя."), _max(80)])
    middle_name = StringField("Отчество", filters=[_strip], validators=[_max(80)])
    position = StringField("Должность", filters=[_strip],
                           validators=[DataRequired("Введите должность: она стоит в подписи документов."),
                                       _max(120)])
    login = StringField("Логин", filters=[_lower],
                        validators=[DataRequired("Введите логин."), Regexp(LOGIN_RE, message=LOGIN_RULE)])
    email = StringField("E-mail", filters=[_strip],
                        validators=[DataRequired("Введите адрес электронной почты."), _max(200),
                                    Email("Неверный адрес электронной почты.")])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль."), _max(200), strong_password])
    confirm = PasswordField("Пароль ещё раз",
                            validators=[DataRequired("Повторите пароль."), EqualTo("password", "Пароли не совпадают.")])


def _optional_id(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # refused by validate_signatory_id with a Russian message


class SettingsForm(FlaskForm):
    """The association's names and who signs documents."""

    association_name = _association_field()
    centre_name = _centre_field()
    signatory_id = SelectField("Подписывает документы", coerce=_optional_id, choices=[], validate_choice=False)

    def __init__(self, *args, signatories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.signatory_id.choices = [("", "— никто (строка подписи пустая) —"), *signatories]
        self._valid = {value for value, _ in signatories}

    def validate_signatory_id(self, field):
        if field.data is not None and field.data not in self._valid:
            raise ValidationError("Выберите методиста из списка.")
