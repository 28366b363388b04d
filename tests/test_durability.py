"""Proof 1 of issue 10, short: ``kill -9`` the server and the worker while clients post responses (on the backend
of this pass, a database of its own), then every response acknowledged with a 2xx is stored exactly once, every
case is opened and every webhook delivered after the restarts. In ``make test`` it runs in the SQLite pass only
(real servers, ~2 minutes); ``benchmarks/durability.py`` runs it longer on both backends."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from durability import run


@pytest.mark.sqlite_pass
def test_kill9_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    backend = "postgresql" if os.environ.get("CXLOOP_TEST_BACKEND") == "postgresql" else "sqlite"
    result = run(backend, seconds=8, clients=6, every=2.0, work=tmp_path)
    assert result["web_kills"] >= 1, result
    assert result["acknowledged_2xx"] > 0 and result["given_up"] == 0, result
    assert result["acknowledged_not_stored"] == 0 and result["stored_twice"] == 0, result
    assert result["cases"] == result["cases_expected"], result
    assert result["deliveries_not_received"] == 0, result
    assert result["deliveries"] == {"delivered": result["deliveries_expected"]}, result
    assert result["ok"], result
