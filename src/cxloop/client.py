"""A small Python client for sending behavioural events to cxloop from your own servers (standard library only).

::

    from cxloop.client import Client

    with Client("https://cx.example.com", api_key="cxl_…") as cx:
        cx.track("task_completed", contact="C-1042", properties={"task": "export_report", "duration_ms": 5300})
        cx.track("page_view", anonymous_id="a7f3…", properties={"path": "/pricing"}, touchpoint="website")
    # leaving the block sends what is buffered

``track`` buffers (it never blocks on the network unless the buffer is full: ``flush_at`` events, 1,000 at
most); ``flush`` sends the buffer in batches of at most 1,000 to ``POST /api/v1/events``. Every event gets a
client id (``id``; a random one unless you give yours), so a batch re-sent after a timeout is stored once. A
network error or a 5xx/429 answer is retried with exponential back-off (``retries`` times, then
``DeliveryError`` with the events still buffered); a 4xx answer is not retried (``RequestError``: a bad key, a
malformed request). Events the server rejects one by one (a bad timestamp, an unknown contact) are not errors of
the request: ``flush`` returns them in ``FlushResult.rejected`` with the field and reason.

The key needs the member role (see Settings → API keys)."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib import error, request

MAX_BATCH = 1000
PATH = "/api/v1/events"
USER_AGENT = "cxloop-python-client/1"


class ClientError(Exception):
    """Base class of the client's errors."""


class RequestError(ClientError):
    """The server refused the request itself (4xx other than 429): not retried. ``status`` and ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class DeliveryError(ClientError):
    """The server could not be reached (or kept failing) after every retry; the events stay buffered."""


@dataclass(frozen=True)
class Rejected:
    event: dict[str, Any]
    field: str
    reason: str


@dataclass
class FlushResult:
    stored: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _timestamp(value: datetime | str | float | None) -> str | float:
    if value is None:
        return datetime.now(UTC).isoformat()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp: give an aware datetime (with a time zone)")
        return value.isoformat()
    return value


class Client:
    """Send events to one cxloop server with one API key."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0, *, retries: int = 4,
                 backoff: float = 0.5, max_backoff: float = 30.0, flush_at: int = MAX_BATCH,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url: give the server's address, e.g. https://cx.example.com")
        if not api_key:
            raise ValueError("api_key: is required")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.flush_at = max(1, min(MAX_BATCH, flush_at))
        self._sleep = sleep
        self._buffer: list[dict[str, Any]] = []
        self.last_result = FlushResult()

    # -- buffering --

    def track(self, event: str, *, contact: str | None = None, anonymous_id: str | None = None,
              timestamp: datetime | str | float | None = None, properties: Mapping[str, Any] | None = None,
              touchpoint: str | None = None, account: str | None = None, id: str | None = None
              ) -> str:
        """Buffer one event (``timestamp``: when it happened, default now); returns its client id. Sends the
        buffer when it holds ``flush_at`` events."""
        if not event:
            raise ValueError("event: is required")
        if not contact and not anonymous_id:
            raise ValueError("give contact (the contact's external id) or anonymous_id")
        item: dict[str, Any] = {"event": event, "timestamp": _timestamp(timestamp), "id": id or uuid.uuid4().hex}
        if contact:
            item["contact"] = contact
        if anonymous_id:
            item["anonymous_id"] = anonymous_id
        if account:
            item["account"] = account
        if touchpoint:
            item["touchpoint"] = touchpoint
        if properties:
            item["properties"] = dict(properties)
        self._buffer.append(item)
        if len(self._buffer) >= self.flush_at:
            self.flush()
        return str(item["id"])

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def flush(self) -> FlushResult:
        """Send everything buffered, 1,000 at a time; what was sent leaves the buffer."""
        total = FlushResult()
        while self._buffer:
            batch = self._buffer[:MAX_BATCH]
            answer = self._send(batch)
            del self._buffer[:len(batch)]
            total.stored += int(answer.get("stored", 0))
            total.duplicates += int(answer.get("duplicates", 0))
            for item in answer.get("items", []):
                if item.get("status") == "rejected":
                    index = int(item.get("index", -1))
                    event = batch[index] if 0 <= index < len(batch) else {}
                    total.rejected.append(Rejected(event, str(item.get("field", "")), str(item.get("reason", ""))))
        self.last_result = total
        return total

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.flush()

    # -- the network --

    def _send(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"events": batch}, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json",
                   "Accept": "application/json", "User-Agent": USER_AGENT}
        last: str = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                self._sleep(delay * (0.5 + random.random() / 2))
            req = request.Request(self.base_url + PATH, data=body, headers=headers, method="POST")  # noqa: S310
            try:
                with request.urlopen(req, timeout=self.timeout) as answer:  # noqa: S310 - http(s) checked above
                    return dict(json.loads(answer.read().decode() or "{}"))
            except error.HTTPError as exc:
                detail = _detail(exc)
                if exc.code == 429 or exc.code >= 500:
                    last = f"HTTP {exc.code}: {detail}"
                    retry_after = exc.headers.get("Retry-After") if exc.headers else None
                    if retry_after and retry_after.isdigit() and attempt < self.retries:
                        self._sleep(min(self.max_backoff, float(retry_after)))
                    continue
                raise RequestError(exc.code, detail) from None
            except (error.URLError, OSError, TimeoutError) as exc:
                last = str(getattr(exc, "reason", exc))
                continue
        raise DeliveryError(f"could not deliver {len(batch)} events after {self.retries + 1} attempts: {last}")


def _detail(exc: error.HTTPError) -> str:
    try:
        text = exc.read().decode(errors="replace")
    except OSError:
        return exc.reason if isinstance(exc.reason, str) else ""
    try:
        found = json.loads(text)
    except ValueError:
        return text[:500]
    return str(found.get("detail", text)) if isinstance(found, dict) else text[:500]
