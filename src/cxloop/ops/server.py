"""Run the WSGI app under a production server (also for the demo), optionally with a task worker
process beside it: granian (HTTP in Rust, the WSGI app in a pool of threads; the default, about three
times gunicorn's requests per second here) or gunicorn (gthread)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from cxloop.wsgi import application

        return application


def serve(*, host: str, port: int, workers: int, threads: int, with_worker: bool,
          server: str = "granian") -> None:
    worker_proc: subprocess.Popen[bytes] | None = None
    if with_worker:
        worker_proc = subprocess.Popen([sys.executable, "-m", "cxloop.cli", "worker"], env=os.environ.copy())

    def _stop_worker(*_: Any) -> None:
        if worker_proc is not None and worker_proc.poll() is None:
            worker_proc.send_signal(signal.SIGTERM)
            try:
                worker_proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker_proc.kill()

    try:
        if server == "gunicorn":
            _Gunicorn(_gunicorn_options(host, port, workers, threads, _stop_worker)).run()
        else:
            _granian(host, port, workers, threads).serve()
    finally:
        _stop_worker()


def _gunicorn_options(host: str, port: int, workers: int, threads: int, on_exit: Any) -> dict[str, Any]:
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "preload_app": False,
        "forwarded_allow_ips": "127.0.0.1,::1",
        "on_exit": lambda _server: on_exit(),
    }


def _granian(host: str, port: int, workers: int, threads: int) -> Any:
    from django.conf import settings
    from granian import Granian
    from granian.constants import Interfaces

    return Granian(
        "cxloop.wsgi:application", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=threads, websockets=False, log_access=settings.CONFIG.log_level in {"DEBUG", "INFO"},
        respawn_failed_workers=True, workers_kill_timeout=20,
    )
