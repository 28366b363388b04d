"""Configuration from the environment, read and validated once.

Every variable cxloop reads is listed in ``VARIABLES`` (the README's configuration table is
generated from the same descriptions, and a test keeps the two in step). ``load()`` returns a frozen
``Config`` or raises ``ConfigError`` naming every bad variable at once, so a misconfigured server
refuses to start with one clear message instead of failing on the first request.

This module imports no Django: ``settings.py`` turns a ``Config`` into Django settings.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDER_KEYS = frozenset(
    {"", "changeme", "change-me", "secret", "insecure", "please-change-me", "your-secret-key", "xxx"}
)

VARIABLES: dict[str, str] = {
    "CXLOOP_ENV": "`development` (default) or `production`. Production refuses a missing or placeholder "
    "secret key, sets secure cookies and HSTS, and blocks webhooks to private addresses.",
    "CXLOOP_DATABASE_URL": "Database. Default: SQLite file `var/cxloop.sqlite3` under the data directory. "
    "`postgresql://user:pass@host:5432/db` for production (psycopg 3).",
    "CXLOOP_DATA_DIR": "Where the embedded defaults live (SQLite file, generated secret key, demo "
    "credentials). Default: `./var`.",
    "CXLOOP_SECRET_KEY": "Django secret key. In development it is generated on first run and stored in "
    "`<data dir>/secret_key`; in production it must be set (at least 32 characters, not a placeholder).",
    "CXLOOP_ALLOWED_HOSTS": "Comma-separated host names the server answers to. Default in development: "
    "`localhost,127.0.0.1,[::1]`; required in production.",
    "CXLOOP_BASE_URL": "Public URL used in links inside e-mails (invitations, password resets). "
    "Default: `http://127.0.0.1:8000`.",
    "CXLOOP_SMTP_URL": "Outgoing mail as one URL: `smtp://user:pass@host:587?tls=starttls` "
    "(`tls=ssl` for implicit TLS, `tls=none` for none). Overrides the individual SMTP variables.",
    "CXLOOP_SMTP_HOST": "SMTP host when `CXLOOP_SMTP_URL` is not set. Without any SMTP setting, mail is "
    "written to the console (development) — production requires one.",
    "CXLOOP_SMTP_PORT": "SMTP port (default 587 with STARTTLS, 465 with SSL, 25 otherwise).",
    "CXLOOP_SMTP_USER": "SMTP user name.",
    "CXLOOP_SMTP_PASSWORD": "SMTP password.",
    "CXLOOP_SMTP_TLS": "`starttls` (default when a user is set), `ssl` or `none`.",
    "CXLOOP_EMAIL_FROM": "Sender address of cxloop's e-mails. Default: `cxloop <noreply@localhost>`.",
    "CXLOOP_LOG_LEVEL": "`DEBUG`, `INFO` (default), `WARNING` or `ERROR`.",
    "CXLOOP_ALLOW_PRIVATE_WEBHOOKS": "`true` lets webhooks and team-chat notifications go to private, loopback and "
    "link-local addresses (an on-premises install posting to its intranet; tests). Default `false`: such targets "
    "are refused, checked again on every send.",
}


class ConfigError(ValueError):
    """One or more environment variables are invalid; the message names each of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid cxloop configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str = ""
    password: str = field(default="", repr=False)
    tls: str = "none"  # none | starttls | ssl


@dataclass(frozen=True)
class DatabaseConfig:
    engine: str  # "sqlite" | "postgresql"
    name: str
    user: str = ""
    password: str = field(default="", repr=False)
    host: str = ""
    port: str = ""
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Config:
    env: str
    data_dir: Path
    database: DatabaseConfig
    secret_key: str = field(repr=False)
    allowed_hosts: tuple[str, ...]
    base_url: str
    smtp: SmtpConfig | None
    email_from: str
    log_level: str
    allow_private_webhooks: bool = False

    @property
    def production(self) -> bool:
        return self.env == "production"


