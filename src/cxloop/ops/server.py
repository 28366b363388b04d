"""Run the WSGI app under gunicorn (a production server, also for the demo), optionally with a
task worker process beside it."""

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


def serve(*, host: str, port: int, workers: int, threads: int, with_worker: bool) -> None:
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

    options = {
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
        "on_exit": lambda _server: _stop_worker(),
    }
    try:
        _Gunicorn(options).run()
    finally:
        _stop_worker()
