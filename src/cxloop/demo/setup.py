"""Load the demo organisation once: owner account, API key, generated data. Safe to run again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from cxloop.orgs.models import Organization, OrganizationLogo
from cxloop.orgs.services import create_admin, create_api_key, set_logo

DEMO_ORG_NAME = "云启科技 CloudLaunch"
DEMO_SLUG = "cloudlaunch"
DEMO_EMAIL = "admin@cloudlaunch.example"
DEMO_PASSWORD = "cloudlaunch-demo"  # noqa: S105  documented in the README: the demo is for a laptop, not the internet


@dataclass(frozen=True)
class DemoResult:
    org: Organization
    api_key: str
    created: bool


def credentials_path() -> Path:
    db = settings.DATABASES["default"]
    if str(db["ENGINE"]).endswith("sqlite3"):
        return Path(str(db["NAME"])).parent / "demo-credentials.json"
    return Path(settings.CXLOOP_DATA_DIR) / "demo-credentials.json"


def _previous_key(org: Organization) -> str | None:
    """The demo key saved by an earlier run, if it still works."""
    from cxloop.orgs.services import ServiceError, authenticate_api_key

    path = credentials_path()
    try:
        key = json.loads(path.read_text()).get("api_key", "")
        found = authenticate_api_key(key)
    except (OSError, ValueError, ServiceError):
        return None
    return key if found.org_id == org.pk else None


def load(*, size: str = "small", seed: int = 42, stdout: Any = None) -> DemoResult:
    from cxloop.demo.generator import generate

    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    created = org is None
    with transaction.atomic():
        _user, org = create_admin(email=DEMO_EMAIL, org_name=DEMO_ORG_NAME, password=DEMO_PASSWORD)
        if org.slug != DEMO_SLUG:  # pragma: no cover  (slug derives from the Latin part of the name)
            org.slug = DEMO_SLUG
            org.save(update_fields=["slug"])
    from cxloop.surveys.models import Response

    if not Response.objects.filter(org=org).exists():
        if stdout is not None:
            stdout.write(f"Loading the demo ({size}, seed {seed})…")
        stats = generate(org=org, size=size, seed=seed)
        if stdout is not None:
            stdout.write(f"  {stats}")
        from cxloop.demo.interop import import_example

        imported = import_example(org, seed=seed)
        if stdout is not None and imported is not None:
            stdout.write(f"  imported from SurveyJS: {imported.responses_stored} responses, "
                         f"{len(imported.notes)} notes")
    elif stdout is not None:
        stdout.write("The demo is already loaded; keeping it.")
    if not OrganizationLogo.objects.filter(org=org).exists():
        from cxloop.demo.logo import png

        set_logo(org=org, data=png())
    key = _previous_key(org)
    if key is None:
        key = create_api_key(org=org, role="admin", name="demo key").plaintext
    return DemoResult(org=org, api_key=key, created=created)
