"""The organisation's logo: recognised by its bytes (PNG, JPEG, WebP; never SVG), at most 256 KB, uploaded
by an owner or admin on the settings page, served by version with its own type and nosniff, shown on the
respondent's pages; another organisation can neither see nor replace it."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cxloop.core.images import sniff

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def png(width: int = 120, height: int = 40, rgb: tuple[int, int, int] = (11, 92, 173), pad: int = 0) -> bytes:
    """A real PNG of one colour; ``pad`` adds a private ancillary chunk of that many bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    extra = chunk(b"prVt", b"\x00" * pad) if pad else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


# Headers as the encoders write them (the pixels do not matter to sniff).
JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xdb\x00\x04\x00\x00"  # a (truncated) table segment before the frame
        b"\xff\xc0\x00\x11\x08\x00\x30\x00\xa0\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9")
WEBP_LOSSLESS = bytes.fromhex("524946461a000000574542505650384c0d0000002f0000001007101111888888fe0700")
WEBP_LOSSY = (b"RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00" + b"\x10\x02\x00" + b"\x9d\x01\x2a"
              + struct.pack("<HH", 200, 50) + b"\x00" * 8)
WEBP_EXTENDED = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00" + (299).to_bytes(3, "little") \
    + (99).to_bytes(3, "little")


def test_sniff_knows_png_jpeg_webp_and_nothing_else() -> None:
    info = sniff(png(120, 40))
    assert info is not None and (info.content_type, info.width, info.height) == ("image/png", 120, 40)
    jpeg = sniff(JPEG)
    assert jpeg is not None and (jpeg.content_type, jpeg.extension, jpeg.width, jpeg.height) == (
        "image/jpeg", "jpg", 160, 48)
    lossless = sniff(WEBP_LOSSLESS)
    assert lossless is not None and (lossless.content_type, lossless.width, lossless.height) == ("image/webp", 1, 1)
    lossy = sniff(WEBP_LOSSY)
    assert lossy is not None and (lossy.width, lossy.height) == (200, 50)
    extended = sniff(WEBP_EXTENDED)
    assert extended is not None and (extended.width, extended.height) == (300, 100)
    for bad in (SVG, b"<?xml version='1.0'?>" + SVG, b"GIF89a\x01\x00\x01\x00", b"<html><script>", b"",
                b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIDAT", b"\xff\xd8\xff\xe0\x00",
                b"\xff\xd8\xff\xda\x00\x02", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"RIFF\x00\x00\x00\x00AVI LIST",
                png(0, 0)[:33]):
        assert sniff(bad) is None, bad[:20]


def _upload(client: Client, org: Any, data: bytes, name: str = "logo.png", content_type: str = "image/png",
            **extra: Any) -> Any:
    return client.post(f"/o/{org.slug}/settings/", {
        "name": org.name, "default_language": org.default_language,
        "logo": SimpleUploadedFile(name, data, content_type=content_type), **extra})


def _survey(org: Any) -> Any:
    from tests.test_respond import TWO_PAGES

    from cxloop.surveys import services

    s = services.create_survey(org=org, name="Logo NPS", definition=TWO_PAGES)
    services.publish(survey=s)
    return s


def test_owner_uploads_a_logo_and_respondents_see_it(tenant_a: Any) -> None:
    from cxloop.orgs.models import AuditEvent, OrganizationLogo

    owner = Client()
    owner.force_login(tenant_a.owner)
    image = png(240, 64)
    saved = _upload(owner, tenant_a.org, image, name="brand.PNG")
    assert saved.status_code == 302
    logo = OrganizationLogo.objects.get(org=tenant_a.org)
    assert bytes(logo.data) == image and logo.content_type == "image/png" and (logo.width, logo.height) == (240, 64)
    assert AuditEvent.objects.filter(org=tenant_a.org, action="org.logo_updated").count() == 1
    settings_page = owner.get(f"/o/{tenant_a.org.slug}/settings/").content.decode()
    assert f'src="/o/{tenant_a.org.slug}/settings/logo/?v={logo.digest}"' in settings_page
    assert 'width="240" height="64"' in settings_page and 'enctype="multipart/form-data"' in settings_page
    own = owner.get(f"/o/{tenant_a.org.slug}/settings/logo/")
    assert own.status_code == 200 and own["Content-Type"] == "image/png" and own.content == image

    survey = _survey(tenant_a.org)
    page = Client().get(f"/s/{survey.slug}/?lang=zh-hant").content.decode()
    src = re.search(r'<div class="r-logo"><img src="([^"]+)" alt="Acme Retail"></div>', page)
    assert src is not None and src.group(1) == f"/s/{survey.slug}/logo/{logo.digest}"
    served = Client().get(src.group(1))
    assert served.status_code == 200 and served.content == image
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served["ETag"] == f'"{logo.digest}"'
    assert Client().get(f"/s/{survey.slug}/logo/0123456789abcdef").status_code == 404  # an old version
    assert Client().post(src.group(1)).status_code == 405
    # On the thank-you page too.
    assert src.group(1) in Client().get(f"/s/{survey.slug}/thanks/").content.decode()

    # A new logo has a new URL; removing it takes it off the pages.
    jpeg = _upload(owner, tenant_a.org, JPEG, name="logo.jpg", content_type="image/jpeg")
    assert jpeg.status_code == 302
    new = OrganizationLogo.objects.get(org=tenant_a.org)
    assert new.content_type == "image/jpeg" and new.digest != logo.digest
    assert Client().get(src.group(1)).status_code == 404
    assert Client().get(f"/s/{survey.slug}/logo/{new.digest}")["Content-Type"] == "image/jpeg"
    removed = owner.post(f"/o/{tenant_a.org.slug}/settings/", {"name": tenant_a.org.name, "default_language": "en",
                                                               "remove_logo": "on"})
    assert removed.status_code == 302 and not OrganizationLogo.objects.filter(org=tenant_a.org).exists()
    assert 'class="r-logo"' not in Client().get(f"/s/{survey.slug}/").content.decode()
    assert owner.get(f"/o/{tenant_a.org.slug}/settings/logo/").status_code == 404


