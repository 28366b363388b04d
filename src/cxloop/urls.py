from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from cxloop.api.main import api
from cxloop.web import digest_views, respond, views
from cxloop.web.auth_forms import QueuedPasswordResetForm
from cxloop.web.urls import org_patterns

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=QueuedPasswordResetForm, extra_email_context={"base_url": settings.BASE_URL}
        ),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("o/<slug:org>/", include(org_patterns)),
    path("s/<slug:slug>/", respond.public, name="respond_public"),
    path("s/<slug:slug>/thanks/", respond.thanks, name="respond_thanks"),
    path("s/<slug:slug>/brand.css", respond.brand, name="respond_brand"),
    path("s/<slug:slug>/logo/<str:digest>", respond.logo, name="respond_logo"),
    path("r/<str:token>/", respond.personal, name="respond_personal"),
    path("u/<str:token>/", respond.unsubscribe_view, name="unsubscribe"),
    path("digest/off/<str:token>/", digest_views.digest_off, name="digest_off"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "cxloop.web.errors.not_found"
handler403 = "cxloop.web.errors.forbidden"
handler500 = "cxloop.web.errors.server_error"
