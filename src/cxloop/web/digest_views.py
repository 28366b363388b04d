"""The weekly team digest in the web UI: a preview of last week's e-mail from the team's settings page,
the member's own on/off switch there, and the no-sign-in "stop the digest" page its link opens."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.analytics import digest
from cxloop.orgs import queries, services
from cxloop.orgs.access import READ, Actor
from cxloop.web.decorators import org_page

# The preview is the e-mail itself: inline styles, no script, nothing loaded from elsewhere.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'self'")


@org_page(READ)
def team_digest_preview(request: HttpRequest, actor: Actor, team_id: int) -> HttpResponse:
    team = queries.team(actor.org, team_id)
    assert actor.user is not None
    rendered = digest.preview(team, actor.user, language=(get_language() or "").lower())
    response = HttpResponse(rendered.html)
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response


@require_POST
@org_page(READ)
def team_digest_toggle(request: HttpRequest, actor: Actor, team_id: int) -> HttpResponse:
    team = queries.team(actor.org, team_id)
    membership = queries.team_membership(actor.org, actor.user, team)
    if membership is None:
        raise Http404("You are not a member of this team.")
    on = request.POST.get("on") == "1"
    services.set_weekly_digest(membership=membership, on=on)
    messages.success(request, _("You will receive the weekly digest.") if on
                     else _("You will no longer receive the weekly digest."))
    return redirect("settings_team", org=actor.org.slug, team_id=team.pk)


def digest_off(request: HttpRequest, token: str) -> HttpResponse:
    """Stop (or restart) the weekly digest from the e-mail's link: GET asks, POST does it."""
    membership = queries.membership_by_id(digest.membership_of_token(token))
    if membership is None:
        return render(request, "web/digest_off.html", {"membership": None}, status=404)
    if request.method == "POST":
        services.set_weekly_digest(membership=membership, on=request.POST.get("on") == "1")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(request, "web/digest_off.html", {"membership": membership, "token": token})
