"""Webhook signatures (``core.webhook_sign``): values computed here independently with hmac/hashlib, the
verification rules (malformed, wrong, stale, rotation), the event envelope, and the Python snippet of
``docs/webhooks.md`` run against the same deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cxloop.core import webhook_sign as ws

SECRET = "whsec_test"
BODY = b'{"id":"evt_1"}'
T = 1767225600  # 2026-01-01T00:00:00Z
DOC = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"


def hand_signature(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hand_signature(SECRET, BODY, T)
    assert ws.signature(SECRET, BODY, T) == expected
    assert ws.sign(SECRET, BODY, T) == f"t={T},v1={expected}"
    # The value the module docstring shows (so the documentation cannot drift from the code).
    assert expected == "45b40331de0325606dc5400202ade162460fbe48daf9401adfdcd0d7b4f35470"
    assert expected in (ws.__doc__ or "")


def test_sign_with_several_secrets_carries_one_v1_each_in_order() -> None:
    header = ws.sign(["whsec_new", "whsec_old"], BODY, T)
    assert header == (f"t={T},v1={hand_signature('whsec_new', BODY, T)},"
                      f"v1={hand_signature('whsec_old', BODY, T)}")


def test_new_secret_shape_and_randomness() -> None:
    one, two = ws.new_secret(), ws.new_secret()
    assert one != two
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", one)


def test_verify_accepts_a_good_delivery_within_tolerance() -> None:
    header = ws.sign(SECRET, BODY, T)
    ws.verify(SECRET, BODY, header, now=T)
    ws.verify(SECRET, BODY, header, now=T + 300)
    ws.verify(SECRET, BODY, header, now=T - 300)
    ws.verify(SECRET, BODY, header.upper().replace("T=", "t=").replace("V1=", "v1="), now=T)  # hex case


@pytest.mark.parametrize("header", [None, "", "   "])
def test_verify_missing_header(header: str | None) -> None:
    with pytest.raises(ws.SignatureError, match="missing"):
        ws.verify(SECRET, BODY, header, now=T)


@pytest.mark.parametrize("header", [
    "garbage",
    f"v1={'0' * 64}",
    f"t={T}",
    f"t=abc,v1={'0' * 64}",
    f"t=-5,v1={'0' * 64}",
    f"t={T},t={T},v1={'0' * 64}",
    f"t=１２３,v1={'0' * 64}",  # full-width digits are digits to str.isdigit, not to us
])
def test_verify_malformed_header(header: str) -> None:
    with pytest.raises(ws.SignatureError, match="malformed"):
        ws.verify(SECRET, BODY, header, now=T)


def test_verify_wrong_signature_body_or_secret() -> None:
    header = ws.sign(SECRET, BODY, T)
    with pytest.raises(ws.SignatureError, match="does not match"):
        ws.verify(SECRET, BODY + b" ", header, now=T)
    with pytest.raises(ws.SignatureError, match="does not match"):
        ws.verify("whsec_other", BODY, header, now=T)
    # The timestamp is signed too: moving t breaks the signature.
    moved = header.replace(f"t={T}", f"t={T + 1}")
    with pytest.raises(ws.SignatureError, match="does not match"):
        ws.verify(SECRET, BODY, moved, now=T)
    with pytest.raises(ws.SignatureError, match="does not match"):
        ws.verify(SECRET, BODY, f"t={T},v1=zz", now=T)


def test_verify_stale_or_future_timestamp() -> None:
    header = ws.sign(SECRET, BODY, T)
    with pytest.raises(ws.SignatureError, match="tolerance"):
        ws.verify(SECRET, BODY, header, now=T + 301)
    with pytest.raises(ws.SignatureError, match="tolerance"):
        ws.verify(SECRET, BODY, header, now=T - 301)
    ws.verify(SECRET, BODY, header, now=T + 3600, tolerance=3600)


def test_rotation_either_side() -> None:
    # The sender signs with both secrets: a receiver holding only the old one still accepts.
    both = ws.sign(["whsec_new", "whsec_old"], BODY, T)
    ws.verify("whsec_old", BODY, both, now=T)
    ws.verify("whsec_new", BODY, both, now=T)
    # The receiver holds both: a delivery signed with either one is accepted.
    ws.verify(["whsec_new", "whsec_old"], BODY, ws.sign("whsec_old", BODY, T), now=T)
    with pytest.raises(ws.SignatureError):
        ws.verify(["whsec_a", "whsec_b"], BODY, both, now=T)


def test_unknown_schemes_are_ignored() -> None:
    header = f"t={T},v0=deadbeef,v1={hand_signature(SECRET, BODY, T)},v2=abc"
    ws.verify(SECRET, BODY, header, now=T)
    ws.verify(SECRET, BODY, header.replace(",", ", "), now=T)  # spaces after commas


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        ws.sign("", BODY, T)
    with pytest.raises(ValueError, match="secret"):
        ws.verify([], BODY, ws.sign(SECRET, BODY, T), now=T)


def test_event_body_is_compact_ordered_utf8() -> None:
    created = datetime(2026, 3, 1, 10, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    body = ws.event_body("evt_01", "response.completed", created, {"comment": "很好 👍", "score": 9})
    assert body == ('{"id":"evt_01","type":"response.completed","created_at":"2026-03-01T02:30:00Z",'
                    '"data":{"comment":"很好 👍","score":9}}').encode()


def test_event_body_converts_dates_and_refuses_nan() -> None:
    data = {"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "day": datetime(2026, 1, 2).date(),
            "amount": Decimal("1.50"), "tags": {"b", "a"}}
    parsed = json.loads(ws.event_body("e", "case.opened", datetime(2026, 1, 1), data))
    assert parsed["created_at"] == "2026-01-01T00:00:00Z"  # naive is UTC
    assert parsed["data"] == {"at": "2026-01-02T03:04:05Z", "day": "2026-01-02", "amount": "1.50",
                              "tags": ["a", "b"]}
    with pytest.raises(ValueError):
        ws.event_body("e", "case.opened", datetime(2026, 1, 1), {"x": float("nan")})


def test_event_types() -> None:
    assert ws.EVENT_TYPES == ("response.created", "response.completed", "case.opened", "case.updated",
                              "case.resolved", "alert.fired")
    with pytest.raises(ValueError, match="unknown event type"):
        ws.event_body("e", "response.deleted", datetime(2026, 1, 1), {})


def _doc_snippet(language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)
    return next(block for block in blocks if "def verify_cxloop" in block or "function verifyCxloop" in block)


def test_the_documented_python_verifier_agrees_with_verify() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_doc_snippet("python"), str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    check = namespace["verify_cxloop"]
    header = ws.sign(["whsec_new", SECRET], BODY, T)
    assert check(BODY, header, SECRET, now=T) is True
    assert check(BODY, header, SECRET, now=T + 301) is False
    assert check(BODY + b"x", header, SECRET, now=T) is False
    assert check(BODY, "t=abc,v1=00", SECRET, now=T) is False
    assert check(BODY, "", SECRET, now=T) is False
    assert check(BODY, ws.sign("whsec_other", BODY, T), SECRET, now=T) is False


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_documented_node_verifier_agrees_with_sign() -> None:
    good = ws.sign(["whsec_new", SECRET], BODY, T)
    cases = [(BODY, good, T, True), (BODY, good, T + 301, False), (BODY + b"x", good, T, False),
             (BODY, "t=abc,v1=00", T, False), (BODY, "", T, False),
             (BODY, ws.sign("whsec_other", BODY, T), T, False),
             ("é".encode(), ws.sign(SECRET, "é".encode(), T), T, True)]
    script = _doc_snippet("js") + "\nconst cases = " + json.dumps(
        [[body.hex(), header, now] for body, header, now, _ in cases]) + ";\n" + (
        "console.log(JSON.stringify(cases.map(([b, h, n]) => "
        f"verifyCxloop(Buffer.from(b, 'hex'), h, {json.dumps(SECRET)}, n))));\n")
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(result.stdout) == [ok for *_, ok in cases]
