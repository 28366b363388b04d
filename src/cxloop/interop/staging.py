"""Files uploaded for an import, kept between the preview and the confirmation (the upload page shows what would be
imported; the user confirms without uploading again). One folder per upload under the data directory, named by a
random token, readable only by the organisation and user who uploaded it, removed when taken or after an hour."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

MAX_AGE_SECONDS = 3600
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True)
class Staged:
    kind: str
    definition: bytes
    file_name: str
    responses: bytes | None
    responses_name: str
    test_responses: bool
    into: int | None


def _root() -> Path:
    return Path(settings.CXLOOP_DATA_DIR) / "import-staging"


def _folder(org_id: int, user_id: int, token: str) -> Path | None:
    if not token or len(token) > 64 or not set(token) <= _TOKEN_CHARS:
        return None
    return _root() / str(org_id) / f"{user_id}-{token}"


def _purge(now: float) -> None:
    root = _root()
    if not root.is_dir():
        return
    for org_dir in root.iterdir():
        for folder in org_dir.iterdir() if org_dir.is_dir() else ():
            try:
                if now - folder.stat().st_mtime > MAX_AGE_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                continue


def stash(*, org_id: int, user_id: int, staged: Staged) -> str:
    """Keep the files; returns the token the confirmation sends back."""
    now = time.time()
    _purge(now)
    token = secrets.token_urlsafe(24)
    folder = _folder(org_id, user_id, token)
    assert folder is not None
    folder.mkdir(parents=True, mode=0o700)
    (folder / "definition").write_bytes(staged.definition)
    if staged.responses is not None:
        (folder / "responses").write_bytes(staged.responses)
    meta = {"kind": staged.kind, "file_name": staged.file_name, "responses_name": staged.responses_name,
            "test_responses": staged.test_responses, "into": staged.into}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def take(*, org_id: int, user_id: int, token: str) -> Staged | None:
    """The files stashed under ``token`` by this user in this organisation (and forget them), or None: unknown,
    someone else's, or older than an hour."""
    folder = _folder(org_id, user_id, token)
    if folder is None or not folder.is_dir():
        return None
    try:
        if time.time() - folder.stat().st_mtime > MAX_AGE_SECONDS:
            return None
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        responses = folder / "responses"
        return Staged(kind=meta["kind"], definition=(folder / "definition").read_bytes(),
                      file_name=meta["file_name"], responses=responses.read_bytes() if responses.exists() else None,
                      responses_name=meta["responses_name"], test_responses=bool(meta["test_responses"]),
                      into=meta.get("into"))
    except (OSError, ValueError, KeyError):
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
