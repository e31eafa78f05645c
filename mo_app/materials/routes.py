"""Materials' pages: an event's materials page (the list and, for the methodologist and speakers, the forms to
attach a file or a link), a file's download, removing one; the event page's «Материалы» section (a template
global, `event_materials`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from ..errors import error_response
from ..printing import send_download
from ..web import any_role, render
from . import queries, services
from .forms import FileMaterialForm, LinkMaterialForm
from .services import MaterialError

bp = Blueprint("materials", __name__)

HIDDEN = "Материалы мероприятия видят записавшиеся на него, а после мероприятия — все библиотекари."


@bp.app_template_global("event_materials")
def event_materials(event, reg=None) -> queries.Section:
    """The event page's section for the current user (`reg`: her registration, as the page read it)."""
    return queries.section(event, current_user, reg)


def get_event_or_404(event_id: int):
    event = queries.event_or_none(event_id)
    if event is None:
        abort(404)
    return event


def _page(event, reg, status: int = 200, file_form=None, link_form=None):
    return render(
        "materials/index.html", status=status, event=event, materials=queries.materials_of(event.id),
        can_add=queries.can_add(current_user, reg), can_remove=queries.can_remove,
        file_form=file_form or FileMaterialForm(formdata=None), link_form=link_form or LinkMaterialForm(formdata=None),
        allowed=", ".join(sorted(services.ALLOWED_FILES)),
    )


@bp.route("/events/<int:event_id>/materials")
@any_role
def index(event_id: int):
    """The event's materials; the forms to attach one for the methodologist and the event's speakers."""
    event = get_event_or_404(event_id)
    reg = queries.registration_of(event.id, current_user)
    if not queries.can_see(event, current_user, reg):
        return error_response(403, HIDDEN)
    return _page(event, reg)


def _add(event_id: int, form, add):
    event = get_event_or_404(event_id)
    reg = queries.registration_of(event.id, current_user)
    if not queries.can_add(current_user, reg):
        return error_response(403, services.NOT_YOURS)
    status = 422
    if form.validate():
        try:
            add(event, reg, form)
        except MaterialError as e:
            if e.field is None:
                return error_response(e.status, e.message)
            getattr(form, e.field).errors = [e.message]
            status = e.status
        else:
            flash("Материал добавлен.", "success")
            return redirect(url_for("materials.index", event_id=event.id), 303)
    forms = {"file_form": form} if isinstance(form, FileMaterialForm) else {"link_form": form}
    return _page(event, reg, status=status, **forms)


@bp.route("/events/<int:event_id>/materials/file", methods=["POST"])
@any_role
def add_file(event_id: int):
    """Attach a file with a title."""
    return _add(event_id, FileMaterialForm(),
                lambda event, reg, form: services.add_file(event, current_user, reg, form.title.data, form.file.data))


@bp.route("/events/<int:event_id>/materials/link", methods=["POST"])
@any_role
def add_link(event_id: int):
    """Attach a link with a title."""
    return _add(event_id, LinkMaterialForm(),
                lambda event, reg, form: services.add_link(event, current_user, reg, form.title.data, form.url.data))


def get_material_or_404(material_id: int):
    """The material if the current user may see its event's materials; 404 otherwise."""
    material = queries.material_or_none(material_id)
    if material is None:
        abort(404)
    reg = queries.registration_of(material.event_id, current_user)
    if not queries.can_see(material.event, current_user, reg):
        abort(404)
    return material


@bp.route("/materials/<int:material_id>/file")
@any_role
def download(material_id: int):
    """A file material, always as an attachment under its original name."""
    material = get_material_or_404(material_id)
    try:
        data = services.read_file(material)
    except MaterialError as e:
        abort(e.status)
    return send_download(data, material.original_name or "material", material.content_type
                         or "application/octet-stream")


@bp.route("/materials/<int:material_id>/delete", methods=["POST"])
@any_role
def remove(material_id: int):
    """Remove a material (the page asks first): the methodologist, or who added it."""
    material = get_material_or_404(material_id)
    event_id = material.event_id
    try:
        services.remove(material, current_user)
    except MaterialError as e:
        return error_response(e.status, e.message)
    flash("Материал удалён.", "success")
    return redirect(url_for("materials.index", event_id=event_id), 303)
