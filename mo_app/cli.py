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
        """Load the 2015–2016 plan and its copy on the current school year (idempotent)."""
        from .demo import load_demo

        created = load_demo()
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
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path):
        """Write a consistent copy of the database to PATH while the app keeps running."""
        from .backup import BackupError, backup

        try:
            target = backup(path)
        except BackupError as e:
            raise click.ClickException(str(e)) from e
        click.echo(f"Резервная копия сохранена: {target} ({target.stat().st_size // 1024} КБ).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
    def restore_command(path, yes):
        """Replace all data with the backup at PATH (asks first unless --yes)."""
        from .backup import BackupError, restore

        if not yes:
            click.confirm(f"Все текущие данные будут заменены копией из {path}. Продолжить?", abort=True)
        try:
            kept = restore(path)
        except BackupError as e:
            raise click.ClickException(str(e)) from e
        click.echo(f"Данные восстановлены из {path}.")
        if kept:
            click.echo(f"Прежние данные сохранены в {kept}.")