@pytest.mark.parametrize(("language", "type_error", "size_error"), [
    ("en", "The logo must be a PNG, JPEG or WebP image.", "The logo is 301 KB; the limit is 256 KB."),
    ("zh-hans", "徽标必须是 PNG、JPEG 或 WebP 图片", "徽标大小为 301 KB，上限为 256 KB。"),
    ("zh-hant", "標誌必須是 PNG、JPEG 或 WebP 圖片", "標誌大小為 301 KB，上限為 256 KB。"),
])
def test_svg_other_files_and_oversize_logos_are_refused_in_the_users_language(
    tenant_a: Any, language: str, type_error: str, size_error: str
) -> None:
    from cxloop.orgs.models import OrganizationLogo

    owner = Client(HTTP_ACCEPT_LANGUAGE=language)
    owner.force_login(tenant_a.owner)
    for data, name, ctype in ((SVG, "logo.svg", "image/svg+xml"),
                              (SVG, "logo.png", "image/png"),  # the name and declared type do not count
                              (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "logo.gif", "image/gif"),
                              (b"%PDF-1.7", "logo.pdf", "application/pdf")):
        refused = _upload(owner, tenant_a.org, data, name=name, content_type=ctype)
        assert refused.status_code == 200, name
        html = refused.content.decode()
        assert type_error in html and 'class="field has-error"' in html
    big = png(64, 64, pad=300 * 1024)
    assert len(big) > 300 * 1024
    too_big = _upload(owner, tenant_a.org, big).content.decode()
    assert size_error in too_big
    huge = _upload(owner, tenant_a.org, png(5000, 1)).content.decode()
    assert "5000 × 1" in huge
    assert not OrganizationLogo.objects.filter(org=tenant_a.org).exists()
    tenant_a.org.refresh_from_db()
    assert tenant_a.org.name == "Acme Retail"


def test_only_owner_or_admin_may_change_the_logo_and_no_other_org_sees_it(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.orgs.models import OrganizationLogo

    owner = Client()
    owner.force_login(tenant_a.owner)
    image = png(100, 30)
    assert _upload(owner, tenant_a.org, image).status_code == 302
    digest = OrganizationLogo.objects.get(org=tenant_a.org).digest
    for user in (tenant_a.member, tenant_a.viewer):
        client = Client()
        client.force_login(user)
        assert _upload(client, tenant_a.org, png(10, 10, (255, 0, 0))).status_code == 403
        assert client.get(f"/o/{tenant_a.org.slug}/settings/logo/").status_code == 200  # may see it
    # The owner of B: A's settings, A's logo, and A's logo through B's survey are all 404.
    intruder = Client()
    intruder.force_login(tenant_b.owner)
    assert _upload(intruder, tenant_a.org, png(10, 10, (255, 0, 0))).status_code == 404
    assert intruder.get(f"/o/{tenant_a.org.slug}/settings/").status_code == 404
    assert intruder.get(f"/o/{tenant_a.org.slug}/settings/logo/").status_code == 404
    b_survey = _survey(tenant_b.org)
    assert Client().get(f"/s/{b_survey.slug}/logo/{digest}").status_code == 404
    assert 'class="r-logo"' not in Client().get(f"/s/{b_survey.slug}/").content.decode()
    # B's own upload changes B's logo only.
    assert _upload(intruder, tenant_b.org, png(10, 10, (255, 0, 0))).status_code == 302
    assert bytes(OrganizationLogo.objects.get(org=tenant_a.org).data) == image
    assert OrganizationLogo.objects.get(org=tenant_b.org).digest != digest
