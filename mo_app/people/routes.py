"""Schools, venues and accounts (methodologist only), and a person's page /people/<id>."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..errors import error_response
from ..extensions import db
from ..mail.queries import bounced
from ..models import Organization, User
from ..models.people import ORG_KINDS, ROLES
from ..web import any_role, id_arg, methodologist_required, page_arg, render, url_pattern
from . import bp, queries, services
from .forms import ImportForm, OrganizationForm, UserCreateForm, UserForm

# ---------------------------------------------------------------- loaders (every route here is the methodologist's)


def get_organization_or_404(org_id: int) -> Organization:
    """An organization by id, or 404."""
    return db.get_or_404(Organization, org_id)


def get_account_or_404(user_id: int) -> User:
    """An account by id, or 404."""
    return db.get_or_404(User, user_id)


# ---------------------------------------------------------------- organizations

@bp.app_template_global("org_url_pattern")
def org_url_pattern(endpoint: str) -> str:
    """An organization's `endpoint` as a `%`-pattern ("/organizations/%d/edit"): web.url_pattern."""
    return url_pattern(endpoint, "org_id")


def _organizations_context() -> dict:
    """Search text, filters and the page of results for the organizations list."""
    q = request.args.get("q", "")[:200]
    kind = request.args.get("kind", "")
    kind = kind if kind in ORG_KINDS else ""
    active = request.args.get("active", "")
    active = active if active in ("1", "0") else ""
    page = services.search_organizations(q, kind, active, page_arg())
    return {"page": page, "q": q, "kind": kind, "active": active, "kinds": ORG_KINDS,
            "filters": {k: v for k, v in (("q", q), ("kind", kind), ("active", active)) if v}}


@bp.route("/organizations")
@methodologist_required
def organizations():
    """Schools, libraries and other organizations, with active search."""
    return render("people/organizations.html", fragment="people/_organizations.html", **_organizations_context())


@bp.route("/organizations/new", methods=["GET", "POST"])
@methodologist_required
def new_organization():
    """Add an organization."""
    form = OrganizationForm()
    if form.validate_on_submit():
        org = services.save_organization(form)
        if org is not None:
            flash(f"Организация «{org.short_name}» добавлена.", "success")
            return redirect(url_for("people.organizations"), code=303)
    return render("people/organization_form.html", form=form, org=None, status=422 if form.errors else 200)


@bp.route("/organizations/<int:org_id>/edit", methods=["GET", "POST"])
@methodologist_required
def edit_organization(org_id: int):
    """Edit an organization."""
    org = get_organization_or_404(org_id)
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        if services.save_organization(form, org) is not None:
            flash(f"Организация «{org.short_name}» сохранена.", "success")
            return redirect(url_for("people.organizations"), code=303)
    return render("people/organization_form.html", form=form, org=org, status=422 if form.errors else 200)


@bp.route("/organizations/<int:org_id>/deactivate", methods=["POST"])
@methodologist_required
def deactivate_organization(org_id: int):
    """Deactivate an organization: it leaves the choice lists, its history stays."""
    org = get_organization_or_404(org_id)
    services.set_organization_active(org, False)
    flash(f"Организация «{org.short_name}» деактивирована.", "success")
    return redirect(url_for("people.organizations"), code=303)


@bp.route("/organizations/<int:org_id>/activate", methods=["POST"])
@methodologist_required
def activate_organization(org_id: int):
    """Make a deactivated organization active again."""
    org = get_organization_or_404(org_id)
    services.set_organization_active(org, True)
    flash(f"Организация «{org.short_name}» снова активна.", "success")
    return redirect(url_for("people.organizations"), code=303)


# ---------------------------------------------------------------- accounts

def _users_context() -> dict:
    """Search text, filters and the page of results for the accounts list."""
    q = request.args.get("q", "")[:200]
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    school = id_arg("school")
    active = request.args.get("active", "")
    active = active if active in ("1", "0") else ""
    page = services.search_users(q, role, school, active, page_arg())
    filters = {k: v for k, v in (("q", q), ("role", role), ("school", school), ("active", active)) if v}
    return {"page": page, "q": q, "role": role, "school": school, "active": active, "roles": ROLES,
            "schools": services.organization_choices(school), "filters": filters, "bounced": bounced(page.items)}


@bp.route("/users")
@methodologist_required
def users():
    """Accounts, with active search and filters by role, school and state."""
    return render("people/users.html", fragment="people/_users.html", **_users_context())


@bp.route("/users/new", methods=["GET", "POST"])
@methodologist_required
def new_user():
    """Create an account with an initial password."""
    form = UserCreateForm(school_choices=services.organization_choices())
    if form.validate_on_submit():
        user = services.save_user(form)
        if user is not None:
            flash(f"Пользователь {user.login} ({user.short_name}) создан.", "success")
            return redirect(url_for("people.users"), code=303)
    return render("people/user_form.html", form=form, user=None, status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@methodologist_required
def edit_user(user_id: int):
    """Edit an account (the password is reset separately)."""
    user = get_account_or_404(user_id)
    form = UserForm(obj=user, school_choices=services.organization_choices(user.organization_id))
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != user.role:
            form.role.errors.append("Нельзя изменить собственную роль.")
        elif services.save_user(form, user) is not None:
            flash(f"Пользователь {user.login} сохранён.", "success")
            return redirect(url_for("people.users"), code=303)
    return render("people/user_form.html", form=form, user=user, status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@methodologist_required
def deactivate_user(user_id: int):
    """Deactivate an account: the user cannot log in and every open session ends."""
    user = get_account_or_404(user_id)
    if user.id == current_user.id:
        return error_response(400, "Нельзя деактивировать собственную учётную запись.")
    services.set_user_active(user, False)
    flash(f"Пользователь {user.login} деактивирован.", "success")
    return redirect(url_for("people.users"), code=303)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@methodologist_required
def activate_user(user_id: int):
    """Re-activate an account."""
    user = get_account_or_404(user_id)
    services.set_user_active(user, True)
    flash(f"Пользователь {user.login} снова активен.", "success")
    return redirect(url_for("people.users"), code=303)


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@methodologist_required
def reset_password(user_id: int):
    """Set a temporary password, shown once; the user must change it at the next login."""
    user = get_account_or_404(user_id)
    if user.id == current_user.id:
        return error_response(400, "Свой пароль меняйте на странице «Смена пароля».")
    password = services.reset_password(user)
    return render("people/password_reset.html", user=user, password=password)  # no-store: security.py


@bp.route("/users/import", methods=["GET", "POST"])
@methodologist_required
def import_users():
    """Import librarians from a CSV file; a per-row report says what was created and what was refused."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            report = services.import_librarians(form.file.data.read())
        except services.ImportFileError as e:
            form.file.errors.append(str(e))
    if report is not None:
        return render("people/import.html", form=ImportForm(formdata=None), report=report)
    return render("people/import.html", form=form, report=None, status=422 if form.errors else 200)


# ---------------------------------------------------------------- a person's page


def get_person_or_404(user_id: int, viewer) -> User:
    """The user whose page `viewer` may see (the methodologist anyone's, a librarian their own), else 404."""
    user = db.session.get(User, user_id)
    if user is None or (not viewer.is_methodologist and user.id != viewer.id):
        abort(404)
    return user


@bp.route("/people/<int:user_id>")
@any_role
def person(user_id: int):
    """A librarian's profile: courses, seminars, consultations, visits, recommendations, best practice."""
    user = get_person_or_404(user_id, current_user)
    return render("people/person.html", person=user, history=queries.person_history(user))

