"""Forms for organizations, accounts and the CSV import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from ..auth.forms import strong_password
from ..forms import fits
from ..models.people import LIBRARIAN, ORG_KINDS, ROLES, Organization, User
from .services import LOGIN_RE, LOGIN_RULE, normalize_initials


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _max(n: int) -> Length:
    """A Length validator with a Russian message (where no model column gives the limit: use forms.fits)."""
    return Length(max=n, message=f"Не длиннее {n} символов.")


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # refused by validate_organization_id with a Russian message


PHONE_RULE = "Телефон: цифры, пробелы, скобки и дефисы, например +7 (812) 123-45-67."


class OrganizationForm(FlaskForm):
    name = StringField("Полное название", filters=[_strip],
                       validators=[DataRequired("Введите полное название."), fits(Organization.name)])
    short_name = StringField("Краткое название", filters=[_strip],
                             validators=[DataRequired("Введите краткое название."),
                                         fits(Organization.short_name)])
    name_genitive = StringField("Название после «на базе …» (родительный падеж)", filters=[_strip],
                                validators=[Optional(), fits(Organization.name_genitive)])
    kind = SelectField("Вид", choices=_choices(ORG_KINDS.items()), validate_choice=False)
    number = StringField("Номер", filters=[_strip],
                         validators=[Optional(), fits(Organization.number),
                                     Regexp(r"^[0-9A-Za-zА-Яа-яЁё/-]+$",
                                            message="Номер: цифры и буквы без пробелов, например 192 или 28а.")])
    address = StringField("Адрес", filters=[_strip],
                          validators=[Optional(), fits(Organization.address)])

    def validate_kind(self, field):
        if field.data not in ORG_KINDS:
            raise ValidationError("Выберите вид организации.")


class UserForm(FlaskForm):
    """Fields of an account that the methodologist edits."""

    login = StringField("Логин", filters=[_lower],
                        validators=[DataRequired("Введите логин."), fits(User.login),
                                    Regexp(LOGIN_RE, message=LOGIN_RULE)])
    last_name = StringField("Фамилия", filters=[_strip],
                            validators=[DataRequired("Введите фамилию."), fits(User.last_name)])
    initials = StringField("Инициалы", filters=[_strip],
                           validators=[fits(User.initials)])
    first_name = StringField("Имя", filters=[_strip],
                             validators=[Optional(), fits(User.first_name)])
    middle_name = StringField("Отчество", filters=[_strip],
                              validators=[Optional(), fits(User.middle_name)])
    role = SelectField("Роль", choices=_choices(ROLES.items()), default=LIBRARIAN, validate_choice=False)
    organization_id = SelectField("Школа", coerce=_optional_int, choices=[], validate_choice=False)
    position = StringField("Должность", filters=[_strip],
                           validators=[Optional(), fits(User.position)])
    is_beginner = BooleanField("Малоопытный библиотекарь")
    email = StringField("E-mail", filters=[_strip],
                        validators=[Optional(), fits(User.email),
                                    Email("Неверный адрес электронной почты.")])
    phone = StringField("Телефон", filters=[_strip],
                        validators=[Optional(), fits(User.phone),
                                    Regexp(r"^\+?[0-9 ()\-]{5,}$", message=PHONE_RULE)])

    def __init__(self, *args, school_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = _choices([("", "— не указана —"), *school_choices])
        self._valid_schools = {int(v) for v, _ in school_choices}

    def validate_role(self, field):
        if field.data not in ROLES:
            raise ValidationError("Выберите роль.")

    def validate_organization_id(self, field):
        if field.data is not None and field.data not in self._valid_schools:
            raise ValidationError("Выберите школу из списка.")
        if field.data is None and self.role.data == LIBRARIAN:
            raise ValidationError("Для библиотекаря выберите школу.")

    def validate_initials(self, field):
        if field.data and not normalize_initials(field.data):
            raise ValidationError("Инициалы: буквы с точками, например Е.С.")
        if not field.data and not self.first_name.data:
            raise ValidationError("Укажите инициалы или имя.")


class UserCreateForm(UserForm):
    password = PasswordField("Начальный пароль",
                             validators=[DataRequired("Введите пароль."),
                                         _max(200), strong_password])
    confirm = PasswordField("Пароль ещё раз",
                            validators=[DataRequired("Повторите пароль."), EqualTo("password", "Пароли не совпадают.")])
    must_change_password = BooleanField("Потребовать смену пароля при первом входе", default=True)


class ImportForm(FlaskForm):
    file = FileField("CSV-файл", validators=[FileRequired("Выберите файл.")])
