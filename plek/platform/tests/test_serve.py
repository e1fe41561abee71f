"""`plek serve` starts gunicorn in a way that lets several servers share one host."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from plek.core.testing import free_port


def test_a_server_leaves_no_shared_control_socket_for_the_next_to_take(tmp_path: Path) -> None:
    """gunicorn's default control socket lives in $HOME and is taken over by the next server."""
    env = {**os.environ, "HOME": str(tmp_path), "PLEK_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ports = [free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "plek.cli",
                "serve",
                "--bind",
                f"127.0.0.1:{p}",
                "--workers",
                "1",
                "--no-collectstatic",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        answered = set()
        deadline = time.monotonic() + 150
        while len(answered) < len(ports) and time.monotonic() < deadline:
            for p in ports:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{p}/healthz", timeout=5)
                    answered.add(p)
                except urllib.error.HTTPError:
                    answered.add(p)  # any HTTP answer means the server is up
                except OSError:
                    pass
            time.sleep(0.3)
        assert answered == set(ports)
        assert not (tmp_path / ".gunicorn").exists()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def test_serve_allows_the_longest_request_line_gunicorn_has() -> None:
    from plek.platform.management.commands import serve

    assert serve.LIMIT_REQUEST_LINE == 8190
    assert "--limit-request-line" in inspect.getsource(serve.Command.handle)
