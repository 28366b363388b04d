"""Settings → Channels: where notifications go (signed webhooks, Feishu / DingTalk / WeCom / Slack bots,
e-mail). Analysts may look; admins and owners register, rotate the signing secret (shown once), delete and
redeliver. A channel's page shows its delivery log: every delivery with its attempts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.cases import queries
from cxloop.notify import services as notify
from cxloop.notify.models import Endpoint, EndpointFormat
from cxloop.orgs.access import ANALYSE, MANAGE, Actor
from cxloop.orgs.services import ServiceError
from cxloop.web import case_forms as forms
from cxloop.web.decorators import org_page

PAGE_SIZE = 25


def where(endpoint: Endpoint) -> str:
    """Where a channel posts, without the secret parts: chat bot URLs carry their token in the path or the
    query (WeCom ``key=``, DingTalk ``access_token=``, Feishu and Slack in the path)."""
    if endpoint.format == EndpointFormat.EMAIL:
        return endpoint.email
    parts = urlsplit(endpoint.url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path not in ("", "/") or parts.query else endpoint.url


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # the page may show a secret once
    return response


@org_page(ANALYSE, post_role=MANAGE)
def channels(request: HttpRequest, actor: Actor) -> HttpResponse:
    teams = list(queries.teams(actor.org))
    form = forms.EndpointForm(request.POST or None, teams=teams, initial={"events": ["*"]})
    created: tuple[Endpoint, str] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = notify.create_endpoint(
                    org=actor.org, name=d["name"], url=d["url"].strip(), email=d["email"].strip(), format=d["format"],
                    events=d["events"], team=queries.team(actor.org, int(d["team"])) if d["team"] else None,
                    chat_secret=d["chat_secret"].strip(), actor=actor.user)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None,
                               exc.message.removeprefix(f"{exc.field}: "))
                status = exc.status
            else:
                form = forms.EndpointForm(teams=teams, initial={"events": ["*"]})
                status = 201
        else:
            status = 422
    context = {"org": actor.org, "section": "settings", "tab": "channels", "form": form,
               "endpoints": [(e, where(e)) for e in queries.endpoints(actor.org)], "created": created,
               "can_manage": actor.can(MANAGE),
               "signed": EndpointFormat.CXLOOP}
    return _no_store(render(request, "web/settings/channels.html", context, status=status))


def _channel_page(request: HttpRequest, actor: Actor, endpoint: Endpoint, **more: Any) -> HttpResponse:
    page = Paginator(queries.deliveries(endpoint), PAGE_SIZE).get_page(request.GET.get("page") or 1)
    context = {"org": actor.org, "section": "settings", "tab": "channels", "endpoint": endpoint, "page": page,
               "where": where(endpoint),
               "can_manage": actor.can(MANAGE), "signed": EndpointFormat.CXLOOP, **more}
    return _no_store(render(request, "web/settings/channel.html", context))


@org_page(ANALYSE)
def channel_detail(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    return _channel_page(request, actor, queries.endpoint(actor.org, endpoint_id))


@require_POST
@org_page(MANAGE)
def channel_rotate(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    endpoint = queries.endpoint(actor.org, endpoint_id)
    secret = notify.rotate_secret(endpoint=endpoint, actor=actor.user)
    return _channel_page(request, actor, endpoint, new_secret=secret)


@require_POST
@org_page(MANAGE)
def channel_delete(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    notify.delete_endpoint(endpoint=queries.endpoint(actor.org, endpoint_id), actor=actor.user)
    messages.success(request, _("Channel deleted."))
    return redirect("settings_channels", org=actor.org.slug)


@require_POST
@org_page(MANAGE)
def channel_redeliver(request: HttpRequest, actor: Actor, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = queries.endpoint(actor.org, endpoint_id)
    result = notify.redeliver(delivery=queries.delivery(endpoint, delivery_id), actor=actor.user)
    messages.success(request, _("Sent again: %(result)s") % {"result": result})
    return redirect("settings_channel", org=actor.org.slug, endpoint_id=endpoint.pk)
