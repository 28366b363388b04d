"""Page views: thin. Each resolves the organisation and role (``org_page``), calls one query or
service, renders a template."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from cxloop.orgs import queries, services
from cxloop.orgs.access import MANAGE, READ, Actor
from cxloop.orgs.models import OrganizationLogo, Role, User
from cxloop.web import dashboard_views
from cxloop.web.decorators import org_page
from cxloop.web.forms import AcceptInvitationForm, ApiKeyForm, InvitationForm, OrgForm, RoleForm, TeamForm
from cxloop.web.respond import logo_response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
    except Exception as exc:  # the point of this endpoint is to report, not to raise
        return JsonResponse({"status": "error", "database": f"error: {type(exc).__name__}"}, status=503)
    return JsonResponse({"status": "ok", "database": db, "vendor": connection.vendor})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    memberships = list(queries.memberships_of(user))
    if not memberships:
        return render(request, "web/no_org.html")
    slugs = {m.org.slug for m in memberships}
    target = user.last_org.slug if user.last_org and user.last_org.slug in slugs else memberships[0].org.slug
    return redirect("dashboard", org=target)


def _remember(actor: Actor) -> None:
    user = actor.user
    if user is not None and user.last_org_id != actor.org.pk:
        user.last_org = actor.org
        user.save(update_fields=["last_org"])


@require_safe
@org_page(READ)
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    _remember(actor)
    return dashboard_views.org_dashboard(request, actor)




# --- settings ------------------------------------------------------------------------------------


@org_page(READ, post_role=MANAGE)
def settings_org(request: HttpRequest, actor: Actor) -> HttpResponse:
    logo = _logo_meta(actor.org)
    form = OrgForm(request.POST or None, request.FILES or None, instance=actor.org, has_logo=logo is not None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            services.audit("org.updated", org=actor.org, actor=actor.user, target=actor.org.name)
            if form.logo_info is not None:
                services.set_logo(org=actor.org, data=form.logo_data, actor=actor.user)
            elif form.cleaned_data.get("remove_logo") and logo is not None:
                services.remove_logo(org=actor.org, actor=actor.user)
        messages.success(request, _("Organisation saved."))
        return redirect("settings_org", org=actor.org.slug)
    context: dict[str, Any] = {"org": actor.org, "form": form, "section": "settings", "tab": "org", "logo": logo}
    if logo is not None:
        context["logo_url"] = reverse("settings_logo", kwargs={"org": actor.org.slug}) + f"?v={logo.digest}"
        context["logo_size"] = fit(logo.width, logo.height, 320, 64)
    return render(request, "web/settings/org.html", context)


def fit(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """The size that shows an image whole inside max_width × max_height (never enlarged): the page's
    <img> takes it as attributes, as the CSP allows no inline style."""
    scale = min(1.0, max_width / max(width, 1), max_height / max(height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _logo_meta(org: Any) -> OrganizationLogo | None:
    """The logo's row without its bytes (for the URL and the preview's size)."""
    return OrganizationLogo.objects.filter(org=org).defer("data").first()


@require_safe
@org_page(READ)
def settings_logo(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The organisation's logo for its own settings page (the respondents' pages use ``respond.logo``)."""
    logo = OrganizationLogo.objects.filter(org=actor.org).first()
    if logo is None:
        raise Http404("No logo.")
    return logo_response(logo, public=False)


def _member_choices(actor: Actor) -> list[tuple[str, str]]:
    return [(str(m.user.pk), f"{m.user} <{m.user.email}>") for m in queries.members(actor.org)]


def _team_from_form(actor: Actor, form: TeamForm, team: Any = None) -> Any:
    lead_id = form.cleaned_data["lead"]
    lead = User.objects.filter(pk=lead_id).first() if lead_id else None
    return services.save_team(org=actor.org, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                              lead=lead, description=form.cleaned_data["description"], team=team,
                              actor=actor.user)


