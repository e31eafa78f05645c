"""Navigation by role: an item shows once its endpoint exists. The methodologist's admin pages sit in one
«Управление» group (a dropdown on the desktop) so that her menu fits one line at 1366 px."""

from flask import current_app, request, url_for
from flask_login import current_user

ADMIN = "Управление"

# (endpoint, label, roles, group)
NAV = [
    ("main.index", "Главная", ("methodologist", "librarian"), None),
    ("plan.show", "План", ("methodologist", "librarian"), None),
    ("events.index", "Мероприятия", ("methodologist", "librarian"), None),
    ("events.my_events", "Мои мероприятия", ("librarian",), None),
    ("portfolio.mine", "Портфолио", ("librarian",), None),
    ("events.consultations", "Консультации", ("methodologist", "librarian"), None),
    ("visits.index", "Посещения", ("methodologist", "librarian"), None),
    ("visits.recommendations", "Рекомендации", ("methodologist", "librarian"), None),
    ("practice.index", "Передовой опыт", ("methodologist", "librarian"), None),
    ("results.index", "Итоги года", ("methodologist",), None),
    ("people.organizations", "Организации", ("methodologist",), ADMIN),
    ("people.users", "Пользователи", ("methodologist",), ADMIN),
    ("mail.outbox", "Почта", ("methodologist",), ADMIN),
    ("audit.index", "Журнал изменений", ("methodologist",), ADMIN),
    ("setup.settings", "Настройки", ("methodologist",), ADMIN),
]


def _menu(role: str) -> list[tuple[str, str, str, str | None]]:
    """(endpoint, url, label, group) of the role's items, built once per process for each role and script root: the
    URLs of argument-free endpoints never change while the process runs (14 url_for calls saved a request)."""
    menus = current_app.extensions.setdefault("mo_nav", {})
    key = (role, request.script_root)
    menu = menus.get(key)
    if menu is None:
        menu = [(endpoint, url_for(endpoint), label, group) for endpoint, label, roles, group in NAV
                if role in roles and endpoint in current_app.view_functions]
        menus[key] = menu
    return menu


def nav_items() -> list[dict]:
    """The menu for the current user, marking the active item: a group is one entry with its `children`."""
    if not current_user.is_authenticated:
        return []
    path, current = request.path, request.endpoint
    items: list[dict] = []
    groups: dict[str, dict] = {}
    for endpoint, url, label, group in _menu(current_user.role):
        active = current == endpoint or (url != "/" and path.startswith(url) and not endpoint.startswith("main."))
        item = {"url": url, "label": label, "active": active}
        if group is None:
            items.append(item)
            continue
        if group not in groups:
            groups[group] = {"label": group, "children": [], "active": False}
            items.append(groups[group])
        groups[group]["children"].append(item)
        groups[group]["active"] = groups[group]["active"] or active
    return items
