"""The audit log page: read-only, filterable, paginated; for the methodologist only."""

from flask import request

from ..paging import paginate
from ..web import methodologist_required, page_arg, render
from . import bp
from .queries import (
    ACTION_LABELS,
    ENTITY_LABELS,
    FIELD_LABELS,
    PER_PAGE,
    entries_query,
    entry_name,
    parse_filters,
    show_value,
    user_choices,
)


@bp.route("/")
@methodologist_required
def index():
    """Who changed what and when, filtered by entity, user, action and dates."""
    flt = parse_filters(request.args)
    page = None
    if not flt.errors:
        page = paginate(entries_query(flt), page_arg(), PER_PAGE)
    return render(
        "audit/index.html",
        fragment="audit/_entries.html",
        status=422 if flt.errors else 200,
        flt=flt,
        page=page,
        users=user_choices(),
        entity_labels=ENTITY_LABELS,
        action_labels=ACTION_LABELS,
        field_labels=FIELD_LABELS,
        show_value=show_value,
        entry_name=entry_name,
    )