@org_page(READ, post_role=MANAGE)
def settings_teams(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = TeamForm(request.POST or None, members=_member_choices(actor))
    if request.method == "POST" and form.is_valid():
        try:
            _team_from_form(actor, form)
            messages.success(request, _("Team created."))
            return redirect("settings_teams", org=actor.org.slug)
        except services.ServiceError as exc:
            form.add_error(exc.field or None, exc.message)
    return render(request, "web/settings/teams.html",
                  {"org": actor.org, "teams": queries.teams(actor.org), "form": form,
                   "section": "settings", "tab": "teams", "can_manage": actor.can(MANAGE)})


@org_page(READ, post_role=MANAGE)
def settings_team(request: HttpRequest, actor: Actor, team_id: int) -> HttpResponse:
    team = queries.team(actor.org, team_id)
    initial = {"name": team.name, "kind": team.kind, "lead": str(team.lead_id or ""),
               "description": team.description}
    form = TeamForm(request.POST or None, initial=initial, members=_member_choices(actor))
    if request.method == "POST" and form.is_valid():
        try:
            _team_from_form(actor, form, team)
            messages.success(request, _("Team saved."))
            return redirect("settings_teams", org=actor.org.slug)
        except services.ServiceError as exc:
            form.add_error(exc.field or None, exc.message)
    return render(request, "web/settings/team.html",
                  {"org": actor.org, "team": team, "form": form, "section": "settings", "tab": "teams",
                   "can_manage": actor.can(MANAGE), "mine": queries.team_membership(actor.org, actor.user, team)})


@require_POST
@org_page(MANAGE)
def settings_team_delete(request: HttpRequest, actor: Actor, team_id: int) -> HttpResponse:
    services.delete_team(team=queries.team(actor.org, team_id), actor=actor.user)
    messages.success(request, _("Team deleted."))
    return redirect("settings_teams", org=actor.org.slug)


@require_safe
@org_page(READ)
def settings_members(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/settings/members.html",
                  {"org": actor.org, "members": queries.members(actor.org), "roles": Role.choices,
                   "section": "settings", "tab": "members", "can_manage": actor.can(MANAGE),
                   "me": actor.user})


@require_POST
@org_page(MANAGE)
def settings_member_role(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = queries.member(actor.org, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    elif Role.OWNER in (form.cleaned_data["role"], membership.role) and actor.role != Role.OWNER:
        messages.error(request, _("Only an owner can grant or take away the owner role."))
    else:
        try:
            services.change_role(membership=membership, role=form.cleaned_data["role"], actor=actor.user)  # type: ignore[arg-type]
            messages.success(request, _("Role changed."))
        except services.ServiceError as exc:
            messages.error(request, exc.message)
    return redirect("settings_members", org=actor.org.slug)


@require_POST
@org_page(MANAGE)
def settings_member_remove(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = queries.member(actor.org, membership_id)
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        messages.error(request, _("Only an owner can remove an owner."))
    else:
        try:
            services.remove_member(membership=membership, actor=actor.user)  # type: ignore[arg-type]
            messages.success(request, _("Member removed."))
        except services.ServiceError as exc:
            messages.error(request, exc.message)
    return redirect("settings_members", org=actor.org.slug)


@org_page(MANAGE)
def settings_invitations(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InvitationForm(request.POST or None, org=actor.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(org=actor.org, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                            team=form.cleaned_data["team"], actor=actor.user)
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("settings_invitations", org=actor.org.slug)
        except services.ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "web/settings/invitations.html",
                  {"org": actor.org, "invitations": queries.invitations(actor.org)[:200], "form": form,
                   "section": "settings", "tab": "invitations"})


@require_POST
@org_page(MANAGE)
def settings_invitation_revoke(request: HttpRequest, actor: Actor, invitation_id: int) -> HttpResponse:
    services.revoke_invitation(invitation=queries.invitation(actor.org, invitation_id), actor=actor.user)
    messages.success(request, _("Invitation revoked."))
    return redirect("settings_invitations", org=actor.org.slug)


@org_page(MANAGE)
def settings_api_keys(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        if not Role.at_least(actor.role, form.cleaned_data["role"]):
            form.add_error("role", _("A key cannot have a higher role than yours."))
        else:
            created = services.create_api_key(org=actor.org, role=form.cleaned_data["role"],
                                              name=form.cleaned_data["name"], actor=actor.user)
            form = ApiKeyForm()
    response = render(request, "web/settings/api_keys.html",
                      {"org": actor.org, "keys": queries.api_keys(actor.org), "form": form, "created": created,
                       "section": "settings", "tab": "api_keys"})
    response["Cache-Control"] = "no-store"  # the page may show a new key once
    return response


@require_POST
@org_page(MANAGE)
def settings_api_key_revoke(request: HttpRequest, actor: Actor, key_id: int) -> HttpResponse:
    services.revoke_api_key(key=queries.api_key(actor.org, key_id), actor=actor.user)
    messages.success(request, _("API key revoked."))
    return redirect("settings_api_keys", org=actor.org.slug)


@require_safe
@org_page(MANAGE)
def settings_audit(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/settings/audit.html",
                  {"org": actor.org, "events": queries.audit_events(actor.org)[:300],
                   "section": "settings", "tab": "audit"})


# --- invitations (the invitee's side) -------------------------------------------------------------


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "web/invitation_invalid.html", status=404)
    existing = User.objects.filter(email=invitation.email).first()
    if request.user.is_authenticated:
        user: User = request.user
        if request.method == "POST":
            services.accept_invitation(token=token, user=user)
            messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.org.name})
            return redirect("dashboard", org=invitation.org.slug)
        return render(request, "web/invitation.html", {"invitation": invitation, "form": None})
    if existing is not None:
        return redirect(f"{reverse('login')}?next={request.path}")
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(form.cleaned_data["password"], User(email=invitation.email))
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            user = User.objects.create_user(email=invitation.email, password=form.cleaned_data["password"],
                                            display_name=form.cleaned_data["display_name"])
            services.accept_invitation(token=token, user=user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("dashboard", org=invitation.org.slug)
    return render(request, "web/invitation.html", {"invitation": invitation, "form": form})
