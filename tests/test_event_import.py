"""CSV import of historical events: good rows stored, every bad row reported with its row number, field and
reason; property columns typed; UTF-8 with or without BOM; a file problem stops everything; batches of 1,000
streamed; re-import stores nothing twice; the CLI (``cxloop events import``) and the page (upload → preview →
import); the widget's site key settings on the same page."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from cxloop.behaviour import csv_import, tracking
from cxloop.behaviour.models import Event, SiteKey
from cxloop.cli import main as cli_main

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

GOOD_AND_BAD = (
    "event,timestamp,contact,anonymous_id,account,touchpoint,id,prop.amount,prop.order_id,prop.paid,prop.note\r\n"
    "purchase,2025-11-02T10:00:00+08:00,C-1,,ACME,contract,ord-1,1200.5,007,true,首单\r\n"  # row 2: good
    "purchase,,C-1,,,,ord-2,10,,,\r\n"  # row 3: no timestamp
    "purchase,2099-03-02T10:00:00Z,C-1,,,,ord-3,10,,,\r\n"  # row 4: in the future
    "renewed,2025-12-01T09:00:00Z,C-404,,,,,,,,\r\n"  # row 5: unknown contact, no anonymous id
    "page_view,1735689600,,visitor-9,,website,,,,,\"multi\nline\"\r\n"  # row 6: epoch seconds, a quoted line break
    "purchase,2025-11-03T10:00:00Z,C-1,,NOPE,,,,,,\r\n"  # row 7 (line 8): unknown account
    ",2025-11-03T10:00:00Z,C-1,,,,,,,,\r\n"  # row 8: no event name
)


@pytest.fixture
def org(tenant_a: Any) -> Any:
    from cxloop.customers.models import Account, Contact

    account = Account.objects.create(org=tenant_a.org, external_id="ACME", name="Acme")
    Contact.objects.create(org=tenant_a.org, account=account, external_id="C-1", name="Ann")
    return tenant_a.org


def _run(org: Any, text: str | bytes, **kwargs: Any) -> csv_import.Report:
    data = text.encode() if isinstance(text, str) else text
    return csv_import.import_events(org, io.BytesIO(data), now=NOW, **kwargs)


def test_good_rows_stored_bad_rows_reported(org: Any) -> None:
    report = _run(org, GOOD_AND_BAD)
    assert (report.rows, report.stored, report.duplicates, report.rejected) == (7, 2, 0, 5)
    problems = [(e.row, e.field) for e in report.errors]
    assert problems == [(3, "timestamp"), (4, "timestamp"), (5, "contact"), (7, "account"), (8, "event")]
    assert "future" in report.errors[1].reason and "required" in report.errors[0].reason
    purchase = Event.objects.get(org=org, client_id="ord-1")
    assert purchase.source == "import" and purchase.touchpoint == "contract"
    assert purchase.account is not None and purchase.account.external_id == "ACME"
    assert purchase.at == datetime(2025, 11, 2, 2, 0, tzinfo=UTC)
    # numbers and booleans typed, "007" stays text, Chinese kept
    assert purchase.properties == {"amount": 1200.5, "order_id": "007", "paid": True, "note": "首单"}
    view = Event.objects.get(org=org, name="page_view")
    assert view.anonymous_id == "visitor-9" and view.contact is None and view.person < 0
    assert view.at == datetime(2025, 1, 1, tzinfo=UTC) and view.properties == {"note": "multi\nline"}
    assert report.names == {"purchase": 1, "page_view": 1}


def test_a_check_reports_the_same_and_stores_nothing(org: Any) -> None:
    checked = _run(org, GOOD_AND_BAD, dry_run=True)
    assert (checked.stored, checked.rejected) == (2, 5) and checked.dry_run
    assert [(e.row, e.field) for e in checked.errors] == [(3, "timestamp"), (4, "timestamp"), (5, "contact"),
                                                          (7, "account"), (8, "event")]
    assert not Event.objects.filter(org=org).exists()
    assert len(checked.sample) == 7 and checked.sample[0]["prop.note"] == "首单"


def test_importing_again_stores_nothing_twice(org: Any) -> None:
    text = "event,timestamp,contact,id\npurchase,2025-11-02T10:00:00Z,C-1,a\npurchase,2025-11-02T11:00:00Z,C-1,\n"
    first = _run(org, text)
    assert (first.stored, first.duplicates) == (2, 0)
    second = _run(org, text)
    assert (second.stored, second.duplicates) == (1, 1)  # the row without an id is stored again: it has no identity
    assert _run(org, text, dry_run=True).duplicates == 1


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom_and_a_properties_column(org: Any, bom: bytes) -> None:
    text = ('event,timestamp,anonymous_id,properties,prop.plan\n'
            'signed_up,2025-10-01T08:00:00+08:00,匿名-1,"{""source"": ""微信"", ""plan"": ""x""}",专业版\n'
            'signed_up,2025-10-01T08:00:00+08:00,匿名-2,[1],\n'
            'signed_up,2025-10-01T08:00:00+08:00,匿名-3,{oops,\n')
    report = _run(org, bom + text.encode())
    assert report.columns[0] == "event"  # the BOM is not part of the first column's name
    assert report.stored == 1 and [(e.row, e.field) for e in report.errors] == [(3, "properties"), (4, "properties")]
    assert Event.objects.get(org=org).properties == {"source": "微信", "plan": "专业版"}


@pytest.mark.parametrize(("text", "field"), [
    (b"event,timestamp,contact,colour\n", "colour"),
    (b"timestamp,contact\n", "event"),
    (b"event,timestamp\n", "contact"),
    (b"event,timestamp,contact,contact\n", "contact"),
    (b"", "file"),
    (b"event,timestamp,contact\nx,2025-01-01T00:00:00Z,\xff\xfe\n", "file"),
])
def test_a_file_problem_stores_nothing(org: Any, text: bytes, field: str) -> None:
    with pytest.raises(csv_import.ImportFileError) as problem:
        _run(org, text)
    assert problem.value.field == field
    assert not Event.objects.filter(org=org).exists()


def test_large_files_go_in_batches_with_the_right_row_numbers(org: Any) -> None:
    lines = ["event,timestamp,anonymous_id,id,prop.n"]
    for i in range(2_600):
        stamp = "" if i in (5, 1_500, 2_599) else f"2025-06-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"
        lines.append(f"page_view,{stamp},v-{i % 50},e-{i},{i}")
    data = ("\n".join(lines) + "\n").encode()

    class Chunked(io.RawIOBase):  # read() hands out small pieces, as a socket or a large file would
        def __init__(self) -> None:
            self.data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self.data.read(min(size if size > 0 else 4096, 4096))

    report = csv_import.import_events(org, Chunked(), now=NOW)  # type: ignore[arg-type]
    assert report.rows == 2_600 and report.stored == 2_597
    assert [e.row for e in report.errors] == [7, 1_502, 2_601]
    assert Event.objects.filter(org=org).count() == 2_597
    assert Event.objects.get(org=org, client_id="e-2000").properties == {"n": 2000}


def test_the_command_prints_counts_and_the_first_errors(org: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "events.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8-sig")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("events", "import", str(path), "--org", org.slug, "--dry-run", stdout=out)
    assert exit_code.value.code == 1
    assert "7 rows read: 2 would be stored, 0 duplicates (id already stored), 5 rejected." in out.getvalue()
    assert "row 3, timestamp: is required" in out.getvalue()
    assert not Event.objects.filter(org=org).exists()
    good = tmp_path / "good.csv"
    good.write_text("event,timestamp,contact\npurchase,2025-11-02T10:00:00Z,C-1\n", encoding="utf-8")
    out = io.StringIO()
    call_command("events", "import", str(good), "--org", org.slug, stdout=out)
    assert "1 rows read: 1 stored" in out.getvalue()
    with pytest.raises(CommandError, match="unknown column"):
        bad = tmp_path / "bad.csv"
        bad.write_text("event,when\n", encoding="utf-8")
        call_command("events", "import", str(bad), "--org", org.slug)
    with pytest.raises(CommandError, match="No organisation"):
        call_command("events", "import", str(good), "--org", "nowhere")
    # the top-level command knows it
    assert cli_main(["--help"]) == 0
    assert "events" in capsys.readouterr().out


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_previews_then_imports(tenant_a: Any, org: Any) -> None:
    client = _client(tenant_a.owner)
    base = f"/o/{org.slug}/behaviour/events/"
    page = client.get(base)
    assert page.status_code == 200 and b'action="/o/' in page.content and b"Check the file" in page.content
    upload = SimpleUploadedFile("events.csv", GOOD_AND_BAD.encode("utf-8-sig"), content_type="text/csv")
    preview = client.post(base + "import/", {"file": upload})
    body = preview.content.decode()
    assert preview.status_code == 200 and "What the import would do" in body
    assert "is required" in body and "no account has this external id" in body and "首单" in body
    assert not Event.objects.filter(org=org).exists()
    token = preview.context["token"]
    done = client.post(base + "import/", {"token": token, "confirm": "1"})
    assert done.status_code == 200 and done.context["report"].stored == 2
    assert Event.objects.filter(org=org, source="import").count() == 2
    # the kept file is gone: confirming again is refused, nothing stored twice
    again = client.post(base + "import/", {"token": token, "confirm": "1"})
    assert again.status_code == 400 and Event.objects.filter(org=org).count() == 2
    # the log shows them
    log = client.get(base + "?start=2024-01-01&end=2026-12-31")
    assert log.status_code == 200 and log.context["page"].total == 2
    assert {c.name: c.events for c in log.context["page"].counts} == {"page_view": 1, "purchase": 1}
    one = client.get(base + "?start=2024-01-01&end=2026-12-31&event=purchase")
    assert [r["event"].name for r in one.context["rows"]] == ["purchase"]
    bad = client.get(base + "?start=2026-01-01&end=2025-01-01")
    assert bad.status_code == 400


def test_the_log_pages_by_time(tenant_a: Any, org: Any) -> None:
    lines = ["event,timestamp,anonymous_id"] + [f"page_view,2025-06-01T00:00:{i:02d}Z,v" for i in range(60)]
    _run(org, "\n".join(lines) + "\n")
    client = _client(tenant_a.viewer)
    first = client.get(f"/o/{org.slug}/behaviour/events/?start=2025-05-01&end=2025-06-30")
    rows = first.context["rows"]
    assert len(rows) == 30 and rows[0]["event"].at.second == 59
    after = first.context["page"].next_cursor
    second = client.get(f"/o/{org.slug}/behaviour/events/?start=2025-05-01&end=2025-06-30&after={after}")
    assert [r["event"].at.second for r in second.context["rows"]] == list(range(29, -1, -1))
    assert second.context["page"].next_cursor == ""
    assert client.get(f"/o/{org.slug}/behaviour/events/?after=garbage").status_code == 400


def test_viewers_cannot_import_and_only_admins_change_the_site_key(tenant_a: Any, org: Any) -> None:
    base = f"/o/{org.slug}/behaviour/events/"
    viewer = _client(tenant_a.viewer)
    assert viewer.get(base).status_code == 200
    upload = SimpleUploadedFile("e.csv", b"event,timestamp,contact\n", content_type="text/csv")
    assert viewer.post(base + "import/", {"file": upload}).status_code == 403
    member = _client(tenant_a.member)
    assert member.post(base + "site-key/", {"action": "rotate"}).status_code == 403
    owner = _client(tenant_a.owner)
    old = tracking.site_key(org).key
    assert owner.post(base + "site-key/", {"action": "rotate"}).status_code == 302
    assert SiteKey.objects.get(org=org).key != old
    owner.post(base + "site-key/", {"origins": "https://shop.example.com/\nhttp://127.0.0.1:8001, https://SHOP.example.com"})
    assert SiteKey.objects.get(org=org).origins == ["https://shop.example.com", "http://127.0.0.1:8001"]
    refused = owner.post(base + "site-key/", {"origins": "javascript:alert(1)"}, follow=True)
    assert "site origin" in refused.content.decode()
    assert SiteKey.objects.get(org=org).origins == ["https://shop.example.com", "http://127.0.0.1:8001"]
