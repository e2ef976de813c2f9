"""The desk's commands: `linkpflege users` through the real command line, `linkpflege desk`
as a process that serves and stops on SIGTERM, and `serve` starting the desk beside the
schedule when a desk port is configured."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from desk.desk_world import build_world
from local_web import closed_port

from flows import cli
from flows.desk.server import desk_beside
from flows.run_settings import load_settings

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def test_users_through_the_command_line(tmp_path: Path, monkeypatch, capsys) -> None:
    data = str(tmp_path / "data")
    monkeypatch.setattr(sys, "stdin", io.StringIO("ein-langes-passwort\n"))
    argv = ["users", "add", "anna", "--role", "redaktion", "--password-stdin", "--data-dir", data]
    assert cli.main(argv) == 0
    assert cli.main(["users", "add", "sso-nutzer", "--no-password", "--data-dir", data]) == 0
    capsys.readouterr()
    assert cli.main(["users", "list", "--data-dir", data]) == 0
    listing = capsys.readouterr().out
    assert "anna" in listing and "redaktion" in listing and "sso-nutzer" in listing
    stored = (tmp_path / "data/desk/users.json").read_text(encoding="utf-8")
    assert "ein-langes-passwort" not in stored and "$argon2id$" in stored
    assert cli.main(["users", "remove", "anna", "--data-dir", data]) == 0
    assert cli.main(["users", "remove", "anna", "--data-dir", data]) == 2


def wait_for(url: str, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_desk_command_serves_until_sigterm(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    port = closed_port()
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "desk",
        "--port",
        str(port),
        "--data-dir",
        str(world.settings.data_dir),
        "--catalog",
        str(world.catalog),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/anmelden")
        assert page.status_code == 200 and "Anmelden" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 303
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=20)
    assert process.returncode == 0
    assert f"desk on http://127.0.0.1:{port}/" in errors


def test_serve_starts_the_desk_beside_the_schedule(tmp_path: Path, monkeypatch) -> None:
    world = build_world(tmp_path)
    port = closed_port()
    seen: dict[str, Any] = {}

    def fake_serve(options: dict[str, Any], **kwargs: Any) -> None:
        with kwargs["beside"]:  # what serve_nightly does around the schedule
            seen["page"] = httpx.get(f"http://127.0.0.1:{port}/anmelden", timeout=5)

    monkeypatch.setattr("flows.nightly_serve.serve_nightly", fake_serve)
    monkeypatch.setenv("LINKPFLEGE_DESK_PORT", str(port))
    argv = ["serve", "--data-dir", str(world.settings.data_dir), "--catalog", str(world.catalog)]
    assert cli.main(argv) == 0
    assert seen["page"].status_code == 200
    with pytest.raises(httpx.TransportError):  # stopped with the schedule
        httpx.get(f"http://127.0.0.1:{port}/anmelden", timeout=2)


def test_no_desk_port_no_desk(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    assert settings.desk_port is None
    with desk_beside(settings):
        pass  # nothing started, nothing to stop


def test_desk_on_a_taken_port_fails_with_one_line(tmp_path: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["desk", "--port", str(port), "--data-dir", str(tmp_path)]
        assert cli.main(argv) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
