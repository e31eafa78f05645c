"""Navigation by role: an item shows once its endpoint exists."""

from flask import current_app, request, url_for
from flask_login import current_user

# (endpoint, label, roles)
NAV = [
    ("main.index", "Главная", ("methodologist", "librarian")),
    ("plan.show", "План", ("methodologist", "librarian")),
    ("events.index", "Мероприятия", ("methodologist", "librarian")),
    ("events.my_events", "Мои мероприятия", ("librarian",)),
    ("events.consultations", "Консультации", ("methodologist", "librarian")),
    ("visits.index", "Посещения", ("methodologist", "librarian")),
    ("visits.recommendations", "Рекомендации", ("methodologist", "librarian")),
    ("plan.best_practice", "Передовой опыт", ("methodologist", "librarian")),
    ("plan.results", "Итоги года", ("methodologist",)),
    ("people.organizations", "Организации", ("methodologist",)),
    ("people.users", "Пользователи", ("methodologist",)),
    ("audit.index", "Журнал изменений", ("methodologist",)),
]


def nav_items() -> list[dict]:
    """The menu for the current user, marking the active item."""
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in NAV:
        if current_user.role in roles and endpoint in current_app.view_functions:
            url = url_for(endpoint)
            active = request.endpoint == endpoint or (
                url != "/" and request.path.startswith(url) and endpoint.split(".")[0] != "main"
            )
            items.append({"url": url, "label": label, "active": active})
    return items
