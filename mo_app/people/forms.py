"""Forms for organizations, accounts and the CSV import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from ..auth.forms import strong_password
from ..models.people import LIBRARIAN, ORG_KINDS, ROLES
from .services import LOGIN_RE, LOGIN_RULE, normalize_initials


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # refused by validate_organization_id with a Russian message


class OrganizationForm(FlaskForm):
    name = StringField("Полное название", filters=[_strip],
                       validators=[DataRequired("Введите полное название."), Length(max=300, message="Не длиннее 300 символов.")])
    short_name = StringField("Краткое название", filters=[_strip],
                             validators=[DataRequired("Введите краткое название."),
                                         Length(max=120, message="Не длиннее 120 символов.")])
    kind = SelectField("Вид", choices=list(ORG_KINDS.items()), validate_choice=False)
    number = StringField("Номер", filters=[_strip],
                         validators=[Optional(), Length(max=20, message="Не длиннее 20 символов."),
                                     Regexp(r"^[0-9A-Za-zА-Яа-яЁё/-]+$",
                                            message="Номер: цифры и буквы без пробелов, например 192 или 28а.")])
    address = StringField("Адрес", filters=[_strip],
                          validators=[Optional(), Length(max=300, message="Не длиннее 300 символов.")])

    def validate_kind(self, field):
        if field.data not in ORG_KINDS:
            raise ValidationError("Выберите вид организации.")


class UserForm(FlaskForm):
    """Fields of an account that the methodologist edits."""

    login = StringField("Логин", filters=[_lower],
                        validators=[DataRequired("Введите логин."), Regexp(LOGIN_RE, message=LOGIN_RULE)])
    last_name = StringField("Фамилия", filters=[_strip],
                            validators=[DataRequired("Введите фамилию."), Length(max=80, message="Не длиннее 80 символов.")])
    initials = StringField("Инициалы", filters=[_strip],
                           validators=[Optional(), Length(max=10, message="Не длиннее 10 символов.")])
    first_name = StringField("Имя", filters=[_strip],
                             validators=[Optional(), Length(max=80, message="Не длиннее 80 символов.")])
    middle_name = StringField("Отчество", filters=[_strip],
                              validators=[Optional(), Length(max=80, message="Не длиннее 80 символов.")])
    role = SelectField("Роль", choices=list(ROLES.items()), default=LIBRARIAN, validate_choice=False)
    organization_id = SelectField("Школа", coerce=_optional_int, choices=[], validate_choice=False)
    position = StringField("Должность", filters=[_strip],
                           validators=[Optional(), Length(max=120, message="Не длиннее 120 символов.")])
    is_beginner = BooleanField("Малоопытный библиотекарь")
    email = StringField("E-mail", filters=[_strip],
                        validators=[Optional(), Length(max=200, message="Не длиннее 200 символов."),
                                    Email("Неверный адрес электронной почты.")])
    phone = StringField("Телефон", filters=[_strip],
                        validators=[Optional(), Length(max=40, message="Не длиннее 40 символов."),
                                    Regexp(r"^\+?[0-9 ()\-]{5,}$",
                                           message="Телефон: цифры, пробелы, скобки и дефисы, например +7 (812) 123-45-67.")])

    def __init__(self, *args, school_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = [("", "— не указана —"), *school_choices]
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
                             validators=[DataRequired("Введите пароль."), Length(max=200), strong_password])
    confirm = PasswordField("Пароль ещё раз",
                            validators=[DataRequired("Повторите пароль."), EqualTo("password", "Пароли не совпадают.")])
    must_change_password = BooleanField("Потребовать смену пароля при первом входе", default=True)


class ImportForm(FlaskForm):
    file = FileField("CSV-файл", validators=[FileRequired("Выберите файл.")])