def _parse_database(url: str, data_dir: Path, problems: list[str]) -> DatabaseConfig:
    if not url:
        return DatabaseConfig(engine="sqlite", name=str(data_dir / "cxloop.sqlite3"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(parts.path)
        if (path.startswith("/") and not path.startswith("//")) or path.startswith("//"):
            path = path[1:]
        if not path:
            problems.append("CXLOOP_DATABASE_URL: an sqlite URL needs a file path, e.g. sqlite:///var/cx.db")
            return DatabaseConfig(engine="sqlite", name=str(data_dir / "cxloop.sqlite3"))
        return DatabaseConfig(engine="sqlite", name=path)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            problems.append("CXLOOP_DATABASE_URL: a postgresql URL needs a database name after the host")
        options = tuple(
            (k, v) for k, v in (p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        )
        return DatabaseConfig(
            engine="postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=str(parts.port or ""),
            options=options,
        )
    problems.append(
        f"CXLOOP_DATABASE_URL: unsupported scheme {scheme!r}; use postgresql://... or sqlite:///path"
    )
    return DatabaseConfig(engine="sqlite", name=str(data_dir / "cxloop.sqlite3"))


def _default_port(tls: str) -> int:
    return {"ssl": 465, "starttls": 587}.get(tls, 25)


def _parse_smtp(env: Mapping[str, str], problems: list[str]) -> SmtpConfig | None:
    url = env.get("CXLOOP_SMTP_URL", "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            problems.append("CXLOOP_SMTP_URL: must start with smtp:// or smtps://")
            return None
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        tls = query.get("tls", "ssl" if parts.scheme == "smtps" else ("starttls" if parts.username else "none"))
        if tls not in {"none", "starttls", "ssl"}:
            problems.append("CXLOOP_SMTP_URL: tls= must be none, starttls or ssl")
            tls = "none"
        if not parts.hostname:
            problems.append("CXLOOP_SMTP_URL: a host is required")
            return None
        try:
            port = parts.port or _default_port(tls)
        except ValueError:
            problems.append("CXLOOP_SMTP_URL: the port is not a number")
            return None
        return SmtpConfig(
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            tls=tls,
        )
    host = env.get("CXLOOP_SMTP_HOST", "").strip()
    if not host:
        return None
    user = env.get("CXLOOP_SMTP_USER", "")
    tls = env.get("CXLOOP_SMTP_TLS", "starttls" if user else "none").strip().lower()
    if tls not in {"none", "starttls", "ssl"}:
        problems.append("CXLOOP_SMTP_TLS: must be none, starttls or ssl")
        tls = "none"
    port_text = env.get("CXLOOP_SMTP_PORT", "").strip()
    port = _default_port(tls)
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            problems.append(f"CXLOOP_SMTP_PORT: {port_text!r} is not a port number (1-65535)")
        else:
            port = int(port_text)
    return SmtpConfig(host=host, port=port, user=user, password=env.get("CXLOOP_SMTP_PASSWORD", ""), tls=tls)


def _secret_key(env: Mapping[str, str], production: bool, data_dir: Path, problems: list[str]) -> str:
    key = env.get("CXLOOP_SECRET_KEY", "").strip()
    if production:
        if key.lower() in PLACEHOLDER_KEYS or key.lower().startswith(("django-insecure", "changeme")):
            problems.append("CXLOOP_SECRET_KEY: required in production and must not be a placeholder")
        elif len(key) < 32:
            problems.append("CXLOOP_SECRET_KEY: must be at least 32 characters in production")
        return key
    if key:
        return key
    # Development: generate once and keep it beside the database so sessions survive restarts.
    path = data_dir / "secret_key"
    try:
        if path.exists():
            stored = path.read_text().strip()
            if stored:
                return stored
        data_dir.mkdir(parents=True, exist_ok=True)
        new = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new)
        return new
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    except OSError as exc:
        problems.append(f"CXLOOP_SECRET_KEY: not set and cannot be stored in {path}: {exc}")
        return ""


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Read every CXLOOP_* variable, validate them together, return a frozen Config."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    mode = env.get("CXLOOP_ENV", "development").strip().lower() or "development"
    if mode not in {"development", "production"}:
        problems.append(f"CXLOOP_ENV: {mode!r} is not one of development, production")
        mode = "development"
    production = mode == "production"

    data_dir = Path(env.get("CXLOOP_DATA_DIR", "").strip() or "var").resolve()
    database = _parse_database(env.get("CXLOOP_DATABASE_URL", "").strip(), data_dir, problems)
    if database.engine == "sqlite" and not Path(database.name).is_absolute():
        database = DatabaseConfig(engine="sqlite", name=str(Path(database.name).resolve()))

    hosts_text = env.get("CXLOOP_ALLOWED_HOSTS", "").strip()
    hosts = tuple(h.strip() for h in hosts_text.split(",") if h.strip())
    if not hosts:
        if production:
            problems.append("CXLOOP_ALLOWED_HOSTS: required in production (comma-separated host names)")
        hosts = ("localhost", "127.0.0.1", "[::1]", "testserver")

    base_url = env.get("CXLOOP_BASE_URL", "").strip() or "http://127.0.0.1:8000"
    if urlsplit(base_url).scheme not in {"http", "https"} or not urlsplit(base_url).hostname:
        problems.append(f"CXLOOP_BASE_URL: {base_url!r} is not an http(s) URL")
    base_url = base_url.rstrip("/")

    smtp = _parse_smtp(env, problems)
    if production and smtp is None:
        problems.append("CXLOOP_SMTP_URL: production needs an SMTP server for invitations and password resets")

    log_level = env.get("CXLOOP_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"CXLOOP_LOG_LEVEL: {log_level!r} is not one of DEBUG, INFO, WARNING, ERROR")
        log_level = "INFO"

    secret = _secret_key(env, production, data_dir, problems)

    private_text = env.get("CXLOOP_ALLOW_PRIVATE_WEBHOOKS", "").strip().lower()
    if private_text not in {"", "true", "false", "1", "0", "yes", "no"}:
        problems.append(f"CXLOOP_ALLOW_PRIVATE_WEBHOOKS: {private_text!r} is not true or false")
    allow_private = private_text in {"true", "1", "yes"}

    if problems:
        raise ConfigError(problems)
    return Config(
        env=mode,
        data_dir=data_dir,
        database=database,
        secret_key=secret,
        allowed_hosts=hosts,
        base_url=base_url,
        smtp=smtp,
        email_from=env.get("CXLOOP_EMAIL_FROM", "").strip() or "cxloop <noreply@localhost>",
        log_level=log_level,
        allow_private_webhooks=allow_private,
    )
