"""The WSGI application: Django, with the response-capture fast path in front (cxloop.api.gateway)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxloop.settings")
django_application = get_wsgi_application()

from cxloop.api.gateway import wrap  # noqa: E402  (needs Django set up)

application = wrap(django_application)
