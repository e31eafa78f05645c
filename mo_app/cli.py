"""Flask commands: create-user, load-demo, backup, restore (and `flask db upgrade` from Flask-Migrate)."""

from __future__ import annotations

import click
from flask import Flask

from .auth.forms import WEAK
from .extensions import db
from .models import Organization, User
from .models.people import MIN_PASSWORD_LENGTH, ROLES


def register_cli(app: Flask) -> None:
    @app.cli.command("load-demo")
    def load_demo_command():
        """Load the demo into an empty database, once (`make demo`); a real database is refused."""
        from .demo import DemoRefused, load_demo

        try:
            created = load_demo()
        except DemoRefused as e:
            raise click.ClickException(e.message) from e
        if not any(created.values()):
            click.echo("Демо-данные уже загружены, ничего не изменено.")
        else:
            click.echo("Демо-данные загружены.")

    @app.cli.command("create-user")
    @click.argument("login")
    @click.option("--last-name", required=True, help="Фамилия")
    @click.option("--initials", default="", help="Инициалы, например «Е.С.»")
    @click.option("--first-name", default=None)
    @click.option("--middle-name", default=None)
    @click.option("--role", type=click.Choice(sorted(ROLES)), default="librarian", show_default=True)
    @click.option("--school", default=None, help="Краткое название организации (для библиотекаря)")
    @click.option("--email", default=None)
    def create_user_command(login, last_name, initials, first_name, middle_name, role, school, email):
        """Create an account; the password is asked twice, never taken from the command line."""
        login = login.strip().lower()
        if db.session.scalar(db.select(User).where(User.login == login)):
            raise click.ClickException(f"Пользователь с логином «{login}» уже существует.")
        org = None
        if school:
            org = db.session.scalar(db.select(Organization).where(Organization.short_name == school))
            if org is None:
                raise click.ClickException(f"Организация «{school}» не найдена.")
        elif role == "librarian":
            raise click.ClickException("Для библиотекаря укажите школу: --school «ГБОУ №192».")
        password = click.prompt("Пароль", hide_input=True, confirmation_prompt="Пароль ещё раз")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise click.ClickException(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов.")
        if password.lower() in WEAK or len(set(password)) < 4:
            raise click.ClickException("Пароль слишком простой: используйте буквы, цифры и другие символы.")
        user = User(login=login, last_name=last_name, initials=initials, first_name=first_name,
                    middle_name=middle_name, role=role, organization=org, email=email)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"Создан пользователь {login} ({ROLES[role].lower()}).")

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path(dir_okay=False))
    def backup_command(path):
        """Write one archive of the database and every uploaded file (default: a new one in BACKUP_DIR)."""
        from .backup import BackupError, backup, size_text

        try:
            target = backup(path)
        except BackupError as e:
            raise click.ClickException(str(e)) from e
        click.echo(f"Резервная копия сохранена: {target} ({size_text(target.stat().st_size)}).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
    def restore_command(path, yes):
        """Replace the database and uploaded files with the archive at PATH, checked first (asks unless --yes)."""
        from .backup import BackupError, restore

        if not yes:
            click.confirm(f"Все текущие данные и файлы будут заменены копией из {path}. Продолжить?", abort=True)
        try:
            kept = restore(path)
        except BackupError as e:
            raise click.ClickException(str(e)) from e
        click.echo(f"Данные и файлы восстановлены из {path}.")
        click.echo(f"Прежние данные сохранены в {kept}.")
