"""Configuration from the environment, validated once (cxloop.config is pure Python)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxloop import config

ROOT = Path(__file__).resolve().parent.parent


def test_development_defaults_generate_and_keep_a_secret_key(tmp_path: Path) -> None:
    cfg = config.load({"CXLOOP_DATA_DIR": str(tmp_path)})
    assert cfg.env == "development" and not cfg.production
    assert cfg.database.engine == "sqlite" and cfg.database.name == str(tmp_path / "cxloop.sqlite3")
    assert len(cfg.secret_key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert config.load({"CXLOOP_DATA_DIR": str(tmp_path)}).secret_key == cfg.secret_key  # stable
    assert cfg.smtp is None and cfg.base_url == "http://127.0.0.1:8000"
    assert "secret_key" not in repr(cfg) or cfg.secret_key not in repr(cfg)


@pytest.mark.parametrize("key", ["", "changeme", "django-insecure-abc", "short-but-real"])
def test_production_refuses_missing_or_placeholder_keys(tmp_path: Path, key: str) -> None:
    env = {"CXLOOP_ENV": "production", "CXLOOP_SECRET_KEY": key, "CXLOOP_DATA_DIR": str(tmp_path),
           "CXLOOP_ALLOWED_HOSTS": "cx.example.com", "CXLOOP_SMTP_URL": "smtp://mail.example.com"}
    with pytest.raises(config.ConfigError) as err:
        config.load(env)
    assert "CXLOOP_SECRET_KEY" in str(err.value)
    assert not (tmp_path / "secret_key").exists()


def test_production_lists_every_problem_at_once(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load({"CXLOOP_ENV": "production", "CXLOOP_DATA_DIR": str(tmp_path),
                     "CXLOOP_DATABASE_URL": "mysql://x/y", "CXLOOP_LOG_LEVEL": "LOUD"})
    names = {re.match(r"(\w+):", p).group(1) for p in err.value.problems}  # type: ignore[union-attr]
    assert names == {"CXLOOP_SECRET_KEY", "CXLOOP_ALLOWED_HOSTS", "CXLOOP_SMTP_URL", "CXLOOP_DATABASE_URL",
                     "CXLOOP_LOG_LEVEL"}


def test_good_production_config(tmp_path: Path) -> None:
    cfg = config.load({
        "CXLOOP_ENV": "production", "CXLOOP_SECRET_KEY": "k" * 50, "CXLOOP_DATA_DIR": str(tmp_path),
        "CXLOOP_ALLOWED_HOSTS": "cx.example.com, cx2.example.com",
        "CXLOOP_DATABASE_URL": "postgresql://cx:p%40ss@db.internal:5433/cxloop?sslmode=require",
        "CXLOOP_SMTP_URL": "smtp://bot:pw@mail.example.com:2525?tls=starttls",
        "CXLOOP_BASE_URL": "https://cx.example.com/",
    })
    assert cfg.allowed_hosts == ("cx.example.com", "cx2.example.com")
    db = cfg.database
    assert (db.engine, db.name, db.user, db.password, db.host, db.port) == (
        "postgresql", "cxloop", "cx", "p@ss", "db.internal", "5433")
    assert dict(db.options) == {"sslmode": "require"}
    assert cfg.smtp == config.SmtpConfig("mail.example.com", 2525, "bot", "pw", "starttls")
    assert cfg.base_url == "https://cx.example.com"


def test_smtp_from_separate_variables_and_bad_values(tmp_path: Path) -> None:
    cfg = config.load({"CXLOOP_DATA_DIR": str(tmp_path), "CXLOOP_SMTP_HOST": "mail.local",
                       "CXLOOP_SMTP_USER": "u", "CXLOOP_SMTP_PASSWORD": "p"})
    assert cfg.smtp == config.SmtpConfig("mail.local", 587, "u", "p", "starttls")
    with pytest.raises(config.ConfigError, match="CXLOOP_SMTP_PORT"):
        config.load({"CXLOOP_DATA_DIR": str(tmp_path), "CXLOOP_SMTP_HOST": "m", "CXLOOP_SMTP_PORT": "abc"})
    with pytest.raises(config.ConfigError, match="CXLOOP_ENV"):
        config.load({"CXLOOP_DATA_DIR": str(tmp_path), "CXLOOP_ENV": "staging"})
    with pytest.raises(config.ConfigError, match="CXLOOP_BASE_URL"):
        config.load({"CXLOOP_DATA_DIR": str(tmp_path), "CXLOOP_BASE_URL": "ftp://x"})


def test_sqlite_url_forms(tmp_path: Path) -> None:
    cfg = config.load({"CXLOOP_DATA_DIR": str(tmp_path), "CXLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert cfg.database.name == f"{tmp_path}/x.db"


def test_readme_documents_every_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in config.VARIABLES:
        assert f"`{name}`" in readme, f"README.md does not document {name}"
    source = (ROOT / "src/cxloop/config.py").read_text()
    used = set(re.findall(r'"(CXLOOP_[A-Z_]+)"', source))
    assert used <= set(config.VARIABLES), used - set(config.VARIABLES)
