"""Login and password forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..models.people import MIN_PASSWORD_LENGTH

WEAK = {"12345678", "123456789", "1234567890", "password", "qwertyui", "qwerty123", "йцукенгш", "11111111"}


def strong_password(form, field):
    """Refuse short or well-known passwords with a Russian message."""
    value = field.data or ""
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов.")
    if value.lower() in WEAK or len(set(value)) < 4:
        raise ValidationError("Пароль слишком простой: используйте буквы, цифры и другие символы.")


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин."), Length(max=60)])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль."), Length(max=200)])
    remember = BooleanField("Запомнить меня")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Текущий пароль", validators=[DataRequired("Введите текущий пароль."), Length(max=200)])
    new = PasswordField(
        "Новый пароль", validators=[DataRequired("Введите новый пароль."), Length(max=200), strong_password]
    )
    confirm = PasswordField(
        "Новый пароль ещё раз",
        validators=[DataRequired("Повторите новый пароль."), EqualTo("new", "Пароли не совпадают.")],
    )


class ForgotPasswordForm(FlaskForm):
    login = StringField("Логин или адрес электронной почты",
                        validators=[DataRequired("Введите логин или адрес электронной почты."), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    new = PasswordField(
        "Новый пароль", validators=[DataRequired("Введите новый пароль."), Length(max=200), strong_password]
    )
    confirm = PasswordField(
        "Новый пароль ещё раз",
        validators=[DataRequired("Повторите новый пароль."), EqualTo("new", "Пароли не совпадают.")],
    )
